"""Attribution extraction (speaker / cue / claim spans) on top of a spaCy parse.

How it works, in three steps per document:

1. Candidates from rules (`attribution_patterns.py`): a verb cue with its subject and its
   clausal or object complement ("X said that Y", "Y, X said", "A, X said, B" as the hull
   A..B, "X urged Y to Z"), a passive with an agent ("was informed by X"), "according to
   X", a colon after a speech noun or before a quotation ("Trump's tweet: \"...\""), and
   quotations standing alone.
   Content spans stay inside the cue's sentence and clause (not back over a ";" or ":"),
   then follow the gold conventions for quotations (`"`, curly marks, or `''`): a
   quotation is all or nothing, a content opening with a quotation said
   before its cue is that quotation, a quotation resumed right after its speaker and cue
   ('"A," he said. "B."') makes the content the hull A..B (PolNeAR's convention; the
   GenderGapTracker gold marks B as a separate, speakerless quote, which the component's
   `quote_convention="split"` reproduces), a leading "that" is
   kept, and a cue inside the quotation it would report is dropped as quoted speech.
2. Each candidate gets features (the rule, a learned per-lemma cue rate, dependency shape,
   speaker kind, quotation marks ...). Two logistic models give P(content right) and
   P(content right and speaker right); isotonic tables calibrate both. Candidates above
   the learned threshold are kept, best first, one claim per content.
3. Speakers are normalised per document (`speakers.py`) and every sentence not covered by
   a claim gets an author claim.

`train_attribution()` refits everything from gold rows; the result is plain JSON data
in `models/attribution/attribution_model.json`, rebuilt (deterministically) from the
PolNeAR and GenderGapTracker dev gold with

    .venv/bin/python bench/attribution_eval.py --train annotate/nlp/models/attribution/attribution_model.json

Add `--without-heldout-third` (and another output path) for the model that honest
held-out figures are reported with (`--split heldout-third --attribution-model PATH`).
"""
from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Token

from . import attribution_patterns as P
from .calibration import IsotonicTable, LogisticModel, fit_isotonic, fit_logistic
from .segmentation import is_capitals_word, is_line_break
from .speakers import entities_in, entity_at, is_edge_symbol, normalise_speakers
from .types import CharSpan, ClaimPrediction, DocumentPrediction

DEFAULT_MODEL_PATH = Path(__file__).parent / "models" / "attribution" / "attribution_model.json"
# Confidence of an author claim: the sentence is certainly text, but it may still hold an
# attribution the rules missed.
AUTHOR_CLAIM_CONFIDENCE = 0.5
# Smoothing weight of the hand-set prior against the learned per-lemma cue rate.
PRIOR_WEIGHT = 5.0
# Unknown lemmas (candidates built in training for every verb) start from this rate.
UNSEEN_LEMMA_PRIOR = 0.02

if not Doc.has_extension("prediction"):
    Doc.set_extension("prediction", default=None)


# ---------------------------------------------------------------------------- spans


def _chars(doc: Doc, start: int, end: int) -> CharSpan:
    """Character span of tokens [start, end)."""
    last = doc[end - 1]
    return doc[start].idx, last.idx + len(last.text)


def jaccard(a: CharSpan, b: CharSpan) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def _overlaps(a: CharSpan | None, b: CharSpan | None) -> bool:
    return a is not None and b is not None and min(a[1], b[1]) > max(a[0], b[0])


def sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    """Token ranges of the sentences, also split at line breaks (headlines, paragraphs; see
    `segmentation.is_line_break`), with whitespace-only pieces dropped. On a doc parsed by the
    app's pipeline the parser has already split there; this also serves docs parsed without it."""
    spans: list[tuple[int, int]] = []
    for sent in doc.sents:
        start = sent.start
        for tok in sent:
            if is_line_break(tok):
                if tok.i > start:
                    spans.append((start, tok.i))
                start = tok.i + 1
        if sent.end > start:
            spans.append((start, sent.end))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        words = [doc[i] for i in range(start, end) if not doc[i].is_space]
        if not words:
            continue
        # The parser sometimes ends a sentence before its closing quotation mark ('us.' + '"'):
        # punctuation alone is no sentence, it closes the one before.
        if merged and all(t.is_punct for t in words) and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], words[-1].i + 1)
            continue
        # Whitespace at a sentence's edges ("said.\t") is no part of it.
        merged.append((words[0].i, words[-1].i + 1))
    return merged


def find_quotations(text: str) -> list[CharSpan]:
    """Paired quotation spans (marks included), paragraph by paragraph.

    Curly marks say which side they are; a straight mark (`"`, or `''` as some wire copy
    writes it) opens after whitespace or an opening bracket and closes otherwise. An
    unpaired mark only loses its own quotation.
    """
    quotes: list[CharSpan] = []
    open_at: int | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        width = 1
        if ch == "\n" and (i + 1 < len(text) and text[i + 1] == "\n" or i == 0 or text[i - 1] == "\n"):
            open_at = None  # a blank line ends every quotation (paragraph boundary)
            i += 1
            continue
        if ch in P.OPENING_QUOTES:
            opening = True
        elif ch in P.CLOSING_QUOTES:
            opening = False
        elif ch in P.STRAIGHT_QUOTES or text.startswith(P.DOUBLED_APOSTROPHE, i):
            width = 1 if ch in P.STRAIGHT_QUOTES else len(P.DOUBLED_APOSTROPHE)
            opening = open_at is None and (i == 0 or text[i - 1].isspace() or text[i - 1] in "([{-\u2014")
        else:
            i += 1
            continue
        if opening:
            open_at = i
        elif open_at is not None:
            if i + width - open_at <= P.MAX_QUOTE_CHARS:
                quotes.append((open_at, i + width))
            open_at = None
        i += width
    return quotes


def _widen_to_quotations(span: CharSpan, quotes: Sequence[CharSpan]) -> CharSpan:
    """Grow a content span to every quotation it partly overlaps (a quote is all or nothing)."""
    start, end = span
    for q_start, q_end in quotes:
        if q_start < end and start < q_end:
            start, end = min(start, q_start), max(end, q_end)
    return start, end


# ---------------------------------------------------------------------------- candidates


@dataclass
class Candidate:
    """One possible attribution, before scoring."""

    rule: str  # "verb", "noun", "according_to", "colon", "back_reference" or "quotation"
    content: CharSpan
    cue: CharSpan | None
    speaker: CharSpan | None
    cue_token: int  # token index the claim is filed by (the cue, or the quotation start)
    cue_lemma: str = ""  # lemma of a verb cue, for the learned per-lemma rate
    shape: str = ""  # how a verb cue's content was found ("ccomp", "dobj", ...)
    features: dict[str, float] = field(default_factory=dict)
    p_content: float = 0.0
    p_e2e: float = 0.0
    speaker_entity: int | None = None
    # (end of A, start of B) when the content is a quotation resumed after its cue ('"A," X said. "B"')
    resumed: tuple[int, int] | None = None


def _trimmed(doc: Doc, start: int, end: int) -> tuple[int, int] | None:
    """Drop edge punctuation (but not quotation marks) and a leading conjunction. A leading
    complementiser "that" stays: both gold sets put it inside the content."""
    while start < end and (doc[start].is_space or doc[start].is_punct and not doc[start].is_quote
                           or doc[start].lower_ in P.DROPPED_LEADING_WORDS and doc[start].tag_ == "CC"):
        start += 1
    while end > start and (doc[end - 1].is_space or doc[end - 1].is_punct and not doc[end - 1].is_quote):
        end -= 1
    return (start, end) if end > start else None


def _subtree(tok: Token) -> tuple[int, int]:
    return tok.left_edge.i, tok.right_edge.i + 1


def _possessor_range(possessor: Token) -> tuple[int, int]:
    """A possessor's words without the possessive marker: "Trump's tweet" -> "Trump"."""
    start, end = _subtree(possessor)
    if possessor.doc[end - 1].tag_ == "POS" and end - 1 > start:
        end -= 1
    return start, end


def _verb_content(verb: Token) -> tuple[tuple[int, int] | None, str, Token | None]:
    """Token range of what a verb cue reports, the shape it was found in, and a
    preposition that belongs in the cue ("called for", "warned of")."""
    children = list(verb.children)
    clausal = [c for c in children if c.dep_ == "ccomp"]
    if clausal:
        return (min(c.left_edge.i for c in clausal), max(c.right_edge.i for c in clausal) + 1), "ccomp", None
    xcomp = [c for c in children if c.dep_ == "xcomp"]
    objects = [c for c in children if c.dep_ in ("dobj", "dative", "oprd") and c.i > verb.i]
    # A non-clausal content runs on to the end of the verb's phrase: "views itself as a
    # leader in the push", "criticised Trump in parliament over his call".
    phrase_end = max([c.right_edge.i + 1 for c in children if c.i > verb.i and c.dep_ not in P.NOT_CONTENT_DEPS]
                     + [verb.i + 1])
    if xcomp:
        return (min(c.left_edge.i for c in xcomp + objects), phrase_end), "xcomp", None
    if objects:
        return (min(c.left_edge.i for c in objects), phrase_end), "dobj", None
    for prep in children:
        if prep.dep_ == "prep" and prep.i > verb.i and prep.lower_ in P.CONTENT_PREPOSITIONS:
            objects = [c for c in prep.children if c.dep_ in ("pobj", "pcomp")]
            if objects:
                return (objects[0].left_edge.i, phrase_end), "prep", prep
    doc = verb.doc
    after = verb.right_edge.i + 1 if verb.right_edge.i > verb.i else verb.i + 1
    if verb.i + 1 < len(doc) and doc[verb.i + 1].text == ":" or after < len(doc) and doc[after].text == ":":
        colon = verb.i + 1 if doc[verb.i + 1].text == ":" else after
        return (colon + 1, verb.sent.end), "colon", None
    head = verb.head
    if verb.dep_ in P.PARENTHETICAL_CUE_DEPS and head.i < verb.i and head.pos_ in ("VERB", "AUX"):
        anchor = head
        while anchor.dep_ == "conj" and anchor.head.i < anchor.i:
            anchor = anchor.head
        # `_clip_to_clause` keeps it from running back over a semicolon ("A; B, officials revealed").
        return (anchor.left_edge.i, verb.left_edge.i), "parenthetical", None
    if verb.dep_ in P.INSERTED_CUE_DEPS and head.i > verb.i and head.pos_ in ("VERB", "AUX") and head.left_edge.i < verb.left_edge.i:
        # "A, X said, B": the cue sits inside the clause it reports, and both gold sets
        # mark the content as the hull from A to B (the scorer compares hulls).
        return _subtree(head), "inserted", None
    quoted = _verbless_quote_before(verb)
    if quoted is not None:
        return quoted, "ccomp", None
    return None, "none", None


