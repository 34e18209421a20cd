"""Train a stance classifier from a project's reviewed labels or from a gold JSONL file."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

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
from annotate.services.stance_models import TrainingRefused, run_stance_training, start_stance_training


class Command(BaseCommand):
    help = (
        "Train a stance classifier (claim text + target -> label). Either from a project's reviewed "
        "annotations (--project NAME; activated only if it beats the rules on held-out documents) or from "
        'a gold JSONL file of {"text", "target", "stance"} lines (GOLD.jsonl --output DIR [--map a=b,...]).'
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("gold", nargs="?", help='JSONL with {"text", "target", "stance"} per line')
        parser.add_argument("--output", help="folder to save the trained model to (with GOLD): a new or empty folder, or "
                                             "that of a stance model, which the new one replaces whole once trained; "
                                             "a folder of other files is refused")
        parser.add_argument("--map", default="", help="rename labels, e.g. for=support,against=oppose,observing=neutral")
        parser.add_argument("--project", help="train from this project's reviewed annotations instead")
        parser.add_argument("--epochs", type=int, default=12, help="passes over the gold file, at least 1 (default 12)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, gold: str | None, output: str | None, map: str, project: str | None, epochs: int, seed: int, **options):
        if bool(gold) == bool(project):
            raise CommandError("Give either GOLD.jsonl (with --output) or --project NAME.")
        if project:
            self._train_project(project)
            return
        if not output:
            raise CommandError("--output DIR is required with a gold file.")
        if epochs < 1:
            raise CommandError(f"--epochs must be at least 1, not {epochs}")
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
            result = train_stance_model(examples, output, seed=seed, epochs=epochs, parse_model=settings.CLAIMDESK_SPACY_MODEL)
        except ValueError as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"{output}: {error.strerror or error}") from None
        scores = result.train_scores  # scored on the parses training made
        self.stdout.write(
            f"Trained {result.model_id} on {result.examples} examples ({', '.join(result.labels)}) in {result.seconds}s; "
            f"saved to {output}. Accuracy on its own training data: {scores['accuracy']:.3f} "
            "(score it on held-out data with `predict --stance-model` and shared/eval/score.py)."
        )

    def _read_gold(self, path: Path) -> list[StanceExample]:
        examples, problems = [], []
        with open_text(str(path)) as handle:
            for line in jsonl_lines(handle):
                row = line.row
                if row is None:
                    problems.append(f"{path}:{line.number}: {line.problem}")
                    continue
                text, target, stance = row.get("text"), row.get("target", ""), row.get("stance")
                if not isinstance(text, str) or not isinstance(stance, str) or not isinstance(target, str):
                    problems.append(f"{path}:{line.number}: needs strings 'text' and 'stance' (and 'target', if given)")
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
