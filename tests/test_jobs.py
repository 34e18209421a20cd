"""Background runs whose worker stopped are closed, with what to do (QA16)."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from annotate.models import AuditEvent, ImportJob, StanceModel, SuggestionRefresh
from annotate.services.jobs import close_stalled_jobs, is_stalled

LONG_AGO = timezone.now() - timedelta(hours=2)


def _import_job(project, status: str, processed: int = 0, **fields) -> ImportJob:
    return ImportJob.objects.create(project=project, source="big.jsonl", status=status, total=400, processed=processed,
                                    documents=[{"text": "x"}], **fields)


def test_a_run_silent_too_long_is_closed_with_what_to_do(project):
    running = _import_job(project, "running", processed=256)
    queued = _import_job(project, "queued")
    training = StanceModel.objects.create(project=project, version=1, status="running", progress=0.2)
    ImportJob.objects.filter(pk__in=[running.pk, queued.pk]).update(updated_at=LONG_AGO)
    StanceModel.objects.filter(pk=training.pk).update(updated_at=LONG_AGO)
    assert all(map(is_stalled, [*ImportJob.objects.all(), *StanceModel.objects.all()]))

    assert close_stalled_jobs(project) == 3
    running.refresh_from_db()
    queued.refresh_from_db()
    training.refresh_from_db()
    assert (running.status, running.documents) == ("failed", [])
    assert running.message.startswith("Stopped after 256 of 400 documents: no progress for 30 minutes")
    assert "Import the file again to finish" in running.message
    assert queued.status == "failed" and queued.message.startswith("Never started")
    assert (training.status, training.message) == ("failed", "Stopped: no progress for 30 minutes (did its worker stop?). Train again.")
    assert AuditEvent.objects.filter(action="jobs.close_stalled", project=project).exists()
    assert close_stalled_jobs(project) == 0


def test_a_run_with_recent_progress_goes_on(project):
    job = _import_job(project, "running", processed=32)
    training = StanceModel.objects.create(project=project, version=1, status="running", progress=0.2)
    assert not is_stalled(job) and not is_stalled(training)
    assert close_stalled_jobs(project) == 0
    assert ImportJob.objects.get(pk=job.pk).status == "running"


def test_an_activated_models_refresh_whose_worker_died_is_started_again_like_any_other(project, document,
                                                                                       django_capture_on_commit_callbacks):
    """QA19 found the refresh after an activation marked done before it ran, and a second death of
    its worker unseen. It is a `SuggestionRefresh` now: the model's own run ended at 1.0 when it was
    activated, and the refresh is started again by the rule every refresh follows."""
    model = StanceModel.objects.create(project=project, version=1, status="done", progress=1.0, is_active=True,
                                       message="The model now makes this project's stance suggestions.")
    refresh = SuggestionRefresh.objects.create(project=project, reason="stance model v1 now suggests", status="running",
                                               documents=[document.pk], total=1)
    StanceModel.objects.filter(pk=model.pk).update(updated_at=LONG_AGO)
    SuggestionRefresh.objects.filter(pk=refresh.pk).update(updated_at=LONG_AGO)
    model.refresh_from_db()
    assert not model.is_going and not is_stalled(model), "a model in use is a finished run"
    for start in (2, 3):
        with django_capture_on_commit_callbacks() as queued:
            assert close_stalled_jobs(project) == 1, f"death {start - 1} not found"
        refresh.refresh_from_db()
        assert (refresh.status, refresh.attempt, len(queued)) == ("queued", start, 1)
        SuggestionRefresh.objects.filter(pk=refresh.pk).update(updated_at=LONG_AGO)
    assert StanceModel.objects.get(pk=model.pk).updated_at == LONG_AGO, "the model's row is left alone"
    queued[0]()  # this time the worker lives
    refresh.refresh_from_db()
    assert (refresh.status, refresh.processed, refresh.documents) == ("done", 1, [])
    assert AuditEvent.objects.filter(action="suggestions.refresh", project=project).exists()
    assert close_stalled_jobs(project) == 0


def test_the_project_page_shows_a_dead_import_closed_and_lets_training_start(client, people, project):
    job = _import_job(project, "running", processed=256)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=LONG_AGO)
    client.force_login(people["admin"])
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "Stopped after 256 of 400 documents" in page
    assert 'http-equiv="refresh"' not in page  # no longer reloading every 5 s for good


def test_the_command_closes_stalled_runs_without_anyone_looking(project):
    """Closing happened only where runs are shown; a scheduler calls this command instead."""
    import io

    import pytest
    from django.core.management import CommandError, call_command

    job = _import_job(project, "running", processed=8)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=LONG_AGO)
    out = io.StringIO()
    call_command("close_stalled_jobs", stdout=out)
    assert out.getvalue() == (f"{project.name}: 1 run with no progress for 30 minutes closed (a refresh of the "
                              "suggestions: started again).\n")
    assert ImportJob.objects.get(pk=job.pk).status == "failed"
    out = io.StringIO()
    call_command("close_stalled_jobs", "--project", project.name, stdout=out)
    assert out.getvalue() == "No run has gone 30 minutes without progress.\n"
    with pytest.raises(CommandError, match="No project named 'nope'"):
        call_command("close_stalled_jobs", "--project", "nope")


def test_a_queued_run_behind_a_busy_worker_waits(project):
    """QA19: a third big import queued behind two was closed as "Never started" while the worker
    worked through the second. Queued runs are closed only when no run anywhere reports."""
    from annotate.services.projects import project_create

    other = project_create(name="Busy elsewhere", stance_target="the plan")
    busy = _import_job(other, "running", processed=64)  # reporting now
    queued = _import_job(project, "queued")
    queued_training = StanceModel.objects.create(project=project, version=1, status="queued")
    ImportJob.objects.filter(pk=queued.pk).update(updated_at=LONG_AGO)
    StanceModel.objects.filter(pk=queued_training.pk).update(updated_at=LONG_AGO)
    assert close_stalled_jobs(project) == 0
    assert {ImportJob.objects.get(pk=queued.pk).status, StanceModel.objects.get(pk=queued_training.pk).status} == {"queued"}
    ImportJob.objects.filter(pk=busy.pk).update(updated_at=LONG_AGO)  # that worker is silent now too
    assert close_stalled_jobs(project) == 2
    assert ImportJob.objects.get(pk=queued.pk).message.startswith("Never started: no progress for 30 minutes")
