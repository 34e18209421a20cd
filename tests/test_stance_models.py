"""Learning stance from reviewers' corrections: training runs, activation, the queue and the command."""
from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from annotate.models import SentenceAnnotation, StanceModel, Suggestion, SuggestionRefresh
from annotate.nlp.pipeline import load_pipeline
from annotate.nlp.stance_rules import RULES_MODEL_NAME
from annotate.nlp.stance_training import StanceExample, train_stance_model
from annotate.services.annotations import ClaimInput, save_sentence_annotation
from annotate.services.imports import import_documents, parse_text
from annotate.services.projects import project_create
from annotate.services.stance_models import (
    SplitSizes,
    TrainingRefused,
    project_stance_examples,
    run_stance_training,
    start_stance_training,
    training_split,
    training_split_sizes,
)
from tests.stance_fixtures import OPPOSE, SUPPORT, review_stances


@pytest.fixture
def reviewed_project(project, people):
    return review_stances(project, people["reviewer"])


def test_examples_come_from_human_labels_with_gold_first(reviewed_project, people):
    examples = project_stance_examples(reviewed_project)
    assert len(examples) == 36
    assert {e.example.label for e in examples} == {"support", "oppose"}
    assert all(e.example.target == "US–Pakistan cooperation" for e in examples)
    assert examples[0].example.text.startswith("the cooperation")


def test_labels_are_read_toward_the_target_they_were_given_toward(reviewed_project, people):
    """QA24: after the target changed, the labels given toward the old one were trained and scored
    toward the new one, and a model reading every stance backwards won by that and was activated."""
    from annotate.models import Project

    before = {(e.document_key, e.example.text, e.example.label) for e in project_stance_examples(reviewed_project)}
    Project.objects.filter(pk=reviewed_project.pk).update(stance_target="Ending US–Pakistan cooperation")
    reviewed_project.refresh_from_db()
    examples = project_stance_examples(reviewed_project)
    assert {(e.document_key, e.example.text, e.example.label) for e in examples} == before
    assert {e.example.target for e in examples} == {"US–Pakistan cooperation"}
    # Work saved after the change is read toward the new target.
    document = reviewed_project.documents.order_by("pk").first()
    sentence = document.sentences.get()
    current = sentence.annotations.get()
    save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="corrected", expected_version=current.version,
                             claims=[ClaimInput(claim=(sentence.start, sentence.end), stance="oppose")])
    resaved = [e.example for e in project_stance_examples(reviewed_project) if e.document_key == document.text_sha256]
    assert [(e.label, e.target) for e in resaved] == [("oppose", "Ending US–Pakistan cooperation")]


def test_a_labelled_claim_is_compared_as_it_is_suggested_after_its_cue(project, people):
    """The held-out comparison read a claim's words alone: "Officials denied that the cooperation
    is working well", labelled oppose, was support to the rules there, though the same rules
    suggest oppose for it (and a model was trained on its words with the wrong side)."""
    from annotate.services.stance_models import held_out_stances

    text = "Officials denied that the cooperation is working well."
    document = import_documents(project=project, documents=parse_text(text)).created[0]
    cue, claim = (text.index("denied"), text.index("denied") + 6), (text.index("the cooperation"), len(text) - 1)
    save_sentence_annotation(sentence=document.sentences.get(), user=people["reviewer"], status="corrected",
                             expected_version=None, claims=[ClaimInput(claim=claim, cue=cue, speaker=(0, 9), stance="oppose")])
    (labelled,) = project_stance_examples(project)
    example = labelled.example
    assert example.text == "the cooperation is working well" and example.context == text
    assert example.context[slice(*example.cue)] == "denied" and example.context[slice(*example.claim)] == example.text
    rules, models = held_out_stances([], [example], {"support": "support", "oppose": "oppose", "neutral": "neutral"})
    assert rules == ["oppose"] and models == []


def test_a_skipped_adjudication_leaves_the_annotators_labels_to_train_on(project, people):
    """QA17: a reviewer's skip counted as the sentence's gold version and hid the annotator's label."""
    text = "Officials said the cooperation is working well."
    document = import_documents(project=project, documents=parse_text(text)).created[0]
    sentence = document.sentences.get()
    claim = (text.index("the cooperation"), len(text) - 1)
    save_sentence_annotation(sentence=sentence, user=people["annotator"], status="corrected", expected_version=None,
                             claims=[ClaimInput(claim=claim, stance="support")])
    save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="skipped", expected_version=None,
                             claims=[], kind="adjudication")
    (labelled,) = project_stance_examples(project)
    assert (labelled.example.text, labelled.example.label) == ("the cooperation is working well", "support")


