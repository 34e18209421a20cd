"""Per-document speaker normalisation.

Groups the speaker mentions of one document into canonical speakers:
"Ambassador Wells", "the Ambassador", "Wells" and a later "she" all become
"Ambassador Alice Wells" (the fullest name the document gives, even where that name
is not itself a speaker mention). Anonymous sources ("senior government officials")
are kept apart, one entity per distinct description, with kind `anonymous`.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from spacy.tokens import Doc, Span, Token

from .attribution_patterns import (
    ANONYMOUS_HEADS,
    COLLECTIVE_NOUNS,
    FIRST_PERSON_PRONOUNS,
    PERSONAL_PRONOUNS,
    TITLE_WORDS,
)
from .segmentation import is_capitals_word
from .types import (
    SPEAKER_ANONYMOUS,
    SPEAKER_ORGANISATION,
    SPEAKER_OTHER,
    SPEAKER_PERSON,
    CharSpan,
    SpeakerEntity,
)

# The presentation selectors and the keycap: marks that belong to the emoji before them.
EMOJI_MODIFIERS = frozenset("\ufe0e\ufe0f\u20e3")


def is_edge_symbol(char: str) -> bool:
    """An emoji, a symbol, a joiner or an emoji's modifier: none belongs to a name at its edge
    ("Critics 😡"). Not a mark in general: a combining accent sits on its letter, and Indic
    names end in vowel signs."""
    return unicodedata.category(char) in ("So", "Sk", "Cf") or char in EMOJI_MODIFIERS


_ENTITY_KINDS = {"PERSON": SPEAKER_PERSON, "ORG": SPEAKER_ORGANISATION, "NORP": SPEAKER_ORGANISATION,
                 "GPE": SPEAKER_ORGANISATION}
PLURAL_NOUN_TAGS = frozenset({"NNS", "NNPS"})
PLURAL_PRONOUNS = frozenset({"they", "them"})
# Where a group that "they" refers back to stands: subjects and objects, not "in the streets".
GROUP_PHRASE_DEPS = frozenset({"nsubj", "nsubjpass", "dobj", "conj", "appos"})
# "spoke to reporters", "met with union leaders": the people addressed can be a later "they".
ADDRESSEE_PREPOSITIONS = frozenset({"to", "with"})
_DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "some", "several", "two", "three"}
# A common-noun speaker keeps its "of" complement, part of what it names ("the chamber of
# commerce", "the minister of finance", "the head of the union"); a document that speaks keeps
# its "by" author ("a survey by the alliance"), as "the council's own survey" keeps its possessor.
DOCUMENT_NOUNS = frozenset({
    "survey", "report", "study", "poll", "analysis", "review", "audit", "investigation",
    "inquiry", "research", "paper", "census", "assessment", "estimate", "forecast",
})


def _name_words(span: Span) -> frozenset[str]:
    """Lower-cased capitalised words of a mention: what two names must share to co-refer."""
    return frozenset(
        t.lower_ for t in span
        if (t.is_title or t.is_upper and len(t) > 1) and t.lower_ not in _DETERMINERS
        and t.lower_ not in PERSONAL_PRONOUNS and (t.is_alpha or t.text.endswith("."))
    )


def _with_title(doc: Doc, ent: Span) -> Span:
    """Extend a PERSON entity left over titles, so "Alice Wells" after "Ambassador" keeps it."""
    start = ent.start
    while start > 0 and doc[start - 1].lower_ in TITLE_WORDS and doc[start - 1].is_title:
        start -= 1
    return doc[start:ent.end]


# `doc.ents`, `span.ents` and `doc.text` are built anew from every token of the document on
# each access: asked once per mention, they made a long document quadratic (a 200,000-character
# upload took 24 s, 10 of them here). These read only the tokens around the mention.

def entity_at(token: Token) -> Span | None:
    """The named entity `token` is part of, if any (as in `doc.ents`)."""
    if token.ent_iob_ not in ("B", "I"):
        return None
    doc, start, end = token.doc, token.i, token.i + 1
    while start > 0 and doc[start].ent_iob_ == "I":
        start -= 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return Span(doc, start, end, label=token.ent_type_)


def entities_in(span: Span) -> list[Span]:
    """The named entities within `span`, as `span.ents` gives them (wholly inside, in order,
    stopping at one that runs past its end)."""
    found = []
    for token in span:
        if token.ent_iob_ == "B":
            ent = entity_at(token)
            if ent.end > span.end:
                break
            found.append(ent)
    return found


def _mention_entity(span: Span) -> Span | None:
    """The named entity heading a speaker mention, if any."""
    ents = [ent for ent in entities_in(span) if ent.label_ in _ENTITY_KINDS]
    return next((ent for ent in ents if ent.start <= span.root.i < ent.end), ents[0] if ents else None)


def _core(span: Span) -> Span:
    """The speaker's head noun phrase without appositions and relative clauses."""
    root = span.root
    left = root.left_edge.i
    right = root.i + 1
    for child in root.rights:  # keep flat name parts after the head ("Harry M. Reid (D-Nev.)" stays "Harry M. Reid")
        if child.dep_ in {"compound", "flat", "nummod"}:
            right = child.i + 1
        else:
            break
    # A name in capitals the parser broke ("ÉMILE ZOLA", its "ZOLA" hung on the verb) is whole
    # in the mention: keep the capitals that follow the head there.
    while right < span.end and is_capitals_word(span.doc[right - 1]) and is_capitals_word(span.doc[right]):
        right += 1
    complement = _complement(root)
    if complement is not None and right == complement[0].i and _phrase_end(complement[1]) <= span.end:
        right = _phrase_end(complement[1])
    left = max(left, span.start)
    return span.doc[left:max(right, left + 1)]


