"""The Django admin: search and filters work, and every change lands in the audit trail."""
from __future__ import annotations

import html

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from annotate.models import AuditEvent, Comment, StanceLabel, Suggestion
from annotate.services.imports import import_documents, parse_text
from annotate.services.projects import project_create


@pytest.fixture
def superuser_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    return client


def _label_formset(project, labels, extra_rows=()):
    data = {
        "name": project.name, "description": project.description, "guidelines": project.guidelines,
        "stance_target": "New target", "annotations_per_document": 1, "blind": "on", "quote_convention": "joined",
        "labels-TOTAL_FORMS": len(labels) + len(extra_rows), "labels-INITIAL_FORMS": len(labels),
        "labels-MIN_NUM_FORMS": 0, "labels-MAX_NUM_FORMS": 1000,
        "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0,
        "memberships-MIN_NUM_FORMS": 0, "memberships-MAX_NUM_FORMS": 1000,
    }
    for i, label in enumerate(labels):
        data.update({f"labels-{i}-id": label.pk, f"labels-{i}-project": project.pk, f"labels-{i}-value": "hacked",
                     f"labels-{i}-name": label.name.upper(), f"labels-{i}-key": label.key, f"labels-{i}-color": label.color})
    for j, row in enumerate(extra_rows, start=len(labels)):
        data.update({f"labels-{j}-project": project.pk, **{f"labels-{j}-{k}": v for k, v in row.items()}})
    return data


def test_admin_lists_search_and_filter(superuser_client, document):
    for url in ("/admin/annotate/project/?q=Test", "/admin/annotate/membership/?role=admin",
                "/admin/annotate/auditevent/", "/admin/annotate/assignment/", "/admin/annotate/comment/",
                "/admin/annotate/stancemodel/", "/admin/annotate/importjob/"):
        assert superuser_client.get(url).status_code == 200, url
    link = f"/admin/annotate/document/{document.pk}/change/"

    def lists_the_document(query: str) -> bool:
        response = superuser_client.get(f"/admin/annotate/document/?{query}")
        assert response.status_code == 200, query
        return link in response.content.decode()

    assert lists_the_document("q=Sample") and lists_the_document(f"project__id__exact={document.project_id}")
    assert not lists_the_document("q=no-such-title-anywhere")
    other = project_create(name="Other project", stance_target="Something else")
    import_documents(project=other, documents=parse_text("Someone else said so."))
    assert not lists_the_document(f"project__id__exact={other.pk}")


def test_label_edits_are_audited_and_values_cannot_be_renamed(superuser_client, project):
    labels = list(project.labels.order_by("key"))
    data = _label_formset(project, labels, [{"value": "mixed", "name": "Mixed", "key": "4", "color": "#123456"}])
    response = superuser_client.post(f"/admin/annotate/project/{project.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    assert list(project.labels.order_by("key").values_list("value", "name")) == [
        ("support", "SUPPORT"), ("oppose", "OPPOSE"), ("neutral", "NEUTRAL"), ("mixed", "Mixed")
    ]
    # A new label without a meaning takes the one its words make plain (QA13).
    assert project.labels.get(value="mixed").meaning == "neutral"
    actions = list(AuditEvent.objects.filter(project=project).values_list("action", flat=True))
    assert actions.count("stancelabel.change") == 3 and "stancelabel.add" in actions and "project.change" in actions
    change = AuditEvent.objects.filter(action="project.change").get()
    assert change.before == {"stance_target": "US–Pakistan cooperation"} and change.after == {"stance_target": "New target"}


