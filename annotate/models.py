"""ClaimDesk's data model and the invariants the database enforces.

Spans are character offsets into `Document.text`, which never changes after import, so
a span stays valid for the life of the document. Machine output (`Suggestion`) and human
work (`SentenceAnnotation` with its `Annotation` claims) live in separate tables so the
export can always show both.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from annotate.nlp.types import stance_model_id

# What shows nothing: a document's text, a comment, a title or a stance target of nothing else is empty.
# Format and control characters and every kind of space: a text of nothing else shows nothing.
# Combining marks too: with nothing to sit on they show nothing (an accent, a variation selector).
_INVISIBLE = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that draw as blank space: the Hangul fillers and the blank Braille pattern (QA12).
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def only_invisible(text: str) -> str:
    """The text's first character that is not whitespace, if no character of it is visible; else ""."""
    if any(not char.isspace() and unicodedata.category(char) not in _INVISIBLE and char not in _BLANK_CHARACTERS
           for char in text):
        return ""
    return next(char for char in text if not char.isspace())


def _invisible_at_an_end(char: str) -> bool:
    # Spaces, and Unicode's format characters ("Cf": zero-width spaces and joiners, BOMs, soft
    # hyphens, bidi marks), which a speaker's name loses too (`_without_format_characters`).
    return char.isspace() or unicodedata.category(char) == "Cf"


def tidy_line(value: str) -> str:
    """A title or a stance target as stored: one line, its runs of whitespace (a line break in a
    CSV cell, a tab) one space, as a speaker's name; without the spaces and invisible characters at
    its ends; and empty when nothing of it is visible (`only_invisible`). A target of a zero-width
    space pasted from the web was the document's own and overrode the project's, where a target of
    spaces is none (QA). Those inside stay: a zero-width space there is a place to break."""
    start, end = 0, len(value)
    while start < end and _invisible_at_an_end(value[start]):
        start += 1
    while end > start and _invisible_at_an_end(value[end - 1]):
        end -= 1
    value = " ".join(value[start:end].split())
    return value if value and not only_invisible(value) else ""


# Left-to-right and right-to-left overrides: they turn the text after them around as it shows
# ("‮txt.exe" reads "exe.txt"), which a title or name has no need of (QA23).
BIDI_OVERRIDES = frozenset("\u202d\u202e")


def control_character(value: str) -> str:
    """The first control character of `value` that is no whitespace (a bell, an escape), or a
    direction override, else "". A title, a target or a project name holding one is refused: it
    shows as nothing or as a box, an escape can recolour the terminal that shows an export, and
    an override turns the text around. Whitespace ones are spacing (`tidy_line`)."""
    return next((char for char in value if unicodedata.category(char) == "Cc" and not char.isspace()
                 or char in BIDI_OVERRIDES), "")


CONTROL_CHARACTER_REASON = "holds a control character (U+{code:04X}), which shows as nothing or as a box: remove it"


def tidy_lines(instance: models.Model, fields: dict[str, str], *, required: str) -> None:
    """A model's `clean` of its one-line texts ({field: what a message calls it}): refused with a
    control character (`control_character`), else stored tidied (`tidy_line`); the `required`
    one refused when nothing of it is visible (a blank one is the field's own "cannot be blank")."""
    errors = {field: f"The {what} " + CONTROL_CHARACTER_REASON.format(code=ord(char)) + "."
              for field, what in fields.items() if (char := control_character(getattr(instance, field)))}
    if errors:
        raise ValidationError(errors)
    typed = getattr(instance, required)
    for field in fields:
        setattr(instance, field, tidy_line(getattr(instance, field)))
    if typed.strip() and not getattr(instance, required):
        raise ValidationError({required: f"The {fields[required]} shows nothing visible: give it a word."})


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    REVIEWER = "reviewer", "Reviewer"
    ANNOTATOR = "annotator", "Annotator"


