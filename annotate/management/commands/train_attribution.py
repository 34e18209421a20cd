"""Fit the attribution model (cue lexicon, scorers, calibration) from gold attribution JSONL."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from annotate.management.jsonl import jsonl_lines, open_text
from annotate.nlp.attribution import heldout_third, train_attribution
from annotate.nlp.segmentation import load_base


def _attribution_problem(row: dict) -> str | None:
    """Why a gold line cannot be trained on, or None."""
    text, attributions = row.get("text"), row.get("attributions")
    if not isinstance(text, str) or not isinstance(attributions, list):
        return "needs a string 'text' and a list 'attributions'"
    for attribution in attributions:
        content = attribution.get("content") if isinstance(attribution, dict) else None
        if not (isinstance(content, list) and len(content) == 2 and all(isinstance(x, int) for x in content)
                and 0 <= content[0] < content[1] <= len(text)):
            return f"bad content span {content!r}"
    return None


class Command(BaseCommand):
    help = (
        'Train the attribution model from JSONL lines {"id", "text", "attributions": [{"source", "cue", "content"}]} '
        "(the shared/data gold format, or ClaimDesk's own `attributions` export of reviewed work) and write it as JSON. "
        "Use it with CLAIMDESK_ATTRIBUTION_MODEL=FILE or `predict --attribution-model FILE`."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("gold", nargs="+", help="gold JSONL files")
        parser.add_argument("--output", "-o", required=True, help="model file to write (JSON)")
        parser.add_argument("--model", default=None, help="spaCy pipeline to parse with (default: CLAIMDESK_SPACY_MODEL)")
        parser.add_argument("--exclude-heldout-third", action="store_true",
                            help="leave out the documents `heldout_third(id)` selects, to score on them afterwards")

    def handle(self, *args, gold: list[str], output: str, model: str | None, exclude_heldout_third: bool, **options):

        rows, problems = [], []
        for name in gold:
            with open_text(name) as handle:
                for line in jsonl_lines(handle):
                    row, problem = line.row, line.problem
                    if row is not None:
                        problem = _attribution_problem(row)
                    if problem:
                        problems.append(f"{name}:{line.number}: {problem}")
                        continue
                    row.setdefault("id", f"{Path(name).name}:{line.number}")
                    rows.append(row)
        if problems:
            raise CommandError("Malformed gold lines, nothing trained:\n" + "\n".join(problems[:20]))
        if exclude_heldout_third:
            rows = [row for row in rows if not heldout_third(str(row["id"]))]
        if not rows:
            raise CommandError("no training documents")
        nlp = load_base(model or settings.CLAIMDESK_SPACY_MODEL)  # parsed as the app parses
        trained = train_attribution(rows, nlp)
        trained.save(output)
        self.stdout.write(f"Trained on {len(rows)} documents, "
                          f"{sum(len(r['attributions']) for r in rows)} attributions; wrote {output}")
