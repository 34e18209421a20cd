"""Keyboard-only use of the review page: the canonical-speaker picker."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotate.models import Annotation, SentenceAnnotation, Speaker, Suggestion
from annotate.services.imports import import_documents, parse_upload
from annotate.services.workflow import assign_documents
from tests.browser.test_review_flow import SEED, log_in, row, wait_saved

pytestmark = pytest.mark.browser


def seed_document(project):
    return import_documents(project=project, documents=parse_upload(SEED.name, SEED.read_bytes())).created[0]


def open_attributed_sentence(page, project, people):
    """The seed article, assigned to the annotator and open on its first attributed sentence (its
    second: the first is attributed by it, "This was the message given by ...", so it holds two
    claims, and the picker is its first claim's)."""
    document = seed_document(project)
    assign_documents(project=project, documents=[document], annotators=[people["annotator"]])
    attributed = document.sentences.filter(suggestions__speaker__isnull=False).order_by("index").first()
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, attributed.index).locator(".idx").click()
    return attributed


def test_pick_a_canonical_speaker_with_the_keyboard_alone(page, project, people):
    """QA: each ↓ in the picker saved the speaker it reached, and the panel drawn again took the
    focus, so the next ↓ went to the next sentence. The arrows only move; Enter saves, Esc cancels."""
    attributed = open_attributed_sentence(page, project, people)
    puts = []
    page.on("request", lambda request: puts.append(request) if request.method == "PUT" else None)
    picker = page.locator("#panel .claim select").first
    values = picker.locator("option").evaluate_all("options => options.map((o) => o.value)")
    before = picker.input_value()
    position = values.index(before)
    assert position + 2 < len(values), "the seed article no longer gives the speaker two more below it"
    current = page.locator("#sentences > li.sentence.current")

    page.keyboard.press("p")
    expect(picker).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(picker).to_have_value(values[position + 1])
    page.keyboard.press("Escape")  # cancels, back to the keys
    expect(picker).not_to_be_focused()
    expect(picker).to_have_value(before)
    page.wait_for_timeout(300)
    assert not puts and not SentenceAnnotation.objects.exists()

    page.keyboard.press("p")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(picker).to_be_focused()
    expect(picker).to_have_value(values[position + 2])
    expect(current).to_have_attribute("data-index", str(attributed.index))
    page.keyboard.press("Enter")  # saves the one shown, once, and gives the keys back
    wait_saved(page, attributed.index)
    expect(picker).not_to_be_focused()
    expect(picker).to_have_value(values[position + 2])
    assert len(puts) == 1
    saved = Annotation.objects.get(sentence_annotation__sentence=attributed, position=0)
    assert str(saved.speaker_id or "") == values[position + 2]

    picker.select_option(before)  # a choice with the mouse saves at once
    wait_saved(page, attributed.index)
    assert len(puts) == 2
    assert str(Annotation.objects.get(sentence_annotation__sentence=attributed, position=0).speaker_id or "") == before
    page.keyboard.press("j")  # the keys work
    expect(current).not_to_have_attribute("data-index", str(attributed.index))


def test_a_save_landing_while_picking_keeps_the_picker(page, project, people):
    """The panel is drawn again when a save comes back; it used to take the focus off the picker,
    so the next Enter accepted the sentence instead of saving the speaker the arrows had reached."""
    attributed = open_attributed_sentence(page, project, people)
    picker = page.locator("#panel .claim select").first
    values = picker.locator("option").evaluate_all("options => options.map((o) => o.value)")
    wanted = values[values.index(picker.input_value()) + 1]
    held = []
    page.route("**/api/sentences/*/annotation/**", lambda route: held.append(route))
    page.keyboard.press("1")  # a stance, whose save is held back
    page.keyboard.press("p")
    page.keyboard.press("ArrowDown")
    expect(picker).to_have_value(wanted)
    held[0].continue_()
    page.unroute("**/api/sentences/*/annotation/**")
    wait_saved(page, attributed.index)  # the panel was drawn again
    expect(picker).to_be_focused()
    expect(picker).to_have_value(wanted)
    page.keyboard.press("Enter")
    expect(row(page, attributed.index).locator("span.save")).to_have_text("✓ saved")
    expect(page.locator("#sentences > li.sentence.current")).to_have_attribute("data-index", str(attributed.index))
    expect(picker).not_to_be_focused()
    page.wait_for_function("() => !document.querySelector('#sentences .save-saving')")
    saved = Annotation.objects.get(sentence_annotation__sentence=attributed, position=0)
    assert str(saved.speaker_id or "") == wanted and saved.sentence_annotation.version == 2


