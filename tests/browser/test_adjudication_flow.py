"""Two annotators disagree on a stance; a reviewer adjudicates; the gold export carries the decision."""
from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from annotate.models import Role, SentenceAnnotation, StanceLabel, Suggestion
from annotate.services.annotations import ClaimInput, save_sentence_annotation
from annotate.services.imports import import_documents, parse_text, parse_upload
from annotate.services.projects import membership_set
from annotate.services.workflow import assign_documents, comment_add
from tests.browser.test_review_flow import SEED, log_in, row, wait_saved

pytestmark = pytest.mark.browser
User = get_user_model()


@pytest.fixture
def team_document(project, people, make_user):
    second = make_user("ann2")
    membership_set(project=project, user=second, role=Role.ANNOTATOR)
    document = import_documents(project=project, documents=parse_upload(SEED.name, SEED.read_bytes())).created[0]
    assign_documents(project=project, documents=[document], annotators=[people["annotator"], second])
    return document


def as_user(person_context, browser_errors, username: str) -> Page:
    """A page in a context of its own, so each person has their own session."""
    page = browser_errors.watch(person_context().new_page())
    log_in(page, username)
    return page


def label_stance(page: Page, document_id: int, key: str) -> None:
    page.goto(f"/documents/{document_id}/")
    expect(page.locator("#sentences > li.sentence.current")).to_have_attribute("data-index", "0")
    page.keyboard.press(key)
    wait_saved(page, 0)


def test_two_annotators_disagree_and_the_reviewer_decides(person_context, browser_errors, team_document):
    for username, key in (("annotator", "1"), ("ann2", "2")):
        page = as_user(person_context, browser_errors, username)
        label_stance(page, team_document.pk, key)
        page.context.close()
    assert set(
        SentenceAnnotation.objects.filter(sentence__index=0).values_list("annotator__username", "claims__stance__value")
    ) == {("annotator", "support"), ("ann2", "oppose")}

    reviewer = as_user(person_context, browser_errors, "reviewer")
    reviewer.goto(f"/projects/{team_document.project_id}/")
    reviewer.get_by_role("link", name="Adjudicate").click()
    expect(reviewer.locator("h1")).to_contain_text("Adjudicating:")
    reviewer.get_by_label("only disagreements and flags").check()
    current = reviewer.locator("#sentences > li.sentence.current")
    expect(current).to_have_attribute("data-index", "0")
    expect(current.locator(".disagree")).to_have_text("≠ stance")
    panel = reviewer.locator("#panel")
    expect(panel.locator(".work .version")).to_have_count(3)  # two people and the machine
    panel.locator(".work .version", has_text="ann2:").get_by_role("button", name="Take").click()
    wait_saved(reviewer, 0)
    expect(panel.locator("button.stance.chosen")).to_contain_text("Oppose")
    reviewer.keyboard.press("3")  # the reviewer's own final call: neutral
    wait_saved(reviewer, 0)
    reviewer.reload()
    expect(row(reviewer, 0).locator("span.status")).to_have_text("corrected")
    row(reviewer, 0).locator(".idx").click()  # the page opens on the next undecided sentence
    expect(reviewer.locator("#panel button.stance.chosen")).to_contain_text("Neutral")

    reviewer.goto(f"/projects/{team_document.project_id}/")
    with reviewer.expect_download() as download:
        reviewer.locator("#export-gold-csv").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    decided = [r for r in rows if r["sentence_index"] == "0"]
    assert [(r["kind"], r["annotator"], r["stance"]) for r in decided] == [("adjudication", "reviewer", "neutral")]
    assert all(r["kind"] in ("adjudication", "") for r in rows), "the gold export holds no annotator's own version"
    gold = SentenceAnnotation.objects.get(kind="adjudication")
    assert (gold.sentence.index, gold.claims.get().stance.value) == (0, "neutral")
    reviewer.context.close()


@pytest.fixture
def officials(document, people, make_user):
    """Sentence 1 of the sample ("…, senior officials said."), with a second annotator on the project."""
    second = make_user("ann2")
    membership_set(project=document.project, user=second, role=Role.ANNOTATOR)
    assign_documents(project=document.project, documents=[document], annotators=[people["annotator"], second])
    return document.sentences.get(index=1)


