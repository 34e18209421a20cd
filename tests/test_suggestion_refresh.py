"""Re-making suggestions in the background is a tracked run: the project page follows it, and a
refresh whose worker died is started again on the documents it had left (it was a bare task,
and a dead worker left suggestions judging the old stance target for good)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from annotate.models import AuditEvent, Suggestion, SuggestionRefresh
from annotate.services import preannotation
from annotate.services.imports import import_documents, parse_text
from annotate.services.jobs import close_stalled_jobs
from annotate.services.preannotation import (
    RefreshRefused,
    resuggest_documents,
    resuggest_project,
    run_suggestion_refresh,
)

LONG_AGO = timezone.now() - timedelta(hours=2)


@pytest.fixture
def bridge_documents(project):
    """Two documents whose every suggestion opposes the project's target, until it changes."""
    project.stance_target = "The bridge is unsafe"
    project.save()
    texts = ["Engineers said the bridge is safe.", "The mayor said the bridge is safe."]
    return [import_documents(project=project, documents=parse_text(text, title=f"Bridge {i}")).created[0]
            for i, text in enumerate(texts)]


def _stances(document) -> list[str]:
    return [s.stance.value for s in Suggestion.objects.filter(sentence__document=document).select_related("stance")]


def _retarget(project, target: str = "The bridge is safe") -> None:
    project.stance_target = target
    project.save()


def test_a_refresh_is_tracked_to_its_end(project, bridge_documents, people, django_capture_on_commit_callbacks):
    assert {stance for d in bridge_documents for stance in _stances(d)} == {"oppose"}
    _retarget(project)
    with django_capture_on_commit_callbacks(execute=True):
        refresh = resuggest_documents(project, [d.pk for d in bridge_documents], reason="stance target changed",
                                      by=people["admin"])
    refresh.refresh_from_db()
    assert (refresh.status, refresh.processed, refresh.total, refresh.documents) == ("done", 2, 2, [])
    assert refresh.message == "Re-made the suggestions of 2 document(s) (stance target changed)."
    assert refresh.finished_at is not None and refresh.created_by == people["admin"]
    assert {stance for d in bridge_documents for stance in _stances(d)} == {"support"}
    [event] = AuditEvent.objects.filter(action="suggestions.refresh", project=project)
    assert event.after == {"documents": 2, "reason": "stance target changed", "refresh": refresh.pk}


def test_nothing_to_refresh_makes_no_run(project):
    assert resuggest_documents(project, [], reason="stance target changed") is None
    assert not SuggestionRefresh.objects.exists()


def test_a_refresh_whose_worker_died_goes_on_with_the_documents_left(project, bridge_documents,
                                                                     django_capture_on_commit_callbacks):
    first, second = bridge_documents
    _retarget(project)
    # The worker refreshed the first document, then died: the row says one is left.
    refresh = SuggestionRefresh.objects.create(project=project, reason="stance target changed", status="running",
                                               documents=[second.pk], total=2, processed=1)
    SuggestionRefresh.objects.filter(pk=refresh.pk).update(updated_at=LONG_AGO)
    with django_capture_on_commit_callbacks() as queued:
        assert close_stalled_jobs(project) == 1
    refresh.refresh_from_db()
    assert (refresh.status, refresh.attempt) == ("queued", 2)
    assert refresh.message == ("Started again with 1 of 2 documents left: no progress for 30 minutes "
                               "(did its worker stop?).")
    assert len(queued) == 1
    [event] = AuditEvent.objects.filter(action="suggestions.refresh_restart", project=project)
    assert event.after == {"refresh": refresh.pk, "attempt": 2, "documents_left": 1}
    real_refresh = preannotation.refresh_suggestions

    def watch(documents):
        said.append(SuggestionRefresh.objects.get(pk=refresh.pk).message)
        real_refresh(documents)

    said: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(preannotation, "refresh_suggestions", watch)
        queued[0]()
    assert said == ["Going on with the 1 documents left (start 2 of 3)."]  # no longer "did its worker stop?"
    refresh.refresh_from_db()
    assert (refresh.status, refresh.processed, refresh.documents) == ("done", 2, [])
    assert _stances(second) == ["support"]
    assert _stances(first) == ["oppose"]  # counted as done by the dead worker, so not done again
    assert close_stalled_jobs(project) == 0


