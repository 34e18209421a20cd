"""Saving a person's work: validation, accepted vs corrected, and no lost updates."""
from __future__ import annotations

import pytest

from annotate.models import Annotation, AuditEvent, SentenceAnnotation, Speaker
from annotate.services.annotations import (
    AnnotationInvalid,
    ClaimInput,
    StaleAnnotation,
    delete_sentence_annotation,
    save_sentence_annotation,
)


def _suggested_claims(sentence) -> list[ClaimInput]:
    return [
        ClaimInput(
            claim=(s.claim_start, s.claim_end),
            speaker=(s.speaker_start, s.speaker_end) if s.speaker_start is not None else None,
            cue=(s.cue_start, s.cue_end) if s.cue_start is not None else None,
            stance=s.stance.value if s.stance_id else None,
            speaker_id=s.speaker_id,
            suggestion_id=s.pk,
        )
        for s in sentence.suggestions.select_related("stance")
    ]


@pytest.fixture
def attributed_sentence(document):
    """The sample's sentence with "senior officials said"."""
    sentence = document.sentences.get(index=1)
    assert sentence.suggestions.filter(speaker_start__isnull=False).exists()
    return sentence


def test_saving_the_suggestion_unchanged_counts_as_accepted(attributed_sentence, people):
    annotation = save_sentence_annotation(
        sentence=attributed_sentence, user=people["annotator"], status="accepted",
        claims=_suggested_claims(attributed_sentence), expected_version=None,
    )
    assert (annotation.status, annotation.version) == ("accepted", 1)
    assert annotation.claims.count() == attributed_sentence.suggestions.count()


def test_a_changed_stance_counts_as_corrected_even_if_sent_as_accepted(attributed_sentence, people):
    claims = _suggested_claims(attributed_sentence)
    claims[0].stance = "oppose" if claims[0].stance != "oppose" else "support"
    annotation = save_sentence_annotation(
        sentence=attributed_sentence, user=people["annotator"], status="accepted", claims=claims, expected_version=None
    )
    assert annotation.status == "corrected"


def test_another_canonical_speaker_counts_as_corrected(attributed_sentence, people):
    """Same spans, but "senior officials" pointed at another person (or a new name): a correction."""
    other = Speaker.objects.create(document=attributed_sentence.document, name="A spokesperson nobody quoted")
    claims = _suggested_claims(attributed_sentence)
    claims[0].speaker_id = other.pk
    annotation = save_sentence_annotation(
        sentence=attributed_sentence, user=people["annotator"], status="accepted", claims=claims, expected_version=None
    )
    assert annotation.status == "corrected" and annotation.claims.get(position=0).speaker_id == other.pk
    claims[0].speaker_id, claims[0].speaker_name = None, "The foreign office"
    annotation = save_sentence_annotation(
        sentence=attributed_sentence, user=people["annotator"], status="accepted", claims=claims, expected_version=1
    )
    assert annotation.status == "corrected" and annotation.claims.get(position=0).speaker.name == "The foreign office"


def test_a_stale_version_is_refused_and_nothing_is_overwritten(attributed_sentence, people):
    user = people["annotator"]
    first = save_sentence_annotation(sentence=attributed_sentence, user=user, status="no_claim", claims=[], expected_version=None)
    second = save_sentence_annotation(sentence=attributed_sentence, user=user, status="skipped", claims=[], expected_version=1)
    assert second.version == 2
    with pytest.raises(StaleAnnotation) as stale:
        save_sentence_annotation(sentence=attributed_sentence, user=user, status="no_claim", claims=[], expected_version=first.version)
    assert stale.value.current.version == 2
    stored = SentenceAnnotation.objects.get(pk=first.pk)
    assert (stored.status, stored.version) == ("skipped", 2)


def test_a_page_holding_withdrawn_work_cannot_write_over_the_work_saved_after_it(attributed_sentence, people):
    """QA16: a withdraw deletes the row; the next save started again at version 1, so a page
    still holding the withdrawn version 1 wrote over (or withdrew) the new work unseen."""
    user = people["annotator"]
    save_sentence_annotation(sentence=attributed_sentence, user=user, status="no_claim", claims=[], expected_version=None)
    delete_sentence_annotation(sentence=attributed_sentence, user=user, expected_version=1)  # z on one page
    again = save_sentence_annotation(sentence=attributed_sentence, user=user, status="skipped", claims=[],
                                     expected_version=None)
    assert again.version > 1
    with pytest.raises(StaleAnnotation):  # the other page, still on version 1
        save_sentence_annotation(sentence=attributed_sentence, user=user, status="no_claim", claims=[], expected_version=1)
    with pytest.raises(StaleAnnotation):
        delete_sentence_annotation(sentence=attributed_sentence, user=user, expected_version=1)
    assert SentenceAnnotation.objects.get(pk=again.pk).status == "skipped"


