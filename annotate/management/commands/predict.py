"""Run the pre-annotation over a JSONL file, without the database.

Input lines: {"id", "text", "target"?, "quote_convention"?}. Output lines: the prediction format read by
`shared/eval/score.py` (claims with speaker / cue / claim spans, a stance and a
confidence per field; sentences; a document-level stance). Exactly the code the app
runs at import (`annotate.nlp.pipeline.preannotate`).

The quote guideline of a line is, first match wins: its own "quote_convention";
`--quote-convention`; the guideline of the gold set its "source_dataset" names, when
ClaimDesk knows it (lines of `shared/data` carry it: GenderGapTracker splits resumed
quotations, PolNeAR joins them); otherwise "joined", the app's default.
"""
from __future__ import annotations

import io
import itertools
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from annotate.management.jsonl import JsonlLine, jsonl_lines, open_text
from annotate.management.pipes import stdout_reader_left
from annotate.nlp.attribution import gold_quote_convention
from annotate.nlp.attribution_patterns import QUOTE_CONVENTIONS
from annotate.nlp.pipeline import load_pipeline, preannotate
from annotate.nlp.stance import load_stance_classifier
from annotate.nlp.types import DocumentPrediction

# (id, text, stance target, quote convention or None for the pipeline's own)
Row = tuple[Any, str, str, str | None]
CHUNK = 256  # documents parsed and predicted per round, so memory stays flat on huge inputs


def prediction_record(doc_id: Any, text: str, prediction: DocumentPrediction) -> dict[str, Any]:
    speakers = prediction.speakers
    return {
        "id": doc_id,
        "target": prediction.target,
        "stance": prediction.stance,
        "stance_confidence": round(prediction.stance_confidence, 4),
        "stance_model": prediction.stance_model,
        "stance_rule": prediction.stance_rule,
        "model": f"{prediction.model_name} {prediction.model_version}",
        "sentences": [list(span) for span in prediction.sentences],
        "speakers": [asdict(speaker) for speaker in speakers],
        "claims": [
            {
                "speaker": list(claim.speaker) if claim.speaker else None,
                "cue": list(claim.cue) if claim.cue else None,
                "claim": list(claim.claim),
                "speaker_text": text[claim.speaker[0]:claim.speaker[1]] if claim.speaker else None,
                "cue_text": text[claim.cue[0]:claim.cue[1]] if claim.cue else None,
                "claim_text": text[claim.claim[0]:claim.claim[1]],
                "speaker_canonical": speakers[claim.speaker_entity].name if claim.speaker_entity is not None else None,
                "stance": claim.stance,
                "speaker_confidence": round(claim.speaker_confidence, 4),
                "cue_confidence": round(claim.cue_confidence, 4),
                "claim_confidence": round(claim.claim_confidence, 4),
                "stance_confidence": round(claim.stance_confidence, 4),
                "stance_rule": claim.stance_rule,
                "sentence_index": claim.sentence_index,
            }
            for claim in prediction.claims
        ],
    }


def _same_file(input_path: str, output_path: str) -> bool:
    if "-" in (input_path, output_path) or not os.path.exists(output_path) or not os.path.exists(input_path):
        return False
    return os.path.samefile(input_path, output_path)


