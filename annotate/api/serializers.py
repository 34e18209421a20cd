"""Request and response shapes of the REST API."""
from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annotate.models import AnnotationStatus, Document, Project, Speaker, StanceLabel
from annotate.services.annotations import ClaimInput
from annotate.services.imports import loads_json

# The largest integer an id or version column holds (64 bits): a larger one is invalid input,
# not an overflow in the query (a 500, QA16).
MAX_DB_INTEGER = 2**63 - 1


class StanceLabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = StanceLabel
        fields = ["value", "name", "key", "color", "meaning", "retired"]


class ProjectSerializer(serializers.ModelSerializer):
    labels = StanceLabelSerializer(many=True, read_only=True)
    document_count = serializers.IntegerField(read_only=True)
    sentence_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Project
        fields = ["id", "name", "description", "guidelines", "stance_target", "labels", "document_count",
                  "sentence_count"]


class DocumentListSerializer(serializers.ModelSerializer):
    sentence_count = serializers.IntegerField(read_only=True, help_text="Sentences in the document.")
    done_count = serializers.IntegerField(read_only=True, help_text="Sentences the requesting user has finished.")
    assigned_count = serializers.IntegerField(read_only=True, help_text="Annotators the document is assigned to.")
    gold_count = serializers.IntegerField(read_only=True, help_text="Adjudicated sentences.")
    # Set on each document by the view, from the counts of the whole page at once (`document_statuses`).
    status = serializers.ChoiceField(
        choices=["unannotated", "in_progress", "annotated", "adjudicated"], read_only=True,
        help_text="Where the document stands for the requesting user (as on the project page).")

    class Meta:
        model = Document
        fields = ["id", "title", "author", "published", "source_url", "stance_target", "sentence_count", "done_count",
                  "assigned_count", "gold_count", "status"]


class StringField(serializers.CharField):
    """A CharField that takes only strings: DRF's own turns a JSON 123 into "123", which would
    import a number as a document."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.JSONField):
    """A JSON object: as it is in a JSON body, as JSON text in a form. NaN, Infinity and the
    like are left for the import's checks, which say which field holds them."""

    default_error_messages = {"not_object": "Must be a JSON object."}

    def to_internal_value(self, data):
        if getattr(data, "is_json_string", False):  # form input (see JSONField.get_value)
            try:
                data = loads_json(data)
            except json.JSONDecodeError as error:  # say why ("the key 'a' is given twice")
                raise serializers.ValidationError(f"Value must be valid JSON: {error.msg}.") from None
        # A JSON body is parsed already; JSONField's own check would refuse 1e400 without a reason.
        if not isinstance(data, dict):
            self.fail("not_object")
        return data


class RefusesUnknownFields(serializers.Serializer):
    """A body with a field the serializer does not know is a 400 naming it: DRF drops it without
    a word, so a misspelt or misplaced field did nothing the caller could see (QA19)."""

    UNKNOWN_FIELD = "Unknown field."
    # What a browser's form post carries besides the fields.
    FORM_EXTRAS = frozenset({"csrfmiddlewaretoken"})

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields) - self.FORM_EXTRAS) if hasattr(data, "keys") else []
        if unknown:
            raise serializers.ValidationError({name: [self.UNKNOWN_FIELD] for name in unknown})
        return super().to_internal_value(data)


class DocumentImportSerializer(RefusesUnknownFields):
    """Either `file` (.txt, .jsonl, .csv; multipart) or `text` with optional metadata.

    With a file, `target` applies to every document that does not give its own, and `title`
    to a file of one document; the other fields describe a pasted text only."""

    TEXT_ONLY = ("url", "author", "published", "meta")
    # A JSONL line's own extra keys go into meta; here meta is a field of its own.
    UNKNOWN_FIELD = "Unknown field: send what else to keep with the document in 'meta'."

    file = serializers.FileField(required=False)
    text = StringField(required=False, trim_whitespace=False)
    # null is "none", as in a JSONL line (QA19: a line took "title": null, the API refused it).
    title = StringField(required=False, allow_blank=True, allow_null=True, max_length=300,
                        help_text="The document's title; with a file, the title of its one document.")
    url = StringField(required=False, allow_blank=True, allow_null=True)
    author = StringField(required=False, allow_blank=True, allow_null=True, max_length=300)
    published = StringField(required=False, allow_blank=True, allow_null=True)
    target = StringField(required=False, allow_blank=True, allow_null=True, max_length=300,
                         help_text="This document's stance target, if not the project's; with a file, that of "
                                   "every document that does not give its own.")
    meta = JSONObjectField(required=False, allow_null=True,
                           help_text="Anything else about the document, kept with it, as a JSONL line's meta.")

    def validate(self, attrs: dict) -> dict:
        # A form field sent twice would keep its last value, and a second file would be dropped.
        if hasattr(self.initial_data, "getlist"):
            twice = sorted(name for name in self.initial_data if len(self.initial_data.getlist(name)) > 1)
            if twice:
                raise serializers.ValidationError({name: ["Given more than once: send it once."] for name in twice})
        attrs = {name: ({} if name == "meta" else "") if value is None else value for name, value in attrs.items()}
        if bool(attrs.get("file")) == bool(attrs.get("text")):
            raise serializers.ValidationError("Send either a file or a text, not both or neither.")
        if attrs.get("file"):  # ignoring them would drop them without a word
            refused = {name: "Goes with a pasted text; a file's lines give their own." for name in self.TEXT_ONLY
                       if attrs.get(name)}
            if refused:
                raise serializers.ValidationError(refused)
        return attrs


