"""Canonical speakers on the review page: matching a selected mention, merges and renames by a reviewer."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from annotate.models import Annotation, Speaker, Suggestion, speaker_key
from annotate.services.imports import import_documents, parse_text
from annotate.services.speakers import merge_speakers
from annotate.services.workflow import assign_documents
from tests.browser.test_review_flow import drag_select, log_in, row, wait_saved

pytestmark = pytest.mark.browser


def test_a_selected_speaker_links_only_a_speaker_of_the_same_name(page, project, people):
    """"Pakistani officials" is not "Pakistan": a longer, different mention gets a speaker of its own."""
    text = "Pakistan said the talks were useful. A letter from Pakistani officials arrived on Monday."
    document = import_documents(project=project, documents=parse_text(text, title="Letters")).created[0]
    assign_documents(project=project, documents=[document], annotators=[people["annotator"]])
    pakistan, _ = Speaker.objects.get_or_create(document=document, name="Pakistan")
    assert not Speaker.objects.filter(document=document, name="Pakistani officials").exists()
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")

    officials = text.index("Pakistani officials")
    row(page, 1).locator(".idx").click()
    expect(row(page, 1)).to_have_class(re.compile(r"\bcurrent\b"))
    assert drag_select(page, 1, officials, officials + len("Pakistani officials")) == "Pakistani officials"
    page.keyboard.press("s")
    wait_saved(page, 1)
    [claim] = Annotation.objects.filter(sentence_annotation__sentence__index=1, sentence_annotation__sentence__document=document)
    assert claim.speaker.name == "Pakistani officials"
    expect(page.locator("#panel .claim select").first.locator("option:checked")).to_have_text("Pakistani officials")

    # The same name, whatever its case, is the same speaker.
    Speaker.objects.filter(pk=pakistan.pk).update(name="PAKISTAN")
    page.reload()
    row(page, 0).locator(".idx").click()
    assert drag_select(page, 0, 0, len("Pakistan")) == "Pakistan"
    page.keyboard.press("s")
    wait_saved(page, 0)
    assert Annotation.objects.get(sentence_annotation__sentence__index=0,
                                  sentence_annotation__sentence__document=document).speaker_id == pakistan.pk


def test_a_mention_spelled_in_another_unicode_form_links_the_speaker_already_there(page, project, people):
    """The text spells "Émile" with a combining accent and "Dreyfus" with a soft hyphen (pasted
    from a PDF): selected, each links the speaker of that name instead of proposing a new one."""
    text = "E\u0301mile Zola wrote the letter. Drey\u00adfus was innocent."
    document = import_documents(project=project, documents=parse_text(text, title="J'accuse")).created[0]
    assign_documents(project=project, documents=[document], annotators=[people["annotator"]])
    zola, dreyfus = (  # as pre-annotation names them (the project is blind: the annotator sees those)
        Speaker.objects.filter(document=document, name_key=speaker_key(name)).first()
        or Speaker.objects.create(document=document, name=name, from_machine=True) for name in ("\u00c9mile Zola", "Dreyfus"))
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    sent = []
    page.on("request", lambda request: sent.append(request.post_data_json) if request.method == "PUT" else None)

    for index, speaker, mention in ((0, zola, "E\u0301mile Zola"), (1, dreyfus, "Drey\u00adfus")):
        row(page, index).locator(".idx").click()
        expect(row(page, index)).to_have_class(re.compile(r"\bcurrent\b"))
        start = text.index(mention)
        drag_select(page, index, start, start + len(mention))
        page.keyboard.press("s")
        wait_saved(page, index)
        assert [(c["speaker_id"], c["speaker_name"]) for c in sent[-1]["claims"]] == [(speaker.pk, None)]
    assert Speaker.objects.filter(document=document).count() == 2


def test_an_open_page_keeps_its_edit_when_a_reviewer_merges_its_speaker(page, document, people):
    suggestion = Suggestion.objects.get(sentence__document=document, sentence__index=1)  # "…, senior officials said."
    keep = suggestion.speaker
    duplicate = Speaker.objects.create(document=document, name="the senior officials")
    Suggestion.objects.filter(pk=suggestion.pk).update(speaker=duplicate)
    log_in(page, "annotator")
    page.goto(f"/documents/{document.pk}/")
    row(page, 1).locator(".idx").click()
    picker = page.locator("#panel .claim select").first
    expect(picker).to_have_value(str(duplicate.pk))

    merge_speakers(duplicate, into=keep, by=people["reviewer"])  # meanwhile, in the reviewer's tab
    page.keyboard.press("2")
    wait_saved(page, 1)
    claim = Annotation.objects.select_related("stance").get(sentence_annotation__sentence=suggestion.sentence)
    assert (claim.speaker_id, claim.stance.value) == (keep.pk, "oppose")
    expect(picker).to_have_value(str(keep.pk))


def test_a_refused_rename_says_why(page, document, people, browser_errors):
    browser_errors.expect(r"status of 400 \(Bad Request\)")  # the refusal itself
    speaker = Speaker.objects.filter(document=document).order_by("name").first()
    log_in(page, "reviewer")
    page.goto(f"/documents/{document.pk}/")
    expect(row(page, 0)).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("m")
    line = page.locator(f'#speakers-dialog tr[data-speaker="{speaker.pk}"]')
    line.get_by_label(f"name of {speaker.name}").fill("")
    line.get_by_role("button", name="Rename").click()
    expect(page.locator("#speakers-status")).to_have_text("name: This field may not be blank.")
    assert Speaker.objects.get(pk=speaker.pk).name == speaker.name
