"""Server-rendered pages: roles, import form messages, adjudication and training pages."""
from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotate.models import Assignment, Document, StanceModel
from annotate.services.projects import membership_set, project_create


@pytest.fixture
def login(client):
    def as_(user):
        client.force_login(user)
        return client

    return as_


def test_anonymous_users_are_sent_to_log_in(client, document):
    response = client.get(f"/projects/{document.project_id}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_outsiders_are_refused(login, people, document):
    client = login(people["outsider"])
    refused = client.get(f"/projects/{document.project_id}/")
    assert refused.status_code == 403
    # A page of the app that says why and where to go, not a bare "403 Forbidden".
    assert "Not allowed" in refused.content.decode() and 'href="/"' in refused.content.decode()
    assert client.get(f"/documents/{document.pk}/").status_code == 403
    missing = client.get("/documents/999999/")
    assert missing.status_code == 404 and "Your projects" in missing.content.decode()


def test_project_page_by_role(login, people, document):
    annotator_page = login(people["annotator"]).get(f"/projects/{document.project_id}/").content.decode()
    assert "Sample" in annotator_page and "Import documents" not in annotator_page and "Adjudicate" not in annotator_page
    admin_page = login(people["admin"]).get(f"/projects/{document.project_id}/").content.decode()
    assert "Import documents" in admin_page and "Assign all documents automatically" in admin_page
    assert f'href="/admin/annotate/project/{document.project_id}/change/" id="manage-project"' in admin_page
    assert "manage-project" not in annotator_page
    assert "rules-suggest-nothing" not in admin_page
    # ... and the link opens for the project's admin, who is no Django staff (QA11)
    assert not people["admin"].is_staff
    assert login(people["admin"]).get(f"/admin/annotate/project/{document.project_id}/change/").status_code == 200
    assert "Agreement" in admin_page and "not enough data" in admin_page
    assert "<strong>Be careful.</strong>" in admin_page, "guidelines are rendered from Markdown"
    from annotate.services.annotations import save_sentence_annotation

    save_sentence_annotation(sentence=document.sentences.first(), user=people["annotator"], status="no_claim", claims=[],
                             expected_version=None)
    assert ">In progress<" in login(people["annotator"]).get(f"/projects/{document.project_id}/").content.decode()


def test_guidelines_markdown_never_renders_raw_html(login, people, document):
    project = document.project
    project.guidelines = "<script>alert(1)</script> *ok*"
    project.save()
    page = login(people["annotator"]).get(f"/projects/{project.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "<em>ok</em>" in page


def test_import_form_shows_each_problem_and_stores_nothing(login, people, project):
    client = login(people["admin"])
    upload = SimpleUploadedFile("bad.csv", b"title\nno text column\n")
    response = client.post(f"/projects/{project.pk}/import/", {"file": upload}, follow=True)
    assert "bad.csv:1: missing column &#x27;text&#x27;" in response.content.decode()
    assert not Document.objects.exists()
    response = client.post(f"/projects/{project.pk}/import/", {"title": "Pasted", "text": "Officials said yes."}, follow=True)
    assert "Imported 1 document(s)" in response.content.decode()
    assert Document.objects.get().title == "Pasted"


def test_a_request_over_the_upload_limit_says_so(login, people, project, settings):
    """QA16: a pasted text over the limit got Django's bare "Bad Request (400)", no reason."""
    settings.CLAIMDESK_MAX_UPLOAD_BYTES = 1024 * 1024
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # as in settings: the limit and a megabyte for the form
    client = login(people["admin"])
    text = "Officials said it works. " * 100_000  # 2.5 MB
    page = client.post(f"/projects/{project.pk}/import/", {"title": "Huge", "text": text})
    assert page.status_code == 413
    assert "larger than the upload limit of 1 MB. Split it into several" in page.content.decode()
    api = client.post(f"/api/projects/{project.pk}/documents/", {"text": text}, content_type="application/json")
    assert api.status_code == 413 and "upload limit of 1 MB" in api.json()["detail"]
    # QA17: a file over the limit, sent as a form, was a 400
    big = SimpleUploadedFile("big.txt", ("Officials said it works. " * 50_000).encode())  # 1.25 MB
    upload = client.post(f"/api/projects/{project.pk}/documents/", {"file": big})
    assert upload.status_code == 413 and "the limit is 1,048,576" in upload.json()["detail"]
    assert not Document.objects.exists()


def test_a_limit_under_a_megabyte_is_said_in_bytes(login, people, project, settings):
    """QA18: with a limit of 200,000 bytes the message said "upload limit of 0 MB"."""
    settings.CLAIMDESK_MAX_UPLOAD_BYTES = 200_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 300_000
    api = login(people["admin"]).post(f"/api/projects/{project.pk}/documents/", {"text": "Officials said so. " * 20_000},
                                       content_type="application/json")
    assert api.status_code == 413 and "upload limit of 200,000 bytes" in api.json()["detail"]


def test_annotators_cannot_import_or_assign(login, people, project):
    client = login(people["annotator"])
    assert client.post(f"/projects/{project.pk}/import/", {"text": "x said y."}).status_code == 403
    assert client.post(f"/projects/{project.pk}/assign/", {"auto": "1"}).status_code == 403
    assert client.post(f"/projects/{project.pk}/stance-models/train/").status_code == 403


def test_assignment_form(login, people, document, make_user):
    Assignment.objects.all().delete()
    response = login(people["admin"]).post(f"/projects/{document.project_id}/assign/", {"auto": "1", "per_document": "1"}, follow=True)
    assert "1 new assignment(s)" in response.content.decode()
    assert Assignment.objects.get().annotator == people["annotator"]


def test_review_and_adjudication_pages(login, people, document):
    page = login(people["annotator"]).get(f"/documents/{document.pk}/")
    assert page.status_code == 200 and 'id="review-data"' in page.content.decode()
    assert login(people["annotator"]).get(f"/documents/{document.pk}/adjudicate/").status_code == 403
    adjudicate = login(people["reviewer"]).get(f"/documents/{document.pk}/adjudicate/")
    assert "Adjudicating:" in adjudicate.content.decode() and "only disagreements" in adjudicate.content.decode()
    for response in (page, adjudicate):  # the pages carry state that a cached copy would show stale
        assert "no-store" in response["Cache-Control"]


def test_document_text_is_escaped_in_the_page(login, people, project):
    from annotate.services.imports import import_documents, parse_text
    from annotate.services.workflow import assign_documents

    document = import_documents(project=project, documents=parse_text("<b>Bold</b> officials said </script> yes.", title="<i>t</i>")).created[0]
    assign_documents(project=project, documents=[document], annotators=[people["annotator"]])
    page = login(people["annotator"]).get(f"/documents/{document.pk}/").content.decode()
    assert "<b>Bold</b>" not in page and "<i>t</i>" not in page and "</script> yes" not in page


def test_ui_export_gives_annotators_their_own_work(login, people, document):
    response = login(people["annotator"]).get(f"/projects/{document.project_id}/export.csv")
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows and {r["status"] for r in rows} == {"unannotated"}
    assert login(people["annotator"]).get(f"/projects/{document.project_id}/export.xml").status_code == 404


def test_next_document_moves_on_from_the_one_being_left(login, people, document):
    """From the end of a document with work left, "next" goes to the following unfinished
    document (wrapping round), and says so when the one being left is the last."""
    from annotate.services.imports import import_documents, parse_text
    from annotate.services.workflow import assign_documents

    project = document.project
    later = import_documents(project=project, documents=parse_text("Officials said the later deal holds.")).created[0]
    assign_documents(project=project, documents=[later], annotators=[people["annotator"]])
    client = login(people["annotator"])
    assert client.get(f"/projects/{project.pk}/next/?after={document.pk}")["Location"] == f"/documents/{later.pk}/"
    assert client.get(f"/projects/{project.pk}/next/?after={later.pk}")["Location"] == f"/documents/{document.pk}/"
    page = client.get(f"/documents/{later.pk}/")
    assert f"/projects/{project.pk}/next/?after={later.pk}" in page.content.decode(), "the page says which document it leaves"
    from annotate.services.annotations import save_sentence_annotation

    for sentence in later.sentences.all():
        save_sentence_annotation(sentence=sentence, user=people["annotator"], status="no_claim", claims=[], expected_version=None)
    response = client.get(f"/projects/{project.pk}/next/?after={document.pk}", follow=True)
    assert response.redirect_chain[-1][0] == f"/documents/{document.pk}/"
    assert "last document with work left" in response.content.decode()


def test_an_unknown_export_scope_is_a_bad_request(login, people, document):
    api = login(people["reviewer"]).get(f"/api/projects/{document.project_id}/export/csv/?scope=banana")
    assert api.status_code == 400 and "scope must be 'all' or 'gold'" in api.json()["scope"][0]
    page = login(people["reviewer"]).get(f"/projects/{document.project_id}/export.csv?scope=banana")
    assert page.status_code == 400


def test_automatic_assignment_explains_a_count_that_is_no_number(login, people, document):
    response = login(people["admin"]).post(f"/projects/{document.project_id}/assign/", {"auto": "1", "per_document": "abc"}, follow=True)
    assert "annotators per document must be a whole number, not &#x27;abc&#x27;" in response.content.decode()


def test_gold_export_is_refused_to_annotators_and_given_to_reviewers(login, people, document):
    """Gold is decided over everyone's work, which a blind annotator may not see; before,
    they got their own work in a file named "-gold"."""
    for url in (f"/projects/{document.project_id}/export.csv?scope=gold",
                f"/api/projects/{document.project_id}/export/attributions/?scope=gold"):
        assert login(people["annotator"]).get(url).status_code == 403, url
        response = login(people["reviewer"]).get(url)
        assert response.status_code == 200 and '-gold.' in response["Content-Disposition"], url


def test_training_button_queues_a_run_and_the_page_shows_it(login, people, project, django_capture_on_commit_callbacks, settings, tmp_path):
    from tests.stance_fixtures import review_stances

    client = login(people["admin"])
    refused = client.post(f"/projects/{project.pk}/stance-models/train/", follow=True).content.decode()
    assert "Not started: needs at least 20 labelled claims" in refused and not StanceModel.objects.exists()
    settings.CLAIMDESK_MODEL_DIR = tmp_path
    review_stances(project, people["reviewer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/projects/{project.pk}/stance-models/train/", follow=True)
    assert "Stance model v1 queued" in response.content.decode()
    assert StanceModel.objects.get().status == "done"
    assert "held-out claims" in client.get(f"/projects/{project.pk}/").content.decode()


def test_continue_takes_annotators_to_their_next_unfinished_document(login, people, document):
    from annotate.services.annotations import save_sentence_annotation

    client = login(people["annotator"])
    response = client.get(f"/projects/{document.project_id}/next/")
    assert response.status_code == 302 and response["Location"] == f"/documents/{document.pk}/"
    for sentence in document.sentences.all():
        save_sentence_annotation(sentence=sentence, user=people["annotator"], status="no_claim", claims=[], expected_version=None)
    response = client.get(f"/projects/{document.project_id}/next/", follow=True)
    assert "Nothing left to do" in response.content.decode()


def test_reviewers_see_the_projects_adjudication_and_their_own_work_apart(login, people, document):
    """QA16: a reviewer, who is assigned nothing, read "0/N sentences done by you" and "Continue
    where you left off" as if the whole project were their annotation queue."""
    from annotate.services.annotations import save_sentence_annotation

    first, *rest = document.sentences.order_by("index")
    save_sentence_annotation(sentence=first, user=people["reviewer"], status="no_claim", claims=[], expected_version=None,
                             kind="adjudication")
    page = login(people["reviewer"]).get(f"/projects/{document.project_id}/").content.decode()
    total = 1 + len(rest)
    assert f"1/{total} sentences adjudicated · 0 annotated by you (you may annotate any document)" in page
    assert "Annotate the next document you have not finished" in page and "Continue where you left off" not in page
    assert f'<progress max="{total}" value="1" aria-label="adjudication of Sample">' in page
    mine = login(people["annotator"]).get(f"/projects/{document.project_id}/").content.decode()
    assert f"0/{total} sentences done by you" in mine and "Continue where you left off" in mine
    assert "adjudicated" not in mine.split("<section")[0]


def test_the_project_page_says_when_the_rules_can_suggest_none_of_its_labels(login, people, document):
    """QA13: labels with no meaning for the rules got no suggestion at all, and nothing said why."""
    document.project.labels.update(meaning="")
    page = login(people["admin"]).get(f"/projects/{document.project_id}/").content.decode()
    assert 'id="rules-suggest-nothing"' in page and "suggest none of this project's labels" in page


def test_continue_adjudicating_goes_to_the_next_document_waiting_for_gold(login, people, document):
    """QA13: a reviewer's only "continue" led to annotating their own version."""
    from annotate.services.annotations import save_sentence_annotation

    reviewer = login(people["reviewer"])
    page = reviewer.get(f"/projects/{document.project_id}/").content.decode()
    # Offered only where a sentence waits for gold (QA22, QA23: with nothing annotated, or 0/0
    # sentences, it led back to "Nothing waits for adjudication").
    assert 'id="continue-adjudicating"' not in page
    empty = project_create(name="Nothing yet", stance_target="the plan")
    membership_set(project=empty, user=people["reviewer"], role="reviewer")
    assert 'id="continue-adjudicating"' not in reviewer.get(f"/projects/{empty.pk}/").content.decode()
    nothing = reviewer.get(f"/projects/{document.project_id}/next-adjudication/", follow=True)
    assert "Nothing waits for adjudication" in nothing.content.decode()
    sentence = document.sentences.first()
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="no_claim", claims=[], expected_version=None)
    assert 'id="continue-adjudicating"' in reviewer.get(f"/projects/{document.project_id}/").content.decode()
    assert 'id="continue-adjudicating"' not in login(people["annotator"]).get(f"/projects/{document.project_id}/").content.decode()
    reviewer = login(people["reviewer"])
    waiting = reviewer.get(f"/projects/{document.project_id}/next-adjudication/")
    assert waiting.status_code == 302 and waiting["Location"] == f"/documents/{document.pk}/adjudicate/"
    only = reviewer.get(f"/projects/{document.project_id}/next-adjudication/?after={document.pk}", follow=True)
    assert "the only document waiting for adjudication" in only.content.decode()
    save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="no_claim", claims=[], expected_version=None,
                             kind="adjudication")
    assert reviewer.get(f"/projects/{document.project_id}/next-adjudication/")["Location"] == f"/projects/{document.project_id}/"
    assert login(people["annotator"]).get(f"/projects/{document.project_id}/next-adjudication/").status_code == 403


def test_a_skipped_adjudication_is_no_gold_and_the_sentence_keeps_waiting(login, people, document):
    """QA17: pressing x while adjudicating counted the sentence as adjudicated, took it out of
    "Continue adjudicating" and exported it as gold without a decision."""
    from annotate.services.annotations import save_sentence_annotation

    sentence = document.sentences.order_by("index").first()
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="no_claim", claims=[], expected_version=None)
    save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="skipped", claims=[], expected_version=None,
                             kind="adjudication")
    reviewer = login(people["reviewer"])
    total = document.sentences.count()
    page = reviewer.get(f"/projects/{document.project_id}/").content.decode()
    assert f"0/{total} sentences adjudicated" in page
    waiting = reviewer.get(f"/projects/{document.project_id}/next-adjudication/")
    assert waiting["Location"] == f"/documents/{document.pk}/adjudicate/"
    row = reviewer.get(f"/api/projects/{document.project_id}/documents/").json()["results"][0]
    assert row["gold_count"] == 0 and row["status"] != "adjudicated"
    gold = reviewer.get(f"/projects/{document.project_id}/export/jsonl/?scope=gold").content.decode()
    assert '"skipped"' not in gold

    save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="no_claim", claims=[],
                             expected_version=sentence.annotations.get(kind="adjudication").version, kind="adjudication")
    assert f"1/{total} sentences adjudicated" in reviewer.get(f"/projects/{document.project_id}/").content.decode()
    assert reviewer.get(f"/projects/{document.project_id}/next-adjudication/")["Location"] == f"/projects/{document.project_id}/"


