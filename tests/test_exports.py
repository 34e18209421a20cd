"""Each export format, parsed back and compared with what is stored."""
from __future__ import annotations

import csv
import io
import json

import pytest

from annotate.exporters import export_project
from annotate.models import Annotation, Suggestion
from annotate.services.annotations import ClaimInput, save_sentence_annotation


@pytest.fixture
def labelled(document, people):
    """Sentence 1 corrected (stance changed, new speaker span), sentence 0 marked no claim, the rest untouched."""
    text = document.text
    first, second = document.sentences.get(index=0), document.sentences.get(index=1)
    save_sentence_annotation(sentence=first, user=people["annotator"], status="no_claim", claims=[], expected_version=None)
    suggestion = Suggestion.objects.filter(sentence=second).first()
    speaker_start = text.index("senior officials")
    save_sentence_annotation(
        sentence=second, user=people["annotator"], status="corrected", expected_version=None,
        claims=[ClaimInput(claim=(suggestion.claim_start, suggestion.claim_end), speaker=(speaker_start, speaker_start + 16),
                           cue=(suggestion.cue_start, suggestion.cue_end), stance="oppose", suggestion_id=suggestion.pk)],
    )
    return document


def read(project, fmt: str, **kwargs) -> str:
    return "".join(export_project(project, fmt, **kwargs))


def test_jsonl_has_one_line_per_sentence_with_suggestions_and_labels(labelled):
    lines = [json.loads(line) for line in read(labelled.project, "jsonl").splitlines()]
    assert [line["sentence_index"] for line in lines] == list(range(labelled.sentences.count()))
    first, second = lines[0], lines[1]
    assert first["annotations"][0]["status"] == "no_claim" and first["annotations"][0]["claims"] == []
    claim = second["annotations"][0]["claims"][0]
    stored = Annotation.objects.get()
    assert (claim["speaker_text"], claim["speaker_start"], claim["stance"]) == ("senior officials", stored.speaker_start, "oppose")
    assert claim["claim_text"] == labelled.text[stored.claim_start:stored.claim_end]
    assert second["annotations"][0]["annotator"] == "annotator"
    assert second["suggestions"][0]["model"].startswith("claimdesk:")
    # What the machine's stance was suggested toward (a worked sentence keeps an earlier one's).
    assert second["suggestions"][0]["stance_target"] == second["stance_target"] == labelled.effective_target != ""
    assert lines[-1]["annotations"] == [] and lines[-1]["sentence_text"] == "The meeting lasted two hours."


def test_json_groups_sentences_by_document(labelled):
    data = json.loads(read(labelled.project, "json"))
    (document,) = data["documents"]
    assert document["document_id"] == labelled.pk and document["document_title"] == "Sample"
    assert len(document["sentences"]) == labelled.sentences.count()
    assert document["sentences"][1]["annotations"][0]["claims"][0]["stance"] == "oppose"


def test_json_of_an_empty_project_is_valid(project):
    data = json.loads(read(project, "json"))
    assert data["documents"] == []
    assert data["agreement"]["stance_alpha"]["value"] is None


def test_csv_has_a_row_per_claim_and_keeps_the_suggestion_beside_it(labelled):
    rows = list(csv.DictReader(io.StringIO(read(labelled.project, "csv"))))
    by_sentence = {}
    for row in rows:
        by_sentence.setdefault(int(row["sentence_index"]), []).append(row)
    (no_claim,) = by_sentence[0]
    assert no_claim["status"] == "no_claim" and no_claim["claim_text"] == "" and no_claim["annotator"] == "annotator"
    (corrected,) = by_sentence[1]
    suggestion = Suggestion.objects.get(sentence__index=1, sentence__document=labelled)
    assert corrected["status"] == "corrected"
    assert corrected["speaker_text"] == "senior officials" and corrected["stance"] == "oppose"
    assert corrected["suggested_claim_text"] == labelled.text[suggestion.claim_start:suggestion.claim_end]
    assert corrected["suggested_speaker_confidence"] != ""
    assert corrected["suggested_stance_target"] == corrected["stance_target"] == labelled.effective_target
    assert by_sentence[3][0]["status"] == "unannotated"
    assert rows[0].keys() >= {"document_id", "document_title", "document_url", "sentence_text", "annotated_at", "cue_text",
                              "claim_start"}
    # The same sentence fields in every format (README, "Export fields").
    assert set(json.loads(read(labelled.project, "jsonl").splitlines()[0])) - {"suggestions", "annotations"} <= rows[0].keys()