def test_a_reviewer_merges_a_duplicate_speaker_and_renames_one(page, project, people):
    """`m` opens the document's speakers; a merge repoints the claims at once, on the page
    and in the database, and a rename shows up in the claim's speaker list."""
    document = seed_document(project)
    suggestion = Suggestion.objects.filter(sentence__document=document, speaker__isnull=False).order_by("sentence__index").first()
    keep = suggestion.speaker
    duplicate = Speaker.objects.create(document=document, name="Duplicate of the first speaker")
    Suggestion.objects.filter(pk=suggestion.pk).update(speaker=duplicate)
    index = suggestion.sentence.index

    log_in(page, "reviewer")
    page.goto(f"/documents/{document.pk}/")
    row(page, index).locator(".idx").click()
    picker = page.locator("#panel .claim select").first
    expect(picker).to_have_value(str(duplicate.pk))
    page.keyboard.press("m")
    dialog = page.locator("#speakers-dialog")
    expect(dialog).to_be_visible()
    line = dialog.locator(f'tr[data-speaker="{duplicate.pk}"]')
    line.get_by_label(f"merge {duplicate.name} into").select_option(str(keep.pk))
    line.get_by_role("button", name="Merge").click()
    expect(page.locator("#speakers-status")).to_have_text(f"✓ “{duplicate.name}” merged into “{keep.name}”")
    assert Suggestion.objects.get(pk=suggestion.pk).speaker_id == keep.pk
    assert not Speaker.objects.filter(pk=duplicate.pk).exists()
    expect(picker).to_have_value(str(keep.pk))

    kept = dialog.locator(f'tr[data-speaker="{keep.pk}"]')
    kept.get_by_label(f"name of {keep.name}").fill("The Renamed Speaker")
    kept.get_by_role("button", name="Rename").click()
    expect(page.locator("#speakers-status")).to_have_text("✓ renamed to “The Renamed Speaker”")
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    expect(picker.locator("option:checked")).to_have_text("The Renamed Speaker")
    assert Speaker.objects.get(pk=keep.pk).name == "The Renamed Speaker"


def test_the_keys_work_right_after_using_a_filter(page, document, people):
    log_in(page, "reviewer")
    page.goto(f"/documents/{document.pk}/adjudicate/")
    history = page.locator("#panel .history")
    for name in ("least confident first", "only disagreements and flags"):
        page.get_by_label(name).click()
        expect(page.get_by_label(name)).to_be_checked()
        page.keyboard.press("h")
        expect(history).to_be_visible()
        page.keyboard.press("h")
        expect(history).to_have_count(0)


def focused_text(page) -> str:
    return page.evaluate("() => document.activeElement === document.body ? '' : document.activeElement.textContent")


def tab_to(page, name: str) -> None:
    """Press Tab until the control named `name` has the focus, as a keyboard user would."""
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused_text(page) == name:
            return
    raise AssertionError(f"Tab never reached “{name}”")


def test_tab_reaches_the_conflict_buttons_and_enter_presses_them(open_page, document, people, browser_errors):
    browser_errors.expect(r"status of 409 \(Conflict\)")
    pages = [open_page(), open_page()]  # same context: the same person in two tabs
    log_in(pages[0], "annotator")
    for page in pages:
        page.goto(f"/documents/{document.pk}/")
        row(page, 1).locator(".idx").click()
    theirs, mine = pages
    theirs.keyboard.press("2")
    wait_saved(theirs, 1)
    mine.keyboard.press("3")
    expect(mine.locator("#panel .conflict")).to_be_visible()
    expect(mine.locator("#panel .claim")).to_have_count(1)  # one claim: Tab has nothing to switch
    tab_to(mine, "Keep mine and save again")
    mine.keyboard.press("Enter")  # presses the button, not the page's "accept"
    wait_saved(mine, 1)
    expect(mine.locator("#panel .conflict")).to_have_count(0)
    saved = SentenceAnnotation.objects.get(sentence__index=1, sentence__document=document)
    assert (saved.version, saved.claims.get().stance.value) == (2, "neutral")


