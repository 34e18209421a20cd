"""The admin site: open to superusers, to staff, and to each project's admins, who manage their
own projects' labels, people and documents there (see `annotate.admin.ProjectScoped`).

Chosen by `annotate.admin_config.ClaimDeskAdminConfig` once the apps are loaded."""
from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest


def administers_a_project(user) -> bool:
    from annotate.models import Membership, Role

    return Membership.objects.filter(user=user, role=Role.ADMIN).exists()


def may_use_admin(user) -> bool:
    return user.is_active and (user.is_staff or administers_a_project(user))


class ProjectAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's log-in, which also lets in a project admin without Django's staff flag."""

    def confirm_login_allowed(self, user) -> None:
        if not may_use_admin(user):
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                  params={"username": self.username_field.verbose_name})


class ClaimDeskAdminSite(admin.AdminSite):
    site_header = "ClaimDesk administration"
    site_title = "ClaimDesk admin"
    login_form = ProjectAdminAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_authenticated and may_use_admin(request.user)
