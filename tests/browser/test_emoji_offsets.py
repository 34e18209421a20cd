"""Characters outside the BMP (emoji) on the review and adjudication pages.

The server counts offsets in code points; JavaScript strings index UTF-16 code units, where
an emoji takes two. Each emoji before a span would shift it by one unit if the page did not
convert: rows would show broken surrogate halves and selected spans would be saved misplaced.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from annotate.models import Annotation, SentenceAnnotation
from annotate.services.annotations import ClaimInput, save_sentence_annotation
from annotate.services.imports import import_documents, parse_text
from annotate.services.workflow import assign_documents
from tests.browser.test_review_flow import drag_select, log_in, row, wait_saved

pytestmark = pytest.mark.browser

EMOJI_TEXT = (
    "🎉🎉 Big news 😀! The mayor 👩‍⚖️ Jane Doe said that the new policy is good for everyone.\n"
    "Critics 🙄 claimed the policy 🚋 would fail."
)


@pytest.fixture
def emoji_document(project, people):
    document = import_documents(project=project, documents=parse_text(EMOJI_TEXT, title="emoji")).created[0]
    assign_documents(project=project, documents=[document], annotators=[people["annotator"]])
    return document


def units(text: str, offset: int) -> int:
    """The UTF-16 index (what the page's data-offset and selections count) of a code point offset."""
    return len(text[:offset].encode("utf-16-le")) // 2


def span_of(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


def sentence_with(document, phrase: str):
    start = document.text.index(phrase)
    return document.sentences.get(start__lte=start, end__gt=start)


def text_of(text: str, start: int | None, end: int | None) -> str | None:
    return None if start is None else text[start:end]


def test_rows_and_highlights_show_their_own_text(page: Page, emoji_document):
    text = emoji_document.text
    sentences = list(emoji_document.sentences.order_by("index"))
    log_in(page, "annotator")
    page.goto(f"/documents/{emoji_document.pk}/")
    expect(page.locator("#sentences > li.sentence")).to_have_count(len(sentences))
    for sentence in sentences:
        expect(row(page, sentence.index).locator("span.text")).to_have_text(text[sentence.start : sentence.end].strip())

    # The last sentence's suggested claim ("the policy 🚋 would fail") itself holds an emoji; its
    # speaker is "Critics", the emoji after it left out.
    critics = sentence_with(emoji_document, "Critics")
    suggestion = critics.suggestions.get()
    texts = {role: text_of(text, *getattr(suggestion, f"{role}_span")) for role in ("speaker", "cue", "claim")}
    assert "🚋" in texts["claim"] and texts["speaker"] == "Critics"
    for role, expected in texts.items():
        expect(row(page, critics.index).locator(f"span.text .hl-{role}")).to_have_text([expected])
    row(page, critics.index).locator(".idx").click()
    for role, expected in texts.items():
        expect(page.locator(f'#panel .value[data-field="{role}"]')).to_have_text(expected)


def test_selected_speaker_and_claim_are_saved_where_they_were_selected(page: Page, emoji_document, people):
    text = emoji_document.text
    sentence = sentence_with(emoji_document, "Jane Doe")
    speaker = span_of(text, "Jane Doe")
    claim = span_of(text, "the new policy is good for everyone")
    log_in(page, "annotator")
    page.goto(f"/documents/{emoji_document.pk}/")
    row(page, sentence.index).locator(".idx").click()
    expect(row(page, sentence.index)).to_have_class(re.compile(r"\bcurrent\b"))

    assert drag_select(page, sentence.index, units(text, speaker[0]), units(text, speaker[1])) == "Jane Doe"
    page.keyboard.press("s")
    wait_saved(page, sentence.index)
    assert drag_select(page, sentence.index, units(text, claim[0]), units(text, claim[1])) == text[claim[0] : claim[1]]
    page.keyboard.press("c")
    wait_saved(page, sentence.index)

    saved = SentenceAnnotation.objects.get(sentence=sentence, annotator=people["annotator"])
    assert saved.status == "corrected"
    [stored] = Annotation.objects.filter(sentence_annotation=saved).select_related("speaker")
    assert stored.speaker_span == speaker
    assert stored.claim_span == claim
    assert stored.speaker.name == "Jane Doe"  # the new canonical speaker, named from the selection

    # What the server sends back is shown where it belongs, on the page and after a reload.
    for _ in range(2):
        row(page, sentence.index).locator(".idx").click()
        expect(page.locator('#panel .value[data-field="speaker"]')).to_have_text("Jane Doe")
        expect(row(page, sentence.index).locator("span.text .hl-speaker")).to_have_text(["Jane Doe"])
        expect(row(page, sentence.index).locator("span.text .hl-claim")).to_have_text([text[claim[0] : claim[1]]])
        page.reload()


def test_accepting_a_suggestion_after_emoji_keeps_its_offsets(page: Page, emoji_document, people):
    sentence = sentence_with(emoji_document, "Critics")
    suggestion = sentence.suggestions.get()
    log_in(page, "annotator")
    page.goto(f"/documents/{emoji_document.pk}/")
    row(page, sentence.index).locator(".idx").click()
    expect(row(page, sentence.index)).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("Enter")
    wait_saved(page, sentence.index)
    expect(row(page, sentence.index).locator("span.status")).to_have_text("accepted")

    saved = SentenceAnnotation.objects.get(sentence=sentence, annotator=people["annotator"])
    assert saved.status == "accepted"
    [stored] = saved.claims.all()
    assert (stored.speaker_span, stored.cue_span, stored.claim_span) == (
        suggestion.speaker_span, suggestion.cue_span, suggestion.claim_span)
    assert stored.suggestion_id == suggestion.pk


def test_the_adjudication_page_shows_and_takes_an_annotators_spans(page: Page, emoji_document, people):
    text = emoji_document.text
    sentence = sentence_with(emoji_document, "Jane Doe")
    speaker = span_of(text, "Jane Doe")
    claim = span_of(text, "the new policy is good for everyone")
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected", expected_version=None,
                             claims=[ClaimInput(claim=claim, speaker=speaker, speaker_name="Jane Doe")])
    log_in(page, "reviewer")
    page.goto(f"/documents/{emoji_document.pk}/adjudicate/")
    for s in emoji_document.sentences.order_by("index"):
        expect(row(page, s.index).locator("span.text")).to_have_text(text[s.start : s.end].strip())

    # Without gold yet, the sentence starts from the annotator's version: shown on its words.
    row(page, sentence.index).locator(".idx").click()
    expect(row(page, sentence.index).locator("span.text .hl-speaker")).to_have_text(["Jane Doe"])
    expect(page.locator("#panel .work .version").first).to_contain_text(f"Jane Doe → “{text[claim[0] : claim[1]]}”")
    page.keyboard.press("Enter")
    wait_saved(page, sentence.index)
    gold = SentenceAnnotation.objects.get(sentence=sentence, kind=SentenceAnnotation.Kind.ADJUDICATION)
    [stored] = gold.claims.all()
    assert (stored.speaker_span, stored.claim_span) == (speaker, claim)


def test_their_version_in_a_conflict_and_the_history_show_their_own_words(page: Page, emoji_document, people,
                                                                          browser_errors):
    browser_errors.expect(r"status of 409 \(Conflict\)")
    text = emoji_document.text
    sentence = sentence_with(emoji_document, "Jane Doe")
    speaker = span_of(text, "Jane Doe")
    claim = text[slice(*span_of(text, "the new policy is good for everyone"))]
    log_in(page, "annotator")
    page.goto(f"/documents/{emoji_document.pk}/")
    row(page, sentence.index).locator(".idx").click()
    expect(row(page, sentence.index)).to_have_class(re.compile(r"\bcurrent\b"))
    # Saved meanwhile elsewhere (another tab): the page's next save is stale.
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected", expected_version=None,
                             claims=[ClaimInput(claim=span_of(text, claim), speaker=speaker, speaker_name="Jane Doe")])
    page.keyboard.press("3")
    conflict = page.locator("#panel .conflict")
    expect(conflict.locator("li")).to_contain_text(f"speaker Jane Doe · cue — · claim “{claim}”")
    conflict.get_by_role("button", name="Use theirs").click()
    expect(row(page, sentence.index).locator("span.text .hl-speaker")).to_have_text(["Jane Doe"])
    page.keyboard.press("h")
    expect(page.locator("#panel .history")).to_contain_text(f"annotation.save: corrected, Jane Doe → “{claim}”")


