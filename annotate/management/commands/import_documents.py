"""Import .txt, .jsonl or .csv files into a project, all or nothing per file."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotate.models import Project
from annotate.services.imports import ImportRejected, import_documents, parse_upload
from annotate.services.projects import project_create


class Command(BaseCommand):
    help = "Import documents into a project; each file is checked whole before anything of it is stored."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project name")
        parser.add_argument("files", nargs="+", help=".txt (one document), .jsonl or .csv (one per line/row)")
        parser.add_argument("--create", action="store_true", help="create the project if it does not exist")
        parser.add_argument("--target", default="",
                            help="stance target of a created project; for a project that exists, of every document "
                                 "that gives none of its own (as with a file on the project page)")

    def handle(self, *args, project: str, files: list[str], create: bool, target: str, **options):
        found = Project.objects.filter(name=project).first()
        document_target = target  # QA12: for a project that exists, --target was dropped without a word
        if found is None:
            if not create:
                raise CommandError(f"No project named {project!r}; pass --create to make it.")
            found = project_create(name=project, stance_target=target)
            document_target = ""  # the project's own now
        failed = False
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file")
            try:
                documents = parse_upload(path.name, path.read_bytes(), target=document_target)
            except ImportRejected as rejected:
                failed = True
                for problem in rejected.problems:
                    self.stderr.write(f"{path}: {problem.reason}" if problem.line is None else f"{path}:{problem.line}: {problem.reason}")
                self.stderr.write(f"{path}: rejected, nothing stored")
                continue
            result = import_documents(project=found, documents=documents)
            self.stdout.write(f"{path}: {len(result.created)} imported, {len(result.duplicates)} skipped as already in the project "
                              "or repeated in the file")
        if failed:
            raise CommandError("Some files were rejected (see above).")
