"""Team workflow: assignment, visibility, statuses, adjudication, comments and history."""
from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from rest_framework.test import APIClient

from annotate import selectors
from annotate.exporters import export_project
from annotate.models import Assignment, AuditEvent, Comment, Role, SentenceAnnotation, Speaker
from annotate.services.imports import import_documents, parse_text
from annotate.services.projects import membership_set
from annotate.services.workflow import WorkflowError, assign_automatically, assign_documents


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def team(project, people, make_user):
    """Three annotators (the fixture's one plus two) and six documents."""
    extra = [make_user("ann2"), make_user("ann3")]
    for user in extra:
        membership_set(project=project, user=user, role=Role.ANNOTATOR)
    texts = [f"Official {i} said the deal number {i} is good. The talks ended." for i in range(6)]
    import_documents(project=project, documents=[d for t in texts for d in parse_text(t)])
    return [people["annotator"], *extra]


def test_automatic_assignment_is_balanced_and_repeatable(project, team):
    created = assign_automatically(project=project, per_document=2)
    assert len(created) == 12
    load = Counter(a.annotator.username for a in Assignment.objects.select_related("annotator"))
    assert sorted(load.values()) == [4, 4, 4]
    per_document = Counter(Assignment.objects.values_list("document_id", flat=True))
    assert set(per_document.values()) == {2}
    assert assign_automatically(project=project, per_document=2) == [], "a second run adds nothing"
    assert AuditEvent.objects.filter(action="assignment.create").count() == 12


def test_cannot_ask_for_more_annotators_than_the_project_has(project, team):
    with pytest.raises(WorkflowError, match="has 3"):
        assign_automatically(project=project, per_document=4)
    for nobody in (0, -1):  # before, 0 quietly meant the project's default and -1 assigned nothing
        with pytest.raises(WorkflowError, match="at least one annotator"):
            assign_automatically(project=project, per_document=nobody)


def test_only_annotators_of_the_project_can_be_assigned(project, team, people):
    document = project.documents.first()
    with pytest.raises(WorkflowError, match="not annotators"):
        assign_documents(project=project, documents=[document], annotators=[people["reviewer"]])


def test_annotators_see_and_open_only_their_documents(project, team, people):
    mine, other = list(project.documents.order_by("id")[:2])
    assign_documents(project=project, documents=[mine], annotators=[team[0]])
    listed = api(team[0]).get(f"/api/projects/{project.pk}/documents/").json()["results"]
    assert [d["id"] for d in listed] == [mine.pk]
    assert api(team[0]).get(f"/api/documents/{other.pk}/").status_code == 403
    sentence = other.sentences.first()
    response = api(team[0]).put(f"/api/sentences/{sentence.pk}/annotation/", {"status": "no_claim", "version": None}, format="json")
    assert response.status_code == 403
    assert len(api(people["reviewer"]).get(f"/api/projects/{project.pk}/documents/").json()["results"]) == 6


def test_assignment_api_for_admins_only(project, team, people):
    body = {"auto": True, "per_document": 1}
    assert api(people["reviewer"]).post(f"/api/projects/{project.pk}/assignments/", body, format="json").status_code == 403
    response = api(people["admin"]).post(f"/api/projects/{project.pk}/assignments/", body, format="json")
    assert response.status_code == 201 and response.json() == {"created": 6}
    bad = api(people["admin"]).post(f"/api/projects/{project.pk}/assignments/",
                                    {"documents": [project.documents.first().pk, 999_999], "annotators": ["nobody", "ann2"]},
                                    format="json")
    assert bad.status_code == 400 and bad.json() == {  # each one named (QA19)
        "documents": ["no document of this project has the id 999999"], "annotators": ["no user is named 'nobody'"]}
    # auto gives out every unassigned document: documents or annotators sent with it would be
    # ignored, unchecked (QA19); a misspelt field too.
    for body in ({"auto": True, "annotators": ["ghost"]}, {"auto": True, "documents": [999_999]},
                 {"auto": True, "per_documnet": 2}):
        refused = api(people["admin"]).post(f"/api/projects/{project.pk}/assignments/", body, format="json")
        assert refused.status_code == 400 and set(refused.json()) == set(body) - {"auto"}, body


def _save(user, sentence, status="no_claim", claims=(), version=None, kind="annotation"):
    url = f"/api/sentences/{sentence.pk}/{kind}/"
    return api(user).put(url, {"status": status, "version": version, "claims": list(claims)}, format="json")


