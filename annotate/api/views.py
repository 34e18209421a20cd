"""REST API views: parse the request, check the role, call a service or a selector."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import exceptions as django_exceptions
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate import selectors
from annotate.api.filters import DocumentFilter, StrictOrderingFilter
from annotate.api.parsers import JSONParser
from annotate.api.serializers import (
    AnnotationDeleteSerializer,
    AssignmentSerializer,
    CommentSerializer,
    DocumentImportedSerializer,
    DocumentImportSerializer,
    DocumentListSerializer,
    ProjectSerializer,
    SentenceAnnotationSerializer,
    SpeakerMergeSerializer,
    SpeakerRenameSerializer,
)
from annotate.exporters import WRITERS, export_project
from annotate.models import (
    Assignment,
    Comment,
    Document,
    ImportJob,
    Project,
    Role,
    Sentence,
    SentenceAnnotation,
    Speaker,
    StanceModel,
    SuggestionRefresh,
)
from annotate.nlp.stance_rules import RULES_MODEL_NAME
from annotate.permissions import CanOpenDocument, IsProjectAdmin, IsProjectMember, IsProjectReviewer, role_of
from annotate.services.annotations import (
    AnnotationInvalid,
    NothingToWithdraw,
    StaleAnnotation,
    annotation_snapshot,
    delete_sentence_annotation,
    save_sentence_annotation,
)
from annotate.services.imports import ImportRejected, duplicate_record, import_or_queue, parse_text, parse_upload
from annotate.services.jobs import runs_shown
from annotate.services.preannotation import RefreshRefused, resuggest_project
from annotate.services.speakers import (
    SpeakerChangeInvalid,
    SpeakerNameTaken,
    StaleSpeaker,
    merge_speakers,
    rename_speaker,
)
from annotate.services.stance_models import TrainingRefused, start_stance_training
from annotate.services.workflow import (
    WorkflowError,
    assign_automatically,
    assign_documents,
    comment_add,
    comment_resolve,
)

# Refusals most endpoints share, for the schema.
FORBIDDEN = {403: OpenApiResponse(description="Not signed in, or without the role this needs in the project")}
INVALID = {400: OpenApiResponse(description="Invalid input; `detail` or field errors say why")}


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
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Project.objects.none()
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
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = DocumentFilter
    ordering_fields = ["id", "title", "published", "created_at"]
    case_insensitive_fields = ["title"]

    def get_permissions(self):
        return [IsProjectAdmin()] if self.request.method == "POST" else [IsProjectMember()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no project
            return Document.objects.none()
        return selectors.documents_with_progress(
            self.get_permission_project(), self.request.user, role_of(self.request, self)
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        statuses = selectors.document_statuses(page)
        for document in page:
            document.status = statuses[document.pk]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=DocumentImportSerializer,
        responses={201: OpenApiResponse(DocumentImportedSerializer,
                                        description="The documents created, and the inputs skipped as duplicates: "
                                                    "each by position and line, with the stored document it "
                                                    "duplicates or the earlier input it repeats"),
                   202: OpenApiResponse(description="A large upload, checked and queued: the import job with its "
                                                    "progress (GET /api/projects/<id>/imports/)"),
                   400: OpenApiResponse(description="Rejected upload: problems with file, line and reason"),
                   413: OpenApiResponse(description="A body or a file over CLAIMDESK_MAX_UPLOAD_BYTES, saying the limit"),
                   **FORBIDDEN},
    )
    def post(self, request, *args, **kwargs):
        serializer = DocumentImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if data.get("file"):
                upload = data["file"]
                documents = parse_upload(upload.name, upload.read(), title=data.get("title", ""),
                                         target=data.get("target", ""))
            else:
                documents = parse_text(
                    data["text"], title=data.get("title", ""), url=data.get("url", ""),
                    author=data.get("author", ""), published=data.get("published", ""),
                    target=data.get("target", ""), meta=data.get("meta", {}),
                )
        except ImportRejected as rejected:
            return Response(
                {"detail": str(rejected),
                 "problems": [{"source": p.source, "line": p.line, "reason": p.reason} for p in rejected.problems]},
                # QA17: a file over the limit got 400, a body over it 413; both are too large.
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if rejected.too_large else status.HTTP_400_BAD_REQUEST,
            )
        source = data["file"].name if data.get("file") else "pasted text"
        result = import_or_queue(project=self.get_permission_project(), documents=documents, source=source, user=request.user)
        if isinstance(result, ImportJob):
            return Response(import_job_data(result), status=status.HTTP_202_ACCEPTED)
        return Response(
            DocumentImportedSerializer({"created": [d.pk for d in result.created],
                                        "duplicates": [duplicate_record(d) for d in result.duplicates]}).data,
            status=status.HTTP_201_CREATED,
        )


class DocumentScopedMixin:
    """Finds the document (and so the project) from the URL once, for permissions and the view."""

    def get_permission_document(self) -> Document:
        if not hasattr(self, "_document"):
            self._document = get_object_or_404(Document.objects.select_related("project"), pk=self.kwargs["pk"])
        return self._document

    def get_permission_project(self) -> Project:
        return self.get_permission_document().project


class SentenceScopedMixin(DocumentScopedMixin):
    def get_sentence(self) -> Sentence:
        if not hasattr(self, "_sentence"):
            self._sentence = get_object_or_404(Sentence.objects.select_related("document__project"), pk=self.kwargs["pk"])
        return self._sentence

    def get_permission_document(self) -> Document:
        return self.get_sentence().document


# `?mode=` of the review page's reads: your own work, or the adjudication page (reviewers).
REVIEW_MODE = OpenApiParameter("mode", str, enum=["annotate", "adjudicate"],
                               description="your own page (default), or the adjudication page with every annotator's work and the gold version (reviewers)")


class ReviewReadMixin(DocumentScopedMixin):
    permission_classes = [CanOpenDocument]

    def is_adjudicating(self) -> bool:
        """Whether `?mode=adjudicate` was asked for; refused to annotators."""
        mode = self.request.query_params.get("mode", "annotate")
        if mode not in ("annotate", "adjudicate"):  # a typo ("adjudication") served the own page
            raise ValidationError({"mode": [f"must be 'annotate' or 'adjudicate', not {mode[:40]!r}"]})
        adjudicate = mode == "adjudicate"
        if adjudicate and role_of(self.request, self) not in (Role.ADMIN, Role.REVIEWER):
            raise PermissionDenied("Only reviewers adjudicate.")
        return adjudicate


class DocumentReview(ReviewReadMixin, APIView):
    """A document with its sentences and suggestions; your own work, or with `?mode=adjudicate`
    (reviewers) every annotator's work and the gold version."""

    @extend_schema(parameters=[REVIEW_MODE], responses={200: OpenApiResponse(description="Review payload"), **FORBIDDEN})
    def get(self, request, pk: int):
        document = self.get_permission_document()
        return Response(selectors.review_payload(document, request.user, adjudicate=self.is_adjudicating()))


