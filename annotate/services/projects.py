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
    project = project_new(name=name, stance_target=stance_target, description=description, guidelines=guidelines)
    project.save()
    give_project_defaults(project, created_by=created_by)
    audit_record(project=project, actor=created_by, action="project.create", obj=project, after={"name": name})
    return project


def project_new(*, name: str, stance_target: str = "", description: str = "", guidelines: str = "") -> Project:
    """The project `project_create` would save, checked (ValidationError) and not saved yet: a
    caller may ask whether it can be made before the slow part."""
    # Stripped, so that a name of spaces alone is refused as blank, as every caller needs.
    project = Project(name=name.strip(), stance_target=stance_target.strip(), description=description,
                      guidelines=guidelines)
    project.full_clean()
    return project


def give_project_defaults(project: Project, *, created_by: AbstractBaseUser | None) -> None:
    """What every new project starts with, however it was made (here or in the admin): the
    default stance labels unless it was given its own, and its creator as one of its admins."""
    if not project.labels.exists():
        StanceLabel.objects.bulk_create(
            StanceLabel(project=project, value=value, name=label, key=str(position), color=color, meaning=value)
            for position, (value, label, color) in enumerate(DEFAULT_STANCE_LABELS, 1)
        )
    if created_by is not None and not Membership.objects.filter(project=project, user=created_by).exists():
        membership = Membership.objects.create(user=created_by, project=project, role=Role.ADMIN)
        audit_record(project=project, actor=created_by, action="membership.set", obj=membership,
                     after={"user": created_by.get_username(), "role": Role.ADMIN})


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