def test_only_labels_nobody_uses_can_be_deleted(superuser_client, document):
    """An unused label (a typo) goes, and the deletion is audited; a label that suggestions or
    annotations carry is refused with the reason, and nothing of the form is saved."""
    project = document.project
    unused = StanceLabel.objects.create(project=project, value="mixed", name="Mixed", key=9, color="#888888")
    labels = list(project.labels.order_by("key"))
    in_use = set(Suggestion.objects.filter(sentence__document=document, stance__isnull=False).values_list("stance_id", flat=True))
    assert in_use, "the sample's suggestions carry a stance"
    form = superuser_client.get(f"/admin/annotate/project/{project.pk}/change/").content.decode()
    assert 'name="labels-0-DELETE"' in form

    data = _label_formset(project, labels)
    data[f"labels-{labels.index(unused)}-DELETE"] = "on"
    assert superuser_client.post(f"/admin/annotate/project/{project.pk}/change/", data).status_code == 302
    assert not StanceLabel.objects.filter(pk=unused.pk).exists()
    assert AuditEvent.objects.filter(action="stancelabel.delete", object_id=str(unused.pk)).exists()

    labels = list(project.labels.order_by("key"))
    data = _label_formset(project, labels)
    protected = next(label for label in labels if label.pk in in_use)
    data[f"labels-{labels.index(protected)}-DELETE"] = "on"
    data["stance_target"] = "Refused target"
    response = superuser_client.post(f"/admin/annotate/project/{project.pk}/change/", data)
    page = response.content.decode()
    assert response.status_code == 200 and "cannot be deleted; rename it, or tick" in page
    assert "protected related objects" not in page, "the refusal says what to do, not every suggestion it protects"
    assert StanceLabel.objects.filter(pk=protected.pk).exists()
    project.refresh_from_db()
    assert project.stance_target == "New target", "nothing of the refused form was saved"


def test_deleting_a_document_keeps_its_history(superuser_client, document, people):
    from annotate.services.annotations import save_sentence_annotation

    sentence = document.sentences.first()
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="no_claim", claims=[], expected_version=None)
    superuser_client.post(f"/admin/annotate/document/{document.pk}/delete/", {"post": "yes"})
    assert not type(document).objects.filter(pk=document.pk).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"document.import", "annotation.save", "document.delete"} <= actions
    assert superuser_client.get(f"/admin/annotate/project/{document.project_id}/delete/").status_code == 403


def test_a_project_made_in_the_admin_gets_the_default_labels_and_its_creator(superuser_client, django_user_model):
    from annotate.models import Membership, Project

    data = _label_formset(Project(name="Admin-made", description="", guidelines=""), [])
    data["name"] = "Admin-made"
    assert superuser_client.post("/admin/annotate/project/add/", data).status_code == 302
    project = Project.objects.get(name="Admin-made")
    assert sorted(project.labels.values_list("value", flat=True)) == ["neutral", "oppose", "support"]
    assert Membership.objects.get(project=project).user.username == "root"


def test_admin_cannot_move_a_document_or_delete_its_parts_and_audits_every_deletion(superuser_client, document, people):
    """QA: moving a document to another project carried its work across (or gave a 500);
    deleting a sentence took its gold with it, a speaker vanished from claims, and a bulk
    delete left no audit event."""
    from annotate.models import Assignment, Sentence, Speaker

    change = superuser_client.get(f"/admin/annotate/document/{document.pk}/change/").content.decode()
    assert 'name="project"' not in change, "the project is shown, not editable"
    sentence, speaker = Sentence.objects.filter(document=document).first(), Speaker.objects.filter(document=document).first()
    assert superuser_client.get(f"/admin/annotate/sentence/{sentence.pk}/delete/").status_code == 403
    for url in (f"/admin/annotate/sentence/{sentence.pk}/change/", f"/admin/annotate/speaker/{speaker.pk}/change/"):
        assert "/delete/" not in superuser_client.get(url).content.decode(), "no Delete button leading to a 403"
    assert superuser_client.get(f"/admin/annotate/speaker/{speaker.pk}/delete/").status_code == 403
    assert "delete_selected" not in superuser_client.get("/admin/annotate/sentence/").content.decode()
    assignment = Assignment.objects.get(document=document)
    response = superuser_client.post("/admin/annotate/assignment/", {
        "action": "delete_selected", "_selected_action": [assignment.pk], "post": "yes"})
    assert response.status_code == 302 and not Assignment.objects.exists()
    assert AuditEvent.objects.filter(action="assignment.delete", object_id=str(assignment.pk)).exists()


def _comments(document, author, count: int) -> list:
    sentence = document.sentences.first()
    return [Comment.objects.create(sentence=sentence, author=author, text=f"note {k}") for k in range(count)]


def _deleted_comment_events(comments) -> list[tuple]:
    events = AuditEvent.objects.filter(action="comment.delete", object_id__in=[str(c.pk) for c in comments])
    return sorted(events.values_list("project_id", "actor__username", "object_type", "object_id", "before", "after"),
                  key=lambda event: int(event[3]))