class DocumentSpeakers(ReviewReadMixin, APIView):
    """The document's canonical speakers as its review page lists them: the speaker picker
    fetches them afresh without the whole document."""

    @extend_schema(parameters=[REVIEW_MODE], responses={200: OpenApiResponse(description="[{id, name, kind}] by name"), **FORBIDDEN})
    def get(self, request, pk: int):
        document = self.get_permission_document()
        return Response(selectors.review_speakers(document, request.user, adjudicate=self.is_adjudicating()))


STALE_DESCRIPTION = ("Stale version: `current` holds the stored one (null if withdrawn) with the `annotator` who "
                     "saved it, the same user on another page or someone else, and the `stance_target` its stances "
                     "were given toward")


def _stale_response(stale: StaleAnnotation) -> Response:
    """409 with the version stored meanwhile, which the page shows beside the user's own, and who
    saved it (the same user on another page, or someone else: the page says which)."""
    current = annotation_snapshot(stale.current)
    if current is not None:
        current["annotator"] = stale.current.annotator.get_username()
        current["stance_target"] = stale.current.stance_target  # what its stances were given toward
    return Response({"detail": str(stale), "current": current}, status=status.HTTP_409_CONFLICT)


def _save_response(request, sentence: Sentence, kind: str) -> Response:
    serializer = SentenceAnnotationSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    claim_serializer = serializer.fields["claims"].child
    try:
        annotation = save_sentence_annotation(
            sentence=sentence,
            user=request.user,
            status=data["status"],
            claims=[claim_serializer.to_claim_input(claim) for claim in data["claims"]],
            expected_version=data["version"],
            kind=kind,
        )
    except AnnotationInvalid as error:
        return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
    except StaleAnnotation as stale:
        return _stale_response(stale)
    annotation = SentenceAnnotation.objects.select_related("annotator").prefetch_related("claims__stance").get(
        pk=annotation.pk
    )
    return Response(selectors.annotation_data(annotation))