def annotate_as(user, sentence, status: str, stance: str | None = None) -> None:
    """`user`'s version of `sentence`: its suggestion with `stance`, or no claims (skip, no claim)."""
    claims = []
    if status not in ("skipped", "no_claim"):
        suggestion = sentence.suggestions.get()
        claims = [ClaimInput(claim=suggestion.claim_span, speaker=suggestion.speaker_span, cue=suggestion.cue_span,
                             speaker_id=suggestion.speaker_id, stance=stance, suggestion_id=suggestion.pk)]
    save_sentence_annotation(sentence=sentence, user=user, status=status, claims=claims, expected_version=None)


def adjudicate(person_context, browser_errors, sentence) -> Page:
    reviewer = as_user(person_context, browser_errors, "reviewer")
    reviewer.goto(f"/documents/{sentence.document_id}/adjudicate/")
    row(reviewer, sentence.index).locator(".idx").click()
    expect(reviewer.locator("#sentences > li.sentence.current")).to_have_attribute("data-index", str(sentence.index))
    return reviewer


def gold(sentence) -> tuple[str, list[str | None]]:
    stored = SentenceAnnotation.objects.get(sentence=sentence, kind="adjudication")
    return stored.status, [c.stance.value if c.stance_id else None for c in stored.claims.select_related("stance")]


def test_a_skipped_version_is_not_taken_as_gold(person_context, browser_errors, officials, people):
    annotate_as(people["annotator"], officials, "skipped")
    annotate_as(User.objects.get(username="ann2"), officials, "corrected", "oppose")
    reviewer = adjudicate(person_context, browser_errors, officials)
    versions = reviewer.locator("#panel .work .version")
    expect(versions.filter(has_text="annotator:")).to_contain_text("skipped")
    expect(versions.filter(has_text="annotator:").get_by_role("button", name="Take")).to_have_count(0)
    expect(versions.filter(has_text="ann2:").get_by_role("button", name="Take")).to_have_count(1)
    puts = []
    reviewer.on("request", lambda request: puts.append(request) if request.method == "PUT" else None)
    for attempt in range(2):  # t goes round the decided versions only: ann2's, twice
        reviewer.keyboard.press("t")
        wait_saved(reviewer, officials.index)
        assert len(puts) == attempt + 1  # each t takes it (and sends it), skipping annotator's
        assert gold(officials) == ("corrected", ["oppose"])
        # Saved the first time; the second takes the same version again, which writes nothing new.
        assert SentenceAnnotation.objects.get(sentence=officials, kind="adjudication").version == 1
    reviewer.context.close()


def test_the_first_t_takes_the_version_after_the_one_shown(person_context, browser_errors, officials, people):
    annotate_as(User.objects.get(username="ann2"), officials, "corrected", "oppose")  # listed first, so shown first
    annotate_as(people["annotator"], officials, "corrected", "support")
    reviewer = adjudicate(person_context, browser_errors, officials)
    expect(reviewer.locator("#panel button.stance.chosen")).to_contain_text("Oppose")
    reviewer.keyboard.press("t")
    wait_saved(reviewer, officials.index)
    expect(reviewer.locator("#panel button.stance.chosen")).to_contain_text("Support")
    assert gold(officials) == ("corrected", ["support"])
    reviewer.keyboard.press("t")  # round to the first again
    wait_saved(reviewer, officials.index)
    assert gold(officials) == ("corrected", ["oppose"])
    reviewer.context.close()


def test_t_after_undo_takes_the_same_version_again(person_context, browser_errors, officials, people):
    annotate_as(User.objects.get(username="ann2"), officials, "corrected", "oppose")  # shown first
    annotate_as(people["annotator"], officials, "corrected", "support")
    reviewer = adjudicate(person_context, browser_errors, officials)
    reviewer.keyboard.press("t")
    wait_saved(reviewer, officials.index)
    assert gold(officials) == ("corrected", ["support"])
    reviewer.keyboard.press("z")  # no gold again, ann2's version on show
    expect(row(reviewer, officials.index).locator("span.status")).to_have_text("from ann2")
    expect(row(reviewer, officials.index).locator("span.save")).to_have_text("")  # the withdrawal landed
    assert not SentenceAnnotation.objects.filter(sentence=officials, kind="adjudication").exists()
    reviewer.keyboard.press("t")  # the version after the one shown, as the first time
    wait_saved(reviewer, officials.index)
    assert gold(officials) == ("corrected", ["support"])
    reviewer.context.close()


