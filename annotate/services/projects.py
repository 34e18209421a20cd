"""Projects, their stance labels and their members."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from annotate.models import DEFAULT_STANCE_LABELS, Membership, Project, Role, StanceLabel
from annotate.services.audit import audit_record


@transaction.atomic
def project_create(
    *,
    name: str,
    stance_target: str = "",
    description: str = "",
    guidelines: str = "",
    created_by: AbstractBaseUser | None = None,
) -> Project:
    """A project with the default stance labels; its creator becomes its admin."""
    project = Project(name=name, stance_target=stance_target, description=description, guidelines=guidelines)
    project.full_clean()
    project.save()
    StanceLabel.objects.bulk_create(
        StanceLabel(project=project, value=value, name=label, key=str(position), color=color)
        for position, (value, label, color) in enumerate(DEFAULT_STANCE_LABELS, 1)
    )
    if created_by is not None:
        Membership.objects.create(user=created_by, project=project, role=Role.ADMIN)
    audit_record(project=project, actor=created_by, action="project.create", obj=project, after={"name": name})
    return project


@transaction.atomic
def membership_set(*, project: Project, user: AbstractBaseUser, role: str, actor: AbstractBaseUser | None = None) -> Membership:
    """Add `user` to `project` or change their role."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(Role.values)}")
    membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
    before = {"role": membership.role} if membership else None
    if membership is None:
        membership = Membership.objects.create(project=project, user=user, role=role)
    elif membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    audit_record(project=project, actor=actor, action="membership.set", obj=membership, before=before,
                 after={"user": user.get_username(), "role": role})
    return membership