def _delete_response(request, sentence: Sentence, kind: str) -> Response:
    serializer = AnnotationDeleteSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    try:
        delete_sentence_annotation(sentence=sentence, user=request.user, kind=kind,
                                   expected_version=serializer.validated_data["version"])
    except StaleAnnotation as stale:
        return _stale_response(stale)
    except NothingToWithdraw as nothing:
        return Response({"detail": f"Nothing to withdraw: {nothing}."}, status=status.HTTP_404_NOT_FOUND)
    return Response(status=status.HTTP_204_NO_CONTENT)


class SentenceAnnotationSave(SentenceScopedMixin, APIView):
    """Save your annotation of a sentence (PUT), or withdraw it (DELETE `?version=N`) so the
    sentence is "suggested" again. A stale `version` gets 409 with the stored version."""

    permission_classes = [CanOpenDocument]

    @extend_schema(request=SentenceAnnotationSerializer,
                   responses={200: OpenApiResponse(description="Saved annotation"), **INVALID, **FORBIDDEN,
                              409: OpenApiResponse(description=STALE_DESCRIPTION)})
    def put(self, request, pk: int):
        return _save_response(request, self.get_sentence(), SentenceAnnotation.Kind.ANNOTATION)

    @extend_schema(parameters=[AnnotationDeleteSerializer],
                   responses={204: OpenApiResponse(description="Withdrawn"), **INVALID, **FORBIDDEN,
                              404: OpenApiResponse(description="No such work was ever saved on the sentence"),
                              409: OpenApiResponse(description=STALE_DESCRIPTION)})
    def delete(self, request, pk: int):
        return _delete_response(request, self.get_sentence(), SentenceAnnotation.Kind.ANNOTATION)


class SentenceAdjudicationSave(SentenceScopedMixin, APIView):
    """Reviewers: save the gold version of a sentence, or withdraw it (same body, query and
    409 rule as annotations)."""

    permission_classes = [IsProjectReviewer]

    @extend_schema(request=SentenceAnnotationSerializer,
                   responses={200: OpenApiResponse(description="Saved gold annotation"), **INVALID, **FORBIDDEN,
                              409: OpenApiResponse(description=STALE_DESCRIPTION)})
    def put(self, request, pk: int):
        return _save_response(request, self.get_sentence(), SentenceAnnotation.Kind.ADJUDICATION)

    @extend_schema(parameters=[AnnotationDeleteSerializer],
                   responses={204: OpenApiResponse(description="Withdrawn"), **INVALID, **FORBIDDEN,
                              404: OpenApiResponse(description="No such work was ever saved on the sentence"),
                              409: OpenApiResponse(description=STALE_DESCRIPTION)})
    def delete(self, request, pk: int):
        return _delete_response(request, self.get_sentence(), SentenceAnnotation.Kind.ADJUDICATION)


class SentenceComments(SentenceScopedMixin, APIView):
    """GET the sentence's comments (annotators: their own); POST {"text"} to flag it for the reviewer."""

    permission_classes = [CanOpenDocument]

    @extend_schema(responses={200: OpenApiResponse(description="The sentence's comments")})
    def get(self, request, pk: int):
        comments = Comment.objects.filter(sentence=self.get_sentence()).select_related("author")
        if role_of(request, self) not in (Role.ADMIN, Role.REVIEWER):
            comments = comments.filter(author=request.user)
        return Response([selectors.comment_data(c) for c in comments])

    @extend_schema(request=CommentSerializer, responses={201: OpenApiResponse(description="The new comment")})
    def post(self, request, pk: int):
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            comment = comment_add(sentence=self.get_sentence(), author=request.user, text=serializer.validated_data["text"])
        except WorkflowError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(selectors.comment_data(comment), status=status.HTTP_201_CREATED)


