"""The `claimdesk_stance` component: stance of each claim, and of the document, toward `doc._.target`.

It runs after `claimdesk_attribution` and fills the stance fields of `doc._.prediction`.
Without a `doc._.stance_model_dir` it applies `stance_rules` to the tokens (and parse) the
pipeline already has: no second parse. A long document is read only through its sentences
that mention the target. With one (a classifier saved by `stance_training.train_stance_model`)
it asks that classifier instead, loaded once per process by `load_stance_classifier`. The
model is chosen per document, so one loaded pipeline serves every project, whatever its model.
"""
from __future__ import annotations

import functools

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from .stance_rules import (
    CUE_WITHHOLDING_WORDS,
    DENIES,
    NEGATION_WORDS,
    NEUTRAL,
    OPPOSE,
    REFUTATION_WORDS,
    RULES_MODEL_NAME,
    SENTIMENT_LEXICON,
    SUPPORT,
    TAKEN_BACK,
    StanceDecision,
    TargetProfile,
    decide,
    denial_effect,
    judged_by_cue,
    profile_target,
    read_text,
    with_cue,
)
from .stance_training import StanceClassifier
from .types import DocumentPrediction

if not Doc.has_extension("prediction"):
    Doc.set_extension("prediction", default=None)
if not Doc.has_extension("target"):
    Doc.set_extension("target", default="")
if not Doc.has_extension("stance_labels"):
    Doc.set_extension("stance_labels", default=(SUPPORT, OPPOSE, NEUTRAL))
if not Doc.has_extension("stance_model_dir"):
    # Per-document stance model, for batches of any project; None (or ""): the rules.
    Doc.set_extension("stance_model_dir", default=None)

DEFAULT_LABELS: tuple[str, ...] = (SUPPORT, OPPOSE, NEUTRAL)
# Nouns that frame what a speaker denies as something said: "rejected claims that ...".
REPORT_FRAME_NOUNS = frozenset("claim report suggestion allegation rumour rumor idea notion assertion charge speculation".split())
REPORT_FRAME_MAX_WORDS = 4  # "the claim that", "claims that", "these recent reports that"
# A denied claim's last words, from an "as" this close to its end, are the speaker's verdict
# on it when they hold a verdict word: "as a myth", "as politically motivated".
VERDICT_MAX_WORDS = 5
VERDICT_WORDS = frozenset("motivated speculation rumour rumor fiction fantasy invention propaganda".split())
TARGET_TAGGING_PIPES = ("tok2vec", "tagger")  # what a target is read with, in pipeline order
TARGET_CACHE_SIZE = 1024  # a project has few targets, each shared by many documents
CLASSIFIER_CACHE_SIZE = 8  # trained models kept loaded: the projects importing at about the same time


@functools.lru_cache(maxsize=CLASSIFIER_CACHE_SIZE)
def load_stance_classifier(model_dir: str) -> StanceClassifier:
    """The classifier saved in `model_dir`, loaded once per process. Raises OSError or
    ValueError for a folder that is gone or was made by another feature version.

    Keyed by the folder: a training run writes a new one (`stance-v<version>`) rather than
    rewriting a folder in use."""
    return StanceClassifier.load(model_dir)


class StanceComponent:
    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        tokenizer = nlp.tokenizer
        # The target is tagged, so that "The bridge collapsed" reads as a statement of fact by
        # its verb; the tagger's own tok2vec runs first (it listens to it). Targets repeat
        # across a whole import: each is read once.
        taggers = [component for pipe, component in nlp.pipeline if pipe in TARGET_TAGGING_PIPES]

        def read_target(target: str) -> TargetProfile:
            doc = tokenizer(target)
            for component in taggers:
                doc = component(doc)
            return profile_target(doc)

        self.profile = functools.lru_cache(maxsize=TARGET_CACHE_SIZE)(read_target)

    def __call__(self, doc: Doc) -> Doc:
        prediction = doc._.prediction
        if prediction is None:  # run without the attribution component: document level only
            prediction = DocumentPrediction(sentences=_sentence_spans(doc), claims=[], speakers=[])
            doc._.prediction = prediction
        target = (doc._.target or "").strip()
        # Documents of one batch share their model: after the first, a cache hit.
        classifier = load_stance_classifier(doc._.stance_model_dir) if doc._.stance_model_dir else None
        prediction.target = target
        prediction.stance_model = classifier.model_id if classifier is not None else RULES_MODEL_NAME
        if not target:
            prediction.stance, prediction.stance_confidence, prediction.stance_rule = None, 0.0, ""
            for claim in prediction.claims:
                claim.stance, claim.stance_confidence, claim.stance_rule = None, 0.0, ""
            return doc
        # Each claim's words and cue, once. Unit 0 is the whole document; the others are the
        # claims, in order.
        spans = [(_char_span(doc, c.claim), _char_span(doc, c.cue) if c.cue is not None else None) for c in prediction.claims]
        # "Officials denied that the bridge will reopen": the claim's words restate what its
        # speaker rejects, so its stance is the other side of theirs (see `cue_effect`).
        effects = [None] + [cue_effect(_cue_words(claim, cue)) if cue is not None else None for claim, cue in spans]
        units: list[Span] = [doc[:]] + [claim for claim, _ in spans]
        units = [without_report_frame(unit) if effect else unit for unit, effect in zip(units, effects)]
        decisions: list[StanceDecision | tuple[str | None, float, str]]
        if classifier is not None:  # a trained model answers in the labels it was trained on
            # A denial turns its answer over; a withheld one is left to it (its labels may
            # have no "neutral").
            decisions = [(classifier.swap.get(label, label) if effect == DENIES else label, confidence, "")
                         for (label, confidence), effect in zip(classifier.predict(units, self.profile(target)), effects)]
        else:  # the rules choose among the project's labels
            profile = self.profile(target)
            labels = doc._.stance_labels
            valences = [0.0] + [cue_valence(claim, cue) if cue is not None else 0.0 for claim, cue in spans]
            decisions = []
            for unit, effect, valence in zip(units, effects, valences):
                evidence = read_text(unit, profile)[1]
                decision = with_cue(decide(evidence, labels), effect, labels)
                decisions.append(judged_by_cue(decision, valence, evidence, labels) if effect is None else decision)
        prediction.stance, prediction.stance_confidence, prediction.stance_rule = decisions[0]
        for claim, (label, confidence, rule) in zip(prediction.claims, decisions[1:]):
            claim.stance, claim.stance_confidence, claim.stance_rule = label, confidence, rule
        return doc


