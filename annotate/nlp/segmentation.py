"""Sentence boundaries at line breaks, set before the parser parses.

A headline, a dateline or a paragraph never runs into the next line, but the parser,
left alone, often joins them into one sentence and then attaches words across the break
("..., researchers say\\n\\nA new vaccine ..."). Marking the token after a line break as a
sentence start before parsing makes the parser keep each line's tree to itself.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Token

LINE_BREAKS_COMPONENT = "claimdesk_line_breaks"
# Sentence-final punctuation of Chinese and Japanese (full-width stop, exclamation and question
# marks, and the halfwidth ideographic stop), and the closing quotation marks that may follow it.
FULL_STOPS = "\u3002\uff01\uff1f\uff61"
CLOSING_QUOTES = "\u201d\u300d\u300f\uff09\"'"
# What ends a sentence in the scripts the English parser cannot read (`_in_unparsed_script`).
SENTENCE_FINAL = frozenset(".!?\u061f\u06d4\u0964" + FULL_STOPS)
FULL_STOPS_INFIX = f"[{FULL_STOPS}][{CLOSING_QUOTES}]*"
CONTINUING_PUNCTUATION = frozenset({",", ";", ":", ")", "]", "%"})
# A list marker opening a line ("- ", "* ", "• ", "1. ", "2) ", "(a) ", "iv. "): it belongs to
# the item it marks, which the parser would otherwise start as a sentence of its own.
LIST_MARKER = re.compile(r"(?:[-*+\u2022\u2023\u25e6\u25aa\u2043\u2013\u2014]|\(?(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,4})[.)])[ \t]+")


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


def _keep_list_marker(doc: Doc, first: int, text: str) -> None:
    """If the line starting at token `first` opens with a list marker, tie the marker's
    tokens and the item's first word together: no sentence starts inside them."""
    marker = LIST_MARKER.match(text, doc[first].idx)
    if marker is None:
        return
    i = first + 1
    while i < len(doc) and doc[i].idx < marker.end():
        doc[i].is_sent_start = False
        i += 1
    if i < len(doc) and not doc[i].is_space:
        doc[i].is_sent_start = False  # the item's first word


def _in_capitals_run(token: Token) -> bool:
    """A word in capitals right after another ("ÉMILE ZOLA said ...", "GREENS CALL TRAM EXTENSION
    A MUST"): no sentence starts there, though the parser, at the start of a line, sometimes
    starts one."""
    if token.i == 0:
        return False
    doc = token.doc
    # A one-letter capital continues the run only if capitals go on after it ("... A MUST"), not
    # where a sentence starts after a headline ("NEWS IN BRIEF A man was arrested", QA14).
    one_letter = len(token.text) == 1 and token.text.isalpha() and token.text.isupper()
    if not (is_capitals_word(token) or one_letter and token.i + 1 < len(doc) and is_capitals_word(doc[token.i + 1])):
        return False
    before = doc[token.i - 1]
    return is_capitals_word(before) and "\n" not in before.whitespace_


def _after_capitals_headline(token: Token) -> bool:
    """The first word after a headline in capitals that opens its line and runs on into a sentence
    in ordinary case ("I SAY NO The mayor rejected ...", "NEWS IN BRIEF I was there, ...", QA15):
    a sentence starts there. Three capitals words at least, so that "UK NHS Trust said" is no headline."""
    doc = token.doc
    if token.i < 3 or not token.text[:1].isupper() or is_capitals_word(token):
        return False
    if len(token.text) == 1 and not (token.i + 1 < len(doc) and doc[token.i + 1].text[:1].islower()):
        return False  # "A" or "I" opens the sentence only before a word in lower case
    run = token.i
    while run > 0 and (is_capitals_word(doc[run - 1]) or doc[run - 1].text in ("A", "I")) and "\n" not in doc[run - 1].whitespace_:
        run -= 1
    line_start = run == 0 or "\n" in doc[run - 1].whitespace_ or doc[run - 1].is_space and "\n" in doc[run - 1].text
    return line_start and token.i - run >= 3 and sum(is_capitals_word(t) for t in doc[run:token.i]) >= 2


