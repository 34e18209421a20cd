"""Export the labelled corpus: one writer per format behind one registry, all streamed."""
from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.models import AbstractBaseUser

from annotate.exporters.records import iter_attribution_documents, iter_sentence_records
from annotate.exporters.writers import WRITERS, Writer
from annotate.models import Project
from annotate.selectors import project_agreement

__all__ = ["WRITERS", "Writer", "export_project", "writer_for"]


def writer_for(fmt: str) -> Writer:
    try:
        return WRITERS[fmt]
    except KeyError:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(WRITERS)}") from None


def export_project(
    project: Project, fmt: str, *, annotator: AbstractBaseUser | None = None, gold_only: bool = False
) -> Iterator[str]:
    """The project's corpus in `fmt` ("json", "jsonl", "csv" or "attributions"), as text chunks.

    With `annotator`, only that person's assigned documents, and only their own annotations
    beside the suggestions; with `gold_only`, only the adjudicated versions. Every format
    follows both. The JSON file of everyone's work also
    carries the project's agreement summary.
    """
    writer = writer_for(fmt)
    if writer.unit == "document":
        return writer.write(iter_attribution_documents(project, annotator=annotator, gold_only=gold_only))
    summary = None
    if fmt == "json" and annotator is None and not gold_only:
        # Computed afresh, not the page's cached figures: a renamed account changes no audit
        # event, and the file named it one way in its work and the old way here (QA16).
        summary = project_agreement(project).to_dict()
    return writer.write(iter_sentence_records(project, annotator=annotator, gold_only=gold_only), summary)