def test_statuses_move_from_unannotated_to_adjudicated(project, team, people):
    document = project.documents.order_by("id").first()
    assign_documents(project=project, documents=[document], annotators=team[:2])
    sentences = list(document.sentences.order_by("index"))

    def status() -> str:
        listed = api(people["reviewer"]).get(f"/api/projects/{project.pk}/documents/").json()["results"]
        return next(d["status"] for d in listed if d["id"] == document.pk)

    assert status() == "unannotated"
    _save(team[0], sentences[0])
    assert status() == "in_progress"
    for sentence in sentences:
        for user in team[:2]:
            _save(user, sentence, version=1 if (user == team[0] and sentence == sentences[0]) else None)
    assert status() == "annotated"
    for sentence in sentences:
        assert _save(people["reviewer"], sentence, kind="adjudication").status_code == 200
    assert status() == "adjudicated"


def test_the_project_page_gives_an_annotator_their_own_status(client, project, team):
    """QA22: the team's "In progress" beside the annotator's own 5/5 read as work left to them.
    The page says theirs; the API's `status` stays the team's (below)."""
    document = project.documents.order_by("id").first()
    assign_documents(project=project, documents=[document], annotators=team[:2])
    for sentence in document.sentences.all():
        _save(team[0], sentence)
    client.force_login(team[0])
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "<th>Your status</th>" in page
    row = page[page.index(f'href="/documents/{document.pk}/"'):]
    assert row[:row.index("</tr>")].count("doc-status-annotated") == 1
    client.force_login(team[1])
    page = client.get(f"/projects/{project.pk}/").content.decode()
    row = page[page.index(f'href="/documents/{document.pk}/"'):]
    assert "doc-status-unannotated" in row[:row.index("</tr>")]


def test_an_annotator_sees_a_document_annotated_only_when_every_assigned_annotator_is_done(project, team):
    """The annotator's own listing counts all of the document's annotators, not just them."""
    document = project.documents.order_by("id").first()
    assign_documents(project=project, documents=[document], annotators=team[:2])

    def listed(user) -> dict:
        rows = api(user).get(f"/api/projects/{project.pk}/documents/").json()["results"]
        return next(d for d in rows if d["id"] == document.pk)

    for sentence in document.sentences.all():
        _save(team[1], sentence)
    mine = listed(team[0])
    assert mine["status"] == "in_progress", "the other annotator alone is not everyone"
    for sentence in document.sentences.all():
        _save(team[0], sentence)
    assert listed(team[0])["status"] == "annotated"


def test_machine_suggestions_never_count_as_human_work(document, people):
    statuses = selectors.document_statuses(list(selectors.documents_with_progress(document.project, people["admin"])))
    assert statuses[document.pk] == "unannotated"


def test_annotators_cannot_adjudicate(document, people):
    sentence = document.sentences.first()
    assert _save(people["annotator"], sentence, kind="adjudication").status_code == 403


def test_adjudication_view_shows_everyone_and_the_disagreement(document, people, make_user):
    second = make_user("ann2")
    membership_set(project=document.project, user=second, role=Role.ANNOTATOR)
    assign_documents(project=document.project, documents=[document], annotators=[second])
    sentence = document.sentences.get(index=1)
    claim = {"claim": [sentence.start, sentence.end - 1]}
    _save(people["annotator"], sentence, "corrected", [{**claim, "stance": "support"}])
    _save(second, sentence, "corrected", [{**claim, "stance": "oppose"}])
    assert api(people["annotator"]).get(f"/api/documents/{document.pk}/?mode=adjudicate").status_code == 403
    payload = api(people["reviewer"]).get(f"/api/documents/{document.pk}/?mode=adjudicate").json()
    row = payload["sentences"][1]
    assert [w["annotator"] for w in row["work"]] == ["ann2", "annotator"]
    assert row["disagreement"] == ["stance"]
    assert row["annotation"] is None, "no gold yet"
    # The reviewer takes the second version: it becomes the gold label, and the gold export carries it.
    assert _save(people["reviewer"], sentence, "corrected", [{**claim, "stance": "oppose"}], kind="adjudication").status_code == 200
    gold = [json.loads(line) for line in "".join(export_project(document.project, "jsonl", gold_only=True)).splitlines()]
    assert [a["kind"] for line in gold for a in line["annotations"]] == ["adjudication"]
    assert [line["sentence_index"] for line in gold] == [1]  # the only sentence decided
    assert gold[0]["annotations"][0]["claims"][0]["stance"] == "oppose"
    rows = list(csv.DictReader(io.StringIO("".join(export_project(document.project, "csv")))))
    assert {r["annotator"] for r in rows if r["sentence_index"] == "1"} == {"annotator", "ann2", "reviewer"}
    # Stances given toward different targets (one changed between the two) differ without disagreeing.
    SentenceAnnotation.objects.filter(sentence=sentence, annotator=second).update(stance_target="An earlier target")
    payload = api(people["reviewer"]).get(f"/api/documents/{document.pk}/?mode=adjudicate").json()
    assert payload["sentences"][1]["disagreement"] == []