def test_withdrawn_gold_is_not_written_over_by_a_page_holding_it(attributed_sentence, people):
    gold = SentenceAnnotation.Kind.ADJUDICATION
    save_sentence_annotation(sentence=attributed_sentence, user=people["reviewer"], status="no_claim", claims=[],
                             expected_version=None, kind=gold)
    delete_sentence_annotation(sentence=attributed_sentence, user=people["admin"], expected_version=1, kind=gold)
    save_sentence_annotation(sentence=attributed_sentence, user=people["admin"], status="skipped", claims=[],
                             expected_version=None, kind=gold)
    with pytest.raises(StaleAnnotation):  # the reviewer's page, still on version 1
        save_sentence_annotation(sentence=attributed_sentence, user=people["reviewer"], status="no_claim", claims=[],
                                 expected_version=1, kind=gold)


def test_a_claim_repeated_in_every_part_is_stored_once(attributed_sentence, people):
    """QA16: two identical claims were stored, exported and counted in agreement twice."""
    sentence = attributed_sentence
    whole, part = (sentence.start, sentence.end), (sentence.start, sentence.start + 5)
    claims = [ClaimInput(claim=whole, stance="support"), ClaimInput(claim=part), ClaimInput(claim=whole, stance="support"),
              ClaimInput(claim=whole, stance="oppose")]
    saved = save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected", claims=claims,
                                     expected_version=None)
    assert [(c.claim_span, c.stance.value if c.stance_id else None) for c in saved.claims.order_by("position")] == [
        (whole, "support"), (part, None), (whole, "oppose")]


def test_saving_what_is_stored_writes_no_new_version(attributed_sentence, people):
    """QA16: t then Enter saved the version just taken again: v2 identical to v1, a second event."""
    sentence = attributed_sentence
    claims = [ClaimInput(claim=(sentence.start, sentence.end), stance="oppose")]
    first = save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="corrected", claims=claims,
                                     expected_version=None, kind=SentenceAnnotation.Kind.ADJUDICATION)
    again = save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="corrected", claims=claims,
                                     expected_version=1, kind=SentenceAnnotation.Kind.ADJUDICATION)
    assert again.version == first.version == 1
    assert AuditEvent.objects.filter(action="adjudication.save").count() == 1
    changed = save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="corrected", expected_version=1,
                                       claims=[ClaimInput(claim=(sentence.start, sentence.end), stance="support")],
                                       kind=SentenceAnnotation.Kind.ADJUDICATION)
    assert changed.version == 2


def test_a_second_first_save_is_stale(attributed_sentence, people):
    user = people["annotator"]
    save_sentence_annotation(sentence=attributed_sentence, user=user, status="no_claim", claims=[], expected_version=None)
    with pytest.raises(StaleAnnotation):
        save_sentence_annotation(sentence=attributed_sentence, user=user, status="skipped", claims=[], expected_version=None)


def test_annotators_work_side_by_side(attributed_sentence, people):
    for role in ("annotator", "reviewer"):
        save_sentence_annotation(sentence=attributed_sentence, user=people[role], status="no_claim", claims=[], expected_version=None)
    assert SentenceAnnotation.objects.filter(sentence=attributed_sentence).count() == 2


def test_a_new_canonical_speaker_can_be_named(attributed_sentence, people):
    text = attributed_sentence.document.text
    start = text.index("senior officials")
    claim = ClaimInput(claim=(attributed_sentence.start, attributed_sentence.end - 1), speaker=(start, start + 16),
                       speaker_name="Senior US officials")
    save_sentence_annotation(sentence=attributed_sentence, user=people["annotator"], status="corrected",
                             claims=[claim], expected_version=None)
    stored = Annotation.objects.get()
    assert stored.speaker.name == "Senior US officials"
    assert Speaker.objects.filter(document=attributed_sentence.document, name="Senior US officials").count() == 1


@pytest.mark.parametrize(
    ("status", "claims", "message"),
    [
        ("no_claim", [ClaimInput(claim=(0, 5))], "cannot carry claims"),
        ("accepted", [], "at least one claim"),
        ("corrected", [ClaimInput(claim=(0, 10_000))], "outside the document"),
        ("corrected", [ClaimInput(claim=(60, 50))], "its start must come before its end"),
        ("corrected", [ClaimInput(claim=(0, 5), cue=(7, 7))], "cue span 7–7 is empty"),
        ("corrected", [ClaimInput(claim=(0, 5), stance="maybe")], "unknown stance"),
        ("corrected", [ClaimInput(claim=(0, 5), speaker_id=987654)], "not a speaker of this document"),
        ("bogus", [], "unknown status"),
    ],
)
def test_invalid_work_is_refused(attributed_sentence, people, status, claims, message):
    # Spans (0, 5) lie in sentence 0, not in sentence 1: move them into the sentence when needed.
    for claim in claims:
        if claim.claim == (0, 5):
            claim.claim = (attributed_sentence.start, attributed_sentence.start + 5)
    with pytest.raises(AnnotationInvalid, match=message):
        save_sentence_annotation(sentence=attributed_sentence, user=people["annotator"], status=status,
                                 claims=claims, expected_version=None)
    assert not SentenceAnnotation.objects.exists()