def test_csv_cells_a_spreadsheet_would_run_are_kept_as_text(project):
    """QA11: a title or sentence starting with "=" went out as a live formula; JSON keeps the text exactly."""
    from annotate.services.imports import import_documents, parse_text

    text = "=1+2 the minister said that formulas are fine.\n\n@council Officials said the plan works."
    import_documents(project=project, documents=parse_text(text, title='=HYPERLINK("http://evil.example","click")'))
    rows = list(csv.DictReader(io.StringIO(read(project, "csv"))))
    assert {row["document_title"] for row in rows} == {'\'=HYPERLINK("http://evil.example","click")'}
    assert [row["sentence_text"][:5] for row in rows] == ["'=1+2", "'@cou"]
    assert all(row["sentence_start"].isdigit() for row in rows)  # numbers are numbers still
    (document,) = json.loads(read(project, "json"))["documents"]
    assert document["document_title"].startswith("=HYPERLINK")
    assert document["sentences"][0]["sentence_text"].startswith("=1+2")


def test_annotators_export_only_their_own_work(labelled, people):
    sentence = labelled.sentences.get(index=2)
    save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="no_claim", claims=[], expected_version=None)
    mine = [json.loads(line) for line in read(labelled.project, "jsonl", annotator=people["annotator"]).splitlines()]
    assert {a["annotator"] for line in mine for a in line["annotations"]} == {"annotator"}
    everyone = [json.loads(line) for line in read(labelled.project, "jsonl").splitlines()]
    assert {a["annotator"] for line in everyone for a in line["annotations"]} == {"annotator", "reviewer"}


def test_every_format_follows_the_annotator_and_gold_scope(labelled, people):
    """An annotator's file holds their assigned documents and their own work only, in every
    format (the attributions one included); gold holds only the adjudicated versions."""
    from annotate.services.imports import import_documents, parse_text

    project = labelled.project
    import_documents(project=project, documents=parse_text("Unassigned. The mayor said the bridge opens.", title="Other"))
    second = labelled.sentences.get(index=1)
    suggestion = Suggestion.objects.filter(sentence=second).first()
    reviewer_claim = ClaimInput(claim=(suggestion.claim_start, suggestion.claim_end),
                                speaker=(suggestion.speaker_start, suggestion.speaker_end), stance="support")
    for kind in ("annotation", "adjudication"):
        save_sentence_annotation(sentence=second, user=people["reviewer"], status="corrected", claims=[reviewer_claim],
                                 expected_version=None, kind=kind)
    _decide_the_rest(labelled, people)
    for fmt in ("json", "jsonl", "csv", "attributions"):
        mine = read(project, fmt, annotator=people["annotator"])
        assert "reviewer" not in mine and "adjudication" not in mine and "Unassigned" not in mine, fmt
        assert "annotator" in mine, fmt
    (document,) = [json.loads(line) for line in read(project, "attributions", annotator=people["annotator"]).splitlines()]
    assert {a["annotator"] for a in document["attributions"]} == {"annotator"}
    gold = [json.loads(line) for line in read(project, "attributions", gold_only=True).splitlines()]
    assert {(a["annotator"], a["kind"]) for d in gold for a in d["attributions"]} == {("reviewer", "adjudication")}
    assert {a["kind"] for line in read(project, "jsonl", gold_only=True).splitlines()
            for a in json.loads(line)["annotations"]} == {"adjudication"}


def test_the_gold_scope_holds_only_adjudicated_sentences(labelled, people):
    """QA22: every sentence no reviewer had decided came too, as a row or line of no work."""
    project = labelled.project
    second = labelled.sentences.get(index=1)
    save_sentence_annotation(sentence=second, user=people["reviewer"], status="no_claim", claims=[],
                             expected_version=None, kind="adjudication")
    skipped = labelled.sentences.get(index=2)  # a skipped adjudication decides nothing
    save_sentence_annotation(sentence=skipped, user=people["reviewer"], status="skipped", claims=[],
                             expected_version=None, kind="adjudication")
    lines = [json.loads(line) for line in read(project, "jsonl", gold_only=True).splitlines()]
    assert [(line["sentence_index"], [a["status"] for a in line["annotations"]]) for line in lines] == [(1, ["no_claim"])]
    rows = list(csv.DictReader(io.StringIO(read(project, "csv", gold_only=True))))
    assert [(row["sentence_index"], row["status"]) for row in rows] == [("1", "no_claim")]
    (document,) = json.loads(read(project, "json", gold_only=True))["documents"]
    assert [sentence["sentence_index"] for sentence in document["sentences"]] == [1]
    assert read(project, "attributions", gold_only=True).strip() == ""  # the document is not all decided
    assert len(read(project, "jsonl").splitlines()) == labelled.sentences.count()  # everyone's work: all