def test_enter_after_clicking_a_button_still_accepts(page, document, people):
    """A control the mouse clicked keeps the focus, but it was not reached from the keyboard:
    Enter stays the page's "accept" and does not press that control again."""
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, 1).locator(".idx").click()
    page.locator("summary", has_text="Guidelines").click()  # opens them, and keeps the focus
    page.keyboard.press("Enter")
    wait_saved(page, 1)
    assert SentenceAnnotation.objects.get(sentence__index=1, sentence__document=document).status == "accepted"


def test_tab_switches_claims_only_with_the_focus_on_the_page(page, document, people):
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, 1).locator(".idx").click()
    page.keyboard.press("a")  # a second claim, now the current one
    wait_saved(page, 1)
    active = page.locator("#panel .claim.active")
    expect(active).to_have_attribute("data-claim", "1")
    page.keyboard.press("Tab")
    expect(active).to_have_attribute("data-claim", "0")
    assert focused_text(page) == ""
    page.keyboard.press("Shift+Tab")  # not a claim key: the browser's, backwards through the controls
    expect(active).to_have_attribute("data-claim", "0")
    page.locator("#panel .actions button").first.focus()  # on a control, Tab moves the focus on
    page.keyboard.press("Tab")
    expect(active).to_have_attribute("data-claim", "0")
    assert focused_text(page) == "s speaker"


def test_z_undoes_the_last_change_on_the_page_even_after_moving_on(page, document, people):
    """Enter, n and x move on at once; z goes back to the sentence of the last change and undoes it."""
    first, second = document.sentences.get(index=0), document.sentences.get(index=1)
    current = page.locator("#sentences > li.sentence.current")
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    expect(current).to_have_attribute("data-index", "0")
    page.keyboard.press("1")
    wait_saved(page, 0)
    page.keyboard.press("Enter")
    wait_saved(page, 0)
    expect(current).to_have_attribute("data-index", "1")
    page.keyboard.press("n")
    wait_saved(page, 1)
    expect(current).to_have_attribute("data-index", "2")

    # Enter kept the stance as it was: it wrote no new version, and is no step for z (D5).
    assert SentenceAnnotation.objects.get(sentence=first).version == 1

    page.keyboard.press("z")  # undoes n: back on sentence 2, untouched, the work withdrawn
    expect(current).to_have_attribute("data-index", "1")
    expect(row(page, 1).locator("span.status")).to_have_text("suggested")
    expect(row(page, 1).locator("span.save")).to_have_text("")
    assert not SentenceAnnotation.objects.filter(sentence=second).exists()
    page.keyboard.press("z")  # undoes the stance, back on sentence 1: untouched again
    expect(current).to_have_attribute("data-index", "0")
    expect(row(page, 0).locator("span.status")).to_have_text("suggested")
    expect(row(page, 0).locator("span.save")).to_have_text("")
    assert not SentenceAnnotation.objects.filter(sentence=first).exists()
    page.keyboard.press("z")
    expect(page.locator("#panel .hint")).to_have_text("Nothing to undo on this page.")


def test_p_shows_speakers_renamed_since_the_page_loaded(page, document, people):
    suggestion = Suggestion.objects.get(sentence__document=document, sentence__index=1)  # "…, senior officials said."
    speaker = suggestion.speaker
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, 1).locator(".idx").click()
    picker = page.locator("#panel .claim select").first
    expect(picker.locator("option:checked")).to_contain_text(speaker.name)
    Speaker.objects.filter(pk=speaker.pk).update(name="Officials of the ministry")  # a reviewer, in another tab
    page.keyboard.press("p")
    expect(picker.locator("option:checked")).to_contain_text("Officials of the ministry")
    expect(picker).to_be_focused()
    expect(row(page, 1).locator("span.status")).to_have_text("suggested")  # nothing else changed


def test_a_change_at_the_last_sentence_does_not_leave_the_document(page, document, people):
    """QA: after the 'press j again' hint, Enter, n or x left for the next document even when
    they changed something; only a second j with nothing changed in between goes on."""
    last = document.sentences.count() - 1
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, last).locator(".idx").click()
    page.keyboard.press("j")
    expect(page.locator("#panel .hint")).to_contain_text("Press j again")
    page.keyboard.press("n")  # a change: saved, and the page stays with the hint again
    wait_saved(page, last)
    expect(page.locator("#panel .hint")).to_contain_text("Press j to go on")  # not "again": n was pressed
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/documents/{document.pk}/")
    page.keyboard.press("j")  # now it goes on (here back to this document, the only one with work left)
    expect(page.locator(".messages")).to_contain_text("last document with work left")