class Project(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    guidelines = models.TextField(blank=True, help_text="Annotation guidelines in Markdown, shown beside the work.")
    stance_target = models.CharField(
        max_length=300, blank=True, help_text="What stances are taken toward, e.g. 'US–Pakistan cooperation'."
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="projects")
    annotations_per_document = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="How many annotators automatic assignment gives each document."
    )
    blind = models.BooleanField(default=True, help_text="Annotators never see each other's labels.")
    quote_convention = models.CharField(
        max_length=10,
        choices=[("joined", "Joined: “A,” X said, “B.” is one claim"), ("split", "Split: A and B are two claims")],
        default="joined",
        help_text="How suggestions treat a quotation interrupted by its speaker (the project's guideline).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        # The admin's and `project_new`'s check: a target of invisible characters is none, and a
        # name, which every command finds the project by, is checked as a title is (QA23).
        tidy_lines(self, {"name": "name", "stance_target": "target"}, required="name")


class LabelMeaning(models.TextChoices):
    """What a project's label means to the stance rules, which speak these three."""

    SUPPORT = "support", "takes the target's side (support)"
    OPPOSE = "oppose", "takes the other side (oppose)"
    NEUTRAL = "neutral", "takes no side, reports or hedges (neutral)"


# Label values and names whose meaning goes without saying, for labels made without one.
MEANING_WORDS: dict[str, frozenset[str]] = {
    LabelMeaning.SUPPORT: frozenset("support supports supportive supporting pro for favor favour favourable agree agrees positive endorse endorses approve approves accept accepts dafür pour".split()),
    LabelMeaning.OPPOSE: frozenset("oppose opposes opposed opposing contra con against anti disagree disagrees negative refute refutes deny denies critical reject rejects disapprove disapproves dagegen contre".split()),
    LabelMeaning.NEUTRAL: frozenset("""neutral none observing discuss discusses unclear mixed other neither
        unrelated ambiguous unsure undecided uncertain reports reporting""".split()),
}
# "yes" and "no" only as a whole label: inside a name, "no" negates ("No stance").
WHOLE_LABEL_MEANINGS = {"yes": LabelMeaning.SUPPORT, "no": LabelMeaning.OPPOSE}
NEGATING_WORDS = frozenset("no not non without".split())
# Negated, these words take no side: "No stance", "No opinion".
SIDE_WORDS = frozenset("stance side position opinion view sure".split())


def infer_label_meaning(value: str, name: str) -> str:
    """The meaning a label's value or name makes plain ("pro", "Contra", "Pro-tram", "Not in
    favour", "No stance"), or "" (none) when it makes none, or several that do not add up."""
    for whole in (value, name):
        folded = whole.strip().strip(".").casefold()
        if folded in WHOLE_LABEL_MEANINGS:
            return str(WHOLE_LABEL_MEANINGS[folded])
    spelled = re.sub(r"n['’]t\b", " not", f"{value} {name}".casefold())  # "doesn't support"
    words = [w for w in re.split(r"[^\w]+", spelled) if w]
    meanings = {str(m) for w in words for m, known in MEANING_WORDS.items() if w in known}
    if any(w in NEGATING_WORDS for w in words):
        if any(w in SIDE_WORDS for w in words) and not meanings - {str(LabelMeaning.NEUTRAL)}:
            return str(LabelMeaning.NEUTRAL)  # "No stance", "No side"
        # "Not in favour" is against; "not against" says too little to tell.
        return str(LabelMeaning.OPPOSE) if meanings == {str(LabelMeaning.SUPPORT)} else ""
    if len(meanings) == 1:
        return meanings.pop()
    # "Pro/Contra mixed": sides that do not add up, said to be mixed, take none.
    return str(LabelMeaning.NEUTRAL) if str(LabelMeaning.NEUTRAL) in meanings else ""


class StanceLabel(models.Model):
    """One stance label of a project. Labels in use are retired, never deleted (PROTECT)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="labels")
    value = models.SlugField(max_length=40, help_text="Stable name written to exports, e.g. 'support'.")
    name = models.CharField(max_length=80, help_text="What annotators see.")
    key = models.CharField(max_length=1, help_text="Keyboard key, 1–9; also the label's position.",
                           validators=[RegexValidator(r"^[1-9]$", "Use one digit from 1 to 9.")])
    color = models.CharField(
        max_length=7, default="#6b7280", validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use #RRGGBB.")]
    )
    retired = models.BooleanField(default=False, help_text="Retired labels stay on old work but are not offered.")
    # A project names its labels as it likes ("pro" / "contra" / "unclear"); the rules suggest a
    # label by its meaning. Without one, the rules never suggest it (a trained model may).
    meaning = models.CharField(
        max_length=10, choices=LabelMeaning.choices, blank=True,
        help_text="What the stance rules suggest this label for; blank: the rules never suggest it.",
    )

    class Meta:
        ordering = ["project", "key"]
        constraints = [
            models.UniqueConstraint(fields=["project", "value"], name="stancelabel_unique_value"),
            # Exports carry the value, for good: "Neutral" beside "neutral" could not be told apart
            # (QA). Values are ASCII slugs, which LOWER folds alike on SQLite and PostgreSQL. Names
            # are the admin form's to check (`admin.StanceLabelFormSet`): a retired label may
            # share its name with the one replacing it.
            models.UniqueConstraint(
                Lower("value"), "project", name="stancelabel_unique_value_any_case",
                violation_error_message="This value and another label's differ only in case: exports could not "
                                        "tell their work apart. Give this label another value."),
            models.UniqueConstraint(fields=["project", "key"], name="stancelabel_unique_key"),
            # The messages are what a form says (the admin's label rows), in place of Django's
            # "Constraint … is violated".
            models.CheckConstraint(condition=Q(key__in=list("123456789")), name="stancelabel_key_digit",
                                   violation_error_message="The key must be one digit from 1 to 9: it is the key that sets the label."),
            models.CheckConstraint(condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="stancelabel_color_hex",
                                   violation_error_message="The colour must be written #rrggbb, e.g. #1f77b4."),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


DEFAULT_STANCE_LABELS: tuple[tuple[str, str, str], ...] = (
    ("support", "Support", "#15803d"),
    ("oppose", "Oppose", "#b91c1c"),
    ("neutral", "Neutral", "#4b5563"),
)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="membership_unique_user_project"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} as {self.role}"


class Document(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    source_url = models.URLField(max_length=2000, blank=True)
    author = models.CharField(max_length=300, blank=True, help_text="Byline.")
    published = models.DateField(null=True, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    text = models.TextField(help_text="The imported text; immutable, since every span points into it.")
    text_sha256 = models.CharField(max_length=64, editable=False, help_text="Detects the same text imported twice.")
    stance_target = models.CharField(max_length=300, blank=True, help_text="Overrides the project's target.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "text_sha256"], name="document_unique_text_per_project"),
            models.CheckConstraint(condition=~Q(text=""), name="document_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def effective_target(self) -> str:
        return self.stance_target or self.project.stance_target

    def clean(self) -> None:
        super().clean()
        # The admin's check; an import tidies and checks them as it reads them (`imports`).
        tidy_lines(self, {"title": "title", "stance_target": "target"}, required="title")


class Sentence(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sentences")
    index = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()

    class Meta:
        ordering = ["document", "index"]
        constraints = [
            models.UniqueConstraint(fields=["document", "index"], name="sentence_unique_index"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="sentence_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.index}"


# Joiners shape Persian and Indic words and emoji sequences: a name keeps them, its key does not.
_SHAPING_JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner, zero-width joiner
# The key column's length. NFKC and case folding can lengthen a name of up to 300 characters
# far beyond it ("ﷺ" is 18 letters folded): such a key is cut, the rule still one for every write.
NAME_KEY_MAX_LENGTH = 900


def _without_format_characters(name: str, keep: frozenset[str] = frozenset()) -> str:
    # Unicode's "Cf": invisible (zero-width space, BOM, soft hyphen, bidi marks), so pasting
    # them in makes a name that looks like another. Removed before normalising, which they block.
    return "".join(c for c in name if c in keep or unicodedata.category(c) != "Cf")


def tidy_speaker_name(name: str) -> str:
    """A speaker's name as stored and shown: one Unicode form (NFC: a decomposed "É" pasted from
    a Mac or a PDF becomes the usual one), no invisible format characters but joiners, and
    runs of whitespace (tabs, line breaks) as one space."""
    return " ".join(unicodedata.normalize("NFC", _without_format_characters(name, _SHAPING_JOINERS)).split())


def speaker_key(name: str) -> str:
    """What makes two speaker names one speaker: case, spacing, Unicode form (NFKC: "ﬁ" is "fi",
    "Ｚｏｌａ" is "Zola") and invisible characters aside, as the review page matches a selected
    name to a speaker (review.js, `speakerKey`). Stored as `Speaker.name_key`, unique per document.

    NFKC, case folding, NFKC again: Python's caseless matching of compatibility forms."""
    visible = _without_format_characters(name)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return " ".join(folded.split())[:NAME_KEY_MAX_LENGTH]