def _expected_comment_events(comments, project) -> list[tuple]:
    """What the audit said of each deleted comment before the bulk write: the same, row by row."""
    return [(project.pk, "root", "Comment", str(c.pk), {"id": c.pk, "sentence": c.sentence_id, "author": c.author_id,
             "text": c.text, "resolved_at": None, "resolved_by": None}, None) for c in comments]


def test_delete_selected_takes_as_many_queries_for_ten_rows_as_for_two(superuser_client, document, people):
    """Review: "Delete selected" wrote one audit event per row, one INSERT each."""
    def delete_selected(comments) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = superuser_client.post("/admin/annotate/comment/", {
                "action": "delete_selected", "_selected_action": [c.pk for c in comments], "post": "yes"})
        assert response.status_code == 302
        return len(queries)

    delete_selected(_comments(document, people["annotator"], 1))  # the first request fills the caches
    counts = {}
    for count in (2, 10):
        comments = _comments(document, people["annotator"], count)
        counts[count] = delete_selected(comments)
        assert _deleted_comment_events(comments) == _expected_comment_events(comments, document.project)
    assert counts[2] == counts[10], counts


def test_a_projects_page_reads_its_members_with_their_accounts(superuser_client, project, make_user):
    """QA16: three queries per member row (its account and project, read one by one). What is
    left is Django's autocomplete widget, which reads the account it shows: one per row."""
    from annotate.models import Role
    from annotate.services.projects import membership_set

    counts = {}
    for total in (2, 10):
        for i in range(len(counts) * 2, total):
            membership_set(project=project, user=make_user(f"member{i}"), role=Role.ANNOTATOR)
        with CaptureQueriesContext(connection) as queries:
            assert superuser_client.get(f"/admin/annotate/project/{project.pk}/change/").status_code == 200
        counts[total] = len(queries)
    assert counts[10] - counts[2] <= 8, counts


def test_delete_queryset_reads_the_projects_with_the_rows(document, people, django_user_model):
    """Review: called with a bare queryset, each row's sentence, document and project were read one by one."""
    request = RequestFactory().post("/admin/annotate/comment/")
    request.user = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    admin = site._registry[Comment]
    counts = {}
    for count in (2, 10):
        comments = _comments(document, people["annotator"], count)
        with CaptureQueriesContext(connection) as queries:
            admin.delete_queryset(request, Comment.objects.filter(pk__in=[c.pk for c in comments]))
        counts[count] = len(queries)
        assert not Comment.objects.filter(pk__in=[c.pk for c in comments]).exists()
        assert _deleted_comment_events(comments) == _expected_comment_events(comments, document.project)
    assert counts[2] == counts[10], counts


def test_a_bad_label_key_or_colour_is_said_in_words(superuser_client, project):
    """QA11: the admin said "Constraint “stancelabel_key_digit” is violated."."""
    labels = list(project.labels.order_by("key"))
    for row, message in (({"value": "nkey", "name": "Nkey", "key": "n", "color": "#123456"}, "one digit from 1 to 9"),
                         ({"value": "nkey", "name": "Nkey", "key": "\u0665", "color": "#123456"}, "one digit from 1 to 9"),
                         ({"value": "grey", "name": "Grey", "key": "5", "color": "grey"}, "#RRGGBB")):
        response = superuser_client.post(f"/admin/annotate/project/{project.pk}/change/", _label_formset(project, labels, [row]))
        assert response.status_code == 200 and message in response.content.decode()
        assert "is violated" not in response.content.decode()
    assert project.labels.count() == 3


@pytest.fixture
def project_admin(client, project, make_user):
    """An admin of `project` without Django's staff flag, and a second project they are not in."""
    from annotate.models import Role
    from annotate.services.projects import membership_set

    user = make_user("lead")
    membership_set(project=project, user=user, role=Role.ADMIN)
    client.force_login(user)
    return user


