"""Who may do what, per project. Small composable DRF permission classes, also used by the UI views.

A view says how to find the project of the object it serves (`get_permission_project`).
"""
from __future__ import annotations

from rest_framework.permissions import BasePermission

from annotate.models import Role
from annotate.selectors import project_role

ROLES_AT_LEAST = {
    Role.ANNOTATOR: {Role.ANNOTATOR, Role.REVIEWER, Role.ADMIN},
    Role.REVIEWER: {Role.REVIEWER, Role.ADMIN},
    Role.ADMIN: {Role.ADMIN},
}


def role_of(request, view) -> str | None:
    """The requesting user's role in the view's project, looked up once per request."""
    cached = getattr(request, "_claimdesk_role", None)
    if cached is None:
        project = view.get_permission_project()
        cached = (project_role(request.user, project) if project is not None else None) or ""
        request._claimdesk_role = cached
    return cached or None


class _HasRole(BasePermission):
    minimum: str = Role.ANNOTATOR
    message = "You are not a member of this project with the needed role."

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        return role_of(request, view) in ROLES_AT_LEAST[self.minimum]


class IsProjectMember(_HasRole):
    minimum = Role.ANNOTATOR


class IsProjectReviewer(_HasRole):
    minimum = Role.REVIEWER


class IsProjectAdmin(_HasRole):
    minimum = Role.ADMIN


class CanOpenDocument(BasePermission):
    """Project reviewers and admins, or an annotator the view's document is assigned to."""

    message = "This document is not assigned to you."

    def has_permission(self, request, view) -> bool:
        from annotate.selectors import can_open_document

        if not request.user or not request.user.is_authenticated:
            return False
        role = role_of(request, view)
        return role is not None and can_open_document(request.user, view.get_permission_document(), role)