class SpeakerQuerySet(models.QuerySet):
    """Keeps `name_key` in step with `name` on the writes that skip `Speaker.save()`."""

    def bulk_create(self, objs: Iterable[Speaker], *args, **kwargs) -> list[Speaker]:
        objs = list(objs)
        for speaker in objs:
            speaker.name_key = speaker_key(speaker.name)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Iterable[Speaker], fields: Sequence[str], *args, **kwargs) -> int:
        if "name" in fields:
            objs = list(objs)
            for speaker in objs:
                speaker.name_key = speaker_key(speaker.name)
            fields = [*fields, "name_key"]
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs) -> int:
        if "name" in kwargs and "name_key" not in kwargs:  # bulk_update sends both
            if not isinstance(kwargs["name"], str):
                raise TypeError("a speaker's name can be updated only to a plain string, which its key is made from")
            kwargs["name_key"] = speaker_key(kwargs["name"])
        return super().update(**kwargs)


class Speaker(models.Model):
    """A canonical speaker of one document ("Ambassador Alice Wells" for "the Ambassador", "she")."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"
        ANONYMOUS = "anonymous", "Anonymous source"
        OTHER = "other", "Other"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="speakers")
    name = models.CharField(max_length=300)
    # `speaker_key(name)`, always (set on every write): the one rule for "the same speaker",
    # kept by the database.
    name_key = models.CharField(max_length=NAME_KEY_MAX_LENGTH, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who named it: pre-annotation, or a person (part of their work, hidden from other
    # annotators of a blind project). Not read from `created_by`, which a deleted user empties.
    from_machine = models.BooleanField(default=False)

    objects = SpeakerQuerySet.as_manager()

    class Meta:
        ordering = ["document", "name"]
        constraints = [
            models.UniqueConstraint(fields=["document", "name_key"], name="speaker_unique_name_key_per_document"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_key = speaker_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)


class SpeakerRedirect(models.Model):
    """Where a speaker merged away went. A page opened before the merge still sends the old
    id; its claims belong where the merge moved everyone else's. Always points at a speaker
    that exists (a later merge moves the redirects too), so one lookup resolves any chain."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="speaker_redirects")
    old_speaker_id = models.BigIntegerField(help_text="The deleted speaker's id (ids are never reused).")
    speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "old_speaker_id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "old_speaker_id"], name="speakerredirect_unique_old_speaker"),
        ]

    def __str__(self) -> str:
        return f"speaker {self.old_speaker_id} → {self.speaker_id}"


