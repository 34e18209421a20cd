"""Run the NLP pipeline over documents and store its output as sentences and suggestions."""
from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator
from spacy.language import Language

from annotate.models import (
    GOING_STATUSES,
    AnnotationStatus,
    Document,
    Project,
    Sentence,
    SentenceAnnotation,
    Speaker,
    StanceLabel,
    StanceModel,
    Suggestion,
    SuggestionRefresh,
)
from annotate.nlp.pipeline import load_pipeline, preannotate
from annotate.nlp.stance import load_stance_classifier
from annotate.nlp.types import CharSpan, ClaimPrediction, DocumentPrediction
from annotate.selectors import rules_labels
from annotate.services.audit import actor_or_none, audit_record
from annotate.services.speakers import NAME_MAX_LENGTH, speaker_key, tidy_speaker_name

logger = logging.getLogger(__name__)


def app_pipeline() -> Language:
    """The process-wide pipeline, one for every project: a project's stance model is
    chosen per document (`preannotate(stance_model=...)`), not loaded into it."""
    return load_pipeline(settings.CLAIMDESK_SPACY_MODEL, settings.CLAIMDESK_ATTRIBUTION_MODEL or None)


def usable_stance_model_dir(project: Project) -> str | None:
    """The folder of the project's trained stance model, if it has one that loads; else None (the rules).

    A model that can no longer be loaded (its folder is gone, or it was made by an older
    feature version) must not stop imports: the rules take over, which every suggestion
    records, and the problem is logged so an admin retrains. Loading it here also leaves it
    in the stance component's cache, where the pipeline finds it.
    """
    stance_model_dir = project_stance_model_dir(project)
    if stance_model_dir:
        try:
            load_stance_classifier(stance_model_dir)
        except (OSError, ValueError) as error:
            logger.error("project %s: stance model %s unusable (%s); using the rules", project.pk, stance_model_dir, error)
            return None
    return stance_model_dir


def project_stance_model_dir(project: Project) -> str | None:
    active = StanceModel.objects.filter(project=project, is_active=True).only("path").first()
    return active.path if active is not None else None


def predict_documents(documents: Sequence[Document]) -> list[DocumentPrediction]:
    """Pre-annotate unsaved or saved documents, batching those of the same project."""
    predictions: list[DocumentPrediction | None] = [None] * len(documents)
    by_project: dict[int, list[int]] = {}
    for position, document in enumerate(documents):
        by_project.setdefault(document.project_id, []).append(position)
    for positions in by_project.values():
        project = documents[positions[0]].project
        project_labels = list(project.labels.all())
        # The rules choose among these by meaning (a project without a neutral label always gets a side).
        labels = rules_labels(project_labels)
        results = preannotate(
            app_pipeline(),
            (documents[p].text for p in positions),
            targets=(documents[p].effective_target for p in positions),
            quote_conventions=(project.quote_convention for _ in positions),
            labels=labels,
            stance_model=usable_stance_model_dir(project),
            offered=[label.value for label in project_labels if not label.retired],
            batch_size=settings.CLAIMDESK_NLP_BATCH_SIZE,
        )
        for position, prediction in zip(positions, results, strict=True):
            predictions[position] = prediction
    return [p for p in predictions if p is not None]


def store_predictions(documents: Sequence[Document], predictions: Sequence[DocumentPrediction]) -> None:
    """Write sentences, canonical speakers and suggestions for saved documents, in bulk."""
    if len(documents) != len(predictions):
        raise ValueError("one prediction per document is required")
    with transaction.atomic():
        sentences = [
            Sentence(document=document, index=index, start=start, end=end)
            for document, prediction in zip(documents, predictions)
            for index, (start, end) in enumerate(prediction.sentences)
        ]
        Sentence.objects.bulk_create(sentences)
        _store_suggestions(documents, predictions, sentences, speakers={})


