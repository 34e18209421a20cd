"""Inter-annotator agreement and human-vs-machine comparison, as pure functions over plain data.

Nothing here touches Django: the caller turns database rows into `SentenceWork` and
`MachineClaim` values and renders the `AgreementReport`. Skipped work is dropped on the
way in and counts nowhere.

Claims of two people are "the same claim" when their claim spans overlap by character
Jaccard >= MIN_JACCARD; matching is one-to-one, best overlap first (`match_spans`). Every
figure is a `Figure`: a value with the number of units behind it, or `None` with a reason
when there is too little (or too uniform) data for the number to mean anything.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any

import krippendorff
import numpy as np

Span = tuple[int, int]

# Two claim spans are the same claim from half their characters (union) on: loose enough
# for "said that X" vs "X", strict enough that neighbouring clauses do not pair up.
MIN_JACCARD = 0.5
# Below ten units one disagreement moves a rate by 0.1 or more; such a figure is noise.
MIN_UNITS = 10

SKIPPED = "skipped"
AUTHOR = "author"  # the speaker key of a claim with no speaker: the text's author
FIELDS = ("speaker", "cue", "claim", "stance")

TOO_FEW_ANNOTATORS = "fewer than 2 annotators on common sentences"


def _check_span(name: str, span: Span | None) -> None:
    if span is not None and not span[0] < span[1]:
        raise ValueError(f"{name} span {span} must have start < end")


@dataclass(frozen=True)
class LabelledClaim:
    """One claim as a person labelled it. `cue` is last so it can be left out."""

    claim: Span
    speaker: Span | None
    speaker_id: int | None  # canonical Speaker; None with no speaker span = the author
    stance: str | None  # StanceLabel.value
    suggestion_id: int | None  # the suggestion this claim started from
    cue: Span | None = None

    def __post_init__(self) -> None:
        for name in ("claim", "speaker", "cue"):
            _check_span(name, getattr(self, name))


@dataclass(frozen=True)
class SentenceWork:
    """One person's work on one sentence."""

    sentence_id: int
    annotator: str
    status: str  # accepted / corrected / no_claim / skipped
    claims: tuple[LabelledClaim, ...]
    # The stance target the work's stances were given toward: stances toward different targets
    # (a target changed between two people's work) are not compared; spans and speakers are.
    target: str = ""


@dataclass(frozen=True)
class MachineClaim:
    """One machine suggestion; `model` is "name version"."""

    suggestion_id: int
    sentence_id: int
    claim: Span
    speaker: Span | None
    speaker_id: int | None
    stance: str | None
    model: str
    cue: Span | None = None
    target: str = ""  # what the stance was suggested toward (see `SentenceWork.target`)

    def __post_init__(self) -> None:
        for name in ("claim", "speaker", "cue"):
            _check_span(name, getattr(self, name))


@dataclass(frozen=True)
class Figure:
    """A number with the units it rests on; `value` is None exactly when `reason` says why."""

    value: float | None
    n: int
    reason: str | None = None


@dataclass(frozen=True)
class PairStance:
    a: str
    b: str
    kappa: Figure  # Cohen's kappa over matched claims both gave a stance


@dataclass(frozen=True)
class PairSpans:
    a: str
    b: str
    sentences: int  # sentences both annotated
    claims_a: int
    claims_b: int
    matched: int
    precision: float | None  # of a's claims against b's; None when f1 is
    recall: float | None
    f1: Figure  # n = claims_a + claims_b


@dataclass(frozen=True)
class PairSpeakers:
    a: str
    b: str
    agreement: Figure  # share of matched claims with the same speaker
    unresolved: int  # matched claims left out: a speaker span without a canonical speaker


@dataclass(frozen=True)
class FieldOutcome:
    field: str
    accepted: int  # matched suggestions whose field the human kept
    corrected: int  # matched suggestions whose field the human changed
    accepted_rate: Figure  # of reviewed suggestions; with the rejected rate these sum to 1 ...
    corrected_rate: Figure
    # ... but for the stance of a suggestion the human judged toward another target (a worked
    # sentence keeps its suggestions through a target change): neither kept nor changed.
    not_compared: int = 0


@dataclass(frozen=True)
class ModelOutcome:
    model: str
    reviewed: int  # (human, suggestion) pairs on sentences the human annotated
    matched: int
    rejected: int  # suggestions with no matching human claim
    added: int  # human claims matching no suggestion, on sentences the model suggested for
    rejected_rate: Figure
    fields: tuple[FieldOutcome, ...]