def test_a_retired_label_takes_no_new_claims_but_stored_work_keeps_it(attributed_sentence, people):
    from annotate.models import StanceLabel

    sentence = attributed_sentence
    claim = ClaimInput(claim=(sentence.start, sentence.end), stance="oppose")
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected", claims=[claim], expected_version=None)
    StanceLabel.objects.filter(project=sentence.document.project, value="oppose").update(retired=True)
    # The same person corrects something else beside it: the stored label may stay.
    kept = save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected",
                                    claims=[ClaimInput(claim=(sentence.start, sentence.end - 1), stance="oppose")], expected_version=1)
    assert kept.claims.get().stance.value == "oppose"
    # A reviewer takes that version as gold: still the sentence's own label.
    save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="corrected", claims=[claim],
                             expected_version=None, kind=SentenceAnnotation.Kind.ADJUDICATION)
    # Another person annotating does not get it from the first one's work (nor learns, in a blind
    # project, from being refused or not, what the first one chose).
    with pytest.raises(AnnotationInvalid, match="'Oppose' is retired"):
        save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="corrected",
                                 claims=[claim], expected_version=None)
    # Nobody starts using it anew elsewhere.
    other = sentence.document.sentences.exclude(pk=sentence.pk).first()
    with pytest.raises(AnnotationInvalid, match="'Oppose' is retired"):
        save_sentence_annotation(sentence=other, user=people["annotator"], status="corrected",
                                 claims=[ClaimInput(claim=(other.start, other.end), stance="oppose")], expected_version=None)


def test_an_earlier_version_with_a_retired_label_may_be_put_back(attributed_sentence, people):
    """QA19: z after changing a claim away from a label retired since was refused, and the label
    was lost. Putting back one's own earlier version is not a new use of the label; another
    person's earlier versions still count for nothing."""
    from annotate.models import StanceLabel

    sentence = attributed_sentence
    claim = ClaimInput(claim=(sentence.start, sentence.end), stance="oppose")
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected", claims=[claim], expected_version=None)
    StanceLabel.objects.filter(project=sentence.document.project, value="oppose").update(retired=True)
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected",
                             claims=[ClaimInput(claim=(sentence.start, sentence.end), stance="neutral")], expected_version=1)
    undone = save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected", claims=[claim],
                                      expected_version=2)
    assert undone.claims.get().stance.value == "oppose"
    with pytest.raises(AnnotationInvalid, match="'Oppose' is retired"):
        save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="corrected",
                                 claims=[claim], expected_version=None)
    # A second claim given it beside the one that had it is a new use (QA19).
    second = ClaimInput(claim=(sentence.start, sentence.start + 10), stance="oppose")
    with pytest.raises(AnnotationInvalid, match="'Oppose' is retired"):
        save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected",
                                 claims=[claim, second], expected_version=3)
    assert SentenceAnnotation.objects.get(sentence=sentence, annotator=people["annotator"]).version == 3


def test_claim_must_overlap_its_sentence(document, people):
    sentence = document.sentences.get(index=0)
    other = document.sentences.get(index=2)
    with pytest.raises(AnnotationInvalid, match="overlap the sentence"):
        save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected",
                                 claims=[ClaimInput(claim=(other.start, other.end))], expected_version=None)


def test_a_claim_filed_under_its_cues_sentence_is_saved(document, people):
    """QA16: pre-annotation files a quotation the parser ended early ('"...?" | a narrator asks.')
    under the sentence of its cue; accepting that suggestion as shown was refused."""
    sentence = document.sentences.get(index=1)
    before = document.sentences.get(index=0)
    cue = (sentence.start, sentence.start + 3)
    saved = save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected",
                                     claims=[ClaimInput(claim=(before.start, before.end), cue=cue)], expected_version=None)
    assert saved.claims.get().claim_span == (before.start, before.end)


def test_every_save_is_in_the_history_with_before_and_after(attributed_sentence, people):
    user = people["annotator"]
    save_sentence_annotation(sentence=attributed_sentence, user=user, status="no_claim", claims=[], expected_version=None)
    save_sentence_annotation(sentence=attributed_sentence, user=user, status="accepted",
                             claims=_suggested_claims(attributed_sentence), expected_version=1)
    events = list(AuditEvent.objects.filter(sentence=attributed_sentence).order_by("id"))
    assert [e.before and e.before["status"] for e in events] == [None, "no_claim"]
    assert events[1].after["status"] == "accepted" and events[1].after["claims"]
    assert all(e.actor == user for e in events)
