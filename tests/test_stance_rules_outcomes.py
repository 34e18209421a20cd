"""Which stance rule made each suggestion, and how far a project's people trust each rule."""
from __future__ import annotations

import pytest

from annotate.models import Suggestion
from annotate.nlp.stance_rules import ALL_RULES, DECISION_ORDER, FALLBACK_RULE, RULES_MODEL_NAME
from annotate.selectors import RULE_PRIOR_WEIGHT, review_payload, stance_rule_outcomes
from annotate.services.annotations import ClaimInput, save_sentence_annotation
from annotate.services.imports import import_documents, parse_text

# Three sentences the rules read three ways toward TARGET.
TEXT = (
    "The old harbour bridge will reportedly reopen to traffic. "  # a hedge: neutral
    "The plan to reopen the old harbour bridge to traffic is a hoax. "  # a refutation: oppose
    "The old harbour bridge will reopen to traffic."  # repeats the target: support
)
TARGET = "The old harbour bridge will reopen to traffic"


@pytest.fixture
def bridge(project, people):
    project.stance_target = TARGET
    project.save()
    return import_documents(project=project, documents=parse_text(TEXT, title="Bridge")).created[0]


def _suggestions(document) -> list[Suggestion]:
    return list(Suggestion.objects.filter(sentence__document=document).select_related("sentence", "stance")
                .order_by("sentence__index", "position"))


def _label(document, suggestion: Suggestion, user, stance: str | None, status: str = "corrected", kind: str = "annotation"):
    save_sentence_annotation(
        sentence=suggestion.sentence, user=user, status=status, expected_version=None, kind=kind,
        claims=[ClaimInput(claim=suggestion.claim_span, stance=stance, suggestion_id=suggestion.pk)],
    )


def test_each_suggestion_of_the_rules_records_the_rule_that_decided(bridge):
    rules = [(s.stance_rule, s.stance.value if s.stance_id else None) for s in _suggestions(bridge)]
    assert rules == [("has_hedge", "neutral"), ("has_refutation", "oppose"), ("mentions_target", "support")]
    assert {s.stance_model for s in _suggestions(bridge)} == {RULES_MODEL_NAME}


def test_a_rule_is_measured_by_what_people_kept_of_its_suggestions(bridge, people, make_user):
    hedge, denial, restated = _suggestions(bridge)
    other = make_user("second")
    _label(bridge, hedge, people["annotator"], "neutral")  # kept
    _label(bridge, hedge, other, "support")  # overruled
    _label(bridge, hedge, people["reviewer"], "neutral", kind="adjudication")  # gold is a judgement too
    _label(bridge, denial, people["annotator"], None)  # no stance given: judges nothing
    save_sentence_annotation(sentence=restated.sentence, user=people["annotator"], status="skipped",
                             expected_version=None, claims=[])  # skipped: judges nothing

    outcomes = {o.rule: o for o in stance_rule_outcomes(bridge.project, count_suggestions=True)}
    assert list(outcomes) == list(ALL_RULES)
    assert (outcomes["has_hedge"].reviewed, outcomes["has_hedge"].kept, outcomes["has_hedge"].suggested) == (3, 2, 1)
    shipped = dict((flag, confidence) for flag, _, confidence in DECISION_ORDER)["has_hedge"]
    assert outcomes["has_hedge"].shipped_confidence == shipped
    assert outcomes["has_hedge"].confidence == round((2 + RULE_PRIOR_WEIGHT * shipped) / (3 + RULE_PRIOR_WEIGHT), 3)
    assert (outcomes["has_refutation"].reviewed, outcomes["has_refutation"].suggested) == (0, 1)
    assert outcomes["has_refutation"].confidence == outcomes["has_refutation"].shipped_confidence
    assert outcomes["mentions_target"].reviewed == 0
    assert outcomes["is_question"].suggested == 0
    assert outcomes["has_hedge"].label == "neutral" and outcomes["fallback"].label == "neutral"


def test_the_review_page_shows_the_projects_measure_of_a_rule(bridge, people):
    hedge, denial, _ = _suggestions(bridge)
    _label(bridge, hedge, people["reviewer"], "support")  # the rule was wrong here
    # A suggestion of an older version of the rules keeps the figure it was made with.
    Suggestion.objects.filter(pk=denial.pk).update(stance_model="rules-3")
    bridge.project.blind = False
    bridge.project.save()

    payload = review_payload(bridge, people["annotator"])
    by_id = {s["id"]: s for row in payload["sentences"] for s in row["suggestions"]}
    measured = payload["stance_rules"]["has_hedge"]
    assert (measured["reviewed"], measured["kept"]) == (1, 0)
    assert measured["confidence"] < measured["shipped_confidence"] == hedge.stance_confidence
    assert by_id[hedge.pk]["confidence"]["stance"] == measured["confidence"]
    assert by_id[hedge.pk]["confidence"]["overall"] <= measured["confidence"]
    assert by_id[hedge.pk]["stance_rule"] == "has_hedge"
    assert by_id[denial.pk]["confidence"]["stance"] == round(denial.stance_confidence, 3)
    assert payload["stance_rules_model"] == RULES_MODEL_NAME