@dataclass(frozen=True)
class AgreementReport:
    annotators: tuple[str, ...]
    sentences: int  # sentences with any (non-skipped) work
    shared_sentences: int  # sentences with work by two or more annotators
    stance_pairs: tuple[PairStance, ...]
    stance_alpha: Figure  # Krippendorff's alpha (nominal) over all annotators
    span_pairs: tuple[PairSpans, ...]
    span_f1_mean: Figure  # mean over the pairs with an F1; n = the claims those pairs compared
    speaker_pairs: tuple[PairSpeakers, ...]
    speaker_agreement: Figure  # pooled over all pairs
    machine: tuple[ModelOutcome, ...]

    def to_dict(self) -> dict[str, Any]:
        data = _jsonable(asdict(self))
        data["thresholds"] = {"min_jaccard": MIN_JACCARD, "min_units": MIN_UNITS}
        return data


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


def jaccard(a: Span, b: Span) -> float:
    """Character Jaccard of two half-open spans: shared characters over covered characters."""
    shared = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return shared / ((a[1] - a[0]) + (b[1] - b[0]) - shared)


def _greedy_match(scores: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """One-to-one pairs (row, column) with score >= MIN_JACCARD, best score first.

    Best-first rather than in list order, so a claim is not taken by a worse partner
    that merely comes earlier; ties go to the earlier row, then column, for stable output.
    """
    candidates = sorted(
        (-score, i, j) for i, row in enumerate(scores) for j, score in enumerate(row) if score >= MIN_JACCARD
    )
    used_i: set[int] = set()
    used_j: set[int] = set()
    pairs = []
    for _, i, j in candidates:
        if i not in used_i and j not in used_j:
            used_i.add(i)
            used_j.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def match_spans(a: Sequence[Span], b: Sequence[Span]) -> list[tuple[int, int]]:
    """Index pairs (i, j) of the same claim in `a` and `b`: Jaccard >= MIN_JACCARD, one-to-one."""
    return _greedy_match([[jaccard(x, y) for y in b] for x in a])


def _too_few(n: int, what: str) -> str:
    return f"fewer than {MIN_UNITS} {what} (n={n})"


def _rate(count: int, total: int, what: str) -> Figure:
    if total < MIN_UNITS:
        return Figure(None, total, _too_few(total, what))
    return Figure(count / total, total)


def _left_out(figure: Figure, other_targets: int) -> Figure:
    """A stance figure with too little data says how many stances it left out as given toward
    different targets (QA25: "fewer than 10 ... (n=0)" read as missing work after a target change)."""
    if figure.value is not None or not other_targets:
        return figure
    return Figure(None, figure.n, f"{figure.reason}; {other_targets} matched claim pair(s) left out: their stances were "
                                  "given toward different targets")


def _cohen_kappa(units: Sequence[tuple[str, str]]) -> Figure:
    n = len(units)
    if n < MIN_UNITS:
        return Figure(None, n, _too_few(n, "matched claims with a stance from both"))
    counts_a: dict[str, int] = defaultdict(int)
    counts_b: dict[str, int] = defaultdict(int)
    for x, y in units:
        counts_a[x] += 1
        counts_b[y] += 1
    agreed = sum(x == y for x, y in units)
    # p_e * n² in integers, so "expected agreement is exactly 1" is an exact test.
    expected = sum(counts_a[label] * counts_b[label] for label in counts_a)
    if expected == n * n:
        return Figure(None, n, "all labels identical: kappa undefined")
    p_o, p_e = agreed / n, expected / (n * n)
    return Figure((p_o - p_e) / (1 - p_e), n)


def _krippendorff_alpha(units: Sequence[dict[str, str | None]], annotators: Sequence[str]) -> Figure:
    # Units with fewer than two stances carry no pairs, so alpha ignores them; so does n.
    pairable = [unit for unit in units if sum(v is not None for v in unit.values()) >= 2]
    n = len(pairable)
    if n < MIN_UNITS:
        return Figure(None, n, _too_few(n, "claims with a stance from two or more annotators"))
    labels = sorted({v for unit in pairable for v in unit.values() if v is not None})
    if len(labels) < 2:
        return Figure(None, n, "all labels identical: alpha undefined")
    code = {label: float(i) for i, label in enumerate(labels)}
    data = [[code[unit[a]] if unit.get(a) is not None else np.nan for unit in pairable] for a in annotators]
    return Figure(float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")), n)


def _clusters(works: dict[str, SentenceWork]) -> list[dict[str, LabelledClaim]]:
    """Group one sentence's claims across annotators into "the same claim", at most one per annotator.

    Annotators join in name order; a claim joins the cluster it overlaps best (its best
    member), one-to-one, else starts a new one. With two annotators this is `match_spans`.
    """
    clusters: list[dict[str, LabelledClaim]] = []
    for annotator in sorted(works):
        claims = works[annotator].claims
        scores = [[max(jaccard(c.claim, m.claim) for m in cluster.values()) for cluster in clusters] for c in claims]
        joined = dict(_greedy_match(scores))
        for i, claim in enumerate(claims):
            if i in joined:
                clusters[joined[i]][annotator] = claim
            else:
                clusters.append({annotator: claim})
    return clusters


def _speaker_key(claim: LabelledClaim) -> int | str | None:
    """The canonical speaker; AUTHOR when no speaker is marked; None when marked but not resolved."""
    if claim.speaker_id is not None:
        return claim.speaker_id
    return AUTHOR if claim.speaker is None else None


@dataclass
class _PairTally:
    sentences: int = 0
    claims_a: int = 0
    claims_b: int = 0
    matched: int = 0
    stances: list[tuple[str, str]] = field(default_factory=list)
    other_targets: int = 0  # matched claims with stances given toward different targets
    speakers_same: int = 0
    speakers_compared: int = 0
    unresolved: int = 0

    def add(self, a: SentenceWork, b: SentenceWork) -> None:
        self.sentences += 1
        self.claims_a += len(a.claims)
        self.claims_b += len(b.claims)
        for i, j in match_spans([c.claim for c in a.claims], [c.claim for c in b.claims]):
            x, y = a.claims[i], b.claims[j]
            self.matched += 1
            if x.stance is not None and y.stance is not None:
                if a.target == b.target:
                    self.stances.append((x.stance, y.stance))
                else:
                    self.other_targets += 1
            kx, ky = _speaker_key(x), _speaker_key(y)
            if kx is None or ky is None:
                self.unresolved += 1
            else:
                self.speakers_compared += 1
                self.speakers_same += kx == ky

    def spans(self, a: str, b: str) -> PairSpans:
        total = self.claims_a + self.claims_b
        if total < MIN_UNITS:
            f1 = Figure(None, total, _too_few(total, "claims from the two annotators"))
            precision = recall = None
        else:
            f1 = Figure(2 * self.matched / total, total)
            precision = self.matched / self.claims_a if self.claims_a else None
            recall = self.matched / self.claims_b if self.claims_b else None
        return PairSpans(a, b, self.sentences, self.claims_a, self.claims_b, self.matched, precision, recall, f1)


def _mean(figures: Sequence[Figure], none_reason: str) -> Figure:
    """The mean of the figures that have a value; its n is theirs summed, so that it counts
    the same units (claims) as the figures beside it, not how many figures were averaged."""
    counted = [f for f in figures if f.value is not None]
    if not counted:
        return Figure(None, 0, none_reason)
    return Figure(sum(f.value for f in counted) / len(counted), sum(f.n for f in counted))


def _field_value(claim: LabelledClaim | MachineClaim, name: str) -> object:
    """What a field says: the speaker is its span and who it is, so that naming another
    canonical speaker for the same words ("He": Kwan -> Okafor) counts as a correction."""
    if name == "speaker":
        return claim.speaker, claim.speaker_id
    return getattr(claim, name)


@dataclass
class _ModelTally:
    reviewed: int = 0
    matched: int = 0
    added: int = 0
    accepted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    not_compared: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))

    def add(self, human: Sequence[LabelledClaim], machine: Sequence[MachineClaim], target: str = "") -> None:
        """`target`: what the human's stances were given toward."""
        by_id = {m.suggestion_id: j for j, m in enumerate(machine)}
        # A claim that started from a suggestion is that suggestion's, however much it was edited;
        # if a suggestion was split into several claims, the first keeps the link.
        linked: dict[int, int] = {}
        for i, c in enumerate(human):
            j = by_id.get(c.suggestion_id) if c.suggestion_id is not None else None
            if j is not None and j not in linked.values():
                linked[i] = j
        rest_h = [i for i in range(len(human)) if i not in linked]
        rest_m = [j for j in range(len(machine)) if j not in linked.values()]
        pairs = list(linked.items()) + [
            (rest_h[i], rest_m[j])
            for i, j in match_spans([human[i].claim for i in rest_h], [machine[j].claim for j in rest_m])
        ]
        self.reviewed += len(machine)
        self.matched += len(pairs)
        self.added += len(human) - len(pairs)
        for i, j in pairs:
            for name in FIELDS:
                if name == "stance" and machine[j].target != target:
                    self.not_compared[name] += 1
                    continue
                self.accepted[name] += _field_value(human[i], name) == _field_value(machine[j], name)

    def outcome(self, model: str) -> ModelOutcome:
        accepted = self.accepted
        corrected = {name: self.matched - accepted[name] - self.not_compared[name] for name in FIELDS}
        fields = tuple(
            FieldOutcome(
                name,
                accepted[name],
                corrected[name],
                _rate(accepted[name], self.reviewed, "reviewed suggestions"),
                _rate(corrected[name], self.reviewed, "reviewed suggestions"),
                self.not_compared[name],
            )
            for name in FIELDS
        )
        rejected = self.reviewed - self.matched
        return ModelOutcome(
            model, self.reviewed, self.matched, rejected, self.added,
            _rate(rejected, self.reviewed, "reviewed suggestions"), fields,
        )