def _cannot_start(token: Token) -> bool:
    """Punctuation that continues what stands before it (", MAY 7:", "; then"), or a word right
    after a comma or a colon on the same line ("LEEDS, MAY 14: The extension ..."): no sentence
    starts there (QA13: datelines were cut up)."""
    if token.i == 0:
        return False
    before = token.doc[token.i - 1]
    return token.text in CONTINUING_PUNCTUATION or (before.text in (",", ":") and "\n" not in before.whitespace_)


def is_capitals_word(token: Token) -> bool:
    """A word in capitals ("ZOLA", "ÉMILE" however its "É" is encoded), not a one-letter word
    or an initial."""
    text = unicodedata.normalize("NFC", token.text)  # "E" + combining acute is no letter run else
    return len(text) > 1 and text.isalpha() and text.isupper()


@Language.component(LINE_BREAKS_COMPONENT)
def mark_line_breaks(doc: Doc) -> Doc:
    text = doc.text
    if len(doc):
        _keep_list_marker(doc, 0, text)
    for token in doc:
        if token.i + 1 < len(doc) and is_line_break(token):
            doc[token.i + 1].is_sent_start = True
            _keep_list_marker(doc, token.i + 1, text)
        elif _in_capitals_run(token) or _cannot_start(token) or _in_unparsed_script(token):
            token.is_sent_start = False
        elif _after_capitals_headline(token) or _after_full_stop(token):
            token.is_sent_start = True
    return doc


def _in_unparsed_script(token: Token) -> bool:
    """A word in a script other than Latin (Arabic, Cyrillic, Devanagari, ...) not after a full
    stop: the English parser reads no such text and cut an Arabic sentence in two at its
    "أن" (QA16); there a sentence starts only after sentence-final punctuation or a line."""
    doc = token.doc
    # An opening quotation mark or bracket goes with the word after it ("أن "التعاون").
    word = doc[token.i + 1] if token.is_punct and token.i + 1 < len(doc) else token
    first = word.text[:1]
    if token.i == 0 or not first.isalpha() or unicodedata.name(first, "LATIN").startswith("LATIN"):
        return False
    before = doc[token.i - 1]
    return not (before.is_space or before.text.rstrip(CLOSING_QUOTES)[-1:] in SENTENCE_FINAL)


def _after_full_stop(token: Token) -> bool:
    """The first token after a Chinese or Japanese full stop (and the quotation it closes)."""
    if token.i == 0 or token.is_space or token.text[0] in CLOSING_QUOTES or token.text[0] in FULL_STOPS:
        return False
    stop = token.doc[token.i - 1].text.rstrip(CLOSING_QUOTES)[-1:]
    return stop != "" and stop in FULL_STOPS


def add_line_breaks(nlp: Language) -> Language:
    """Put the component before the parser (or first, for a pipeline without one)."""
    if LINE_BREAKS_COMPONENT not in nlp.pipe_names:
        if "parser" in nlp.pipe_names:
            nlp.add_pipe(LINE_BREAKS_COMPONENT, before="parser")
        else:
            nlp.add_pipe(LINE_BREAKS_COMPONENT, first=True)
    return nlp


def split_at_full_stops(nlp: Language) -> Language:
    """Make the tokenizer split at the full stops of Chinese and Japanese, which stand between
    sentences with no space after them: the English tokenizer kept a whole paragraph as one
    token, so one sentence (QA16)."""
    pattern = nlp.tokenizer.infix_finditer.__self__.pattern
    if FULL_STOPS_INFIX not in pattern:
        nlp.tokenizer.infix_finditer = re.compile(f"{pattern}|{FULL_STOPS_INFIX}").finditer
    return nlp


def load_base(model_name: str, *, exclude: Sequence[str] = ()) -> Language:
    """The installed spaCy pipeline with line breaks (and full stops with no space after them)
    as sentence starts: what the app parses with, and so what training must parse with too."""
    return add_line_breaks(split_at_full_stops(spacy.load(model_name, exclude=list(exclude))))
