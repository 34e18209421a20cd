"""Background tasks (Django's task framework): in-process by default, or a real queue
served by `manage.py db_worker` with CLAIMDESK_TASK_BACKEND=database."""
from __future__ import annotations

from django_tasks import task

from annotate.services.imports import run_import_job
from annotate.services.preannotation import refresh_documents, run_suggestion_refresh
from annotate.services.stance_models import resume_activation_refresh, run_stance_training


@task()
def train_stance_task(stance_model_id: int) -> str:
    """Train a project's stance classifier; progress and outcome are kept on the StanceModel row."""
    return run_stance_training(stance_model_id).status


@task()
def import_job_task(import_job_id: int) -> str:
    """Pre-annotate and store a large upload; progress is kept on the ImportJob row."""
    return run_import_job(import_job_id).status


@task()
def suggestion_refresh_task(refresh_id: int, attempt: int) -> str:
    """Re-make the suggestions of a `SuggestionRefresh`'s documents (a new stance target or model)."""
    return run_suggestion_refresh(refresh_id, attempt).status


@task()
def refresh_suggestions_task(document_ids: list[int]) -> int:
    """Untracked, as queued before migration 0016 (a database queue may still hold some)."""
    return refresh_documents(document_ids)


@task()
def resume_refresh_task(stance_model_id: int, note: str = "") -> str:
    """Kept because a database queue may still hold such tasks from before migration 0020, when
    an activated model re-made the suggestions itself and this restarted a refresh that died:
    it now queues a tracked refresh of the model's project if the model is still active (`note`,
    what the old restart said, is not needed any more)."""
    refresh = resume_activation_refresh(stance_model_id)
    return refresh.status if refresh is not None else "nothing to do"