# Documents re-suggested per transaction: a project's whole refresh in one transaction held
# SQLite's write lock for as long as its writes took, and a large one gave no sign of life
# to `close_stalled_jobs` until it ended.
REFRESH_CHUNK = 32


def refresh_documents(document_ids: Sequence[int]) -> int:
    """`refresh_suggestions` of these documents, `REFRESH_CHUNK` at a time, each chunk in a
    transaction of its own, untracked (a tracked run is `run_suggestion_refresh`'s, which takes
    its chunks from its row). Only a chunk's documents are in memory at once. Returns how many
    documents were refreshed (deleted ones are passed over).

    Stopped half-way, some documents have new suggestions and the others old ones; running it
    again makes the same suggestions for all (human work is never touched)."""
    ids = list(document_ids)
    done = 0
    for start in range(0, len(ids), REFRESH_CHUNK):
        done += refresh_chunk(ids[start:start + REFRESH_CHUNK])
    return done


def refresh_chunk(document_ids: Sequence[int]) -> int:
    """`refresh_suggestions` of these documents (a chunk: all are read at once), in one
    transaction; returns how many there were (deleted ones are passed over)."""
    chunk = list(Document.objects.filter(pk__in=document_ids).select_related("project").order_by("pk"))
    refresh_suggestions(chunk)
    return len(chunk)


def refresh_suggestions(documents: Sequence[Document]) -> None:
    """Re-run pre-annotation on already-split documents (e.g. after a new stance model).

    Sentence boundaries, canonical speakers and human work are kept, and so are the
    suggestions of every sentence someone has worked on (a skip is no work): they are what that person was
    shown, and the people-against-the-machine figures and the exports compare with them.
    For the other sentences, where the predicted claims keep their spans (a new stance
    model changes only stances), the suggestions are updated in place, keeping their ids
    and the speakers reviewers renamed or merged. A sentence whose claims changed gets new
    suggestions, whose speakers come from the old suggestion with the same speaker span (or
    another mention of that speaker) where there was one: a curated speaker is not created
    again under its predicted name.
    """
    predictions = predict_documents(documents)
    with transaction.atomic():
        sentences = list(Sentence.objects.filter(document__in=documents))
        document_of = {s.pk: s.document_id for s in sentences}
        sentences_of: dict[int, list[Sentence]] = {}
        for sentence in sentences:
            sentences_of.setdefault(sentence.document_id, []).append(sentence)
        old: dict[int, list[Suggestion]] = {}
        curated: dict[tuple[int, CharSpan], int] = {}
        for suggestion in Suggestion.objects.filter(sentence__document__in=documents).order_by("position"):
            old.setdefault(suggestion.sentence_id, []).append(suggestion)
            if suggestion.speaker_id is not None and suggestion.speaker_span is not None:
                curated[(document_of[suggestion.sentence_id], suggestion.speaker_span)] = suggestion.speaker_id
        worked_on = _worked_on(documents)
        labels = _active_labels(documents)
        kept: list[Suggestion] = []
        changed: set[int] = set()
        for document, prediction in zip(documents, predictions):
            # The stored sentences stay, but the pipeline may split differently now (a newer
            # version): file each claim under the stored sentence where it stands.
            _file_under(prediction.claims, sentences_of.get(document.pk, []))
            predicted: dict[int, list[ClaimPrediction]] = {}
            for claim in prediction.claims:
                predicted.setdefault(claim.sentence_index, []).append(claim)
            for sentence in sentences_of.get(document.pk, []):
                if sentence.pk in worked_on:
                    continue
                before, after = old.get(sentence.pk, []), predicted.get(sentence.index, [])
                if [(x.claim_span, x.speaker_span, x.cue_span) for x in before] != [(c.claim, c.speaker, c.cue) for c in after]:
                    changed.add(sentence.pk)
                    continue
                for suggestion, claim in zip(before, after):
                    for name, value in _machine_fields(claim, prediction, labels, document.project_id).items():
                        setattr(suggestion, name, value)
                    kept.append(suggestion)
        # Read again just before writing: a sentence someone saved while the pipeline ran keeps
        # what they were shown (QA16: 1 of 153 accepted suggestions changed under its annotator).
        # What is left is the instant of the writes themselves.
        late = _worked_on(documents) - worked_on
        kept = [suggestion for suggestion in kept if suggestion.sentence_id not in late]
        changed -= late
        Suggestion.objects.bulk_update(kept, fields=list(MACHINE_FIELDS), batch_size=500)
        Suggestion.objects.filter(sentence_id__in=changed).delete()
        speakers = {(s.document_id, s.name_key): s for s in Speaker.objects.filter(document__in=documents)}
        _store_suggestions(documents, predictions, [s for s in sentences if s.pk in changed], speakers, curated, labels)