def _span_constraints(prefix: str) -> list[models.BaseConstraint]:
    """Both offsets or neither (a NULL would slip through a bare comparison); start before end."""
    return [
        models.CheckConstraint(condition=Q(claim_start__lt=F("claim_end")), name=f"{prefix}_claim_span_order"),
        models.CheckConstraint(
            condition=Q(speaker_start__isnull=True, speaker_end__isnull=True)
            | Q(speaker_start__isnull=False, speaker_end__isnull=False, speaker_start__lt=F("speaker_end")),
            name=f"{prefix}_speaker_span_order",
        ),
        models.CheckConstraint(
            condition=Q(cue_start__isnull=True, cue_end__isnull=True)
            | Q(cue_start__isnull=False, cue_end__isnull=False, cue_start__lt=F("cue_end")),
            name=f"{prefix}_cue_span_order",
        ),
    ]


class ClaimSpans(models.Model):
    """Who (speaker), how (cue), what (claim) and with which stance. No speaker = the author."""

    speaker_start = models.PositiveIntegerField(null=True, blank=True)
    speaker_end = models.PositiveIntegerField(null=True, blank=True)
    cue_start = models.PositiveIntegerField(null=True, blank=True)
    cue_end = models.PositiveIntegerField(null=True, blank=True)
    claim_start = models.PositiveIntegerField()
    claim_end = models.PositiveIntegerField()
    speaker = models.ForeignKey(Speaker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stance = models.ForeignKey(StanceLabel, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    @property
    def is_author(self) -> bool:
        return self.speaker_start is None and self.cue_start is None

    # The offsets as (start, end) spans, the shape payloads, exports and agreement read;
    # `span_values` is the way back.
    @property
    def speaker_span(self) -> tuple[int, int] | None:
        return (self.speaker_start, self.speaker_end) if self.speaker_start is not None else None

    @property
    def cue_span(self) -> tuple[int, int] | None:
        return (self.cue_start, self.cue_end) if self.cue_start is not None else None

    @property
    def claim_span(self) -> tuple[int, int]:
        return (self.claim_start, self.claim_end)

    @staticmethod
    def span_values(
        claim: tuple[int, int], speaker: tuple[int, int] | None, cue: tuple[int, int] | None
    ) -> dict[str, int | None]:
        """The offset fields for (start, end) spans; a missing speaker or cue is NULL, NULL."""
        return {
            "speaker_start": speaker[0] if speaker else None, "speaker_end": speaker[1] if speaker else None,
            "cue_start": cue[0] if cue else None, "cue_end": cue[1] if cue else None,
            "claim_start": claim[0], "claim_end": claim[1],
        }


def _confidence_field() -> models.FloatField:
    return models.FloatField(default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])


class Suggestion(ClaimSpans):
    """A machine suggestion for one claim of a sentence. Never counts as human work."""

    sentence = models.ForeignKey(Sentence, on_delete=models.CASCADE, related_name="suggestions")
    position = models.PositiveSmallIntegerField(default=0)
    speaker_confidence = _confidence_field()
    cue_confidence = _confidence_field()
    claim_confidence = _confidence_field()
    stance_confidence = _confidence_field()
    model_name = models.CharField(max_length=200)
    model_version = models.CharField(max_length=100)
    stance_model = models.CharField(max_length=200, blank=True, help_text="The stance rules' version (e.g. 'rules-2') or a trained model's id.")
    stance_rule = models.CharField(
        max_length=40, blank=True, help_text="The stance rule that decided (e.g. 'has_hedge'); empty for a trained model."
    )
    # What the stance was suggested toward. A sentence someone worked on keeps its suggestions
    # through a target change (they are what that person was shown): toward today's target
    # the page offers none of its stance (QA25: Enter saved it as the stance toward the new one).
    stance_target = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sentence", "position"]
        constraints = [
            *_span_constraints("suggestion"),
            models.UniqueConstraint(fields=["sentence", "position"], name="suggestion_unique_position"),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 0.0, f"{name}__lte": 1.0}), name=f"suggestion_{name}_range"
                )
                for name in ("speaker_confidence", "cue_confidence", "claim_confidence", "stance_confidence")
            ],
        ]

    @property
    def confidence(self) -> float:
        """The weakest field's confidence: what a reviewer should trust the whole by."""
        return min(self.attribution_confidence, self.stance_confidence)

    @property
    def attribution_confidence(self) -> float:
        """The weakest of who said what: the claim, and the speaker and cue when there are any.

        Apart from the stance because the rules' stance falls back to "neutral" at a low,
        honest confidence on most sentences of an article (nothing in them takes a side):
        mixed in, that one figure would flag nearly every sentence and hide the doubtful
        attributions among them."""
        values = [self.claim_confidence]
        if not self.is_author:
            values += [self.speaker_confidence, self.cue_confidence]
        return min(values)


