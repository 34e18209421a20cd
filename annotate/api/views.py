"""REST API views: parse the request, check the role, call a service or a selector."""
from __future__ import annotations

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import selectors
from annotate.api.serializers import (
    DocumentImportSerializer,
    DocumentListSerializer,
    ProjectSerializer,
    SentenceAnnotationSerializer,
)
from annotate.exporters import WRITERS, export_project
from annotate.models import Document, Project, Sentence
from annotate.permissions import IsProjectAdmin, IsProjectMember, role_of
from annotate.services.annotations import AnnotationInvalid, StaleAnnotation, annotation_snapshot, save_sentence_annotation
from annotate.services.imports import ImportRejected, import_documents, parse_text, parse_upload


class ProjectScopedMixin:
    """Finds the project from the URL once, for the permission classes and the view."""

    project_url_kwarg = "project_pk"

    def get_permission_project(self) -> Project:
        if not hasattr(self, "_project"):
            self._project = get_object_or_404(Project, pk=self.kwargs[self.project_url_kwarg])
        return self._project


class ProjectList(generics.ListAPIView):
    serializer_class = ProjectSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return selectors.projects_for_user(self.request.user).prefetch_related("labels")


class ProjectDetail(ProjectScopedMixin, generics.RetrieveAPIView):
    serializer_class = ProjectSerializer
    permission_classes = [IsProjectMember]

    def get_object(self):
        return selectors.project_with_counts(self.get_permission_project().pk)


class DocumentListImport(ProjectScopedMixin, generics.ListAPIView):
    """GET: the project's documents with your progress. POST (project admins): import documents."""

    serializer_class = DocumentListSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_permissions(self):
        return [IsProjectAdmin()] if self.request.method == "POST" else [IsProjectMember()]

    def get_queryset(self):
        return selectors.documents_with_progress(self.get_permission_project(), self.request.user)

    @extend_schema(
        request=DocumentImportSerializer,
        responses={201: OpenApiResponse(description="Created document ids and skipped duplicates"),
                   400: OpenApiResponse(description="Rejected upload: problems with file, line and reason")},
    )
    def post(self, request, *args, **kwargs):
        serializer = DocumentImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if data.get("file"):
                upload = data["file"]
                documents = parse_upload(upload.name, upload.read())
            else:
                documents = parse_text(
                    data["text"], title=data.get("title", ""), url=data.get("url", ""),
                    author=data.get("author", ""), published=data.get("published", ""),
                )
        except ImportRejected as rejected:
            return Response(
                {"detail": str(rejected),
                 "problems": [{"source": p.source, "line": p.line, "reason": p.reason} for p in rejected.problems]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        result = import_documents(project=self.get_permission_project(), documents=documents, user=request.user)
        return Response(
            {"created": [d.pk for d in result.created], "duplicates": result.duplicates},
            status=status.HTTP_201_CREATED,
        )


class DocumentReview(APIView):
    """A document with its sentences, the machine suggestions and your own annotations."""

    permission_classes = [IsProjectMember]

    def get_permission_project(self) -> Project:
        self.document = get_object_or_404(Document.objects.select_related("project"), pk=self.kwargs["pk"])
        return self.document.project

    @extend_schema(responses={200: OpenApiResponse(description="Review payload")})
    def get(self, request, pk: int):
        return Response(selectors.review_payload(self.document, request.user))


class SentenceAnnotationSave(APIView):
    """Save your annotation of a sentence. A stale `version` gets 409 with the stored version."""

    permission_classes = [IsProjectMember]

    def get_permission_project(self) -> Project:
        self.sentence = get_object_or_404(
            Sentence.objects.select_related("document__project"), pk=self.kwargs["pk"]
        )
        return self.sentence.document.project

    @extend_schema(request=SentenceAnnotationSerializer,
                   responses={200: OpenApiResponse(description="Saved annotation"),
                              409: OpenApiResponse(description="Stale version; `current` holds the stored one")})
    def put(self, request, pk: int):
        serializer = SentenceAnnotationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        claim_serializer = serializer.fields["claims"].child
        try:
            annotation = save_sentence_annotation(
                sentence=self.sentence,
                user=request.user,
                status=data["status"],
                claims=[claim_serializer.to_claim_input(claim) for claim in data["claims"]],
                expected_version=data["version"],
            )
        except AnnotationInvalid as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        except StaleAnnotation as stale:
            return Response(
                {"detail": str(stale), "current": annotation_snapshot(stale.current)},
                status=status.HTTP_409_CONFLICT,
            )
        annotation = type(annotation).objects.select_related("annotator").prefetch_related("claims__stance").get(
            pk=annotation.pk
        )
        return Response(selectors.annotation_data(annotation))


class ProjectExport(ProjectScopedMixin, APIView):
    """Download the corpus as json, jsonl or csv. Annotators get their own work only."""

    permission_classes = [IsProjectMember]

    @extend_schema(responses={200: OpenApiResponse(description="The corpus file, streamed")})
    def get(self, request, project_pk: int, fmt: str):
        return export_response(request, self.get_permission_project(), fmt, role_of(request, self))


def export_response(request, project: Project, fmt: str, role: str | None) -> StreamingHttpResponse:
    """A streamed download, shared by the API and the UI."""
    if fmt not in WRITERS:
        raise Http404(f"Unknown export format {fmt!r}.")
    only_annotator = request.user if role == "annotator" else None
    writer = WRITERS[fmt]
    response = StreamingHttpResponse(export_project(project, fmt, annotator=only_annotator),
                                     content_type=writer.content_type)
    filename = f"claimdesk-project-{project.pk}.{writer.extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