def test_the_project_page_says_which_side_no_label_means(login, people, document):
    """QA15: "Supportive / Critical / Neutral" without meanings for the first two made every claim
    neutral, and the page warned only when no label at all had a meaning."""
    document.project.labels.exclude(value="neutral").update(meaning="")
    page = login(people["admin"]).get(f"/projects/{document.project_id}/").content.decode()
    assert 'id="meanings-missing"' in page and "takes the target&#x27;s side (support)" in page
    assert 'id="rules-suggest-nothing"' not in page


@pytest.mark.parametrize("action", ["import", "assign", "stance-models/train"])
def test_a_project_form_reached_without_posting_goes_back_to_the_page_and_says_why(login, people, project, action):
    """QA16: a form sent after the session expired came back, once logged in, as a GET: a bare
    405 and a blank browser error page."""
    response = login(people["admin"]).get(f"/projects/{project.pk}/{action}/", follow=True)
    assert response.redirect_chain[-1][0] == f"/projects/{project.pk}/"
    assert "Nothing was done: the form was not sent" in response.content.decode()


def test_reviewers_see_each_annotators_progress_in_a_fixed_number_of_queries(login, people, project, make_user,
                                                                              django_assert_max_num_queries):
    """QA16: a team lead could see progress per document but nowhere per annotator."""
    from annotate import selectors
    from annotate.models import Role
    from annotate.services.annotations import save_sentence_annotation
    from annotate.services.imports import import_documents, parse_text
    from annotate.services.projects import membership_set
    from annotate.services.workflow import assign_documents

    second = make_user("second")
    membership_set(project=project, user=second, role=Role.ANNOTATOR)
    documents = import_documents(project=project, documents=parse_text("Officials said yes. The talks ended.")
                                 + parse_text("Critics said no.")).created
    assign_documents(project=project, documents=documents, annotators=[people["annotator"]])
    assign_documents(project=project, documents=documents[1:], annotators=[second])
    first, last = documents[0].sentences.order_by("index")
    save_sentence_annotation(sentence=first, user=people["annotator"], status="no_claim", claims=[], expected_version=None)
    save_sentence_annotation(sentence=last, user=people["annotator"], status="skipped", claims=[], expected_version=None)
    progress = {p.username: p for p in selectors.annotator_progress(project)}
    mine = progress[people["annotator"].username]
    assert (mine.documents, mine.sentences, mine.done, mine.skipped) == (2, 3, 1, 1) and mine.last_saved is not None
    assert (progress["second"].documents, progress["second"].sentences, progress["second"].done) == (1, 1, 0)
    client = login(people["reviewer"])
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert 'id="annotator-progress"' in page and "1/3" in page
    assert 'id="annotator-progress"' not in login(people["annotator"]).get(f"/projects/{project.pk}/").content.decode()
    with django_assert_max_num_queries(30) as counted:
        login(people["reviewer"]).get(f"/projects/{project.pk}/")
    few = len(counted)
    for i in range(5):
        membership_set(project=project, user=make_user(f"more{i}"), role=Role.ANNOTATOR)
    more = import_documents(project=project, documents=[d for i in range(5) for d in parse_text(f"Person {i} said so.")]).created
    assign_documents(project=project, documents=more, annotators=[second])
    with django_assert_max_num_queries(few):
        login(people["reviewer"]).get(f"/projects/{project.pk}/")


