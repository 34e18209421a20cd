"""Reads: typed functions with a fixed number of queries, shared by the UI, the API and the commands."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet

from annotate.models import (
    Annotation,
    AnnotationStatus,
    Document,
    Membership,
    Project,
    Role,
    Sentence,
    SentenceAnnotation,
    Suggestion,
)


def project_role(user: AbstractBaseUser, project: Project) -> str | None:
    """The user's role in the project; superusers act as admins everywhere."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    return Membership.objects.filter(user=user, project=project).values_list("role", flat=True).first()


def projects_for_user(user: AbstractBaseUser) -> QuerySet[Project]:
    projects = Project.objects.all() if user.is_superuser else Project.objects.filter(memberships__user=user)
    return projects.annotate(
        document_count=Count("documents", distinct=True),
        sentence_count=Count("documents__sentences", distinct=True),
    ).order_by("name")


def project_with_counts(project_pk: int) -> Project:
    return (
        Project.objects.annotate(
            document_count=Count("documents", distinct=True),
            sentence_count=Count("documents__sentences", distinct=True),
        )
        .prefetch_related("labels")
        .get(pk=project_pk)
    )


def _done_filter(user: AbstractBaseUser, prefix: str = "") -> Q:
    """A sentence counts as done for `user` once they saved it with any status but 'skipped'."""
    return Q(
        **{
            f"{prefix}annotations__annotator": user,
            f"{prefix}annotations__kind": SentenceAnnotation.Kind.ANNOTATION,
        }
    ) & ~Q(**{f"{prefix}annotations__status": AnnotationStatus.SKIPPED})


def documents_with_progress(project: Project, user: AbstractBaseUser) -> QuerySet[Document]:
    """The project's documents with `sentence_count` and `done_count` (the user's own work)."""
    return (
        Document.objects.filter(project=project)
        .defer("text")
        .annotate(
            sentence_count=Count("sentences", distinct=True),
            done_count=Count("sentences", filter=_done_filter(user, "sentences__"), distinct=True),
        )
        .order_by("id")
    )


def _span(start: int | None, end: int | None) -> list[int] | None:
    return [start, end] if start is not None else None


def suggestion_data(suggestion: Suggestion) -> dict[str, Any]:
    return {
        "id": suggestion.pk,
        "speaker": _span(suggestion.speaker_start, suggestion.speaker_end),
        "cue": _span(suggestion.cue_start, suggestion.cue_end),
        "claim": [suggestion.claim_start, suggestion.claim_end],
        "speaker_id": suggestion.speaker_id,
        "stance": suggestion.stance.value if suggestion.stance_id else None,
        "confidence": {
            "speaker": round(suggestion.speaker_confidence, 3),
            "cue": round(suggestion.cue_confidence, 3),
            "claim": round(suggestion.claim_confidence, 3),
            "stance": round(suggestion.stance_confidence, 3),
            "overall": round(suggestion.confidence, 3),
        },
        "model": f"{suggestion.model_name} {suggestion.model_version}",
        "stance_model": suggestion.stance_model,
    }


def annotation_data(annotation: SentenceAnnotation) -> dict[str, Any]:
    return {
        "id": annotation.pk,
        "status": annotation.status,
        "version": annotation.version,
        "annotator": annotation.annotator.get_username(),
        "updated_at": annotation.updated_at.isoformat(),
        "claims": [
            {
                "speaker": _span(claim.speaker_start, claim.speaker_end),
                "cue": _span(claim.cue_start, claim.cue_end),
                "claim": [claim.claim_start, claim.claim_end],
                "speaker_id": claim.speaker_id,
                "stance": claim.stance.value if claim.stance_id else None,
                "suggestion_id": claim.suggestion_id,
            }
            for claim in annotation.claims.all()
        ],
    }


def review_payload(document: Document, user: AbstractBaseUser) -> dict[str, Any]:
    """Everything the review page needs for one document and one annotator, in 7 queries."""
    project = document.project
    own_work = SentenceAnnotation.objects.filter(
        annotator=user, kind=SentenceAnnotation.Kind.ANNOTATION
    ).select_related("annotator").prefetch_related(
        Prefetch("claims", queryset=Annotation.objects.select_related("stance").order_by("position"))
    )
    sentences = (
        Sentence.objects.filter(document=document)
        .order_by("index")
        .prefetch_related(
            Prefetch("suggestions", queryset=Suggestion.objects.select_related("stance").order_by("position")),
            Prefetch("annotations", queryset=own_work, to_attr="own_annotations"),
        )
    )
    sentence_rows = []
    for sentence in sentences:
        own = sentence.own_annotations[0] if sentence.own_annotations else None
        sentence_rows.append(
            {
                "id": sentence.pk,
                "index": sentence.index,
                "start": sentence.start,
                "end": sentence.end,
                "suggestions": [suggestion_data(s) for s in sentence.suggestions.all()],
                "annotation": annotation_data(own) if own else None,
            }
        )
    return {
        "document": {
            "id": document.pk,
            "title": document.title,
            "text": document.text,
            "author": document.author,
            "source_url": document.source_url,
            "published": document.published.isoformat() if document.published else None,
            "target": document.effective_target,
        },
        "project": {"id": project.pk, "name": project.name},
        "labels": [
            {"value": label.value, "name": label.name, "key": label.key, "color": label.color, "retired": label.retired}
            for label in project.labels.order_by("key")
        ],
        "speakers": [{"id": s.pk, "name": s.name, "kind": s.kind} for s in document.speakers.order_by("name")],
        "sentences": sentence_rows,
    }


def export_sentences(project: Project, *, annotator: AbstractBaseUser | None = None) -> QuerySet[Sentence]:
    """Every sentence of the project with its document, suggestions and human work, for streaming.

    With `annotator`, only that person's own annotations are included (what an annotator may see).

    Iterate with `.iterator(chunk_size)`: prefetches then run once per chunk, so memory stays
    flat and the query count grows with chunks, not with rows.
    """
    annotations = (
        SentenceAnnotation.objects.select_related("annotator")
        .prefetch_related(
            Prefetch("claims", queryset=Annotation.objects.select_related("stance", "speaker").order_by("position"))
        )
        .order_by("kind", "annotator_id")
    )
    if annotator is not None:
        annotations = annotations.filter(annotator=annotator, kind=SentenceAnnotation.Kind.ANNOTATION)
    return (
        Sentence.objects.filter(document__project=project)
        .select_related("document")
        .order_by("document_id", "index")
        .prefetch_related(
            Prefetch("suggestions", queryset=Suggestion.objects.select_related("stance", "speaker").order_by("position")),
            Prefetch("annotations", queryset=annotations),
        )
    )
