"""Append-only history of changes."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from annotate.models import AuditEvent, Project, Sentence


def audit_record(
    *,
    project: Project,
    actor: AbstractBaseUser | None,
    action: str,
    obj: Any,
    before: dict | None = None,
    after: dict | None = None,
    sentence: Sentence | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        project=project,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        sentence=sentence,
        before=before,
        after=after,
    )
