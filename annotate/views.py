"""Server-rendered pages. Thin: check the role, call a selector or a service, render."""
from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from markdown_it import MarkdownIt

from annotate import selectors
from annotate.api.views import export_response
from annotate.models import Document, ImportJob, LabelMeaning, Project, Role
from annotate.nlp.stance_rules import RULES_MODEL_NAME
from annotate.permissions import ROLES_AT_LEAST
from annotate.services.imports import Duplicate, ImportRejected, import_or_queue, parse_text, parse_upload
from annotate.services.jobs import runs_shown
from annotate.services.preannotation import RefreshRefused, resuggest_project
from annotate.services.stance_models import TrainingRefused, start_stance_training
from annotate.services.workflow import WorkflowError, assign_automatically, assign_documents

DOCUMENTS_PER_PAGE = 100  # on the project page

# CommonMark without raw HTML: guidelines are written by admins but still never trusted as HTML.
_markdown = MarkdownIt("commonmark", {"html": False})


def _require_role(request: HttpRequest, project: Project, minimum: str) -> str:
    role = selectors.project_role(request.user, project)
    if role not in ROLES_AT_LEAST[minimum]:
        raise PermissionDenied("You are not a member of this project with the needed role.")
    return role


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    return render(request, "annotate/project_list.html", {"projects": selectors.projects_for_user(request.user)})


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project, pk=pk)
    role = _require_role(request, project, Role.ANNOTATOR)
    # A page of documents: the whole list grew the page with the corpus (QA16: 274 KB for 400).
    page = Paginator(selectors.documents_with_progress(project, request.user, role), DOCUMENTS_PER_PAGE).get_page(
        request.GET.get("page"))
    documents = list(page.object_list)
    statuses = selectors.document_statuses(documents)
    is_reviewer = role in (Role.ADMIN, Role.REVIEWER)
    for document in documents:
        document.status = statuses[document.pk]
        if not is_reviewer and document.status != "adjudicated":
            # An annotator's own work: the team's "in progress" beside their 5/5 read as work
            # left to them (QA22).
            done, total = document.done_count, document.sentence_count
            document.status = "annotated" if total and done == total else "in_progress" if done else "unannotated"
    labels = list(project.labels.order_by("key"))
    totals = selectors.sentence_totals(project, request.user, role)
    context = {
        "project": project,
        "role": role,
        "is_admin": role == Role.ADMIN,
        "is_reviewer": is_reviewer,
        "documents": documents,
        "page": page,
        "labels": labels,
        "guidelines_html": _markdown.render(project.guidelines) if project.guidelines else "",
        "totals": totals,
    }
    if is_reviewer:
        context["agreement"] = selectors.project_agreement_summary(project, max_age=selectors.AGREEMENT_SHOWN_MAX_AGE)
        context["annotator_progress"] = selectors.annotator_progress(project)
    if role == Role.ADMIN:
        context["annotators"] = selectors.project_annotators(project)
        context["all_documents"] = project.documents.order_by("id").values_list("pk", "title")  # to assign by hand
        context["stance_models"] = runs_shown(project, lambda: project.stance_models.order_by("-version")[:5])
        context["rules_model"] = RULES_MODEL_NAME
        outcomes = selectors.stance_rule_outcomes(project, labels, count_suggestions=True)
        choices = selectors.rules_labels(labels)
        context["rules_suggest_nothing"] = not choices
        # A side the rules can take but no label means (QA15: "Supportive / Critical / Neutral"
        # had only neutral, and every claim became neutral without a word).
        context["meanings_missing"] = [LabelMeaning(m).label for m in (LabelMeaning.SUPPORT, LabelMeaning.OPPOSE)
                                       if m not in choices]
        context["stance_rules"] = [o for o in outcomes if o.suggested or o.reviewed]
        context["import_jobs"] = runs_shown(project, lambda: project.import_jobs.defer("documents")[:5])
        context["suggestion_refreshes"] = runs_shown(
            project, lambda: project.suggestion_refreshes.select_related("created_by").defer("documents")[:5])
        # The page reloads while any run goes; only a training run going refuses another (a
        # refresh of the suggestions reads the model in use afresh for each chunk).
        context["training"] = any(run.is_going for run in context["stance_models"])
        context["going"] = context["training"] or any(run.is_going for run in [*context["import_jobs"],
                                                                               *context["suggestion_refreshes"]])
    return render(request, "annotate/project_detail.html", context)