def _complement(head: Token) -> tuple[Token, Token] | None:
    """The preposition and its object that belong to a common noun's name ("chamber" +
    "of commerce", "survey" + "by the alliance"; `DOCUMENT_NOUNS`), if any. A name heads no
    complement here: "Dr. Maya Patel of the city hospital" is "Dr. Maya Patel"."""
    if head.pos_ != "NOUN" or head.ent_iob_ != "O":
        return None
    for child in head.rights:
        if child.dep_ == "prep" and (child.lower_ == "of" or child.lower_ == "by" and head.lemma_.lower() in DOCUMENT_NOUNS):
            obj = next((t for t in child.rights if t.dep_ == "pobj"), None)
            # Not a number the parser took for the object ("members of the 11- to 12-year-old team").
            return (child, obj) if obj is not None and obj.pos_ in ("NOUN", "PROPN") else None
        if child.dep_ not in {"compound", "flat", "nummod"}:
            return None
    return None


def _phrase_end(head: Token) -> int:
    """Where the noun phrase `head` heads ends, without appositions and clauses: after its flat
    name parts, the whole name it is part of ("the House of Commons"), its own "of" complement
    ("the head of the union of teachers") and what it is coordinated with ("the minister of
    environment and energy")."""
    right = head.i + 1
    ent = entity_at(head)
    if ent is not None:
        right = max(right, ent.end)
    for child in head.rights:
        if child.i < right:
            continue
        if child.dep_ in {"compound", "flat", "nummod"} and child.i == right:
            right = child.i + 1
        elif child.dep_ == "prep" and child is _complement_prep(head) and child.i == right:
            right = _phrase_end(_complement(head)[1])  # type: ignore[index]
        elif child.dep_ == "cc" and child.i == right:
            conj = next((t for t in head.rights if t.dep_ == "conj" and t.i > child.i), None)
            if conj is None or conj.pos_ not in ("NOUN", "PROPN"):
                break
            right = _phrase_end(conj)
        else:
            break
    return right


def _complement_prep(head: Token) -> Token | None:
    complement = _complement(head)
    return complement[0] if complement is not None else None


def _head_part(core: Span) -> Span:
    """A mention's head phrase without its complement: the words it is named by. "The head of
    the Union" is not the Union, whatever name words its complement has."""
    complement = _complement(core.root)
    if complement is None or not core.start <= complement[0].i < core.end:
        return core
    return core.doc[core.start:complement[0].i]


