"""Keyboard-only use of the review page: the canonical-speaker picker."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotate.models import Annotation, Speaker, Suggestion
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


def test_a_reviewer_merges_a_duplicate_speaker_and_renames_one(page, project, people):
    """`m` opens the document's speakers; a merge repoints the claims at once, on the page
    and in the database, and a rename shows up in the claim's speaker list."""
    document = import_documents(project=project, documents=parse_upload(SEED.name, SEED.read_bytes())).created[0]
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
