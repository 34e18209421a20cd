"""Curating a document's canonical speakers: rename one, merge one into another.

Both are reviewer work: a canonical speaker is shared by everyone's annotations of the
document, so changing it changes what every annotator's claims point to. Each change is
one transaction and one audit event.
"""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotate.models import Annotation, Document, Speaker, SpeakerRedirect, Suggestion, speaker_key, tidy_speaker_name
from annotate.nlp.speakers import is_edge_symbol
from annotate.services.audit import audit_record

NAME_MAX_LENGTH = Speaker._meta.get_field("name").max_length


class SpeakerChangeInvalid(ValueError):
    """The rename or merge cannot be done; the message says why."""


class StaleSpeaker(SpeakerChangeInvalid):
    """Someone renamed the speaker since the client read it; `current` is what is stored."""

    def __init__(self, current: Speaker) -> None:
        super().__init__(f"someone renamed this speaker to “{current.name}” meanwhile; check and try again")
        self.current = current


class SpeakerNameTaken(SpeakerChangeInvalid):
    """Another speaker of the document already has the name: merge into it instead."""

    def __init__(self, existing: Speaker) -> None:
        super().__init__(f"“{existing.name}” is already a speaker of this document; merge into it instead")
        self.existing = existing


def _without_edge_symbols(name: str) -> str:
    """A selected mention without the emoji or symbols at its edges ("Critics 😡"): the same
    speaker as "Critics", not a second one beside it (QA16). A name of symbols alone stays."""
    start, end = 0, len(name)
    while start < end and (name[start].isspace() or is_edge_symbol(name[start])):
        start += 1
    while end > start and (name[end - 1].isspace() or is_edge_symbol(name[end - 1])):
        end -= 1
    return name[start:end] if start < end and any(c.isalnum() for c in name[start:end]) else name


def speaker_named(document: Document, name: str, *, by: AbstractBaseUser | None) -> Speaker:
    """The document's speaker of that name (case, spacing and Unicode form aside, see
    `speaker_key`), created if there is none. The name must have something visible."""
    name = _without_edge_symbols(tidy_speaker_name(name))[:NAME_MAX_LENGTH]
    # By key, so "ÉMILE ZOLA" finds "émile zola" on every database (SQLite's iexact folds only ASCII).
    speaker, _ = Speaker.objects.get_or_create(document=document, name_key=speaker_key(name),
                                               defaults={"name": name, "created_by": by})
    return speaker


def _snapshot(speaker: Speaker) -> dict[str, object]:
    return {"name": speaker.name, "kind": speaker.kind}


def rename_speaker(speaker: Speaker, *, name: str | None = None, kind: str | None = None,
                   expected_name: str | None = None, by: AbstractBaseUser) -> Speaker:
    """Give `speaker` a new name and/or kind. The name must stay unique in its document.
    With `expected_name` (the name the client showed), a rename made meanwhile by someone
    else is refused (StaleSpeaker) instead of silently overwritten."""
    new_name = speaker.name if name is None else tidy_speaker_name(name)
    new_kind = speaker.kind if kind is None else kind
    if not speaker_key(new_name):  # nothing visible: a zero-width space is no name either
        raise SpeakerChangeInvalid("a speaker needs a name")
    if len(new_name) > NAME_MAX_LENGTH:
        raise SpeakerChangeInvalid(f"a speaker's name is at most {NAME_MAX_LENGTH} characters")
    if new_kind not in Speaker.Kind.values:
        raise SpeakerChangeInvalid(f"kind must be one of {', '.join(Speaker.Kind.values)}")
    with transaction.atomic():
        locked = Speaker.objects.select_for_update().select_related("document__project").get(pk=speaker.pk)
        if expected_name is not None and locked.name != expected_name:
            raise StaleSpeaker(locked)
        # By key, as the review page matches a selected name to a speaker: two speakers
        # differing only in case could not be told apart there.
        existing = (Speaker.objects.filter(document_id=locked.document_id, name_key=speaker_key(new_name))
                    .exclude(pk=locked.pk).first())
        if existing is not None:
            raise SpeakerNameTaken(existing)
        before = _snapshot(locked)
        if before == {"name": new_name, "kind": new_kind}:
            return locked
        locked.name, locked.kind = new_name, new_kind
        locked.save(update_fields=["name", "kind"])
        audit_record(project=locked.document.project, actor=by, action="speaker.rename", obj=locked,
                     before=before, after=_snapshot(locked))
    return locked


def merge_speakers(source: Speaker, *, into: Speaker, by: AbstractBaseUser) -> Speaker:
    """Point every claim and suggestion of `source` at `into`, then delete `source`.

    Both must be speakers of the same document. A redirect records where `source` went, so a
    page still holding it saves its claims to `into` (see `merged_into`); the audit event is
    the history."""
    if source.pk == into.pk:
        raise SpeakerChangeInvalid("a speaker cannot be merged into itself")
    with transaction.atomic():
        # Lock both rows in a fixed order so two crossing merges cannot deadlock.
        locked = {s.pk: s for s in Speaker.objects.select_for_update().select_related("document__project")
                  .filter(pk__in=[source.pk, into.pk]).order_by("pk")}
        if len(locked) != 2:
            raise SpeakerChangeInvalid("one of the two speakers no longer exists; reload the page")
        source, into = locked[source.pk], locked[into.pk]
        if source.document_id != into.document_id:
            raise SpeakerChangeInvalid("speakers of different documents cannot be merged")
        moved_annotations = Annotation.objects.filter(speaker=source).update(speaker=into)
        moved_suggestions = Suggestion.objects.filter(speaker=source).update(speaker=into)
        # Speakers merged into `source` earlier now lead to `into` too: every redirect points at
        # a speaker that exists, so following one is a single lookup, never a chain.
        SpeakerRedirect.objects.filter(speaker=source).update(speaker=into)
        SpeakerRedirect.objects.create(document_id=into.document_id, old_speaker_id=source.pk, speaker=into)
        audit_record(project=into.document.project, actor=by, action="speaker.merge", obj=into,
                     before={"merged": _snapshot(source) | {"id": source.pk}, "into": _snapshot(into)},
                     after={"into": _snapshot(into) | {"id": into.pk}, "annotations": moved_annotations,
                            "suggestions": moved_suggestions})
        source.delete()
    return into


def merged_into(document: Document, speaker_ids: set[int]) -> dict[int, int]:
    """{merged speaker id: the speaker of `document` it was merged into}, for those of
    `speaker_ids` that a reviewer merged away; ids never merged are left out.

    A page opened before a merge still sends the merged speaker's id. The merge said the two
    are one, so that page's claims belong where the merge moved everyone else's. Merges of
    merges (A into B, then B into C) are already followed to the end by `merge_speakers`: one
    query, on the redirects' unique (document, old_speaker_id) index.
    """
    return dict(SpeakerRedirect.objects.filter(document=document, old_speaker_id__in=speaker_ids)
                .values_list("old_speaker_id", "speaker_id"))