def select_units(page: Page, index: int, start: int, end: int) -> None:
    """Select UTF-16 units [start, end) of row `index` with the DOM's own selection: unlike the
    mouse, it can stop between the two halves of an emoji."""
    page.evaluate(
        """([index, start, end]) => {
            const pieces = [...document.querySelectorAll(
                `#sentences > li.sentence[data-index="${index}"] span.text > span[data-offset]`)];
            const at = (offset, isEnd) => {
                const piece = pieces.find((p) => {
                    const from = Number(p.dataset.offset), to = from + p.textContent.length;
                    return isEnd ? from < offset && offset <= to : from <= offset && offset < to;
                });
                return [piece.firstChild, offset - Number(piece.dataset.offset)];
            };
            window.getSelection().setBaseAndExtent(...at(start, false), ...at(end, true));
        }""",
        [index, start, end],
    )


def test_a_selection_ending_inside_an_emoji_takes_the_whole_emoji(page: Page, emoji_document, people):
    """QA16: a boundary between the two halves of an emoji was rounded down at both ends, so a
    selection of the first half gave an empty span that could never be saved."""
    text = emoji_document.text
    sentence = sentence_with(emoji_document, "Critics")
    critics, rolling = text.index("Critics"), text.index("🙄")
    log_in(page, "annotator")
    page.goto(f"/documents/{emoji_document.pk}/")
    row(page, sentence.index).locator(".idx").click()
    expect(row(page, sentence.index)).to_have_class(re.compile(r"\bcurrent\b"))

    select_units(page, sentence.index, units(text, critics), units(text, rolling) + 1)  # up to half the emoji
    page.keyboard.press("s")
    wait_saved(page, sentence.index)
    expect(page.locator('#panel .value[data-field="speaker"]')).to_have_text("Critics 🙄")
    page.keyboard.press("a")  # a second claim, then only the emoji's first half as its claim
    wait_saved(page, sentence.index)
    select_units(page, sentence.index, units(text, rolling), units(text, rolling) + 1)
    page.keyboard.press("c")
    wait_saved(page, sentence.index)
    expect(page.locator('#panel .claim.active .value[data-field="claim"]')).to_have_text("🙄")

    saved = SentenceAnnotation.objects.get(sentence=sentence, annotator=people["annotator"])
    first, second = saved.claims.order_by("id")
    assert first.speaker_span == (critics, rolling + 1)
    assert second.claim_span == (rolling, rolling + 1)