def test_a_project_admin_manages_their_own_project_in_the_admin(client, project_admin, project, make_user):
    """QA11: project admins had no way to add people or edit labels unless Django staff, and then saw every project."""
    from annotate.models import Membership, Role
    from annotate.services.projects import membership_set

    other = project_create(name="Someone else's project", stance_target="Other")
    newcomer = make_user("newcomer")
    assert client.get("/admin/").status_code == 200
    projects = client.get("/admin/annotate/project/").content.decode()
    assert project.name in projects and other.name not in projects
    assert client.get(f"/admin/annotate/project/{other.pk}/change/").status_code == 302  # "does not exist", to the index
    assert client.get("/admin/annotate/project/add/").status_code == 403  # new projects are for superusers
    assert client.get("/admin/auth/user/").status_code == 403
    # People: add one to their own project; another project is no choice.
    added = client.post("/admin/annotate/membership/add/", {"user": newcomer.pk, "project": project.pk, "role": Role.ANNOTATOR})
    assert added.status_code == 302, added.content[:2000]
    assert Membership.objects.filter(user=newcomer, project=project, role=Role.ANNOTATOR).exists()
    refused = client.post("/admin/annotate/membership/add/", {"user": newcomer.pk, "project": other.pk, "role": Role.ADMIN})
    assert refused.status_code == 200 and not Membership.objects.filter(project=other).exists()
    membership_set(project=other, user=newcomer, role=Role.ANNOTATOR)
    theirs = Membership.objects.get(project=other, user=newcomer)
    assert client.get(f"/admin/annotate/membership/{theirs.pk}/change/").status_code == 302
    # Labels, on their own project's page.
    labels = list(project.labels.order_by("key"))
    data = _label_formset(project, labels, [{"value": "mixed", "name": "Mixed", "key": "4", "color": "#123456"}])
    assert client.post(f"/admin/annotate/project/{project.pk}/change/", data).status_code == 302
    assert project.labels.filter(value="mixed").exists()
    assert AuditEvent.objects.filter(project=project, action="stancelabel.add", actor=project_admin).exists()


def test_staff_who_only_annotate_cannot_see_or_raise_their_role(client, project, make_user):
    """QA11: a staff account with the admin's model permissions, an annotator in the project, set its own role to admin."""
    from django.contrib.auth.models import Permission

    from annotate.models import Membership, Role
    from annotate.services.projects import membership_set

    user = make_user("staffer")
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="annotate"))
    membership_set(project=project, user=user, role=Role.ANNOTATOR)
    client.force_login(user)
    mine = Membership.objects.get(user=user, project=project)
    assert client.get(f"/admin/annotate/project/{project.pk}/change/").status_code == 403
    client.post(f"/admin/annotate/membership/{mine.pk}/change/", {"user": user.pk, "project": project.pk, "role": Role.ADMIN})
    mine.refresh_from_db()
    assert mine.role == Role.ANNOTATOR
    assert project.name not in client.get("/admin/annotate/project/").content.decode()


def test_an_annotator_is_not_let_into_the_admin(client, people):
    client.force_login(people["annotator"])
    assert client.get("/admin/").status_code == 302
    assert "not authorized" in client.get("/admin/", follow=True).content.decode()


