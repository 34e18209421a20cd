"""Saving a person's work on a sentence, with optimistic locking against lost updates."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from annotate.models import (
    Annotation,
    AnnotationStatus,
    AuditEvent,
    Document,
    Sentence,
    SentenceAnnotation,
    Speaker,
    StanceLabel,
    Suggestion,
)
from annotate.services.audit import audit_record
from annotate.services.speakers import merged_into, speaker_key, speaker_named

Span = tuple[int, int]


class AnnotationInvalid(ValueError):
    """The submitted claims do not fit the sentence or the project."""


class NothingToWithdraw(Exception):
    """There never was such work on the sentence (not: it was withdrawn meanwhile)."""


class StaleAnnotation(Exception):
    """Someone saved this sentence after the version the client edited; `current` is theirs."""

    def __init__(self, current: SentenceAnnotation | None):
        self.current = current
        super().__init__(
            "This sentence was changed meanwhile (by someone else, or by you on another page); reload to see it."
            if current is not None else
            "This work was withdrawn meanwhile (on another page, or by someone else): the sentence is suggested again."
        )


@dataclass
class ClaimInput:
    claim: Span
    speaker: Span | None = None
    cue: Span | None = None
    stance: str | None = None  # a StanceLabel.value of the project
    speaker_id: int | None = None  # a canonical Speaker of the document
    speaker_name: str | None = None  # a new canonical speaker to create
    suggestion_id: int | None = None
    # False when a client left `speaker_id` out (the API): a claim that names its suggestion and
    # keeps its speaker span then keeps the suggestion's canonical speaker (QA19: a scripted
    # accept lost it, and was counted as a correction).
    speaker_id_given: bool = True


def _check_span(name: str, span: Span | None, text_length: int) -> None:
    if span is None:
        return
    start, end = span
    if start >= end:
        raise AnnotationInvalid(f"{name} span {start}–{end} is empty or reversed: its start must come before its end")
    if not (0 <= start and end <= text_length):
        raise AnnotationInvalid(f"{name} span {start}–{end} is outside the document (0–{text_length})")


# Tries of a save that PostgreSQL ended to break a deadlock (see `retry_on_deadlock`).
DEADLOCK_ATTEMPTS = 3
T = TypeVar("T")


def retry_on_deadlock(write: Callable[[], T]) -> T:
    """Run `write` (one transaction) again when PostgreSQL ended it to break a deadlock, the
    standard remedy: two annotators naming the same new speaker at the same moment deadlocked
    on its unique index, a 500 (QA16). Only outside a caller's transaction, which the error has
    already spoilt."""
    attempts = 1
    while True:
        try:
            return write()
        except OperationalError as error:
            deadlock = getattr(error.__cause__, "sqlstate", None) == "40P01"
            if not deadlock or attempts == DEADLOCK_ATTEMPTS or transaction.get_connection().in_atomic_block:
                raise
            attempts += 1


def _overlaps(span: Span, sentence: Sentence) -> bool:
    return span[0] < sentence.end and span[1] > sentence.start


def _retired_uses_allowed(sentence: Sentence, user: AbstractBaseUser, kind: str) -> Counter[str]:
    """How many claims may carry each stance value, retired labels included: the most that any
    one version of the work this save replaces or draws on held, now or before. A retired label
    takes no new claims, but work that already has it may be saved again (a speaker corrected
    beside it) without being forced to relabel, an earlier version may be put back (z after a
    change away from it: QA19 found the undo refused and the old label lost), and gold may take
    any version of the sentence, as the reviewer sees them all. A count, not a yes or no: a
    second claim given the label beside the one that had it is a new use (QA19). An annotator's
    own work only: another's would let a blind annotator learn, from a save being refused or
    not, what the others chose."""
    versions = SentenceAnnotation.objects.filter(sentence=sentence)  # gold may take any of them
    # Earlier versions are in the audit trail: each save and withdrawal records the version before it.
    earlier = AuditEvent.objects.filter(sentence=sentence, action__in=(f"{kind}.save", f"{kind}.delete"))
    if kind == SentenceAnnotation.Kind.ANNOTATION:
        versions = versions.filter(kind=kind, annotator=user)
        earlier = earlier.filter(actor=user)
    held: list[list[str]] = [
        [claim.stance.value for claim in version.claims.all() if claim.stance_id]
        for version in versions.prefetch_related("claims__stance")
    ]
    for before in earlier.exclude(before=None).values_list("before", flat=True):
        claims_before = before.get("claims") if isinstance(before, dict) else None
        held.append([c["stance"] for c in claims_before or () if isinstance(c, dict) and c.get("stance")])
    allowed: Counter[str] = Counter()
    for stances in held:
        allowed |= Counter(stances)  # the most of each in any one version
    return allowed


def _first_version(sentence: Sentence, kind: str, user: AbstractBaseUser) -> int:
    """The version a new annotation starts at: past every version a withdrawn one of the same
    person (for gold: of the sentence) reached. A withdraw deletes the row; starting again at 1
    would let a page still holding the withdrawn version 1 write over the new work unseen.
    The withdrawn versions are read from the audit trail, which the app never deletes from."""
    withdrawn = AuditEvent.objects.filter(sentence=sentence, action=f"{kind}.delete")
    if kind == SentenceAnnotation.Kind.ANNOTATION:
        withdrawn = withdrawn.filter(actor=user)
    versions = [v for v in withdrawn.values_list("before__version", flat=True) if isinstance(v, int)]
    return max(versions, default=0) + 1


def annotation_snapshot(annotation: SentenceAnnotation | None, claims: list[Annotation] | None = None) -> dict | None:
    """A JSON-able picture of a sentence annotation, for the audit trail and stale-edit replies."""
    if annotation is None:
        return None
    if claims is None:
        claims = list(annotation.claims.select_related("stance").all())
    return {
        "status": annotation.status,
        "version": annotation.version,
        "claims": [
            {
                "speaker": c.speaker_span,
                "cue": c.cue_span,
                "claim": c.claim_span,
                "stance": c.stance.value if c.stance_id else None,
                "speaker_id": c.speaker_id,
            }
            for c in claims
        ],
    }


def _same_as_suggestions(claims: list[ClaimInput], suggestions: list[Suggestion], stances: dict[str, StanceLabel]) -> bool:
    if len(claims) != len(suggestions):
        return False
    for claim, suggestion in zip(claims, suggestions):
        if claim.speaker_id is None and claim.speaker_name:
            return False  # a new canonical speaker: the suggestion named another one
        suggested = (suggestion.speaker_span, suggestion.cue_span, suggestion.claim_span, suggestion.stance_id,
                     suggestion.speaker_id)
        stance = stances.get(claim.stance) if claim.stance else None
        # The canonical speaker counts: re-pointing "she" to another person is a correction.
        given = (claim.speaker, claim.cue, claim.claim, stance.pk if stance else None, claim.speaker_id)
        if suggested != given:
            return False
    return True


def save_sentence_annotation(
    *,
    sentence: Sentence,
    user: AbstractBaseUser,
    status: str,
    claims: list[ClaimInput],
    expected_version: int | None,
    kind: str = SentenceAnnotation.Kind.ANNOTATION,
) -> SentenceAnnotation:
    """Create or replace `user`'s annotation of `sentence`.

    `expected_version` is the version the client edited (None if it saw no annotation);
    if the stored one differs, StaleAnnotation is raised and nothing is written.
    For claims, `status` "accepted" is kept only when they equal the suggestions;
    otherwise it becomes "corrected", so acceptance figures stay honest.
    """
    if status not in AnnotationStatus.values:
        raise AnnotationInvalid(f"unknown status {status!r}")
    if status in (AnnotationStatus.NO_CLAIM, AnnotationStatus.SKIPPED) and claims:
        raise AnnotationInvalid(f"a sentence marked {status} cannot carry claims")
    if status in (AnnotationStatus.ACCEPTED, AnnotationStatus.CORRECTED) and not claims:
        raise AnnotationInvalid("at least one claim is needed; use 'no_claim' for a sentence without one")

    document = sentence.document
    text_length = len(document.text)
    target = document.effective_target  # what the stances are given toward
    stances = {label.value: label for label in StanceLabel.objects.filter(project_id=document.project_id)}
    speaker_ids = set(Speaker.objects.filter(document=document).values_list("pk", flat=True))
    # A typed name of nothing visible (a stray zero-width space) is no name, as a blank one is.
    claims = [replace(claim, speaker_name=None) if claim.speaker_name and not speaker_key(claim.speaker_name) else claim
              for claim in claims]
    suggestions = list(sentence.suggestions.all())
    suggested = {s.pk: s for s in suggestions}
    claims = [replace(claim, speaker_id=suggested[claim.suggestion_id].speaker_id)
              if not claim.speaker_id_given and claim.speaker_name is None and claim.suggestion_id in suggested
              and claim.speaker == suggested[claim.suggestion_id].speaker_span else claim
              for claim in claims]
    # A page opened before a reviewer merged a speaker still names the merged one: its claims
    # go where the merge moved everyone else's, instead of losing the user's edit to an error.
    claims = _following_merges(document, claims, speaker_ids)
    # A claim repeated in every part says nothing new, and would be exported and counted in
    # agreement twice (QA16). It is dropped rather than refused: the review page makes one
    # for a moment when a claim is added (a copy of the sentence-wide claim, to be narrowed).
    distinct: dict[tuple, ClaimInput] = {}
    for claim in claims:
        distinct.setdefault((claim.claim, claim.speaker, claim.cue, claim.stance, claim.speaker_id, claim.speaker_name), claim)
    claims = list(distinct.values())
    suggestion_ids = set(suggested)
    allowed: Counter[str] | None = None  # read once, and only if a claim has a retired label
    retired_uses: Counter[str] = Counter()
    for claim in claims:
        _check_span("claim", claim.claim, text_length)
        _check_span("speaker", claim.speaker, text_length)
        _check_span("cue", claim.cue, text_length)
        # Filed under the sentence of its claim, or of its cue: a quotation the parser ended
        # before '..., a narrator asks.' is filed, as pre-annotation files it, where its cue
        # stands (QA16: such suggestions could not be accepted as shown).
        if not (_overlaps(claim.claim, sentence) or claim.cue is not None and _overlaps(claim.cue, sentence)):
            raise AnnotationInvalid("the claim span (or its cue) must overlap the sentence it is filed under")
        if claim.stance is not None:
            label = stances.get(claim.stance)
            if label is None:
                raise AnnotationInvalid(f"unknown stance label {claim.stance!r}")
            if label.retired:
                if allowed is None:
                    allowed = _retired_uses_allowed(sentence, user, kind)
                retired_uses[label.value] += 1
                if retired_uses[label.value] > allowed[label.value]:
                    raise AnnotationInvalid(f"the stance label {label.name!r} is retired: choose another")
        if claim.speaker_id is not None and claim.speaker_id not in speaker_ids:
            raise AnnotationInvalid(f"speaker {claim.speaker_id} is not a speaker of this document: reload the page")
        if claim.suggestion_id is not None and claim.suggestion_id not in suggestion_ids:
            raise AnnotationInvalid(f"suggestion {claim.suggestion_id} does not belong to this sentence")
    if status in (AnnotationStatus.ACCEPTED, AnnotationStatus.CORRECTED):
        status = AnnotationStatus.ACCEPTED if _same_as_suggestions(claims, suggestions, stances) else AnnotationStatus.CORRECTED

    lookup = {"sentence": sentence, "kind": kind}
    if kind == SentenceAnnotation.Kind.ANNOTATION:
        lookup["annotator"] = user
    def write() -> SentenceAnnotation:
        try:
            with transaction.atomic():
                current = SentenceAnnotation.objects.select_for_update().filter(**lookup).first()
                current_version = current.version if current else None
                if current_version != expected_version:
                    raise StaleAnnotation(current)
                stored = list(current.claims.select_related("stance").order_by("position")) if current else []
                if current is not None and _unchanged(current, stored, status, claims, target):
                    # Saving what is stored (Enter after t took a version as gold) writes nothing: a
                    # second version and event identical to the first would only blur the history.
                    return current
                before = annotation_snapshot(current, stored)
                final_claims = _with_speakers_locked(document, claims)
                if current is None:
                    annotation = SentenceAnnotation.objects.create(
                        sentence=sentence, annotator=user, kind=kind, status=status, stance_target=target,
                        version=_first_version(sentence, kind, user),
                    )
                else:
                    # The version check in the WHERE clause makes the write itself refuse a
                    # concurrent save, even on databases without row locks (SQLite).
                    updated = SentenceAnnotation.objects.filter(pk=current.pk, version=current.version).update(
                        status=status, version=current.version + 1, annotator=user, updated_at=timezone.now(),
                        stance_target=target,
                    )
                    if updated != 1:
                        raise StaleAnnotation(SentenceAnnotation.objects.filter(pk=current.pk).first())
                    annotation = SentenceAnnotation.objects.get(pk=current.pk)
                    annotation.claims.all().delete()
                new_speakers: dict[str, Speaker] = {}
                rows = []
                for position, claim in enumerate(final_claims):
                    speaker_id = claim.speaker_id
                    if speaker_id is None and claim.speaker_name:
                        key = speaker_key(claim.speaker_name)
                        if key not in new_speakers:
                            new_speakers[key] = speaker_named(document, claim.speaker_name, by=user)
                        speaker_id = new_speakers[key].pk
                    rows.append(
                        Annotation(
                            sentence_annotation=annotation,
                            position=position,
                            **Annotation.span_values(claim.claim, claim.speaker, claim.cue),
                            stance=stances[claim.stance] if claim.stance else None,
                            speaker_id=speaker_id,
                            suggestion_id=claim.suggestion_id,
                        )
                    )
                Annotation.objects.bulk_create(rows)
                audit_record(
                    project=document.project,
                    actor=user,
                    action=f"{kind}.save",
                    obj=annotation,
                    sentence=sentence,
                    before=before,
                    after=annotation_snapshot(annotation, rows),
                )
        except IntegrityError:
            # Two first saves raced; the unique constraint let only one through.
            raise StaleAnnotation(SentenceAnnotation.objects.filter(**lookup).first()) from None
        return annotation

    return retry_on_deadlock(write)


def _with_speakers_locked(document: Document, claims: list[ClaimInput]) -> list[ClaimInput]:
    """`claims`, with the canonical speakers they name locked until the save commits, as
    `merge_speakers` locks them: a merge then waits for the save (and moves its claims too), or
    the save waits for the merge and follows it here. Checked only before the transaction, a
    speaker merged meanwhile failed the save's foreign key at commit, which read as a race of
    two first saves: a 409 saying the work was withdrawn (QA19, on PostgreSQL)."""
    named = {claim.speaker_id for claim in claims if claim.speaker_id is not None}
    if not named:
        return claims
    present = set(Speaker.objects.select_for_update().filter(pk__in=named).values_list("pk", flat=True))
    followed = _following_merges(document, claims, present)
    if gone := {claim.speaker_id for claim in followed if claim.speaker_id in named - present}:
        raise AnnotationInvalid(f"speaker {min(gone)} is not a speaker of this document: reload the page")
    return followed


def _following_merges(document: Document, claims: list[ClaimInput], present: set[int]) -> list[ClaimInput]:
    """`claims`, each naming a speaker not `present` that a reviewer merged away naming the one
    it was merged into instead (`merged_into`); others as they were."""
    gone = {claim.speaker_id for claim in claims if claim.speaker_id is not None} - present
    if not gone:
        return claims
    moved = merged_into(document, gone)
    return [replace(claim, speaker_id=moved[claim.speaker_id]) if claim.speaker_id in moved else claim
            for claim in claims]


def _unchanged(current: SentenceAnnotation, stored: list[Annotation], status: str, claims: list[ClaimInput],
               target: str) -> bool:
    # A save toward a target changed since is no repeat: it gives the stances toward the new one.
    if current.status != status or current.stance_target != target:
        return False
    if any(claim.speaker_id is None and claim.speaker_name for claim in claims):
        return False
    return [(a.claim_span, a.speaker_span, a.cue_span, a.stance.value if a.stance_id else None, a.speaker_id,
             a.suggestion_id) for a in stored] == [(c.claim, c.speaker, c.cue, c.stance, c.speaker_id, c.suggestion_id)
                                                   for c in claims]


def delete_sentence_annotation(
    *,
    sentence: Sentence,
    user: AbstractBaseUser,
    expected_version: int,
    kind: str = SentenceAnnotation.Kind.ANNOTATION,
) -> None:
    """Withdraw `user`'s annotation of `sentence` (for gold: the sentence's adjudication).

    The sentence is then "suggested" again, as if nobody had worked on it: this is how an
    undo back past the first save leaves no human work behind. The audit trail keeps the
    event. `expected_version` is the version the client holds; if the stored one differs
    (or is gone), StaleAnnotation is raised and nothing is deleted.
    """
    lookup = {"sentence": sentence, "kind": kind}
    if kind == SentenceAnnotation.Kind.ANNOTATION:
        lookup["annotator"] = user
    with transaction.atomic():
        current = SentenceAnnotation.objects.select_for_update().filter(**lookup).first()
        if current is None:
            saved = AuditEvent.objects.filter(sentence=sentence, action=f"{kind}.save")
            if kind == SentenceAnnotation.Kind.ANNOTATION:
                saved = saved.filter(actor=user)
            if not saved.exists():  # QA19: "withdrawn meanwhile" for work that never was
                raise NothingToWithdraw(
                    "there is no gold version of this sentence to withdraw" if kind == SentenceAnnotation.Kind.ADJUDICATION
                    else "you have no work on this sentence to withdraw")
        if current is None or current.version != expected_version:
            raise StaleAnnotation(current)
        before = annotation_snapshot(current)
        # As in saving, the version check is in the WHERE clause of a write, so a concurrent
        # save is refused even without row locks (SQLite). A delete cannot carry it: Django
        # reads the rows and then deletes its claims and it by id.
        claimed = SentenceAnnotation.objects.filter(pk=current.pk, version=current.version).update(
            version=F("version") + 1
        )
        if claimed != 1:
            raise StaleAnnotation(SentenceAnnotation.objects.filter(pk=current.pk).first())
        SentenceAnnotation.objects.filter(pk=current.pk).delete()
        audit_record(
            project=sentence.document.project,
            actor=user,
            action=f"{kind}.delete",
            obj=current,
            sentence=sentence,
            before=before,
        )