def compute_agreement(work: Iterable[SentenceWork], machine: Iterable[MachineClaim] = ()) -> AgreementReport:
    """Agreement between annotators (stance, claim spans, speakers) and between humans and each model."""
    by_sentence: dict[int, dict[str, SentenceWork]] = defaultdict(dict)
    for item in work:
        if item.status == SKIPPED:
            continue
        if item.annotator in by_sentence[item.sentence_id]:
            raise ValueError(f"two pieces of work by {item.annotator!r} on sentence {item.sentence_id}")
        by_sentence[item.sentence_id][item.annotator] = item

    annotators = tuple(sorted({a for works in by_sentence.values() for a in works}))
    pairs: dict[tuple[str, str], _PairTally] = {}
    stance_units: list[dict[str, str | None]] = []
    shared = 0
    for works in by_sentence.values():
        if len(works) < 2:
            continue
        shared += 1
        for a, b in combinations(sorted(works), 2):
            pairs.setdefault((a, b), _PairTally()).add(works[a], works[b])
        # A claim's stances toward each target are a unit of their own: alpha pairs only values
        # within a unit, so stances toward an earlier target are never set against today's.
        for cluster in _clusters(works):
            by_target: dict[str, dict[str, str | None]] = defaultdict(dict)
            for a, c in cluster.items():
                by_target[works[a].target][a] = c.stance
            stance_units += by_target.values()

    ordered = sorted(pairs.items())
    stance_pairs = tuple(PairStance(a, b, _left_out(_cohen_kappa(t.stances), t.other_targets)) for (a, b), t in ordered)
    span_pairs = tuple(t.spans(a, b) for (a, b), t in ordered)
    speaker_pairs = tuple(
        PairSpeakers(a, b, _rate(t.speakers_same, t.speakers_compared, "matched claims"), t.unresolved)
        for (a, b), t in ordered
    )
    if shared:
        shared_annotators = sorted({a for pair in pairs for a in pair})
        alpha = _left_out(_krippendorff_alpha(stance_units, shared_annotators),
                          sum(t.other_targets for t in pairs.values()))
        f1_mean = _mean([p.f1 for p in span_pairs], "no annotator pair has enough claims for F1")
        speaker_agreement = _rate(
            sum(t.speakers_same for t in pairs.values()),
            sum(t.speakers_compared for t in pairs.values()),
            "matched claims",
        )
    else:
        alpha = f1_mean = speaker_agreement = Figure(None, 0, TOO_FEW_ANNOTATORS)

    suggestions: dict[str, dict[int, list[MachineClaim]]] = defaultdict(lambda: defaultdict(list))
    for m in machine:
        suggestions[m.model][m.sentence_id].append(m)
    models = []
    for model, by_model_sentence in sorted(suggestions.items()):
        tally = _ModelTally()
        # Only sentences the model suggested for: without a suggestion we cannot tell
        # whether the model ran on a sentence at all.
        for sentence_id, suggested in by_model_sentence.items():
            for item in by_sentence.get(sentence_id, {}).values():
                tally.add(item.claims, suggested, item.target)
        models.append(tally.outcome(model))

    return AgreementReport(
        annotators=annotators,
        sentences=len(by_sentence),
        shared_sentences=shared,
        stance_pairs=stance_pairs,
        stance_alpha=alpha,
        span_pairs=span_pairs,
        span_f1_mean=f1_mean,
        speaker_pairs=speaker_pairs,
        speaker_agreement=speaker_agreement,
        machine=tuple(models),
    )