def test_x_on_a_gold_version_asks_before_it_skips(person_context, browser_errors, officials, people):
    annotate_as(people["annotator"], officials, "corrected", "support")
    reviewer = adjudicate(person_context, browser_errors, officials)
    reviewer.keyboard.press("t")
    wait_saved(reviewer, officials.index)
    current = reviewer.locator("#sentences > li.sentence.current")
    reviewer.keyboard.press("x")  # only says what a skip would do
    expect(reviewer.locator("#panel")).to_contain_text("Press x again to skip it instead")
    expect(current).to_have_attribute("data-index", str(officials.index))
    assert gold(officials) == ("corrected", ["support"])
    reviewer.keyboard.press("j")  # moving away disarms it: x back here asks again
    reviewer.keyboard.press("k")
    expect(current).to_have_attribute("data-index", str(officials.index))
    reviewer.keyboard.press("x")
    expect(reviewer.locator("#panel")).to_contain_text("Press x again to skip it instead")
    assert gold(officials) == ("corrected", ["support"])
    reviewer.keyboard.press("x")  # the second x skips, and moves on
    wait_saved(reviewer, officials.index)
    expect(row(reviewer, officials.index).locator("span.status")).to_have_text("skipped")
    assert gold(officials) == ("skipped", [])
    reviewer.keyboard.press("z")  # and z brings the gold back
    expect(row(reviewer, officials.index).locator("span.status")).to_have_text("corrected")
    wait_saved(reviewer, officials.index)
    assert gold(officials) == ("corrected", ["support"])
    reviewer.context.close()


def test_a_hint_that_hides_the_skip_question_takes_it_back(person_context, browser_errors, officials, people):
    """QA19: x, then a key that only shows a hint (a retired label's), then x skipped the gold
    with no question on screen."""
    annotate_as(people["annotator"], officials, "corrected", "support")
    StanceLabel.objects.filter(project=officials.document.project, value="neutral").update(retired=True)
    reviewer = adjudicate(person_context, browser_errors, officials)
    reviewer.keyboard.press("t")
    wait_saved(reviewer, officials.index)
    panel = reviewer.locator("#panel")
    reviewer.keyboard.press("x")
    expect(panel).to_contain_text("Press x again to skip it instead")
    reviewer.keyboard.press("3")  # Neutral, retired: a hint replaces the question
    expect(panel).to_contain_text("“Neutral” is retired")
    expect(panel).not_to_contain_text("Press x again")
    reviewer.keyboard.press("x")  # asks again, skips nothing
    expect(panel).to_contain_text("Press x again to skip it instead")
    assert gold(officials) == ("corrected", ["support"])
    reviewer.keyboard.press("j")  # and the question does not wait on the sentence for a return
    reviewer.keyboard.press("k")
    expect(reviewer.locator("#sentences > li.sentence.current")).to_have_attribute("data-index", str(officials.index))
    expect(panel).not_to_contain_text("Press x again")
    reviewer.context.close()


def test_before_gold_a_row_says_whose_version_it_shows(person_context, browser_errors, officials, people):
    annotate_as(User.objects.get(username="ann2"), officials, "corrected", "oppose")
    annotate_as(people["annotator"], officials, "corrected", "support")
    reviewer = adjudicate(person_context, browser_errors, officials)
    shown = row(reviewer, officials.index)
    expect(shown.locator("span.status")).to_have_text("from ann2")
    expect(shown.locator(".badge")).to_have_text("Oppose")
    expect(shown.locator(".conf")).to_have_count(0)  # the machine's confidence is not ann2's
    expect(reviewer.locator("#panel h2")).to_have_text(f"Sentence {officials.index + 1} — from ann2")
    expect(reviewer.locator("#panel .claim .conf")).to_have_count(0)
    # The machine's own line says which rule made its stance and how it has fared (QA9: with an
    # annotator's version on show, the reviewer saw neither).
    rule = Suggestion.objects.filter(sentence=officials).exclude(stance_rule="").first()
    machine = reviewer.locator("#panel .work .version").filter(has_text="machine:")
    expect(machine).to_contain_text(f"suggested by {rule.stance_model}: ")
    expect(machine).to_contain_text("(kept 0 of 2 times here)")  # it suggested neutral; ann2 and the annotator took sides
    reviewer.context.close()