def test_a_refresh_that_keeps_dying_is_given_up(project, bridge_documents, django_capture_on_commit_callbacks):
    refresh = SuggestionRefresh.objects.create(project=project, reason="stance target changed", status="running",
                                               documents=[bridge_documents[1].pk], total=2, processed=1,
                                               attempt=SuggestionRefresh.MAX_ATTEMPTS)
    SuggestionRefresh.objects.filter(pk=refresh.pk).update(updated_at=LONG_AGO)
    with django_capture_on_commit_callbacks() as queued:
        assert close_stalled_jobs(project) == 1
    refresh.refresh_from_db()
    assert refresh.status == "failed" and not queued
    assert refresh.message == (
        "Stopped with 1 of 2 documents left: its worker stopped 3 times (no progress for 30 minutes (did its worker "
        "stop?)). Those documents keep the suggestions they had, unless a later refresh re-made them; saved work is "
        "untouched. “Re-make the suggestions” re-makes every document's, these among them.")
    [event] = AuditEvent.objects.filter(action="suggestions.refresh_given_up", project=project)
    assert event.after == {"refresh": refresh.pk, "attempt": 3, "documents_left": 1}


def test_a_task_of_an_earlier_start_leaves_the_run_alone(project, bridge_documents):
    refresh = SuggestionRefresh.objects.create(project=project, reason="stance target changed", attempt=2,
                                               documents=[d.pk for d in bridge_documents], total=2)
    assert run_suggestion_refresh(refresh.pk, 1).status == "queued"
    refresh.refresh_from_db()
    assert (refresh.status, refresh.processed) == ("queued", 0)


def test_a_slow_worker_taken_for_dead_stops_at_its_next_chunk(project, bridge_documents, monkeypatch):
    """Started again meanwhile, the run belongs to the new start; the old task must not go on
    writing its progress over the new one's."""
    monkeypatch.setattr(preannotation, "REFRESH_CHUNK", 1)
    refresh = SuggestionRefresh.objects.create(project=project, reason="stance target changed",
                                               documents=[d.pk for d in bridge_documents], total=2)
    refreshed = []
    real = preannotation.refresh_suggestions

    def refresh_then_be_restarted(documents):
        real(documents)
        refreshed.extend(documents)
        SuggestionRefresh.objects.filter(pk=refresh.pk).update(attempt=2, status="queued")

    monkeypatch.setattr(preannotation, "refresh_suggestions", refresh_then_be_restarted)
    run_suggestion_refresh(refresh.pk, 1)
    assert len(refreshed) == 1  # stopped after the first chunk
    refresh.refresh_from_db()
    assert (refresh.status, refresh.attempt, refresh.processed) == ("queued", 2, 0)


def test_a_refresh_that_fails_says_so(project, bridge_documents, monkeypatch):
    def broken(documents):
        raise RuntimeError("the pipeline could not load")

    monkeypatch.setattr(preannotation, "refresh_suggestions", broken)
    refresh = SuggestionRefresh.objects.create(project=project, reason="stance target changed",
                                               documents=[d.pk for d in bridge_documents], total=2)
    run_suggestion_refresh(refresh.pk, 1)
    refresh.refresh_from_db()
    assert refresh.status == "failed" and refresh.finished_at is not None
    assert refresh.message == ("Stopped: the pipeline could not load. The documents not reached keep the "
                               "suggestions they had; saved work is untouched.")
    assert refresh.documents == [d.pk for d in bridge_documents]  # what is left, to start again