def _worked_on(documents: Sequence[Document]) -> set[int]:
    """Ids of the sentences of `documents` that hold someone's work. A skip is none: it gives no
    claim or stance, and a sentence skipped is to come back with the suggestion as it is now (QA20:
    one skipped before a target change came back judging the old target, for Enter to save)."""
    return set(SentenceAnnotation.objects.filter(sentence__document__in=documents)
               .exclude(status=AnnotationStatus.SKIPPED).values_list("sentence_id", flat=True))


def _file_under(claims: Sequence[ClaimPrediction], sentences: Sequence[Sentence]) -> None:
    """Set each claim's `sentence_index` to the stored sentence holding its cue, else its
    start, as pre-annotation files it under its own sentences."""
    ordered = sorted(sentences, key=lambda sentence: sentence.start)
    starts = [sentence.start for sentence in ordered]
    for claim in claims:
        anchor = claim.cue[0] if claim.cue is not None else claim.claim[0]
        position = max(0, bisect.bisect_right(starts, anchor) - 1)
        if ordered:
            claim.sentence_index = ordered[position].index


# What pre-annotation decides about a suggestion besides its spans and speaker.
MACHINE_FIELDS = ("stance", "speaker_confidence", "cue_confidence", "claim_confidence", "stance_confidence",
                  "model_name", "model_version", "stance_model", "stance_rule", "stance_target")


def _machine_fields(
    claim: ClaimPrediction, prediction: DocumentPrediction, labels: dict[tuple[int, str], StanceLabel], project_id: int
) -> dict[str, object]:
    stance = labels.get((project_id, claim.stance)) if claim.stance else None
    return {
        "stance": stance,
        "speaker_confidence": _unit(claim.speaker_confidence),
        "cue_confidence": _unit(claim.cue_confidence),
        "claim_confidence": _unit(claim.claim_confidence),
        # A stance the project no longer offers (a trained model's retired label) is not stored,
        # and neither is a confidence in it (QA13: a blank stance showed "0.73").
        "stance_confidence": _unit(claim.stance_confidence) if stance is not None else 0.0,
        "model_name": prediction.model_name,
        "model_version": prediction.model_version,
        "stance_model": prediction.stance_model,
        # ... nor the rule behind it: no rule's suggestion stands (QA14: the rules table counted them).
        "stance_rule": claim.stance_rule if stance is not None else "",
        "stance_target": prediction.target or "",
    }


def _active_labels(documents: Sequence[Document]) -> dict[tuple[int, str], StanceLabel]:
    return {
        (label.project_id, label.value): label
        for label in StanceLabel.objects.filter(project__in={d.project_id for d in documents}, retired=False)
    }


