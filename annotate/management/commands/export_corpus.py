"""Write a project's labelled corpus as json, jsonl or csv."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotate.exporters import WRITERS, export_project
from annotate.models import Project


class Command(BaseCommand):
    help = "Export a project's sentences, suggestions and human labels."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project name")
        parser.add_argument("--format", choices=sorted(WRITERS), default="jsonl")
        parser.add_argument("--output", "-o", default="-", help="file to write; - for standard output")
        parser.add_argument("--annotator", help="only this user's assigned documents and own annotations (what they see as an annotator)")

    def handle(self, *args, project: str, format: str, output: str, annotator: str | None, **options):
        found = Project.objects.filter(name=project).first()
        if found is None:
            raise CommandError(f"No project named {project!r}.")
        user = None
        if annotator:
            user = get_user_model().objects.filter(username=annotator).first()
            if user is None:
                raise CommandError(f"No user named {annotator!r}.")
        chunks = export_project(found, format, annotator=user)
        if output == "-":
            for chunk in chunks:
                sys.stdout.write(chunk)
            return
        # Written beside the target and renamed at the end: a failed export leaves the
        # previous file as it was, never half a file.
        target = Path(output)
        temporary: str | None = None
        try:
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=target.parent or ".",
                                             prefix=f".{target.name}.", delete=False) as handle:
                temporary = handle.name
                for chunk in chunks:
                    handle.write(chunk)
            os.replace(temporary, target)
        except OSError as error:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            raise CommandError(f"{output}: {error.strerror}") from None
        self.stderr.write(f"Wrote {output}")
