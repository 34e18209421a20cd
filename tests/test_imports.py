"""Import: every supported format, and every bad input rejected whole with where and why."""
from __future__ import annotations

import html
import io
import json
from io import StringIO

import pytest

from annotate.models import Document, ImportJob, Sentence, Suggestion
from annotate.services.imports import (
    DocumentInput,
    Duplicate,
    ImportRejected,
    import_documents,
    parse_text,
    parse_upload,
)

GOOD_TEXT = "Officials said the talks went well. The weather was fine."


def test_txt_upload_becomes_one_document_with_sentences_and_suggestions(project):
    documents = parse_upload("talks.txt", GOOD_TEXT.encode())
    result = import_documents(project=project, documents=documents)
    document = result.created[0]
    assert document.title == "talks"
    sentences = list(document.sentences.order_by("index"))
    assert [document.text[s.start:s.end] for s in sentences] == ["Officials said the talks went well.", "The weather was fine."]
    suggestion = Suggestion.objects.filter(sentence=sentences[0]).first()
    assert document.text[suggestion.speaker_start:suggestion.speaker_end] == "Officials"
    assert document.text[suggestion.cue_start:suggestion.cue_end] == "said"


def test_jsonl_with_all_fields_and_a_bom(project):
    lines = [
        {"text": GOOD_TEXT, "title": "One", "url": "https://example.org/a", "author": "A. Writer",
         "published": "2018-01-16", "meta": {"outlet": "X"}},
        {"text": "Second text. It is short.", "source_id": 7},
    ]
    data = b"\xef\xbb\xbf" + "\n".join(json.dumps(line) for line in lines).encode() + b"\n\n"
    result = import_documents(project=project, documents=parse_upload("batch.jsonl", data))
    first, second = result.created
    assert (first.title, first.source_url, first.author, str(first.published), first.meta) == (
        "One", "https://example.org/a", "A. Writer", "2018-01-16", {"outlet": "X"}
    )
    assert second.title == "Second text. It is short."
    assert second.meta == {"source_id": 7}, "unknown fields are kept in meta, not dropped"


def test_a_field_given_twice_with_different_values_is_refused_not_dropped():
    """QA16: an extra field and the same key inside 'meta' gave meta's value; the other was lost."""
    line = {"text": GOOD_TEXT, "source": "Reuters", "meta": {"source": "AP", "desk": "world"}}
    with pytest.raises(ImportRejected, match="'source' given both as a field and inside 'meta'"):
        parse_upload("a.jsonl", json.dumps(line).encode())
    same = parse_upload("a.jsonl", json.dumps({**line, "source": "AP"}).encode())
    assert same[0].meta == {"source": "AP", "desk": "world"}


def test_a_url_longer_than_its_column_is_refused():
    """QA16: 2,001 to 2,048 characters passed the URL check and broke the 2,000-character column."""
    with pytest.raises(ImportRejected, match="'url' is longer than 2,000 characters"):
        parse_text(GOOD_TEXT, url="https://example.org/" + "a" * 2000)
    assert parse_text(GOOD_TEXT, url="https://example.org/" + "a" * 1980)[0].source_url.endswith("a")


def test_csv_field_columns_are_read_in_any_case_and_others_keep_theirs(project):
    documents = parse_upload("rows.csv", b"Text,TITLE,SourceID\nOfficials said yes.,Yes,A-7\n")
    assert [(d.text, d.title, d.meta) for d in documents] == [("Officials said yes.", "Yes", {"SourceID": "A-7"})]
    with pytest.raises(ImportRejected, match="column 'text' appears twice"):
        parse_upload("rows.csv", b"text,Text\na,b\n")


def test_csv_with_optional_columns(project):
    data = b'text,title,published\n"Officials said, ""yes"".",Quote,2020-02-03\nPlain text here.,,\n'
    documents = parse_upload("rows.csv", data)
    assert [d.title for d in documents] == ["Quote", "Plain text here."]
    assert documents[0].text == 'Officials said, "yes".'


@pytest.mark.parametrize(
    ("name", "data", "line", "reason"),
    [
        ("a.jsonl", b'{"text": "ok"}\n{"text": "broken"\n', 2, "not valid JSON"),
        ("a.jsonl", b'{"title": "no text"}\n', 1, "missing field 'text'"),
        ("a.jsonl", b'{"text": "   "}\n', 1, "'text' is empty"),
        ("a.jsonl", b'["a list"]\n', 1, "each line must be a JSON object"),
        ("a.jsonl", b'{"text": "x", "published": "yesterday"}\n', 1, "'published' must be a date"),
        ("a.jsonl", b'{"text": "x", "url": "not a url"}\n', 1, "'url' is not a valid URL"),
        ("a.jsonl", b'{"text": "x", "meta": [1]}\n', 1, "'meta' must be a JSON object"),
        ("a.jsonl", b'{"text": "x", "meta": "notobj"}\n', 1, "), not 'notobj'"),
        ("a.jsonl", b'{"text": "first", "title": "t", "text": "second"}\n', 1, "the key 'text' is given twice"),
        ("a.jsonl", b'{"text": "x", "meta": {"id": 1, "id": 2}}\n', 1, "the key 'id' is given twice"),
        ("a.csv", b'text,meta\nx,"{""id"": 1, ""id"": 2}"\n', 2, "'meta': the key 'id' is given twice"),
        ("a.csv", b'text,meta\nx,{broken\n', 2, "'meta' must be a JSON object (in a CSV cell, written as JSON text"),
        ("a.jsonl", b'{"text": "x", "target": ["a", "list"]}\n', 1, "'target' must be a string"),
        ("a.jsonl", b'{"text": "x", "target": "' + b"t" * 301 + b'"}\n', 1, "'target' (the document's stance target) is longer"),
        ("a.csv", b"title\nNo text column\n", 1, "missing column 'text'"),
        ("a.csv", b"text,title\nfine,ok\n,empty\n", 3, "'text' is empty"),
        ("a.csv", b"text\nok,extra\n", 2, "more cells than columns"),
        ("a.txt", "Caf\u00e9 au lait.".encode("latin-1"), 1, "not UTF-8"),
        ("a.txt", "text".encode("utf-16"), None, "UTF-16"),
        ("a.txt", "text".encode("utf-32"), None, "the file is UTF-32"),  # its BOM starts as UTF-16's does
        ("a.txt", b"  \n ", None, "'text' is empty"),
        ("a.pdf", b"%PDF", None, "unsupported file type"),
        ("a.jsonl", b"\n\n", None, "holds no documents"),
        ("a.txt", "Moss said so.".encode("utf-16-le"), 1, "NUL bytes: UTF-16"),  # UTF-16 without its BOM
        ("a.txt", b"PK\x03\x04\x14\x00", None, "ZIP archive"),  # a .docx renamed
        ("a.jsonl", b'{"text": "ok \\u0000 here"}\n', 1, "'text' holds a NUL character"),
        ("a.jsonl", b'{"text": "ok", "title": "a\\u0000b"}\n', 1, "'title' holds a NUL character"),
        ("a.jsonl", b'{"text": "ok", "note": "a\\u0000b"}\n', 1, "extra field holds a NUL character"),
        ("a.csv", b"title;text\nt;body\n", 1, "seems to use ';'"),
        ("a.csv", b'text,title\nfine,ok\n"two\nlines",x,extra\n', 3, "more cells than columns"),  # where the record starts
    ],
)
def test_bad_uploads_are_rejected_with_line_and_reason(project, name, data, line, reason):
    with pytest.raises(ImportRejected) as rejected:
        parse_upload(name, data)
    problem = rejected.value.problems[0]
    assert problem.source == name
    assert problem.line == line
    assert reason in problem.reason
    assert not Document.objects.exists()