class DuplicateSerializer(serializers.Serializer):
    """An input of the upload skipped because its text is stored already or came earlier in it:
    `imports.duplicate_record`, in a 201 reply and in a background job's `skipped`."""

    position = serializers.IntegerField(help_text="Its place among the upload's inputs, from 1.")
    line = serializers.IntegerField(allow_null=True, help_text="The line of the .jsonl or .csv file it starts on; "
                                                               "null for a pasted text or a .txt file.")
    title = serializers.CharField()
    document = serializers.IntegerField(allow_null=True,
                                        help_text="The id of the stored document with the same text; null if it "
                                                  "repeats an earlier input of the upload instead.")
    repeats = serializers.IntegerField(allow_null=True, help_text="The position of the earlier input it repeats; "
                                                                  "null if it duplicates a stored document.")
    repeats_line = serializers.IntegerField(allow_null=True, help_text="The line of that earlier input (null as for "
                                                                       "`line`).")


class DocumentImportedSerializer(serializers.Serializer):
    """The answer to an upload imported at once."""

    created = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the documents stored.")
    duplicates = DuplicateSerializer(many=True, help_text="The inputs skipped, by position.")


class SpanField(serializers.ListField):
    """[start, end] character offsets into the document text."""

    child = serializers.IntegerField(min_value=0, max_value=MAX_DB_INTEGER)

    def __init__(self, **kwargs):
        super().__init__(min_length=2, max_length=2, **kwargs)


class ClaimSerializer(RefusesUnknownFields):
    # QA: a claim's "label" (for "stance") was dropped and the claim saved without a stance.
    # DRF reports it by the claim's place among the claims: {"claims": {"1": {"label": [...]}}}.
    UNKNOWN_FIELD = ("Unknown field: a claim takes claim, speaker, cue, stance, speaker_id, speaker_name and "
                     "suggestion_id.")

    claim = SpanField()
    speaker = SpanField(required=False, allow_null=True)
    cue = SpanField(required=False, allow_null=True)
    stance = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    speaker_id = serializers.IntegerField(
        max_value=MAX_DB_INTEGER, required=False, allow_null=True,
        help_text="The claim's canonical speaker (null: none). Left out, a claim that names its suggestion_id and "
                  "keeps the suggestion's speaker span keeps the suggestion's canonical speaker.")
    speaker_name = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=300)
    suggestion_id = serializers.IntegerField(max_value=MAX_DB_INTEGER, required=False, allow_null=True)

    def to_claim_input(self, data: dict) -> ClaimInput:
        return ClaimInput(
            claim=tuple(data["claim"]),
            speaker=tuple(data["speaker"]) if data.get("speaker") else None,
            cue=tuple(data["cue"]) if data.get("cue") else None,
            stance=data.get("stance") or None,
            speaker_id=data.get("speaker_id"),
            speaker_name=data.get("speaker_name") or None,
            suggestion_id=data.get("suggestion_id"),
            speaker_id_given="speaker_id" in data,
        )


class SentenceAnnotationSerializer(RefusesUnknownFields):
    """The body of saving an annotation or a gold version (the same for both)."""

    UNKNOWN_FIELD = "Unknown field: a save takes status, version and claims (a comment goes to the sentence's comments)."

    status = serializers.ChoiceField(choices=AnnotationStatus.choices)
    version = serializers.IntegerField(
        allow_null=True, min_value=1, max_value=MAX_DB_INTEGER,
        help_text="The version you edited; null if the sentence had no annotation.",
    )
    claims = ClaimSerializer(many=True, required=False, default=list)


class AnnotationDeleteSerializer(serializers.Serializer):
    """Query parameters of withdrawing an annotation."""

    version = serializers.IntegerField(min_value=1, max_value=MAX_DB_INTEGER,
                                       help_text="The version you are withdrawing; another gets 409.")


class CommentSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class AssignmentSerializer(RefusesUnknownFields):
    documents = serializers.ListField(child=serializers.IntegerField(max_value=MAX_DB_INTEGER), required=False)
    annotators = serializers.ListField(child=serializers.CharField(), required=False)
    auto = serializers.BooleanField(required=False, default=False)
    per_document = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DB_INTEGER, allow_null=True)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("auto"):
            # QA19: documents and annotators sent with auto were ignored, unchecked, and every
            # unassigned document given out.
            given = sorted(name for name in ("documents", "annotators") if attrs.get(name))
            if given:
                raise serializers.ValidationError(
                    {name: ["auto: true gives out every unassigned document among all the project's annotators; "
                            "send documents and annotators without auto to choose them."] for name in given})
        elif not (attrs.get("documents") and attrs.get("annotators")):
            raise serializers.ValidationError("Send documents and annotators, or auto: true.")
        return attrs


class SpeakerRenameSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=300)
    kind = serializers.ChoiceField(choices=Speaker.Kind.choices, required=False)
    expected_name = serializers.CharField(
        required=False, max_length=300, help_text="The name you saw; a rename made meanwhile is refused with 409."
    )


class SpeakerMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(max_value=MAX_DB_INTEGER,
                                    help_text="The speaker of the same document that takes over this one's claims.")
