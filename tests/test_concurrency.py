"""Two people saving the same sentence at the same moment: exactly one wins, nothing is lost.

Real concurrent transactions need a server database; the suite runs this on PostgreSQL.
"""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from annotate.models import SentenceAnnotation
from annotate.services.annotations import StaleAnnotation, save_sentence_annotation

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a database with concurrent writers")


def _race(save_one, count: int = 2) -> list[object]:
    """Run `save_one(i)` in `count` threads released together; return each result or exception."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = save_one(i)
        except Exception as error:  # collected for the assertions
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("existing", [False, True], ids=["first-save", "update"])
def test_simultaneous_saves_of_one_version_let_exactly_one_through(document, people, existing):
    sentence = document.sentences.first()
    user = people["reviewer"]  # two tabs of one person, the case a unique constraint alone does not cover
    expected = None
    if existing:
        expected = save_sentence_annotation(sentence=sentence, user=user, status="no_claim", claims=[], expected_version=None).version
    statuses = ["skipped", "no_claim"] if existing else ["skipped", "skipped"]
    results = _race(lambda i: save_sentence_annotation(
        sentence=sentence, user=user, status=statuses[i], claims=[], expected_version=expected))
    winners = [r for r in results if isinstance(r, SentenceAnnotation)]
    losers = [r for r in results if isinstance(r, StaleAnnotation)]
    assert (len(winners), len(losers)) == (1, 1), results
    stored = SentenceAnnotation.objects.get(sentence=sentence, annotator=user)
    assert stored.version == (2 if existing else 1)
    assert stored.status == winners[0].status
