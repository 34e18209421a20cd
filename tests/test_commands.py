"""Management commands: seed, import, export and predict."""
from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.models import Document, Membership, Project, Suggestion


def test_seed_demo_is_idempotent(db, tmp_path):
    (tmp_path / "story.txt").write_text("The minister said the talks were useful. Nothing else happened.")
    out = StringIO()
    call_command("seed_demo", seeds=str(tmp_path), stdout=out)
    assert out.getvalue().count("with password:") == 3
    call_command("seed_demo", seeds=str(tmp_path), stdout=StringIO())
    assert Project.objects.count() == 1 and Document.objects.count() == 1 and Membership.objects.count() == 3
    assert Suggestion.objects.exists()


def test_seed_demo_gives_the_off_topic_articles_their_own_targets(db):
    """The shipped seeds: the two short articles are not about US–Pakistan cooperation."""
    call_command("seed_demo", stdout=StringIO())
    targets = {d.title: d.effective_target for d in Document.objects.all()}
    assert targets["US–Pakistan relations after the January tweet"] == "US–Pakistan cooperation"
    assert len(targets) == 3 and len(set(targets.values())) == 3


def test_import_command_rejects_a_bad_file_and_keeps_the_good_one(db, tmp_path):
    good, bad = tmp_path / "good.txt", tmp_path / "bad.jsonl"
    good.write_text("Officials said it works.")
    bad.write_text('{"text": "fine"}\nnot json\n')
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_documents", "P", str(good), str(bad), create=True, stdout=StringIO(), stderr=err)
    assert "bad.jsonl:2: not valid JSON" in err.getvalue()
    assert list(Document.objects.values_list("title", flat=True)) == ["good"]


@pytest.mark.parametrize("name, target, reason", [
    ("", "", "the project name: This field cannot be blank."),
    ("  ", "", "the project name: This field cannot be blank."),
    ("P" * 250, "", "the project name: Ensure this value has at most 200 characters (it has 250)."),
    ("Long target", "x" * 400, "--target: Ensure this value has at most 300 characters (it has 400)."),
])
def test_import_command_refuses_a_project_it_cannot_create(db, tmp_path, name, target, reason):
    """QA16 #6: a ValidationError traceback instead of the reason."""
    good = tmp_path / "good.txt"
    good.write_text("Officials said it works.")
    with pytest.raises(CommandError) as error:
        call_command("import_documents", name, str(good), create=True, target=target, stdout=StringIO(), stderr=StringIO())
    assert str(error.value) == f"Cannot create the project: {reason}"
    assert not Project.objects.exists()


def test_import_command_creates_no_project_when_nothing_can_be_imported(db, tmp_path):
    """QA16 #6: a missing file was reported after the project had been created, empty."""
    good, bad = tmp_path / "good.txt", tmp_path / "bad.jsonl"
    good.write_text("Officials said it works.")
    bad.write_text("not json\n")
    for files, message in (([good, tmp_path / "missing.txt"], "missing.txt: no such file"),
                           ([good, tmp_path], f"{tmp_path}: a folder, not a file"),
                           ([bad], "the project was not created")):
        with pytest.raises(CommandError, match=message):
            call_command("import_documents", "Ghost project", *map(str, files), create=True,
                         stdout=StringIO(), stderr=StringIO())
        assert not Project.objects.exists() and not Document.objects.exists()


