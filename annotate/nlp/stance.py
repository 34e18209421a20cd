"""The `claimdesk_stance` component: stance of each claim, and of the document, toward `doc._.target`.

It runs after `claimdesk_attribution` and fills the stance fields of `doc._.prediction`.
Without a `model_dir` it applies `stance_rules` to the tokens (and parse) the pipeline
already has: no second parse. A long document is read only through its sentences that
mention the target. With a `model_dir` (a classifier saved by
`stance_training.train_stance_model`) it loads the classifier once and asks it instead.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span

from .stance_rules import NEUTRAL, OPPOSE, RULES_MODEL_NAME, SUPPORT, TargetProfile, decide, profile_target, read_text
from .stance_training import StanceClassifier
from .types import DocumentPrediction

if not Doc.has_extension("prediction"):
    Doc.set_extension("prediction", default=None)
if not Doc.has_extension("target"):
    Doc.set_extension("target", default="")
if not Doc.has_extension("stance_labels"):
    Doc.set_extension("stance_labels", default=(SUPPORT, OPPOSE, NEUTRAL))

DEFAULT_LABELS: tuple[str, ...] = (SUPPORT, OPPOSE, NEUTRAL)
TARGET_CACHE_SIZE = 1024  # a project has few targets, each shared by many documents


class StanceComponent:
    def __init__(self, nlp: Language, name: str, model_dir: str = "") -> None:
        self.name = name
        self.classifier = StanceClassifier.load(model_dir) if model_dir else None
        self.model_name = self.classifier.model_id if self.classifier else RULES_MODEL_NAME
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
        prediction.target = target
        prediction.stance_model = self.model_name
        # Unit 0 is the whole document; the others are the claims, in order.
        units: list[Span] = [doc[:]]
        units += [_char_span(doc, claim.claim) for claim in prediction.claims]
        if not target:
            decisions: list[tuple[str | None, float]] = [(None, 0.0)] * len(units)
        else:
            decisions = list(self.classify(units, self.profile(target), doc._.stance_labels))
        prediction.stance, prediction.stance_confidence = decisions[0]
        for claim, (label, confidence) in zip(prediction.claims, decisions[1:]):
            claim.stance, claim.stance_confidence = label, confidence
        return doc

    def classify(self, units: Sequence[Span], target: TargetProfile,
                 labels: Sequence[str] = DEFAULT_LABELS) -> list[tuple[str, float]]:
        """(label, confidence) for each unit of text toward one target. The rules choose
        among the project's `labels`; a trained model knows its own."""
        if self.classifier is not None:
            return self.classifier.predict(units, target)
        return [decide(read_text(unit, target)[1], labels) for unit in units]


def _sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    if doc.has_annotation("SENT_START"):
        return [(sent.start_char, sent.end_char) for sent in doc.sents]
    return [(0, len(doc.text))]


def _char_span(doc: Doc, span: tuple[int, int]) -> Span:
    # "expand" so that a span ending inside a token still covers that token.
    found = doc.char_span(span[0], span[1], alignment_mode="expand")
    return found if found is not None else doc[0:0]


@Language.factory("claimdesk_stance", default_config={"model_dir": ""})
def make_stance_component(nlp: Language, name: str, model_dir: str) -> StanceComponent:
    return StanceComponent(nlp, name, model_dir)