def _train(project, admin, capture) -> StanceModel:
    with capture(execute=True):
        record = start_stance_training(project=project, by=admin)
    record.refresh_from_db()
    assert record.status == StanceModel.Status.DONE, record.message
    return record


def test_a_model_that_only_ties_the_rules_is_not_activated(reviewed_project, people, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.CLAIMDESK_MODEL_DIR = tmp_path
    before = set(Suggestion.objects.values_list("stance_model", flat=True))
    record = _train(reviewed_project, people["admin"], django_capture_on_commit_callbacks)
    metrics = record.metrics
    assert metrics["train_examples"] + metrics["held_out_examples"] == 36
    assert metrics["rules"]["macro_f1"] == 1.0, "the rules already read this project's stance right"
    assert not record.is_active and not metrics["activated"] and "The rules stay in use" in record.message
    assert set(Suggestion.objects.values_list("stance_model", flat=True)) == before


def test_a_model_that_beats_the_rules_takes_over_the_projects_suggestions(project, people, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.CLAIMDESK_MODEL_DIR = tmp_path
    review_stances(project, people["reviewer"], praise_is="oppose")
    waiting = import_documents(project=project, documents=parse_text("An aide said the cooperation brings real benefits to everyone.")).created[0]
    record = _train(project, people["admin"], django_capture_on_commit_callbacks)
    metrics = record.metrics
    assert metrics["trained"]["macro_f1"] > metrics["rules"]["macro_f1"], metrics
    assert record.is_active and record.progress == 1.0 and (tmp_path / f"project-{project.pk}").is_dir()
    # Sentences nobody has touched are suggested again by the model; reviewed ones keep what
    # their reviewer was shown.
    models = set(Suggestion.objects.filter(sentence__document=waiting).values_list("stance_model", flat=True))
    assert models == {record.name}, "the record and its suggestions name the model alike"
    reviewed = Suggestion.objects.filter(sentence__document__project=project).exclude(sentence__document=waiting)
    assert set(reviewed.values_list("stance_model", flat=True)) == {RULES_MODEL_NAME}
    # New imports use the project's model, which learned that praise is 'oppose' here.
    document = import_documents(project=project, documents=parse_text("The official said the cooperation brings real benefits to everyone.")).created[0]
    claim = Suggestion.objects.filter(sentence__document=document).exclude(cue_start=None).get()
    assert claim.stance_model.startswith("textcat") and claim.stance.value == "oppose"


def test_a_new_model_must_beat_the_model_in_use_not_only_the_rules(project, people, django_capture_on_commit_callbacks, settings, tmp_path):
    """Before, each run was compared with the rules alone, so a retrain that did worse than the
    model in use still replaced it."""
    settings.CLAIMDESK_MODEL_DIR = tmp_path
    review_stances(project, people["reviewer"], praise_is="oppose")
    first = _train(project, people["admin"], django_capture_on_commit_callbacks)
    assert first.is_active
    second = _train(project, people["admin"], django_capture_on_commit_callbacks)
    in_use = second.metrics["in_use"]
    assert in_use["version"] == first.version and second.metrics["trained"]["macro_f1"] <= in_use["macro_f1"]
    assert not second.is_active and "Version 1 stays in use (a new model replaces it only when 0.01 or more better)." in second.message
    first.refresh_from_db()
    assert first.is_active, "the model in use keeps making the suggestions"


def test_a_new_model_replaces_the_one_in_use_only_by_a_margin():
    """QA19: 0.947 against 0.946 on 56 held-out claims replaced the model in use, and re-made
    every suggestion of the project."""
    from annotate.services.stance_models import takes_over

    assert takes_over(0.70, 0.60, None) and not takes_over(0.60, 0.60, None)  # the rules: any gain
    assert not takes_over(0.947, 0.60, 0.946) and takes_over(0.956, 0.60, 0.946)
    assert not takes_over(0.70, 0.75, 0.50), "it must beat the rules too"


def test_training_needs_enough_labels(project, people):
    with pytest.raises(TrainingRefused, match="at least 20 labelled claims"):
        start_stance_training(project=project, by=people["admin"])
    assert not StanceModel.objects.exists(), "refused before anything was queued"


def test_training_needs_two_labels_in_the_held_out_third(project, monkeypatch):
    """Held out, one label alone scores 1.000 for whatever predicts it: no comparison at all."""
    from annotate.services import stance_models

    keys = [f"document-{i}" for i in range(90)]
    examples = [
        stance_models.LabelledExample(
            StanceExample(text=f"claim {key}", target="the plan",
                          label="support" if stance_models.is_held_out(key) or i % 2 else "oppose"), key)
        for i, key in enumerate(keys)
    ]
    monkeypatch.setattr(stance_models, "project_stance_examples", lambda project: examples)
    with pytest.raises(TrainingRefused, match=r"held out with 1 label\(s\)"):
        stance_models.training_split(project)
    # A queued run checks again when it starts: the labels may have changed meanwhile.
    record = run_stance_training(StanceModel.objects.create(project=project, version=1).pk)
    assert record.status == StanceModel.Status.FAILED and "held out with 1 label(s)" in record.message


DOCUMENT_TEXT = '"annotate_document"."text"'  # the column, not text_sha256


def _reads_document_text(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if DOCUMENT_TEXT in query["sql"]]


def _sizes_of(split: tuple[list[StanceExample], list[StanceExample]]) -> SplitSizes:
    train, held_out = split
    return SplitSizes.of([e.label for e in train], [e.label for e in held_out])


def test_starting_a_run_checks_the_split_without_reading_document_texts(
    reviewed_project, people, django_capture_on_commit_callbacks
):
    """Review: the check before queueing read every labelled claim with its document's text,
    which the worker then read again."""
    # A gold version on a sentence annotated too: it replaces that version on both sides.
    sentence = reviewed_project.documents.order_by("id").first().sentences.get()
    save_sentence_annotation(sentence=sentence, user=people["reviewer"], status="corrected", expected_version=None,
                             kind=SentenceAnnotation.Kind.ADJUDICATION,
                             claims=[ClaimInput(claim=(0, 10), stance="oppose")])
    with CaptureQueriesContext(connection) as queries:
        worker = training_split(reviewed_project)
    assert _reads_document_text(queries), "the worker reads the texts (else this test sees nothing)"
    with CaptureQueriesContext(connection) as queries:
        sizes = training_split_sizes(reviewed_project)
    assert sizes == _sizes_of(worker) and sizes.train + sizes.held_out == 36  # the gold replaced one
    with django_capture_on_commit_callbacks(execute=False), CaptureQueriesContext(connection) as queries:
        start_stance_training(project=reviewed_project, by=people["admin"])
    assert not _reads_document_text(queries)


def test_the_check_before_queueing_refuses_as_the_worker_does(reviewed_project, people):
    keep = list(reviewed_project.documents.order_by("id").values_list("id", flat=True)[:12])
    SentenceAnnotation.objects.filter(sentence__document__project=reviewed_project).exclude(
        sentence__document__in=keep).delete()
    with pytest.raises(TrainingRefused) as worker:
        training_split(reviewed_project)
    with pytest.raises(TrainingRefused) as check:
        start_stance_training(project=reviewed_project, by=people["admin"])
    assert str(check.value) == str(worker.value) and "has 12 claims" in str(check.value)
    assert not StanceModel.objects.exists()


def test_one_training_run_at_a_time(project, people):
    StanceModel.objects.create(project=project, version=1, status=StanceModel.Status.RUNNING)
    with pytest.raises(TrainingRefused):
        start_stance_training(project=project)


def test_api_starts_training_for_admins_only(project, people):
    reviewer, admin = APIClient(), APIClient()
    reviewer.force_authenticate(people["reviewer"])
    admin.force_authenticate(people["admin"])
    assert reviewer.post(f"/api/projects/{project.pk}/stance-models/").status_code == 403
    too_few = admin.post(f"/api/projects/{project.pk}/stance-models/")
    assert too_few.status_code == 409 and "at least 20" in too_few.json()["detail"]
    review_stances(project, people["reviewer"])
    assert admin.post(f"/api/projects/{project.pk}/stance-models/").status_code == 202
    listed = reviewer.get(f"/api/projects/{project.pk}/stance-models/").json()
    assert listed[0]["status"] == "queued" and listed[0]["version"] == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_runs_training_in_a_worker(project, people, settings, tmp_path):
    """With CLAIMDESK_TASK_BACKEND=database the request only queues; `db_worker` does the work."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CLAIMDESK_MODEL_DIR = tmp_path
    review_stances(project, people["reviewer"])
    record = start_stance_training(project=project, by=people["admin"])
    assert StanceModel.objects.get(pk=record.pk).status == StanceModel.Status.QUEUED
    assert DBTaskResult.objects.count() == 1
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=StringIO(), stderr=StringIO())
    record.refresh_from_db()
    assert record.status == StanceModel.Status.DONE and "held-out claims" in record.message
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_train_stance_command_from_a_gold_file_with_a_label_map(db, tmp_path):
    gold = tmp_path / "gold.jsonl"
    rows = [{"text": f"The plan {p}.", "target": "the plan", "stance": "for"} for p in SUPPORT] + [
        {"text": f"The plan {p}.", "target": "the plan", "stance": "against"} for p in OPPOSE]
    gold.write_text("\n".join(json.dumps(r) for r in rows * 2) + "\n")
    out = StringIO()
    call_command("train_stance", str(gold), output=str(tmp_path / "model"), map="for=support,against=oppose", epochs=4, stdout=out)
    assert "oppose, support" in out.getvalue()
    source, sink = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": "x", "text": "The plan brings real harm to everyone.", "target": "the plan"}) + "\n")
    call_command("predict", str(source), str(sink), stance_model=str(tmp_path / "model"), no_progress=True, stderr=StringIO())
    row = json.loads(sink.read_text())
    assert row["stance"] in {"support", "oppose"} and row["stance_model"].startswith("textcat")
    with pytest.raises(CommandError, match="Could not load the pipeline"):  # before any line is read
        call_command("predict", str(source), str(sink), stance_model=str(tmp_path / "gone"), no_progress=True, stderr=StringIO())


@pytest.mark.parametrize("options, named", [
    ({"output": "elsewhere"}, "--output"),
    ({"epochs": 3, "seed": 1}, "--epochs, --seed"),
    ({"map": "for=support", "epochs": 12}, "--map, --epochs"),  # the default value, given, is still given
    ({"name": "mine", "model_version": "2.0.0"}, "--name, --model-version"),
])
def test_train_stance_project_refuses_the_gold_files_options(project, people, settings, tmp_path, monkeypatch, options, named):
    """QA: `--project NAME --output DIR --epochs 3` ignored both and started a full run."""
    settings.CLAIMDESK_MODEL_DIR = tmp_path / "models"
    monkeypatch.chdir(tmp_path)
    review_stances(project, people["reviewer"])
    with pytest.raises(CommandError, match=f"^{named} (is|are) for a gold file: a project's runs are numbered and saved by the app"):
        call_command("train_stance", project=project.name, stdout=StringIO(), **options)
    assert not StanceModel.objects.exists() and not any(tmp_path.iterdir())


def test_train_stance_refuses_a_map_naming_a_label_no_line_has(db, tmp_path):
    """QA19: "againts=oppose" trained with "against" left unmapped, and said nothing."""
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps({"text": f"The plan {p}.", "target": "the plan", "stance": stance})
                              for p, stance in zip(SUPPORT + OPPOSE, ["for"] * len(SUPPORT) + ["against"] * len(OPPOSE))) + "\n")
    with pytest.raises(CommandError, match="--map names 'againts', which no line of .* has; its labels are against, for"):
        call_command("train_stance", str(gold), output=str(tmp_path / "m"), map="for=support,againts=oppose", epochs=1)
    assert not (tmp_path / "m").exists()
    with pytest.raises(CommandError, match="the label 'for' is mapped twice"):
        call_command("train_stance", str(gold), output=str(tmp_path / "m"), map="for=support,for=oppose", epochs=1)


def test_train_stance_prints_no_line_twice(tmp_path):
    """QA19: spaCy's "Created vocabulary" came out twice, through its handler and the root's."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps({"text": f"The plan {p}.", "target": "the plan", "stance": stance})
                              for p, stance in [(SUPPORT[0], "for"), (OPPOSE[0], "against")]) + "\n")
    done = subprocess.run([sys.executable, "manage.py", "train_stance", str(gold), "--output", str(tmp_path / "m"),
                           "--epochs", "1"], cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "DJANGO_SETTINGS_MODULE": "claimdesk.settings.test",
                                            # not the checkout's own database, whatever its migrations
                                            "DATABASE_URL": f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}"})
    assert done.returncode == 0, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    assert lines and all(line.startswith("Trained ") for line in lines), lines