class AnnotationStatus(models.TextChoices):
    ACCEPTED = "accepted", "Accepted as suggested"
    CORRECTED = "corrected", "Corrected"
    NO_CLAIM = "no_claim", "No claim"
    SKIPPED = "skipped", "Skipped"


class SentenceAnnotation(models.Model):
    """One person's work on one sentence. `version` refuses stale saves (optimistic locking)."""

    class Kind(models.TextChoices):
        ANNOTATION = "annotation", "Annotation"
        ADJUDICATION = "adjudication", "Adjudication (gold)"

    sentence = models.ForeignKey(Sentence, on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ANNOTATION)
    status = models.CharField(max_length=20, choices=AnnotationStatus.choices)
    version = models.PositiveIntegerField(default=1)
    # The target its stances were given toward (the document's, else the project's, at the save):
    # a target changed later leaves the work as it was, and the export says toward what.
    stance_target = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    @staticmethod
    def gold_q(prefix: str = "") -> Q:
        """A sentence's gold version, as a filter on annotations (through `prefix`, e.g.
        "annotations__" from a sentence): a reviewer's decision. A skipped adjudication decides
        nothing; the sentence still waits for one (QA17)."""
        return Q(**{f"{prefix}kind": SentenceAnnotation.Kind.ADJUDICATION}) & ~Q(
            **{f"{prefix}status": AnnotationStatus.SKIPPED})

    class Meta:
        ordering = ["sentence", "annotator"]
        constraints = [
            models.UniqueConstraint(
                fields=["sentence", "annotator"],
                condition=Q(kind="annotation"),
                name="sentenceannotation_one_per_annotator",
            ),
            models.UniqueConstraint(
                fields=["sentence"], condition=Q(kind="adjudication"), name="sentenceannotation_one_gold"
            ),
            models.CheckConstraint(condition=Q(status__in=AnnotationStatus.values), name="sentenceannotation_status"),
            models.CheckConstraint(condition=Q(kind__in=["annotation", "adjudication"]), name="sentenceannotation_kind"),
            models.CheckConstraint(condition=Q(version__gte=1), name="sentenceannotation_version_positive"),
        ]
        indexes = [models.Index(fields=["annotator", "status"])]