def test_the_admin_log_in_page_opens_for_a_visitor_and_lets_a_project_admin_in(client, project, make_user):
    """QA12: drawing the admin's menu for a visitor not logged in asked the database for their projects: a 500."""
    from annotate.models import Role
    from annotate.services.projects import membership_set

    assert client.get("/admin/login/").status_code == 200
    assert client.get("/admin/", follow=True).status_code == 200
    lead = make_user("lead")
    membership_set(project=project, user=lead, role=Role.ADMIN)
    logged_in = client.post("/admin/login/?next=/admin/", {"username": "lead", "password": "pw-lead"})
    assert logged_in.status_code == 302 and logged_in["Location"] == "/admin/"
    assert client.get("/admin/annotate/project/").status_code == 200
    annotator = make_user("someone")
    membership_set(project=project, user=annotator, role=Role.ANNOTATOR)
    client.logout()
    refused = client.post("/admin/login/", {"username": "someone", "password": "pw-someone"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session


def test_two_labels_trading_keys_in_one_save_is_said_in_words(client, project_admin, project):
    """QA12: the database checks each row as it is saved, so a swap was a 500."""
    labels = list(project.labels.order_by("key"))
    data = _label_formset(project, labels)
    for i, label in enumerate(labels):
        data[f"labels-{i}-value"] = label.value
        data[f"labels-{i}-name"] = label.name
    data["labels-0-key"], data["labels-1-key"] = labels[1].key, labels[0].key
    response = client.post(f"/admin/annotate/project/{project.pk}/change/", data)
    assert response.status_code == 200 and "trade their key in one save" in response.content.decode()
    assert list(project.labels.order_by("key").values_list("value", flat=True)) == [label.value for label in labels]


def test_a_row_the_page_does_not_save_is_not_audited(client, project_admin, project, make_user):
    """QA12: a membership id of another project posted by hand saved nothing but left "membership.add" events."""
    from annotate.models import Membership, Role
    from annotate.services.projects import membership_set

    other = project_create(name="Someone else's project", stance_target="Other")
    outsider = make_user("outsider2")
    membership_set(project=other, user=outsider, role=Role.ANNOTATOR)
    theirs = Membership.objects.get(project=other)
    labels = list(project.labels.order_by("key"))
    data = _label_formset(project, labels)
    for i, label in enumerate(labels):
        data[f"labels-{i}-value"] = label.value
        data[f"labels-{i}-name"] = label.name
    data.update({"memberships-TOTAL_FORMS": 2, "memberships-INITIAL_FORMS": 1,
                 "memberships-0-id": Membership.objects.get(project=project, user=project_admin).pk,
                 "memberships-0-project": project.pk, "memberships-0-user": project_admin.pk, "memberships-0-role": Role.ADMIN,
                 "memberships-1-id": theirs.pk, "memberships-1-project": project.pk, "memberships-1-user": outsider.pk,
                 "memberships-1-role": Role.REVIEWER})
    before = AuditEvent.objects.filter(action__startswith="membership").count()
    client.post(f"/admin/annotate/project/{project.pk}/change/", data)
    theirs.refresh_from_db()
    assert theirs.project == other and theirs.role == Role.ANNOTATOR
    events = AuditEvent.objects.filter(action__startswith="membership")
    assert all(event.object_id not in ("", "None") for event in events)
    assert events.count() - before == Membership.objects.filter(project=project, user=outsider).count()


def test_accounts_are_for_superusers_alone(client, make_user):
    """QA12: a staff account with Django's user permissions could make itself a superuser."""
    from django.contrib.auth.models import Permission

    staffer = make_user("staffer2", is_staff=True)
    staffer.user_permissions.set(Permission.objects.filter(content_type__app_label="auth"))
    client.force_login(staffer)
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get(f"/admin/auth/user/{staffer.pk}/change/").status_code in (302, 403)
    client.post(f"/admin/auth/user/{staffer.pk}/change/", {"username": "staffer2", "is_superuser": "on", "is_staff": "on"})
    staffer.refresh_from_db()
    assert not staffer.is_superuser


def _change_form_data(client, url: str, **changes) -> dict:
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {name: "" if value is None else "{}" if value == {} else value for name, value in data.items()}
    return {**data, **changes}


def test_a_new_stance_target_remakes_the_suggestions_nobody_worked_on(superuser_client, project, people,
                                                                     django_capture_on_commit_callbacks):
    """QA16: after a target change every suggestion went on judging the old target, unsaid."""
    from annotate.services.annotations import ClaimInput, save_sentence_annotation

    project.stance_target = "The bridge is unsafe"
    project.save()
    text = "Engineers said the bridge is safe.\nThe mayor said the bridge is safe."
    document = import_documents(project=project, documents=parse_text(text, title="Bridge")).created[0]
    first, second = document.sentences.order_by("index")
    save_sentence_annotation(sentence=second, user=people["annotator"], status="corrected", expected_version=None,
                             claims=[ClaimInput(claim=(second.start, second.end), stance="oppose")])

    def stances(sentence) -> list[str]:
        return [s.stance.value for s in Suggestion.objects.filter(sentence=sentence).select_related("stance")]

    assert stances(first) == stances(second) == ["oppose"]
    url = f"/admin/annotate/document/{document.pk}/change/"
    with django_capture_on_commit_callbacks(execute=True):  # the task is queued once the change is committed
        response = superuser_client.post(url, _change_form_data(superuser_client, url, stance_target="The bridge is safe"),
                                         follow=True)
    page = response.content.decode()
    assert "the suggestions of 1 document(s) are re-made toward it" in page
    assert "1 sentence(s) with saved work keep their stances" in page
    assert stances(first) == ["support"]  # toward the new target
    assert stances(second) == ["oppose"]  # what the annotator was shown stays
    assert AuditEvent.objects.filter(action="suggestions.resuggest", project=project).exists()


def test_a_projects_new_target_remakes_only_the_documents_that_follow_it(superuser_client, project, people):
    follows = import_documents(project=project, documents=parse_text("Officials said the plan works.")).created[0]
    import_documents(project=project, documents=parse_text("Critics said it fails.", target="Its own target"))
    labels = list(project.labels.order_by("key"))
    data = _label_formset(project, labels)
    data.update({f"labels-{i}-value": label.value for i, label in enumerate(labels)})
    response = superuser_client.post(f"/admin/annotate/project/{project.pk}/change/", data)
    assert response.status_code == 302
    [event] = AuditEvent.objects.filter(action="suggestions.resuggest", project=project)
    assert event.after["documents"] == [follows.pk]


def test_a_new_row_is_audited_whole(superuser_client, project, make_user):
    """QA16: a new member added with the default role was audited as {"user": 6}, its role left out."""
    newcomer = make_user("newcomer")
    labels = list(project.labels.order_by("key"))
    data = _label_formset(project, labels)
    data.update({f"labels-{i}-value": label.value for i, label in enumerate(labels)})
    data.update({"memberships-TOTAL_FORMS": 1, "memberships-0-project": project.pk, "memberships-0-user": newcomer.pk,
                 "memberships-0-role": "annotator"})
    assert superuser_client.post(f"/admin/annotate/project/{project.pk}/change/", data).status_code == 302
    [event] = AuditEvent.objects.filter(action="membership.add", project=project)
    assert event.after["role"] == "annotator" and event.after["user"] == newcomer.pk


def test_a_projects_creator_joining_as_its_admin_is_audited(people):
    project = project_create(name="Audited", created_by=people["admin"])
    assert AuditEvent.objects.filter(project=project, action="membership.set",
                                     after__user=people["admin"].get_username(), after__role="admin").exists()


def test_a_target_or_title_of_invisible_characters_is_none_in_the_admin(superuser_client, document):
    """QA: a target of a zero-width space overrode the project's; invisible characters at the
    ends are no part of a target or a title, and a title of nothing visible is refused."""
    url = f"/admin/annotate/document/{document.pk}/change/"
    response = superuser_client.post(url, _change_form_data(superuser_client, url, stance_target="\u200b",
                                                            title="\ufeffSample\u200b"), follow=True)
    assert response.status_code == 200 and "re-made" not in response.content.decode(), "no new target, nothing re-made"
    document.refresh_from_db()
    assert (document.stance_target, document.title) == ("", "Sample")
    response = superuser_client.post(url, _change_form_data(superuser_client, url, title="\u200b\u2060"))
    assert response.status_code == 200 and "nothing visible" in response.content.decode()
    document.refresh_from_db()
    assert document.title == "Sample"
    project = document.project
    labels = list(project.labels.order_by("key"))
    data = _label_formset(project, labels)
    data.update({f"labels-{i}-value": label.value for i, label in enumerate(labels)})
    data["stance_target"] = "\u200bNew target\u00ad"
    assert superuser_client.post(f"/admin/annotate/project/{project.pk}/change/", data).status_code == 302
    project.refresh_from_db()
    assert project.stance_target == "New target"


def test_a_title_with_a_control_character_is_refused_in_the_admin_and_a_line_break_is_a_space(superuser_client,
                                                                                            document):
    url = f"/admin/annotate/document/{document.pk}/change/"
    response = superuser_client.post(url, _change_form_data(superuser_client, url, title="Bell\x07"))
    assert response.status_code == 200 and "control character (U+0007)" in response.content.decode()
    response = superuser_client.post(url, _change_form_data(superuser_client, url, stance_target="\x1bRed"))
    assert response.status_code == 200 and "control character (U+001B)" in response.content.decode()
    document.refresh_from_db()
    assert (document.title, document.stance_target) == ("Sample", "")
    response = superuser_client.post(url, _change_form_data(superuser_client, url, title="Two\r\nlines"))
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "Two lines"


def test_a_projects_target_is_tidied_and_one_with_a_control_character_refused(db):
    """As a document's: made in the admin or by `import_documents --create --target`."""
    from django.core.exceptions import ValidationError

    from annotate.services.projects import project_new

    assert project_new(name="Zero", stance_target="\u200b").stance_target == ""
    assert project_new(name="Two", stance_target="Bridge\n  repairs\ufeff").stance_target == "Bridge repairs"
    with pytest.raises(ValidationError, match=r"control character \(U\+0007\)"):
        project_new(name="Bell", stance_target="Trams\x07")
    # A name too, which every command finds the project by (QA23), and a direction override.
    with pytest.raises(ValidationError, match=r"name holds a control character \(U\+001B\)"):
        project_new(name="Esc\x1bName")
    with pytest.raises(ValidationError, match=r"U\+202E"):
        project_new(name="Trams \u202eQA")
    with pytest.raises(ValidationError, match="shows nothing visible"):
        project_new(name="\u200b\u2060")
    assert project_new(name="Tram\tQA\u200b").name == "Tram QA"


def _labels_as_they_are(project) -> tuple[list, dict]:
    labels = list(project.labels.order_by("key"))
    data = _label_formset(project, labels)
    data["stance_target"] = project.stance_target
    for i, label in enumerate(labels):
        data.update({f"labels-{i}-value": label.value, f"labels-{i}-name": label.name})
    return labels, data


@pytest.mark.parametrize(("rows", "said"), [
    # QA: a value differing only in case, or a second "Neutral", was taken: the review page showed
    # two "Neutral"s, and the export values nobody could tell apart.
    ([{"value": "Neutral", "name": "Undecided"}], "differ only in case: exports could not tell their work apart"),
    ([{"value": "undecided", "name": " neutral "}], "two labels named “Neutral” and “neutral”"),
    ([{"value": "undecided", "name": "Un  decided"}, {"value": "unsure", "name": "un decided\u200b"}],
     "two labels named “Un decided” and “un decided”"),
    ([{"value": "undecided", "name": "Neutral"}], "two labels named “Neutral”:"),
    ([{"value": "Mixed", "name": "Mixed"}, {"value": "mixed", "name": "Blend"}], "“Mixed” and “mixed” differ only in case"),
])
def test_a_label_whose_value_or_name_another_has_but_for_case_is_refused(superuser_client, project, rows, said):
    labels, data = _labels_as_they_are(project)
    for j, row in enumerate(rows, start=len(labels)):
        data.update({f"labels-{j}-project": project.pk, f"labels-{j}-key": str(j + 1), f"labels-{j}-color": "#123456",
                     **{f"labels-{j}-{k}": v for k, v in row.items()}})
    data["labels-TOTAL_FORMS"] = len(labels) + len(rows)
    response = superuser_client.post(f"/admin/annotate/project/{project.pk}/change/", data)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200 and said in page, page[page.find("errornote"):][:3000]
    assert project.labels.count() == 3


def test_a_retired_label_may_share_its_name_with_the_one_that_replaces_it(superuser_client, project):
    """Retiring "Neutral" and adding another "Neutral" is how a label in use is replaced: the
    retired one is marked so wherever it shows. Ticked back, it would be offered twice: refused."""
    labels, data = _labels_as_they_are(project)
    neutral = labels.index(project.labels.get(value="neutral"))
    data.update({f"labels-{neutral}-retired": "on", "labels-TOTAL_FORMS": 4, "labels-3-project": project.pk,
                 "labels-3-value": "no_side", "labels-3-name": "Neutral", "labels-3-key": "4", "labels-3-color": "#123456"})
    response = superuser_client.post(f"/admin/annotate/project/{project.pk}/change/", data)
    assert response.status_code == 302, html.unescape(response.content.decode())[:3000]
    labels, data = _labels_as_they_are(project)
    data.pop(f"labels-{neutral}-retired", None)
    response = superuser_client.post(f"/admin/annotate/project/{project.pk}/change/", data)
    assert response.status_code == 200 and "two labels named “Neutral”:" in html.unescape(response.content.decode())
    assert project.labels.get(value="neutral").retired
