"""Keyboard-only use of the review page: the canonical-speaker picker."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotate.models import Annotation
from annotate.services.imports import import_documents, parse_upload
from annotate.services.workflow import assign_documents
from tests.browser.test_review_flow import SEED, log_in, row, wait_saved

pytestmark = pytest.mark.browser


def test_pick_a_canonical_speaker_with_the_keyboard_alone(page, project, people):
    document = import_documents(project=project, documents=parse_upload(SEED.name, SEED.read_bytes())).created[0]
    assign_documents(project=project, documents=[document], annotators=[people["annotator"]])
    attributed = document.sentences.filter(suggestions__speaker__isnull=False).order_by("index").first()
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, attributed.index).locator(".idx").click()
    before = page.locator("#panel .claim select").first.input_value()
    page.keyboard.press("p")
    expect(page.locator("#panel .claim select").first).to_be_focused()
    page.keyboard.press("ArrowDown")
    wait_saved(page, attributed.index)
    page.keyboard.press("Escape")
    expect(page.locator("#panel .claim select").first).not_to_be_focused()
    chosen = page.locator("#panel .claim select").first.input_value()
    assert chosen != before
    page.keyboard.press("j")  # the keys work again
    expect(page.locator("#sentences > li.sentence.current")).not_to_have_attribute("data-index", str(attributed.index))
    saved = Annotation.objects.get(sentence_annotation__sentence=attributed)
    assert str(saved.speaker_id or "") == chosen
