"""One writer per export format. Each turns sentence records into text chunks, lazily."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

Record = dict[str, Any]

CLAIM_FIELDS = (
    "speaker_text", "speaker_start", "speaker_end", "speaker_canonical", "speaker_is_author",
    "cue_text", "cue_start", "cue_end", "claim_text", "claim_start", "claim_end", "stance",
)
SUGGESTION_FIELDS = (
    *CLAIM_FIELDS, "speaker_confidence", "cue_confidence", "claim_confidence", "stance_confidence", "model",
    "stance_model", "stance_rule", "stance_target",
)
DOCUMENT_FIELDS = ("document_id", "document_title", "document_url", "document_author", "document_published",
                   "document_meta", "stance_target")
SENTENCE_FIELDS = (*DOCUMENT_FIELDS, "sentence_index", "sentence_start", "sentence_end", "sentence_text")
# What makes a spreadsheet read a cell as a formula, tab and carriage return included.
FORMULA_STARTS = frozenset("=+-@\t\r")
ANNOTATION_FIELDS = ("annotator", "kind", "status", "version", "annotated_at", "annotated_target")


class Writer:
    name: ClassVar[str]
    content_type: ClassVar[str]
    extension: ClassVar[str]
    unit: ClassVar[str] = "sentence"  # what one record is: a sentence record, or a whole document

    def write(self, records: Iterable[Record], summary: dict[str, Any] | None = None) -> Iterator[str]:
        """Text chunks of the file. `summary` (agreement figures) is kept by formats that have room for it."""
        raise NotImplementedError


class JsonlWriter(Writer):
    """One sentence per line, with its suggestions and every person's annotation."""

    name, content_type, extension = "jsonl", "application/x-ndjson; charset=utf-8", "jsonl"

    def write(self, records: Iterable[Record], summary: dict[str, Any] | None = None) -> Iterator[str]:
        for record in records:
            yield json.dumps(record, ensure_ascii=False) + "\n"


class JsonWriter(Writer):
    """{"documents": [{"document_id", "document_title", ..., "sentences": [...]}, ...], "agreement": {...}},
    streamed document by document."""

    name, content_type, extension = "json", "application/json; charset=utf-8", "json"

    def write(self, records: Iterable[Record], summary: dict[str, Any] | None = None) -> Iterator[str]:
        yield '{"documents": ['
        current_id: int | None = None
        first_document = True
        for record in records:
            if record["document_id"] != current_id:
                if current_id is not None:
                    yield "]}"
                header = {field: record[field] for field in DOCUMENT_FIELDS}
                yield ("" if first_document else ", ") + json.dumps(header, ensure_ascii=False)[:-1] + ', "sentences": ['
                first_document = False
                current_id = record["document_id"]
                first_sentence = True
            sentence = {k: v for k, v in record.items() if k == "document_id" or k not in DOCUMENT_FIELDS}
            yield ("" if first_sentence else ", ") + json.dumps(sentence, ensure_ascii=False)
            first_sentence = False
        if current_id is not None:
            yield "]}"
        yield "]" + (f', "agreement": {json.dumps(summary, ensure_ascii=False)}' if summary is not None else "") + "}\n"


class CsvWriter(Writer):
    """One claim per row; a sentence marked "no claim" (or not yet annotated) is one row with empty claim fields.

    The machine suggestion stands beside the human label in `suggested_*` columns.
    """

    name, content_type, extension = "csv", "text/csv; charset=utf-8", "csv"
    columns = (
        *SENTENCE_FIELDS, *ANNOTATION_FIELDS, "claim_index", *CLAIM_FIELDS,
        *(f"suggested_{field}" for field in SUGGESTION_FIELDS),
    )

    def write(self, records: Iterable[Record], summary: dict[str, Any] | None = None) -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns, extrasaction="ignore")
        writer.writeheader()
        for record in records:
            for row in self._rows(record):
                writer.writerow({field: spreadsheet_safe(value) for field, value in row.items()})
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    @staticmethod
    def _rows(record: Record) -> Iterator[Record]:
        base = {field: record[field] for field in SENTENCE_FIELDS}
        # A cell holds text: meta as compact JSON, "{}" when empty (README, "Export fields").
        base["document_meta"] = json.dumps(record["document_meta"], ensure_ascii=False, separators=(",", ":"))
        suggestions = record["suggestions"]
        by_id = {s["suggestion_id"]: s for s in suggestions}

        def suggested(suggestion: Record | None) -> Record:
            if suggestion is None:
                return {}
            return {f"suggested_{field}": suggestion[field] for field in SUGGESTION_FIELDS}

        if not record["annotations"]:
            for suggestion in suggestions or [None]:
                yield {**base, "status": "unannotated", **suggested(suggestion)}
            return
        for annotation in record["annotations"]:
            person = {field: annotation[field] for field in ANNOTATION_FIELDS}
            paired: set[int] = set()
            for index, claim in enumerate(annotation["claims"]):
                suggestion = by_id.get(claim["suggestion_id"]) or (suggestions[index] if index < len(suggestions) else None)
                if suggestion is not None:
                    paired.add(id(suggestion))
                yield {**base, **person, "claim_index": index, **{f: claim[f] for f in CLAIM_FIELDS}, **suggested(suggestion)}
            # Each suggestion this person's work does not take (dropped, or all of them beside "no
            # claim") is a row of its own with empty claim fields: the CSV holds every suggestion
            # beside every person's work, as JSON does (QA16: they were left out).
            rest = [suggestion for suggestion in suggestions if id(suggestion) not in paired]
            if not annotation["claims"] and not rest:
                yield {**base, **person}
            for suggestion in rest:
                yield {**base, **person, **suggested(suggestion)}


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula ("=HYPERLINK(...)", "+1", "@SUM",
    "-2+3"), with an apostrophe before it, which spreadsheets hide and do not run (OWASP's advice
    on CSV injection). Only CSV is opened in spreadsheets: JSON and JSONL keep texts exactly."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


class AttributionGoldWriter(JsonlWriter):
    """One document per line in the gold attribution format that `train_attribution` reads."""

    name, extension, unit = "attributions", "attributions.jsonl", "document"


WRITERS: dict[str, Writer] = {writer.name: writer for writer in (JsonWriter(), JsonlWriter(), CsvWriter(), AttributionGoldWriter())}
