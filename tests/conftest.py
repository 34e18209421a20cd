"""Shared fixtures: a project with its people, and a small pre-annotated document."""
from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model

from annotate.models import Role
from annotate.services.imports import import_documents, parse_text
from annotate.services.projects import membership_set, project_create
from annotate.services.workflow import assign_documents

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM use there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SAMPLE_TEXT = (
    "Relations between the two countries must be based on mutual trust. "
    "The cooperation has been productive, senior officials said. "
    "Ambassador Alice Wells said that the aid cut was \"a step, not a permanent one\". "
    "The meeting lasted two hours."
)


@pytest.fixture
def make_user(db):
    def make(username: str, **extra):
        return get_user_model().objects.create_user(username=username, password="pw-" + username, **extra)

    return make


@pytest.fixture
def project(db):
    return project_create(name="Test project", stance_target="US–Pakistan cooperation", guidelines="**Be careful.**")


@pytest.fixture
def people(project, make_user):
    """One user per role, plus an outsider who belongs to no project."""
    users = {role: make_user(role) for role in ("admin", "reviewer", "annotator", "outsider")}
    membership_set(project=project, user=users["admin"], role=Role.ADMIN)
    membership_set(project=project, user=users["reviewer"], role=Role.REVIEWER)
    membership_set(project=project, user=users["annotator"], role=Role.ANNOTATOR)
    return users


@pytest.fixture
def document(project, people):
    """The sample, pre-annotated and assigned to the annotator."""
    result = import_documents(project=project, documents=parse_text(SAMPLE_TEXT, title="Sample"))
    document = result.created[0]
    assign_documents(project=project, documents=[document], annotators=[people["annotator"]])
    return document