def test_an_admin_remakes_all_suggestions_once_at_a_time(project, bridge_documents, people,
                                                         django_capture_on_commit_callbacks):
    _retarget(project)
    with django_capture_on_commit_callbacks() as queued:
        refresh = resuggest_project(project, by=people["admin"])
    assert (refresh.reason, refresh.total) == ("asked for by an admin", 2)
    with pytest.raises(RefreshRefused, match="already being re-made"):
        resuggest_project(project, by=people["admin"])
    queued[0]()
    assert {stance for d in bridge_documents for stance in _stances(d)} == {"support"}
    assert resuggest_project(project).pk != refresh.pk  # once ended, another may start


def test_a_project_without_documents_has_nothing_to_remake(project):
    with pytest.raises(RefreshRefused, match="no documents yet"):
        resuggest_project(project)


def test_the_project_page_follows_a_refresh_and_starts_one(client, project, bridge_documents, people,
                                                           django_capture_on_commit_callbacks):
    client.force_login(people["admin"])
    with django_capture_on_commit_callbacks():  # no worker: it stays queued
        response = client.post(f"/projects/{project.pk}/suggestions/refresh/", follow=True)
    page = response.content.decode()
    assert "The suggestions of 2 document(s) are being re-made" in page
    assert 'id="suggestion-refreshes"' in page and "Asked for by an admin" in page and "0/2" in page
    assert 'http-equiv="refresh"' in page  # followed while it goes
    page = client.post(f"/projects/{project.pk}/suggestions/refresh/", follow=True).content.decode()
    assert "Not started: the suggestions are already being re-made" in page
    assert client.get(f"/projects/{project.pk}/suggestions/refresh/", follow=True).status_code == 200  # GET does nothing
    assert SuggestionRefresh.objects.count() == 1


def test_only_admins_remake_suggestions(client, project, bridge_documents, people):
    client.force_login(people["reviewer"])
    assert client.post(f"/projects/{project.pk}/suggestions/refresh/").status_code == 403
    assert client.get(f"/api/projects/{project.pk}/suggestion-refreshes/").status_code == 403
    assert not SuggestionRefresh.objects.exists()


def test_the_api_lists_and_starts_refreshes(client, project, bridge_documents, people,
                                            django_capture_on_commit_callbacks):
    client.force_login(people["admin"])
    url = f"/api/projects/{project.pk}/suggestion-refreshes/"
    assert client.get(url).json() == []
    with django_capture_on_commit_callbacks():
        started = client.post(url)
    assert started.status_code == 202
    body = started.json()
    assert {k: body[k] for k in ("reason", "status", "total", "processed", "taken_over", "attempt", "finished_at")} == {
        "reason": "asked for by an admin", "status": "queued", "total": 2, "processed": 0, "taken_over": 0, "attempt": 1,
        "finished_at": None}
    assert client.post(url).status_code == 409
    assert [row["refresh"] for row in client.get(url).json()] == [body["refresh"]]


def test_a_skipped_sentence_comes_back_with_suggestions_toward_the_new_target(project, bridge_documents, people,
                                                                              django_capture_on_commit_callbacks):
    """QA20: a sentence skipped before the target changed kept its suggestion toward the old one,
    for Enter to save when its annotator came back; and the admin was told it held saved work."""
    from annotate.services.annotations import save_sentence_annotation
    from annotate.services.preannotation import resuggest_toward_new_target

    skipped, untouched = bridge_documents
    [sentence] = skipped.sentences.all()
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="skipped", expected_version=None,
                             claims=[])
    _retarget(project)
    with django_capture_on_commit_callbacks(execute=True):
        with_work = resuggest_toward_new_target(project, [d.pk for d in bridge_documents], by=people["admin"])
    assert with_work == 0
    assert _stances(skipped) == _stances(untouched) == ["support"]