def test_comments_flag_a_sentence_for_the_reviewer(document, people):
    sentence = document.sentences.first()
    client = api(people["annotator"])
    response = client.post(f"/api/sentences/{sentence.pk}/comments/", {"text": "Is 'mutual trust' a claim?"}, format="json")
    assert response.status_code == 201
    assert client.post(f"/api/sentences/{sentence.pk}/comments/", {"text": "   "}, format="json").status_code == 400
    assert client.post(f"/api/sentences/{sentence.pk}/comments/", {"text": "\u200b "}, format="json").status_code == 400
    payload = api(people["reviewer"]).get(f"/api/documents/{document.pk}/?mode=adjudicate").json()
    assert payload["sentences"][0]["comments"][0]["text"] == "Is 'mutual trust' a claim?"
    comment = Comment.objects.get()
    assert client.post(f"/api/comments/{comment.pk}/resolve/").status_code == 403
    assert api(people["reviewer"]).post(f"/api/comments/{comment.pk}/resolve/").json()["resolved"] is True


def test_history_shows_every_change_and_annotators_only_their_own(document, people):
    sentence = document.sentences.first()
    _save(people["annotator"], sentence)
    _save(people["annotator"], sentence, "skipped", version=1)
    _save(people["reviewer"], sentence, kind="adjudication")
    full = api(people["reviewer"]).get(f"/api/sentences/{sentence.pk}/history/").json()
    assert [(e["actor"], e["action"]) for e in full] == [
        ("annotator", "annotation.save"), ("annotator", "annotation.save"), ("reviewer", "adjudication.save")
    ]
    assert full[1]["before"]["status"] == "no_claim" and full[1]["after"]["status"] == "skipped"
    own = api(people["annotator"]).get(f"/api/sentences/{sentence.pk}/history/").json()
    assert {e["actor"] for e in own} == {"annotator"}


def test_gold_is_one_version_per_sentence_whoever_saves_it(document, people):
    sentence = document.sentences.first()
    assert _save(people["reviewer"], sentence, kind="adjudication").status_code == 200
    stale = _save(people["admin"], sentence, "skipped", kind="adjudication")
    assert stale.status_code == 409, "the admin edited without seeing the reviewer's gold"
    assert _save(people["admin"], sentence, "skipped", version=1, kind="adjudication").status_code == 200
    gold = SentenceAnnotation.objects.get(sentence=sentence, kind="adjudication")
    assert (gold.status, gold.version, gold.annotator.username) == ("skipped", 2, "admin")


def test_agreement_from_the_database_through_the_api_page_and_json_export(project, people, make_user, client):
    """Two annotators label 12 one-claim sentences; they disagree on the stance of 2 (hand-checked kappa)."""
    second = make_user("ann2")
    membership_set(project=project, user=second, role=Role.ANNOTATOR)
    texts = [f"Official {i} said the deal is good." for i in range(12)]
    documents = import_documents(project=project, documents=[d for t in texts for d in parse_text(t)]).created
    assign_documents(project=project, documents=documents, annotators=[people["annotator"], second])
    # Stances: annotator all "support" except two "oppose"; ann2 all "support".
    for i, document in enumerate(documents):
        sentence = document.sentences.get()
        claim = {"claim": [sentence.start, sentence.end]}
        _save(people["annotator"], sentence, "corrected", [{**claim, "stance": "oppose" if i in (0, 1) else "support"}])
        _save(second, sentence, "corrected", [{**claim, "stance": "support" if i != 0 else "oppose"}])
    report = api(people["reviewer"]).get(f"/api/projects/{project.pk}/agreement/").json()
    (pair,) = report["stance_pairs"]
    # p_o = 11/12; p_e = (2/12)(1/12) + (10/12)(11/12) = 112/144; kappa = (132/144 - 112/144) / (32/144) = 0.625
    assert pair["kappa"]["value"] == pytest.approx(0.625)
    assert report["span_f1_mean"]["value"] == pytest.approx(1.0)
    assert api(people["annotator"]).get(f"/api/projects/{project.pk}/agreement/").status_code == 403
    client.force_login(people["reviewer"])
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "0.62 (n=12)" in page or "0.63 (n=12)" in page
    data = json.loads("".join(export_project(project, "json")))
    assert data["agreement"]["stance_pairs"][0]["kappa"]["value"] == pytest.approx(0.625)