def test_a_blind_annotator_sees_no_record_of_other_peoples_work(bridge, people):
    """How often people kept a rule's suggestions is some of their work: in a blind project
    an annotator sees what the rule means, not its record, and the stored figures."""
    hedge, _, _ = _suggestions(bridge)
    _label(bridge, hedge, people["reviewer"], "support", kind="adjudication")
    assert bridge.project.blind
    payload = review_payload(bridge, people["annotator"])
    assert payload["stance_rules"]["has_hedge"] == {
        "description": "hedges or reports without committing (reportedly, claims, may)",
        "label": "neutral", "label_name": "Neutral"}
    by_id = {s["id"]: s for row in payload["sentences"] for s in row["suggestions"]}
    assert by_id[hedge.pk]["confidence"]["stance"] == round(hedge.stance_confidence, 3)
    adjudicating = review_payload(bridge, people["reviewer"], adjudicate=True)
    assert adjudicating["stance_rules"]["has_hedge"]["reviewed"] == 1


def test_a_rule_is_judged_only_on_the_label_it_suggests_now(bridge, people):
    """QA7: with "neutral" retired the fallback suggests "support"; its record must not count
    what people did with its old "neutral" suggestions, nor count agreeing with "support" against it."""
    project = bridge.project
    unrelated = import_documents(project=project, documents=parse_text(
        "The weather was mild on Tuesday. Tourists crowded the beaches.", title="Weather")).created[0]
    old = [s for s in _suggestions(unrelated) if s.stance_rule == FALLBACK_RULE]
    assert len(old) == 2 and all(s.stance.value == "neutral" for s in old)
    _label(unrelated, old[0], people["annotator"], "neutral")  # kept, as neutral
    project.labels.filter(value="neutral").update(retired=True)
    _label(unrelated, old[1], people["annotator"], "support")  # not the rule's suggestion of support
    fallback = {o.rule: o for o in stance_rule_outcomes(project)}[FALLBACK_RULE]
    assert (fallback.label, fallback.label_name) == ("support", "Support")
    assert (fallback.reviewed, fallback.kept) == (0, 0)
    hedge = {o.rule: o for o in stance_rule_outcomes(project)}["has_hedge"]
    assert (hedge.label, hedge.reviewed, hedge.confidence) == (None, 0, hedge.shipped_confidence)


def test_a_suggestion_split_into_two_claims_is_judged_once(bridge, people):
    hedge, _, _ = _suggestions(bridge)
    start, end = hedge.claim_span
    middle = (start + end) // 2
    save_sentence_annotation(
        sentence=hedge.sentence, user=people["annotator"], status="corrected", expected_version=None,
        claims=[ClaimInput(claim=(start, middle), stance="neutral", suggestion_id=hedge.pk),
                ClaimInput(claim=(middle, end), stance="neutral", suggestion_id=hedge.pk)],
    )
    outcome = {o.rule: o for o in stance_rule_outcomes(bridge.project)}["has_hedge"]
    assert (outcome.reviewed, outcome.kept) == (1, 1)


def test_the_project_page_shows_admins_how_the_rules_fare(bridge, people, client):
    hedge, _, _ = _suggestions(bridge)
    _label(bridge, hedge, people["annotator"], "neutral")
    client.force_login(people["admin"])
    page = client.get(f"/projects/{bridge.project_id}/").content.decode()
    assert 'id="stance-rules"' in page
    assert "hedges or reports without committing" in page and ">1 of 1<" in page and ">Neutral<" in page
    client.force_login(people["annotator"])
    assert 'id="stance-rules"' not in client.get(f"/projects/{bridge.project_id}/").content.decode()


def test_the_api_gives_the_rules_record_to_whom_may_see_it(bridge, people):
    """`GET /api/projects/<id>/stance-rules/`: the record for reviewers and admins, and for
    annotators of an open project; what the rules mean only, for those of a blind one."""
    from rest_framework.test import APIClient

    hedge, _, _ = _suggestions(bridge)
    _label(bridge, hedge, people["annotator"], "neutral")
    url = f"/api/projects/{bridge.project_id}/stance-rules/"
    client = APIClient()
    client.force_authenticate(people["reviewer"])
    answer = client.get(url).json()
    assert answer["rules_model"] == RULES_MODEL_NAME and list(answer["rules"]) == list(ALL_RULES)
    assert {k: answer["rules"]["has_hedge"][k] for k in ("label_name", "suggested", "reviewed", "kept")} == {
        "label_name": "Neutral", "suggested": 1, "reviewed": 1, "kept": 1}
    client.force_authenticate(people["annotator"])
    assert set(client.get(url).json()["rules"]["has_hedge"]) == {"description", "label", "label_name"}
    bridge.project.blind = False
    bridge.project.save()
    assert client.get(url).json()["rules"]["has_hedge"]["kept"] == 1
    client.force_authenticate(people["outsider"])
    assert client.get(url).status_code == 403
