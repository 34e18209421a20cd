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
from collections.abc import Mapping, Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span

from .stance_rules import (
    DENIAL_TONE,
    DENIES,
    NEUTRAL,
    OPPOSE,
    RULES_MODEL_NAME,
    SUPPORT,
    StanceDecision,
    TargetProfile,
    claim_unit,
    cue_valence,
    decide,
    has_own_verb,
    judged_by_cue,
    profile_target,
    read_text,
    turns_over_what_it_names,
    with_cue,
)
from .stance_training import StanceClassifier
from .types import DocumentPrediction

if not Doc.has_extension("prediction"):
    Doc.set_extension("prediction", default=None)
if not Doc.has_extension("target"):
    Doc.set_extension("target", default="")
# The labels the rules choose among: the rules' own words, or {meaning: the project's label}.
if not Doc.has_extension("stance_labels"):
    Doc.set_extension("stance_labels", default=(SUPPORT, OPPOSE, NEUTRAL))
if not Doc.has_extension("stance_offered"):
    # The labels a trained model may answer (a project's labels not retired); None: all it knows.
    Doc.set_extension("stance_offered", default=None)
if not Doc.has_extension("stance_model_dir"):
    # Per-document stance model, for batches of any project; None (or ""): the rules.
    Doc.set_extension("stance_model_dir", default=None)

DEFAULT_LABELS: tuple[str, ...] = (SUPPORT, OPPOSE, NEUTRAL)
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
        # Documents of one batch share their model: after the first, a cache hit.
        classifier = load_stance_classifier(doc._.stance_model_dir) if doc._.stance_model_dir else None
        return self.decide(doc, classifier)

    def decide(self, doc: Doc, classifier: StanceClassifier | None) -> Doc:
        """Fill the stance fields of `doc._.prediction` (made here, document level only, if the
        attribution component has not run) by `classifier`, or by the rules if None. Training
        compares models this way on the claims people labelled, before any of them is in use."""
        prediction = doc._.prediction
        if prediction is None:  # run without the attribution component: document level only
            prediction = DocumentPrediction(sentences=_sentence_spans(doc), claims=[], speakers=[])
            doc._.prediction = prediction
        target = (doc._.target or "").strip()
        prediction.target = target
        prediction.stance_model = classifier.model_id if classifier is not None else RULES_MODEL_NAME
        if not target:
            prediction.stance, prediction.stance_confidence, prediction.stance_rule = None, 0.0, ""
            for claim in prediction.claims:
                claim.stance, claim.stance_confidence, claim.stance_rule = None, 0.0, ""
            return doc
        # Each claim's words and cue, once. Unit 0 is the whole document; the others are the
        # claims, in order. "Officials denied that the bridge will reopen": the claim's words
        # restate what its speaker rejects, so its stance is the other side of theirs.
        spans = [(_char_span(doc, c.claim), _char_span(doc, c.cue) if c.cue is not None else None) for c in prediction.claims]
        read = [(doc[:], None)] + [claim_unit(claim, cue) for claim, cue in spans]
        units: list[Span] = [unit for unit, _ in read]
        effects = [effect for _, effect in read]
        decisions: list[StanceDecision | tuple[str | None, float, str]]
        if classifier is not None:  # a trained model answers in the labels it was trained on
            decisions = [(label, confidence, "") for label, confidence in
                         classifier.predict_claims(units, effects, self.profile(target), doc._.stance_offered)]
        else:  # the rules choose among the project's labels, by what they mean to the rules
            profile = self.profile(target)
            choices = rules_choices(doc._.stance_labels)
            labels = tuple(choices)
            valences = [0.0] + [cue_valence(claim, cue) if cue is not None else 0.0 for claim, cue in spans]
            decisions = []
            for unit, effect, valence in zip(units, effects, valences):
                evidence = read_text(unit, profile)[1]
                decision = with_cue(decide(evidence, labels), effect, labels)
                if effect == DENIES and not has_own_verb(unit):
                    # "The union rejected the plan": a denial of what a noun phrase names blames it (QA12).
                    valence = -DENIAL_TONE if turns_over_what_it_names(unit) else DENIAL_TONE
                if effect is None or effect == DENIES and not has_own_verb(unit):
                    decision = judged_by_cue(decision, valence, evidence, labels, claim=unit)
                decisions.append(decision._replace(label=choices.get(decision.label, decision.label)))
        prediction.stance, prediction.stance_confidence, prediction.stance_rule = decisions[0]
        for claim, (label, confidence, rule) in zip(prediction.claims, decisions[1:]):
            claim.stance, claim.stance_confidence, claim.stance_rule = label, confidence, rule
        return doc


def rules_choices(labels: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    """What the rules may suggest and the label each is stored as: a project's labels by their
    meaning ({"support": "pro", "oppose": "contra"}), or labels that are the rules' own words
    ("support", "oppose", "neutral", as `predict` and the bench give them)."""
    return dict(labels) if isinstance(labels, Mapping) else {label: label for label in labels}


def _sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    if doc.has_annotation("SENT_START"):
        return [(sent.start_char, sent.end_char) for sent in doc.sents]
    return [(0, len(doc.text))]


def _char_span(doc: Doc, span: tuple[int, int]) -> Span:
    # "expand" so that a span ending inside a token still covers that token.
    found = doc.char_span(span[0], span[1], alignment_mode="expand")
    return found if found is not None else doc[0:0]


@Language.factory("claimdesk_stance")
def make_stance_component(nlp: Language, name: str) -> StanceComponent:
    return StanceComponent(nlp, name)