def test_a_refresh_no_worker_has_taken_waits_without_using_up_its_starts(project, bridge_documents, settings,
                                                                         django_capture_on_commit_callbacks):
    """QA21: with the database queue and no worker running, a queued refresh was "started again"
    each silence and given up after three, never having run; its task still waits in the queue."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    refresh = SuggestionRefresh.objects.create(project=project, reason="stance target changed",
                                               documents=[d.pk for d in bridge_documents], total=2)
    SuggestionRefresh.objects.filter(pk=refresh.pk).update(updated_at=LONG_AGO)
    for _ in range(SuggestionRefresh.MAX_ATTEMPTS + 1):
        with django_capture_on_commit_callbacks() as queued:
            assert close_stalled_jobs(project) == 0
        assert not queued
    refresh.refresh_from_db()
    assert (refresh.status, refresh.attempt, refresh.updated_at) == ("queued", 1, LONG_AGO)
    assert refresh.message == ("Waiting for a worker: none has taken it for 30 minutes or more. Start one with "
                               "`python manage.py db_worker`; it runs then.")
    assert not AuditEvent.objects.filter(action__startswith="jobs.").exists()
    run_suggestion_refresh(refresh.pk, 1)  # a worker at last
    assert SuggestionRefresh.objects.get(pk=refresh.pk).status == "done"


def test_a_queued_refresh_lost_with_its_process_is_started_again(project, bridge_documents,
                                                                django_capture_on_commit_callbacks):
    """In-process tasks die with the process that queued them: queued and silent, it is lost."""
    refresh = SuggestionRefresh.objects.create(project=project, reason="stance target changed",
                                               documents=[d.pk for d in bridge_documents], total=2)
    SuggestionRefresh.objects.filter(pk=refresh.pk).update(updated_at=LONG_AGO)
    with django_capture_on_commit_callbacks() as queued:
        assert close_stalled_jobs(project) == 1
    assert len(queued) == 1 and SuggestionRefresh.objects.get(pk=refresh.pk).attempt == 2


def test_a_target_changes_run_says_which_target(project, bridge_documents, django_capture_on_commit_callbacks):
    from annotate.services.preannotation import resuggest_toward_new_target

    _retarget(project)
    with django_capture_on_commit_callbacks():
        resuggest_toward_new_target(project, [d.pk for d in bridge_documents])
    _retarget(project, "")
    with django_capture_on_commit_callbacks():
        resuggest_toward_new_target(project, [d.pk for d in bridge_documents])
    assert list(SuggestionRefresh.objects.order_by("pk").values_list("reason", flat=True)) == [
        "stance target changed to “The bridge is safe”", "stance target removed"]
    _retarget(project, "The bridge " + "is safe " * 36)  # 300 characters: the reason holds 200
    with django_capture_on_commit_callbacks():
        resuggest_toward_new_target(project, [d.pk for d in bridge_documents])
    longest = SuggestionRefresh.objects.order_by("-pk").first().reason
    assert len(longest) == 200 and longest.endswith("…")


@pytest.fixture
def three_documents(project, bridge_documents):
    return [*bridge_documents, import_documents(project=project, documents=parse_text(
        "The council said the bridge is safe.", title="Bridge 2")).created[0]]


def test_a_later_refresh_takes_its_documents_off_the_refreshes_going(project, three_documents, people,
                                                                    django_capture_on_commit_callbacks):
    """Two target changes in a row had both runs re-make the same documents: the first one's work
    on them was wasted, and the worker's time with it."""
    a, b, c = (d.pk for d in three_documents)
    running = SuggestionRefresh.objects.create(project=project, reason="stance target changed", status="running",
                                               documents=[b, c], total=3, processed=1, message="Going on.")
    queued = SuggestionRefresh.objects.create(project=project, reason="asked for by an admin", documents=[a, b, c],
                                              total=3)
    ended = SuggestionRefresh.objects.create(project=project, reason="earlier", status="failed", documents=[a, b, c],
                                             total=3, message="Stopped: disk full.")
    with django_capture_on_commit_callbacks():
        later = resuggest_documents(project, [c], reason="stance target changed again", by=people["admin"])
    running.refresh_from_db()
    queued.refresh_from_db()
    assert (running.status, running.documents, running.total, running.processed, running.taken_over) == (
        "running", [b], 2, 1, 1)
    assert running.message == "Going on. A later refresh took over 1 of its documents."
    assert (queued.status, queued.documents, queued.total) == ("queued", [a, b], 2)
    assert queued.message == "A later refresh took over 1 of its documents."
    assert SuggestionRefresh.objects.get(pk=ended.pk).documents == [a, b, c], "an ended run is left as it is"
    [event] = AuditEvent.objects.filter(action="suggestions.resuggest", project=project)
    assert event.after["taken_over"] == {str(running.pk): 1, str(queued.pk): 1}

    with django_capture_on_commit_callbacks():
        resuggest_documents(project, [a, b], reason="stance target changed once more")
    running.refresh_from_db()
    queued.refresh_from_db()
    assert (running.status, running.documents, running.total, running.processed, running.taken_over) == ("done", [], 1, 1, 2)
    assert running.message == ("Re-made the suggestions of 1 document(s) (stance target changed); a later refresh "
                               "took over the other 2.")
    assert (queued.status, queued.documents, queued.total, queued.processed) == ("done", [], 0, 0)
    assert queued.message == "A later refresh took over its documents."
    assert queued.finished_at is not None and not queued.is_going
    later.refresh_from_db()
    assert (later.status, later.documents, later.total) == ("queued", [c], 1), "the later run keeps its own"
    assert close_stalled_jobs(project) == 0