def _without_role(core: Span, ent: Span) -> Span:
    """A person's name with the capitalised title standing before it ("Ambassador Alice
    Wells", "Councillor Ruth Adeyemi", "Foreign Minister Wang Yi"), not a role written in
    lower case: "Opposition leader Tom Reyes" is "Tom Reyes", as "The auditor general, Maria
    Lind" is "Maria Lind". Such a role can name the person later (`SpeakerIndex._titled_person`)."""
    doc = core.doc
    roles = [t.i for t in doc[core.start:ent.start] if _is_role_word(t)]
    if not roles:
        return core  # "Centers for Disease Control Director Thomas Frieden": a title throughout
    start = roles[-1] + 1
    while start < ent.start and not _is_capitalised(doc[start]):
        start += 1  # "Trump's GOP primary rival Sen. Marco Rubio": never start on "'s"
    # "former Sen. Scott Brown": a title's own prefix in lower case is part of it.
    while start > core.start and start < ent.start and doc[start - 1].lower_ in TITLE_WORDS:
        start -= 1
    return doc[start:max(core.end, ent.end)]


def _is_role_word(token: Token) -> bool:
    """A word in lower case that describes rather than names ("leader", "former", "presidential")."""
    return token.is_lower and token.is_alpha and token.pos_ in ("NOUN", "ADJ", "VERB", "ADV")


def _is_capitalised(token: Token) -> bool:
    return token.is_title or token.is_upper and len(token) > 1


def _named_core(core: Span, mention: Span) -> Span:
    """The name a mention's head phrase stands for: a common-noun head with a name in
    apposition is that name ("A Greek tourist, Eleni Papadopoulou"), and a name the head
    is part of is the whole name ("the Riverside Chamber of Commerce", whose "of Commerce"
    `_core` cuts as a prepositional phrase)."""
    doc, root = core.doc, core.root
    if root.ent_iob_ == "O":
        for child in root.rights:
            if child.dep_ == "appos" and child.i < mention.end:
                ent = entity_at(child)
                if ent is not None and ent.label_ == "PERSON" and ent.end <= mention.end:
                    return _with_title(doc, ent)
        split = _split_name(root)
        if root.pos_ == "NOUN" and split is not None and split.end <= mention.end:
            return _with_title(doc, split)
    ent = entity_at(root)
    if ent is not None and ent.label_ in _ENTITY_KINDS and ent.end > core.end and ent.end <= mention.end:
        return doc[min(core.start, ent.start):ent.end]
    return core


def _split_name(role: Token) -> Span | None:
    """The name right after a role that the parser made a second subject of the same verb
    ("said resident Joan Pike": "resident" and "Pike" both subjects of "said"), if any."""
    doc = role.doc
    if role.i + 1 >= len(doc):
        return None
    ent = entity_at(doc[role.i + 1])
    if ent is None or ent.label_ != "PERSON" or ent.start != role.i + 1:
        return None
    name = ent.root
    return ent if name.head.i == role.head.i and name.dep_ == role.dep_ and name.i != name.head.i else None


def _previous_sentence_start(span: Span) -> int:
    """The token index where the sentence before `span`'s sentence starts (its own if first)."""
    sentence = span[0].sent
    return span.doc[sentence.start - 1].sent.start if sentence.start > 0 else sentence.start


def _last_plural_phrase(pronoun: Span, start: int) -> Span | None:
    """The last noun phrase for a group (`_is_group_head`) that a "they" can stand for, from
    token `start` up to the pronoun: the last subject, else the last object."""
    doc = pronoun.doc
    heads = [t for t in doc[start:pronoun.start]
             if (t.dep_ in GROUP_PHRASE_DEPS or t.dep_ == "pobj" and t.head.lower_ in ADDRESSEE_PREPOSITIONS)
             and t.lower_ not in PERSONAL_PRONOUNS and _is_group_head(t)]
    # A subject before an object: "the union started a campaign. They tweet it out."
    subjects = [t for t in heads if t.dep_ in ("nsubj", "nsubjpass")]
    if not heads:
        return None
    head = (subjects or heads)[-1]
    return doc[head.left_edge.i:head.i + 1]


def _is_name_in_capitals(core: Span) -> bool:
    """A first name and a surname in capitals ("ÉMILE ZOLA"), not a group ("POLICE", "UNION LEADERS")."""
    return len(core) >= 2 and all(is_capitals_word(t) for t in core) and not _is_group_head(core.root)