def test_the_project_page_lists_documents_a_page_at_a_time_with_the_progress_of_all(login, people, project, monkeypatch):
    """QA16: the page listed every document (274 KB for 400)."""
    from annotate import views
    from annotate.services.imports import import_documents, parse_text

    monkeypatch.setattr(views, "DOCUMENTS_PER_PAGE", 2)
    *_, last = import_documents(project=project, documents=[d for i in range(3) for d in parse_text(
        f"Official {i} said it works.", title=f"Doc {i}")]).created
    client = login(people["admin"])
    first = client.get(f"/projects/{project.pk}/").content.decode()
    assert "Doc 0" in first and "Doc 1" in first and ">Doc 2</a>" not in first
    assert "documents 1–2 of 3" in first and 'rel="next"' in first
    assert "0/3 sentences adjudicated · 0 annotated by you" in first
    assert f'<option value="{last.pk}">Doc 2</option>' in first  # assigning by hand still offers every document
    second = client.get(f"/projects/{project.pk}/?page=2").content.decode()
    assert ">Doc 2</a>" in second and ">Doc 0</a>" not in second
    assert client.get(f"/projects/{project.pk}/?page=oops").status_code == 200  # the first page


def test_a_form_whose_session_changed_in_another_tab_says_so(people, project):
    """QA16: a form sent after a log out and log in in another tab got Django's bare CSRF page."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(people["admin"])
    page = client.post(f"/projects/{project.pk}/import/", {"title": "T", "text": "Officials said yes.",
                                                          "csrfmiddlewaretoken": "stale"})
    assert page.status_code == 403
    assert "your session changed since this page was loaded" in page.content.decode()
    assert "<header" in page.content.decode()  # the app's own page, with its header and links


def test_pages_work_before_the_static_files_are_collected(client, settings, tmp_path):
    """QA19: with DEBUG off and no `collectstatic`, the manifest storage made every page a 500;
    the plain names are linked instead, and the system check says to collect them."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.checks import run_checks

    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "annotate.storage.StaticFilesStorage"}}
    settings.STATIC_ROOT = tmp_path
    response = client.get("/login/")
    assert response.status_code == 200 and 'href="/static/annotate/claimdesk.css"' in response.content.decode()
    assert staticfiles_storage.url("annotate/forms.js") == "/static/annotate/forms.js"
    assert [m.id for m in run_checks() if m.id.startswith("claimdesk.")] == ["claimdesk.W001"]


