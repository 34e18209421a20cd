"""Two people saving the same sentence at the same moment: exactly one wins, nothing is lost.

Real concurrent transactions need a server database; the suite runs this on PostgreSQL.
"""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from annotate.models import SentenceAnnotation
from annotate.services.annotations import StaleAnnotation, save_sentence_annotation

ROUNDS = 10  # rounds of the speaker race
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
    if existing:  # stored as neither save has it (a save of what is stored writes nothing)
        from annotate.services.annotations import ClaimInput

        expected = save_sentence_annotation(sentence=sentence, user=user, status="corrected", expected_version=None,
                                            claims=[ClaimInput(claim=(sentence.start, sentence.end))]).version
    statuses = ["skipped", "no_claim"] if existing else ["skipped", "skipped"]
    results = _race(lambda i: save_sentence_annotation(
        sentence=sentence, user=user, status=statuses[i], claims=[], expected_version=expected))
    winners = [r for r in results if isinstance(r, SentenceAnnotation)]
    losers = [r for r in results if isinstance(r, StaleAnnotation)]
    assert (len(winners), len(losers)) == (1, 1), results
    stored = SentenceAnnotation.objects.get(sentence=sentence, annotator=user)
    assert stored.version == (2 if existing else 1)
    assert stored.status == winners[0].status


@pytest.mark.django_db(transaction=True)
def test_two_annotators_naming_the_same_new_speaker_at_once_both_save(document, people):
    """QA16: PostgreSQL broke a deadlock between the two on the speaker's unique index, and the
    loser's save was a 500; it is now run again."""
    from annotate.models import Role, Speaker
    from annotate.services.annotations import ClaimInput
    from annotate.services.projects import membership_set

    membership_set(project=document.project, user=people["reviewer"], role=Role.REVIEWER)
    suggestion = document.sentences.get(index=1).suggestions.first()  # "..., senior officials said."
    sentence = suggestion.sentence
    users = [people["annotator"], people["reviewer"]]
    for round_ in range(ROUNDS):
        names = [f"New Person {round_}", f"new  person {round_}"]  # one speaker key, new each round
        results = _race(lambda i, names=names: save_sentence_annotation(
            sentence=sentence, user=users[i], status="corrected", expected_version=None,
            claims=[ClaimInput(claim=suggestion.claim_span, speaker=suggestion.speaker_span, cue=suggestion.cue_span,
                               stance="support", speaker_name=names[i], suggestion_id=suggestion.pk)]))
        assert all(isinstance(r, SentenceAnnotation) for r in results), results
        assert Speaker.objects.filter(document=document, name_key=f"new person {round_}").count() == 1
        SentenceAnnotation.objects.filter(sentence=sentence).delete()


@pytest.mark.django_db(transaction=True)
def test_two_automatic_assignments_at_once_assign_each_document_once(project, people, make_user):
    """QA16: both runs read the same assignments and the second broke the unique constraint, a 500."""
    from annotate.models import Assignment, Role
    from annotate.services.imports import import_documents, parse_text
    from annotate.services.projects import membership_set
    from annotate.services.workflow import assign_automatically

    for i in range(3):
        membership_set(project=project, user=make_user(f"racer{i}"), role=Role.ANNOTATOR)
    import_documents(project=project, documents=[d for i in range(8) for d in parse_text(f"Official {i} said so.")])
    results = _race(lambda i: assign_automatically(project=project, per_document=2))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(len(r) for r in results) == [0, 16]
    assert Assignment.objects.filter(document__project=project).count() == 16


@pytest.mark.django_db(transaction=True)
def test_a_save_racing_a_merge_of_its_speaker_follows_the_merge(document, people):
    """QA19: a save naming a speaker that a reviewer merged away at the same moment failed its
    foreign key at commit, and was answered 409 "withdrawn meanwhile"; the README promises that a
    page opened before a merge saves its claims to the speaker it was merged into."""
    from annotate.models import Annotation, Speaker
    from annotate.services.annotations import ClaimInput
    from annotate.services.speakers import merge_speakers, speaker_named

    suggestion = document.sentences.get(index=1).suggestions.first()  # "..., senior officials said."
    sentence = suggestion.sentence
    for round_ in range(ROUNDS):
        source = speaker_named(document, f"Merged Person {round_}", by=people["reviewer"])
        into = speaker_named(document, f"Kept Person {round_}", by=people["reviewer"])

        def act(i: int, source=source, into=into):
            if i == 0:
                return merge_speakers(Speaker.objects.get(pk=source.pk), into=Speaker.objects.get(pk=into.pk),
                                      by=people["reviewer"])
            return save_sentence_annotation(
                sentence=sentence, user=people["annotator"], status="corrected", expected_version=None,
                claims=[ClaimInput(claim=suggestion.claim_span, speaker=suggestion.speaker_span, stance="support",
                                   speaker_id=source.pk)])

        results = _race(act)
        assert not any(isinstance(r, Exception) for r in results), results
        assert Annotation.objects.get(sentence_annotation__sentence=sentence).speaker_id == into.pk
        SentenceAnnotation.objects.filter(sentence=sentence).delete()


@pytest.mark.django_db(transaction=True)
def test_a_refresh_taking_documents_over_races_the_worker_and_the_restarts(project, settings):
    """A later refresh takes documents off older ones going (`resuggest_documents`) while their
    worker counts a chunk done and `close_stalled_jobs` starts silent ones again: whatever the
    order, each run's documents left are its total less those it counted, and none deadlocks
    (they lock the runs in one order)."""
    from datetime import timedelta

    from django.utils import timezone

    from annotate.models import SuggestionRefresh
    from annotate.services.jobs import close_stalled_jobs
    from annotate.services.preannotation import _chunk_done, _Superseded, resuggest_documents

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued, not run here
    long_ago = timezone.now() - timedelta(hours=2)
    for round_ in range(ROUNDS):
        ids = [round_ * 10 + n for n in range(1, 5)]  # ids only: nothing is refreshed here
        working = SuggestionRefresh.objects.create(project=project, reason="first", status="running",
                                                   documents=ids, total=4)
        silent = SuggestionRefresh.objects.create(project=project, reason="second", documents=ids[1:], total=3)
        # Both silent: `close_stalled_jobs` locks both, as `resuggest_documents` does.
        SuggestionRefresh.objects.filter(pk__in=[working.pk, silent.pk]).update(updated_at=long_ago)
        results = _race(lambda i, ids=ids, working=working: (
            _chunk_done(working.pk, 1, ids[:2]) if i == 0
            else resuggest_documents(project, ids[1:3], reason="later") if i == 1
            else close_stalled_jobs(project)), count=3)
        # The worker's chunk may come after its run was started again: then it is not counted.
        assert not any(isinstance(r, Exception) and not isinstance(r, _Superseded) for r in results), results
        for run in SuggestionRefresh.objects.filter(pk__in=[working.pk, silent.pk]):
            assert len(run.documents) == run.total - run.processed, (round_, run.reason, run.documents)
            assert not set(run.documents) & set(ids[1:3]), "the later refresh has them"
        SuggestionRefresh.objects.all().delete()