@login_required
def project_next(request: HttpRequest, pk: int) -> HttpResponse:
    """Continue where you left off: the next document with sentences you have not done."""
    project = get_object_or_404(Project, pk=pk)
    role = _require_role(request, project, Role.ANNOTATOR)
    after = request.GET.get("after", "")
    leaving = int(after) if after.isdigit() else None  # the review page says which document it leaves
    document = selectors.next_unfinished_document(project, request.user, role, after=leaving)
    if document is None:
        messages.success(request, "Nothing left to do in this project: every sentence you can open is done.")
        return redirect("annotate:project-detail", pk=project.pk)
    if document.pk == leaving:
        messages.info(request, "This is the last document with work left for you: some of its sentences are "
                               "still to do (or were skipped).")
    return redirect("annotate:document-review", pk=document.pk)


@login_required
def project_next_adjudication(request: HttpRequest, pk: int) -> HttpResponse:
    """Continue adjudicating: the next document with annotated sentences that have no gold yet."""
    project = get_object_or_404(Project, pk=pk)
    _require_role(request, project, Role.REVIEWER)
    after = request.GET.get("after", "")
    leaving = int(after) if after.isdigit() else None
    document = selectors.next_document_to_adjudicate(project, after=leaving)
    if document is None:
        messages.success(request, "Nothing waits for adjudication: every annotated sentence has its gold version.")
        return redirect("annotate:project-detail", pk=project.pk)
    if document.pk == leaving:  # QA14: it reloaded without a word
        messages.info(request, "This is the only document waiting for adjudication: some of its annotated sentences "
                               "have no gold version yet.")
    return redirect("annotate:document-adjudicate", pk=document.pk)


