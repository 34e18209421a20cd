"""Train a stance classifier from a project's reviewed labels or from a gold JSONL file."""
from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from annotate.management.jsonl import jsonl_lines, open_text
from annotate.models import StanceModel
from annotate.nlp.stance_training import (
    StanceExample,
    check_output_dir,
    map_labels,
    parse_label_map,
    train_stance_model,
)
from annotate.selectors import project_by_name
from annotate.services.stance_models import (
    TrainingRefused,
    recorded_model_folders,
    run_stance_training,
    start_stance_training,
)

# A model's id is "textcat+lr:NAME@VERSION" (`stance_model_id`): what `predict` writes as
# `stance_model` and the app records with each suggestion, so it must tell models apart.
PACKAGE_NAME = re.compile(r"[a-z0-9_]+")  # as spaCy names packages
PACKAGE_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
APP_PACKAGE_NAME = re.compile(r"project_([0-9]+)_stance")  # `StanceModel.package_name`
DEFAULT_NAME = "claimdesk_stance"
DEFAULT_VERSION = "1.0.0"


def name_from_folder(output: Path) -> str:
    """The output folder's name as a package name ("Emergent-v2" -> "emergent_v2"), so that
    models saved to different folders differ by default; DEFAULT_NAME if nothing is left."""
    folder = os.path.basename(os.path.abspath(output))  # "." and "models/.." name a folder too
    ascii_name = unicodedata.normalize("NFKD", folder).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_") or DEFAULT_NAME


def package_problem(name: str, version: str) -> str | None:
    if not PACKAGE_NAME.fullmatch(name):
        return ("--name must be a lowercase identifier (a-z, 0-9 and _, as spaCy names packages), "
                f"e.g. emergent_stance, not {name!r}")
    if app := APP_PACKAGE_NAME.fullmatch(name):
        return f"{name!r} is what the app calls project {app[1]}'s own models: give another --name"
    if not PACKAGE_VERSION.fullmatch(version):
        return f"--model-version must be MAJOR.MINOR.PATCH, e.g. 1.0.0 or 2.1.0, not {version!r}"
    return None


def app_folder_problem(output: Path, folders: list[tuple[str, Path]]) -> str | None:
    """Why `output` must not take a gold file's model: it is, is inside or holds one of the
    app's model `folders` (what it is, where). A model saved there replaces or joins one a
    project uses, which the database goes on naming. Compared resolved: a symlink or `..`
    can lead into them."""
    where = output.resolve()
    clashes = []
    for what, folder in folders:
        folder = folder.resolve()
        if where == folder:
            clashes.append((0, f"is {what}"))
        elif where.is_relative_to(folder):
            clashes.append((len(where.parts) - len(folder.parts), f"is inside {what}"))
        elif folder.is_relative_to(where):
            clashes.append((len(folder.parts) - len(where.parts), f"holds {what}"))
    if not clashes:
        return None
    _, clash = min(clashes, key=lambda c: c[0])  # the nearest says the most
    return (f"--output {output} {clash}: a model saved there would replace or mix with the app's trained models, "
            "and the app would use it under another model's name; write the model to a folder outside it "
            "(a project's own model is trained with --project NAME)")