class CommentResolve(APIView):
    """Reviewers: mark a comment resolved."""

    permission_classes = [IsProjectReviewer]

    def get_permission_project(self) -> Project:
        self.comment = get_object_or_404(Comment.objects.select_related("sentence__document__project", "author"),
                                         pk=self.kwargs["pk"])
        return self.comment.sentence.document.project

    @extend_schema(request=None, responses={200: OpenApiResponse(description="The resolved comment")})
    def post(self, request, pk: int):
        return Response(selectors.comment_data(comment_resolve(comment=self.comment, by=request.user)))


class SpeakerScopedMixin:
    """Finds the speaker (and so its document's project) from the URL once."""

    def get_permission_project(self) -> Project:
        if not hasattr(self, "speaker"):
            self.speaker = get_object_or_404(Speaker.objects.select_related("document__project"), pk=self.kwargs["pk"])
        return self.speaker.document.project


def _speaker_change(change) -> Response:
    """Run a rename or merge; the reply carries the document's speakers as they now are."""
    try:
        speaker = change()
    except SpeakerNameTaken as taken:
        return Response({"detail": str(taken), "existing": taken.existing.pk}, status=status.HTTP_409_CONFLICT)
    except StaleSpeaker as stale:
        return Response({"detail": str(stale), "current": selectors.speaker_data(stale.current),
                         "speakers": selectors.document_speakers(stale.current.document)},
                        status=status.HTTP_409_CONFLICT)
    except SpeakerChangeInvalid as error:
        return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
    return Response({"speaker": selectors.speaker_data(speaker),
                     "speakers": selectors.document_speakers(speaker.document)})


class SpeakerRename(SpeakerScopedMixin, APIView):
    """Reviewers: rename a document's canonical speaker or change its kind. A name another
    speaker of the document has is refused with 409 and that speaker's id (merge instead)."""

    permission_classes = [IsProjectReviewer]

    @extend_schema(request=SpeakerRenameSerializer,
                   responses={200: OpenApiResponse(description="The speaker and the document's speakers"),
                              409: OpenApiResponse(description="The name is taken (`existing`: that speaker's id), "
                                                               "or someone renamed it meanwhile (`current`)")})
    def patch(self, request, pk: int):
        serializer = SpeakerRenameSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _speaker_change(lambda: rename_speaker(self.speaker, by=request.user, **serializer.validated_data))


class SpeakerMerge(SpeakerScopedMixin, APIView):
    """Reviewers: merge this speaker into another of the same document; everyone's claims
    and the suggestions that pointed to it then point to that one."""

    permission_classes = [IsProjectReviewer]

    @extend_schema(request=SpeakerMergeSerializer,
                   responses={200: OpenApiResponse(description="The speaker merged into and the document's speakers")})
    def post(self, request, pk: int):
        serializer = SpeakerMergeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        into = Speaker.objects.filter(pk=serializer.validated_data["into"]).first()
        if into is None:
            return Response({"detail": "the speaker to merge into does not exist"}, status=status.HTTP_400_BAD_REQUEST)
        return _speaker_change(lambda: merge_speakers(self.speaker, into=into, by=request.user))


class SentenceHistory(SentenceScopedMixin, APIView):
    """Every change to the sentence's labels and comments, oldest first (annotators: their own)."""

    permission_classes = [CanOpenDocument]

    @extend_schema(responses={200: OpenApiResponse(description="The sentence's history, oldest first")})
    def get(self, request, pk: int):
        return Response(selectors.sentence_history(self.get_sentence(), request.user, role_of(request, self)))