def test_jsonl_strings_may_hold_line_separators(project):
    # Valid JSON, as json.dumps(..., ensure_ascii=False) writes it: U+2028 and U+0085 are no line breaks.
    data = '{"text": "The mayor said the tram was late.\u2028Moss disagreed.\u0085Fine."}\n{"text": "Second."}\n'
    documents = parse_upload("web.jsonl", data.encode())
    assert [d.text[:9] for d in documents] == ["The mayor", "Second."]
    assert "\u2028" in documents[0].text


def test_each_input_knows_the_line_of_its_file_it_starts_on():
    """Titles repeat (every row of a file may share one), so reports point at the line instead:
    blank lines count, and a CSV record starts where its quoted newlines begin."""
    jsonl = parse_upload("two.jsonl", b'{"text": "One said yes."}\n\n{"text": "Two said no."}\n')
    assert [d.line for d in jsonl] == [1, 3]
    csv_file = parse_upload("rows.csv", b'text,title\n"One said yes.\nOn two lines.",Same\nTwo said no.,Same\n')
    assert [d.line for d in csv_file] == [2, 4]
    assert [d.line for d in parse_upload("one.txt", b"One said yes.")] == [None]
    assert [d.line for d in parse_text("One said yes.")] == [None]
    # A background import keeps it with the queued upload; one queued before it has none.
    (document,) = jsonl[1:]
    assert DocumentInput.from_json(document.to_json()) == document
    assert DocumentInput.from_json({k: v for k, v in document.to_json().items() if k != "line"}).line is None


def test_json_errors_read_cleanly(project):
    with pytest.raises(ImportRejected) as rejected:
        parse_upload("a.jsonl", b'{"text": "unterminated\n')
    assert rejected.value.problems[0].reason == "not valid JSON: Unterminated string starting at (column 10)"


def test_every_bad_line_is_reported_not_just_the_first(project):
    data = b'{"text": "ok"}\n{oops}\n{"text": ""}\n'
    with pytest.raises(ImportRejected) as rejected:
        parse_upload("a.jsonl", data)
    assert [p.line for p in rejected.value.problems] == [2, 3]
    assert "a.jsonl:2" in str(rejected.value)


def test_huge_upload_is_refused_before_parsing(project, settings):
    settings.CLAIMDESK_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ImportRejected, match="limit is 100"):
        parse_upload("big.txt", b"x" * 101)


def test_too_long_document_is_refused(project, settings):
    settings.CLAIMDESK_MAX_DOCUMENT_CHARS = 10
    with pytest.raises(ImportRejected, match="limit is 10"):
        parse_text("This text is longer than ten characters.")


def test_importing_the_same_text_twice_creates_nothing_twice(project):
    first = import_documents(project=project, documents=parse_text(GOOD_TEXT, title="A"))
    again = import_documents(project=project, documents=parse_text(GOOD_TEXT, title="A again"))
    (stored,) = first.created
    assert again.created == [] and again.duplicates == [Duplicate(1, None, "A again", document_id=stored.pk)]
    assert Document.objects.count() == 1


def test_a_duplicate_says_where_it_is_and_what_it_duplicates(project):
    """Titles alone could not tell them apart: here every row has the same one."""
    old = import_documents(project=project, documents=parse_text("The mayor said the tram was late.")).created[0]
    data = (b'text,title\n'
            b'"Moss said the bus was early.\nShe was sure.",Same\n'  # a record of two lines
            b'The mayor said the tram was late.,Same\n'
            b'"Moss said the bus was early.\nShe was sure.",Same\n'
            b'Brand new; nobody said anything.,Same\n')
    result = import_documents(project=project, documents=parse_upload("rows.csv", data))
    assert len(result.created) == 2
    assert result.duplicates == [Duplicate(position=2, line=4, title="Same", document_id=old.pk),
                                 Duplicate(position=3, line=5, title="Same", repeats=1, repeats_line=2)]


def test_the_same_text_stored_meanwhile_by_another_upload_is_a_duplicate(project, monkeypatch):
    """QA16: two uploads of one text at once (a double-clicked Import) both passed the check
    before spaCy ran, and the second broke the unique constraint: a 500."""
    from annotate.services import imports

    predict = imports.predict_documents

    def meanwhile(rows):
        predictions = predict(rows)
        monkeypatch.setattr(imports, "predict_documents", predict)  # the other upload runs as usual
        import_documents(project=project, documents=parse_text(GOOD_TEXT, title="The other upload"))
        return predictions

    monkeypatch.setattr(imports, "predict_documents", meanwhile)
    old = import_documents(project=project, documents=parse_text("An old text, the mayor said.", title="Old")).created[0]
    documents = (parse_text(GOOD_TEXT, title="Mine") + parse_text("An old text, the mayor said.", title="Old again")
                 + parse_text("A second text, the minister said.", title="Other"))
    result = import_documents(project=project, documents=documents)
    other_upload = Document.objects.get(title="The other upload")
    assert [d.title for d in result.created] == ["Other"]
    assert result.duplicates == [Duplicate(1, None, "Mine", document_id=other_upload.pk),
                                 Duplicate(2, None, "Old again", document_id=old.pk)], "by position, whenever found"
    assert sorted(Document.objects.values_list("title", flat=True)) == ["Old", "Other", "The other upload"]
    assert Sentence.objects.filter(document__title="Other").exists()