def _is_group_head(token: Token) -> bool:
    """A noun for a group: plural ("union leaders"), a group noun ("the union"), or an
    organisation's name; never another name, however plural it looks ("Lopes", "Leeds")."""
    if token.ent_type_ and token.ent_type_ not in ("ORG", "NORP"):
        return False  # a person, a place ("Leeds", tagged as a plural), a date
    return token.tag_ in PLURAL_NOUN_TAGS or token.lemma_.lower() in COLLECTIVE_NOUNS or token.ent_type_ in ("ORG", "NORP")


def _text_without_determiners(span: Span) -> str:
    """The document's own text of a span (never token texts joined with spaces: "city's",
    not "city 's"), without leading determiners."""
    start = span.start
    while start < span.end - 1 and span.doc[start].lower_ in _DETERMINERS:
        start += 1
    return span.doc[start:span.end].text  # a span's text is the document's own characters


def _introduced_titles(doc: Doc) -> list[tuple[Span, str, frozenset[str]]]:
    """Every person the document introduces with a title: (the name, the title's head noun,
    the title's other words), from a title before the name ("Transport minister Paul Kerr":
    "minister", {"transport"}) or in apposition ("The auditor general, Maria Lind", "Maria
    Lind, the auditor general")."""
    found = []
    for ent in doc.ents:
        if ent.label_ != "PERSON":
            continue
        root = ent.root
        titles = []
        before = doc[ent.start - 1] if ent.start > 0 else None
        if before is not None and before.dep_ == "compound" and before.head.i in range(ent.start, ent.end) \
                and before.pos_ in ("NOUN", "PROPN") and before.ent_iob_ == "O":
            titles.append((before, [t for t in doc[root.left_edge.i:before.i]]))
        if before is not None and before.pos_ == "NOUN" and _split_name(before) is not None:
            titles.append((before, [t for t in doc[before.left_edge.i:before.i]]))
        if root.dep_ == "appos" and root.head.pos_ == "NOUN":
            titles.append((root.head, [t for t in root.head.children if t.dep_ in ("compound", "amod")]))
        titles += [(child, [t for t in child.children if t.dep_ in ("compound", "amod")])
                   for child in root.rights if child.dep_ == "appos" and child.pos_ == "NOUN"]
        for head, words in titles:
            found.append((_with_title(doc, ent), head.lemma_.lower(),
                          frozenset(t.lemma_.lower() for t in words if t.pos_ in ("NOUN", "PROPN", "ADJ"))))
    return found