def test_import_command_creates_the_project_with_its_first_import_or_not_at_all(db, tmp_path, monkeypatch):
    good = tmp_path / "good.txt"
    good.write_text("Officials said it works.")

    def fails(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("annotate.management.commands.import_documents.import_documents", fails)
    with pytest.raises(RuntimeError):
        call_command("import_documents", "New project", str(good), create=True, stdout=StringIO(), stderr=StringIO())
    assert not Project.objects.exists()


def test_export_command_writes_the_file(document, tmp_path):
    target = tmp_path / "out.csv"
    call_command("export_corpus", document.project.name, format="csv", output=str(target), stderr=StringIO())
    assert target.read_text().startswith("document_id,document_title")
    with pytest.raises(CommandError, match="No such file or directory"):
        call_command("export_corpus", document.project.name, format="csv", output=str(tmp_path / "missing" / "x.csv"))


def test_a_failed_export_leaves_the_previous_file_whole(document, tmp_path, monkeypatch):
    target = tmp_path / "out.csv"
    target.write_text("the previous export")

    def disk_full(*args, **kwargs):
        yield "document_id,partial"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("annotate.management.commands.export_corpus.export_project", disk_full)
    with pytest.raises(CommandError, match="No space left on device"):
        call_command("export_corpus", document.project.name, format="csv", output=str(target))
    assert target.read_text() == "the previous export" and list(tmp_path.iterdir()) == [target]


def test_an_export_gets_the_usual_file_mode(document, tmp_path):
    import os
    import stat

    target = tmp_path / "out.jsonl"
    call_command("export_corpus", document.project.name, format="jsonl", output=str(target), stderr=StringIO())
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask, "not the temporary file's 0600"
    target.chmod(0o600)  # a private corpus stays private
    call_command("export_corpus", document.project.name, format="jsonl", output=str(target), stderr=StringIO())
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_an_export_through_a_link_writes_where_it_points(document, tmp_path):
    """Renaming over a link would replace the link itself (QA: -o /dev/stdout replaced the
    machine's /dev/stdout with a file)."""
    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("old")
    link.symlink_to(real)
    call_command("export_corpus", document.project.name, format="csv", output=str(link), stderr=StringIO())
    assert link.is_symlink() and real.read_text().startswith("document_id,")


def test_export_command_writes_gold_only_as_the_api_does(document, people, tmp_path):
    from annotate.services.annotations import save_sentence_annotation

    first, second = document.sentences.order_by("index")[:2]
    save_sentence_annotation(sentence=first, user=people["reviewer"], status="no_claim", claims=[],
                             expected_version=None, kind="adjudication")
    save_sentence_annotation(sentence=second, user=people["annotator"], status="no_claim", claims=[], expected_version=None)
    target = tmp_path / "gold.jsonl"
    call_command("export_corpus", document.project.name, format="jsonl", scope="gold", output=str(target), stderr=StringIO())
    work = [a for line in target.read_text().splitlines() for a in json.loads(line)["annotations"]]
    assert [(a["kind"], a["annotator"]) for a in work] == [("adjudication", "reviewer")]
    with pytest.raises(CommandError, match="gold is everyone's"):
        call_command("export_corpus", document.project.name, scope="gold", annotator="annotator", output=str(target))


def test_export_command_refuses_an_annotator_with_no_part_in_the_project(document, people, make_user, tmp_path):
    """QA19: --annotator naming someone outside the project wrote a header-only file, exit 0."""
    from annotate.models import Membership

    make_user("stranger")
    target = tmp_path / "theirs.csv"
    with pytest.raises(CommandError, match="'stranger' is not a member of .* and has no work in it"):
        call_command("export_corpus", document.project.name, format="csv", annotator="stranger", output=str(target))
    assert not target.exists()
    # A member removed since keeps their assignments and work, which can still be exported.
    Membership.objects.filter(project=document.project, user=people["annotator"]).delete()  # as the admin does
    call_command("export_corpus", document.project.name, format="csv", annotator="annotator", output=str(target),
                 stderr=StringIO())
    assert target.read_text().startswith("document_id,")


def test_an_empty_attributions_export_says_why(document, tmp_path):
    """QA19: with no document wholly decided it wrote an empty file and said only "Wrote ..."."""
    target, err = tmp_path / "attr.jsonl", StringIO()
    call_command("export_corpus", document.project.name, format="attributions", output=str(target), stderr=err)
    assert target.read_text() == "" and "empty: no document has every sentence decided yet" in err.getvalue()


@pytest.fixture
def close_stdout(monkeypatch):
    """Call it to make standard output a pipe whose reader (`head`) has read its lines and
    gone. In the test itself: pytest sets sys.stdout again between a fixture and the test."""
    import os

    read_end, write_end = os.pipe()

    class ClosedPipe:
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self) -> int:
            return write_end

    yield lambda: monkeypatch.setattr("sys.stdout", ClosedPipe())
    os.close(read_end)
    os.close(write_end)


def test_export_to_a_closed_pipe_ends_quietly(document, close_stdout):
    """`export_corpus ... | head` used to end with a BrokenPipeError traceback."""
    close_stdout()
    call_command("export_corpus", document.project.name, format="csv")  # no exception