def test_unicode_survives_every_format(project):
    from annotate.services.imports import import_documents, parse_text

    import_documents(project=project, documents=parse_text("Le ministre a déclaré « oui » — 你好.", title="Ünïcode"))
    assert json.loads(read(project, "json"))["documents"][0]["document_title"] == "Ünïcode"
    assert "你好" in read(project, "csv")


def _decide_the_rest(document, people) -> None:
    """Every sentence nobody decided yet: "no claim" by the annotator, and gold where there is none."""
    for sentence in document.sentences.all():
        kinds = set(sentence.annotations.values_list("kind", flat=True))
        if "annotation" not in kinds:
            save_sentence_annotation(sentence=sentence, user=people["annotator"], status="no_claim", claims=[],
                                     expected_version=None)
        if "adjudication" not in kinds:
            save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="no_claim", claims=[],
                                     expected_version=None, kind="adjudication")


def test_attribution_export_leaves_out_documents_not_wholly_decided(labelled, people):
    """The gold format cannot say "not reviewed": an undecided sentence would read as one
    without attributions, so such a document is not written at all."""
    assert read(labelled.project, "attributions") == ""
    _decide_the_rest(labelled, people)
    assert len(read(labelled.project, "attributions").splitlines()) == 1


def test_attribution_export_is_gold_format_that_train_attribution_reads(labelled, people, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    for sentence in labelled.sentences.filter(annotations__isnull=True):
        save_sentence_annotation(sentence=sentence, user=people["annotator"], status="no_claim", claims=[],
                                 expected_version=None)
    lines = [json.loads(line) for line in read(labelled.project, "attributions").splitlines()]
    (document,) = lines
    assert document["text"] == labelled.text
    assert document["quote_convention"] == labelled.project.quote_convention == "joined"
    (attribution,) = document["attributions"]
    start, end = attribution["source"]
    assert document["text"][start:end] == attribution["source_text"] == "senior officials"
    assert document["text"][slice(*attribution["content"])] == attribution["content_text"]
    gold = tmp_path / "reviewed.jsonl"
    gold.write_text(read(labelled.project, "attributions"))
    out = StringIO()
    call_command("train_attribution", str(gold), output=str(tmp_path / "model.json"), stdout=out)
    assert "Trained on 1 documents" in out.getvalue()
    model = tmp_path / "model.json"
    assert json.loads(model.read_text())["cue_counts"], "the reviewed cue made it into the lexicon"
    source, sink = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": "x", "text": "Officials said the plan works."}) + "\n")
    call_command("predict", str(source), str(sink), attribution_model=str(model), no_progress=True, stderr=StringIO())
    assert json.loads(sink.read_text())["id"] == "x"


def test_csv_keeps_every_suggestion_beside_each_persons_work(document, people):
    """QA16: a suggestion nobody's claim took (dropped, or beside "no claim") was left out of the
    CSV, while JSON and JSONL kept it."""
    sentence = document.sentences.get(index=1)
    kept = Suggestion.objects.filter(sentence=sentence).first()
    # A second suggestion, the whole sentence, which neither person's work takes.
    Suggestion.objects.create(sentence=sentence, position=5, claim_start=sentence.start, claim_end=sentence.end,
                              model_name="test", model_version="1")
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected", expected_version=None,
                             claims=[ClaimInput(claim=kept.claim_span, stance="oppose", suggestion_id=kept.pk)])
    save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="no_claim", claims=[],
                             expected_version=None)
    rows = [row for row in csv.DictReader(io.StringIO(read(document.project, "csv"))) if row["sentence_index"] == "1"]
    text = document.text
    by_person = {}
    for row in rows:
        by_person.setdefault(row["annotator"], []).append((row["claim_text"], row["suggested_claim_text"]))
    assert by_person["annotator"] == [(text[kept.claim_start:kept.claim_end], text[kept.claim_start:kept.claim_end]),
                                      ("", text[sentence.start:sentence.end])]
    assert by_person["reviewer"] == [("", text[kept.claim_start:kept.claim_end]), ("", text[sentence.start:sentence.end])]


def test_the_json_export_names_people_in_its_agreement_as_in_their_work(labelled, people):
    """QA16: after an account was renamed, the agreement in the file (cached by the state of the
    work, which a rename does not change) still had the old name."""
    read(labelled.project, "json")  # figures computed, and cached for the page
    people["annotator"].username = "renamed"
    people["annotator"].save()
    data = json.loads(read(labelled.project, "json"))
    assert data["agreement"]["annotators"] == ["renamed"]
    named = {a["annotator"] for d in data["documents"] for s in d["sentences"] for a in s["annotations"]}
    assert named == {"renamed"}


