"""Run the NLP pipeline over documents and store its output as sentences and suggestions."""
from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from spacy.language import Language

from annotate.models import Document, Project, Sentence, Speaker, StanceLabel, StanceModel, Suggestion
from annotate.nlp.pipeline import load_pipeline, preannotate
from annotate.nlp.stance import load_stance_classifier
from annotate.nlp.types import DocumentPrediction

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
        # The rules choose among these (a project without "neutral" always gets a side).
        labels = [label.value for label in project.labels.all() if not label.retired]
        results = preannotate(
            app_pipeline(),
            (documents[p].text for p in positions),
            targets=(documents[p].effective_target for p in positions),
            quote_conventions=(project.quote_convention for _ in positions),
            labels=labels,
            stance_model=usable_stance_model_dir(project),
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


def refresh_suggestions(documents: Sequence[Document]) -> None:
    """Replace the machine suggestions of already-split documents (e.g. after a new stance model).

    Sentence boundaries, canonical speakers and human work are kept; only suggestions are rewritten.
    """
    predictions = predict_documents(documents)
    with transaction.atomic():
        Suggestion.objects.filter(sentence__document__in=documents).delete()
        sentences = list(Sentence.objects.filter(document__in=documents))
        speakers = {(s.document_id, s.name): s for s in Speaker.objects.filter(document__in=documents)}
        _store_suggestions(documents, predictions, sentences, speakers)


def _store_suggestions(
    documents: Sequence[Document],
    predictions: Sequence[DocumentPrediction],
    sentences: Sequence[Sentence],
    speakers: dict[tuple[int, str], Speaker],
) -> None:
    """Create the speakers not yet in `speakers`, then one Suggestion per predicted claim."""
    new_speakers = []
    for document, prediction in zip(documents, predictions):
        for entity in prediction.speakers:
            key = (document.pk, entity.name[:300])
            if key not in speakers:
                speakers[key] = Speaker(document=document, name=key[1], kind=entity.kind)
                new_speakers.append(speakers[key])
    Speaker.objects.bulk_create(new_speakers)

    sentence_by_key = {(s.document_id, s.index): s for s in sentences}
    labels = {
        (label.project_id, label.value): label
        for label in StanceLabel.objects.filter(project__in={d.project_id for d in documents}, retired=False)
    }
    rows: list[Suggestion] = []
    for document, prediction in zip(documents, predictions):
        positions: dict[int, int] = {}
        for claim in prediction.claims:
            sentence = sentence_by_key.get((document.pk, claim.sentence_index))
            if sentence is None:
                continue
            position = positions.get(sentence.index, 0)
            positions[sentence.index] = position + 1
            entity = prediction.speakers[claim.speaker_entity] if claim.speaker_entity is not None else None
            rows.append(
                Suggestion(
                    sentence=sentence,
                    position=position,
                    **Suggestion.span_values(claim.claim, claim.speaker, claim.cue),
                    speaker=speakers.get((document.pk, entity.name[:300])) if entity else None,
                    stance=labels.get((document.project_id, claim.stance)) if claim.stance else None,
                    speaker_confidence=_unit(claim.speaker_confidence),
                    cue_confidence=_unit(claim.cue_confidence),
                    claim_confidence=_unit(claim.claim_confidence),
                    stance_confidence=_unit(claim.stance_confidence),
                    model_name=prediction.model_name,
                    model_version=prediction.model_version,
                    stance_model=prediction.stance_model,
                )
            )
    Suggestion.objects.bulk_create(rows)


def _unit(value: float) -> float:
    return min(1.0, max(0.0, float(value)))