def _store_suggestions(
    documents: Sequence[Document],
    predictions: Sequence[DocumentPrediction],
    sentences: Sequence[Sentence],
    speakers: dict[tuple[int, str], Speaker],
    curated: dict[tuple[int, CharSpan], int] | None = None,
    labels: dict[tuple[int, str], StanceLabel] | None = None,
) -> None:
    """One Suggestion per predicted claim filed under one of `sentences`.

    A claim's speaker is, in order: the speaker `curated` gives its speaker span or another
    mention of the same predicted speaker (refreshing: that is where reviewers' renames and
    merges live), the document's speaker of the predicted name (its `name_key`: case, spacing and
    Unicode form aside), or a new speaker of that name, created only for a claim that is stored."""
    curated = curated or {}
    sentence_by_key = {(s.document_id, s.index): s for s in sentences}
    labels = labels if labels is not None else _active_labels(documents)
    rows: list[Suggestion] = []
    new_speakers: list[Speaker] = []
    for document, prediction in zip(documents, predictions):
        positions: dict[int, int] = {}
        for claim in prediction.claims:
            sentence = sentence_by_key.get((document.pk, claim.sentence_index))
            if sentence is None:
                continue
            position = positions.get(sentence.index, 0)
            positions[sentence.index] = position + 1
            suggestion = Suggestion(
                sentence=sentence, position=position, **Suggestion.span_values(claim.claim, claim.speaker, claim.cue),
                **_machine_fields(claim, prediction, labels, document.project_id),
            )
            entity = prediction.speakers[claim.speaker_entity] if claim.speaker_entity is not None else None
            mentions = [claim.speaker, *(entity.mentions if entity else [])]  # CharSpan tuples, as stored spans
            kept_speaker = next((curated[(document.pk, m)] for m in mentions if (document.pk, m) in curated), None)
            if kept_speaker is not None:
                suggestion.speaker_id = kept_speaker
            elif entity is not None and speaker_key(entity.name):  # else nothing visible to name
                name = tidy_speaker_name(entity.name)[:NAME_MAX_LENGTH]
                key = (document.pk, speaker_key(name))
                if key not in speakers:
                    speakers[key] = Speaker(document=document, name=name, kind=entity.kind, from_machine=True)
                    new_speakers.append(speakers[key])
                suggestion.speaker = speakers[key]
            rows.append(suggestion)
    # The manager's bulk_create fills their name_key; Suggestion's then reads their new ids.
    Speaker.objects.bulk_create(new_speakers)
    Suggestion.objects.bulk_create(rows)