class ProjectAssignments(ProjectScopedMixin, APIView):
    """GET who has which document. POST (admins): {"documents": [ids], "annotators": [usernames]} or
    {"auto": true, "per_document": N} for balanced automatic assignment."""

    def get_permissions(self):
        return [IsProjectAdmin()] if self.request.method == "POST" else [IsProjectReviewer()]

    @extend_schema(responses={200: OpenApiResponse(description="Who has which document")})
    def get(self, request, project_pk: int):
        rows = Assignment.objects.filter(document__project=self.get_permission_project()).select_related("annotator")
        return Response([{"document": a.document_id, "annotator": a.annotator.get_username()} for a in rows])

    @extend_schema(request=AssignmentSerializer,
                   responses={201: OpenApiResponse(description="How many assignments were created")})
    def post(self, request, project_pk: int):
        project = self.get_permission_project()
        serializer = AssignmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if data.get("auto"):
                created = assign_automatically(project=project, per_document=data.get("per_document"), by=request.user)
            else:
                documents = list(Document.objects.filter(project=project, pk__in=data.get("documents", [])))
                annotators = list(get_user_model().objects.filter(username__in=data.get("annotators", [])))
                # Say which (QA19: "unknown document id or username" left the caller guessing).
                unknown_documents = sorted(set(data.get("documents", [])) - {d.pk for d in documents})
                unknown_people = sorted(set(data.get("annotators", [])) - {a.get_username() for a in annotators})
                if unknown_documents or unknown_people:
                    problems = {}
                    if unknown_documents:
                        problems["documents"] = [f"no document of this project has the id {pk}" for pk in unknown_documents]
                    if unknown_people:
                        problems["annotators"] = [f"no user is named {name!r}" for name in unknown_people]
                    return Response(problems, status=status.HTTP_400_BAD_REQUEST)
                created = assign_documents(project=project, documents=documents, annotators=annotators, by=request.user)
        except WorkflowError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"created": len(created)}, status=status.HTTP_201_CREATED)


class ProjectAgreement(ProjectScopedMixin, APIView):
    """Inter-annotator agreement and human-vs-machine figures (reviewers and admins)."""

    permission_classes = [IsProjectReviewer]

    @extend_schema(responses={200: OpenApiResponse(description="Agreement figures; each is {value, n, reason}")})
    def get(self, request, project_pk: int):
        return Response(selectors.project_agreement_summary(self.get_permission_project(),
                                                            max_age=selectors.AGREEMENT_SHOWN_MAX_AGE))


class ProjectStanceRules(ProjectScopedMixin, APIView):
    """The stance rules: what each means and suggests, and how it has fared in the project.
    Annotators of a blind project get what the rules mean only (the record is others' work)."""

    permission_classes = [IsProjectMember]

    @extend_schema(responses={200: OpenApiResponse(
        description="By rule: description, label, label_name; and, where the caller may see them, "
                    "suggested, reviewed, kept, shipped_confidence, confidence")})
    def get(self, request, project_pk: int):
        project = self.get_permission_project()
        with_record = selectors.sees_rule_records(project, role_of(request, self))  # the role the permission read
        outcomes = selectors.stance_rule_outcomes(project, count_suggestions=with_record, with_record=with_record)
        return Response({"rules_model": RULES_MODEL_NAME,
                         "rules": selectors.stance_rules_data(outcomes, with_record=with_record)})


class ProjectExport(ProjectScopedMixin, APIView):
    """Download the corpus as json, jsonl, csv or attributions (reviewed spans in the format
    `train_attribution` reads). Annotators get their own work only."""

    permission_classes = [IsProjectMember]

    @extend_schema(responses={200: OpenApiResponse(description="The corpus file, streamed"),
                              403: OpenApiResponse(description="Not a member, or an annotator asking for gold"),
                              400: OpenApiResponse(description="Unknown scope"),
                              404: OpenApiResponse(description="Unknown format")})
    @extend_schema(parameters=[OpenApiParameter("scope", str, enum=["all", "gold"],
                                                description="all annotators' labels (default) or gold only")])
    def get(self, request, project_pk: int, fmt: str):
        try:
            return export_response(request, self.get_permission_project(), fmt, role_of(request, self))
        except django_exceptions.BadRequest as error:
            raise ValidationError({"scope": [str(error)]}) from None


