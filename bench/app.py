"""Speed and memory of the app around the NLP: review payload, saves, and streamed exports.

    python bench/app.py [--documents 200] [--sentences 40] [--saves 200] [--database-url URL]

Builds a throwaway project of synthetic documents (suggestions included, written in bulk
so the NLP does not dominate the set-up), then prints:
- the project page (first and last page of documents) for its annotator and an admin:
  milliseconds and SQL queries per request;
- the review payload of the largest document: milliseconds and SQL queries per request;
- annotation saves through the REST API: median and 95th percentile milliseconds;
- each export format over the whole project: sentences per second, and the peak Python
  memory while streaming (tracemalloc), which must stay flat as the corpus grows.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def setup_django(database_url: str | None) -> None:
    import django

    scratch = tempfile.mkdtemp(prefix="claimdesk-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claimdesk.settings.base")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{scratch}/bench.sqlite3"
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # Pages are rendered without `collectstatic`: plain static URLs, not the manifest's.
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

    call_command("migrate", verbosity=0)


def build_corpus(documents: int, sentences: int):
    """A project with `documents` documents of `sentences` sentences, one suggestion each."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from annotate.models import Document, Role, Sentence, Suggestion
    from annotate.nlp.stance_rules import RULES_MODEL_NAME
    from annotate.services.projects import membership_set, project_create
    from annotate.services.workflow import assign_documents

    project = project_create(name=f"bench {time.time():.0f}", stance_target="the plan")
    annotator = get_user_model().objects.create_user(f"bench-{time.time_ns()}", password="x")
    membership_set(project=project, user=annotator, role=Role.ANNOTATOR)
    label = project.labels.get(value="support")
    line = "Minister {i} said that the plan number {j} will work well for everyone involved. "
    with transaction.atomic():
        docs = Document.objects.bulk_create(
            Document(project=project, title=f"doc {i}", text="".join(line.format(i=i, j=j) for j in range(sentences)),
                     text_sha256=f"{project.pk}-{i}")
            for i in range(documents)
        )
        rows, suggestions = [], []
        for doc in docs:
            start = 0
            for j in range(sentences):
                end = start + len(line.format(i=int(doc.title.split()[1]), j=j)) - 1
                rows.append(Sentence(document=doc, index=j, start=start, end=end))
                start = end + 1
        Sentence.objects.bulk_create(rows, batch_size=2000)
        for sentence in rows:
            suggestions.append(Suggestion(
                sentence=sentence, speaker_start=sentence.start, speaker_end=sentence.start + 8,
                cue_start=sentence.start + 11, cue_end=sentence.start + 15,
                claim_start=sentence.start + 16, claim_end=sentence.end - 1, stance=label,
                speaker_confidence=0.9, cue_confidence=0.9, claim_confidence=0.8, stance_confidence=0.6,
                model_name="bench", model_version="1", stance_model=RULES_MODEL_NAME,
            ))
        Suggestion.objects.bulk_create(suggestions, batch_size=2000)
    assign_documents(project=project, documents=docs, annotators=[annotator])
    return project, docs, annotator


def timed_ms(run) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--sentences", type=int, default=40, help="sentences per document")
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from annotate.exporters import WRITERS, export_project

    built = time.perf_counter()
    project, docs, annotator = build_corpus(args.documents, args.sentences)
    total = args.documents * args.sentences
    print(f"corpus: {args.documents} documents x {args.sentences} sentences = {total} sentences "
          f"(built in {time.perf_counter() - built:.1f} s, {connection.vendor})")

    from django.contrib.auth import get_user_model
    from django.test import Client

    from annotate.models import Role
    from annotate.services.projects import membership_set
    from annotate.views import DOCUMENTS_PER_PAGE

    admin = get_user_model().objects.create_user(f"bench-admin-{time.time_ns()}", password="x")
    membership_set(project=project, user=admin, role=Role.ADMIN)
    last_page = -(-args.documents // DOCUMENTS_PER_PAGE)
    for person, who in ((annotator, "annotator"), (admin, "admin")):
        browser = Client()
        browser.force_login(person)
        for page in (1, last_page):
            url = f"/projects/{project.pk}/?page={page}"
            assert browser.get(url).status_code == 200  # warm up
            with CaptureQueriesContext(connection) as queries:
                page_ms = statistics.median(timed_ms(lambda url=url, browser=browser: browser.get(url)) for _ in range(5))
            print(f"project page {page} of {last_page} ({who}): {page_ms:.1f} ms median, {len(queries) // 5} queries per request")

    client = APIClient()
    client.force_authenticate(annotator)
    document = docs[0]
    assert client.get(f"/api/documents/{document.pk}/").status_code == 200  # warm up
    with CaptureQueriesContext(connection) as queries:
        payload_ms = statistics.median(timed_ms(lambda: client.get(f"/api/documents/{document.pk}/")) for _ in range(10))
    print(f"review payload ({args.sentences} sentences): {payload_ms:.1f} ms median, {len(queries) // 10} queries per request")

    sentences = list(document.sentences.order_by("index"))
    save_times: list[float] = []
    responses: list[int] = []
    for n in range(args.saves):
        sentence = sentences[n % len(sentences)]
        version = None if n < len(sentences) else n // len(sentences)
        # Each round turns every sentence's status over: a save of what is stored writes no new
        # version, and the next round's version would then be stale.
        body = {"status": ("skipped", "no_claim")[(n // len(sentences)) % 2], "version": version, "claims": []}
        url = f"/api/sentences/{sentence.pk}/annotation/"
        save_times.append(timed_ms(lambda url=url, body=body: responses.append(client.put(url, body, format="json").status_code)))
    assert set(responses) == {200}, f"saves failed: {sorted(set(responses))}"
    save_times.sort()
    print(f"annotation saves ({args.saves}): {statistics.median(save_times):.1f} ms median, "
          f"{save_times[int(len(save_times) * 0.95) - 1]:.1f} ms p95")

    for fmt in WRITERS:
        start = time.perf_counter()
        size = sum(len(chunk) for chunk in export_project(project, fmt))
        seconds = time.perf_counter() - start
        tracemalloc.start()  # a second pass, since tracing slows Python down
        for _ in export_project(project, fmt):
            pass
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"export {fmt:<12} {total / seconds:9.0f} sentences/s, {size / 1e6:7.1f} MB written, "
              f"peak Python memory {peak / 1e6:6.1f} MB")


if __name__ == "__main__":
    main()