def test_enter_on_the_last_sentence_after_a_change_leaves_no_empty_undo_step(page, document, people):
    """QA D5: on the last sentence, 2 then Enter took two z to undo (the first one changed nothing:
    Enter saved what 2 had saved), and the hint said "Press j again" after an Enter, staying up
    after z. One z now undoes the one change made, and clears the hint."""
    last = document.sentences.order_by("index").last()
    current = page.locator("#sentences > li.sentence.current")
    hint = page.locator("#panel .hint")
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, last.index).locator(".idx").click()
    expect(current).to_have_attribute("data-index", str(last.index))
    page.keyboard.press("2")
    wait_saved(page, last.index)
    page.keyboard.press("Enter")
    wait_saved(page, last.index)
    expect(hint).to_have_text("Last sentence of this document. Press j to go on to your next document with work left.")
    assert SentenceAnnotation.objects.get(sentence=last).version == 1  # Enter saved nothing new

    page.keyboard.press("z")  # undoes 2: untouched again, the work withdrawn, the hint gone
    expect(row(page, last.index).locator("span.status")).to_have_text("suggested")
    expect(row(page, last.index).locator("span.save")).to_have_text("")
    expect(page.locator("#panel button.stance.chosen", has_text="Oppose")).to_have_count(0)
    expect(hint).to_have_count(0)
    assert not SentenceAnnotation.objects.filter(sentence=last).exists()
    page.keyboard.press("z")
    expect(hint).to_have_text("Nothing to undo on this page.")

    page.keyboard.press("j")  # a j of its own says "again"
    expect(hint).to_have_text("Last sentence of this document. Press j again to go on to your next document with work left.")


def test_closing_the_picker_opened_with_the_mouse_gives_the_keys_back(page, project, people):
    """QA16: after a click on the picker and Esc (which closes the browser's list), the picker kept
    the focus: j, k, n did nothing, and a typed letter changed the speaker shown without saving it."""
    attributed = open_attributed_sentence(page, project, people)
    current = page.locator("#sentences > li.sentence.current")
    picker = page.locator("#panel .claim select").first
    before = picker.input_value()
    picker.click()  # opens the list
    page.keyboard.press("Escape")  # closes it, choosing nothing
    page.keyboard.press("j")
    expect(current).not_to_have_attribute("data-index", str(attributed.index))
    expect(page.locator("select:focus")).to_have_count(0)
    page.keyboard.press("k")
    expect(current).to_have_attribute("data-index", str(attributed.index))
    expect(picker).to_have_value(before)
    expect(row(page, attributed.index).locator("span.status")).to_have_text("suggested")
    assert not SentenceAnnotation.objects.exists()

    picker.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")  # the page's accept, at the first press
    wait_saved(page, attributed.index)
    expect(row(page, attributed.index).locator("span.status")).to_have_text("accepted")
    expect(current).not_to_have_attribute("data-index", str(attributed.index))


def test_a_sentence_whose_claim_is_filed_with_the_next_says_where_it_is(page, project, people):
    """QA18: the seed article's first sentence is highlighted as a claim, which the next sentence
    attributes ("This was the message given by ..."), but its panel said "No claim suggested"."""
    document = seed_document(project)
    assign_documents(project=project, documents=[document], annotators=[people["annotator"]])
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    expect(page.locator("#sentences > li.sentence.current")).to_have_attribute("data-index", "0")
    expect(page.locator("#no-claim-note")).to_have_text(
        "No claim of its own. The claim over it is filed with sentence 2, where its cue is.")
    page.keyboard.press("j")
    expect(page.locator("#panel .claim")).to_have_count(2)  # the officials' message and the tweet
    expect(page.locator("#no-claim-note")).to_have_count(0)


def test_a_cue_moved_out_of_a_sentence_whose_claim_lies_outside_it_is_refused_on_the_page(page, project, people):
    """QA18: on sentence 2, whose claim is sentence 1 (filed here with its cue, "message given by"),
    u on a word of sentence 1 left the claim nothing in its sentence; the server refused the save."""
    from tests.browser.test_selection import point_of

    document = seed_document(project)
    assign_documents(project=project, documents=[document], annotators=[people["annotator"]])
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    page.keyboard.press("j")
    expect(page.locator("#sentences > li.sentence.current")).to_have_attribute("data-index", "1")
    word = point_of(page, 0, document.text.index("respect") + 1)
    page.mouse.dblclick(word["x"], word["y"])
    page.keyboard.press("u")
    expect(page.locator("#panel .hint")).to_contain_text("A claim's cue must overlap the current sentence")
    page.wait_for_timeout(300)
    assert not SentenceAnnotation.objects.exists()


