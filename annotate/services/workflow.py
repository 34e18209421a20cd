"""Team workflow writes: assigning documents, flagging sentences with comments."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from annotate.models import (
    Assignment,
    AuditEvent,
    Comment,
    Document,
    Membership,
    Project,
    Role,
    Sentence,
    only_invisible,
)
from annotate.services.audit import actor_or_none, audit_record


class WorkflowError(ValueError):
    """A workflow request that does not fit the project (e.g. assigning a non-member)."""


def _annotator_ids(project: Project) -> set[int]:
    return set(
        Membership.objects.filter(project=project, role=Role.ANNOTATOR).values_list("user_id", flat=True)
    )


def _lock_assignments(project: Project) -> None:
    """Take the project's row before reading its assignments: two assignment runs at once (a
    double click, two admins) both read the same assignments and the second broke the unique
    constraint, a 500 (QA16). A write, not SELECT FOR UPDATE, so that SQLite serializes too."""
    Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())


def _audit_assignments(project: Project, actor: AbstractBaseUser | None, rows: Iterable[Assignment]) -> None:
    AuditEvent.objects.bulk_create(
        AuditEvent(
            project=project,
            actor=actor_or_none(actor),
            action="assignment.create",
            object_type="Assignment",
            object_id=str(row.pk),
            after={"document": row.document_id, "annotator": row.annotator_id},
        )
        for row in rows
    )


@transaction.atomic
def assign_documents(
    *, project: Project, documents: Sequence[Document], annotators: Sequence[AbstractBaseUser],
    by: AbstractBaseUser | None = None,
) -> list[Assignment]:
    """Give each document to each annotator (existing assignments are kept, not duplicated)."""
    _lock_assignments(project)
    members = _annotator_ids(project)
    outsiders = [a.get_username() for a in annotators if a.pk not in members]
    if outsiders:
        raise WorkflowError(f"not annotators of this project: {', '.join(outsiders)}")
    if any(d.project_id != project.pk for d in documents):
        raise WorkflowError("every document must belong to the project")
    existing = set(
        Assignment.objects.filter(document__in=documents, annotator__in=annotators).values_list("document_id", "annotator_id")
    )
    rows = [
        Assignment(document=d, annotator=a, assigned_by=by)
        for d in documents
        for a in annotators
        if (d.pk, a.pk) not in existing
    ]
    created = Assignment.objects.bulk_create(rows)
    _audit_assignments(project, by, created)
    return created


@transaction.atomic
def assign_automatically(
    *, project: Project, per_document: int | None = None, by: AbstractBaseUser | None = None
) -> list[Assignment]:
    """Top every document up to `per_document` annotators, always picking the least loaded ones.

    Balanced: annotators' loads (assigned documents in this project) differ by at most one
    after a run on unassigned documents; ties go to the lower user id, so runs are repeatable.
    """
    per_document = project.annotations_per_document if per_document is None else per_document
    if per_document < 1:
        raise WorkflowError(f"at least one annotator per document is needed, not {per_document}")
    _lock_assignments(project)
    annotator_ids = sorted(_annotator_ids(project))
    if not annotator_ids:
        raise WorkflowError("the project has no annotators to assign to")
    if per_document > len(annotator_ids):
        raise WorkflowError(f"{per_document} annotators per document asked, but the project has {len(annotator_ids)}")
    current = list(Assignment.objects.filter(document__project=project).values_list("document_id", "annotator_id"))
    load = Counter({user_id: 0 for user_id in annotator_ids})
    holders: dict[int, set[int]] = {}
    for document_id, annotator_id in current:
        holders.setdefault(document_id, set()).add(annotator_id)
        if annotator_id in load:
            load[annotator_id] += 1
    rows = []
    for document_id in Document.objects.filter(project=project).order_by("id").values_list("id", flat=True):
        have = holders.get(document_id, set())
        missing = per_document - len(have & set(annotator_ids))
        for _ in range(max(0, missing)):
            choice = min((uid for uid in annotator_ids if uid not in have), key=lambda uid: (load[uid], uid))
            have.add(choice)
            load[choice] += 1
            rows.append(Assignment(document_id=document_id, annotator_id=choice, assigned_by=by))
    created = Assignment.objects.bulk_create(rows)
    _audit_assignments(project, by, created)
    return created


def comment_add(*, sentence: Sentence, author: AbstractBaseUser, text: str) -> Comment:
    text = text.strip()
    if not text or only_invisible(text):  # a zero-width space is no comment either (QA19)
        raise WorkflowError("a comment needs some text")
    with transaction.atomic():
        comment = Comment.objects.create(sentence=sentence, author=author, text=text[:5000])
        audit_record(project=sentence.document.project, actor=author, action="comment.add", obj=comment,
                     sentence=sentence, after={"text": comment.text})
    return comment


def comment_resolve(*, comment: Comment, by: AbstractBaseUser) -> Comment:
    with transaction.atomic():
        updated = Comment.objects.filter(pk=comment.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=by
        )
        comment.refresh_from_db()
        if updated:
            audit_record(project=comment.sentence.document.project, actor=by, action="comment.resolve", obj=comment,
                         sentence=comment.sentence, before={"resolved": False}, after={"resolved": True})
    return comment