def test_predict_to_a_closed_pipe_ends_quietly(tmp_path, close_stdout):
    """QA16 #8: `predict IN - | head -n 1` ended with a BrokenPipeError traceback and status 1."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "Officials said yes."}\n{"id": "b", "text": "Critics said no."}\n')
    err = StringIO()
    close_stdout()
    call_command("predict", str(source), "-", no_progress=True, stderr=err)  # no exception, no exit status 1
    assert err.getvalue() == ""


def test_predict_writes_score_format_and_reports_bad_lines(tmp_path):
    source, sink = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(
        json.dumps({"id": "a", "text": "Officials said the plan works.", "target": "the plan"}) + "\n"
        + "{broken\n"
        + json.dumps({"id": "b", "text": ""}) + "\n"
        + json.dumps({"text": "no id"}) + "\n"
    )
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("predict", str(source), str(sink), no_progress=True, stderr=err)
    assert exit_.value.code == 1
    assert "line 2: not valid JSON" in err.getvalue() and "line 4: missing field 'id'" in err.getvalue()
    assert "line 3: 'text' is empty; skipped" in err.getvalue()
    rows = [json.loads(line) for line in sink.read_text().splitlines()]
    assert [row["id"] for row in rows] == ["a"]
    claim = rows[0]["claims"][0]
    text = "Officials said the plan works."
    assert text[claim["speaker"][0]:claim["speaker"][1]] == "Officials"
    assert text[claim["cue"][0]:claim["cue"][1]] == "said"
    assert rows[0]["target"] == "the plan" and rows[0]["stance"] is not None


def test_predict_skips_an_empty_text_and_warns_of_a_repeated_id(tmp_path):
    """QA16 #13: an empty text was predicted (imports refuse it); a repeated id passed without a word."""
    source, sink = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in [
        {"id": "a", "text": "Officials said yes."}, {"id": "b", "text": " \n "}, {"id": "a", "text": "Critics said no."},
        {"id": 1, "text": "Critics said no."}, {"id": "1", "text": "Critics said no."},
    ]))
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("predict", str(source), str(sink), no_progress=True, stderr=err)
    assert exit_.value.code == 1  # for the skipped line; a repeated id is only a warning
    assert "line 2: 'text' is empty; skipped" in err.getvalue()
    assert "line 3: warning: id 'a' is also on line 1; both are written" in err.getvalue()
    assert err.getvalue().count("warning") == 1, "1 and \"1\" are different ids"
    assert [json.loads(line)["id"] for line in sink.read_text().splitlines()] == ["a", "a", 1, "1"]


@pytest.mark.parametrize("first_line", ["US–Pakistan relations after the tweet", '{', '[{"id": "a", "text": "x"}]'])
def test_predict_given_plain_text_says_what_it_reads_and_writes_nothing(tmp_path, first_line):
    """QA16 #13: a .txt gave "not valid JSON" for every line and an empty output file."""
    source, sink = tmp_path / "article.txt", tmp_path / "out.jsonl"
    source.write_text(f"{first_line}\n\nOfficials said the plan works.\n")
    with pytest.raises(CommandError, match=r"article.txt: line 1 is not a JSON object. predict reads JSONL") as error:
        call_command("predict", str(source), str(sink), no_progress=True, stderr=StringIO())
    assert "python3 -c" in str(error.value) and not sink.exists()


@pytest.mark.parametrize("command", ["predict", "train_stance"])
@pytest.mark.parametrize("encoding, said", [("utf-16", "the file is UTF-16"), ("utf-32", "the file is UTF-32"),
                                            ("utf-16-le", "the file holds NUL bytes: UTF-16 or not a text file")])
def test_a_utf16_file_is_said_to_be_utf16(db, tmp_path, command, encoding, said):
    """QA19: it was "line 1: not UTF-8 (byte 0xff at column 1)", then a reason per line."""
    source = tmp_path / "in.jsonl"
    source.write_bytes('{"id": "a", "text": "Officials said yes.", "stance": "for"}\n'.encode(encoding))
    args = [str(source), str(tmp_path / "out.jsonl")] if command == "predict" else [str(source)]
    options = {"no_progress": True} if command == "predict" else {"output": str(tmp_path / "model")}
    with pytest.raises(CommandError, match=f"in.jsonl: {said}; save it as UTF-8"):
        call_command(command, *args, stderr=StringIO(), **options)