def test_a_refresh_takes_nothing_off_another_projects(project, bridge_documents, django_capture_on_commit_callbacks):
    from annotate.services.projects import project_create

    other = project_create(name="Elsewhere", stance_target="the plan")
    ids = [d.pk for d in bridge_documents]
    theirs = SuggestionRefresh.objects.create(project=other, reason="x", documents=ids, total=2)
    with django_capture_on_commit_callbacks():
        resuggest_documents(project, ids, reason="stance target changed")
    assert SuggestionRefresh.objects.get(pk=theirs.pk).documents == ids


def test_the_worker_takes_each_chunk_from_its_row(project, three_documents, monkeypatch,
                                                  django_capture_on_commit_callbacks):
    """A later refresh takes documents off a run whose worker is half-way: the worker must not
    re-make them too, as it would from the list it read when it started."""
    monkeypatch.setattr(preannotation, "REFRESH_CHUNK", 1)
    a, b, c = (d.pk for d in three_documents)
    refresh = SuggestionRefresh.objects.create(project=project, reason="stance target changed", documents=[a, b, c],
                                               total=3)
    refreshed: list[int] = []
    real = preannotation.refresh_suggestions

    def refresh_then_see_c_taken_over(documents):
        real(documents)
        refreshed.extend(d.pk for d in documents)
        if len(refreshed) == 1:
            with django_capture_on_commit_callbacks():  # the later run's task is not run here
                resuggest_documents(project, [c], reason="stance target changed again")

    monkeypatch.setattr(preannotation, "refresh_suggestions", refresh_then_see_c_taken_over)
    run_suggestion_refresh(refresh.pk, 1)
    assert refreshed == [a, b]
    refresh.refresh_from_db()
    assert (refresh.status, refresh.documents, refresh.processed, refresh.total) == ("done", [], 2, 3 - 1)
    # QA24: the end rewrote the note on what was taken over; the count is kept apart from it.
    assert refresh.message == ("Re-made the suggestions of 2 document(s) (stance target changed); a later refresh took "
                               "over the other 1.")
    later = SuggestionRefresh.objects.exclude(pk=refresh.pk).get()
    assert (later.documents, later.total) == ([c], 1)