def test_a_failure_while_storing_leaves_nothing_behind(project, monkeypatch):
    from annotate.services import imports

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "store_predictions", explode)
    with pytest.raises(RuntimeError):
        import_documents(project=project, documents=parse_text(GOOD_TEXT))
    assert not Document.objects.exists() and not Sentence.objects.exists()


def _jsonl(count: int) -> bytes:
    return "".join(json.dumps({"text": f"Official {i} said the plan {i} works.", "title": f"Doc {i}"}) + "\n"
                   for i in range(count)).encode()


def test_large_uploads_are_imported_in_the_background(project, people, settings, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    from annotate.models import ImportJob

    settings.CLAIMDESK_BACKGROUND_IMPORT_OVER = 3
    client = APIClient()
    client.force_authenticate(people["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/projects/{project.pk}/documents/",
                               {"file": SimpleUploadedFile("many.jsonl", _jsonl(40))}, format="multipart")
    assert response.status_code == 202 and response.json()["total"] == 40
    job = ImportJob.objects.get()
    assert (job.status, job.processed, job.created_count, job.documents) == ("done", 40, 40, [])
    assert Document.objects.filter(project=project).count() == 40
    listed = client.get(f"/api/projects/{project.pk}/imports/").json()
    assert listed[0]["message"].startswith("Imported 40 document(s)")


def test_a_few_long_texts_are_imported_in_the_background(project, settings, django_capture_on_commit_callbacks):
    """QA19: one 200,000-character text, under the document count, held its request for 53 s."""
    from annotate.models import ImportJob
    from annotate.services.imports import import_or_queue

    settings.CLAIMDESK_BACKGROUND_IMPORT_CHARS = 60
    short = parse_upload("short.jsonl", _jsonl(1))
    assert sum(len(d.text) for d in short) <= 60
    assert not isinstance(import_or_queue(project=project, documents=short, source="short.jsonl"), ImportJob)
    long = parse_upload("long.jsonl", _jsonl(4)[len(_jsonl(1)):])  # three new texts, over 60 characters in all
    with django_capture_on_commit_callbacks(execute=True):
        job = import_or_queue(project=project, documents=long, source="long.jsonl")
    assert isinstance(job, ImportJob) and job.total == 3
    job.refresh_from_db()
    assert (job.status, job.created_count) == ("done", 3)


def test_a_file_imported_again_is_answered_at_once(project, people, client, settings):
    """QA19: a large file imported a second time said "Importing 30 documents ... in the
    background", then the job found every one of them stored already."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from annotate.models import ImportJob

    settings.CLAIMDESK_BACKGROUND_IMPORT_OVER = 3
    import_documents(project=project, documents=parse_upload("many.jsonl", _jsonl(5)))
    client.force_login(people["admin"])
    response = client.post(f"/projects/{project.pk}/import/", {"file": SimpleUploadedFile("many.jsonl", _jsonl(5))}, follow=True)
    page = response.content.decode()
    assert "in the background" not in page and "Skipped 5" in page
    assert not ImportJob.objects.exists()


def test_a_failing_background_import_keeps_whole_chunks_and_can_be_rerun(project, settings, monkeypatch):
    from annotate.models import ImportJob
    from annotate.services import imports

    settings.CLAIMDESK_BACKGROUND_IMPORT_OVER = 3
    documents = parse_upload("many.jsonl", _jsonl(40))
    job = imports.import_or_queue(project=project, documents=documents, source="many.jsonl")
    real_store, calls = imports.store_predictions, []

    def store_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(imports, "store_predictions", store_then_fail)
    job = imports.run_import_job(job.pk)
    assert job.status == "failed" and "Stopped after 32 of 40" in job.message
    assert Document.objects.count() == 32, "the first chunk is stored whole, the second not at all"
    monkeypatch.setattr(imports, "store_predictions", real_store)
    again = imports.import_documents(project=project, documents=documents)
    assert len(again.created) == 8 and len(again.duplicates) == 32
    assert ImportJob.objects.get().status == "failed"


def test_a_background_import_of_long_texts_goes_a_few_at_a_time(project, settings, monkeypatch):
    """QA19: a file of three long texts was one chunk, so its progress went from 0 to done."""
    from annotate.services import imports

    settings.CLAIMDESK_BACKGROUND_IMPORT_OVER = 0
    monkeypatch.setattr(imports, "BACKGROUND_CHUNK_CHARS", 50)  # two of these texts hold more
    documents = parse_upload("long.jsonl", _jsonl(5))
    assert all(25 < len(d.text) <= 50 for d in documents)
    job = imports.import_or_queue(project=project, documents=documents, source="long.jsonl")
    steps = []
    real_save = ImportJob.save

    def recording(self, *args, **kwargs):
        steps.append(self.processed)
        real_save(self, *args, **kwargs)

    monkeypatch.setattr(ImportJob, "save", recording)
    job = imports.run_import_job(job.pk)
    assert job.status == "done" and job.created_count == 5
    assert steps[:5] == [1, 2, 3, 4, 5], "a chunk of one text each, each a step of the progress"


def test_ui_import_of_a_large_file_says_it_runs_in_the_background(project, people, client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.CLAIMDESK_BACKGROUND_IMPORT_OVER = 3
    client.force_login(people["admin"])
    response = client.post(f"/projects/{project.pk}/import/", {"file": SimpleUploadedFile("many.jsonl", _jsonl(5))}, follow=True)
    page = response.content.decode()
    assert "Importing 5 documents from many.jsonl in the background" in page and "Background imports" in page


@pytest.mark.django_db(transaction=True)  # committed for real, so the in-process worker runs in the request
def test_an_import_an_in_process_worker_ran_at_once_is_answered_as_done(project, people, client, settings):
    """QA19: the API's 202 said "queued", 0 processed, for a job the worker had already done."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    settings.CLAIMDESK_BACKGROUND_IMPORT_OVER = 3
    api = APIClient()
    api.force_authenticate(people["admin"])
    response = api.post(f"/api/projects/{project.pk}/documents/", {"file": SimpleUploadedFile("many.jsonl", _jsonl(5))},
                        format="multipart")
    assert response.status_code == 202 and (response.json()["status"], response.json()["created"]) == ("done", 5)
    client.force_login(people["admin"])
    response = client.post(f"/projects/{project.pk}/import/", {"file": SimpleUploadedFile("more.jsonl", _jsonl(9))})
    page = client.get(response.url).content.decode()
    assert ("more.jsonl: Imported 4 document(s). Skipped 5 already in the project or repeated in the file: "
            "lines 1, 2, 3, 4, 5.") in page
    assert "in the background" not in page
    # Reported as an import at once reports them (QA23: a count alone), whole positions in the upload.
    [job] = api.get(f"/api/projects/{project.pk}/imports/").json()[:1]
    first = Document.objects.get(project=project, title="Doc 0")
    assert job["duplicates"] == 5 and job["skipped"][0] == {
        "position": 1, "line": 1, "title": "Doc 0", "document": first.pk, "repeats": None, "repeats_line": None}
    assert [record["position"] for record in job["skipped"]] == [1, 2, 3, 4, 5]


def test_a_background_import_reports_a_line_repeating_another_by_its_line(project, settings,
                                                                          django_capture_on_commit_callbacks):
    settings.CLAIMDESK_BACKGROUND_IMPORT_OVER = 3
    from annotate.services import imports

    lines = _jsonl(6).decode().splitlines()
    lines.append(lines[4])  # line 7 repeats line 5, in the same chunk
    documents = imports.parse_upload("rows.jsonl", ("\n".join(lines) + "\n").encode())
    with django_capture_on_commit_callbacks(execute=True):  # the in-process worker runs it
        job = imports.import_or_queue(project=project, documents=documents, source="rows.jsonl")
    job.refresh_from_db()
    assert job.status == "done" and job.created_count == 6
    assert job.skipped == [{"position": 7, "line": 7, "title": "Doc 4", "document": None, "repeats": 5,
                            "repeats_line": 5}]
    assert job.message == ("Imported 6 document(s). Skipped 1 already in the project or repeated in the file: "
                           "line 7.")


def test_the_project_page_says_which_lines_were_skipped_and_links_what_they_duplicate(project, people, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    old = import_documents(project=project, documents=parse_text("The mayor said the tram was late.")).created[0]
    lines = [{"text": "One said yes.", "title": "Same"}, {"text": "The mayor said the tram was late.", "title": "<b>Same</b>"},
             {"text": "One said yes.", "title": "Same"}]
    client.force_login(people["admin"])
    upload = SimpleUploadedFile("rows.jsonl", "\n\n".join(json.dumps(line) for line in lines).encode())
    page = client.post(f"/projects/{project.pk}/import/", {"file": upload}, follow=True).content.decode()
    assert ("Skipped 2 text(s) already in the project or repeated in the upload: line 3 “&lt;b&gt;Same&lt;/b&gt;” "
            f'(<a href="/documents/{old.pk}/">document {old.pk}</a>), line 5 repeats line 1</li>') in page
    # A pasted text is no line of a file; and past five, the rest are counted.
    page = client.post(f"/projects/{project.pk}/import/", {"text": "The mayor said the tram was late.", "title": "Again"},
                       follow=True).content.decode()
    assert f'the upload: “Again” (<a href="/documents/{old.pk}/">document {old.pk}</a>)</li>' in page
    upload = SimpleUploadedFile("many.jsonl", "\n".join(json.dumps({"text": "One said yes."}) for _ in range(8)).encode())
    page = client.post(f"/projects/{project.pk}/import/", {"file": upload}, follow=True).content.decode()
    assert "Skipped 8 text(s)" in page and "line 5 “One said yes.” (" in page and ") and 3 more</li>" in page
    assert "line 6" not in page


def test_ui_import_refuses_a_file_and_a_pasted_text_together(project, people, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(people["admin"])
    response = client.post(f"/projects/{project.pk}/import/", {
        "file": SimpleUploadedFile("a.txt", b"Officials said the bridge will reopen."),
        "title": "Pasted", "text": "The mayor said the tram was late.",
    }, follow=True)
    assert "Choose a file or paste a text, not both" in response.content.decode()
    assert not Document.objects.exists()


def test_a_txt_headline_line_becomes_the_title(project):
    (document,) = parse_upload("story.txt", b"Council approves bridge repairs\n\nThe council voted on Tuesday. It was close.\n")
    assert document.title == "Council approves bridge repairs"
    assert document.text.startswith("Council approves"), "the text itself is kept whole"


@pytest.mark.parametrize(
    ("content", "title"),
    [
        (b"Council approves bridge repairs\nThe council voted on Tuesday.\n", "Council approves bridge repairs"),
        (b"The council voted on Tuesday.\nIt was close.\n", "story"),  # a sentence, not a headline
        (b"FACT CHECK: Did the mayor say trams cut emissions?\nNo, she did not.\n", "FACT CHECK: Did the mayor say trams cut emissions?"),
        (b"The council voted on Tuesday after a long\ndebate that ran late.\n", "story"),  # a hard wrap
    ],
)
def test_a_headline_needs_no_blank_line_after_it(project, content, title):
    (document,) = parse_upload("story.txt", content)
    assert document.title == title


def test_the_projects_quote_convention_shapes_its_suggestions(project):
    text = '"We will build it," the mayor said. "It will be ready in May."'
    project.quote_convention = "split"
    project.save()
    document = import_documents(project=project, documents=parse_text(text)).created[0]
    claims = Suggestion.objects.filter(sentence__document=document).exclude(cue_start=None).order_by("claim_start")
    assert [text[c.claim_start:c.claim_end] for c in claims] == ['"We will build it,"', '"It will be ready in May."']


def test_suggestions_use_only_the_projects_active_labels(project):
    """The rules choose among the labels a project has: a retired label is never suggested,
    and a project without "neutral" gets a side even for a hedged sentence."""
    from annotate.models import StanceLabel

    text = "Officials reportedly said that US–Pakistan cooperation may improve."
    first = import_documents(project=project, documents=parse_text(text)).created[0]
    assert {s.stance.value for s in Suggestion.objects.filter(sentence__document=first)} == {"neutral"}

    StanceLabel.objects.filter(project=project, value="neutral").update(retired=True)
    second = import_documents(project=project, documents=parse_text(text + " Really.")).created[0]
    stances = [s.stance for s in Suggestion.objects.filter(sentence__document=second).select_related("stance")]
    assert stances and all(s is not None and s.value in ("support", "oppose") for s in stances)


def test_a_document_can_bring_its_own_stance_target(project):
    """Emergent-style data: each row is judged toward its own target; the export says which."""
    from annotate.exporters import export_project

    lines = [
        {"text": "The old bridge over the river will not reopen in spring.",
         "target": "The old bridge over the river will reopen in spring"},
        {"text": "Officials said the talks went well."},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    own, default = import_documents(project=project, documents=parse_upload("rows.jsonl", data)).created
    target = "The old bridge over the river will reopen in spring"
    assert (own.stance_target, own.effective_target) == (target, target)
    assert (default.stance_target, default.effective_target) == ("", project.stance_target)
    suggestion = Suggestion.objects.filter(sentence__document=own).get()
    assert suggestion.stance.value == "oppose", "judged toward the document's own target (negated)"
    rows = [json.loads(line) for line in "".join(export_project(project, "jsonl")).splitlines()]
    assert {row["document_id"]: row["stance_target"] for row in rows} == {
        own.pk: target, default.pk: project.stance_target}


def _jsonl_with(bad: dict[str, object] | str, at: int, count: int = 40) -> bytes:
    """`count` good lines, line `at` replaced by `bad` (a dict, or a line written by hand)."""
    lines = _jsonl(count).decode().splitlines()
    lines[at - 1] = bad if isinstance(bad, str) else json.dumps(bad)
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"text": "Officials said \\ud800 yes."}', "'text' holds an unpaired surrogate (U+D800)"),
        ('{"text": "Officials said yes.", "title": "a\\udc00"}', "'title' holds an unpaired surrogate (U+DC00)"),
        ('{"text": "Officials said yes.", "author": "\\ud800"}', "'author' holds an unpaired surrogate (U+D800)"),
        ('{"text": "Officials said yes.", "target": "\\ud800"}', "'target' holds an unpaired surrogate (U+D800)"),
        ('{"text": "Officials said yes.", "url": "https://e.org/\\ud800"}', "'url' holds an unpaired surrogate"),
        ('{"text": "Officials said yes.", "published": "\\ud800"}', "'published' holds an unpaired surrogate"),
        ('{"text": "Officials said yes.", "meta": {"a": [1, {"b": "\\ud800"}]}}', "'meta' holds an unpaired surrogate"),
        ('{"text": "Officials said yes.", "meta": {"\\ud800": 1}}', "'meta' holds an unpaired surrogate"),
        ('{"text": "Officials said yes.", "note": "\\ud800"}', "'note' holds an unpaired surrogate"),
        ('{"text": "Officials said yes.", "\\ud800": 1}', "a field name holds an unpaired surrogate"),
    ],
)
def test_an_unpaired_surrogate_anywhere_rejects_the_file(project, line, reason):
    """JSON's "\\ud800" escape makes a str that cannot be encoded: hashing or storing it would fail."""
    with pytest.raises(ImportRejected) as rejected:
        parse_upload("file.jsonl", _jsonl_with(line, at=36))
    (problem,) = rejected.value.problems
    assert problem.line == 36 and problem.reason.startswith(reason)
    str(rejected.value).encode("utf-8")  # the message itself can be printed and sent


def test_an_unpaired_surrogate_in_a_large_upload_stores_nothing_anywhere(project, people, client, tmp_path,
                                                                        django_capture_on_commit_callbacks):
    """Over the background threshold too: rejected up front, not 32 documents in and then a failed job."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from rest_framework.test import APIClient

    from annotate.models import ImportJob

    data = _jsonl_with('{"text": "Officials said \\ud800 yes."}', at=36)
    expected = "file.jsonl:36: 'text' holds an unpaired surrogate (U+D800)"
    api = APIClient()
    api.force_authenticate(people["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/projects/{project.pk}/documents/",
                            {"file": SimpleUploadedFile("file.jsonl", data)}, format="multipart")
    assert response.status_code == 400 and expected in response.json()["detail"]
    pasted = api.post(f"/api/projects/{project.pk}/documents/", '{"text": "Officials said \\ud800 yes."}',
                      content_type="application/json")
    assert pasted.status_code == 400 and "U+D800" in pasted.json()["text"][0]  # DRF's own check of strings
    client.force_login(people["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/projects/{project.pk}/import/", {"file": SimpleUploadedFile("file.jsonl", data)}, follow=True)
    assert page.status_code == 200 and expected in html.unescape(page.content.decode())
    path = tmp_path / "file.jsonl"
    path.write_bytes(data)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_documents", project.name, str(path), stdout=StringIO(), stderr=err)
    assert f"{path}:36: 'text' holds an unpaired surrogate (U+D800)" in err.getvalue()
    assert not Document.objects.exists() and not ImportJob.objects.exists()


NOT_JSON = "holds NaN or Infinity, which JSON does not allow"
TOO_LARGE = "holds a number too large to store (it overflows to Infinity)"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("file.jsonl", b'{"text": "Officials said yes.", "meta": {"score": NaN}}\n', f"'meta' {NOT_JSON}"),
        ("file.jsonl", b'{"text": "Officials said yes.", "meta": {"a": [Infinity]}}\n', f"'meta' {NOT_JSON}"),
        ("file.jsonl", b'{"text": "Officials said yes.", "score": -Infinity}\n', f"'score' {NOT_JSON}"),
        ("file.jsonl", b'{"text": "Officials said yes.", "meta": {"score": 1e400}}\n', f"'meta' {TOO_LARGE}"),
        ("file.jsonl", b'{"text": "Officials said yes.", "score": -1e400}\n', f"'score' {TOO_LARGE}"),
        ("file.csv", b'text,meta\nOfficials said yes.,"{""score"": NaN}"\n', f"'meta' {NOT_JSON}"),
        ("file.csv", b'text,meta\nOfficials said yes.,"{""score"": Infinity}"\n', f"'meta' {NOT_JSON}"),
        ("file.csv", b'text,meta\nOfficials said yes.,"{""score"": 1e400}"\n', f"'meta' {TOO_LARGE}"),
    ],
)
def test_nan_and_infinity_are_refused_not_stored(project, name, data, reason):
    """Python's json reads them; the database's JSON check does not, so they gave an IntegrityError."""
    with pytest.raises(ImportRejected) as rejected:
        parse_upload(name, data)
    assert [str(p) for p in rejected.value.problems] == [f"{name}:{1 if name.endswith('jsonl') else 2}: {reason}"]


def test_nan_in_an_upload_is_a_400_not_a_500(project, people):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(people["admin"])
    upload = SimpleUploadedFile("file.jsonl", b'{"text": "Officials said yes.", "meta": {"score": NaN}}\n')
    response = api.post(f"/api/projects/{project.pk}/documents/", {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert response.json()["problems"] == [{"source": "file.jsonl", "line": 1, "reason": f"'meta' {NOT_JSON}"}]
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        (b'title,text\nA,"unclosed quote said bob\nB,more text said alice\n',
         ["file.csv:2: a quoted cell that starts here is never closed (a '\"' is missing)"]),
        (b'title,text\n"ok","text said bob" trailing junk\n',
         ["file.csv:2: text after the closing '\"' of a quoted cell (a '\"' inside a cell is written '\"\"')"]),
        (b'title,text\nA,"two\nlines" and junk\n',  # the line where the record starts
         ["file.csv:2: text after the closing '\"' of a quoted cell (a '\"' inside a cell is written '\"\"')"]),
        (b'"title" x,text\nok,text said bob\n',
         ["file.csv:1: malformed CSV header: text after the closing '\"' of a quoted cell (a '\"' inside a cell is "
          "written '\"\"')"]),
        (b"text,title,text\nOfficials said yes.,A,and more\n", ["file.csv:1: column 'text' appears twice"]),
        (b"text, title ,title\nOfficials said yes.,A,B\n", ["file.csv:1: column 'title' appears twice"]),
    ],
)
def test_malformed_csv_is_rejected_not_merged(project, data, problems):
    """Without strict parsing an unclosed quote swallowed the rows after it, and a repeated
    column kept only its last cell."""
    with pytest.raises(ImportRejected) as rejected:
        parse_upload("file.csv", data)
    assert [str(p) for p in rejected.value.problems] == problems


def test_csv_quoting_done_right_is_still_accepted(project):
    data = b'title,text\n"A, quoted","Officials said ""yes"",\nthen left."\nB,Plain text said bob.\n'
    first, second = parse_upload("file.csv", data)
    assert (first.title, first.text) == ("A, quoted", 'Officials said "yes",\nthen left.')
    assert second.text == "Plain text said bob."


@pytest.mark.parametrize("value", ["2018-01-16garbage", "2018-01-16 (approx.)", "2018-01-16T25:00", "2018-01-16T", "16/01/2018"])
def test_a_date_with_anything_after_it_is_refused(project, value):
    """Only the first ten characters were read, so "2018-01-16garbage" was stored as 2018-01-16."""
    line = json.dumps({"text": "Officials said yes.", "published": value})
    with pytest.raises(ImportRejected) as rejected:
        parse_upload("file.jsonl", line.encode())
    (problem,) = rejected.value.problems
    assert str(problem) == (f"file.jsonl:1: 'published' must be a date like 2018-01-16 or a date and time like "
                            f"2018-01-16T09:30:00Z, not {value!r}")


@pytest.mark.parametrize(
    "value",
    ["2018-01-16", " 2018-01-16 ", "2018-01-16T09:30:00Z", "2018-01-16T09:30:00+05:00", "2018-01-16 09:30",
     "2018-01-16T09:30:00.123456", "20180116"],
)
def test_dates_and_iso_datetimes_are_still_accepted(project, value):
    line = json.dumps({"text": "Officials said yes.", "published": value})
    (document,) = parse_upload("file.jsonl", line.encode())
    assert str(document.published) == "2018-01-16"


@pytest.mark.parametrize(
    ("text", "shown"),
    [("\u200b", "U+200B"), ("\ufeff \ufeff", "U+FEFF"), (" \u200d\u2060\u00ad\n", "U+200D"), ("\x07\x1b", "U+0007"),
     ("\u3000\u2029\u202f\u200e", "U+200E"),
     # QA12: a Hangul filler, a blank Braille pattern, combining marks with nothing to sit on
     ("\u3164\u3164", "U+3164"), ("\u2800", "U+2800"), ("\u0301\ufe0f", "U+0301")],
)
def test_a_text_of_invisible_characters_is_empty(project, text, shown):
    """str.strip() keeps a zero-width space or a BOM, so such a text was imported as a blank document."""
    with pytest.raises(ImportRejected) as rejected:
        parse_upload("file.jsonl", json.dumps({"text": text}).encode())
    assert [str(p) for p in rejected.value.problems] == [
        f"file.jsonl:1: 'text' is empty: it holds only invisible characters ({shown} and the like)"]


def test_a_text_with_one_visible_character_among_invisible_ones_is_kept(project):
    (document,) = parse_upload("file.jsonl", json.dumps({"text": "\u200bYes.\u200b"}).encode())
    assert document.text == "\u200bYes.\u200b"


def test_a_text_is_the_same_with_or_without_its_last_newline(project):
    """The hash was of the text as it came, so a .txt's final newline made it a different text."""
    first = import_documents(project=project, documents=parse_upload("talks.txt", b"Officials said the talks went well.\n"))
    again = import_documents(project=project, documents=parse_text("Officials said the talks went well."))
    spaced = import_documents(project=project, documents=parse_upload(
        "talks.jsonl", json.dumps({"text": "\n  Officials said the talks went well. \r\n\r\n"}).encode()))
    (document,) = first.created
    assert again.duplicates == [Duplicate(1, None, "Officials said the talks went well.", document_id=document.pk)]
    assert spaced.created == [] and [(d.line, d.document_id) for d in spaced.duplicates] == [(1, document.pk)]
    assert document.text == "Officials said the talks went well.", "stored as hashed, without the newline"
    assert [document.text[s.start:s.end] for s in document.sentences.all()] == [document.text]


def test_a_text_stored_with_its_newline_before_is_still_found(project, settings):
    """Stored hashes never change (they key the stance training split), so a text stored with its
    newline keeps that hash; importing it again, at once or in the background, still finds it."""
    import hashlib

    from annotate.models import ImportJob
    from annotate.services.imports import import_or_queue, run_import_job

    old = "Officials said the talks went well.\n"
    stored = Document.objects.create(project=project, title="old", text=old,
                                     text_sha256=hashlib.sha256(old.encode()).hexdigest())
    result = import_documents(project=project, documents=parse_upload("talks.txt", old.encode()))
    assert result.created == [] and result.duplicates == [Duplicate(1, None, "talks", document_id=stored.pk)]

    settings.CLAIMDESK_BACKGROUND_IMPORT_OVER = 0  # in the background, with one new text
    documents = parse_upload("talks.jsonl", (json.dumps({"text": old}) + "\n" + json.dumps({"text": "New said so."})).encode())
    job = run_import_job(import_or_queue(project=project, documents=documents, source="talks.jsonl").pk)
    assert (job.status, job.created_count, job.duplicate_count) == ("done", 1, 1)
    # A job queued before texts were stripped holds them as they came.
    queued = ImportJob.objects.create(project=project, source="old.jsonl", total=1, documents=[
        {**DocumentInput(text=old).to_json(), "unstripped_sha256": None}])
    assert run_import_job(queued.pk).duplicate_count == 1
    assert Document.objects.get(pk=stored.pk).text_sha256 == hashlib.sha256(old.encode()).hexdigest()
    assert Document.objects.count() == 2


def test_a_stance_target_given_with_a_file_applies_to_its_documents(project, people, client):
    """It was dropped without a word; a line's own target still wins, and a blank CSV cell is no target."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    jsonl = (json.dumps({"text": "One said yes.", "target": "Own target"}) + "\n"
             + json.dumps({"text": "Two said no."}) + "\n").encode()
    client.force_login(people["admin"])
    client.post(f"/projects/{project.pk}/import/", {"file": SimpleUploadedFile("rows.jsonl", jsonl), "title": "",
                                                    "target": " Bridge repairs "}, follow=True)
    api = APIClient()
    api.force_authenticate(people["admin"])
    csv_data = b"text,target\nThree said so.,\nFour said so.,Row target\n"
    response = api.post(f"/api/projects/{project.pk}/documents/",
                        {"file": SimpleUploadedFile("rows.csv", csv_data), "target": "Tram lines"}, format="multipart")
    assert response.status_code == 201
    response = api.post(f"/api/projects/{project.pk}/documents/",
                        {"file": SimpleUploadedFile("one.txt", b"Five said so.\n"), "target": "Ferries", "title": "Five"},
                        format="multipart")
    assert response.status_code == 201
    assert list(Document.objects.order_by("pk").values_list("title", "stance_target")) == [
        ("One said yes.", "Own target"), ("Two said no.", "Bridge repairs"),
        ("Three said so.", "Tram lines"), ("Four said so.", "Row target"), ("Five", "Ferries")]


def test_a_title_given_with_a_file_names_its_one_document_or_is_refused(project, people, client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    (one,) = parse_upload("one.jsonl", b'{"text": "One said yes."}\n', title="Given")
    (own,) = parse_upload("own.csv", b"text,title\nOne said yes.,Own\n", title="Given")
    assert (one.title, own.title) == ("Given", "Own")
    two = b'{"text": "One said yes."}\n{"text": "Two said no."}\n'
    with pytest.raises(ImportRejected) as rejected:
        parse_upload("two.jsonl", two, title="Given")
    assert [str(p) for p in rejected.value.problems] == [
        "two.jsonl: the title given with the file names one document, but the file holds 2: give the 2 line(s) "
        "without one their own 'title' in the file, or give no title"]
    # QA13: when every line has its own title, the advice is to leave it empty
    titled = b'{"text": "One said yes.", "title": "A"}\n{"text": "Two said no.", "title": "B"}\n'
    with pytest.raises(ImportRejected, match="every line already has its own 'title': leave the title empty"):
        parse_upload("titled.jsonl", titled, title="Given")
    client.force_login(people["admin"])
    page = client.post(f"/projects/{project.pk}/import/", {"file": SimpleUploadedFile("two.jsonl", two), "title": "Given"},
                       follow=True)
    assert "the title given with the file names one document" in page.content.decode()
    api = APIClient()
    api.force_authenticate(people["admin"])
    response = api.post(f"/api/projects/{project.pk}/documents/",
                        {"file": SimpleUploadedFile("one.txt", b"One said yes."), "author": "A. Writer"}, format="multipart")
    assert response.status_code == 400 and "author" in response.json()
    assert not Document.objects.exists()


def test_a_bad_title_or_target_given_with_a_file_is_said_once(project):
    data = b'{"text": "One said yes."}\n{"text": "Two said no."}\n'
    with pytest.raises(ImportRejected) as rejected:
        parse_upload("rows.jsonl", data, target="t" * 301)
    assert [str(p) for p in rejected.value.problems] == [
        "rows.jsonl: the stance target given with the file is longer than 300 characters"]


def test_a_pasted_text_through_the_api_keeps_its_meta(project, people):
    """README: pasted texts and the API take the same fields as a JSONL line; meta was dropped."""
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(people["admin"])
    url = f"/api/projects/{project.pk}/documents/"
    meta = {"outlet": "X", "ids": [1, 2], "nested": {"ok": True}}
    response = api.post(url, {"text": "Officials said yes.", "meta": meta}, format="json")
    assert response.status_code == 201 and Document.objects.get().meta == meta
    form = api.post(url, {"text": "Officials said no.", "meta": '{"outlet": "Y"}'}, format="multipart")
    assert form.status_code == 201 and Document.objects.get(pk=form.json()["created"][0]).meta == {"outlet": "Y"}
    for bad in (["a", "list"], "text", 3):
        response = api.post(url, {"text": "Officials said maybe.", "meta": bad}, format="json")
        assert response.status_code == 400 and "meta" in response.json(), bad
    # null is none, as in a JSONL line (QA19).
    response = api.post(url, {"text": "Officials said nothing.", "meta": None}, format="json")
    assert response.status_code == 201 and Document.objects.get(pk=response.json()["created"][0]).meta == {}
    response = api.post(url, '{"text": "Officials said maybe.", "meta": {"score": 1e400}}', content_type="application/json")
    assert response.json()["problems"][0]["reason"] == f"'meta' {TOO_LARGE}"
    response = api.post(url, {"text": "Officials said maybe.", "meta": '{"score": NaN}'}, format="multipart")
    assert response.json()["problems"][0]["reason"] == f"'meta' {NOT_JSON}"
    assert Document.objects.count() == 3


@pytest.mark.parametrize(("bad_lines", "more"), [(20, None), (21, "… and 1 more problem (the API"),
                                                 (25, "… and 5 more problems (the API")])
def test_the_project_page_says_how_many_problems_it_does_not_list(project, people, client, bad_lines, more):
    """It listed 20 and dropped the rest without a word."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = b'{"text": ""}\n' * bad_lines
    client.force_login(people["admin"])
    page = html.unescape(client.post(f"/projects/{project.pk}/import/",
                                     {"file": SimpleUploadedFile("bad.jsonl", data)}, follow=True).content.decode())
    assert page.count("Rejected, nothing stored — bad.jsonl:") == 20
    assert "bad.jsonl:20: 'text' is empty" in page and "bad.jsonl:21:" not in page
    assert (more in page) if more else ("more problem" not in page)


@pytest.mark.parametrize(
    ("depth", "reason"),
    [(101, "'meta' is nested more than 100 levels deep"), (900, "'meta' is nested more than 100 levels deep"),
     (100_000, "not valid JSON: nested too deeply (column 1)")],
)
def test_deeply_nested_json_is_a_bad_line_not_a_crash(project, depth, reason):
    """json.loads raised RecursionError past the stack's depth, which no handler caught; 900 levels
    parsed, but storing them through the API ran out of stack (a 500)."""
    line = '{"text": "Officials said yes.", "meta": {"a": ' + "[" * depth + "]" * depth + "}}"
    with pytest.raises(ImportRejected) as rejected:
        parse_upload("file.jsonl", line.encode())
    assert [str(p) for p in rejected.value.problems] == [f"file.jsonl:1: {reason}"]
    line = '{"text": "Officials said yes.", "meta": {"a": ' + "[" * 99 + "]" * 99 + "}}"
    assert len(parse_upload("file.jsonl", line.encode())) == 1


def test_the_command_gives_its_target_to_the_documents_of_a_project_that_exists(project, tmp_path):
    """QA12: --target was used only for a project the command created, and dropped without a word otherwise."""
    from django.core.management import call_command

    source = tmp_path / "batch.jsonl"
    source.write_text(json.dumps({"text": "Officials said the plan works."}) + "\n"
                      + json.dumps({"text": "Critics said it fails.", "target": "Its own target"}) + "\n", encoding="utf-8")
    call_command("import_documents", project.name, str(source), target="The plan", stdout=io.StringIO())
    assert sorted(project.documents.values_list("stance_target", flat=True)) == ["Its own target", "The plan"]
    call_command("import_documents", "Brand new", str(source), create=True, target="The plan", stdout=io.StringIO())
    from annotate.models import Project

    created = Project.objects.get(name="Brand new")
    assert created.stance_target == "The plan"
    assert sorted(created.documents.values_list("stance_target", flat=True)) == ["", "Its own target"]


def test_a_target_or_title_of_invisible_characters_is_none(project, people):
    """QA: a target of a zero-width space was stored as the document's own and overrode the
    project's, where one of spaces was none; invisible characters at the ends are no part of one."""
    from rest_framework.test import APIClient

    lines = [{"text": "One said yes.", "target": "\u200b", "title": "\u200b\u2060"},
             {"text": "Two said no.", "target": "\ufeff\u00adBridge\u200brepairs\u200b ", "title": " \u200dTwo\u200b"}]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    one, two = parse_upload("rows.jsonl", data)
    assert (one.stance_target, one.title) == ("", "One said yes.")
    assert (two.stance_target, two.title) == ("Bridge\u200brepairs", "Two"), "one inside stays"
    # The file's target applies to a line whose own shows nothing, as to a blank CSV cell.
    one, two = parse_upload("rows.jsonl", data, target="\u200bFerries\ufeff")
    assert (one.stance_target, two.stance_target) == ("Ferries", "Bridge\u200brepairs")
    (cell,) = parse_upload("rows.csv", "text,target\nThree said so.,\u200b\n".encode(), target="Trams")
    assert cell.stance_target == "Trams"
    (given,) = parse_upload("four.txt", b"Four said so.", target="\u200b", title="\ufeff\u200b")
    assert (given.stance_target, given.title) == ("", "four")
    api = APIClient()
    api.force_authenticate(people["admin"])
    response = api.post(f"/api/projects/{project.pk}/documents/",
                        {"text": "Five said so.", "target": "\u200b", "title": "\u2060"}, format="json")
    assert response.status_code == 201, response.content
    stored = Document.objects.get()
    assert (stored.stance_target, stored.effective_target, stored.title) == ("", project.stance_target, "Five said so.")


def test_a_title_or_target_with_a_control_character_is_refused_and_one_on_two_lines_is_one_line(project, people):
    """QA: a title holding a bell (\\x07) or a line break was stored as it came. A control
    character shows as nothing or as a box (an escape can recolour a terminal showing the export):
    refused with its line. A line break or a tab is only spacing: a CSV title typed on two lines,
    a JSONL title with a tab, become one line, as a title is shown."""
    from rest_framework.test import APIClient

    lines = [{"text": "One said yes.", "title": "Bell\x07"}, {"text": "Two said no.", "target": "\x1b[31mRed"},
             {"text": "Three said so.", "title": "Fine\ttitle", "target": "Bridge\r\n repairs"}]
    with pytest.raises(ImportRejected) as rejected:
        parse_upload("rows.jsonl", "\n".join(json.dumps(line) for line in lines).encode())
    assert [str(p) for p in rejected.value.problems] == [
        "rows.jsonl:1: 'title' holds a control character (U+0007), which shows as nothing or as a box: remove it",
        "rows.jsonl:2: 'target' holds a control character (U+001B), which shows as nothing or as a box: remove it"]
    (three,) = parse_upload("rows.jsonl", json.dumps(lines[2]).encode())
    assert (three.title, three.stance_target) == ("Fine title", "Bridge repairs")
    with pytest.raises(ImportRejected, match="U\\+202E"):  # turns the title around as it shows (QA23)
        parse_upload("rows.jsonl", json.dumps({"text": "Five said so.", "title": "\u202etxt.exe"}).encode())
    (cell,) = parse_upload("rows.csv", b'text,title\nFour said so.,"Tram plans:\n  what next"\n')
    assert cell.title == "Tram plans: what next"
    with pytest.raises(ImportRejected) as rejected:
        parse_upload("rows.jsonl", json.dumps(lines[2]).encode(), title="Given\x07")
    assert [str(p) for p in rejected.value.problems] == [
        "rows.jsonl: the title given with the file holds a control character (U+0007), which shows as nothing or "
        "as a box: remove it"]
    # A title made from the text leaves out what the text may hold.
    (story,) = parse_upload("story.txt", b"Council\x07 approves repairs\n\nThe council voted. It was close.\n")
    (pasted,) = parse_text("\x1bOfficials said the talks went well.")
    assert (story.title, pasted.title) == ("Council approves repairs", "Officials said the talks went well.")
    api = APIClient()
    api.force_authenticate(people["admin"])
    response = api.post(f"/api/projects/{project.pk}/documents/", {"text": "Five said so.", "title": "Five\x07"},
                        format="json")
    assert response.status_code == 400 and "'title' holds a control character (U+0007)" in response.content.decode()
    assert not Document.objects.exists()
