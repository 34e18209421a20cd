"""Sentence boundaries at line breaks, set before the parser parses.

A headline, a dateline or a paragraph never runs into the next line, but the parser,
left alone, often joins them into one sentence and then attaches words across the break
("..., researchers say\\n\\nA new vaccine ..."). Marking the token after a line break as a
sentence start before parsing makes the parser keep each line's tree to itself.
"""
from __future__ import annotations

from collections.abc import Sequence

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Token

LINE_BREAKS_COMPONENT = "claimdesk_line_breaks"


def is_line_break(token: Token) -> bool:
    """A whitespace token holding a line break that ends a line of text (a headline, a
    paragraph), not a hard wrap inside a sentence: a single newline between a lowercase word
    or a comma and a lowercase word ("to promote\nequal opportunity") is a wrap."""
    if not (token.is_space and "\n" in token.text):
        return False
    if token.text.count("\n") > 1 or token.i == 0 or token.i + 1 >= len(token.doc):
        return True
    before, after = token.doc[token.i - 1].text, token.doc[token.i + 1].text
    wrapped = (before[-1:].islower() or before in (",", ";")) and after[:1].islower()
    return not wrapped


@Language.component(LINE_BREAKS_COMPONENT)
def mark_line_breaks(doc: Doc) -> Doc:
    for token in doc[:-1]:
        if is_line_break(token):
            doc[token.i + 1].is_sent_start = True
    return doc


def add_line_breaks(nlp: Language) -> Language:
    """Put the component before the parser (or first, for a pipeline without one)."""
    if LINE_BREAKS_COMPONENT not in nlp.pipe_names:
        if "parser" in nlp.pipe_names:
            nlp.add_pipe(LINE_BREAKS_COMPONENT, before="parser")
        else:
            nlp.add_pipe(LINE_BREAKS_COMPONENT, first=True)
    return nlp


def load_base(model_name: str, *, exclude: Sequence[str] = ()) -> Language:
    """The installed spaCy pipeline with line breaks as sentence starts: what the app parses
    with, and so what training must parse with too."""
    return add_line_breaks(spacy.load(model_name, exclude=list(exclude)))