def test_work_says_the_target_its_stances_were_given_toward(document, people):
    """A target changed after work was saved: the export said only today's target beside stances
    given toward the old one. Saving the same work again gives it toward the new target."""
    project = document.project
    sentence = document.sentences.get(index=1)
    claims = [ClaimInput(claim=(sentence.start, sentence.end), stance="oppose")]
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected", claims=claims,
                             expected_version=None)
    before = project.stance_target
    document.stance_target = "A target set later"
    document.save()
    line = json.loads(read(project, "jsonl").splitlines()[1])
    assert line["stance_target"] == "A target set later"
    assert line["annotations"][0]["annotated_target"] == before
    row = next(r for r in csv.DictReader(io.StringIO(read(project, "csv"))) if r["sentence_index"] == "1")
    assert (row["stance_target"], row["annotated_target"]) == ("A target set later", before)
    again = save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected", claims=claims,
                                     expected_version=1)
    assert (again.version, again.stance_target) == (2, "A target set later")


def test_every_format_carries_the_documents_author_date_and_meta(project):
    """QA: no export carried `author`, `published` or `meta` (the extra keys of an imported line,
    such as the source row's id), so an exported corpus could not be joined back to its source rows."""
    from annotate.services.imports import import_documents, parse_text, parse_upload

    line = {"text": "The minister said the plan works.", "title": "With meta", "url": "https://example.org/plan", "author": "=Jane Doe",
            "published": "2018-01-16", "row_id": "src-42", "meta": {"batch": 3, "tags": ["a", "é"]}}
    import_documents(project=project, documents=parse_upload("rows.jsonl", (json.dumps(line) + "\n").encode()))
    import_documents(project=project, documents=parse_text("Officials said the bridge opens.", title="Without"))
    meta = {"row_id": "src-42", "batch": 3, "tags": ["a", "é"]}
    expected = {"With meta": ("https://example.org/plan", "=Jane Doe", "2018-01-16", meta), "Without": (None, None, None, {})}
    fields = ("document_url", "document_author", "document_published", "document_meta")

    documents = json.loads(read(project, "json"))["documents"]
    assert {d["document_title"]: tuple(d[f] for f in fields) for d in documents} == expected
    assert not any(f in s for d in documents for s in d["sentences"] for f in fields)  # once per document
    lines = [json.loads(line) for line in read(project, "jsonl").splitlines()]
    assert {line["document_title"]: tuple(line[f] for f in fields) for line in lines} == expected

    text = read(project, "csv")
    header = next(csv.reader(io.StringIO(text)))
    at = header.index("document_url")
    assert header[at : at + 4] == list(fields)
    rows = list(csv.DictReader(io.StringIO(text)))
    # Meta is compact JSON text (the key order is the database's: PostgreSQL's jsonb puts shorter keys first).
    assert {row["document_title"]: (row["document_url"], row["document_author"], row["document_published"],
                                    json.loads(row["document_meta"]))
            for row in rows} == {"With meta": ("https://example.org/plan", "'=Jane Doe", "2018-01-16", meta),
                                 "Without": ("", "", "", {})}
    assert {row["document_meta"] for row in rows if row["document_title"] == "Without"} == {"{}"}
    assert all(", " not in row["document_meta"] and ": " not in row["document_meta"] and "é" in row["document_meta"]
               for row in rows if row["document_title"] == "With meta")


def test_document_fields_follow_the_annotator_scope(labelled, people):
    """An annotator's own export carries the same document fields as everyone's."""
    labelled.author, labelled.meta = "A. Writer", {"row_id": 7}
    labelled.save()
    save_sentence_annotation(sentence=labelled.sentences.get(index=0), user=people["reviewer"], status="no_claim",
                             claims=[], expected_version=None, kind="adjudication")  # gold holds decided sentences
    for scope in ({}, {"annotator": people["annotator"]}, {"gold_only": True}):
        line = json.loads(read(labelled.project, "jsonl", **scope).splitlines()[0])
        assert (line["document_author"], line["document_published"], line["document_meta"]) == ("A. Writer", None, {"row_id": 7})
        row = next(csv.DictReader(io.StringIO(read(labelled.project, "csv", **scope))))
        assert (row["document_author"], row["document_meta"]) == ("A. Writer", '{"row_id":7}')