def test_train_stance_command_reports_malformed_gold(db, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"text": "ok", "target": "t", "stance": "for"}\n{"text": "no stance", "target": "t"}\n')
    with pytest.raises(CommandError, match="gold.jsonl:2: needs strings 'text' and 'stance'"):
        call_command("train_stance", str(gold), output=str(tmp_path / "m"))


def test_an_unusable_stance_model_falls_back_to_the_rules(project, tmp_path, caplog):
    """A vanished or outdated model folder must not block imports."""
    StanceModel.objects.create(project=project, version=1, status="done", is_active=True, path=str(tmp_path / "gone"))
    document = import_documents(project=project, documents=parse_text("Officials said the deal works.")).created[0]
    models = set(Suggestion.objects.filter(sentence__document=document).values_list("stance_model", flat=True))
    assert models and all(name.startswith("rules") for name in models)
    assert f"stance model {tmp_path / 'gone'} unusable" in caplog.text, "an admin must learn to retrain"


@pytest.fixture(scope="module")
def two_stance_models(tmp_path_factory) -> list[str]:
    """Two small trained stance models, told apart by their ids."""
    examples = [StanceExample(f"The plan {p}.", "the plan", "support") for p in SUPPORT] + [
        StanceExample(f"The plan {p}.", "the plan", "oppose") for p in OPPOSE]
    folder = tmp_path_factory.mktemp("stance_models")
    return [str(train_stance_model(examples * 2, folder / name, name=name, epochs=4).output_dir) for name in ("model_a", "model_b")]