def _verbless_quote_before(verb: Token) -> tuple[int, int] | None:
    """'"Never," she said', '"A disgrace," said Ms Abbott': a quotation with no verb of its own
    opens the cue's sentence. With no clause to make its complement, the parser hangs its words
    on the cue (as an interjection, adverb or object), so the quotation is what it reports when
    one of its words hangs there and only the speaker stands between it and the cue."""
    doc = verb.doc
    sent = verb.sent
    if not doc[sent.start].is_quote:
        return None
    close = next((t.i for t in doc[sent.start + 1:verb.i] if t.is_quote), None)
    if close is None or not any(t.head == verb and not t.is_punct for t in doc[sent.start + 1:close]):
        return None
    between = doc[close + 1:verb.i]
    if any(not (t.is_punct or t.is_space or t.dep_ in P.SPEAKER_DEPS or any(a.dep_ in P.SPEAKER_DEPS for a in t.ancestors if a.i < verb.i))
           for t in between):
        return None
    return _trimmed(doc, sent.start + 1, close)


def _speaker_of(verb: Token, depth: int = 0) -> tuple[Token | None, str]:
    """The token heading the verb's speaker and how it was found."""
    for child in verb.children:  # the agent first: "X was informed by Y" has both
        if child.dep_ in P.PASSIVE_SPEAKER_DEPS:
            objects = [c for c in child.children if c.dep_ == "pobj"]
            if objects:
                return objects[0], "agent"
    absolute = _absolute_subject(verb)
    if absolute is not None:
        return absolute, "subject"
    for child in _one_subject(verb):
        if child.dep_ in P.SPEAKER_DEPS:
            if child.lower_ in P.RELATIVE_PRONOUNS and verb.dep_ == "relcl":
                return verb.head, "relative"
            if child.dep_ == "nsubj" and child.lower_ in ("it", "there") and child.tag_ != "PRP$":
                return None, "expletive"
            return child, "subject"
        if child.dep_ == "nsubjpass":
            return None, "passive"
    if verb.dep_ == "acl" and verb.tag_ == "VBN":
        return None, "passive"
    if depth < 3 and verb.dep_ in P.PARTICIPLE_CUE_DEPS and verb.head.pos_ in ("VERB", "AUX"):
        # The reporting verb the participle may belong to first, then the verb it hangs on.
        for host in dict.fromkeys((_participle_reporter(verb), verb.head)):
            speaker, _ = _speaker_of(host, depth + 1)
            if speaker is not None:
                return speaker, "inherited"
        return None, "none"
    return None, "none"


def _participle_reporter(verb: Token) -> Token:
    """The verb whose subject does a participle cue, where the parser hung it on a clause that
    verb reports. "The minister denied that the project was over budget, saying costs were under
    control": trailing the reported clause after a comma, "saying" hangs on "was", whose subject
    ("the project") said nothing; the minister said it. So a speech participle closing a
    clause that a speech verb reports ("denied", "said", "announced") belongs to that verb, up
    through clauses reported in turn. Else the verb it hangs on, which the caller falls back to
    as well when the reporting verb has no speaker of its own ("It does say that ..., Kim
    confirmed, adding").

    Kept narrow, as the gold sets show both readings: not for a participle of no speech verb
    ("the numbers were dramatic, showing ..."), nor after a clause no speech verb reports
    ("remember Carter going on TV, declaring ...": 2 of 2 PolNeAR speakers were Carter), nor
    where the clause's subject is a personal pronoun ("Gallant announced that he'll be stepping
    down, saying ..."): mostly the reporting verb's subject again, so no wrong speaker, and the
    surer name kept a claim the GenderGapTracker guideline gives no speaker (its end-to-end F1
    fell 80.7 -> 80.6). In PolNeAR dev this moves the speakers of four kept claims: two to the
    gold speaker, one away from it (a parse that made "the source recalled" a reported clause),
    one where the gold has no claim."""
    host = verb.head
    doc = verb.doc
    if (verb.tag_ != "VBG" or verb.dep_ != "advcl" or verb.lemma_.lower() not in P.SPEECH_VERBS or host.i > verb.i
            or doc[verb.left_edge.i - 1].text != ","):
        return host
    while True:
        if any(c.dep_ in P.SPEAKER_DEPS and c.lower_ in P.PERSONAL_PRONOUNS for c in host.children):
            return host
        clause = host
        while clause.dep_ == "conj" and clause.head.i < clause.i:  # "denied that A and that B, saying"
            clause = clause.head
        reporter = clause.head
        if (clause.dep_ != "ccomp" or reporter.i > clause.i or reporter.pos_ != "VERB"
                or reporter.lemma_.lower() not in P.SPEECH_VERBS or clause.right_edge.i != verb.right_edge.i):
            return host
        host = reporter


def _one_subject(verb: Token) -> list[Token]:
    """The verb's children with one subject: the parser hangs a second one on a verb now and then
    (QA12). A date is no speaker ("MAY 5: A, the minister said"); of two subjects apart, the one
    nearer the verb is its own; subjects side by side are one name it split ("ÉMILE ZOLA said",
    "said resident Joan Pike"), kept together, the first heading it."""
    subjects = [c for c in verb.children if c.dep_ in P.SPEAKER_DEPS]
    if len(subjects) < 2:
        return list(verb.children)
    candidates = [c for c in subjects if c.ent_type_ not in ("DATE", "TIME")] or subjects
    groups: list[list[Token]] = []
    for subject in candidates:
        if groups and subject.left_edge.i == groups[-1][-1].right_edge.i + 1:
            groups[-1].append(subject)
        else:
            groups.append([subject])
    nearest = min(groups, key=lambda group: min(abs(s.i - verb.i) for s in group))
    kept = {s.i for s in nearest}
    return [c for c in verb.children if c.dep_ not in P.SPEAKER_DEPS or c.i in kept]


def _absolute_subject(verb: Token) -> Token | None:
    """The subject of an absolute construction, "with Pakistan alleging that X": the noun
    right before the participle, object of "with". The parser tends to hang the participle
    on a distant clause and give it that clause's subject instead."""
    if verb.tag_ != "VBG" or verb.i == 0:
        return None
    noun = verb.doc[verb.i - 1]
    if noun.dep_ == "pobj" and noun.head.lower_ in P.ABSOLUTE_PREPOSITIONS and noun.pos_ in ("NOUN", "PROPN", "PRON"):
        return noun
    return None


def _speaker_range(speaker: Token, exclude: tuple[int, int], how: str) -> tuple[int, int]:
    """The speaker mention: its subtree, cut back to its head phrase where it would run
    into the content or where the speaker is the head noun of a relative clause."""
    if how == "relative":
        return _without_edge_punctuation(speaker.doc, speaker.left_edge.i, speaker.i + 1)
    start, end = _subtree(speaker)
    if start < exclude[1] and exclude[0] < end:
        start = max(c.i for c in speaker.lefts) if any(True for _ in speaker.lefts) else speaker.i
        start, end = min(start, speaker.i), speaker.i + 1
    # "said resident Joan Pike": the parser makes the title and the name two subjects side by
    # side (`_one_subject` keeps both); the speaker is the two together.
    for sibling in speaker.head.children:
        sibling_end = sibling.right_edge.i + 1
        outside = sibling_end <= exclude[0] or sibling.left_edge.i >= exclude[1]
        if sibling.dep_ in P.SPEAKER_DEPS and sibling.left_edge.i == end and outside:
            end = sibling_end
    # A name in capitals ("ÉMILE ZOLA said") is one name, though the parser may hang its last
    # word elsewhere: the speaker runs on over the capitals that follow it, up to a verb
    # ("POLICE SAY ...": the cue is no part of the speaker).
    doc = speaker.doc
    while (end < len(doc) and not exclude[0] <= end < exclude[1] and is_capitals_word(doc[end - 1])
           and is_capitals_word(doc[end]) and doc[end].pos_ in NAME_POS and doc[end] not in speaker.ancestors
           and not doc[end - 1].whitespace_.count("\n")):
        end += 1
    return _without_edge_punctuation(doc, start, end)


NAME_POS = frozenset({"PROPN", "NOUN"})  # what a word running on a name in capitals may be
# Punctuation a mention may end on: an abbreviation's or a name's own ("Yahoo!").
MENTION_FINAL_PUNCTUATION = frozenset({".", "!", "?"})
OPENING_BRACKETS, CLOSING_BRACKETS = "([{", ")]}"
# What a mention's edge token may be made of and still be cut off: separators, dashes, ellipses,
# quotation marks and brackets.
EDGE_PUNCTUATION = frozenset(",;:.!?\u2026-\u2010\u2011\u2012\u2013\u2014\u2015\"\u201c\u201d\u201e\u00ab\u00bb'`\u2018\u2019()[]{}")


