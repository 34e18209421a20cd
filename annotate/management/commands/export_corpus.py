"""Write a project's labelled corpus as json, jsonl or csv."""
from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotate.exporters import WRITERS, export_project
from annotate.management.pipes import stdout_reader_left
from annotate.selectors import has_part_in, project_by_name


class Command(BaseCommand):
    help = "Export a project's sentences, suggestions and human labels."

    def add_arguments(self, parser):
        parser.add_argument("project", help="project name")
        parser.add_argument("--format", choices=sorted(WRITERS), default="jsonl")
        parser.add_argument("--output", "-o", default="-", help="file to write; - for standard output")
        parser.add_argument("--annotator", help="only this user's assigned documents and own annotations (what they see as an annotator)")
        parser.add_argument("--scope", choices=["all", "gold"], default="all",
                            help="everyone's labels (default) or the adjudicated gold versions only, as ?scope=gold")

    def handle(self, *args, project: str, format: str, output: str, annotator: str | None, scope: str, **options):
        found = project_by_name(project)
        if found is None:
            raise CommandError(f"No project named {project!r}.")
        user = None
        if annotator:
            user = get_user_model().objects.filter(username=annotator).first()
            if user is None:
                raise CommandError(f"No user named {annotator!r}.")
            if not has_part_in(user, found):  # an empty file, and exit 0, said nothing of the typo
                raise CommandError(f"{annotator!r} is not a member of {found.name!r} and has no work in it.")
        if user is not None and scope == "gold":
            raise CommandError("--annotator exports that person's own work; gold is everyone's, adjudicated.")
        chunks = export_project(found, format, annotator=user, gold_only=scope == "gold")
        if output == "-":
            try:
                for chunk in chunks:
                    sys.stdout.write(chunk)
                sys.stdout.flush()
            except BrokenPipeError:
                stdout_reader_left()
            return
        try:
            write_atomically(Path(output), chunks)
        except OSError as error:
            raise CommandError(f"{output}: {error.strerror}") from None
        if format == "attributions" and Path(output).is_file() and Path(output).stat().st_size == 0:
            # QA19: an empty file, said to be written, and no word why.
            self.stderr.write(f"Wrote {output}, empty: no document has every sentence decided yet, and the "
                              "attributions format holds only those.")
            return
        self.stderr.write(f"Wrote {output}")


def write_atomically(target: Path, chunks: Iterable[str]) -> None:
    """Write beside `target` and rename at the end, so a failed export (a full disk, a
    database error, Ctrl-C) leaves the previous file whole and no temporary file behind.

    A link (/dev/stdout, a symlink to elsewhere) or anything but a regular file (a pipe) is
    written through directly: renaming over it would replace the link itself. A file that
    exists keeps its mode; a new one gets the mode open() would give it."""
    if target.is_symlink() or (target.exists() and not target.is_file()):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(chunks)
        return
    if target.exists():
        mode = stat.S_IMODE(target.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=target.parent,
                                         prefix=f".{target.name}.", delete=False)
    try:
        with handle:
            handle.writelines(chunks)
        os.chmod(handle.name, mode)  # not the temporary file's 0600
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