class Command(BaseCommand):
    help = "Pre-annotate a JSONL file of texts (speakers, cues, claims, stances) without touching the database."
    requires_system_checks: list[str] = []  # runs without a secret key or a database

    def add_arguments(self, parser):
        parser.add_argument("input", help='JSONL with one {"id", "text", "target"?} object per line (not a plain .txt); - for stdin')
        parser.add_argument("output", help="JSONL predictions; - for stdout")
        parser.add_argument("--target", default="", help="stance target for lines without their own")
        parser.add_argument("--stance-model", default=None, help="folder of a model made by train_stance")
        parser.add_argument("--attribution-model", default=None, help="file written by train_attribution")
        parser.add_argument("--quote-convention", choices=QUOTE_CONVENTIONS, default=None,
                            help='"A," X said, "B." as one claim (joined, PolNeAR) or two (split, GenderGapTracker); '
                                 'default: a line\'s own "quote_convention", else its gold set\'s, else joined')
        parser.add_argument("--model", default=None, help="spaCy pipeline (default: CLAIMDESK_SPACY_MODEL)")
        parser.add_argument("--batch-size", type=int, default=settings.CLAIMDESK_NLP_BATCH_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:  # checked before the output is opened (and emptied)
            raise CommandError(f"--batch-size must be at least 1, not {options['batch_size']}")
        attribution_model = options["attribution_model"] or settings.CLAIMDESK_ATTRIBUTION_MODEL or None
        try:
            nlp = load_pipeline(options["model"] or settings.CLAIMDESK_SPACY_MODEL, attribution_model)
            if options["stance_model"]:
                load_stance_classifier(options["stance_model"])  # a bad folder fails here, not at the first line
        except (OSError, ValueError) as error:
            # A path from the environment is no flag the user typed: say where it came from, when
            # it is that file the error is about (the attribution model's errors name it).
            from_setting = attribution_model and not options["attribution_model"] and attribution_model in str(error)
            where = " (CLAIMDESK_ATTRIBUTION_MODEL)" if from_setting else ""
            raise CommandError(f"Could not load the pipeline: {error}{where}") from None
        if _same_file(options["input"], options["output"]):
            # Opening the output empties it before a line of the input is read.
            raise CommandError(f"{options['output']}: the output is the input file; write the predictions elsewhere")
        if options["input"] == "-":
            if isinstance(sys.stdin, io.TextIOWrapper):  # a real stdin, not a test's StringIO
                sys.stdin.reconfigure(errors="surrogateescape")  # as open_text: a bad byte spoils one line
            source = sys.stdin
        else:
            source = open_text(options["input"], "r")
        try:
            lines = self._checked_start(source, options["input"])
        except CommandError:
            if source is not sys.stdin:
                source.close()
            raise
        self._ids: dict[str, int] = {}  # each id (as JSON) -> the line it was first on
        sink = sys.stdout if options["output"] == "-" else open_text(options["output"], "w")
        skipped = written = 0
        progress = tqdm(unit=" docs", file=sys.stderr, disable=options["no_progress"] or None, mininterval=1.0)
        try:
            for chunk in self._chunks(lines, options["target"], options["quote_convention"]):
                good = [row for row in chunk if row is not None]
                skipped += len(chunk) - len(good)
                texts = [row[1] for row in good]
                targets = [row[2] for row in good]
                conventions = [row[3] for row in good]
                predictions = preannotate(nlp, texts, targets=targets, quote_conventions=conventions,
                                          stance_model=options["stance_model"], batch_size=options["batch_size"])
                for (doc_id, text, _, _), prediction in zip(good, predictions, strict=True):
                    sink.write(json.dumps(prediction_record(doc_id, text, prediction), ensure_ascii=False) + "\n")
                    written += 1
                    progress.update(1)
            if sink is sys.stdout:
                sink.flush()  # a reader that has left shows here at the latest, not at exit
        except BrokenPipeError:
            if sink is not sys.stdout:
                raise
            stdout_reader_left()  # `predict IN - | head`: the reader has what it wanted
            return
        finally:
            progress.close()
            if sink is not sys.stdout:
                sink.close()
            if source is not sys.stdin:
                source.close()
        self.stderr.write(f"{written} document(s) written, {skipped} line(s) skipped")
        if skipped:
            sys.exit(1)

    def _checked_start(self, source: IO[str], name: str) -> Iterator[JsonlLine]:
        """The input's lines, once its first line shows it is JSONL: a plain text (or a JSON
        document) would otherwise give "not valid JSON" for every line, and an empty output."""
        lines = jsonl_lines(source)
        first = next(lines, None)
        if first is None:
            return iter(())
        # A first line that is JSON but gives a key twice is a JSONL line with a mistake, not a
        # text file (QA19): it is reported and skipped like any other bad line.
        if (first.problem is not None and first.problem.startswith(("not valid JSON", "not a JSON object"))
                and "is given twice" not in first.problem):
            raise CommandError(
                f"{'standard input' if name == '-' else name}: line {first.number} is not a JSON object. predict reads "
                'JSONL: one {"id": ..., "text": ...} object per line ("target" and "quote_convention" optional). '
                "A text file becomes such a line with\n"
                "  python3 -c 'import json, sys; print(json.dumps({\"id\": sys.argv[1], "
                "\"text\": open(sys.argv[1], encoding=\"utf-8\").read()}))' ARTICLE.txt > ARTICLE.jsonl"
            )
        return itertools.chain([first], lines)

    def _chunks(self, lines: Iterable[JsonlLine], default_target: str, convention: str | None) -> Iterator[list[Row | None]]:
        """Parsed lines in chunks; a bad line is reported with its number and becomes None."""
        chunk: list[Row | None] = []
        for line in lines:
            chunk.append(self._parse(line, default_target, convention))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _parse(self, line: JsonlLine, default_target: str, convention: str | None) -> Row | None:
        def skip(reason: str) -> None:
            self.stderr.write(f"line {line.number}: {reason}; skipped")

        row = line.row
        if row is None:
            skip(line.problem or "not a JSON object")
            return None
        if "id" not in row:
            skip("missing field 'id'")
            return None
        text = row.get("text")
        if not isinstance(text, str):
            skip("missing or non-string field 'text'")
            return None
        if not text.strip():
            skip("'text' is empty")  # as an import says and refuses
            return None
        target = row.get("target", default_target)
        if not isinstance(target, str):
            skip("'target' must be a string")
            return None
        own = row.get("quote_convention")
        if own is not None and own not in QUOTE_CONVENTIONS:
            skip(f"'quote_convention' must be one of {', '.join(QUOTE_CONVENTIONS)}")
            return None
        convention = own or convention or gold_quote_convention(row)
        # score.py matches predictions to gold by id: a second line with one is most likely a mistake.
        key = json.dumps(row["id"], sort_keys=True)
        if key in self._ids:
            self.stderr.write(f"line {line.number}: warning: id {row['id']!r} is also on line {self._ids[key]}; "
                              "both are written")
        else:
            self._ids[key] = line.number
        return row["id"], text, target or default_target, convention
