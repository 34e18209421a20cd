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
    """The save goes where the merge went; then the page follows the merge too: its list stops
    offering the merged speaker, and the other sentences' claims that named it name the other."""
    suggestion = Suggestion.objects.get(sentence__document=document, sentence__index=1)  # "…, senior officials said."
    keep = suggestion.speaker
    duplicate = Speaker.objects.create(document=document, name="the senior officials")
    Suggestion.objects.filter(sentence__document=document, sentence__index__in=[1, 2]).update(speaker=duplicate)
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
    expect(picker.locator(f'option[value="{duplicate.pk}"]')).to_have_count(0)
    row(page, 2).locator(".idx").click()
    expect(row(page, 2)).to_have_class(re.compile(r"\bcurrent\b"))
    expect(picker).to_have_value(str(keep.pk))  # the draft of this sentence followed the merge


def test_the_speakers_dialog_shows_the_speakers_as_they_are_now(page, document, people, browser_errors):
    """QA: a merge made in another tab (or by another reviewer) after the page loaded left the
    merged speaker in the dialog, and renaming it said DRF's "No Speaker matches the given
    query.". The dialog fetches the list as it opens; a speaker gone meanwhile is said to be in
    plain words, and the dialog and the panel go on with the list as it is now."""
    browser_errors.expect(r"status of 404 \(Not Found\)")  # the rename of the speaker gone meanwhile
    browser_errors.expect(r"status of 400 \(Bad Request\)")  # the merge into the speaker gone meanwhile
    keep = Speaker.objects.create(document=document, name="Ambassador Wells")
    wells, alice, initials, ambassador = (Speaker.objects.create(document=document, name=name)
                                          for name in ("Wells", "Alice Wells", "A. Wells", "the Ambassador"))
    log_in(page, "reviewer")
    page.goto(f"/documents/{document.pk}/adjudicate/")
    expect(row(page, 0)).to_have_class(re.compile(r"\bcurrent\b"))
    dialog = page.locator("#speakers-dialog")
    line = dialog.locator(f'tr[data-speaker="{wells.pk}"]')

    merge_speakers(wells, into=keep, by=people["admin"])  # after the page loaded
    page.keyboard.press("m")
    expect(dialog.locator(f'tr[data-speaker="{keep.pk}"]')).to_be_visible()
    expect(line).to_have_count(0)
    expect(dialog.get_by_label(f"merge {keep.name} into").locator("option")).to_have_text(["—", *(
        s.name for s in Speaker.objects.filter(document=document).exclude(pk=keep.pk).order_by("name"))])

    merge_speakers(alice, into=keep, by=people["admin"])  # while the dialog is open
    alice_line = dialog.locator(f'tr[data-speaker="{alice.pk}"]')
    alice_line.get_by_label("name of Alice Wells").fill("Alice G. Wells")
    alice_line.get_by_role("button", name="Rename").click()
    expect(page.locator("#speakers-status")).to_contain_text("“Alice Wells” is no longer a speaker of this document: "
                                                             "it was merged into another or removed elsewhere")
    expect(alice_line).to_have_count(0)

    ambassador_line = dialog.locator(f'tr[data-speaker="{ambassador.pk}"]')
    ambassador_line.get_by_label("merge the Ambassador into").select_option(str(initials.pk))
    merge_speakers(initials, into=keep, by=people["admin"])  # the one to merge into, meanwhile
    ambassador_line.get_by_role("button", name="Merge").click()
    expect(page.locator("#speakers-status")).to_contain_text("“A. Wells” is no longer a speaker of this document")
    expect(dialog.locator(f'tr[data-speaker="{initials.pk}"]')).to_have_count(0)
    assert Speaker.objects.filter(pk=ambassador.pk).exists()
    page.keyboard.press("Escape")
    expect(page.locator(f'#panel option[value="{alice.pk}"]')).to_have_count(0)
    assert Speaker.objects.get(pk=keep.pk).name == "Ambassador Wells"


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


def test_on_a_blind_page_the_dialog_curates_every_speaker_the_picker_does_not_show(page, document, people, make_user):
    """QA8: on the annotating page of a blind project the dialog listed what the page may show,
    then after a rename every speaker, then again not: a speaker an annotator typed could not
    be merged from there. The dialog lists every speaker; the picker keeps to the blind list."""
    assert document.project.blind
    typed = Speaker.objects.create(document=document, name="Okafor", created_by=people["annotator"])
    log_in(page, "reviewer")
    page.goto(f"/documents/{document.pk}/")
    expect(row(page, 0)).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator(f'#panel option[value="{typed.pk}"]')).to_have_count(0)  # others' work, on a blind page
    page.keyboard.press("m")
    dialog = page.locator("#speakers-dialog")
    line = dialog.locator(f'tr[data-speaker="{typed.pk}"]')
    expect(line).to_be_visible()
    line.get_by_label("name of Okafor").fill("Dr. Okafor")
    line.get_by_role("button", name="Rename").click()
    expect(page.locator("#speakers-status")).to_have_text("✓ renamed to “Dr. Okafor”")
    expect(line).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("m")
    expect(line).to_be_visible()  # the same list on every opening
    page.keyboard.press("Escape")
    expect(page.locator(f'#panel option[value="{typed.pk}"]')).to_have_count(0)


def test_enter_in_a_speakers_name_renames_it(page, document, people):
    """QA16: Enter in a name field of the speakers dialog did nothing; only the button renamed."""
    speaker = Speaker.objects.filter(document=document).order_by("name").first()
    log_in(page, "reviewer")
    page.goto(f"/documents/{document.pk}/")
    expect(row(page, 0)).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("m")
    name = page.locator(f'#speakers-dialog tr[data-speaker="{speaker.pk}"]').get_by_label(f"name of {speaker.name}")
    name.fill("Senior officials of the ministry")
    name.press("Enter")
    expect(page.locator("#speakers-status")).to_have_text("✓ renamed to “Senior officials of the ministry”")
    expect(page.locator("#speakers-dialog")).to_be_visible()
    assert Speaker.objects.get(pk=speaker.pk).name == "Senior officials of the ministry"
