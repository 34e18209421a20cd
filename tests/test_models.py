"""Invariants the database itself enforces."""
from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from annotate.models import AuditEvent, Document, Sentence, SentenceAnnotation, StanceLabel, Suggestion


def test_new_project_has_default_labels(project):
    assert [(label.key, label.value) for label in project.labels.order_by("key")] == [
        ("1", "support"), ("2", "oppose"), ("3", "neutral")
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"claim_start": 5, "claim_end": 5},
        {"claim_start": 1, "claim_end": 5, "speaker_start": 3, "speaker_end": None},
        {"claim_start": 1, "claim_end": 5, "cue_start": 4, "cue_end": 2},
    ],
)
def test_suggestion_spans_are_checked(document, fields):
    sentence = document.sentences.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.create(sentence=sentence, position=99, model_name="t", model_version="1", **fields)


def test_confidence_must_be_a_probability(document):
    sentence = document.sentences.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.create(
            sentence=sentence, position=99, claim_start=0, claim_end=3, claim_confidence=1.5, model_name="t", model_version="1"
        )


def test_attribution_confidence_leaves_the_stance_and_an_absent_speaker_out():
    author = Suggestion(claim_start=0, claim_end=5, claim_confidence=0.9, stance_confidence=0.25)
    assert (author.attribution_confidence, author.confidence) == (0.9, 0.25)
    quoted = Suggestion(speaker_start=0, speaker_end=2, cue_start=3, cue_end=4, claim_start=5, claim_end=9,
                        speaker_confidence=0.4, cue_confidence=0.8, claim_confidence=0.9, stance_confidence=0.6)
    assert (quoted.attribution_confidence, quoted.confidence) == (0.4, 0.4)


def test_sentence_offsets_must_be_ordered(document):
    with pytest.raises(IntegrityError), transaction.atomic():
        Sentence.objects.create(document=document, index=99, start=10, end=10)


def test_same_text_twice_in_a_project_is_refused(document):
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(project=document.project, title="again", text=document.text, text_sha256=document.text_sha256)


def test_empty_document_text_is_refused(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(project=project, title="empty", text="", text_sha256="x")


def test_label_key_must_be_a_digit(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        StanceLabel.objects.create(project=project, value="other", name="Other", key="q")


def test_label_in_use_cannot_be_deleted(document):
    suggestion = Suggestion.objects.filter(sentence__document=document, stance__isnull=False).first()
    assert suggestion is not None, "the sample should get at least one stance suggestion"
    with pytest.raises(ProtectedError):
        suggestion.stance.delete()


def test_one_annotation_per_annotator_and_sentence(document, people):
    sentence = document.sentences.first()
    SentenceAnnotation.objects.create(sentence=sentence, annotator=people["annotator"], status="no_claim")
    with pytest.raises(IntegrityError), transaction.atomic():
        SentenceAnnotation.objects.create(sentence=sentence, annotator=people["annotator"], status="skipped")


def test_only_one_gold_annotation_per_sentence(document, people):
    sentence = document.sentences.first()
    SentenceAnnotation.objects.create(sentence=sentence, annotator=people["reviewer"], kind="adjudication", status="no_claim")
    with pytest.raises(IntegrityError), transaction.atomic():
        SentenceAnnotation.objects.create(sentence=sentence, annotator=people["admin"], kind="adjudication", status="no_claim")


def test_audit_events_are_append_only(document):
    event = AuditEvent.objects.filter(project=document.project).first()
    event.action = "tampered"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_migrations_match_the_models(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())  # exits non-zero when a migration is missing