def test_a_twice_adds_one_bare_claim_and_one_z_takes_it_back(page, document, people):
    """A second bare claim over the whole sentence was shown, sent and dropped by the server (it
    would be counted twice), and z then took a step to undo nothing. The second a now only makes
    the bare claim current and says so."""
    sentence = document.sentences.get(index=1)
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, 1).locator(".idx").click()
    claims = page.locator("#panel .claim")
    suggested = claims.count()
    puts = []
    page.on("request", lambda request: puts.append(request) if request.method == "PUT" else None)
    page.keyboard.press("a")
    wait_saved(page, 1)
    expect(claims).to_have_count(suggested + 1)
    assert len(puts) == 1 and SentenceAnnotation.objects.get(sentence=sentence).version == 1
    page.keyboard.press("Tab")  # another claim current, if there is one
    page.keyboard.press("a")
    expect(page.locator("#panel .hint")).to_have_text(
        "This sentence already has a bare claim over the whole sentence, now the current one: select text to narrow it first.")
    expect(claims).to_have_count(suggested + 1)
    expect(page.locator("#panel .claim.active")).to_have_attribute("data-claim", str(suggested))
    page.wait_for_timeout(300)
    assert len(puts) == 1 and SentenceAnnotation.objects.get(sentence=sentence).version == 1

    page.keyboard.press("z")  # one z undoes the one claim added: the sentence as suggested
    expect(claims).to_have_count(suggested)
    expect(row(page, 1).locator("span.status")).to_have_text("suggested")
    page.keyboard.press("z")
    expect(page.locator("#panel .hint")).to_have_text("Nothing to undo on this page.")


def test_a_stance_suggested_toward_an_earlier_target_is_not_offered(page, document, people):
    """QA25: a sentence someone worked on keeps its suggestions through a target change; the next
    annotator was offered their stance, toward the old target, and Enter saved it toward the new."""
    sentence = document.sentences.get(index=1)
    suggestion = sentence.suggestions.get()
    assert suggestion.stance_id is not None and suggestion.stance_target == document.effective_target
    Suggestion.objects.filter(pk=suggestion.pk).update(stance_target="An earlier target")
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, 1).locator(".idx").click()
    name = suggestion.stance.name
    expect(page.locator("#panel .field.stances")).to_contain_text(
        f"suggested “{name}” toward the earlier target “An earlier target”")
    expect(page.locator("#panel button.stance.chosen")).to_have_count(0)
    page.keyboard.press("Enter")
    wait_saved(page, 1)
    saved = SentenceAnnotation.objects.get(sentence=sentence)
    assert [c.stance_id for c in saved.claims.all()] == [None]
    assert Annotation.objects.filter(sentence_annotation=saved, suggestion=suggestion).exists()


def test_own_stances_given_toward_an_earlier_target_are_given_again(page, document, people):
    """Work saved before the target changed came back with its stances, and any save stamped them
    with the new target though they answered the old one."""
    from annotate.models import Project
    from annotate.services.annotations import ClaimInput, save_sentence_annotation

    sentence = document.sentences.get(index=1)
    suggestion = sentence.suggestions.get()
    earlier = document.effective_target
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected", expected_version=None,
                             claims=[ClaimInput(claim=suggestion.claim_span, speaker=suggestion.speaker_span,
                                                cue=suggestion.cue_span, speaker_id=suggestion.speaker_id,
                                                stance="oppose", suggestion_id=suggestion.pk)])
    Project.objects.filter(pk=document.project_id).update(stance_target="Ending US–Pakistan cooperation")
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, 1).locator(".idx").click()
    note = page.locator("#panel .earlier-target")
    expect(note).to_have_text(f"Your stances here were given toward the earlier target “{earlier}”: give them again "
                              "toward “Ending US–Pakistan cooperation”.")
    expect(page.locator("#panel button.stance.chosen")).to_have_count(0)
    page.keyboard.press("1")
    wait_saved(page, 1)
    expect(note).to_have_count(0)
    saved = SentenceAnnotation.objects.get(sentence=sentence)
    assert saved.stance_target == "Ending US–Pakistan cooperation"
    assert [c.stance.value for c in saved.claims.select_related("stance")] == ["support"]
