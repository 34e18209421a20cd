"""Selecting text with the mouse on the review page: double and triple clicks, drags past the text."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from annotate.models import Annotation, SentenceAnnotation
from tests.browser.test_review_flow import log_in, row, wait_saved

pytestmark = pytest.mark.browser


def point_of(page: Page, index: int, offset: int) -> dict:
    """The screen point in the middle of the character at text offset `offset` of row `index`."""
    row(page, index).scroll_into_view_if_needed()
    return page.evaluate(
        """([index, offset]) => {
            const segment = [...document.querySelectorAll(
                `#sentences > li.sentence[data-index="${index}"] span.text > span[data-offset]`)]
                .filter((s) => Number(s.dataset.offset) <= offset).pop();
            const range = document.createRange();
            const at = offset - Number(segment.dataset.offset);
            range.setStart(segment.firstChild, at);
            range.setEnd(segment.firstChild, at + 1);
            const box = range.getClientRects()[0];
            return { x: (box.left + box.right) / 2, y: (box.top + box.bottom) / 2 };
        }""",
        [index, offset],
    )


def stored(document, index: int) -> Annotation:
    return Annotation.objects.get(sentence_annotation__sentence__document=document, sentence_annotation__sentence__index=index)


def test_a_double_click_in_another_sentence_selects_without_moving(page: Page, document, people):
    """QA16: the first click of a double-click made its row the current sentence, so `s` then
    set the speaker of the sentence clicked, not of the one being edited."""
    text = document.text
    officials = text.index("officials")
    current = page.locator("#sentences > li.sentence.current")
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, 2).locator(".idx").click()  # a plain click moves at once
    expect(current).to_have_attribute("data-index", "2")

    word = point_of(page, 1, officials + 2)
    page.mouse.dblclick(word["x"], word["y"])
    assert page.evaluate("() => window.getSelection().toString()") == "officials"
    expect(current).to_have_attribute("data-index", "2")
    page.keyboard.press("s")
    wait_saved(page, 2)
    expect(current).to_have_attribute("data-index", "2")
    expect(page.locator('#panel .value[data-field="speaker"]')).to_have_text("officials (in sentence 2)")
    assert stored(document, 2).speaker_span == (officials, officials + len("officials"))
    assert not SentenceAnnotation.objects.filter(sentence__index=1).exists()

    page.mouse.click(word["x"], word["y"], click_count=3)  # a triple click does not move either
    expect(current).to_have_attribute("data-index", "2")
    row(page, 1).locator(".idx").click()  # while one click still does
    expect(current).to_have_attribute("data-index", "1")


def test_a_triple_click_or_a_drag_past_the_text_selects_up_to_its_end(page: Page, document, people):
    """QA16: a triple click (whose selection ends on the row's badge) and a drag ending past the
    text were refused with "Select text in the document first"."""
    sentence = document.sentences.get(index=2)
    text = document.text
    whole = (sentence.start, sentence.start + len(text[sentence.start : sentence.end].rstrip()))
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, 2).locator(".idx").click()
    expect(row(page, 2)).to_have_class(re.compile(r"\bcurrent\b"))

    row(page, 2).locator("span.text").click(click_count=3)
    page.keyboard.press("c")
    wait_saved(page, 2)
    assert stored(document, 2).claim_span == whole

    said = text.index("said that", sentence.start)
    start = point_of(page, 2, said)
    badge = row(page, 2).locator(".row-meta .status").bounding_box()
    page.mouse.move(start["x"] - 2, start["y"])
    page.mouse.down()
    page.mouse.move(badge["x"] + badge["width"] / 2, badge["y"] + badge["height"] / 2, steps=8)
    page.mouse.up()
    page.keyboard.press("c")
    expect(page.locator("#panel .hint")).to_have_count(0)
    wait_saved(page, 2)
    expect(page.locator('#panel .value[data-field="claim"]')).to_have_text(text[said : whole[1]])
    assert stored(document, 2).claim_span == (said, whole[1])


def test_a_selection_running_outside_the_sentences_says_so(page: Page, document, people):
    text = document.text
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, 1).locator(".idx").click()
    start = point_of(page, 1, text.index("senior"))
    button = page.locator("#panel .actions button").first.bounding_box()
    page.mouse.move(start["x"] - 2, start["y"])
    page.mouse.down()
    page.mouse.move(button["x"] + 5, button["y"] + button["height"] / 2, steps=8)
    page.mouse.up()
    page.keyboard.press("c")
    expect(page.locator("#panel .hint")).to_contain_text("outside the sentences")
    assert not SentenceAnnotation.objects.exists()


def test_a_span_set_in_another_row_is_drawn_there_at_once_and_undone_there(page: Page, document, people):
    """QA16: a speaker taken from another sentence (or a claim reaching into one) was drawn in
    that row only after a reload."""
    from tests.browser.test_review_flow import drag_select

    text = document.text
    first = document.sentences.get(index=0)
    word = text[first.start:first.end].split()[0]  # "Relations"
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, 3).locator(".idx").click()
    expect(row(page, 3)).to_have_class(re.compile(r"\bcurrent\b"))
    assert drag_select(page, 0, first.start, first.start + len(word)) == word
    page.keyboard.press("s")
    wait_saved(page, 3)
    expect(row(page, 0).locator("span.text .hl-speaker")).to_have_text([word])
    page.keyboard.press("z")
    expect(row(page, 3).locator("span.status")).to_have_text("suggested")
    expect(row(page, 0).locator("span.text .hl-speaker")).to_have_count(0)