class Command(BaseCommand):
    help = (
        "Train a stance classifier (claim text + target -> label). Either from a project's reviewed "
        "annotations (--project NAME; activated only if it beats the rules on held-out documents) or from "
        'a gold JSONL file of {"text", "target", "stance"} lines (GOLD.jsonl --output DIR [--map a=b,...]).'
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("gold", nargs="?", help='JSONL with {"text", "target", "stance"} per line, each with its target')
        parser.add_argument("--output", help="folder to save the trained model to (with GOLD): a new or empty folder, or "
                                             "that of a stance model, which the new one replaces whole once trained; "
                                             "a folder of other files is refused")
        # The gold file's options default to None, so that --project can tell them given.
        parser.add_argument("--map", help="rename labels, e.g. for=support,against=oppose,observing=neutral")
        parser.add_argument("--project", help="train from this project's reviewed annotations instead")
        parser.add_argument("--epochs", type=int, help="passes over the gold file, at least 1 (default 12)")
        parser.add_argument("--seed", type=int, help="random seed (default 0)")
        parser.add_argument("--name", help="the model's name in its id textcat+lr:NAME@VERSION, which predict and the app "
                                           "record: a-z, 0-9 and _ (default: the output folder's name, so made)")
        parser.add_argument("--model-version", help=f"the model's version in its id, MAJOR.MINOR.PATCH (default {DEFAULT_VERSION})")

    def handle(self, *args, gold: str | None, output: str | None, map: str | None, project: str | None,
               epochs: int | None, seed: int | None, name: str | None, model_version: str | None, **options):
        if bool(gold) == bool(project):
            raise CommandError("Give either GOLD.jsonl (with --output) or --project NAME.")
        if project:
            gold_only = {"--output": output, "--map": map, "--epochs": epochs, "--seed": seed, "--name": name,
                         "--model-version": model_version}
            if given := [flag for flag, value in gold_only.items() if value is not None]:
                # They were ignored, and a full run started anyway (QA).
                raise CommandError(f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for a gold file: a project's "
                                   "runs are numbered and saved by the app (v1, v2, ... under CLAIMDESK_MODEL_DIR) with "
                                   f"its own settings. Leave {'it' if len(given) == 1 else 'them'} out.")
            self._train_project(project)
            return
        if not output:
            raise CommandError("--output DIR is required with a gold file.")
        map, epochs, seed = map or "", 12 if epochs is None else epochs, seed or 0
        if epochs < 1:
            raise CommandError(f"--epochs must be at least 1, not {epochs}")
        name = name_from_folder(Path(output)) if name is None else name
        model_version = DEFAULT_VERSION if model_version is None else model_version
        if problem := package_problem(name, model_version):
            raise CommandError(problem)
        self._refuse_app_folders(Path(output))
        try:
            check_output_dir(Path(output))  # before reading and training, not after
        except ValueError as error:
            raise CommandError(str(error)) from None
        examples = self._read_gold(Path(gold))
        try:
            mapping = parse_label_map(map)
        except ValueError as error:
            raise CommandError(str(error)) from None
        found = sorted({e.label for e in examples})
        unused = [label for label in mapping if label not in found]
        if unused:  # a typo ("againts=oppose") would leave the real label unmapped without a word
            raise CommandError(f"--map names {', '.join(repr(label) for label in unused)}, which no line of {gold} has; "
                               f"its labels are {', '.join(found)}")
        examples = map_labels(examples, mapping)
        try:
            result = train_stance_model(examples, output, seed=seed, epochs=epochs, name=name, version=model_version,
                                        parse_model=settings.CLAIMDESK_SPACY_MODEL)
        except ValueError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"{output}: {error.strerror or error}") from None
        scores = result.train_scores  # scored on the parses training made
        self.stdout.write(
            f"Trained {result.model_id} (what `predict` records as stance_model) on {result.examples} examples ({', '.join(result.labels)}) in {result.seconds}s; "
            f"saved to {output}. Accuracy on its own training data: {scores['accuracy']:.3f} "
            "(score it on held-out data with `predict --stance-model` and shared/eval/score.py)."
        )

    def _refuse_app_folders(self, output: Path) -> None:
        model_dir = Path(settings.CLAIMDESK_MODEL_DIR)
        folders = [(f"the app's model folder (CLAIMDESK_MODEL_DIR, {model_dir})", model_dir)]
        try:
            folders += recorded_model_folders()
        except DatabaseError as error:
            # The app saves under CLAIMDESK_MODEL_DIR; only a setting moved since left models elsewhere.
            self.stderr.write(f"Could not read the app's stance models from the database ({error}); "
                              "--output was checked against CLAIMDESK_MODEL_DIR only.")
        try:
            problem = app_folder_problem(output, folders)
        except (OSError, RuntimeError) as error:  # a symlink loop
            raise CommandError(f"--output {output}: {error}") from None
        if problem:
            raise CommandError(problem)

    def _read_gold(self, path: Path) -> list[StanceExample]:
        examples, problems = [], []
        with open_text(str(path)) as handle:
            for line in jsonl_lines(handle):
                row = line.row
                if row is None:
                    problems.append(f"{path}:{line.number}: {line.problem}")
                    continue
                text, target, stance = row.get("text"), row.get("target"), row.get("stance")
                if not isinstance(text, str) or not isinstance(stance, str):
                    problems.append(f"{path}:{line.number}: needs strings 'text' and 'stance'")
                    continue
                # Unlike an import's line there is no project's target to fall back on, and a model is
                # never asked about a text without one: the app and `predict` give it no stance.
                if target is None or (isinstance(target, str) and not target.strip()):
                    lack = "it has no 'target'" if "target" not in row else f"its 'target' is {'null' if target is None else 'empty'}"
                    problems.append(f"{path}:{line.number}: needs a target: the stance is toward it ({lack})")
                    continue
                if not isinstance(target, str):
                    problems.append(f"{path}:{line.number}: 'target' must be a string, not {json.dumps(target)}")
                    continue
                examples.append(StanceExample(text=text, target=target, label=stance))
        if problems:
            raise CommandError("Malformed gold lines, nothing trained:\n" + "\n".join(problems[:20]))
        if not examples:
            raise CommandError(f"{path}: no examples")
        return examples

    def _train_project(self, name: str) -> None:
        project = project_by_name(name)
        if project is None:
            raise CommandError(f"No project named {name!r}.")
        try:
            record = start_stance_training(project=project)
        except TrainingRefused as refused:
            raise CommandError(str(refused)) from None
        record.refresh_from_db()
        if record.status in (StanceModel.Status.QUEUED, StanceModel.Status.RUNNING):
            # A queue backend took it; with the in-process backend it has already run.
            record = run_stance_training(record.pk) if record.status == StanceModel.Status.QUEUED else record
        self.stdout.write(f"Stance model v{record.version}: {record.status}. {record.message}")
        if record.status == StanceModel.Status.FAILED:
            raise CommandError("Training failed.")