def _sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    if doc.has_annotation("SENT_START"):
        return [(sent.start_char, sent.end_char) for sent in doc.sents]
    return [(0, len(doc.text))]


def without_report_frame(claim: Span) -> Span:
    """A denied claim without the words that frame it as a report, before it ("rejected claims
    that the bridge is unsafe": "claims" is no hedge of the speaker's) and after it ("dismissed
    the claim that the bridge is unsafe as a myth": the myth is the speaker's verdict, which the
    denial already says; read as the claim's own words it turned the denial over twice, QA9)."""
    words = [t for t in claim if not t.is_space]
    start, end = claim.start, claim.end
    for i, token in enumerate(words[:REPORT_FRAME_MAX_WORDS]):
        if token.lower_ == "that" and i > 0 and words[i - 1].lemma_.lower() in REPORT_FRAME_NOUNS:
            start = token.i + 1
            break
    content = [t for t in words if t.i >= start and not t.is_punct]
    tail = next((j for j in range(len(content) - 1, max(-1, len(content) - 1 - VERDICT_MAX_WORDS), -1)
                 if content[j].lower_ == "as"), None)
    if tail is not None and tail > 0 and any(is_verdict_word(t) for t in content[tail + 1:]):
        end = content[tail].i
    return claim.doc[start:end]


def is_verdict_word(token: Token) -> bool:
    """A word that judges what was said: "a myth", "baseless", "politically motivated"."""
    return token.lower_ in REFUTATION_WORDS or token.lower_ in VERDICT_WORDS or SENTIMENT_LEXICON.get(token.lower_, 0.0) < 0


def cue_effect(cue: Span) -> str | None:
    """What a cue does to its claim: `DENIES` ("denied", "rejected claims", "disputed"),
    `WITHHOLDS` ("refused to deny", "would neither confirm nor deny"), or None: no denial, or
    one taken back ("did not deny"), where the claim's own words decide. Read as a text's own
    denial is (`stance_rules.denial_effect`), with the words before the cue."""
    doc = cue.doc
    for token in cue:
        effect = denial_effect(doc, token.i)
        if effect is not None:
            return None if effect == TAKEN_BACK else effect
    return None


def cue_valence(claim: Span, cue: Span) -> float:
    """The tone of a cue that is its claim's only verb ("criticised" in "The mayor criticised
    the tram extension"; not "said" before a clause, which has a verb of its own); 0.0
    otherwise, and for a negated cue."""
    if has_own_verb(claim):
        return 0.0
    words = [token.lower_ for token in cue]
    if any(word in NEGATION_WORDS for word in words):
        return 0.0  # not criticising is not praising
    return sum(SENTIMENT_LEXICON.get(word, 0.0) for word in words)


def has_own_verb(claim: Span) -> bool:
    """Whether a claim is a clause with a verb of its own ("that the extension will be built"),
    not a noun phrase, even one holding a verb ("the decision to build the extension"). Without
    a parse: any verb."""
    if not claim.doc.has_annotation("DEP") or not len(claim):
        return any(token.pos_ in ("VERB", "AUX") for token in claim)
    return claim.root.pos_ in ("VERB", "AUX")


def _cue_words(claim: Span, cue: Span) -> Span:
    """A claim's cue, and for a cue that refuses ("refused", "declined") the claim's first two
    words after it: in "refused to deny that ..." the claim starts "to deny"."""
    if claim.start >= cue.end and any(token.lower_ in CUE_WITHHOLDING_WORDS for token in cue):
        return cue.doc[cue.start : min(claim.start + 2, claim.end)]
    return cue


def _char_span(doc: Doc, span: tuple[int, int]) -> Span:
    # "expand" so that a span ending inside a token still covers that token.
    found = doc.char_span(span[0], span[1], alignment_mode="expand")
    return found if found is not None else doc[0:0]


@Language.factory("claimdesk_stance")
def make_stance_component(nlp: Language, name: str) -> StanceComponent:
    return StanceComponent(nlp, name)