def test_predict_reports_a_key_given_twice_on_its_first_line_as_a_bad_line(tmp_path):
    """QA19: it was taken for a text file ("predict reads JSONL ...")."""
    source, sink = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text('{"id": "a", "id": "b", "text": "Officials said yes."}\n{"id": "c", "text": "Critics said no."}\n')
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("predict", str(source), str(sink), no_progress=True, stderr=err)
    assert "line 1: not valid JSON (the key 'id' is given twice" in err.getvalue()
    assert [json.loads(line)["id"] for line in sink.read_text().splitlines()] == ["c"]


def test_predict_reports_a_line_that_is_not_utf8_and_goes_on(tmp_path):
    source, sink = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_bytes(b'{"id": "a", "text": "Officials said yes."}\n{"id": "b", "text": "caf\xe9"}\n'
                       b'{"id": "c", "text": "Critics said no."}\n')
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("predict", str(source), str(sink), no_progress=True, stderr=err)
    assert "line 2: not UTF-8 (byte 0xe9 at column 25)" in err.getvalue()
    assert [json.loads(line)["id"] for line in sink.read_text().splitlines()] == ["a", "c"]


def test_predict_skips_a_lone_surrogate_or_nan_and_goes_on(tmp_path):
    """QA11: "\\ud800" stopped the whole run inside spaCy; NaN would be written back as invalid JSON."""
    source, sink = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text('{"id": "a", "text": "Officials said yes."}\n'
                      '{"id": "b", "text": "Bad \\ud800 surrogate, said Bob."}\n'
                      '{"id": NaN, "text": "Critics said no."}\n'
                      '{"id": "d", "text": "Critics said no.", "meta": {"k": ["x\\udfff"]}}\n'
                      '{"id": "e", "text": "Critics said no."}\n', encoding="utf-8")
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("predict", str(source), str(sink), no_progress=True, stderr=err)
    assert "line 2: holds an unpaired surrogate (U+D800); skipped" in err.getvalue()
    assert "line 3: holds NaN or Infinity, which JSON does not allow; skipped" in err.getvalue()
    assert "line 4: holds an unpaired surrogate (U+DFFF); skipped" in err.getvalue()
    assert [json.loads(line)["id"] for line in sink.read_text().splitlines()] == ["a", "e"]


