"""Background runs whose worker stopped: an import or a stance training run left "queued" or
"running" by a worker that was killed (a crash, the OOM killer, a reboot) stayed so for good,
kept the project page refreshing and refused every new training run (QA16). Each run sets its
`updated_at` at every step; one silent for longer than CLAIMDESK_STALLED_JOB_MINUTES is closed
here, with a message that says what to do."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annotate.models import GOING_STATUSES, ImportJob, JobStatus, Project, StanceModel, SuggestionRefresh
from annotate.services.audit import audit_record

Run = TypeVar("Run", ImportJob, StanceModel, SuggestionRefresh)


def _silent_since() -> datetime:
    """A run last heard of before this has lost its worker."""
    return timezone.now() - timedelta(minutes=settings.CLAIMDESK_STALLED_JOB_MINUTES)


def is_stalled(run: ImportJob | StanceModel | SuggestionRefresh) -> bool:
    """Whether `close_stalled_jobs` would close this run."""
    return run.is_going and run.updated_at < _silent_since()


def runs_shown(project: Project, load: Callable[[], Sequence[Run]]) -> list[Run]:
    """The runs `load()` gives, with those whose worker died closed first: a page or the API
    shows them with what to do, not "running" for good. No query more unless one is stalled."""
    runs = list(load())
    if any(map(is_stalled, runs)):
        close_stalled_jobs(project)
        runs = list(load())
    return runs


def workers_busy(cutoff: datetime) -> bool:
    """Whether some run, of any project, is being worked on and reported since `cutoff`: an
    import, training or refresh of the suggestions running."""
    return (ImportJob.objects.filter(status=JobStatus.RUNNING, updated_at__gte=cutoff).exists()
            or SuggestionRefresh.objects.filter(status=JobStatus.RUNNING, updated_at__gte=cutoff).exists()
            or StanceModel.objects.filter(status=JobStatus.RUNNING, updated_at__gte=cutoff).exists())


def close_stalled_jobs(project: Project) -> int:
    """Close the project's runs silent for too long; return how many. Called where runs are
    shown or started, so a stalled one is found without a scheduler of its own."""
    minutes = settings.CLAIMDESK_STALLED_JOB_MINUTES
    cutoff = _silent_since()
    minutes_text = f"{minutes} minute{'' if minutes == 1 else 's'}"
    silent = f"no progress for {minutes_text} (did its worker stop?)"
    closed = 0
    # A queued run waits for a worker; one silent that long has none, unless the workers are
    # busy with other runs that do report (QA19: a third big import queued behind two was
    # closed as "Never started" while the worker worked through the second).
    waiting = [JobStatus.RUNNING] if workers_busy(cutoff) else GOING_STATUSES
    with transaction.atomic():
        for job in ImportJob.objects.select_for_update().filter(project=project, status__in=waiting,
                                                                  updated_at__lt=cutoff):
            job.message = (f"Stopped after {job.processed} of {job.total} documents: {silent}. Import the file again "
                           "to finish: documents already stored are skipped." if job.status == ImportJob.Status.RUNNING
                           else f"Never started: {silent}. Start a worker (manage.py db_worker) and import the file again.")
            job.status, job.finished_at, job.documents = ImportJob.Status.FAILED, timezone.now(), []
            job.updated_at = job.finished_at
            job.save(update_fields=["status", "finished_at", "documents", "message", "updated_at"])
            closed += 1
        for run in StanceModel.objects.select_for_update().filter(project=project, status__in=waiting,
                                                                    updated_at__lt=cutoff):
            run.status, run.finished_at = StanceModel.Status.FAILED, timezone.now()
            run.message = f"Stopped: {silent}. Train again."
            run.updated_at = run.finished_at
            run.save(update_fields=["status", "finished_at", "message", "updated_at"])
            closed += 1
        # In id order, as `resuggest_documents` locks them, so that the two never deadlock.
        for refresh in SuggestionRefresh.objects.select_for_update().filter(project=project, status__in=GOING_STATUSES,
                                                                           updated_at__lt=cutoff).order_by("pk"):
            if refresh.status == JobStatus.RUNNING or not tasks_wait_in_a_queue():
                _restart_refresh(refresh, project, silent)
                closed += 1
            else:
                _say_waiting(refresh, minutes_text)
        if closed:
            audit_record(project=project, actor=None, action="jobs.close_stalled", obj=project,
                         after={"closed": closed, "minutes": minutes})
    return closed


def tasks_wait_in_a_queue() -> bool:
    """Whether a queued task waits in a queue until a worker takes it (the database backend), rather
    than running in the process that queued it, and lost with it (the in-process default)."""
    return not settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend")


def _say_waiting(refresh: SuggestionRefresh, minutes_text: str) -> None:
    """A refresh no worker has taken yet waits in the queue, and runs when one starts: it is not
    started again, which would only use up its starts (QA21: with no worker for three silences it
    was given up, never having run)."""
    message = (f"Waiting for a worker: none has taken it for {minutes_text} or more. Start one with "
               "`python manage.py db_worker`; it runs then.")
    if refresh.message != message:
        refresh.message = message
        refresh.save(update_fields=["message"])  # not `updated_at`: it goes on waiting since then


def _restart_refresh(refresh: SuggestionRefresh, project: Project, silent: str) -> None:
    """Start a refresh whose worker died again on the documents it had left (those done stay
    done), or end it after `MAX_ATTEMPTS` starts: a refresh that kills its worker every time
    must not be started for good. Inside `close_stalled_jobs`' transaction."""
    from annotate.tasks import suggestion_refresh_task  # tasks import the services

    left = f"{refresh.total - refresh.processed} of {refresh.total} documents left"
    if refresh.attempt >= SuggestionRefresh.MAX_ATTEMPTS:
        refresh.status = SuggestionRefresh.Status.FAILED
        refresh.finished_at = timezone.now()
        refresh.message = (f"Stopped with {left}: its worker stopped {refresh.attempt} times ({silent}). Those "
                           "documents keep the suggestions they had, unless a later refresh re-made them; saved work "
                           "is untouched. “Re-make the suggestions” re-makes every document's, these among them.")
        action = "suggestions.refresh_given_up"
    else:
        refresh.attempt += 1
        refresh.status = SuggestionRefresh.Status.QUEUED
        refresh.message = f"Started again with {left}: {silent}."
        transaction.on_commit(lambda pk=refresh.pk, attempt=refresh.attempt: suggestion_refresh_task.enqueue(pk, attempt))
        action = "suggestions.refresh_restart"
    refresh.updated_at = timezone.now()
    refresh.save(update_fields=["attempt", "status", "message", "finished_at", "updated_at"])
    audit_record(project=project, actor=None, action=action, obj=project,
                 after={"refresh": refresh.pk, "attempt": refresh.attempt, "documents_left": refresh.total - refresh.processed})