def export_response(request, project: Project, fmt: str, role: str | None) -> StreamingHttpResponse:
    """A streamed download, shared by the API and the UI. `?scope=gold` writes adjudicated labels only."""
    if fmt not in WRITERS:
        raise Http404(f"Unknown export format {fmt!r}.")
    scope = request.GET.get("scope", "all")
    if scope not in ("all", "gold"):
        raise django_exceptions.BadRequest(f"scope must be 'all' or 'gold', not {scope[:20]!r}")
    only_annotator = request.user if role == Role.ANNOTATOR else None
    if only_annotator is not None and scope == "gold":
        # Gold is the reviewers' decision over everyone's work, which annotators do not see.
        # Django's exception, not DRF's: the project page's download link comes through here too.
        raise django_exceptions.PermissionDenied("Annotators export their own work only; gold is for reviewers and admins.")
    writer = WRITERS[fmt]
    chunks = export_project(project, fmt, annotator=only_annotator, gold_only=scope == "gold")
    response = StreamingHttpResponse(chunks, content_type=writer.content_type)
    filename = f"claimdesk-project-{project.pk}{'-gold' if scope == 'gold' else ''}.{writer.extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ProjectStanceModels(ProjectScopedMixin, APIView):
    """GET the project's stance models with their training progress; POST (admins) starts a training run."""

    def get_permissions(self):
        return [IsProjectAdmin()] if self.request.method == "POST" else [IsProjectReviewer()]

    @extend_schema(responses={200: OpenApiResponse(description="The project's stance models, newest first")})
    def get(self, request, project_pk: int):
        project = self.get_permission_project()
        models = runs_shown(project, lambda: StanceModel.objects.filter(project=project).order_by("-version"))
        return Response([stance_model_data(m) for m in models])

    @extend_schema(request=None, responses={202: OpenApiResponse(description="The queued training run"),
                                            409: OpenApiResponse(description="A run is already going")})
    def post(self, request, project_pk: int):
        try:
            record = start_stance_training(project=self.get_permission_project(), by=request.user)
        except TrainingRefused as refused:
            return Response({"detail": str(refused)}, status=status.HTTP_409_CONFLICT)
        record.refresh_from_db()
        return Response(stance_model_data(record), status=status.HTTP_202_ACCEPTED)


def stance_model_data(model: StanceModel) -> dict:
    return {
        "version": model.version, "name": model.name, "status": model.status, "progress": model.progress,
        "message": model.message, "metrics": model.metrics, "is_active": model.is_active,
        "created_at": model.created_at.isoformat(), "finished_at": model.finished_at.isoformat() if model.finished_at else None,
    }


class ProjectSuggestionRefreshes(ProjectScopedMixin, APIView):
    """Admins: GET the project's re-makings of suggestions (after a stance target changed, a stance
    model was activated, or asked for) with their progress, newest first; POST re-makes those of
    all its documents."""

    permission_classes = [IsProjectAdmin]

    @extend_schema(responses={200: OpenApiResponse(description="Refreshes of the suggestions, newest first")})
    def get(self, request, project_pk: int):
        project = self.get_permission_project()
        refreshes = runs_shown(project, lambda: SuggestionRefresh.objects.filter(project=project).defer("documents"))
        return Response([suggestion_refresh_data(refresh) for refresh in refreshes])

    @extend_schema(request=None, responses={202: OpenApiResponse(description="The queued refresh"),
                                            409: OpenApiResponse(description="One is already going, or no documents")})
    def post(self, request, project_pk: int):
        try:
            refresh = resuggest_project(self.get_permission_project(), by=request.user)
        except RefreshRefused as refused:
            return Response({"detail": str(refused)}, status=status.HTTP_409_CONFLICT)
        refresh.refresh_from_db()
        return Response(suggestion_refresh_data(refresh), status=status.HTTP_202_ACCEPTED)


def suggestion_refresh_data(refresh: SuggestionRefresh) -> dict:
    return {
        "refresh": refresh.pk, "reason": refresh.reason, "status": refresh.status, "total": refresh.total,
        "processed": refresh.processed, "taken_over": refresh.taken_over, "attempt": refresh.attempt,
        "message": refresh.message,
        "created_at": refresh.created_at.isoformat(),
        "finished_at": refresh.finished_at.isoformat() if refresh.finished_at else None,
    }


class ProjectImportJobs(ProjectScopedMixin, APIView):
    """Admins: the project's background imports with their progress, newest first."""

    permission_classes = [IsProjectAdmin]

    @extend_schema(responses={200: OpenApiResponse(description="Background imports, newest first")})
    def get(self, request, project_pk: int):
        project = self.get_permission_project()
        jobs = runs_shown(project, lambda: ImportJob.objects.filter(project=project).defer("documents"))
        return Response([import_job_data(job) for job in jobs])


def import_job_data(job: ImportJob) -> dict:
    return {
        "job": job.pk, "source": job.source, "status": job.status, "total": job.total, "processed": job.processed,
        "created": job.created_count, "duplicates": job.duplicate_count, "skipped": job.skipped, "message": job.message,
        "created_at": job.created_at.isoformat(), "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }
