"""Sentence records: the one shape every export format is written from.

Field names are the same in JSON, JSONL and CSV (see the README's "Export fields").
"""
from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from annotate.models import Annotation, Project, Sentence, SentenceAnnotation, Suggestion
from annotate.selectors import export_sentences


def _span_text(text: str, span: tuple[int, int] | None) -> str | None:
    return text[span[0]:span[1]] if span is not None else None


def _span_fields(prefix: str, text: str, span: tuple[int, int] | None) -> dict[str, Any]:
    start, end = span if span is not None else (None, None)
    return {f"{prefix}_text": _span_text(text, span), f"{prefix}_start": start, f"{prefix}_end": end}


def claim_record(text: str, claim: Annotation | Suggestion) -> dict[str, Any]:
    return {
        **_span_fields("speaker", text, claim.speaker_span),
        "speaker_canonical": claim.speaker.name if claim.speaker_id else None,
        "speaker_is_author": claim.is_author,
        **_span_fields("cue", text, claim.cue_span),
        **_span_fields("claim", text, claim.claim_span),
        "stance": claim.stance.value if claim.stance_id else None,
    }


def suggestion_record(text: str, suggestion: Suggestion) -> dict[str, Any]:
    return {
        **claim_record(text, suggestion),
        "speaker_confidence": suggestion.speaker_confidence,
        "cue_confidence": suggestion.cue_confidence,
        "claim_confidence": suggestion.claim_confidence,
        "stance_confidence": suggestion.stance_confidence,
        "model": f"{suggestion.model_name} {suggestion.model_version}",
        "stance_model": suggestion.stance_model,
        "stance_rule": suggestion.stance_rule,
        # What the stance was suggested toward: a worked sentence keeps its suggestions through a
        # target change, so this may be an earlier target than the sentence's `stance_target`.
        "stance_target": suggestion.stance_target,
    }


def annotation_record(text: str, annotation: SentenceAnnotation) -> dict[str, Any]:
    return {
        "annotator": annotation.annotator.get_username(),
        "kind": annotation.kind,
        "status": annotation.status,
        "version": annotation.version,
        "annotated_at": annotation.updated_at.isoformat(),
        # The target the stances were given toward, which `stance_target` (today's) may not be.
        "annotated_target": annotation.stance_target,
        "claims": [
            {**claim_record(text, claim), "suggestion_id": claim.suggestion_id} for claim in annotation.claims.all()
        ],
    }


def sentence_record(sentence: Sentence, project_target: str = "") -> dict[str, Any]:
    """`project_target` is the project's stance target, for documents without their own."""
    document = sentence.document
    text = document.text
    return {
        "document_id": document.pk,
        "document_title": document.title,
        "document_url": document.source_url or None,  # unset is null, as the author and date are
        # What joins an exported corpus back to the researcher's source rows (meta holds the
        # extra keys of the imported line, such as the row's own id).
        "document_author": document.author or None,
        "document_published": document.published.isoformat() if document.published else None,
        "document_meta": document.meta or {},
        "stance_target": document.stance_target or project_target,
        "sentence_index": sentence.index,
        "sentence_start": sentence.start,
        "sentence_end": sentence.end,
        "sentence_text": text[sentence.start : sentence.end],
        "suggestions": [
            {**suggestion_record(text, suggestion), "suggestion_id": suggestion.pk}
            for suggestion in sentence.suggestions.all()
        ],
        "annotations": [annotation_record(text, annotation) for annotation in sentence.annotations.all()],
    }


def iter_sentence_records(
    project: Project, *, annotator: AbstractBaseUser | None = None, gold_only: bool = False, chunk_size: int = 500
) -> Iterator[dict[str, Any]]:
    """One record per sentence; with `gold_only`, per adjudicated sentence: one no reviewer has
    decided is no part of a gold corpus (QA22: it came as a row or line of no work, for every
    reader to filter out)."""
    sentences = export_sentences(project, annotator=annotator, gold_only=gold_only)
    for sentence in sentences.iterator(chunk_size=chunk_size):
        if gold_only and not sentence.annotations.all():  # prefetched: its gold version, if any
            continue
        yield sentence_record(sentence, project.stance_target)


def iter_attribution_documents(
    project: Project, *, annotator: AbstractBaseUser | None = None, gold_only: bool = False, chunk_size: int = 500
) -> Iterator[dict[str, Any]]:
    """One document per record in the gold attribution format of `shared/data` (what
    `train_attribution` reads): the gold version of each sentence, else the first
    annotator's; author statements (no speaker, no cue) are not attributions.
    `annotator` and `gold_only` narrow the work read, as in `export_sentences`.

    Only documents whose every sentence was decided (claims, or "no claim") are written:
    the format cannot say "not reviewed", so a sentence nobody decided would read as one
    without attributions and teach `train_attribution` to miss its claims."""
    sentences = export_sentences(project, annotator=annotator, gold_only=gold_only).iterator(chunk_size=chunk_size)
    for document, group in groupby(sentences, key=lambda sentence: sentence.document):
        attributions = []
        reviewed = True
        for sentence in group:
            works = [w for w in sentence.annotations.all() if w.status in ("accepted", "corrected", "no_claim")]
            chosen = next((w for w in works if w.kind == "adjudication"), None) or next(iter(works), None)
            if chosen is None:
                reviewed = False
                continue  # the rest of the group is still consumed
            for claim in chosen.claims.all():
                if claim.is_author:
                    continue
                attributions.append({
                    "source": claim.speaker_span,
                    "cue": claim.cue_span,
                    "content": claim.claim_span,
                    "source_text": _span_text(document.text, claim.speaker_span),
                    "cue_text": _span_text(document.text, claim.cue_span),
                    "content_text": _span_text(document.text, claim.claim_span),
                    "source_reference": claim.speaker.name if claim.speaker_id else None,
                    "annotator": chosen.annotator.get_username(),
                    "kind": chosen.kind,
                })
        if not reviewed:
            continue
        # The project's quote guideline travels with its documents, so that training on
        # them (and `predict` over them) reads resumed quotations the way its annotators did.
        yield {"id": f"claimdesk:{document.pk}", "source_dataset": f"claimdesk:{project.name}",
               "quote_convention": project.quote_convention,
               "text": document.text, "title": document.title, "attributions": attributions}