def _unit(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def resuggest_toward_new_target(project: Project, document_ids: Sequence[int], *, by: AbstractBaseUser | None = None) -> int:
    """After the stance target of these documents of `project` changed (theirs, or their
    project's): queue the re-making of their suggestions (`resuggest_documents`), so that no
    sentence goes on offering a stance judged toward the old target. Saved work is not
    touched: its stances were given toward the earlier target, and the returned number of
    sentences with work is what the admin is told of."""
    document_ids = list(document_ids)
    if not document_ids:
        return 0
    # Said with the target, so that the project page tells one change's run from another's.
    target = Document.objects.select_related("project").get(pk=document_ids[0]).effective_target
    reason = f"stance target changed to “{target}”" if target else "stance target removed"
    resuggest_documents(project, document_ids, reason=reason, by=by)
    return (SentenceAnnotation.objects.filter(sentence__document_id__in=document_ids)
            .exclude(status=AnnotationStatus.SKIPPED).values("sentence_id").distinct().count())


def resuggest_documents(project: Project, document_ids: Sequence[int], *, reason: str,
                        by: AbstractBaseUser | None = None) -> SuggestionRefresh | None:
    """Queue the re-making of these documents' suggestions for the task worker, once the current
    transaction commits, as a tracked `SuggestionRefresh` (the project page follows it, and one
    whose worker dies is started again), and record why. Ids, not documents: a project's
    documents may be many and long, and only the worker reads their texts.

    The project's refreshes still going leave these documents to the new one (`_take_over`):
    each would re-make them alike, and a target changed twice in a row had both runs work
    through the same documents."""
    from annotate.tasks import suggestion_refresh_task  # tasks import this module

    ids = list(dict.fromkeys(document_ids))
    if not ids:
        return None
    # Cut to what the row keeps: a reason names a target, which may be long.
    reason = Truncator(reason).chars(SuggestionRefresh._meta.get_field("reason").max_length)
    with transaction.atomic():
        taken = _take_over(project, ids)
        refresh = SuggestionRefresh.objects.create(project=project, reason=reason, documents=ids, total=len(ids),
                                                   created_by=actor_or_none(by))
        after = {"documents": ids, "reason": reason, "refresh": refresh.pk}
        if taken:
            after["taken_over"] = taken
        audit_record(project=project, actor=by, action="suggestions.resuggest", obj=project, after=after)
        transaction.on_commit(lambda: suggestion_refresh_task.enqueue(refresh.pk, refresh.attempt))
    return refresh


def _take_over(project: Project, ids: Sequence[int]) -> dict[str, int]:
    """Take `ids` off the documents left to the project's refreshes still going, and return how
    many each gave up (by refresh id, as JSON keys). One left with nothing to do is done. Their
    workers read what is left from the row at each chunk (`run_suggestion_refresh`), so they
    leave these out from their next chunk on. Not their `updated_at`: that is their worker's
    heartbeat, which this is not."""
    wanted = set(ids)
    taken: dict[str, int] = {}
    # In id order, as `close_stalled_jobs` locks them, so that the two never deadlock.
    for older in SuggestionRefresh.objects.select_for_update().filter(project=project, status__in=GOING_STATUSES).order_by("pk"):
        left = [pk for pk in older.documents if pk not in wanted]
        removed = len(older.documents) - len(left)
        if not removed:
            continue
        taken[str(older.pk)] = removed
        older.documents, older.total = left, older.total - removed  # what is left was never counted in `processed`
        older.taken_over += removed
        fields = ["documents", "total", "taken_over", "message"]
        if left:
            older.message = f"{older.message} A later refresh took over {removed} of its documents.".lstrip()
        else:
            older.status, older.finished_at = SuggestionRefresh.Status.DONE, timezone.now()
            older.updated_at = older.finished_at
            older.message = ("A later refresh took over its documents." if not older.processed else
                             refresh_done_message(older))
            fields += ["status", "finished_at", "updated_at"]
        older.save(update_fields=fields)
    return taken


class RefreshRefused(Exception):
    """A refresh asked for cannot start; the message says why."""


def resuggest_project(project: Project, *, by: AbstractBaseUser | None = None) -> SuggestionRefresh:
    """Re-make the suggestions of all the project's documents, as asked for by an admin: after
    an upgrade of ClaimDesk's rules, or to finish a refresh that stopped. Saved work is kept, as
    in every refresh. One such run at a time per project: a second would only repeat it."""
    from annotate.services.jobs import close_stalled_jobs  # it imports the models this module does

    close_stalled_jobs(project)  # a refresh whose worker died would refuse this one for good
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)  # two clicks at once start one run
        if SuggestionRefresh.objects.filter(project=project, status__in=GOING_STATUSES).exists():
            raise RefreshRefused("the suggestions are already being re-made; the project page shows how far")
        ids = list(project.documents.order_by("pk").values_list("pk", flat=True))
        if not ids:
            raise RefreshRefused("the project has no documents yet")
        refresh = resuggest_documents(project, ids, reason="asked for by an admin", by=by)
    assert refresh is not None
    return refresh


class _Superseded(Exception):
    """The run was started again (its worker thought dead), or ended by a later refresh that took
    over its documents: this task leaves it alone."""