def test_a_chunk_taken_over_while_it_is_refreshed_is_not_counted_twice(project, bridge_documents, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    """The later refresh took all that was left, the chunk being refreshed with it: the run is done
    with what the later one says, and its worker stops without a word over it."""
    monkeypatch.setattr(preannotation, "REFRESH_CHUNK", 1)
    ids = [d.pk for d in bridge_documents]
    refresh = SuggestionRefresh.objects.create(project=project, reason="stance target changed", documents=ids, total=2)
    refreshed: list[int] = []
    real = preannotation.refresh_suggestions

    def refresh_while_all_is_taken_over(documents):
        with django_capture_on_commit_callbacks():
            resuggest_documents(project, ids, reason="stance target changed again")
        real(documents)
        refreshed.extend(d.pk for d in documents)

    monkeypatch.setattr(preannotation, "refresh_suggestions", refresh_while_all_is_taken_over)
    assert run_suggestion_refresh(refresh.pk, 1).status == "done"
    assert refreshed == ids[:1]
    refresh.refresh_from_db()
    assert (refresh.documents, refresh.processed, refresh.total) == ([], 0, 0)
    assert refresh.message == "A later refresh took over its documents."
    assert not AuditEvent.objects.filter(action="suggestions.refresh", project=project).exists()


def test_a_chunk_partly_taken_over_counts_only_what_the_run_kept(project, three_documents, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    """The later refresh took one document of the chunk being refreshed: it left the run's total
    with it, so the run must not count it done too (its processed would pass its total)."""
    monkeypatch.setattr(preannotation, "REFRESH_CHUNK", 2)
    a, b, c = (d.pk for d in three_documents)
    refresh = SuggestionRefresh.objects.create(project=project, reason="stance target changed", documents=[a, b, c],
                                               total=3)
    seen: list[tuple[list[int], int, int]] = []
    real = preannotation.refresh_suggestions

    def refresh_while_b_is_taken_over(documents):
        if not seen:
            with django_capture_on_commit_callbacks():
                resuggest_documents(project, [b], reason="stance target changed again")
        real(documents)
        row = SuggestionRefresh.objects.get(pk=refresh.pk)
        seen.append((row.documents, row.processed, row.total))

    monkeypatch.setattr(preannotation, "refresh_suggestions", refresh_while_b_is_taken_over)
    assert run_suggestion_refresh(refresh.pk, 1).status == "done"
    assert seen == [([a, c], 0, 2), ([c], 1, 2)]  # the second chunk is c alone
    refresh.refresh_from_db()
    assert (refresh.documents, refresh.processed, refresh.total) == ([], 2, 2)


def test_a_suggestion_records_the_target_its_stance_was_suggested_toward(project, bridge_documents, people,
                                                                        django_capture_on_commit_callbacks):
    """QA25: a sentence someone worked on keeps its suggestions through a target change, and the
    page offered their stance, toward the old target, to the next annotator. The suggestion now
    says what it was suggested toward, so the page can withhold it, and the rules' record in the
    project counts a label only against a suggestion toward the same target."""
    from annotate.selectors import _stance_rule_tallies
    from annotate.services.annotations import ClaimInput, save_sentence_annotation
    from annotate.services.preannotation import resuggest_toward_new_target

    worked, untouched = bridge_documents
    assert {s.stance_target for d in bridge_documents for s in Suggestion.objects.filter(sentence__document=d)} == {
        "The bridge is unsafe"}
    [sentence] = worked.sentences.all()
    suggestion = sentence.suggestions.get()
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="accepted", expected_version=None,
                             claims=[ClaimInput(claim=suggestion.claim_span, speaker=suggestion.speaker_span,
                                                cue=suggestion.cue_span, speaker_id=suggestion.speaker_id,
                                                stance="oppose", suggestion_id=suggestion.pk)])
    assert sum(reviewed for reviewed, _ in _stance_rule_tallies(project).values()) == 1
    _retarget(project)
    with django_capture_on_commit_callbacks(execute=True):
        resuggest_toward_new_target(project, [d.pk for d in bridge_documents], by=people["admin"])
    assert Suggestion.objects.get(pk=suggestion.pk).stance_target == "The bridge is unsafe", "what they were shown"
    assert [s.stance_target for s in Suggestion.objects.filter(sentence__document=untouched)] == ["The bridge is safe"]
    # A second annotator labels the kept suggestion toward the new target: no judgement of the rule.
    second = type(people["annotator"]).objects.create_user("ann2")
    save_sentence_annotation(sentence=sentence, user=second, status="corrected", expected_version=None,
                             claims=[ClaimInput(claim=suggestion.claim_span, stance="support", suggestion_id=suggestion.pk)])
    assert sum(reviewed for reviewed, _ in _stance_rule_tallies(project).values()) == 1