def posted_from_project_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A form of the project page takes POST only. Anything else goes back to the page and says
    why: the usual way here is a form sent after the session expired, whose login then brings
    the browser back with GET, where a bare 405 showed a blank error page (QA16)."""
    @functools.wraps(view)
    def wrapped(request: HttpRequest, pk: int, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            messages.warning(request, "Nothing was done: the form was not sent (if you had to log in again, "
                                      "fill it in once more).")
            return redirect("annotate:project-detail", pk=pk)
        return view(request, pk, *args, **kwargs)
    return wrapped


@login_required
@posted_from_project_page
def project_assign(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project, pk=pk)
    _require_role(request, project, Role.ADMIN)
    try:
        if request.POST.get("auto"):
            raw = request.POST.get("per_document", "").strip()
            if raw and not raw.isdigit():
                messages.error(request, f"Not assigned: annotators per document must be a whole number, not {raw[:20]!r}.")
                return redirect("annotate:project-detail", pk=project.pk)
            per_document = int(raw) if raw else None  # None: the project's own number
            created = assign_automatically(project=project, per_document=per_document, by=request.user)
        else:
            documents = list(Document.objects.filter(project=project, pk__in=request.POST.getlist("documents")))
            annotators = list(selectors.project_annotators(project).filter(pk__in=request.POST.getlist("annotators")))
            if not documents or not annotators:
                messages.error(request, "Choose at least one document and one annotator.")
                return redirect("annotate:project-detail", pk=project.pk)
            created = assign_documents(project=project, documents=documents, annotators=annotators, by=request.user)
    except (WorkflowError, ValueError) as error:
        messages.error(request, f"Not assigned: {error}")
        return redirect("annotate:project-detail", pk=project.pk)
    messages.success(request, f"{len(created)} new assignment(s).")
    return redirect("annotate:project-detail", pk=project.pk)


@login_required
@posted_from_project_page
def stance_model_train(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project, pk=pk)
    _require_role(request, project, Role.ADMIN)
    try:
        record = start_stance_training(project=project, by=request.user)
    except TrainingRefused as refused:
        messages.error(request, f"Not started: {refused}")
    else:
        messages.success(request, f"Stance model v{record.version} queued for training.")
    return redirect("annotate:project-detail", pk=project.pk)


@login_required
@posted_from_project_page
def suggestions_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project, pk=pk)
    _require_role(request, project, Role.ADMIN)
    try:
        refresh = resuggest_project(project, by=request.user)
    except RefreshRefused as refused:
        messages.error(request, f"Not started: {refused}.")
    else:
        messages.success(request, f"The suggestions of {refresh.total} document(s) are being re-made; saved work "
                                  "keeps what it has.")
    return redirect("annotate:project-detail", pk=project.pk)


@login_required
@posted_from_project_page
def document_import(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project, pk=pk)
    _require_role(request, project, Role.ADMIN)
    try:
        upload = request.FILES.get("file")
        if upload is not None and request.POST.get("text", "").strip():
            # Importing only one of them would drop the other without a word.
            messages.error(request, "Choose a file or paste a text, not both: nothing was imported.")
            return redirect("annotate:project-detail", pk=project.pk)
        if upload is not None:
            documents = parse_upload(upload.name, upload.read(), title=request.POST.get("title", ""),
                                     target=request.POST.get("target", ""))
        elif request.POST.get("text", "").strip():
            documents = parse_text(request.POST["text"], title=request.POST.get("title", ""),
                                   target=request.POST.get("target", ""))
        else:
            messages.error(request, "Choose a file or paste a text to import.")
            return redirect("annotate:project-detail", pk=project.pk)
    except ImportRejected as rejected:
        shown = 20  # a page of messages, not a file's worth
        for problem in rejected.problems[:shown]:
            messages.error(request, f"Rejected, nothing stored — {problem}")
        if (more := len(rejected.problems) - shown) > 0:  # never drop the rest without a word
            messages.error(request, f"… and {more} more problem{'s' if more > 1 else ''} (the API and the "
                                    "import_documents command list them all)")
        return redirect("annotate:project-detail", pk=project.pk)
    source = upload.name if upload is not None else "pasted text"
    result = import_or_queue(project=project, documents=documents, source=source, user=request.user)
    if isinstance(result, ImportJob):
        if result.status == ImportJob.Status.DONE:
            messages.success(request, f"{source}: {result.message}")
        else:
            messages.success(request, f"Importing {result.total} documents from {source} in the background; progress is shown below.")
        return redirect("annotate:project-detail", pk=project.pk)
    if result.created:
        messages.success(request, f"Imported {len(result.created)} document(s) and pre-annotated them.")
    if result.duplicates:
        messages.warning(request, _skipped_duplicates(result.duplicates))
    return redirect("annotate:project-detail", pk=project.pk)


def _skipped_duplicates(duplicates: list[Duplicate], shown: int = 5) -> SafeString:
    """Which inputs were skipped, by line (titles repeat), and what each duplicates: a stored
    document, linked, or an earlier line. HTML, escaped by format_html; the page shows it as is."""

    def where(line: int | None, position: int | None) -> str:
        return f"line {line}" if line is not None else f"text {position}"

    parts = [
        format_html('{}“{}” (<a href="{}">document {}</a>)', f"line {d.line} " if d.line is not None else "",
                    d.title, reverse("annotate:document-review", args=[d.document_id]), d.document_id)
        if d.document_id is not None else
        format_html("{} repeats {}", where(d.line, d.position), where(d.repeats_line, d.repeats))
        for d in duplicates[:shown]
    ]
    more = f" and {len(duplicates) - shown} more" if len(duplicates) > shown else ""
    return format_html("Skipped {} text(s) already in the project or repeated in the upload: {}{}",
                       len(duplicates), format_html_join(", ", "{}", ((part,) for part in parts)), more)


def _review_page(request: HttpRequest, pk: int, *, adjudicate: bool) -> HttpResponse:
    document = get_object_or_404(Document.objects.select_related("project"), pk=pk)
    role = _require_role(request, document.project, Role.REVIEWER if adjudicate else Role.ANNOTATOR)
    position = selectors.document_position(document, request.user, role)
    if not position.visible:
        raise PermissionDenied("This document is not assigned to you.")
    payload = selectors.review_payload(document, request.user, adjudicate=adjudicate)
    # Whose page this is: its writes carry the id (annotate.middleware), so changes kept while
    # logged out are never saved as someone else's.
    payload["user"] = {"id": request.user.pk, "username": request.user.get_username()}
    payload["urls"] = {
        "annotation": reverse("api-sentence-adjudication" if adjudicate else "api-sentence-annotation", kwargs={"pk": 0}),
        "comments": reverse("api-sentence-comments", kwargs={"pk": 0}),
        "history": reverse("api-sentence-history", kwargs={"pk": 0}),
        "resolve": reverse("api-comment-resolve", kwargs={"pk": 0}),
        "speakers": reverse("api-document-speakers", kwargs={"pk": document.pk})
        + ("?mode=adjudicate" if adjudicate else ""),
        "stance_rules": reverse("api-project-stance-rules", kwargs={"project_pk": document.project_id}),
        "next": reverse("annotate:project-next-adjudication" if adjudicate else "annotate:project-next",
                        kwargs={"pk": document.project_id}) + f"?after={document.pk}",
    }
    if role in (Role.ADMIN, Role.REVIEWER):  # curating the document's canonical speakers
        payload["urls"]["speaker"] = reverse("api-speaker", kwargs={"pk": 0})
        # The speakers dialog curates all of them, those annotators typed included, even on the
        # blind annotating page, whose picker lists only what its user may see.
        payload["urls"]["speakers_all"] = reverse("api-document-speakers", kwargs={"pk": document.pk}) + "?mode=adjudicate"
        payload["urls"]["speaker_merge"] = reverse("api-speaker-merge", kwargs={"pk": 0})
    page = "annotate:document-adjudicate" if adjudicate else "annotate:document-review"
    return render(
        request,
        "annotate/document_review.html",
        {
            "document": document,
            "project": document.project,
            "payload": payload,
            "adjudicate": adjudicate,
            "can_adjudicate": role in (Role.ADMIN, Role.REVIEWER),
            "page": page,
            "previous_id": position.previous_id,
            "next_id": position.next_id,
            "guidelines_html": _markdown.render(document.project.guidelines) if document.project.guidelines else "",
        },
    )


# The page carries its sentences' state: a copy from the back/forward or HTTP cache would show
# saved work as untouched and turn the next change into a false conflict.
@never_cache
@login_required
@ensure_csrf_cookie  # review.js reads the token from the cookie
def document_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, pk, adjudicate=False)


@never_cache
@login_required
@ensure_csrf_cookie  # review.js reads the token from the cookie
def document_adjudicate(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, pk, adjudicate=True)


@login_required
def project_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    project = get_object_or_404(Project, pk=pk)
    role = _require_role(request, project, Role.ANNOTATOR)
    return export_response(request, project, fmt, role)


def _size(limit: int) -> str:
    """A byte count as the README and the settings give it: "20 MB", or "200,000 bytes" under a
    megabyte (QA18: a small limit read "0 MB")."""
    megabytes = limit / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{limit:,} bytes"


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's own 400 page says nothing of why. The commonest reason is innocent and worth
    saying: a body over the upload limit (a huge pasted text, QA16); that one is a 413."""
    if isinstance(exception, RequestDataTooBig):
        message = (f"The request is larger than the upload limit of {_size(settings.CLAIMDESK_MAX_UPLOAD_BYTES)}. "
                   "Split it into several "
                   f"requests or files; a single text may have at most {settings.CLAIMDESK_MAX_DOCUMENT_CHARS:,} "
                   "characters.")
        status = 413
    else:
        message, status = "The request could not be read.", 400
    return _refused(request, message, status)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's own CSRF page is bare and speaks of DEBUG. The usual way here is innocent: the
    session changed in another tab (a log out, a log in) after this page was loaded (QA16)."""
    message = ("The form was not sent: your session changed since this page was loaded (you logged out or in, "
               "perhaps in another tab). Nothing was done; reload the page and fill it in again.")
    return _refused(request, message, 403, title="Form not sent")


def _refused(request: HttpRequest, message: str, status: int, title: str = "") -> HttpResponse:
    """A request refused before any view ran: JSON as the API answers, else the app's own page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "400.html", {"message": message, "title": title}, status=status)