def run_suggestion_refresh(refresh_id: int, attempt: int) -> SuggestionRefresh:
    """Re-make the suggestions of a queued `SuggestionRefresh`'s documents, `REFRESH_CHUNK` at a
    time, keeping the documents left and the progress on its row after each chunk. Does nothing
    for a run already ended or started again since this task was queued (`attempt`).

    Each chunk is taken from the row as it is then, not from the documents it had at the start:
    a later refresh may have taken some over meanwhile (`resuggest_documents`)."""
    with transaction.atomic():
        refresh = SuggestionRefresh.objects.select_for_update().get(pk=refresh_id)
        if refresh.attempt != attempt or not refresh.is_going:
            return refresh
        refresh.status, refresh.updated_at = SuggestionRefresh.Status.RUNNING, timezone.now()
        if attempt > 1:  # no longer "did its worker stop?"
            refresh.message = (f"Going on with the {refresh.total - refresh.processed} documents left "
                               f"(start {attempt} of {SuggestionRefresh.MAX_ATTEMPTS}).")
        refresh.save(update_fields=["status", "message", "updated_at"])
    done_before, refreshed = refresh.processed, 0
    try:
        while chunk := _next_chunk(refresh_id, attempt):
            refreshed += refresh_chunk(chunk)
            _chunk_done(refresh_id, attempt, chunk)
    except _Superseded:
        return SuggestionRefresh.objects.get(pk=refresh_id)
    except Exception as error:  # the row must say what happened; refreshed chunks stay refreshed
        logger.exception("suggestion refresh %s failed", refresh_id)
        return _end_refresh(refresh_id, attempt, SuggestionRefresh.Status.FAILED, None,
                            f"Stopped: {error}. The documents not reached keep the suggestions they had; saved "
                            "work is untouched.")
    audit_record(project=refresh.project, actor=None, action="suggestions.refresh", obj=refresh.project,
                 after={"documents": done_before + refreshed, "reason": refresh.reason, "refresh": refresh.pk})
    # Its total is less, if some were taken over meanwhile.
    ended = SuggestionRefresh.objects.only("total", "taken_over", "reason").get(pk=refresh_id)
    return _end_refresh(refresh_id, attempt, SuggestionRefresh.Status.DONE, [], refresh_done_message(ended))


def refresh_done_message(refresh: SuggestionRefresh) -> str:
    """What a refresh that went through says: how many documents it re-made, and how many a
    later refresh took over from it."""
    message = f"Re-made the suggestions of {refresh.total} document(s) ({refresh.reason})"
    return message + (f"; a later refresh took over the other {refresh.taken_over}." if refresh.taken_over else ".")


def _next_chunk(refresh_id: int, attempt: int) -> list[int]:
    """The first `REFRESH_CHUNK` ids of the documents the run has left; none when it is through."""
    with transaction.atomic():
        row = SuggestionRefresh.objects.select_for_update().only("attempt", "status", "documents").get(pk=refresh_id)
        if row.attempt != attempt or not row.is_going:
            raise _Superseded
        return list(row.documents[:REFRESH_CHUNK])


def _chunk_done(refresh_id: int, attempt: int, chunk: Sequence[int]) -> None:
    """Take a refreshed chunk off the documents the run has left and count it. Only the ids
    still there: those a later refresh took over meanwhile left the run's `total` with them."""
    with transaction.atomic():
        row = SuggestionRefresh.objects.select_for_update().get(pk=refresh_id)
        if row.attempt != attempt or not row.is_going:
            raise _Superseded
        refreshed = set(chunk)
        left = [pk for pk in row.documents if pk not in refreshed]
        row.processed += len(row.documents) - len(left)
        row.documents, row.updated_at = left, timezone.now()
        row.save(update_fields=["documents", "processed", "updated_at"])


def _end_refresh(refresh_id: int, attempt: int, status: str, documents: list[int] | None, message: str) -> SuggestionRefresh:
    with transaction.atomic():
        refresh = SuggestionRefresh.objects.select_for_update().get(pk=refresh_id)
        if refresh.attempt != attempt or not refresh.is_going:
            return refresh
        refresh.status, refresh.message = status, message
        if documents is not None:
            refresh.documents, refresh.processed = documents, refresh.total
        refresh.finished_at = refresh.updated_at = timezone.now()
        refresh.save(update_fields=["status", "message", "documents", "processed", "finished_at", "updated_at"])
    return refresh