def test_adjudication_payload_and_project_page_cost_a_fixed_number_of_queries(project, team, people, client, django_assert_max_num_queries):
    assign_automatically(project=project, per_document=2)
    documents = list(project.documents.order_by("id"))
    for document in documents[:3]:
        for sentence in document.sentences.all():
            for user in team[:2]:
                _save(user, sentence)
    reviewer = api(people["reviewer"])
    reviewer.get(f"/api/documents/{documents[0].pk}/?mode=adjudicate")
    with django_assert_max_num_queries(12):
        payload = reviewer.get(f"/api/documents/{documents[0].pk}/?mode=adjudicate").json()
    assert all(len(row["work"]) == 2 for row in payload["sentences"])
    client.force_login(people["admin"])
    client.get(f"/projects/{project.pk}/")
    with django_assert_max_num_queries(21):  # 21 since the Suggestions card lists the refreshes
        client.get(f"/projects/{project.pk}/")
    for document in documents[3:]:
        for sentence in document.sentences.all():
            for user in team:
                _save(user, sentence)
    with django_assert_max_num_queries(21):
        client.get(f"/projects/{project.pk}/")


def test_blind_by_default_and_open_when_the_project_says_so(document, people, make_user):
    second = make_user("ann2")
    membership_set(project=document.project, user=second, role=Role.ANNOTATOR)
    assign_documents(project=document.project, documents=[document], annotators=[second])
    sentence = document.sentences.first()
    _save(second, sentence, "skipped")
    payload = api(people["annotator"]).get(f"/api/documents/{document.pk}/").json()
    assert "work" not in payload["sentences"][0] and payload["sentences"][0]["annotation"] is None
    document.project.blind = False
    document.project.save()
    payload = api(people["annotator"]).get(f"/api/documents/{document.pk}/").json()
    assert [w["annotator"] for w in payload["sentences"][0]["work"]] == ["ann2"]
    assert payload["sentences"][0]["annotation"] is None, "their work is shown beside mine, never as mine"


def test_a_blind_annotator_sees_no_speaker_someone_else_typed_in(document, people, make_user):
    second = make_user("ann2")
    membership_set(project=document.project, user=second, role=Role.ANNOTATOR)
    assign_documents(project=document.project, documents=[document], annotators=[second])
    sentence = document.sentences.get(index=1)
    start, end = sentence.start, sentence.start + 6
    claim = {"claim": [sentence.start, sentence.end], "speaker": [start, end], "speaker_name": "Three generals"}
    assert _save(second, sentence, "corrected", [claim]).status_code == 200

    def names(user, mode: str = "") -> set[str]:
        listed = api(user).get(f"/api/documents/{document.pk}/{mode}").json()["speakers"]
        # The picker's own endpoint lists exactly what the page was given.
        assert api(user).get(f"/api/documents/{document.pk}/speakers/{mode}").json() == listed
        return {s["name"] for s in listed}

    machine = set(document.speakers.filter(from_machine=True).values_list("name", flat=True))
    assert machine and names(people["annotator"]) == machine
    assert names(second) == machine | {"Three generals"}
    # A deleted creator empties created_by (SET_NULL); the speaker is still a person's work.
    Speaker.objects.filter(name="Three generals").update(created_by=None)
    assert names(people["annotator"]) == machine, "a speaker whose creator is gone is still not the machine's"
    assert "Three generals" in names(people["reviewer"], "?mode=adjudicate")
    assert api(second).get(f"/api/documents/{document.pk}/speakers/?mode=adjudicate").status_code == 403
    outsider = make_user("ann-elsewhere")
    membership_set(project=document.project, user=outsider, role=Role.ANNOTATOR)  # not assigned to it
    assert api(outsider).get(f"/api/documents/{document.pk}/speakers/").status_code in (403, 404)
    document.project.blind = False
    document.project.save()
    assert "Three generals" in names(people["annotator"])


def test_a_member_removed_from_the_project_no_longer_counts_as_assigned(project, team, people):
    """QA16: after a member left and the document was topped up, the list said 3 annotators for 2."""
    from annotate.models import Membership

    document = project.documents.order_by("id").first()
    assign_documents(project=project, documents=[document], annotators=team[1:])
    Membership.objects.filter(project=project, user=team[2]).delete()
    assign_automatically(project=project, per_document=2)

    def assigned(doc_id: int) -> int:
        return next(d for d in selectors.documents_with_progress(project, people["admin"]) if d.pk == doc_id).assigned_count

    assert assigned(document.pk) == 2
    row = next(d for d in api(people["admin"]).get(f"/api/projects/{project.pk}/documents/").json()["results"]
               if d["id"] == document.pk)
    assert row["assigned_count"] == 2
