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
from spacy.tokens import Doc, Span

from .stance_rules import (
    CUE_NEGATION_WINDOW,
    CUE_WITHHOLDING_WORDS,
    DENYING_CUE_LEMMAS,
    NEUTRAL,
    OPPOSE,
    RULES_MODEL_NAME,
    SUPPORT,
    StanceDecision,
    decide,
    deny,
    profile_target,
    read_text,
)
from .stance_training import StanceClassifier, polarity_swap
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
        # Tokenizing the target is cheap, but targets repeat across a whole import.
        self.profile = functools.lru_cache(maxsize=TARGET_CACHE_SIZE)(
            lambda target: profile_target(tokenizer(target))
        )

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
        # Unit 0 is the whole document; the others are the claims, in order.
        units: list[Span] = [doc[:]]
        units += [_char_span(doc, claim.claim) for claim in prediction.claims]
        # "Officials denied that the bridge will reopen": the claim's words restate what its
        # speaker rejects, so its stance is the other side of theirs.
        denied = [False] + [claim.cue is not None and cue_denies(_char_span(doc, claim.cue)) for claim in prediction.claims]
        decisions: list[StanceDecision | tuple[str | None, float, str]]
        if not target:
            decisions = [(None, 0.0, "")] * len(units)
        elif classifier is not None:  # a trained model answers in the labels it was trained on
            swap = polarity_swap(classifier.labels)
            decisions = [(swap.get(label, label) if flip else label, confidence, "")
                         for (label, confidence), flip in zip(classifier.predict(units, self.profile(target)), denied)]
        else:  # the rules choose among the project's labels
            profile = self.profile(target)
            labels = doc._.stance_labels
            decisions = [deny(decision, labels) if flip else decision
                         for decision, flip in zip((decide(read_text(unit, profile)[1], labels) for unit in units), denied)]
        prediction.stance, prediction.stance_confidence, prediction.stance_rule = decisions[0]
        for claim, (label, confidence, rule) in zip(prediction.claims, decisions[1:]):
            claim.stance, claim.stance_confidence, claim.stance_rule = label, confidence, rule
        return doc


def _sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    if doc.has_annotation("SENT_START"):
        return [(sent.start_char, sent.end_char) for sent in doc.sents]
    return [(0, len(doc.text))]


def cue_denies(cue: Span) -> bool:
    """Whether a cue says its speaker denies the claim ("denied", "rejected claims", "disputed"),
    and is not itself negated or withheld ("did not deny", "refused to deny", "would neither
    confirm nor deny")."""
    if not any(token.lemma_.lower() in DENYING_CUE_LEMMAS or token.lower_ in DENYING_CUE_LEMMAS for token in cue):
        return False
    doc = cue.doc
    before = doc[max(0, cue.start - CUE_NEGATION_WINDOW) : cue.end]
    return not any(token.lower_ in CUE_WITHHOLDING_WORDS for token in before)


def _char_span(doc: Doc, span: tuple[int, int]) -> Span:
    # "expand" so that a span ending inside a token still covers that token.
    found = doc.char_span(span[0], span[1], alignment_mode="expand")
    return found if found is not None else doc[0:0]


@Language.factory("claimdesk_stance")
def make_stance_component(nlp: Language, name: str) -> StanceComponent:
    return StanceComponent(nlp, name)
