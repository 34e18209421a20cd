"""Small learned pieces for attribution scoring: a numpy logistic regression and an
isotonic (pool-adjacent-violators) calibration table.

Both serialise to plain JSON-able dicts so the shipped model is data in the repo, and both
are deterministic so `train_attribution` reproduces the shipped table byte for byte.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class LogisticModel:
    """Binary logistic regression over named sparse features."""

    weights: dict[str, float]
    bias: float

    def logit(self, features: Mapping[str, float]) -> float:
        return self.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.logit(features)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict:
        return {"bias": self.bias, "weights": dict(sorted(self.weights.items()))}

    @classmethod
    def from_dict(cls, data: Mapping) -> LogisticModel:
        return cls(weights=dict(data["weights"]), bias=float(data["bias"]))


def fit_logistic(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    *,
    l2: float = 1.0,
    iterations: int = 300,
) -> LogisticModel:
    """Fit by full-batch Newton steps (few features, so the Hessian is tiny); L2 on weights only."""
    names = sorted({name for row in rows for name in row})
    index = {name: i for i, name in enumerate(names)}
    x = np.zeros((len(rows), len(names) + 1))
    x[:, -1] = 1.0  # bias column
    for r, row in enumerate(rows):
        for name, value in row.items():
            x[r, index[name]] = value
    y = np.asarray(labels, dtype=float)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-6)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-7:
            break
    weights = {name: round(float(w[i]), 6) for name, i in index.items() if abs(w[i]) > 1e-9}
    return LogisticModel(weights=weights, bias=round(float(w[-1]), 6))


@dataclass
class IsotonicTable:
    """Monotone map from a raw score to an observed rate, as step thresholds."""

    thresholds: list[float]  # lower edge of each block, ascending
    values: list[float]  # calibrated probability of each block

    def __call__(self, score: float) -> float:
        value = self.values[0] if self.values else score
        for threshold, block_value in zip(self.thresholds, self.values):
            if score >= threshold:
                value = block_value
            else:
                break
        return value

    def to_dict(self) -> dict:
        return {"thresholds": self.thresholds, "values": self.values}

    @classmethod
    def from_dict(cls, data: Mapping) -> IsotonicTable:
        return cls(thresholds=list(data["thresholds"]), values=list(data["values"]))


def fit_isotonic(scores: Sequence[float], labels: Sequence[int], *, min_block: int = 30) -> IsotonicTable:
    """Pool adjacent violators, then merge blocks smaller than `min_block` so that each
    calibrated value rests on enough examples to be trusted."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    blocks: list[list[float]] = []  # [sum_labels, count, first_score]
    for i in order:
        blocks.append([float(labels[i]), 1.0, float(scores[i])])
        while len(blocks) > 1 and (
            blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1] or blocks[-2][1] < min_block
        ):
            last = blocks.pop()
            blocks[-1][0] += last[0]
            blocks[-1][1] += last[1]
    while len(blocks) > 1 and blocks[-1][1] < min_block:  # the top block may still be small
        last = blocks.pop()
        blocks[-1][0] += last[0]
        blocks[-1][1] += last[1]
    thresholds = [round(b[2], 6) for b in blocks]
    # Shrink each rate towards its neighbours' by adding one pseudo-failure: keeps a
    # block of 30 perfect examples from claiming certainty.
    values = [round(b[0] / (b[1] + 1.0), 4) for b in blocks]
    for k in range(1, len(values)):
        values[k] = max(values[k], values[k - 1])
    return IsotonicTable(thresholds=thresholds, values=values)
