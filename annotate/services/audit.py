"""Append-only history of changes."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from annotate.models import AuditEvent, Project, Sentence


def actor_or_none(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    """The user to record as actor or creator; None for the system or an anonymous request."""
    return user if user is not None and user.is_authenticated else None


def audit_event(
    *,
    project: Project,
    actor: AbstractBaseUser | None,
    action: str,
    obj: Any,
    before: dict | None = None,
    after: dict | None = None,
    sentence: Sentence | None = None,
) -> AuditEvent:
    """An event not yet written: `audit_record` writes one, `audit_record_many` many at once."""
    return AuditEvent(
        project=project,
        actor=actor_or_none(actor),
        action=action,
        object_type=type(obj).__name__,
        object_id=str(obj.pk),
        sentence=sentence,
        before=before,
        after=after,
    )


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
    event = audit_event(project=project, actor=actor, action=action, obj=obj, before=before, after=after, sentence=sentence)
    event.save(force_insert=True)
    return event


def audit_record_many(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Events from `audit_event`, written in one INSERT (in their order), not one per row."""
    return AuditEvent.objects.bulk_create(events)