def test_projects_with_their_own_stance_models_share_one_pipeline(project, two_stance_models):
    """Each project's suggestions come from its own stance model, and no project loads
    another copy of the base spaCy pipeline for it."""
    other = project_create(name="Other project", stance_target="US–Pakistan cooperation")
    import_documents(project=project, documents=parse_text("Officials said the deal works."))  # the rules' pipeline is loaded
    loads = load_pipeline.cache_info().misses
    for owner, path in zip((project, other), two_stance_models):
        StanceModel.objects.create(project=owner, version=1, status="done", is_active=True, path=path)
    used = {}
    for owner in (project, other):
        text = "The official said the cooperation brings real benefits to everyone."
        document = import_documents(project=owner, documents=parse_text(text)).created[0]
        used[owner.name] = set(Suggestion.objects.filter(sentence__document=document).values_list("stance_model", flat=True))
    assert used == {project.name: {"textcat+lr:model_a@1.0.0"}, other.name: {"textcat+lr:model_b@1.0.0"}}
    assert load_pipeline.cache_info().misses == loads, "the base pipeline was loaded again for a stance model"


@pytest.mark.django_db(transaction=True)
def test_a_queued_run_is_trained_once_even_if_two_processes_pick_it_up(project, people, settings, tmp_path):
    """`train_stance --project` runs a queued job itself; the worker that then picks up the
    same job must find it taken and leave it alone."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.CLAIMDESK_MODEL_DIR = tmp_path
    review_stances(project, people["reviewer"])
    record = start_stance_training(project=project, by=people["admin"])
    first = run_stance_training(record.pk)
    assert first.status == StanceModel.Status.DONE
    StanceModel.objects.filter(pk=record.pk).update(message="kept")  # what a second run would overwrite
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=StringIO(), stderr=StringIO())
    again = StanceModel.objects.get(pk=record.pk)
    assert (again.status, again.message) == (StanceModel.Status.DONE, "kept")
    assert DBTaskResult.objects.get().status == "SUCCESSFUL", "the worker did pick the job up"


def test_a_failed_refresh_leaves_the_model_in_use_and_says_so(project, people, django_capture_on_commit_callbacks,
                                                              settings, tmp_path, monkeypatch):
    """The model is active once it wins, and its run done; a refresh that then fails says so on
    the Suggestions card, as any refresh does, with its documents left for "Re-make the suggestions"."""
    from annotate.services import preannotation

    settings.CLAIMDESK_MODEL_DIR = tmp_path
    review_stances(project, people["reviewer"], praise_is="oppose")

    def broken(documents):
        raise RuntimeError("disk full")

    monkeypatch.setattr(preannotation, "refresh_suggestions", broken)
    record = _train(project, people["admin"], django_capture_on_commit_callbacks)
    assert record.is_active and record.progress == 1.0
    refresh = SuggestionRefresh.objects.get(project=project)
    assert refresh.status == "failed" and refresh.message.startswith("Stopped: disk full.")
    assert len(refresh.documents) == project.documents.count()


def test_a_run_tells_its_progress_while_it_trains_and_its_refresh_while_it_re_suggests(
        project, people, django_capture_on_commit_callbacks, settings, tmp_path, monkeypatch):
    """Training went from 0.2 to 0.7 with nothing said in between, and the refresh after it was
    one step: a long run showed no progress, and `close_stalled_jobs` (which reads the row's
    last update) could take it for a dead one. The refresh reports on its own row, chunk by chunk."""
    from annotate.services import preannotation, stance_models

    settings.CLAIMDESK_MODEL_DIR = tmp_path
    review_stances(project, people["reviewer"], praise_is="oppose")
    documents = project.documents.count()
    assert documents > 1
    monkeypatch.setattr(preannotation, "REFRESH_CHUNK", 1)
    told, reported = [], []
    update, refresh = stance_models._update, preannotation.refresh_suggestions

    def recording(stance_model, **fields):
        told.append((fields.get("progress"), fields.get("message")))
        update(stance_model, **fields)

    def reporting(chunk):
        reported.append(SuggestionRefresh.objects.values_list("processed", "total").get())
        refresh(chunk)

    monkeypatch.setattr(stance_models, "_update", recording)
    monkeypatch.setattr(preannotation, "refresh_suggestions", reporting)
    record = _train(project, people["admin"], django_capture_on_commit_callbacks)
    assert record.is_active
    progress = [p for p, _ in told if p is not None]
    assert progress == sorted(progress) and progress[-1] == 1.0
    messages = [m for _, m in told if m]
    assert any(m.endswith("epoch 12 of 12") for m in messages), messages
    assert any("parsed" in m for m in messages)
    assert record.message == messages[-1] and record.message.endswith(
        "Its re-making of the project's suggestions is on the Suggestions card.")
    assert reported == [(done, documents) for done in range(documents)], "one step per chunk of one document"
    refresh_row = SuggestionRefresh.objects.get()
    assert (refresh_row.status, refresh_row.processed) == ("done", documents)


def test_activation_queues_a_tracked_refresh_of_every_document_and_ends_the_run(
        project, people, django_capture_on_commit_callbacks, settings, tmp_path):
    """The activated model re-made the suggestions inside its training task, tracked on its own
    row with a restart of its own; it is a `SuggestionRefresh` now, queued in the transaction
    that activates the model, and the training run is done at once."""
    from annotate.services.stance_models import outcome_message

    settings.CLAIMDESK_MODEL_DIR = tmp_path
    review_stances(project, people["reviewer"], praise_is="oppose")
    with django_capture_on_commit_callbacks():  # queued, not run
        record = start_stance_training(project=project, by=people["admin"])
    with django_capture_on_commit_callbacks() as queued:
        record = run_stance_training(record.pk)
    assert (record.status, record.progress, record.is_active) == ("done", 1.0, True)
    assert not record.is_going
    assert record.message == (f"{outcome_message(record.metrics)} Its re-making of the project's suggestions is on "
                              "the Suggestions card.")
    refresh = SuggestionRefresh.objects.get(project=project)
    ids = list(project.documents.order_by("pk").values_list("pk", flat=True))
    assert (refresh.reason, refresh.status, refresh.documents, refresh.total) == (
        "stance model v1 now suggests", "queued", ids, len(ids))
    assert len(queued) == 1, "the refresh's task, queued once the activation commits"
    # A refresh going no longer refuses a training run: the refresh reads the model in use per chunk.
    with django_capture_on_commit_callbacks():
        assert start_stance_training(project=project, by=people["admin"]).version == 2
    queued[0]()
    assert SuggestionRefresh.objects.get(pk=refresh.pk).status == "done"


def test_a_model_is_never_activated_without_its_refresh(project, people, django_capture_on_commit_callbacks,
                                                        settings, tmp_path, monkeypatch):
    """Both are written in one transaction: a failure after the refresh is queued leaves neither."""
    from annotate.services import stance_models

    settings.CLAIMDESK_MODEL_DIR = tmp_path
    review_stances(project, people["reviewer"], praise_is="oppose")
    audit, finished = stance_models.audit_record, []

    def failing(**event):
        if event["action"] == "stance_model.finish":
            finished.append(event["after"]["activated"])
            raise RuntimeError("the database went away")
        return audit(**event)

    monkeypatch.setattr(stance_models, "audit_record", failing)
    with django_capture_on_commit_callbacks():
        record = start_stance_training(project=project, by=people["admin"])
    with django_capture_on_commit_callbacks() as queued:
        run_stance_training(record.pk)
    assert finished == [True], "it won, and failed after its refresh was queued"
    record.refresh_from_db()
    assert (record.status, record.is_active) == ("failed", False)
    assert not SuggestionRefresh.objects.exists() and not queued


def test_a_resume_refresh_task_left_in_a_queue_queues_a_tracked_refresh(project, document,
                                                                        django_capture_on_commit_callbacks):
    """Tasks queued before migration 0020 may still wait in a database queue: they re-make the
    suggestions of the model still in use, as a tracked refresh, and do nothing for another."""
    from annotate.tasks import resume_refresh_task

    replaced = StanceModel.objects.create(project=project, version=1, status="done", progress=1.0)
    in_use = StanceModel.objects.create(project=project, version=2, status="done", progress=1.0, is_active=True)
    with django_capture_on_commit_callbacks() as queued:
        assert resume_refresh_task.call(replaced.pk, " Re-making the suggestions had …") == "nothing to do"
        assert resume_refresh_task.call(in_use.pk + 1) == "nothing to do"  # deleted since
    assert not queued and not SuggestionRefresh.objects.exists()
    with django_capture_on_commit_callbacks() as queued:
        assert resume_refresh_task.call(in_use.pk, " Re-making the suggestions had …") == "queued"
    refresh = SuggestionRefresh.objects.get()
    assert (refresh.reason, refresh.documents, refresh.total) == (
        "stance model v2 now suggests (continuing an interrupted refresh)", [document.pk], 1)
    assert len(queued) == 1


def test_refreshing_goes_a_chunk_at_a_time(project, people, monkeypatch):
    from annotate.services import preannotation

    review_stances(project, people["reviewer"])
    ids = list(project.documents.order_by("pk").values_list("pk", flat=True))[:3]
    monkeypatch.setattr(preannotation, "REFRESH_CHUNK", 2)
    chunks = []
    refresh = preannotation.refresh_suggestions
    monkeypatch.setattr(preannotation, "refresh_suggestions", lambda documents: (chunks.append([d.pk for d in documents]), refresh(documents)))
    gone = ids[1] + 10_000  # no such document: passed over
    assert preannotation.refresh_documents([*ids, gone]) == 3
    assert chunks == [ids[:2], [ids[2]]]


def test_a_project_naming_its_labels_its_own_way_gets_the_rules_suggestions(db, people):
    """QA13: a project of "pro / contra / unclear" got no stance from the rules (they only knew
    "support / oppose / neutral"), and then any trained model "beat" their 0.000."""
    from annotate.models import StanceLabel, infer_label_meaning
    from annotate.selectors import rules_labels, stance_rule_outcomes

    project = project_create(name="Tram watch", stance_target="The tram extension")
    project.labels.all().delete()
    for key, (value, name) in enumerate((("pro", "Pro"), ("contra", "Contra"), ("unclear", "Unclear / mixed")), 1):
        StanceLabel.objects.create(project=project, value=value, name=name, key=str(key),
                                   meaning=infer_label_meaning(value, name))
    assert rules_labels(project.labels.all()) == {"support": "pro", "oppose": "contra", "neutral": "unclear"}
    document = import_documents(project=project, documents=parse_text(
        "The mayor criticised the tram extension. Residents praised the tram extension. "
        "The tram extension reportedly may be delayed.")).created[0]
    stances = [s.stance.value if s.stance_id else None
               for s in Suggestion.objects.filter(sentence__document=document).order_by("sentence__index", "position")]
    assert stances == ["contra", "pro", "unclear"]
    outcomes = {o.rule: o for o in stance_rule_outcomes(project)}
    assert (outcomes["cue_blames"].label, outcomes["cue_blames"].label_name) == ("contra", "Contra")
    assert outcomes["cue_blames"].suggested is None  # counted only when asked
    counted = {o.rule: o.suggested for o in stance_rule_outcomes(project, count_suggestions=True)}
    assert counted["cue_blames"] == 1
    # Meanings swapped: the rule's old suggestions are of another label now, and not counted (QA14).
    StanceLabel.objects.filter(project=project, value="pro").update(meaning="oppose")
    StanceLabel.objects.filter(project=project, value="contra").update(meaning="support")
    counted = {o.rule: o.suggested for o in stance_rule_outcomes(project, count_suggestions=True)}
    assert counted["cue_blames"] == 0
    # A label with no meaning is never the rules' suggestion, and a suggestion without a stance
    # names no rule (QA14: the rules table counted them).
    StanceLabel.objects.filter(project=project).update(meaning="")
    assert rules_labels(project.labels.all()) == {}
    other = import_documents(project=project, documents=parse_text("The mayor criticised the tram extension.")).created[0]
    assert list(Suggestion.objects.filter(sentence__document=other).values_list("stance", "stance_rule", "stance_confidence")) == [
        (None, "", 0.0)]


LABEL_WORDS = [  # (value, name, meaning)
    ("pro", "Pro", "support"), ("con", "Contra", "oppose"), ("observing", "Observing", "neutral"),
    ("x1", "In favour", "support"), ("agree", "Agree", "support"), ("a", "Label A", ""),
    # QA14: a negation is read with what it negates, and whole words only
    ("nostance", "No stance", "neutral"), ("noside", "No side", "neutral"), ("notfavour", "Not in favour", "oppose"),
    ("notfor", "Not for", "oppose"), ("mixed", "Pro/Contra mixed", "neutral"), ("anti", "Anti", "oppose"),
    ("protram", "Pro-tram", "support"), ("pro", "Pro.", "support"), ("yes", "Yes", "support"), ("no", "No", "oppose"),
    # QA15: common names, a negation spelled "n't", and the undecided
    ("supportive", "Supportive", "support"), ("critical", "Critical", "oppose"), ("endorses", "Endorses", "support"),
    ("rejects", "Rejects", "oppose"), ("reports", "Reports", "neutral"), ("opposed", "Opposed", "oppose"),
    ("unsure", "Unsure", "neutral"), ("notsure", "Not sure", "neutral"), ("doesnt", "Doesn't support", "oppose"),
    ("dafur", "Dafür", "support"), ("dagegen", "Dagegen", "oppose"),
]


@pytest.mark.parametrize(("value", "name", "meaning"), LABEL_WORDS)
def test_a_label_is_given_the_meaning_its_words_make_plain(value, name, meaning):
    """And the migration that gave existing labels theirs reads them the same way."""
    from importlib import import_module

    from annotate.models import infer_label_meaning

    migration = import_module("annotate.migrations.0013_stance_label_meaning")
    assert infer_label_meaning(value, name) == migration._meaning(value, name) == meaning


def test_a_retired_label_is_not_trained_on_nor_stored_with_a_confidence(reviewed_project):
    """QA13: a model trained on a label retired since suggested it again; stored without its
    label, the suggestion still carried the model's 0.73."""
    from annotate.models import StanceLabel
    from annotate.nlp.types import ClaimPrediction, DocumentPrediction
    from annotate.services.preannotation import _machine_fields

    StanceLabel.objects.filter(project=reviewed_project, value="oppose").update(retired=True)
    assert {e.example.label for e in project_stance_examples(reviewed_project)} == {"support"}
    claim = ClaimPrediction(claim=(0, 4), stance="oppose", stance_confidence=0.73)
    fields = _machine_fields(claim, DocumentPrediction(sentences=[], claims=[claim], speakers=[]), {}, reviewed_project.pk)
    assert fields["stance"] is None and fields["stance_confidence"] == 0.0


def test_a_trained_model_is_offered_only_the_labels_not_retired(project, document, monkeypatch):
    """QA20: its claims of a label retired since training were stored with no stance; the
    model is told which labels it may answer (`StanceClassifier.predict_claims(offered=...)`)."""
    from annotate.models import StanceLabel
    from annotate.services import preannotation

    StanceLabel.objects.filter(project=project, value="neutral").update(retired=True)
    seen = {}
    real = preannotation.preannotate

    def spy(*args, **kwargs):
        seen["offered"] = kwargs["offered"]
        return real(*args, **kwargs)

    monkeypatch.setattr(preannotation, "preannotate", spy)
    preannotation.predict_documents([document])
    assert sorted(seen["offered"]) == ["oppose", "support"]