def test_predict_refuses_to_write_over_its_input(tmp_path):
    """QA11: the same path for both emptied the input and wrote nothing."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "text": "Officials said yes."}\n', encoding="utf-8")
    (tmp_path / "link.jsonl").symlink_to(source)
    for output in (source, tmp_path / "link.jsonl", tmp_path / "." / "in.jsonl"):
        with pytest.raises(CommandError, match="the output is the input file"):
            call_command("predict", str(source), str(output), no_progress=True, stderr=StringIO())
    assert source.read_text(encoding="utf-8") == '{"id": "a", "text": "Officials said yes."}\n'


@pytest.mark.parametrize("batch_size", [0, -3])
def test_predict_refuses_a_batch_size_under_one_and_keeps_the_output(tmp_path, batch_size):
    """QA19: --batch-size 0 was a traceback, after the output file had been emptied."""
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text('{"id": "a", "text": "Officials said yes."}\n', encoding="utf-8")
    output.write_text("earlier predictions\n", encoding="utf-8")
    with pytest.raises(CommandError, match=f"--batch-size must be at least 1, not {batch_size}"):
        call_command("predict", str(source), str(output), batch_size=batch_size, no_progress=True, stderr=StringIO())
    assert output.read_text(encoding="utf-8") == "earlier predictions\n"


def test_predict_follows_the_quote_convention(tmp_path):
    text = '"We will build it," the mayor said. "It will be ready in May."'
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "q", "text": text}) + "\n")
    claims = {}
    for convention in ("joined", "split"):
        sink = tmp_path / f"{convention}.jsonl"
        call_command("predict", str(source), str(sink), quote_convention=convention, no_progress=True, stderr=StringIO())
        claims[convention] = [c for c in json.loads(sink.read_text())["claims"] if c["cue"] or c["speaker"]]
    assert [c["claim_text"] for c in claims["joined"]] == [text]
    assert [c["claim_text"] for c in claims["split"]] == ['"We will build it,"', '"It will be ready in May."']


def test_predict_takes_each_lines_quote_convention(tmp_path):
    """A line's own convention wins, then the flag, then the guideline of the gold set the
    line names; a bad convention skips only its line."""
    text = '"We will build it," the mayor said. "It will be ready in May."'
    lines = [
        {"id": "own", "text": text, "quote_convention": "split", "source_dataset": "polnear"},
        {"id": "ggt", "text": text, "source_dataset": "gender_gap_tracker"},
        {"id": "polnear", "text": text, "source_dataset": "polnear"},
        {"id": "plain", "text": text},
        {"id": "bad", "text": text, "quote_convention": "halved"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))

    def pieces(**options) -> tuple[dict[str, int], str]:
        sink, errors = tmp_path / "out.jsonl", StringIO()
        with pytest.raises(SystemExit) as exit_info:
            call_command("predict", str(source), str(sink), no_progress=True, stderr=errors, **options)
        assert exit_info.value.code == 1
        rows = [json.loads(row) for row in sink.read_text().splitlines()]
        return {row["id"]: len([c for c in row["claims"] if c["cue"] or c["speaker"] or c["claim_text"].startswith('"')])
                for row in rows}, errors.getvalue()

    counted, errors = pieces()
    assert counted == {"own": 2, "ggt": 2, "polnear": 1, "plain": 1}
    assert "line 5: 'quote_convention' must be one of joined, split; skipped" in errors
    counted, _ = pieces(quote_convention="joined")
    assert counted == {"own": 2, "ggt": 1, "polnear": 1, "plain": 1}


def test_predict_reads_stdin_and_writes_stdout(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", StringIO(json.dumps({"id": 7, "text": "Officials said it works."}) + "\n"))
    call_command("predict", "-", "-", no_progress=True, stderr=StringIO())
    row = json.loads(capsys.readouterr().out)
    assert row["id"] == 7 and row["claims"][0]["speaker_text"] == "Officials"


def test_training_commands_list_every_bad_gold_line_and_write_nothing(db, tmp_path):
    attribution_gold = tmp_path / "attributions.jsonl"
    attribution_gold.write_text(
        json.dumps({"id": "a", "text": "Officials said it works.", "attributions": [{"content": [15, 24]}]}) + "\n"
        + "{not json\n"
        + json.dumps({"id": "c", "text": "Short.", "attributions": [{"content": [3, 99]}]}) + "\n"
        + json.dumps(["a", "list"]) + "\n"
    )
    model = tmp_path / "model.json"
    with pytest.raises(CommandError) as error:
        call_command("train_attribution", str(attribution_gold), output=str(model), stdout=StringIO())
    message = str(error.value)
    assert f"{attribution_gold}:2: not valid JSON" in message
    assert f"{attribution_gold}:3: bad content span [3, 99]" in message
    assert f"{attribution_gold}:4: not a JSON object" in message
    assert ":1:" not in message and not model.exists()

    stance_gold = tmp_path / "stance.jsonl"
    stance_gold.write_text(json.dumps({"text": "Yes.", "target": "t", "stance": "for"}) + "\n"
                           + json.dumps({"text": "No.", "stance": 3}) + "\n")
    with pytest.raises(CommandError, match=r"stance.jsonl:2: needs strings 'text' and 'stance'"):
        call_command("train_stance", str(stance_gold), output=str(tmp_path / "stance_model"), stdout=StringIO())
    assert not (tmp_path / "stance_model").exists()

    with pytest.raises(CommandError, match="missing.jsonl: No such file"):
        call_command("train_attribution", str(tmp_path / "missing.jsonl"), output=str(model), stdout=StringIO())


@pytest.fixture
def stance_gold(db, tmp_path):  # the command reads the app's stance models, to leave them alone
    gold = tmp_path / "stance.jsonl"
    gold.write_text("".join(json.dumps({"text": text, "target": "the tram", "stance": stance}) + "\n" for text, stance in [
        ("The tram is a good idea.", "support"), ("The tram will help the city.", "support"),
        ("The tram is a waste of money.", "oppose"), ("The tram will ruin the high street.", "oppose"),
    ]))
    return gold


def test_train_stance_refuses_an_output_it_would_spoil_and_epochs_below_one(tmp_path, stance_gold):
    """QA16 #9: a file as --output gave a FileExistsError traceback; --epochs 0 trained nothing and
    said it had; a folder of other files got the model's files written in among them."""
    gold_text = stance_gold.read_text()
    with pytest.raises(CommandError, match="stance.jsonl is a file, not a folder"):
        call_command("train_stance", str(stance_gold), output=str(stance_gold), stdout=StringIO())
    with pytest.raises(CommandError, match="nested is not a folder"):
        call_command("train_stance", str(stance_gold), output=str(stance_gold / "nested"), stdout=StringIO())
    for epochs in (0, -1):
        with pytest.raises(CommandError, match="--epochs must be at least 1"):
            call_command("train_stance", str(stance_gold), output=str(tmp_path / "model"), epochs=epochs, stdout=StringIO())
    assert not (tmp_path / "model").exists()
    others = tmp_path / "papers"
    others.mkdir()
    (others / "notes.txt").write_text("mine")
    with pytest.raises(CommandError, match="papers holds other files and no stance model"):
        call_command("train_stance", str(stance_gold), output=str(others), stdout=StringIO())
    assert [p.name for p in others.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["papers", "stance.jsonl"]
    assert stance_gold.read_text() == gold_text


def test_train_stance_leaves_the_apps_stance_models_alone(project, stance_gold, settings, tmp_path):
    """QA: `--output var/models/project-2/stance-v3` replaced the active model's folder with one of
    other labels; every stance became null while the database still said v3 was in use."""
    from annotate.models import StanceModel

    models = tmp_path / "var" / "models"
    settings.CLAIMDESK_MODEL_DIR = models
    active = models / f"project-{project.pk}" / "stance-v3"
    active.mkdir(parents=True)  # empty, so that only this check can refuse it
    StanceModel.objects.create(project=project, version=3, status="done", is_active=True, path=str(active))
    # A model saved before CLAIMDESK_MODEL_DIR moved: the database still knows where it is.
    moved = tmp_path / "old-models" / f"project-{project.pk}" / "stance-v1"
    moved.mkdir(parents=True)
    StanceModel.objects.create(project=project, version=1, status="done", path=str(moved))
    (tmp_path / "link").symlink_to(models)
    (tmp_path / "elsewhere").mkdir()
    inside = "is inside the app's model folder"
    for output, said in [
        (active, f"is the folder of Test project's stance model v3 ({active})"),
        (models, f"is the app's model folder (CLAIMDESK_MODEL_DIR, {models})"),
        (models / "mine", inside),
        (tmp_path / "elsewhere" / ".." / "var" / "models" / "mine", inside),
        (tmp_path / "link" / "mine", inside),
        (tmp_path / "var", "holds the app's model folder"),
        (moved, "is the folder of Test project's stance model v1"),
        (moved.parent, "holds the folder of Test project's stance model v1"),
    ]:
        with pytest.raises(CommandError, match=re.escape(said)) as error:
            call_command("train_stance", str(stance_gold), output=str(output), epochs=1, stdout=StringIO())
        assert "write the model to a folder outside it" in str(error.value)
    assert [p.name for p in models.rglob("*")] == [f"project-{project.pk}", "stance-v3"] and not any(moved.iterdir())
    assert not any((tmp_path / "elsewhere").iterdir())


def test_train_stance_keeps_out_of_the_model_folder_when_the_database_cannot_be_read(stance_gold, settings, tmp_path, monkeypatch):
    from django.db import DatabaseError

    from annotate.management.commands import train_stance

    def unreadable():
        raise DatabaseError("connection refused")

    monkeypatch.setattr(train_stance, "recorded_model_folders", unreadable)
    settings.CLAIMDESK_MODEL_DIR = tmp_path / "models"
    err = StringIO()
    with pytest.raises(CommandError, match="is inside the app's model folder"):
        call_command("train_stance", str(stance_gold), output=str(tmp_path / "models" / "mine"), stdout=StringIO(), stderr=err)
    assert "(connection refused); --output was checked against CLAIMDESK_MODEL_DIR only" in err.getvalue()


def test_train_stance_names_a_model_after_its_folder_unless_told(stance_gold, tmp_path):
    """QA: every gold-file model was `textcat+lr:claimdesk_stance@1.0.0`, whatever its data, so
    the predictions of two models (`predict` writes the id as `stance_model`) looked alike."""
    from annotate.nlp.stance_training import StanceClassifier

    said = {}
    for folder, options in [("Emergent-v2", {}), ("ibm", {}), ("---", {}), ("any", {"name": "fnc_1", "model_version": "2.1.0"})]:
        out = StringIO()
        call_command("train_stance", str(stance_gold), output=str(tmp_path / folder), epochs=1, stdout=out, **options)
        said[folder] = StanceClassifier.load(tmp_path / folder).model_id
        assert out.getvalue().startswith(f"Trained {said[folder]} (what `predict` records as stance_model) on 4 examples")
    assert said == {"Emergent-v2": "textcat+lr:emergent_v2@1.0.0", "ibm": "textcat+lr:ibm@1.0.0",
                    "---": "textcat+lr:claimdesk_stance@1.0.0", "any": "textcat+lr:fnc_1@2.1.0"}


@pytest.mark.parametrize("options, said", [
    ({"name": "My-Model"}, "--name must be a lowercase identifier (a-z, 0-9 and _, as spaCy names packages), "
                           "e.g. emergent_stance, not 'My-Model'"),
    ({"name": ""}, "--name must be a lowercase identifier"),
    ({"model_version": "v2"}, "--model-version must be MAJOR.MINOR.PATCH, e.g. 1.0.0 or 2.1.0, not 'v2'"),
    ({"model_version": "1.0"}, "--model-version must be MAJOR.MINOR.PATCH"),
    ({"name": "project_3_stance"}, "'project_3_stance' is what the app calls project 3's own models: give another --name"),
    ({"output": "project_12_stance"}, "'project_12_stance' is what the app calls project 12's own models: give another --name"),
])
def test_train_stance_refuses_a_name_or_version_that_is_no_package_id(stance_gold, tmp_path, options, said):
    options = {"output": "model", **options}
    options["output"] = str(tmp_path / options["output"])
    with pytest.raises(CommandError, match=re.escape(said)):
        call_command("train_stance", str(stance_gold), epochs=1, stdout=StringIO(), **options)
    assert [p.name for p in tmp_path.iterdir()] == ["stance.jsonl"]


def test_train_stance_says_a_gold_line_needs_a_target_however_it_lacks_one(stance_gold, tmp_path):
    """QA: `"target": null` was "needs strings 'text' and 'stance' (and 'target', if given)", while a
    missing or empty target trained toward nothing, which neither the app nor `predict` ever asks
    a model about (no target, no stance)."""
    good = stance_gold.read_text()
    stance_gold.write_text(good + "".join(json.dumps({"text": "The tram is fine.", "stance": "support", **target}) + "\n"
                                          for target in [{}, {"target": None}, {"target": ""}, {"target": "  "}, {"target": 3}]))
    with pytest.raises(CommandError) as error:
        call_command("train_stance", str(stance_gold), output=str(tmp_path / "model"), stdout=StringIO())
    needs = f"{stance_gold}:{{}}: needs a target: the stance is toward it ({{}})"
    assert str(error.value).splitlines()[1:] == [
        needs.format(5, "it has no 'target'"), needs.format(6, "its 'target' is null"),
        needs.format(7, "its 'target' is empty"), needs.format(8, "its 'target' is empty"),
        f"{stance_gold}:9: 'target' must be a string, not 3",
    ]
    assert not (tmp_path / "model").exists()


def test_train_stance_replaces_a_stance_model_whole_and_only_once_the_new_one_is_saved(tmp_path, stance_gold, monkeypatch):
    from annotate.nlp.stance_training import StanceClassifier

    model = tmp_path / "model"
    call_command("train_stance", str(stance_gold), output=str(model), epochs=1, stdout=StringIO())
    (model / "stray.txt").write_text("from before")
    call_command("train_stance", str(stance_gold), output=str(model), epochs=2, stdout=StringIO())
    assert not (model / "stray.txt").exists(), "the old model is replaced, not written over"
    assert json.loads((model / "meta.json").read_text())["claimdesk_stance"]["epochs"] == 2

    def disk_full(self, output_dir):
        (output_dir / "config.cfg").write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(StanceClassifier, "to_disk", disk_full)
    with pytest.raises(CommandError, match="No space left on device"):
        call_command("train_stance", str(stance_gold), output=str(model), epochs=3, stdout=StringIO())
    assert json.loads((model / "meta.json").read_text())["claimdesk_stance"]["epochs"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "stance.jsonl"], "no half-written folder left"
    StanceClassifier.load(model)


def test_without_a_secret_key_commands_stop_with_the_hint_not_a_traceback(settings):
    """Django refuses to hand out an empty SECRET_KEY; the check must still answer."""
    from annotate.checks import secret_key_required

    settings.DEBUG, settings.SECRET_KEY = False, ""
    (error,) = secret_key_required(None)
    assert error.id == "claimdesk.E001" and "./dev.sh start" in error.hint


@pytest.mark.parametrize("name, value, said", [
    ("CLAIMDESK_MAX_UPLOAD_BYTES", "abc", "CLAIMDESK_MAX_UPLOAD_BYTES='abc' is not a whole number"),
    ("CLAIMDESK_MAX_UPLOAD_BYTES", "-5", "CLAIMDESK_MAX_UPLOAD_BYTES=-5 is under its minimum, 1"),
    ("CLAIMDESK_SECURE_COOKIES", "ture", "CLAIMDESK_SECURE_COOKIES='ture' is neither true nor false"),
])
def test_a_bad_setting_in_the_environment_stops_start_up_saying_which(name, value, said):
    """QA19: CLAIMDESK_MAX_UPLOAD_BYTES=abc was a bare ValueError from int(), naming no setting;
    a negative CLAIMDESK_MAX_DOCUMENT_CHARS was taken; CLAIMDESK_SECURE_COOKIES=ture was off."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, name: value, "DJANGO_SECRET_KEY": "test-only",
           "DJANGO_SETTINGS_MODULE": "claimdesk.settings.base"}
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=Path(__file__).resolve().parent.parent,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and said in done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("content, reason", [
    ("[]\n", "a JSON array, not an object"),
    ('{"id": "a", "text": "Officials said yes."}\n', "no 'cue_counts'"),
    ('{"id": "a", "text": "One."}\n{"id": "b", "text": "Two."}\n', "not valid JSON"),
    ('{"cue_counts": [], "content_model": {}, "e2e_model": {}, "content_calibration": {}, "e2e_calibration": {},'
     ' "cue_accuracy": {}, "threshold": 0.5}\n', "bad 'cue_counts'"),
])
def test_predict_refuses_a_file_that_is_not_an_attribution_model(tmp_path, settings, content, reason):
    """QA16 #7: valid JSON of another shape ended in a TypeError or KeyError traceback."""
    source, model = tmp_path / "in.jsonl", tmp_path / "model.json"
    source.write_text('{"id": "a", "text": "Officials said yes."}\n')
    model.write_text(content)
    with pytest.raises(CommandError, match=rf"Could not load the pipeline: {model}: not an attribution model"
                                           rf" \(.*{reason}") as error:
        call_command("predict", str(source), str(tmp_path / "out.jsonl"), attribution_model=str(model), no_progress=True)
    assert "train_attribution" in str(error.value)
    settings.CLAIMDESK_ATTRIBUTION_MODEL = str(model)
    with pytest.raises(CommandError, match=r"not an attribution model .*\(CLAIMDESK_ATTRIBUTION_MODEL\)"):
        call_command("predict", str(source), str(tmp_path / "out.jsonl"), no_progress=True)
    assert not (tmp_path / "out.jsonl").exists()


def test_commands_find_a_project_by_its_name_as_stored_without_surrounding_spaces(db, tmp_path):
    """QA17: "  QA Spaces  " was created as "QA Spaces", then no command could find it again."""
    text = tmp_path / "a.txt"
    text.write_text("Officials said the bridge will reopen.", encoding="utf-8")
    call_command("import_documents", "  QA Spaces  ", str(text), create=True, stdout=StringIO(), stderr=StringIO())
    more = tmp_path / "b.txt"
    more.write_text("Critics said it will not.", encoding="utf-8")
    out = StringIO()
    call_command("import_documents", "  QA Spaces  ", str(more), stdout=out, stderr=StringIO())
    assert "1 imported" in out.getvalue()
    assert Project.objects.get().name == "QA Spaces" and Project.objects.get().documents.count() == 2
    exported = tmp_path / "out.jsonl"
    call_command("export_corpus", " QA Spaces ", "--format", "jsonl", "--output", str(exported), stdout=StringIO())
    assert exported.read_text(encoding="utf-8").count("\n") == 2
    out = StringIO()
    call_command("close_stalled_jobs", "--project", "QA Spaces ", stdout=out)
    assert "No run has gone" in out.getvalue()