class Annotation(ClaimSpans):
    """A claim as a person labelled it."""

    sentence_annotation = models.ForeignKey(SentenceAnnotation, on_delete=models.CASCADE, related_name="claims")
    position = models.PositiveSmallIntegerField(default=0)
    suggestion = models.ForeignKey(
        Suggestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The suggestion this claim started from, if any.",
    )

    class Meta:
        ordering = ["sentence_annotation", "position"]
        constraints = [
            *_span_constraints("annotation"),
            models.UniqueConstraint(fields=["sentence_annotation", "position"], name="annotation_unique_position"),
        ]


class AuditEvent(models.Model):
    """Append-only history of every change. The app never updates or deletes a row."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=60)
    # SET_NULL: deleting a document keeps its history (object ids and snapshots stay readable).
    sentence = models.ForeignKey(Sentence, null=True, blank=True, on_delete=models.SET_NULL, related_name="history")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["project", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} of {self.object_type} {self.object_id} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class Assignment(models.Model):
    """A document given to an annotator. Annotators see only their assigned documents."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "annotator"]
        constraints = [
            models.UniqueConstraint(fields=["document", "annotator"], name="assignment_unique_document_annotator"),
        ]


class Comment(models.Model):
    """A note on a sentence for the reviewer; unresolved comments flag the sentence."""

    sentence = models.ForeignKey(Sentence, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["sentence", "created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="comment_text_not_empty"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_by__isnull=False), name="comment_resolved_by_someone"
            ),
        ]


