"""Import .txt, .jsonl or .csv files into a project, all or nothing per file."""
from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotate.selectors import project_by_name
from annotate.services.imports import ImportRejected, import_documents, parse_upload
from annotate.services.projects import project_create, project_new

# What the user typed for each field of a project this command creates.
PROJECT_FIELDS = {"name": "the project name", "stance_target": "--target"}


class Command(BaseCommand):
    help = (
        "Import documents into a project; each file is checked whole before anything of it is stored. "
        "With --create, a project that does not exist is made together with the first file imported into "
        "it: a name or target it cannot take, a missing file, or no file to import creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("project", help="project name")
        parser.add_argument("files", nargs="+", help=".txt (one document), .jsonl or .csv (one per line/row)")
        parser.add_argument("--create", action="store_true", help="create the project if it does not exist")
        parser.add_argument("--target", default="",
                            help="stance target of a created project; for a project that exists, of every document "
                                 "that gives none of its own (as with a file on the project page)")

    def handle(self, *args, project: str, files: list[str], create: bool, target: str, **options):
        found = project_by_name(project)
        document_target = target  # QA12: for a project that exists, --target was dropped without a word
        if found is None:
            if not create:
                raise CommandError(f"No project named {project!r}; pass --create to make it.")
            self._check_creatable(project, target)
            document_target = ""  # the project's own once made
        # QA16: every file is looked at before anything is stored, so that a typo in the last
        # name stops the command before it creates a project or imports the first file.
        paths = [self._readable(name) for name in files]
        failed = False
        for path in paths:
            try:
                documents = parse_upload(path.name, path.read_bytes(), target=document_target)
            except OSError as error:  # gone or changed since it was checked
                failed = True
                self.stderr.write(f"{path}: {error.strerror}; nothing stored")
                continue
            except ImportRejected as rejected:
                failed = True
                for problem in rejected.problems:
                    self.stderr.write(f"{path}: {problem.reason}" if problem.line is None else f"{path}:{problem.line}: {problem.reason}")
                self.stderr.write(f"{path}: rejected, nothing stored")
                continue
            made = found is None
            if made:
                found = project_create(name=project, stance_target=target)
            try:
                result = import_documents(project=found, documents=documents)
            except BaseException:
                # A project made here exists only with its first import. Not one transaction
                # with it: spaCy runs inside an import, and the app would wait on the lock.
                if made:
                    found.delete()
                    found = None
                raise
            self.stdout.write(f"{path}: {len(result.created)} imported, {len(result.duplicates)} skipped as already in the project "
                              "or repeated in the file")
        if failed:
            raise CommandError("Some files were rejected (see above)" + ("; the project was not created." if found is None else "."))

    @staticmethod
    def _check_creatable(name: str, target: str) -> None:
        """The reasons `project_create` would refuse these (as it checks them), as a message rather
        than a traceback."""
        try:
            project_new(name=name, stance_target=target)
        except ValidationError as error:
            reasons = [f"{PROJECT_FIELDS.get(field, field)}: {message}"
                       for field, messages in error.message_dict.items() for message in messages]
            raise CommandError(f"Cannot create the project: {'; '.join(reasons)}") from None

    @staticmethod
    def _readable(name: str) -> Path:
        path = Path(name)
        if path.is_dir():
            raise CommandError(f"{name}: a folder, not a file")
        if not path.is_file():  # nor a pipe, which opening would wait on
            raise CommandError(f"{name}: no such file")
        try:
            with path.open("rb"):
                pass
        except OSError as error:  # no permission
            raise CommandError(f"{name}: {error.strerror}") from None
        return path
