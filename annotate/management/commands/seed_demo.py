"""Create the demo project from seeds/ and three demo accounts. Safe to run again: nothing is created twice."""
from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from annotate.models import Project, Role
from annotate.services.imports import import_documents, parse_upload
from annotate.services.projects import membership_set, project_create
from annotate.services.workflow import assign_automatically

DEMO_PROJECT = "US–Pakistan relations"
DEMO_TARGET = "US–Pakistan cooperation"
DEMO_GUIDELINES = """\
**Speaker**: who the claim is attributed to, as written ("senior government officials", "Ambassador Wells").
Leave it empty when the author states the claim. Pick the canonical speaker so "she" and "the Ambassador" count as one.

**Cue**: the words that mark the attribution ("stated", "reportedly responded", "according to", a colon).

**Claim**: the content attributed, quoted or paraphrased; it may run over several sentences.

**Stance**: toward the project's target. *Support* if the claim favours it, *oppose* if it is against it,
*neutral* if it reports without taking a side.
"""
# The reference article has no headline line; give it a readable title.
SEED_TITLES = {"us-pakistan-relations": "US–Pakistan relations after the January tweet"}
# The two short articles are not about the project's target: each is judged against its own
# (a document's target overrides the project's), which also shows that feature.
SEED_TARGETS = {
    "harbour-bridge-funding": "Repairing the harbour bridge now",
    "vaccine-trial-results": "The new malaria vaccine works",
}
DEMO_USERS = (("demo-admin", Role.ADMIN), ("demo-reviewer", Role.REVIEWER), ("demo-annotator", Role.ANNOTATOR))


class Command(BaseCommand):
    help = "Import seeds/ into a demo project and create demo accounts (passwords are printed once)."

    def add_arguments(self, parser):
        parser.add_argument("--seeds", default=str(Path(settings.BASE_DIR) / "seeds"), help="folder of .txt/.jsonl/.csv")

    def handle(self, *args, seeds: str, **options):
        User = get_user_model()
        with transaction.atomic():
            project = Project.objects.filter(name=DEMO_PROJECT).first()
            if project is None:
                project = project_create(name=DEMO_PROJECT, stance_target=DEMO_TARGET, guidelines=DEMO_GUIDELINES,
                                         description="Seeded demo: the reference article on US–Pakistan relations, and two "
                                                     "short articles judged against their own targets.")
            for username, role in DEMO_USERS:
                user = User.objects.filter(username=username).first()
                if user is None:
                    password = secrets.token_urlsafe(12)
                    user = User.objects.create_user(username=username, password=password)
                    if role == Role.ADMIN:
                        user.is_staff = user.is_superuser = True
                        user.save(update_fields=["is_staff", "is_superuser"])
                    self.stdout.write(self.style.SUCCESS(f"Created {username} ({role}) with password: {password}"))
                else:
                    self.stdout.write(f"{username} exists; password unchanged.")
                membership_set(project=project, user=user, role=role)

        created = duplicates = 0
        for path in sorted(Path(seeds).glob("*")):
            if path.suffix.lower() not in (".txt", ".jsonl", ".csv"):
                continue
            documents = parse_upload(path.name, path.read_bytes())
            for document in documents:
                if document.title == path.stem:
                    document.title = SEED_TITLES.get(path.stem, path.stem.replace("-", " ").capitalize())
                document.stance_target = document.stance_target or SEED_TARGETS.get(path.stem, "")
            result = import_documents(project=project, documents=documents)
            created += len(result.created)
            duplicates += len(result.duplicates)
        assigned = assign_automatically(project=project, per_document=1)
        self.stdout.write(
            f"Demo project '{project.name}': {created} document(s) imported, {duplicates} already there, "
            f"{len(assigned)} new assignment(s)."
        )