def test_the_suggestions_card_follows_an_activated_models_refresh_and_the_model_card_says_which_was_replaced(
        login, people, project):
    """QA19: a model a later one replaced went on saying it "now makes this project's stance
    suggestions". The refresh after an activation is followed on the Suggestions card, as every
    refresh is (the model card showed it as a bar of its own); it does not refuse training."""
    from django.utils import timezone

    from annotate.models import StanceModel, SuggestionRefresh

    won = "Macro-F1 on 20 held-out claims: model 0.9, rules 0.5. The model now makes this project's stance suggestions."
    now = timezone.now()
    StanceModel.objects.create(project=project, version=1, status="done", progress=1.0, message=won,
                               metrics={"activated": True}, finished_at=now, updated_at=now)
    StanceModel.objects.create(project=project, version=2, status="done", progress=1.0, is_active=True,
                               message=f"{won} Its re-making of the project's suggestions is on the Suggestions card.",
                               metrics={"activated": True}, finished_at=now, updated_at=now)
    SuggestionRefresh.objects.create(project=project, reason="stance model v2 now suggests", status="running",
                                     documents=[1], total=20, processed=19)
    page = login(people["admin"]).get(f"/projects/{project.pk}/").content.decode()
    card = page[page.index('id="stance-models"'):page.index('id="suggestion-refreshes"')]
    first, second = card[:card.index("</table>")].split("<tr><td>v")[1:]  # newest first
    assert second.startswith("1") and "A later version has replaced it." in second and "<progress" not in second
    assert first.startswith("2") and "A later version" not in first and "<progress" not in first
    assert '<button type="submit" >Train from reviewed labels</button>' in card
    refreshes = page[page.index('id="suggestion-refreshes"'):]
    refreshes = refreshes[:refreshes.index("</table>")]
    assert "Stance model v2 now suggests" in refreshes and '<progress max="20" value="19">' in refreshes
    assert '<meta http-equiv="refresh"' in page  # the page follows the refresh


def test_a_training_run_going_disables_training_and_reloads_the_page(login, people, project):
    from annotate.models import StanceModel

    StanceModel.objects.create(project=project, version=1, status="running", progress=0.2)
    page = login(people["admin"]).get(f"/projects/{project.pk}/").content.decode()
    assert '<button type="submit" disabled>Train from reviewed labels</button>' in page
    assert '<progress max="1" value="0.2">' in page and '<meta http-equiv="refresh"' in page