class JobStatus(models.TextChoices):
    """The life of a background job (a training run, a large import)."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# A run still going: queued or running.
GOING_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class StanceModel(models.Model):
    """A stance classifier trained for one project, with its training job's progress and result.

    At most one per project is active; it is activated only if it beat the rules on a
    held-out slice of the project's reviewed sentences.
    """

    Status = JobStatus
    # The re-making of the suggestions after an activation is a `SuggestionRefresh` of its own:
    # a run is going only while it trains.
    GOING = Q(status__in=GOING_STATUSES)

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stance_models")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    message = models.TextField(blank=True)
    path = models.CharField(max_length=500, blank=True, help_text="Folder the trained pipeline was saved to.")
    metrics = models.JSONField(default=dict, blank=True, help_text="Held-out figures of the model and of the rules.")
    is_active = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set at every step of a run: a run whose last step is long past has lost its worker.
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="stancemodel_unique_version"),
            models.UniqueConstraint(fields=["project"], condition=Q(is_active=True), name="stancemodel_one_active"),
            models.CheckConstraint(
                condition=Q(is_active=False) | Q(status="done"), name="stancemodel_active_only_when_done"
            ),
            models.CheckConstraint(condition=Q(progress__gte=0.0, progress__lte=1.0), name="stancemodel_progress_range"),
        ]

    def __str__(self) -> str:
        return f"{self.project} stance model v{self.version}"

    @property
    def is_going(self) -> bool:
        """In `GOING`: a new run would race it, and the project page follows it."""
        return self.status in GOING_STATUSES

    # The trained pipeline's own name and version: `name` is then what its suggestions record.
    @property
    def package_name(self) -> str:
        return f"project_{self.project_id}_stance"

    @property
    def package_version(self) -> str:
        return f"{self.version}.0.0"

    @property
    def name(self) -> str:
        return stance_model_id(self.package_name, self.package_version)


class DocumentsRun(models.Model):
    """What a background run over a project's documents keeps (an import, a refresh of the
    suggestions): its status, how far it is, what it says, and its heartbeat."""

    Status = JobStatus

    # Each declares its `project`, with the name the project calls its runs by.
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set with every chunk done: a run whose last chunk is long past has lost its worker.
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["project", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(processed__lte=F("total")), name="%(class)s_processed_within_total"),
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="%(class)s_status"),
        ]

    @property
    def is_going(self) -> bool:
        return self.status in GOING_STATUSES


class ImportJob(DocumentsRun):
    """A large upload, checked whole at once and then pre-annotated and stored in the background.

    Each chunk of documents is stored in its own transaction, so a crash leaves only whole
    documents behind; importing the same file again skips what is already there.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="import_jobs")
    source = models.CharField(max_length=300, help_text="The uploaded file's name.")
    documents = models.JSONField(default=list, blank=True, help_text="The checked documents still to store.")
    created_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    # As an import at once reports them (`imports.Duplicate`): position and line in the upload,
    # title, and the stored document or the earlier input repeated.
    skipped = models.JSONField(default=list, blank=True, help_text="The inputs skipped as duplicates.")


class SuggestionRefresh(DocumentsRun):
    """The re-making of some documents' suggestions in the background (after their stance target
    changed, a trained stance model was activated, or an admin asked), tracked like an import:
    each chunk of documents is refreshed in a transaction of its own and reported here. A run
    whose worker died is started again on the documents left (refreshing one twice does no harm),
    up to `MAX_ATTEMPTS` times, by `close_stalled_jobs`. A later run takes over the documents it
    shares with one still going, which then leaves them out."""

    MAX_ATTEMPTS = 3

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="suggestion_refreshes")
    reason = models.CharField(max_length=200)
    documents = models.JSONField(default=list, blank=True, help_text="Ids of the documents still to refresh.")
    # Kept apart from the message, which later steps rewrite (QA24: the note was lost at the end).
    taken_over = models.PositiveIntegerField(default=0, help_text="Documents a later refresh took over.")
    # Which start of the run a task belongs to: a task of an earlier start (its worker thought
    # dead, but only slow) stops at its next chunk instead of racing the new one.
    attempt = models.PositiveSmallIntegerField(default=1)

    class Meta(DocumentsRun.Meta):
        constraints = [
            *DocumentsRun.Meta.constraints,
            models.CheckConstraint(condition=Q(attempt__gte=1), name="suggestionrefresh_attempt_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project}: suggestions re-made ({self.reason})"