def test_the_machine_line_names_a_stance_retired_since(person_context, browser_errors, officials, people):
    """Review: a suggestion made before its label was retired read "[no stance]" on the machine's
    line; it names the label, retired, as stored work does."""
    oppose = StanceLabel.objects.get(project=officials.document.project, value="oppose")
    Suggestion.objects.filter(sentence=officials).update(stance=oppose)
    annotate_as(User.objects.get(username="ann2"), officials, "corrected", "oppose")
    StanceLabel.objects.filter(pk=oppose.pk).update(retired=True)
    reviewer = adjudicate(person_context, browser_errors, officials)
    versions = reviewer.locator("#panel .work .version")
    machine = versions.filter(has_text="machine:")
    expect(machine).to_contain_text("[Oppose (retired)]")
    expect(machine).not_to_contain_text("no stance")
    expect(versions.filter(has_text="ann2:")).to_contain_text("[Oppose (retired)]")
    reviewer.context.close()


def test_the_history_tells_comments_in_words(person_context, browser_errors, document, people):
    sentence = document.sentences.get(index=1)
    annotator = as_user(person_context, browser_errors, "annotator")
    annotator.goto(f"/documents/{document.pk}/")
    row(annotator, 1).locator(".idx").click()
    annotator.keyboard.press("f")
    annotator.get_by_label("comment for the reviewer").fill("Is this a claim?")
    annotator.get_by_role("button", name="Send comment").click()
    expect(row(annotator, 1).locator(".flag", has_text="flagged")).to_have_count(1)
    annotator.context.close()

    reviewer = adjudicate(person_context, browser_errors, sentence)
    reviewer.locator("#panel .comment").get_by_role("button", name="Resolve").click()
    expect(reviewer.locator("#panel .comment.resolved")).to_have_count(1)
    reviewer.keyboard.press("h")
    events = reviewer.locator("#panel .history p")
    expect(events).to_have_count(2)
    expect(events.nth(0)).to_contain_text("annotator — comment: Is this a claim?")
    expect(events.nth(1)).to_contain_text("reviewer — resolved the comment")
    expect(reviewer.locator("#panel .history")).not_to_contain_text("{")
    reviewer.context.close()


def test_j_on_the_last_sentence_goes_on_to_the_next_document_to_adjudicate(person_context,
                                                                          browser_errors, document, people):
    """QA13: a reviewer's "continue" led to their own annotating; adjudicating, j at the end said
    only to go back to the project page. It now goes on to the next document waiting for gold."""
    second = import_documents(project=document.project, documents=parse_text("Officials said the talks went well.")).created[0]
    annotate_as(people["annotator"], second.sentences.get(), "no_claim")
    last = document.sentences.order_by("index").last()
    reviewer = adjudicate(person_context, browser_errors, last)
    reviewer.keyboard.press("j")
    expect(reviewer.locator("#panel .hint")).to_have_text(
        "Last sentence of this document. Press j again to go on to the next document waiting for adjudication.")
    expect(reviewer.locator("#sentences > li.sentence.current")).to_have_attribute("data-index", str(last.index))
    reviewer.keyboard.press("j")
    reviewer.wait_for_url(f"**/documents/{second.pk}/adjudicate/")
    reviewer.context.close()