def _without_edge_punctuation(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """A mention's tokens without the punctuation the parser hangs on its head at its edges: the
    closing quotation mark of the quotation before it ('"A," its president, X, told' made the
    speaker '" its president, X', overlapping the claim), or the commas of an apposition. A bracket
    or quotation mark paired inside the mention stays ("Sen. Ted Cruz (R-Tex.)", 'author of "Y"'),
    and so does an abbreviation's full stop."""

    def paired(i: int) -> bool:
        tok = doc[i]
        if tok.is_quote:
            quotes = sum(1 for t in doc[start:end] if t.is_quote)
            return quotes >= 2 and quotes % 2 == 0
        if tok.text in OPENING_BRACKETS:
            return any(t.text == CLOSING_BRACKETS[OPENING_BRACKETS.index(tok.text)] for t in doc[i + 1:end])
        if tok.text in CLOSING_BRACKETS:
            return any(t.text == OPENING_BRACKETS[CLOSING_BRACKETS.index(tok.text)] for t in doc[start:i])
        return False

    def loose(i: int) -> bool:  # not "%", "#" or "&": those belong to a name or number
        tok = doc[i]
        return tok.is_space or tok.is_punct and all(ch in EDGE_PUNCTUATION for ch in tok.text) and not paired(i)

    first, last = start, end
    while first < last and loose(first):
        first += 1
    while last > first and loose(last - 1) and doc[last - 1].text not in MENTION_FINAL_PUNCTUATION:
        last -= 1
    return (first, last) if last > first else (start, end)


def _cue_range(verb: Token, extra: Token | None) -> tuple[int, int]:
    """The verb with its auxiliaries, negation, particle, a reporting adverb
    ("reportedly responded") and "in a statement" when it follows the verb."""
    tokens = [verb.i]
    for child in verb.children:
        near = abs(child.i - verb.i) <= 3
        if near and (child.dep_ in P.CUE_AUX_DEPS or child.dep_ == "advmod" and child.lower_ in P.CUE_ADVERBS):
            tokens.append(child.i)
        elif child.dep_ == "prep" and child.lower_ == "in" and child.i == verb.i + 1:
            nouns = [c for c in child.children if c.dep_ == "pobj" and c.lemma_.lower() in P.CUE_SETTING_NOUNS]
            if nouns:
                tokens.extend(range(child.i, nouns[0].i + 1))
    if extra is not None:
        tokens.append(extra.i)
    return min(tokens), max(tokens) + 1


def _without_speaker_aside(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Cut a trailing ", citing ..." / ", adding ..." off a content: the parser hangs the
    speaker's own participle on the reported clause, but it is what the speaker did, not
    what was said."""
    for i in range(start + 1, end - 1):
        tok = doc[i + 1]
        if doc[i].text == "," and tok.tag_ == "VBG" and tok.dep_ == "advcl" and tok.lemma_.lower() in P.SPEECH_VERBS:
            return start, i
    return start, end


def _reports_a_clause(verb: Token, lexicon: Callable[[str], bool]) -> bool:
    return verb.pos_ == "VERB" and lexicon(verb.lemma_.lower()) and any(c.dep_ == "ccomp" for c in verb.children)


def _chain_head(verb: Token, lexicon: Callable[[str], bool]) -> Token | None:
    """The cue verb that `verb` completes, when `verb` reports a clause of its own: "refused" in
    "Officials refused to deny that X", "declined" in "declined to confirm that X". The two are one
    claim with one cue ("refused to deny"), where they made two: "to deny that X" and "that X"."""
    head = verb.head
    if (verb.dep_ == "xcomp" and head.i < verb.i and head.pos_ == "VERB" and lexicon(head.lemma_.lower())
            and _reports_a_clause(verb, lexicon) and _acts_alone(head)):
        return head
    return None


def _acts_alone(verb: Token) -> bool:
    """An active verb with a subject and no object: its subject does the verb it leads to. Not
    "were asked to confirm that X", "is said to have told staff that X" or "asked the court to
    rule that X", where someone else would say it (QA13: those claims were lost)."""
    deps = {child.dep_ for child in verb.children}
    return bool(deps & P.SPEAKER_DEPS) and not deps & {"dobj", "dative", "nsubjpass", "auxpass"}


def _verb_candidates(doc: Doc, lexicon: Callable[[str], bool]) -> Iterable[Candidate]:
    for verb in doc:
        if verb.pos_ != "VERB" or not lexicon(verb.lemma_.lower()):
            continue
        content_range, shape, prep = _verb_content(verb)
        if shape == "xcomp" and any(c.dep_ == "xcomp" and _chain_head(c, lexicon) is not None for c in verb.children):
            continue  # the verb it leads to makes the claim, with both in its cue
        speaker_tok, how = _speaker_of(verb)
        if how == "agent" and prep is None:
            prep = speaker_tok.head  # "was informed by": the "by" belongs to the cue
        if content_range is None:
            continue
        content_range = _trimmed(doc, *_without_speaker_aside(doc, *content_range))
        if content_range is None:
            continue
        cue_range = _cue_range(verb, prep)
        if (head := _chain_head(verb, lexicon)) is not None:
            cue_range = (min(cue_range[0], _cue_range(head, None)[0]), cue_range[1])
        speaker_range = _speaker_range(speaker_tok, content_range, how) if speaker_tok is not None else None
        yield Candidate(
            rule="verb",
            content=_chars(doc, *content_range),
            cue=_chars(doc, *cue_range),
            speaker=_chars(doc, *speaker_range) if speaker_range else None,
            cue_token=verb.i,
            cue_lemma=verb.lemma_.lower(),
            shape=shape,
            features={f"shape={shape}": 1.0, f"speaker_how={how}": 1.0, f"dep={verb.dep_}": 1.0,
                      f"tag={verb.tag_}": 1.0, "negated": float(any(c.dep_ == "neg" for c in verb.children)),
                      "nested_passive_report": float(_nested_passive_report(verb, shape, how)),
                      "extraposed_passive_agent": float(how == "agent" and shape == "ccomp" and any(
                          c.dep_ in ("expl", "nsubjpass") and c.lower_ == "it" for c in verb.children))},
        )


def _preceding_quote_candidates(doc: Doc, text: str, lexicon: Callable[[str], bool], quotes: Sequence[CharSpan],
                                sentences: Sequence[tuple[int, int]]) -> Iterable[Candidate]:
    """A speech verb whose sentence opens with its speaker and cue, right after a quotation
    that ended the sentence before ('"Why now?" X asked. "..."'): the parser splits after a
    quotation closing on "?", "!" or ".", so the verb finds no content of its own in its
    sentence. The content is that quotation (`_fit_to_quotations` then joins a quotation
    resumed after the cue). A verb with a clausal complement of its own is left to
    `_verb_candidates`."""
    quote_ends = sorted((q[1], q) for q in quotes)
    ends = [end for end, _ in quote_ends]

    def quoted(char: int) -> bool:  # quotations do not nest: sorted by end, they are sorted by start too
        i = bisect.bisect_right(ends, char)
        return i < len(quote_ends) and quote_ends[i][1][0] <= char

    for start, end in sentences:
        at = bisect.bisect_right(ends, doc[start].idx) - 1
        if at < 0:
            continue
        quote = quote_ends[at][1]
        gap = text[quote[1]:doc[start].idx]
        if "\n" in gap or any(ch.isalnum() for ch in gap):
            continue
        for verb in doc[start:end]:
            if verb.pos_ != "VERB" or not lexicon(verb.lemma_.lower()) or quoted(verb.idx):
                continue
            if any(c.dep_ in ("ccomp", "xcomp") or c.dep_ == "punct" and c.text == ":" for c in verb.children):
                continue
            speaker_tok, how = _speaker_of(verb)
            if speaker_tok is None:
                continue
            speaker_range = _speaker_range(speaker_tok, (verb.i, verb.i + 1), how)
            cue_range = _cue_range(verb, speaker_tok.head if how == "agent" else None)
            # Only the speaker and the cue (and punctuation) stand before the verb.
            lead = [i for i in range(start, verb.i) if not doc[i].is_punct and not doc[i].is_space
                    and not speaker_range[0] <= i < speaker_range[1] and not cue_range[0] <= i < cue_range[1]]
            if lead:
                continue
            yield Candidate(
                rule="verb",
                content=quote,
                cue=_chars(doc, *cue_range),
                speaker=_chars(doc, *speaker_range),
                cue_token=verb.i,
                cue_lemma=verb.lemma_.lower(),
                shape="preceding_quote",
                features={"shape=preceding_quote": 1.0, f"speaker_how={how}": 1.0, f"tag={verb.tag_}": 1.0,
                          "negated": float(any(c.dep_ == "neg" for c in verb.children))},
            )
            break


def _nested_passive_report(verb: Token, shape: str, how: str) -> bool:
    """An agentless passive speech verb with a clausal content, inside the clause another
    speech verb reports ("Sources revealed that Wells was informed that X")."""
    head = verb.head
    return (how == "passive" and shape == "ccomp" and verb.dep_ == "ccomp" and verb.tag_ == "VBN"
            and verb.lemma_.lower() in P.SPEECH_VERBS and head.i < verb.i and head.pos_ == "VERB"
            and head.lemma_.lower() in P.SPEECH_VERBS)


def _noun_content(noun: Token) -> tuple[tuple[int, int] | None, str, Token | None]:
    """What a noun cue reports: a that/whether clause ("the claim that Y") or the object of a
    content preposition ("his attack on Y"), with that preposition for the cue."""
    for child in noun.children:
        if child.i > noun.i and child.dep_ in P.NOUN_CLAUSE_DEPS and child.pos_ in ("VERB", "AUX") and any(
                c.dep_ == "mark" and c.lower_ in P.NOUN_CLAUSE_MARKERS for c in child.children):
            return _subtree(child), "noun_clause", None
    for prep in noun.children:
        if prep.dep_ == "prep" and prep.i > noun.i and prep.lower_ in P.NOUN_CONTENT_PREPOSITIONS:
            objects = [c for c in prep.children if c.dep_ in ("pobj", "pcomp")]
            if objects:
                return _subtree(objects[0]), "noun_prep", prep
    return None, "none", None


def _noun_speaker(noun: Token) -> tuple[tuple[int, int] | None, str]:
    """Who holds a noun cue (`P.NOUN_AGENT_PREPOSITIONS`, `P.LIGHT_VERB_OBJECT_DEPS`)."""
    # The verb the noun is the object of, directly ("X voiced confidence that") or through a
    # preposition ("X spoke in support of", "X responded with an attack on").
    verb = noun.head
    how_verb = "light_verb"
    if noun.dep_ == "pobj" and verb.dep_ == "prep" and verb.head.pos_ == "VERB":
        verb, how_verb = verb.head, "light_verb_prep"
    elif noun.dep_ not in P.LIGHT_VERB_OBJECT_DEPS or verb.pos_ != "VERB":
        verb = None
    for child in noun.children:
        if child.dep_ == "poss":
            if verb is not None and child.lower_ in P.POSSESSIVE_PRONOUNS:
                # "He repeated his assertion that": the gold marks the verb's subject.
                speaker, how = _speaker_of(verb)
                if speaker is not None:
                    return _speaker_range(speaker, _subtree(noun), how), "possessor_subject"
            return _possessor_range(child), "possessor"
    for prep in noun.children:
        if prep.dep_ == "prep" and prep.lower_ in P.NOUN_AGENT_PREPOSITIONS:
            objects = [c for c in prep.children if c.dep_ == "pobj"]
            if objects:
                return _subtree(objects[0]), "noun_agent"
    if verb is not None:
        speaker, how = _speaker_of(verb)
        if speaker is not None:
            return _speaker_range(speaker, _subtree(noun), how), how_verb
    return None, "none"


def _noun_candidates(doc: Doc, lexicon: Callable[[str], bool]) -> Iterable[Candidate]:
    """Noun cues with a clausal or prepositional complement and a holder (`P.CUE_NOUN_PRIOR`):
    "X voiced confidence that Y", "Trump's claim that Y", "criticism of Y from X"."""
    for noun in doc:
        if noun.pos_ != "NOUN":
            continue
        lemma = P.NOUN_CUE_PREFIX + noun.lemma_.lower()
        if lemma not in P.CUE_NOUN_PRIOR or not lexicon(lemma):
            continue
        content_range, shape, prep = _noun_content(noun)
        if content_range is None:
            continue
        content_range = _trimmed(doc, *content_range)
        if content_range is None:
            continue
        speaker_range, how = _noun_speaker(noun)
        if speaker_range is None or speaker_range[0] < content_range[1] and content_range[0] < speaker_range[1]:
            continue  # a noun cue with no holder is rarely a whole attribution in the gold
        cue_end = (prep.i if prep is not None else noun.i) + 1
        light = noun.head if how == "light_verb" else None
        yield Candidate(
            rule="noun",
            content=_chars(doc, *content_range),
            cue=_chars(doc, light.i if light is not None and light.i < noun.i else noun.i, cue_end),
            speaker=_chars(doc, *speaker_range),
            cue_token=noun.i,
            cue_lemma=lemma,
            shape=shape,
            features={f"shape={shape}": 1.0, f"speaker_how={how}": 1.0, f"noun_dep={noun.dep_}": 1.0,
                      **({f"noun_prep={prep.lower_}": 1.0} if prep is not None else {})},
        )


def _opens_sentence(tok: Token) -> bool:
    """Only punctuation, quotation marks and a conjunction ("But according to X, ...")
    stand before `tok` in its sentence."""
    return all(t.is_punct or t.is_space or t.tag_ == "CC" for t in tok.doc[tok.sent.start:tok.i])


def _according_to_source_end(doc: Doc, tok: Token, obj: Token) -> int:
    """End (exclusive) of the source of a sentence-opening "According to X, Y": the object's
    phrase when a comma follows it, else the first comma after the object. The parser often
    reads the clause after the comma as an apposition of a name it does not know ("According
    to Priya Raman, the survey ... found" parsed as "Priya Raman, the survey that found ...",
    with "According" as the root); English puts the comma there."""
    end = obj.right_edge.i + 1
    if end < tok.sent.end and doc[end].text == ",":
        return end
    comma = next((t.i for t in doc[tok.i + 2:tok.sent.end] if t.text == ","), None)
    return comma if comma is not None and comma > obj.left_edge.i else end


def _according_to_candidates(doc: Doc) -> Iterable[Candidate]:
    first, second = P.ACCORDING_TO
    for tok in doc[:-1]:
        if tok.lower_ != first or doc[tok.i + 1].lower_ != second:
            continue
        objects = [c for c in doc[tok.i + 1].children if c.dep_ == "pobj"] or [
            c for c in tok.children if c.dep_ == "pobj"]
        if not objects:
            continue
        obj = objects[0]
        source = (obj.left_edge.i, obj.right_edge.i + 1)
        sent = tok.sent
        anchor = tok.head if tok.head.i != tok.i else sent.root
        clause = _subtree(anchor) if anchor.i != tok.i else (sent.start, sent.end)
        if _opens_sentence(tok):  # "According to X, Y": Y is the clause after the source
            source = (source[0], _according_to_source_end(doc, tok, obj))
            # The clause the phrase modifies, or the rest of the sentence where the parser
            # made "According" its root or hung the clause under the source.
            end = clause[1] if anchor.i >= source[1] else sent.end
            content_range = _trimmed(doc, source[1], end)
        else:
            phrase = (tok.i, max(tok.right_edge.i, obj.right_edge.i) + 1)
            if phrase[0] - clause[0] <= 1:  # "..., and according to X, Y"
                content_range = _trimmed(doc, phrase[1], clause[1])
            else:  # "Y, according to X"
                content_range = _trimmed(doc, clause[0], phrase[0])
        if content_range is None:
            continue
        yield Candidate(
            rule="according_to",
            content=_chars(doc, *content_range),
            cue=_chars(doc, tok.i, tok.i + 2),
            speaker=_chars(doc, *source),
            cue_token=tok.i,
            features={"shape=according_to": 1.0, "speaker_how=pobj": 1.0},
        )


def _colon_candidates(doc: Doc, quotes: Sequence[CharSpan]) -> Iterable[Candidate]:
    """`Trump's 1 January tweet: "..."` and `Sanders: "..."`."""
    quote_starts = {q[0]: q for q in quotes}
    for colon in doc[1:-1]:
        if colon.text != ":":
            continue
        before, after = doc[colon.i - 1], doc[colon.i + 1]
        quote = quote_starts.get(after.idx)
        speech_noun = before.lemma_.lower() in P.SPEECH_NOUNS
        # A name holds no number: "MAY 5:" or "JUNE 2024:" is a dateline the tagger took for a name (QA12).
        ending = entity_at(before)
        named = [ent for ent in (ending,) if ent is not None and ent.end == colon.i and ent.label_ in ("PERSON", "ORG")
                 and not any(token.like_num for token in ent)]
        # "Bernie Sanders: I'm not much of a socialist" (headline or interview line).
        line_initial = bool(named) and (named[0].start == 0 or "\n" in doc[named[0].start - 1].text_with_ws)
        if before.pos_ == "VERB" or not (quote or speech_noun or line_initial):
            continue  # "said:" is the verb rule's
        speaker_range = None
        possessors = [c for c in before.children if c.dep_ == "poss"]
        if speech_noun and possessors:
            speaker_range = _possessor_range(possessors[0])
        elif named:
            speaker_range = (named[0].start, named[0].end)
        end_tok = colon.sent.end
        content_range = _trimmed(doc, colon.i + 1, end_tok)
        if content_range is None:
            continue
        if not quote and sum(t.is_alpha for t in doc[content_range[0]:content_range[1]]) < P.MIN_COLON_CONTENT_WORDS:
            continue  # a label, not a claim: "Verdict: FALSE.", "Photo: Reuters"
        content = quote or _chars(doc, *content_range)
        yield Candidate(
            rule="colon",
            content=content,
            cue=(colon.idx, colon.idx + 1),
            speaker=_chars(doc, *speaker_range) if speaker_range else None,
            cue_token=colon.i,
            features={"shape=colon": 1.0, "colon_quote": float(bool(quote)), "colon_speech_noun": float(speech_noun),
                      "colon_line_initial": float(line_initial),
                      "colon_quote_possessor": float(bool(quote) and speech_noun and bool(possessors)),
                      "speaker_how=colon": float(speaker_range is not None)},
        )


def _back_reference_candidates(doc: Doc, sentences_tok: Sequence[tuple[int, int]]) -> Iterable[Candidate]:
    """A sentence that says whose words the one before it was: '"Mutual respect" must guide
    relations. This was the message given by Pakistani officials to ...' (`P.BACK_REFERENCE_*`).
    The content is the sentence before; the cue runs from the noun to the holder's preposition.
    Not "This was not the view of X" (QA18); `_select` leaves out one whose sentence reports
    someone itself."""
    for (previous_start, previous_end), (start, end) in zip(sentences_tok, sentences_tok[1:]):
        # The sentence opens with the pronoun, the subject of "be" ("This was"); not always its
        # root: a quotation after a colon may take the root ('This was the message ...: "X"').
        subject = next((t for t in doc[start:end] if not (t.is_punct or t.is_space)), None)
        if (subject is None or subject.lower_ not in P.BACK_REFERENCE_SUBJECTS or subject.dep_ != "nsubj"
                or any(subject.children) or subject.head.lemma_.lower() != "be"):
            continue
        if any(c.dep_ == "neg" for c in subject.head.children):
            continue  # "This was not the view of the minister"
        nouns = [c for c in subject.head.children if c.dep_ == "attr" and c.pos_ == "NOUN" and c.i > subject.head.i]
        if len(nouns) != 1 or nouns[0].lemma_.lower() not in P.BACK_REFERENCE_NOUNS:
            continue
        noun = nouns[0]
        holder, cue_end = _back_reference_holder(noun)
        content = _trimmed(doc, previous_start, previous_end)
        if holder is None or content is None:
            continue
        yield Candidate(
            rule="back_reference",
            content=_chars(doc, *content),
            cue=_chars(doc, noun.i, cue_end),
            speaker=_chars(doc, *holder),
            cue_token=noun.i,
            features={"shape=back_reference": 1.0, "speaker_how=back_reference": 1.0},
        )


def _back_reference_holder(noun: Token) -> tuple[tuple[int, int] | None, int]:
    """Who holds the noun of a back reference, and where its cue ends: "the message given by X"
    (the cue ends after "by"), "the view of X" (after "of"), "Pakistan's message" (the noun)."""
    for child in noun.children:
        if child.dep_ == "poss":
            return _possessor_range(child), noun.i + 1
    for child in noun.children:
        if child.dep_ == "prep" and child.lower_ in P.BACK_REFERENCE_HOLDER_PREPOSITIONS:
            objects = [c for c in child.children if c.dep_ == "pobj"]
            if objects:
                return _subtree(objects[0]), child.i + 1
        if child.dep_ == "acl" and child.tag_ == "VBN":
            speaker, how = _speaker_of(child)  # "given by X": the agent, as for any passive cue
            if how == "agent":
                return _subtree(speaker), speaker.head.i + 1
    return None, noun.i + 1


def _quotation_candidates(doc: Doc, quotes: Sequence[CharSpan], taken: Sequence[CharSpan]) -> Iterable[Candidate]:
    """Quotations no other claim covers: reported speech whose speaker is implied."""
    for quote in quotes:
        if any(_overlaps(quote, span) for span in taken):
            continue
        span = doc.char_span(*quote, alignment_mode="contract")
        if span is None or len(span) < P.MIN_QUOTE_TOKENS_FOR_STANDALONE:
            continue
        starts_sentence = span.start == span.sent.start or doc[span.start - 1].is_space
        yield Candidate(
            rule="quotation",
            content=quote,
            cue=(quote[0], quote[0] + 1),
            speaker=None,
            cue_token=span.start,
            features={"shape=quotation": 1.0, "quote_starts_sentence": float(starts_sentence)},
        )


# ---------------------------------------------------------------------------- features & model


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _speaker_kind_feature(doc: Doc, speaker: CharSpan | None) -> str:
    if speaker is None:
        return "none"
    span = doc.char_span(*speaker, alignment_mode="expand")
    if span is None or not len(span):
        return "none"
    root = span.root
    if root.lower_ in P.PERSONAL_PRONOUNS:
        return "pronoun"
    labels = {ent.label_ for ent in entities_in(span)}
    if "PERSON" in labels:
        return "person"
    if labels & {"ORG", "NORP", "GPE"}:
        return "org"
    if root.lemma_.lower() in P.ANONYMOUS_HEADS:
        return "anonymous"
    return "propn" if root.pos_ == "PROPN" else "noun"


def _tight_quote(text: str, cand: Candidate, quotes: Sequence[CharSpan]) -> bool:
    """The content is whole quotations followed by its cue with only punctuation and the
    speaker in between ('"A," X said' or '"A," said X'): the textbook attribution."""
    if cand.cue is None or cand.speaker is None or cand.cue[0] < cand.content[1]:
        return False
    if not any(q[0] == cand.content[0] for q in quotes) or not any(q[1] == cand.content[1] for q in quotes):
        return False
    gap_end = min(cand.cue[0], cand.speaker[0]) if cand.speaker[0] >= cand.content[1] else cand.cue[0]
    return not any(ch.isalnum() for ch in text[cand.content[1]:gap_end])


def _add_shared_features(doc: Doc, text: str, cand: Candidate, quotes: Sequence[CharSpan]) -> None:
    """Features every rule shares: speaker kind, quotation and length of the content.
    `text` is `doc.text`, passed in because spaCy rebuilds that string on every access."""
    f = cand.features
    kind = _speaker_kind_feature(doc, cand.speaker)
    f[f"speaker={kind}"] = 1.0
    in_quote = any(q[0] <= cand.content[0] and cand.content[1] <= q[1] for q in quotes)
    widened = cand.rule != "quotation" and any(
        q[0] < cand.content[1] and cand.content[0] < q[1] for q in quotes)
    f["content_quoted"] = float(in_quote or widened)
    n_tokens = len(text[cand.content[0]:cand.content[1]].split())
    f["log_content_tokens"] = math.log1p(n_tokens)
    f["short_content"] = float(n_tokens <= 2)
    if cand.cue is not None:
        f["cue_after_content"] = float(cand.cue[0] >= cand.content[1])
    # The textbook case ('"...," Senator X said'): a quotation, a plain speech verb and a
    # named or pronoun speaker. Its own weight lets the model single it out as precise.
    f["plain_quote"] = float(f["content_quoted"] > 0 and cand.cue_lemma in P.PLAIN_SPEECH_LEMMAS
                             and kind in ("person", "pronoun", "propn"))
    f["tight_quote"] = float(_tight_quote(text, cand, quotes))
    f["plain_quote*tight"] = f["plain_quote"] * f["tight_quote"]


def _cue_prior(lemma: str, default: float | None = UNSEEN_LEMMA_PRIOR) -> float | None:
    """Hand-set prior of a cue lemma: a verb's, or a noun's (keyed `P.NOUN_CUE_PREFIX` + lemma)."""
    if lemma.startswith(P.NOUN_CUE_PREFIX):
        return P.CUE_NOUN_PRIOR.get(lemma, default)
    return P.CUE_VERB_PRIOR.get(lemma, default)


# What `AttributionModel.to_dict` always writes ("convention_thresholds" came later: optional).
MODEL_KEYS = ("cue_counts", "content_model", "e2e_model", "content_calibration", "e2e_calibration", "cue_accuracy",
              "threshold")


def _not_a_model(reason: str) -> ValueError:
    return ValueError(f"not an attribution model ({reason}); train_attribution writes one")


@dataclass
class AttributionModel:
    """Everything learned from gold, loaded from one JSON file."""

    # "lemma" and "lemma|shape" -> [times a right attribution, times a candidate]
    cue_counts: dict[str, list[int]]
    content_model: LogisticModel
    e2e_model: LogisticModel
    content_calibration: IsotonicTable
    e2e_calibration: IsotonicTable
    cue_accuracy: dict[str, float]  # rule -> rate the cue span was right, given the content was
    threshold: float
    # quote convention -> keep-threshold fitted on the training documents of that guideline
    # (GenderGapTracker's "split" gold marks fewer, surer claims than PolNeAR's "joined")
    convention_thresholds: dict[str, float] = field(default_factory=dict)

    def cue_rate(self, key: str, exclude_label: int | None = None) -> float:
        """Smoothed rate at which a verb cue (`lemma` or `lemma|shape`) gives a right
        attribution. `exclude_label` removes one candidate's own label (leave-one-out)."""
        positives, total = self.cue_counts.get(key, (0, 0))
        if exclude_label is not None:
            positives, total = positives - exclude_label, total - 1
        prior = _cue_prior(key.split("|")[0])
        return (positives + PRIOR_WEIGHT * prior) / (total + PRIOR_WEIGHT)

    def threshold_for(self, quote_convention: str) -> float:
        return self.convention_thresholds.get(quote_convention, self.threshold)

    def is_cue_lemma(self, lemma: str) -> bool:
        return _cue_prior(lemma, None) is not None or self.cue_counts.get(lemma, (0, 0))[0] > 0

    def to_dict(self) -> dict:
        return {
            "cue_counts": dict(sorted(self.cue_counts.items())),
            "content_model": self.content_model.to_dict(),
            "e2e_model": self.e2e_model.to_dict(),
            "content_calibration": self.content_calibration.to_dict(),
            "e2e_calibration": self.e2e_calibration.to_dict(),
            "cue_accuracy": self.cue_accuracy,
            "threshold": self.threshold,
            "convention_thresholds": dict(sorted(self.convention_thresholds.items())),
        }

    @classmethod
    def from_dict(cls, data: object) -> AttributionModel:
        """The model `to_dict` wrote; ValueError ("not an attribution model ...") for anything else."""
        if not isinstance(data, Mapping):
            kind = {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(data), "number")
            raise _not_a_model(f"a JSON {kind}, not an object")
        missing = [key for key in MODEL_KEYS if key not in data]
        if missing:
            raise _not_a_model(f"no {', '.join(repr(key) for key in missing)}")

        def read(key: str, convert: Callable[[Any], Any]) -> Any:
            try:
                return convert(data.get(key))
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                raise _not_a_model(f"bad {key!r}: {error}") from None

        return cls(
            cue_counts=read("cue_counts", lambda v: {k: list(n) for k, n in v.items()}),
            content_model=read("content_model", LogisticModel.from_dict),
            e2e_model=read("e2e_model", LogisticModel.from_dict),
            content_calibration=read("content_calibration", IsotonicTable.from_dict),
            e2e_calibration=read("e2e_calibration", IsotonicTable.from_dict),
            cue_accuracy=read("cue_accuracy", dict),
            threshold=read("threshold", float),
            convention_thresholds=read("convention_thresholds", lambda v: {k: float(t) for k, t in (v or {}).items()}),
        )

    @classmethod
    def load(cls, path: str | Path = DEFAULT_MODEL_PATH) -> AttributionModel:
        """Read a file `save` wrote. OSError if it cannot be read; ValueError naming the file if
        it is not an attribution model (another JSON file, a JSONL file, not UTF-8)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{path}: {_not_a_model('not UTF-8 text')}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: {_not_a_model(f'not valid JSON: {error.msg} at line {error.lineno}')}") from None
        try:
            return cls.from_dict(data)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None

    def save(self, path: str | Path) -> None:
        """Write the model as `load` reads it; sorted keys, so the same fit gives the same bytes."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.to_dict(), indent=0, sort_keys=True) + "\n", encoding="utf-8")


def _convention_features(cand: Candidate, quote_convention: str) -> None:
    """The guideline changes how often a speakerless quotation is a claim of its own
    (`P.TRAINING_QUOTE_CONVENTION`), so the model learns that rate per convention."""
    if quote_convention == "split" and cand.rule == "quotation":
        for key in [k for k in cand.features if k.startswith(("shape=", "quote_starts"))]:
            cand.features[f"split*{key}"] = cand.features.pop(key)


def _lemma_features(cand: Candidate, rate: Callable[[str], float]) -> None:
    """The learned cue rate of a verb cue, alone and crossed with the content shape."""
    if not cand.cue_lemma:
        return
    prefix = f"{cand.rule}:" if cand.rule in P.SEPARATE_FEATURE_RULES else ""
    cue_logit = _logit(rate(cand.cue_lemma))
    cand.features[f"{prefix}cue_logit"] = cue_logit
    cand.features[f"{prefix}cue_shape_logit"] = _logit(rate(f"{cand.cue_lemma}|{cand.shape}"))
    for shape in ("ccomp", "dobj", "xcomp", "prep", "parenthetical", "inserted", "colon",
                  "noun_clause", "noun_prep", "preceding_quote"):
        if cand.features.get(f"{prefix}shape={shape}"):
            cand.features[f"{prefix}cue_logit*{shape}"] = cue_logit


def _clip_to_clause(text: str, content: CharSpan, cue: CharSpan | None, sentences: Sequence[CharSpan],
                    sentence_starts: Sequence[int]) -> CharSpan | None:
    """Keep a parse-derived content inside its cue's sentence and clause: the parser
    sometimes joins a headline or the previous paragraph to the sentence ("WATCH (...)\n\n
    X alleges Y"), and reported speech does not run back over a semicolon or colon before
    the cue ("A; Iran insists B") nor on over a semicolon after it. Quotations may carry
    the content across these bounds again afterwards."""
    if cue is None:
        return content
    at = bisect.bisect_right(sentence_starts, cue[0]) - 1  # sentences are in text order
    if at < 0 or not cue[0] < sentences[at][1]:
        return content
    start, end = sentences[at]
    before = max(text.rfind(mark, start, cue[0]) for mark in P.CLAUSE_BREAKS_BEFORE_CUE)
    after = text.find(P.CLAUSE_BREAK_AFTER_CUE, cue[1], end)
    start = before + 1 if before >= 0 else start
    end = after if after >= 0 else end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    clipped = max(content[0], start), min(content[1], end)
    return clipped if clipped[1] > clipped[0] else None


def _only_attribution_between(doc: Doc, text: str, cand: Candidate, start: int, end: int) -> bool:
    """Whether the text between two quotations is this candidate's speaker and cue, with
    no paragraph break, and the second quotation not governed by another predicate: asides
    ('"A," said X, pointing to Y. "B"') are fine, but in '"A," he said, adding that "B"' or
    'he told reporters "B"' the second quotation is reported on its own."""
    between = text[start:end]
    if "\n" in between or len(between) > P.MAX_ATTRIBUTION_GAP_CHARS:
        return False
    if not between.strip():
        return True
    # A new sentence between the two must open with the second quotation: in '"A," he
    # said. Meantime "B"' the second quotation belongs to another statement.
    resumed_at = doc.char_span(end, end + 1, alignment_mode="expand")
    if resumed_at is not None:
        sentence_start = resumed_at.sent.start_char
        if start < sentence_start and any(ch.isalnum() for ch in text[sentence_start:end]):
            return False
    inside = [span for span in (cand.speaker, cand.cue) if span is not None]
    last: Token | None = None
    for tok in doc[doc.char_span(start, end, alignment_mode="expand").start:]:
        if tok.idx >= end:
            break
        if not tok.is_punct and not tok.is_space:
            last = None if any(s <= tok.idx < e for s, e in inside) else tok
    return last is None or not (last.pos_ in ("VERB", "AUX") or last.lower_ == "that")


def _fit_to_quotations(doc: Doc, text: str, cand: Candidate, quotes: Sequence[CharSpan]) -> bool:
    """Make a content agree with the quotations around it, as the gold sets mark them;
    False when the candidate cannot be an attribution.

    A quotation is all or nothing, and a cue inside the quotation it reports is quoted
    speech, not a report ('"They have said much more," she said'). A content that opens with
    a quotation said before its cue is that quotation ('"A," he said, adding ...' and
    '"A" and then left' give "A"), unless the quotation resumes right after the speaker and
    cue ('"A," he said, "B."' or '"A," said X. "B."'): then the content is the hull from A
    to B, as PolNeAR marks it.
    """
    start, end = _widen_to_quotations(cand.content, quotes)
    cue = cand.cue
    if cue is not None and any(q[0] < cue[0] and cue[1] < q[1] and q[0] >= start and q[1] <= end for q in quotes):
        return False
    lead = next((q for q in quotes if q[0] == start), None)
    if lead is not None and cue is not None and cue[0] >= lead[1]:
        end = lead[1]
        resumed = next((q for q in quotes if q[0] >= cue[1]), None)
        if resumed is not None and _only_attribution_between(doc, text, cand, lead[1], resumed[0]):
            end = resumed[1]
            cand.resumed = lead[1], resumed[0]
    elif lead is not None and lead[1] < end and cue is not None and cue[1] <= start:
        end = lead[1]
    cand.content = start, end
    return True


def candidates_for(doc: Doc, lexicon: Callable[[str], bool],
                   sentences_tok: Sequence[tuple[int, int]] | None = None,
                   quotes: Sequence[CharSpan] | None = None) -> list[Candidate]:
    """All rule candidates of a parsed document (features not yet lemma-weighted).
    `sentences_tok` is `sentence_spans(doc)` and `quotes` `find_quotations(doc.text)` if the
    caller has them already."""
    text = doc.text  # built anew on every access: fetch it once per document
    if quotes is None:
        quotes = find_quotations(text)
    if sentences_tok is None:
        sentences_tok = sentence_spans(doc)
    sentences = [_chars(doc, s, e) for s, e in sentences_tok]
    found: list[Candidate] = [*_verb_candidates(doc, lexicon), *_noun_candidates(doc, lexicon),
                              *_according_to_candidates(doc),
                              *_colon_candidates(doc, quotes)]
    starts = [start for start, _ in sentences]
    clipped = [(cand, _clip_to_clause(text, cand.content, cand.cue, sentences, starts)) for cand in found]
    found = [cand for cand, content in clipped if content is not None]
    for cand, content in clipped:
        cand.content = content or cand.content
    # Not clipped: their content is the quotation in the sentence before the cue's.
    found.extend(_preceding_quote_candidates(doc, text, lexicon, quotes, sentences_tok))
    found = [cand for cand in found if _fit_to_quotations(doc, text, cand, quotes)]
    # A whole sentence before the cue's, quotations inside it and all.
    found.extend(_back_reference_candidates(doc, sentences_tok))
    taken = [c.content for c in found if c.features.get("shape=ccomp") or c.rule not in ("verb", "noun")]
    found.extend(_quotation_candidates(doc, quotes, taken))
    for cand in found:
        _add_shared_features(doc, text, cand, quotes)
        if cand.rule in P.SEPARATE_FEATURE_RULES:
            cand.features = {f"{cand.rule}:{key}": value for key, value in cand.features.items()}
    return found


def _score(cand: Candidate, p_content: float, p_e2e: float) -> None:
    """Set the two calibrated probabilities. The end-to-end model estimates P(content and
    speaker right) directly, so it is trusted as is; P(content right) is raised to it where
    the separately fitted content table is lower, as it can never be smaller."""
    prior = max((p for key, p in P.CONSTRUCTION_PRIORS.items() if cand.features.get(key)), default=0.0)
    cand.p_e2e = max(p_e2e, prior)
    cand.p_content = max(p_content, cand.p_e2e)


def _nested(a: Candidate, b: Candidate) -> bool:
    """One claim reports the other ("Sources revealed that Wells was informed that X")."""
    return (a.cue is not None and b.content[0] <= a.cue[0] < b.content[1]) or (
        b.cue is not None and a.content[0] <= b.cue[0] < a.content[1])


SELECT_BUCKET_CHARS = 2000


def _select(candidates: list[Candidate], threshold: float) -> list[Candidate]:
    """Best first, one claim per content: a candidate whose content mostly repeats a kept
    claim's content is the same claim found twice."""
    kept: list[Candidate] = []
    # Only kept claims near a candidate can clash with it: they are looked up by the stretches
    # of text (`SELECT_BUCKET_CHARS` long) their content and cue touch, not all compared with
    # each (a long document's thousands of claims made that quadratic).
    near: dict[int, list[Candidate]] = {}

    def buckets(*spans: CharSpan | None) -> set[int]:
        return {b for span in spans if span is not None
                for b in range(span[0] // SELECT_BUCKET_CHARS, max(span[0], span[1] - 1) // SELECT_BUCKET_CHARS + 1)}

    # Back references come last: one to a sentence that reports someone itself ('"We will win,"
    # the mayor said. This was the message of her party') is dropped, as which of its words
    # "this" points back to is anybody's guess (QA18), and must not push out that report.
    ranked = sorted(candidates, key=lambda c: (c.rule == "back_reference", -c.p_e2e))
    for cand in ranked:
        if cand.p_e2e < threshold:
            continue
        around = {id(k): k for b in buckets(cand.content) for k in near.get(b, ())}.values()
        if any(jaccard(cand.content, k.content) >= 0.5 and not _nested(cand, k) for k in around):
            continue
        if cand.rule == "back_reference" and any(
                k.speaker is not None and k.cue is not None and cand.content[0] <= k.cue[0] < cand.content[1] for k in around):
            continue
        kept.append(cand)
        for b in buckets(cand.content, cand.cue):
            near.setdefault(b, []).append(cand)
    return sorted(kept, key=lambda c: c.content)


def _claim_pieces(cand: Candidate, quote_convention: str) -> list[tuple[CharSpan, CharSpan | None]]:
    """(content, speaker) of the claims one kept candidate gives. Under the "split"
    convention a quotation resumed after its speaker and cue ('"A," X said. "B."') is two
    claims, A with the speaker and B without one (the speaker stays its entity), as the
    GenderGapTracker gold marks it; "joined" keeps the hull A..B, as PolNeAR does."""
    if quote_convention == "joined" or cand.resumed is None:
        return [(cand.content, cand.speaker)]
    return [((cand.content[0], cand.resumed[0]), cand.speaker), ((cand.resumed[1], cand.content[1]), None)]


def extract(doc: Doc, model: AttributionModel, quote_convention: str = "joined") -> DocumentPrediction:
    """The attribution prediction of one parsed document. `quote_convention` is one of
    `P.QUOTE_CONVENTIONS` (see `_claim_pieces`)."""
    if quote_convention not in P.QUOTE_CONVENTIONS:
        raise ValueError(f"quote_convention must be one of {P.QUOTE_CONVENTIONS}, not {quote_convention!r}")
    sentences_tok = sentence_spans(doc)
    sentences = [_chars(doc, s, e) for s, e in sentences_tok]
    text = doc.text
    quotes = find_quotations(text)  # the candidates and the speakers read the same quotations
    candidates = candidates_for(doc, model.is_cue_lemma, sentences_tok, quotes)  # split once per document
    for cand in candidates:
        _convention_features(cand, quote_convention)
        _lemma_features(cand, model.cue_rate)
        _score(cand, model.content_calibration(model.content_model.probability(cand.features)),
               model.e2e_calibration(model.e2e_model.probability(cand.features)))
    kept = _select(candidates, model.threshold_for(quote_convention))
    for cand in kept:
        cand.speaker = _tidy_speaker(text, cand.speaker, cand.content)
    speakers, entity_of = normalise_speakers(doc, [c.speaker for c in kept], quotes)
    last_entity: int | None = None
    for cand, entity in zip(kept, entity_of):
        # A quotation standing alone continues the last speaker before it.
        cand.speaker_entity = entity if entity is not None or cand.rule != "quotation" else last_entity
        last_entity = cand.speaker_entity if cand.speaker_entity is not None else last_entity

    sentence_starts = [doc[s].idx for s, _ in sentences_tok]

    def sentence_of(char: int) -> int:
        return max(0, bisect.bisect_right(sentence_starts, char) - 1)

    claims = [
        ClaimPrediction(
            claim=content, speaker=speaker, cue=c.cue,
            speaker_confidence=round(c.p_e2e / c.p_content, 4) if c.p_content else 0.0,
            cue_confidence=round(model.cue_accuracy.get(c.rule, 0.5), 4),
            claim_confidence=round(c.p_content, 4),
            speaker_entity=c.speaker_entity,
            sentence_index=sentence_of(c.cue[0] if c.cue else c.content[0]),
        )
        for c in kept
        for content, speaker in _claim_pieces(c, quote_convention)
    ]
    # Whether a sentence is covered by a claim's content or cue: the furthest end among the
    # spans starting at or before it, by bisection (not every span compared with every sentence).
    covered = sorted([c.content for c in kept] + [c.cue for c in kept if c.cue])
    covered_starts = [s for s, _ in covered]
    furthest_end = list(itertools.accumulate((e for _, e in covered), max))
    filed = {sentence_of(c.cue[0] if c.cue else c.content[0]) for c in kept}
    for index, (start, end) in enumerate(sentences):
        core_end = end
        while core_end > start and (text[core_end - 1].isspace() or text[core_end - 1] in SENTENCE_END_PUNCTUATION):
            core_end -= 1  # a content that leaves out only the full stop covers the sentence
        reach = bisect.bisect_right(covered_starts, start)
        if not (reach and furthest_end[reach - 1] >= core_end) and index not in filed:
            claims.append(ClaimPrediction(claim=(start, end), claim_confidence=AUTHOR_CLAIM_CONFIDENCE,
                                          sentence_index=index))
    claims.sort(key=lambda c: (c.sentence_index, c.claim))
    return DocumentPrediction(sentences=sentences, claims=claims, speakers=speakers)


# What a sentence's claim may leave out at its end and still be the whole sentence.
SENTENCE_END_PUNCTUATION = ".!?;:,…"
# Left over at a speaker's edges by the parse: "The mayor\t", "Karl Jensen, who led it,".
SPEAKER_EDGE_JUNK = " \t\n\r,;:"
# Never at a speaker's edges: dashes, and a quotation mark or bracket whose partner is not in it
# ('" its president, Ahmed Saleh', the closing mark of the quotation before it).
SPEAKER_EDGE_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015"
# Opening mark -> its closing partner; a straight mark is its own partner.
SPEAKER_MARK_PAIRS = {"(": ")", "[": "]", "{": "}", "\u201c": "\u201d", "\u201e": "\u201d", "\u00ab": "\u00bb",
                      "\u2018": "\u2019", "`": "'", '"': '"', "'": "'"}
SPEAKER_CLOSING_MARKS = frozenset(close for close in SPEAKER_MARK_PAIRS.values() if close not in SPEAKER_MARK_PAIRS)
# Nor, at its start, what ends a sentence (a name may end on an abbreviation's full stop).
SPEAKER_NOT_LEADING = ".!?\u2026"


def _unpaired_mark(text: str, start: int, end: int, at: int) -> bool:
    """Whether the quotation mark or bracket at `at` has no partner inside [start, end): a
    straight mark (`"`, or `''` as some wire copy writes it) is paired when the span holds an even
    number of them; a lone apostrophe at an edge is no quotation mark ("the Joneses'")."""
    char = text[at]
    if char == '"':
        return text.count(char, start, end) % 2 == 1
    if char == "'":
        doubled = at + 1 < end and text[at + 1] == "'" or at > start and text[at - 1] == "'"
        return not doubled or (text.count(P.DOUBLED_APOSTROPHE, start, end) + text.count("``", start, end)) % 2 == 1
    if char in SPEAKER_MARK_PAIRS:
        return SPEAKER_MARK_PAIRS[char] not in text[at + 1:end]
    if char in SPEAKER_CLOSING_MARKS:
        openers = [opener for opener, closer in SPEAKER_MARK_PAIRS.items() if closer == char]
        return not any(opener in text[start:at] for opener in openers)
    return False


def _is_mark(char: str) -> bool:
    return char in SPEAKER_MARK_PAIRS or char in SPEAKER_CLOSING_MARKS


def _tidy_speaker(text: str, span: CharSpan | None, content: CharSpan | None = None) -> CharSpan | None:
    """The speaker span without whitespace, separators, dashes and unpaired quotation marks or
    brackets at its edges (None if nothing is left), and never across an edge of the claim's
    content: a speaker reaching over it keeps one side (one wholly inside a content hull,
    '"A," X said, "B"', is the gold's own convention, 746 of PolNeAR dev's sources, and stays;
    none in either gold set crosses an edge)."""
    if span is None:
        return None
    start, end = span
    if content is not None and (start < content[0] < end or start < content[1] < end):
        # The first piece with a word: the mention's head opens it ("X, one of the "big four"
        # negotiators" with a content wrongly run on to "big four" keeps X), and a closing mark
        # of the content alone is no speaker ('" its president, X' keeps "its president, X").
        pieces = [(start, min(end, content[0])), (max(start, content[0]), min(end, content[1])),
                  (max(start, content[1]), end)]
        start, end = next(((a, b) for a, b in pieces if any(ch.isalnum() for ch in text[a:b])), (start, end))
    while start < end:
        # Nor the tail of an emoji the tokenizer split ("👩‍⚖️ Jane Doe" cut after the woman): a span
        # must not start inside a character as people see it, joiners, marks and symbols (QA12).
        char = text[start]
        if not (char in SPEAKER_EDGE_JUNK or char in SPEAKER_EDGE_DASHES or char in SPEAKER_NOT_LEADING
                or is_edge_symbol(char) or unicodedata.category(char) in ("Mn", "Me")
                or char in SPEAKER_CLOSING_MARKS or _is_mark(char) and _unpaired_mark(text, start, end, start)):
            break
        start += 1
    # Nor an emoji or symbol after the name ("Critics 😡 said", QA16): it would go into the
    # canonical name, and a person selecting "Critics" would make a second speaker.
    while end > start:
        char = text[end - 1]
        if not (char in SPEAKER_EDGE_JUNK or char in SPEAKER_EDGE_DASHES or is_edge_symbol(char)
                or char in SPEAKER_MARK_PAIRS and char not in ('"', "'")
                or _is_mark(char) and _unpaired_mark(text, start, end, end - 1)):
            break
        end -= 1
    return (start, end) if start < end else None


def combined_confidence(claim: ClaimPrediction) -> float:
    """P(content right and speaker right): the figure the >= 0.9 precision target is about."""
    return claim.claim_confidence * claim.speaker_confidence if not claim.is_author else 0.0


if not Doc.has_extension("quote_convention"):
    # Per-document guideline, for batches that mix projects or gold sets; None: the component's.
    Doc.set_extension("quote_convention", default=None)


class AttributionComponent:
    """Pipeline component: sets `doc._.prediction`."""

    def __init__(self, model: AttributionModel, quote_convention: str = "joined") -> None:
        self.model = model
        self.quote_convention = quote_convention

    def __call__(self, doc: Doc) -> Doc:
        doc._.prediction = extract(doc, self.model, doc._.quote_convention or self.quote_convention)
        return doc


@Language.factory("claimdesk_attribution", default_config={"model_path": "", "quote_convention": "joined"})
def make_attribution(nlp: Language, name: str, model_path: str, quote_convention: str) -> AttributionComponent:
    """`model_path` empty means the model shipped in `models/attribution/`;
    `quote_convention` is the project's guideline for split quotations (`_claim_pieces`)."""
    return AttributionComponent(AttributionModel.load(model_path or DEFAULT_MODEL_PATH), quote_convention)


# ---------------------------------------------------------------------------- training


def gold_quote_convention(row: Mapping[str, object]) -> str:
    """The quote guideline a gold document was annotated under: its own `quote_convention`
    (ClaimDesk's `attributions` export writes the project's), else its gold set's, else joined."""
    own = row.get("quote_convention")
    if own in P.QUOTE_CONVENTIONS:
        return str(own)
    return P.TRAINING_QUOTE_CONVENTION.get(str(row.get("source_dataset")), "joined")


def heldout_third(doc_id: str) -> bool:
    """The document split used to report figures on unseen documents."""
    return int(hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:8], 16) % 3 == 0


def _label(cand: Candidate, gold: Sequence[Mapping]) -> tuple[int, int, int]:
    """(content matches a gold attribution, its speaker is right, its cue is right),
    judged against the best-overlapping gold attribution as the scorer would."""
    best, speaker_ok, cue_ok = 0.0, 0, 0
    for attribution in gold:
        j = jaccard(cand.content, tuple(attribution["content"]))
        if j >= 0.5 and j > best:
            source = tuple(attribution["source"]) if attribution.get("source") else None
            cue = tuple(attribution["cue"]) if attribution.get("cue") else None
            best = j
            speaker_ok = int(source is None and cand.speaker is None or _overlaps(source, cand.speaker))
            cue_ok = int(cue is None and cand.cue is None or _overlaps(cue, cand.cue))
    return int(best > 0), speaker_ok, cue_ok


def _document_e2e_hits(kept: Sequence[Candidate], gold: Sequence[Mapping]) -> int:
    """End-to-end true positives of one document, matched one-to-one as score.py does."""
    pairs = sorted(((jaccard(c.content, tuple(a["content"])), gi, pi)
                    for gi, a in enumerate(gold) for pi, c in enumerate(kept)), reverse=True)
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    hits = 0
    for j, gi, pi in pairs:
        if j < 0.5:
            break
        if gi in used_gold or pi in used_pred:
            continue
        used_gold.add(gi)
        used_pred.add(pi)
        source = tuple(gold[gi]["source"]) if gold[gi].get("source") else None
        speaker = kept[pi].speaker
        hits += int(source is None and speaker is None or _overlaps(source, speaker))
    return hits


def _best_threshold(per_doc: Sequence[tuple[list[Candidate], list[Mapping]]]) -> float:
    """The keep-threshold with the best end-to-end F1 over (candidates, gold) documents."""
    n_gold = sum(len(gold) for _, gold in per_doc)
    best_f1, best_threshold = -1.0, 0.5
    for step in range(10, 81, 2):
        threshold = step / 100
        n_pred = hits = 0
        for candidates, gold in per_doc:
            kept = _select(candidates, threshold)
            n_pred += len(kept)
            hits += _document_e2e_hits(kept, gold)
        f1 = 2 * hits / (n_pred + n_gold) if n_pred + n_gold else 0.0
        if f1 > best_f1:
            best_f1, best_threshold = f1, threshold
    return best_threshold


def train_attribution(
    gold_rows: Sequence[Mapping],
    nlp: Language,
    *,
    docs: Sequence[Doc] | None = None,
    folds: int = 5,
) -> AttributionModel:
    """Fit the learned parts from gold attribution rows (the `shared/data` schema).

    `nlp` parses the texts unless `docs` (already parsed, same order) is given. Steps:
    per-lemma cue counts (the learned lexicon), two logistic models whose cue-rate
    feature is leave-one-out so it cannot leak its own label, isotonic calibration on
    out-of-fold predictions (folds by document), and the keep-threshold that maximises
    end-to-end F1 on those predictions. Deterministic: same rows, same model.
    """
    if docs is None:
        docs = list(nlp.pipe((row["text"] for row in gold_rows), batch_size=16))
    golds = [[a for a in row["attributions"] if a.get("content")] for row in gold_rows]
    per_doc: list[list[tuple[Candidate, tuple[int, int, int]]]] = []
    cue_counts: dict[str, list[int]] = {}
    conventions = [gold_quote_convention(row) for row in gold_rows]
    for doc, gold, convention in zip(docs, golds, conventions):
        labelled = [(cand, _label(cand, gold)) for cand in candidates_for(doc, lambda lemma: True)]
        for cand, _ in labelled:
            _convention_features(cand, convention)
        per_doc.append(labelled)
        for cand, (y_content, y_speaker, _) in labelled:
            if cand.cue_lemma:
                for key in (cand.cue_lemma, f"{cand.cue_lemma}|{cand.shape}"):
                    counts = cue_counts.setdefault(key, [0, 0])
                    counts[0] += y_content * y_speaker
                    counts[1] += 1
    # Only lemmas that were ever right (or are hand-listed) make candidates at run time.
    model = AttributionModel(
        cue_counts={k: v for k, v in cue_counts.items() if v[0] > 0 or _cue_prior(k.split("|")[0], None) is not None},
        content_model=LogisticModel(weights={}, bias=0.0),
        e2e_model=LogisticModel(weights={}, bias=0.0),
        content_calibration=IsotonicTable(thresholds=[0.0], values=[0.0]),
        e2e_calibration=IsotonicTable(thresholds=[0.0], values=[0.0]),
        cue_accuracy={},
        threshold=0.5,
    )
    per_doc = [[(c, y) for c, y in labelled if not c.cue_lemma or model.is_cue_lemma(c.cue_lemma)]
               for labelled in per_doc]
    flat = [(number, cand, y) for number, labelled in enumerate(per_doc) for cand, y in labelled]
    for _, cand, (y_content, y_speaker, _) in flat:
        _lemma_features(cand, lambda lemma, y=y_content * y_speaker: model.cue_rate(lemma, exclude_label=y))
    features = [cand.features for _, cand, _ in flat]
    y_content = [y[0] for _, _, y in flat]
    y_e2e = [y[0] * y[1] for _, _, y in flat]
    fold_of = [number % folds for number, _, _ in flat]
    oof_content = [0.0] * len(flat)
    oof_e2e = [0.0] * len(flat)
    for fold in range(folds):
        train = [i for i in range(len(flat)) if fold_of[i] != fold]
        m_content = fit_logistic([features[i] for i in train], [y_content[i] for i in train])
        m_e2e = fit_logistic([features[i] for i in train], [y_e2e[i] for i in train])
        for i in range(len(flat)):
            if fold_of[i] == fold:
                oof_content[i] = m_content.probability(features[i])
                oof_e2e[i] = m_e2e.probability(features[i])
    model.content_model = fit_logistic(features, y_content)
    model.e2e_model = fit_logistic(features, y_e2e)
    model.content_calibration = fit_isotonic(oof_content, y_content)
    model.e2e_calibration = fit_isotonic(oof_e2e, y_e2e)
    for i, (_, cand, _) in enumerate(flat):
        _score(cand, model.content_calibration(oof_content[i]), model.e2e_calibration(oof_e2e[i]))
    model.threshold = _best_threshold([([c for c, _ in labelled], gold) for labelled, gold in zip(per_doc, golds)])
    for convention in sorted(set(conventions)):
        model.convention_thresholds[convention] = _best_threshold(
            [([c for c, _ in labelled], gold) for labelled, gold, conv in zip(per_doc, golds, conventions)
             if conv == convention])
    cue_right: dict[str, list[int]] = {}  # over the claims that would be kept, by rule
    for labelled, convention in zip(per_doc, conventions):
        label_of = {id(cand): y for cand, y in labelled}
        for cand in _select([cand for cand, _ in labelled], model.threshold_for(convention)):
            y_content_i, _, y_cue = label_of[id(cand)]
            if y_content_i:
                cue_right.setdefault(cand.rule, []).append(y_cue)
    model.cue_accuracy = {rule: round(sum(v) / len(v), 4) for rule, v in sorted(cue_right.items())}
    return model