class SpeakerIndex:
    """Builds the canonical speakers of one document, mention by mention, in text order."""

    def __init__(self, doc: Doc, quotations: Sequence[CharSpan] = ()) -> None:
        self.doc = doc
        self.quotations = quotations
        self._writer: dict[str, int] = {}  # "I" / "we" -> the entity of the writer's first person
        self.entities: list[SpeakerEntity] = []
        self._words: list[frozenset[str]] = []
        self._last_person: int | None = None
        self._groups: set[int] = set()  # entities named by a group's noun ("farmers", "the union")
        # Fullest title+name of every PERSON the document names, for upgrading short names.
        self._full_names = [_with_title(doc, ent) for ent in doc.ents if ent.label_ == "PERSON"]
        self._titles = _introduced_titles(doc)

    def _titled_person(self, core: Span) -> Span | None:
        """The person a definite title stands for ("the minister", "the transport minister"):
        the one person the document introduces with that title's head noun, before it, with
        every other word of it ("Transport minister Paul Kerr"). Never a guess between two."""
        head = core.root
        if head.tag_ not in ("NN", "NNP") or core[0].lower_ != "the" or head.ent_iob_ != "O":
            return None
        words = set()
        for token in core[1:]:
            if token.i == head.i or token.pos_ == "ADP" and token.lower_ == "of" or token.pos_ == "DET":
                continue
            if token.pos_ not in ("NOUN", "PROPN", "ADJ") or token.ent_iob_ != "O":
                return None
            words.add(token.lemma_.lower())
        holders = [(name, others) for name, title, others in self._titles if title == head.lemma_.lower()]
        if not holders:
            return None
        name = max((name for name, _ in holders), key=len)
        fullest = _name_words(name)
        # One person, however often introduced ("Paul Kerr", later "transport minister Kerr").
        if not all(_name_words(other) <= fullest for other, _ in holders):
            return None
        if min(other.start for other, _ in holders) > core.start or not words <= frozenset().union(
                *(others for _, others in holders)):
            return None
        return name

    def _fullest_name(self, core: Span) -> Span:
        words = _name_words(core)
        best = core
        if not words:
            return best
        for name in self._full_names:
            name_words = _name_words(name)
            # A name given in full gains only a title before it, never a longer entity that
            # contains it ("Hillary Clinton Slams Donald Trump", a headline the recogniser took
            # for one person); a single word ("Wells", "Xi") may still gain a first name too.
            if words <= name_words and len(name) > len(best) and (
                    len(words) < 2 or name[-1].lower_ == core[-1].lower_):
                best = name
        return best

    def add(self, mention: Span) -> int:
        """Return the index of the canonical speaker for `mention`, creating it if new."""
        core = _named_core(_core(mention), mention)
        head = core.root
        span_chars: CharSpan = (mention.start_char, mention.end_char)
        if head.lower_ in FIRST_PERSON_PRONOUNS and len(core) == 1 and not self._quoted(span_chars):
            return self._writer_mention(FIRST_PERSON_PRONOUNS[head.lower_], span_chars)
        if head.lower_ in PLURAL_PRONOUNS and len(core) == 1:
            return self._resolve_plural_pronoun(core, span_chars)
        if head.lower_ in PERSONAL_PRONOUNS and len(core) == 1:
            return self._resolve_pronoun(core, span_chars)
        ent = _mention_entity(core)
        if ent is not None and ent.label_ == "PERSON" and ent.start <= head.i < ent.end:
            core = _without_role(core, ent)
        if ent is None:
            person = self._titled_person(core)
            if person is not None:
                index = self.add(person)
                self.entities[index].mentions[-1] = span_chars  # the title is the mention, not the name
                return index
        words = _name_words(_head_part(core))
        if ent is None and head.lemma_.lower() in ANONYMOUS_HEADS:
            key = _text_without_determiners(core).lower()
            for index, entity in enumerate(self.entities):
                if entity.kind == SPEAKER_ANONYMOUS and entity.name.lower() == key:
                    entity.mentions.append(span_chars)
                    return index
            return self._new(key, SPEAKER_ANONYMOUS, span_chars, frozenset())
        kind = _ENTITY_KINDS.get(ent.label_, SPEAKER_OTHER) if ent is not None else SPEAKER_OTHER
        if ent is None and _is_name_in_capitals(core):
            kind = SPEAKER_PERSON  # the entity recogniser misses names in capitals ("ÉMILE ZOLA")
        if words:
            # Same referent when every name word of one mention is in the other
            # ("Wells" / "Ambassador Wells" / "the Ambassador" / "Ambassador Alice Wells").
            for index in reversed(range(len(self.entities))):
                known = self._words[index]
                if known and (words <= known or known <= words) and self.entities[index].kind != SPEAKER_ANONYMOUS:
                    entity = self.entities[index]
                    entity.mentions.append(span_chars)
                    if len(words) > len(known):
                        entity.name, self._words[index] = core.text, words
                    if entity.kind == SPEAKER_OTHER:
                        entity.kind = kind
                    if entity.kind == SPEAKER_PERSON:
                        self._last_person = index
                    return index
        name = self._fullest_name(core) if kind in (SPEAKER_PERSON, SPEAKER_OTHER) else core
        if name is not core:
            kind = SPEAKER_PERSON
        text = name.text if words else _text_without_determiners(core)
        index = self._new(text, kind, span_chars, words if name is core else _name_words(name))
        if _is_group_head(head):
            self._groups.add(index)
        return index

    def _quoted(self, span: CharSpan) -> bool:
        return any(start <= span[0] and span[1] <= end for start, end in self.quotations)

    def _writer_mention(self, name: str, span_chars: CharSpan) -> int:
        """The writer's "I" (or "we") outside a quotation: one speaker of its own, never a
        person the document names, and not the person a later "he" or "she" refers to."""
        if name in self._writer:
            index = self._writer[name]
            self.entities[index].mentions.append(span_chars)
            return index
        self.entities.append(SpeakerEntity(name=name, kind=SPEAKER_OTHER, mentions=[span_chars]))
        self._words.append(frozenset())
        self._writer[name] = len(self.entities) - 1
        return self._writer[name]

    def _resolve_pronoun(self, pronoun: Span, span_chars: CharSpan) -> int:
        """A pronoun speaker is the last person named before it, whether that name was a
        speaker mention or not ("Alice Wells visited. ... she said")."""
        named_before = [name for name in self._full_names if name.end <= pronoun.start]
        last_speaker_start = (self.entities[self._last_person].mentions[-1][0]
                              if self._last_person is not None else -1)
        if named_before and named_before[-1].start_char > last_speaker_start:
            index = self.add(named_before[-1])
            # `add` recorded the name itself as a mention; the pronoun is the mention.
            self.entities[index].mentions[-1] = span_chars
            return index
        if self._last_person is not None:
            self.entities[self._last_person].mentions.append(span_chars)
            return self._last_person
        return self._new(pronoun.text, SPEAKER_PERSON, span_chars, frozenset())

    def _resolve_plural_pronoun(self, pronoun: Span, span_chars: CharSpan) -> int:
        """"They" is a group, never a person named alone: the last group that spoke (sources,
        officials, an organisation) if it spoke in this sentence or the one before, else the
        last plural noun phrase there ("Farmers in the valley protested. They said ..."), else
        the last group that spoke at all. A group that just spoke comes first: the plural
        nouns after it are mostly inside what it said ("Officials said the talks were
        productive. They added ...")."""
        spoken = [(entity.mentions[-1][0], index) for index, entity in enumerate(self.entities)
                  if entity.kind in (SPEAKER_ANONYMOUS, SPEAKER_ORGANISATION) or index in self._groups]
        last_spoken = max(spoken, default=None)
        window_start = _previous_sentence_start(pronoun)
        phrase = _last_plural_phrase(pronoun, window_start)
        if phrase is not None and (last_spoken is None or last_spoken[0] < pronoun.doc[window_start].idx):
            index = self.add(phrase)
            self.entities[index].mentions[-1] = span_chars  # the pronoun is the mention, not the phrase
            self._groups.add(index)
            return index
        if last_spoken is not None:
            self.entities[last_spoken[1]].mentions.append(span_chars)
            return last_spoken[1]
        return self._new(pronoun.text, SPEAKER_OTHER, span_chars, frozenset())

    def _new(self, name: str, kind: str, span_chars: CharSpan, words: frozenset[str]) -> int:
        self.entities.append(SpeakerEntity(name=name, kind=kind, mentions=[span_chars]))
        self._words.append(words)
        if kind == SPEAKER_PERSON:
            self._last_person = len(self.entities) - 1
        return len(self.entities) - 1


def normalise_speakers(doc: Doc, mentions: Sequence[CharSpan | None], quotations: Sequence[CharSpan] = ()
                       ) -> tuple[list[SpeakerEntity], list[int | None]]:
    """Canonical speakers of `doc` and, for each mention (None for no speaker), its entity index.

    Mentions are resolved in text order, so a pronoun takes the last person named before it;
    a first-person pronoun outside the `quotations` is the writer (`SpeakerIndex._writer_mention`).
    """
    index = SpeakerIndex(doc, quotations)
    resolved: list[int | None] = [None] * len(mentions)
    # Claims that share a speaker span ("The Ambassador stated A and noted B") share one
    # mention: it is resolved once and listed once in its entity's mentions.
    seen: dict[CharSpan, int | None] = {}
    order = sorted((m[0], i) for i, m in enumerate(mentions) if m is not None)
    for _, i in order:
        start, end = mentions[i]  # type: ignore[misc]
        if (start, end) not in seen:
            span = doc.char_span(start, end, alignment_mode="expand")
            seen[start, end] = index.add(span) if span is not None and len(span) else None
        resolved[i] = seen[start, end]
    return index.entities, resolved