def test_only_disagreements_and_flags_hides_the_other_rows(person_context, browser_errors,
                                                           document, people):
    """QA16: the filter changed only the order of j / k; every row stayed on screen."""
    comment_add(sentence=document.sentences.get(index=2), author=people["annotator"], text="Who says this?")
    total = document.sentences.count()
    reviewer = as_user(person_context, browser_errors, "reviewer")
    reviewer.goto(f"/documents/{document.pk}/adjudicate/")
    rows = reviewer.locator("#sentences > li.sentence")
    expect(rows.locator("visible=true")).to_have_count(total)
    reviewer.get_by_label("only disagreements and flags").check()
    expect(rows.locator("visible=true")).to_have_count(1)
    expect(row(reviewer, 2)).to_be_visible()
    expect(reviewer.locator("#filter-count")).to_have_text(f"1 of {total} sentences disagree or are flagged")
    expect(reviewer.locator("#sentences > li.sentence.current")).to_have_attribute("data-index", "2")
    reviewer.get_by_label("only disagreements and flags").uncheck()
    expect(rows.locator("visible=true")).to_have_count(total)
    expect(reviewer.locator("#filter-count")).to_have_text("")
    # From a current row the filter hides (z went back to it), k goes to the nearest shown row
    # above (QA16: nothing happened).
    row(reviewer, 3).locator(".idx").click()
    reviewer.keyboard.press("1")
    wait_saved(reviewer, 3)
    reviewer.get_by_label("only disagreements and flags").check()
    expect(reviewer.locator("#sentences > li.sentence.current")).to_have_attribute("data-index", "2")
    reviewer.keyboard.press("z")
    expect(reviewer.locator("#sentences > li.sentence.current")).to_have_attribute("data-index", "3")
    reviewer.keyboard.press("k")
    expect(reviewer.locator("#sentences > li.sentence.current")).to_have_attribute("data-index", "2")
    reviewer.context.close()


def test_a_gold_version_saved_by_another_reviewer_is_said_to_be_someone_elses(person_context,
                                                                               browser_errors, officials, people):
    """QA17: the conflict box said "someone else" also for the same person on another page; the
    409 now says who saved, and another reviewer's version is still someone else's."""
    browser_errors.expect(r"status of 409 \(Conflict\)")
    annotate_as(people["annotator"], officials, "corrected", "support")
    reviewer = adjudicate(person_context, browser_errors, officials)
    save_sentence_annotation(sentence=officials, user=people["admin"], status="no_claim", claims=[], expected_version=None,
                             kind="adjudication")
    reviewer.keyboard.press("2")
    expect(row(reviewer, officials.index).locator("span.save")).to_have_text("⚠ someone else saved first")
    expect(reviewer.locator("#panel .conflict")).to_contain_text("Someone else saved this sentence first. Their version: no claim")
    assert gold(officials) == ("no_claim", [])


def test_a_version_given_toward_an_earlier_target_says_so(person_context, browser_errors, officials, people):
    """A target changed between two people's work: the reviewer weighing their stances must see
    that one answers another question, or "support" and "oppose" look like a disagreement."""
    from annotate.models import Project

    annotate_as(people["annotator"], officials, "corrected", "support")
    project = officials.document.project
    earlier = project.stance_target
    Project.objects.filter(pk=project.pk).update(stance_target="Ending US–Pakistan cooperation")
    officials = type(officials).objects.get(pk=officials.pk)  # the project as it is now
    annotate_as(User.objects.get(username="ann2"), officials, "corrected", "oppose")
    assert sorted(SentenceAnnotation.objects.filter(sentence=officials).values_list("stance_target", flat=True)) == [
        "Ending US–Pakistan cooperation", earlier]
    reviewer = adjudicate(person_context, browser_errors, officials)
    versions = reviewer.locator("#panel .work .version")
    expect(versions.filter(has_text="annotator:").locator(".earlier-target")).to_have_text(
        f"(stances given toward the earlier target “{earlier}”, not taken with it) ")
    expect(versions.filter(has_text="ann2:").locator(".earlier-target")).to_have_count(0)
    # Gold starts from the first version by name, ann2's, stance and all; taking the earlier
    # one brings its claim, not its stance (QA25: it was saved as the stance toward the new target).
    panel = reviewer.locator("#panel")
    expect(panel.locator("button.stance.chosen")).to_contain_text("Oppose")
    versions.filter(has_text="annotator:").get_by_role("button", name="Take").click()
    wait_saved(reviewer, officials.index)
    expect(panel.locator("button.stance.chosen")).to_have_count(0)
    assert gold(officials) == ("corrected", [None])
