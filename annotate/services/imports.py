"""Import documents: parse uploads, pre-annotate, store everything in one transaction.

An upload is all or nothing: any bad line rejects the whole upload with its file, line
and reason, and nothing of it is stored.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from annotate.models import (
    CONTROL_CHARACTER_REASON,
    AuditEvent,
    Document,
    ImportJob,
    Project,
    control_character,
    only_invisible,
    tidy_line,
)
from annotate.services.audit import actor_or_none
from annotate.services.preannotation import predict_documents, store_predictions

logger = logging.getLogger(__name__)

# "target": the document's own stance target, overriding the project's.
OPTIONAL_FIELDS = ("title", "url", "author", "published", "target", "meta")
SUPPORTED_EXTENSIONS = (".txt", ".jsonl", ".csv")


@dataclass(frozen=True)
class ImportProblem:
    source: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"


class ImportRejected(Exception):
    """The whole upload was refused; `problems` says where and why."""

    def __init__(self, problems: list[ImportProblem], *, too_large: bool = False):
        self.problems = problems
        self.too_large = too_large  # over CLAIMDESK_MAX_UPLOAD_BYTES: the API answers 413, as for a body
        shown = "; ".join(str(problem) for problem in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"Upload rejected, nothing was stored: {shown}{more}")


@dataclass
class DocumentInput:
    text: str
    title: str = ""
    source_url: str = ""
    author: str = ""
    published: dt.date | None = None
    stance_target: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    # Imports once stored texts with the spaces and newlines around them, and a stored hash never
    # changes (it keys the stance training split): the hash such a text had then, if it differs,
    # so that a document stored so is still found.
    unstripped_sha256: str = ""
    # The line of its .jsonl or .csv file the input starts on, to point at it in reports;
    # None for a text that is the whole upload (pasted, or a .txt file).
    line: int | None = None

    @property
    def sha256(self) -> str:
        return _sha256(self.text)

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "title": self.title, "url": self.source_url, "author": self.author,
                "published": self.published.isoformat() if self.published else None,
                "target": self.stance_target, "meta": self.meta, "unstripped_sha256": self.unstripped_sha256,
                "line": self.line}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentInput:
        published = dt.date.fromisoformat(data["published"]) if data.get("published") else None
        text = data["text"].strip()  # a job queued before texts were stripped holds them as they came
        unstripped = data.get("unstripped_sha256") or (_sha256(data["text"]) if text != data["text"] else "")
        return cls(text=text, title=data["title"], source_url=data["url"], author=data["author"],
                   published=published, stance_target=data.get("target", ""), meta=data["meta"],
                   unstripped_sha256=unstripped, line=data.get("line"))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Duplicate:
    """An input of an upload skipped because its text is stored already (`document_id`) or
    came earlier in the same upload (`repeats`, `repeats_line`)."""

    position: int  # 1-based, in the order of the inputs given to the import
    line: int | None  # DocumentInput.line: where it is in its file, if it came from one of several
    title: str
    document_id: int | None = None
    repeats: int | None = None  # the position of the earlier input
    repeats_line: int | None = None  # and its line


def duplicate_record(duplicate: Duplicate, offset: int = 0) -> dict[str, Any]:
    """A skipped input as the API gives it (`DuplicateSerializer`'s fields), its positions moved
    by `offset`: a background job imports its upload a chunk at a time."""
    return {"position": duplicate.position + offset, "line": duplicate.line, "title": duplicate.title,
            "document": duplicate.document_id,
            "repeats": duplicate.repeats + offset if duplicate.repeats is not None else None,
            "repeats_line": duplicate.repeats_line}


def skipped_lines(records: list[dict[str, Any]], shown: int = 5) -> str:
    """Where the skipped inputs are, for a message: "lines 4, 9 and 2 more" (or their positions)."""
    places = [f"{record['line']}" if record["line"] is not None else f"#{record['position']}" for record in records]
    more = f" and {len(places) - shown} more" if len(places) > shown else ""
    return f"line{'s' if len(places) > 1 else ''} {', '.join(places[:shown])}{more}"


@dataclass
class ImportResult:
    created: list[Document]
    duplicates: list[Duplicate]  # the skipped inputs, by position


def not_utf8_text(data: bytes) -> tuple[str, int | None] | None:
    """(why, the line it shows on or None) if these bytes, a file or its start, are plainly no
    UTF-8 text: another Unicode encoding by its BOM, an archive, NUL bytes. Imports and the
    commands' files (`management.jsonl.open_text`) say the same."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):  # before UTF-16's, which it starts with
        return "the file is UTF-32; save it as UTF-8", None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the file is UTF-16; save it as UTF-8", None
    if data.startswith(b"PK\x03\x04"):
        return "the file is a ZIP archive (a Word or OpenDocument file?), not text; save it as plain text (UTF-8)", None
    if b"\x00" in data:  # text never holds NUL; UTF-16 without its BOM, or a binary file, does
        return ("the file holds NUL bytes: UTF-16 or not a text file; save it as UTF-8",
                data[: data.index(b"\x00")].count(b"\n") + 1)
    return None


def decode_upload(name: str, data: bytes) -> str:
    """UTF-8 with or without BOM; anything else is refused with the position of the first bad byte."""
    if problem := not_utf8_text(data):
        raise ImportRejected([ImportProblem(name, problem[1], problem[0])])
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportRejected(
            [ImportProblem(name, line, f"not UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8")]
        ) from None


def _title_of(line: str) -> str:
    """A title made from a line of the text, or from a file's name: without the control
    characters a text may hold and a title may not (`control_character`)."""
    return tidy_line("".join(char for char in line if not control_character(char)))


def _default_title(text: str) -> str:
    # The first line that shows something: a text may start with a line of a zero-width space.
    first_line = next((tidied for line in text.splitlines() if (tidied := _title_of(line))), "")
    return first_line if len(first_line) <= 80 else first_line[:77].rstrip() + "…"


# JSON's "\ud800" escape gives a str no encoder takes: hashing, the database and the job
# queue all fail on it, so it is refused with its line before anything is stored.
_SURROGATE = re.compile("[\ud800-\udfff]")


class RepeatedKey(ValueError):
    """A JSON object gives one key twice."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"the key {key!r} is given twice")


def object_of_unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`object_pairs_hook` for json.load(s): a key given twice in one object is an error, where
    json keeps the last value without a word (QA19: `{"text": "first", "text": "second"}`
    stored "second"). The API's JSON parser uses it too."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise RepeatedKey(key)
        seen.add(key)
    return dict(pairs)


def loads_json(text: str) -> Any:
    """json.loads, but NaN, Infinity and -Infinity (which Python reads and JSON has not) all
    become NaN, so that `json_value_problem` refuses them and any infinity left is an overflow
    (1e400); and a key given twice in one object is a JSONDecodeError (`object_of_unique_keys`)."""
    try:
        return json.loads(text, parse_constant=lambda literal: math.nan, object_pairs_hook=object_of_unique_keys)
    except RepeatedKey as repeated:
        raise json.JSONDecodeError(str(repeated), text, max(0, text.find(json.dumps(repeated.key)))) from None
    except RecursionError:  # "[[[[…" thousands deep: a bad line, not a crash
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


MAX_NESTING = 100  # deeper JSON is no document's metadata, and storing it could exhaust the stack


def json_value_problem(value: Any) -> str | None:
    """Why a parsed JSON value, with everything nested in it, cannot be stored or passed on
    (a lone surrogate, NaN, an overflow, nesting too deep); None if it can. Imports and the
    commands' JSONL lines (`management.jsonl`) check with it."""
    pending = [(value, 0)]
    while pending:  # a loop, not recursion: json nests as deep as the stack lets it
        item, depth = pending.pop()
        if depth > MAX_NESTING:
            return f"is nested more than {MAX_NESTING} levels deep"
        if isinstance(item, str):
            if found := _SURROGATE.search(item):
                return f"holds an unpaired surrogate (U+{ord(found.group()):04X})"
        elif isinstance(item, float) and not math.isfinite(item):  # the database's JSON check refuses it
            if math.isnan(item):
                return "holds NaN or Infinity, which JSON does not allow"
            return "holds a number too large to store (it overflows to Infinity)"
        elif isinstance(item, dict):
            pending += reversed([(part, depth + 1) for pair in item.items() for part in pair])
        elif isinstance(item, list):
            pending += reversed([(part, depth + 1) for part in item])
    return None


def _parse_date(value: str) -> dt.date:
    """An ISO date, or the date of an ISO date and time (as written, whatever its time zone).
    The whole value must parse: "2018-01-16garbage" is no date."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return dt.datetime.fromisoformat(value).date()


def _document_from_fields(values: dict[str, Any], source: str, line: int | None) -> tuple[DocumentInput | None, list[ImportProblem]]:
    problems: list[ImportProblem] = []

    def problem(reason: str) -> None:
        problems.append(ImportProblem(source, line, reason))

    for key, value in values.items():
        if reason := json_value_problem(key):
            problem(f"a field name {reason}")
        elif reason := json_value_problem(value):
            problem(f"'{key}' {reason}")
    if problems:  # nothing more can be checked safely
        return None, problems

    text = values.get("text")
    if text is None:
        problem("missing field 'text'")
        return None, problems
    if not isinstance(text, str):
        problem("'text' must be a string")
        return None, problems
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # The spaces and blank lines around a text are no part of it: stored and hashed without them,
    # a text is the same with or without its file's last newline. Sentences are split afterwards,
    # from the stored text, so their offsets hold.
    unstripped, text = text, text.strip()
    if "\x00" in text:  # "\u0000" in JSON: no database text column takes it
        problem("'text' holds a NUL character (U+0000)")
    elif not text:
        problem("'text' is empty")
    elif invisible := only_invisible(text):
        problem(f"'text' is empty: it holds only invisible characters (U+{ord(invisible):04X} and the like)")
    elif len(text) > settings.CLAIMDESK_MAX_DOCUMENT_CHARS:
        problem(f"'text' has {len(text):,} characters; the limit is {settings.CLAIMDESK_MAX_DOCUMENT_CHARS:,}")

    strings: dict[str, str] = {}
    for name in ("title", "url", "author", "target"):
        value = values.get(name)
        if value in (None, ""):
            strings[name] = ""
        elif not isinstance(value, str):
            problem(f"'{name}' must be a string")
        elif "\x00" in value:
            problem(f"'{name}' holds a NUL character (U+0000)")
        elif name in ("title", "target") and (char := control_character(value)):
            problem(f"'{name}' " + CONTROL_CHARACTER_REASON.format(code=ord(char)))
        elif name in ("title", "target"):  # one of invisible characters is none, as one of spaces
            strings[name] = tidy_line(value)
        else:
            strings[name] = value.strip()
    for name, column, what in (("title", "title", "'title'"), ("author", "author", "'author'"),
                               ("target", "stance_target", "'target' (the document's stance target)"),
                               ("url", "source_url", "'url'")):
        limit = Document._meta.get_field(column).max_length
        if len(strings.get(name, "")) > limit:
            problem(f"{what} is longer than {limit:,} characters")
    if strings.get("url"):
        try:
            URLValidator()(strings["url"])
        except ValidationError:
            problem(f"'url' is not a valid URL: {strings['url'][:100]!r}")

    published = None
    raw_published = values.get("published")
    if raw_published not in (None, ""):
        try:
            published = _parse_date(str(raw_published).strip())
        except ValueError:
            problem(f"'published' must be a date like 2018-01-16 or a date and time like 2018-01-16T09:30:00Z, "
                    f"not {str(raw_published)[:40]!r}")

    meta = values.get("meta") or {}
    if isinstance(meta, str):  # CSV cells carry meta as JSON text
        try:
            meta = loads_json(meta)
        except json.JSONDecodeError as error:
            # A JSONL string or a CSV cell: either way, what is wanted is an object (QA19: "not
            # valid JSON" for the JSONL string "notobj", which is valid JSON).
            problem(f"'meta': {error.msg}" if "is given twice" in error.msg else
                    f"'meta' must be a JSON object (in a CSV cell, written as JSON text such as "
                    f"{{\"source_id\": 7}}), not {meta[:40]!r}")
            meta = {}
        if reason := json_value_problem(meta):
            problem(f"'meta' {reason}")
            meta = {}
    if not isinstance(meta, dict):
        problem("'meta' must be a JSON object")
        meta = {}
    extra = {key: value for key, value in values.items() if key not in ("text", *OPTIONAL_FIELDS)}
    if extra:  # keep unknown columns rather than silently dropping the user's data
        clashing = sorted(key for key in extra if key in meta and meta[key] != extra[key])
        if clashing:
            problem(f"{', '.join(repr(k) for k in clashing)} given both as a field and inside 'meta', with different "
                    "values: keep one")
        meta = {**extra, **meta}
    if "\\u0000" in json.dumps(meta):  # PostgreSQL's jsonb refuses it
        problem("'meta' or an extra field holds a NUL character (U+0000)")

    if problems:
        return None, problems
    return (
        DocumentInput(
            text=text,
            title=strings["title"] or _default_title(text),
            source_url=strings["url"],
            author=strings["author"],
            published=published,
            stance_target=strings["target"],
            meta=meta,
            unstripped_sha256=_sha256(unstripped) if unstripped != text else "",
            line=line,
        ),
        [],
    )


def parse_text(text: str, *, title: str = "", source: str = "pasted text", **fields: Any) -> list[DocumentInput]:
    document, problems = _document_from_fields({"text": text, "title": title, **fields}, source, None)
    if problems:
        raise ImportRejected(problems)
    assert document is not None
    return [document]


def _with_given(values: dict[str, Any], given: dict[str, str]) -> dict[str, Any]:
    """A line's own title or target wins over the one given with the whole file; an empty one
    (a CSV column left blank on this row, or holding only invisible characters) does not."""
    unset = {key: value for key, value in given.items()
             if values.get(key) is None
             or (isinstance(values[key], str) and not tidy_line(values[key]) and not control_character(values[key]))}
    return {**values, **unset}


def _parse_jsonl(name: str, content: str, given: dict[str, str]) -> list[DocumentInput]:
    documents: list[DocumentInput] = []
    problems: list[ImportProblem] = []
    # Lines end at "\n" only: str.splitlines() also splits at U+2028, U+0085 and others, which
    # JSON strings may hold raw (text scraped from the web often does).
    for number, line in enumerate(content.split("\n"), 1):
        if not line.strip():
            continue
        try:
            values = loads_json(line)
        except json.JSONDecodeError as error:
            problems.append(ImportProblem(name, number, f"not valid JSON: {error.msg} (column {error.colno})"))
            continue
        if not isinstance(values, dict):
            problems.append(ImportProblem(name, number, "each line must be a JSON object"))
            continue
        document, line_problems = _document_from_fields(_with_given(values, given), name, number)
        problems += line_problems
        if document is not None:
            documents.append(document)
    if problems:
        raise ImportRejected(problems)
    if not documents:
        raise ImportRejected([ImportProblem(name, None, "the file holds no documents")])
    return documents


def _csv_reason(error: csv.Error) -> str:
    """csv's own words, said in terms of the file."""
    if str(error) == "unexpected end of data":
        return "a quoted cell that starts here is never closed (a '\"' is missing)"
    if str(error).endswith("expected after '\"'"):
        return "text after the closing '\"' of a quoted cell (a '\"' inside a cell is written '\"\"')"
    return f"malformed CSV: {error}"


def _parse_csv(name: str, content: str, given: dict[str, str]) -> list[DocumentInput]:
    csv.field_size_limit(max(settings.CLAIMDESK_MAX_DOCUMENT_CHARS * 4, 131072))
    # strict: an unclosed quote would otherwise swallow the rows after it into one cell, and
    # text after a closing quote would be glued to the cell.
    reader = csv.DictReader(io.StringIO(content, newline=""), strict=True)
    try:
        header = reader.fieldnames
    except csv.Error as error:
        raise ImportRejected([ImportProblem(name, 1, f"malformed CSV header: {_csv_reason(error)}")]) from None
    if not header:
        raise ImportRejected([ImportProblem(name, None, "the file is empty")])
    # "Text" and "TITLE" are the fields (QA19: " text " was taken, "Text" was "missing column
    # 'text'"); other columns keep their case, as the meta keys they become.
    header = [column.strip() for column in header]
    header = [column.lower() if column.lower() in ("text", *OPTIONAL_FIELDS) else column for column in header]
    reader.fieldnames = header
    twice = [column for index, column in enumerate(header) if column in header[:index]]
    if twice:  # a row would keep only the last cell of the column
        raise ImportRejected([ImportProblem(name, 1, f"column '{column}' appears twice") for column in dict.fromkeys(twice)])
    if "text" not in header:
        hint = "; the file seems to use ';' between columns, use ','" if len(header) == 1 and ";" in header[0] else ""
        raise ImportRejected([ImportProblem(name, 1, f"missing column 'text' (columns: {', '.join(header)}){hint}")])
    documents: list[DocumentInput] = []
    problems: list[ImportProblem] = []
    # A record may span lines (a quoted newline): report the line it starts on.
    start = reader.line_num + 1
    try:
        for row in reader:
            if None in row:  # more cells than header columns
                problems.append(ImportProblem(name, start, "more cells than columns in the header"))
            else:
                document, row_problems = _document_from_fields(
                    _with_given({key: value for key, value in row.items() if value is not None}, given), name, start
                )
                problems += row_problems
                if document is not None:
                    documents.append(document)
            start = reader.line_num + 1
    except csv.Error as error:  # the reader cannot go on: report where the bad record starts
        problems.append(ImportProblem(name, start, _csv_reason(error)))
    if problems:
        raise ImportRejected(problems)
    if not documents:
        raise ImportRejected([ImportProblem(name, None, "the file holds no rows")])
    return documents


def _given_with_file(name: str, title: str, target: str) -> dict[str, str]:
    """The Title and Stance target given with a file, checked once rather than on every line."""
    given, problems = {}, []
    for key, label, value in (("title", "title", title), ("target", "stance target", target)):
        if "\x00" in value or _SURROGATE.search(value):
            problems.append(ImportProblem(name, None, f"the {label} given with the file holds a NUL character or an "
                                                      "unpaired surrogate"))
        elif char := control_character(value):
            problems.append(ImportProblem(name, None, f"the {label} given with the file "
                                                      + CONTROL_CHARACTER_REASON.format(code=ord(char))))
        elif len(value := tidy_line(value)) > 300:
            problems.append(ImportProblem(name, None, f"the {label} given with the file is longer than 300 characters"))
        elif value:
            given[key] = value
    if problems:
        raise ImportRejected(problems)
    return given


def parse_upload(name: str, data: bytes, *, title: str = "", target: str = "") -> list[DocumentInput]:
    """Turn one uploaded file into documents, or raise ImportRejected.

    `target` applies to every document that does not give its own; `title` names the file's one
    document, and a file of several is refused with it rather than given one title for all.
    """
    if len(data) > settings.CLAIMDESK_MAX_UPLOAD_BYTES:
        raise ImportRejected(
            [ImportProblem(name, None, f"the file is {len(data):,} bytes; the limit is {settings.CLAIMDESK_MAX_UPLOAD_BYTES:,}")],
            too_large=True,
        )
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise ImportRejected(
            [ImportProblem(name, None, f"unsupported file type {suffix or '(none)'}; use {', '.join(SUPPORTED_EXTENSIONS)}")]
        )
    given = _given_with_file(name, title, target)
    content = decode_upload(name, data)
    if suffix == ".txt":
        return parse_text(content, title=given.get("title") or _headline(content) or _title_of(PurePath(name).stem),
                          target=given.get("target", ""), source=name)
    documents = (_parse_jsonl if suffix == ".jsonl" else _parse_csv)(name, content, given)
    if "title" in given and len(documents) > 1:
        untitled = sum(document.title == given["title"] for document in documents)
        advice = ("every line already has its own 'title': leave the title empty" if not untitled else
                  f"give the {untitled} line(s) without one their own 'title' in the file, or give no title")
        raise ImportRejected([ImportProblem(
            name, None, f"the title given with the file names one document, but the file holds {len(documents)}: {advice}")])
    return documents


HEADLINE_MAX_CHARS = 150
# A first line ending so is the text's first paragraph, not its headline; a question or an
# exclamation on a line of its own is a headline ("Did the mayor say trams cut emissions?").
SENTENCE_END = tuple('."”’')


def _headline(content: str) -> str:
    """A news text's first line, when it stands alone as a headline: short, and followed by
    a blank line or not ending as a sentence does (newsroom files often have no blank line)."""
    lines = content.strip().split("\n")
    first = lines[0].strip()
    if len(lines) < 2 or not 0 < len(first) <= HEADLINE_MAX_CHARS:
        return ""
    second = lines[1].strip()
    if not second or not (first.endswith(SENTENCE_END) or second[0].islower()):  # lowercase: a hard wrap
        return _title_of(first)
    return ""


def _split_known(project: Project, documents: list[DocumentInput]
                 ) -> tuple[list[tuple[int, DocumentInput]], list[Duplicate]]:
    """(the documents whose texts are new to the project, each with its position; the others:
    those it already holds or that repeat an earlier one of the upload)."""
    hashes = [digest for d in documents for digest in (d.sha256, d.unstripped_sha256) if digest]
    stored = dict(
        Document.objects.filter(project=project, text_sha256__in=hashes).values_list("text_sha256", "pk")
    )
    earlier: dict[str, tuple[int, int | None]] = {}  # (position, line) of a text's first input
    new: list[tuple[int, DocumentInput]] = []
    duplicates: list[Duplicate] = []
    for position, document in enumerate(documents, 1):
        digests = [digest for digest in (document.sha256, document.unstripped_sha256) if digest]
        stored_id = next((stored[digest] for digest in digests if digest in stored), None)
        first = next((earlier[digest] for digest in digests if digest in earlier), None)
        if stored_id is not None:
            duplicates.append(Duplicate(position, document.line, document.title, document_id=stored_id))
        elif first is not None:
            duplicates.append(Duplicate(position, document.line, document.title,
                                        repeats=first[0], repeats_line=first[1]))
        else:
            earlier[document.sha256] = (position, document.line)
            new.append((position, document))
    return new, duplicates


def import_documents(
    *, project: Project, documents: Iterable[DocumentInput], user: AbstractBaseUser | None = None
) -> ImportResult:
    """Pre-annotate the new documents, then store them with their sentences and suggestions at once.

    Texts the project already holds (or that repeat within the upload) are skipped and
    reported by their position among `documents`, so importing the same file twice creates
    nothing twice.
    """
    new, duplicates = _split_known(project, list(documents))
    return _store_new(project, new, duplicates, user)


def _store_new(project: Project, new: list[tuple[int, DocumentInput]], duplicates: list[Duplicate],
               user: AbstractBaseUser | None) -> ImportResult:
    """`import_documents` of documents `_split_known` found new (`duplicates`: the others)."""
    rows = [
        Document(
            project=project,
            title=d.title,
            source_url=d.source_url,
            author=d.author,
            published=d.published,
            stance_target=d.stance_target,
            meta=d.meta,
            text=d.text,
            text_sha256=d.sha256,
            created_by=actor_or_none(user),
        )
        for _, d in new
    ]
    # The slow part (spaCy) runs before the transaction, so the database is locked only
    # for the writes; a failure anywhere leaves nothing of this upload behind.
    predictions = predict_documents(rows)
    actor = actor_or_none(user)
    while True:
        try:
            with transaction.atomic():
                created = Document.objects.bulk_create(rows)
                store_predictions(created, predictions)
                AuditEvent.objects.bulk_create(
                    AuditEvent(
                        project=project,
                        actor=actor,
                        action="document.import",
                        object_type="Document",
                        object_id=str(document.pk),
                        after={"title": document.title, "sha256": document.text_sha256, "chars": len(document.text)},
                    )
                    for document in created
                )
            return ImportResult(created=created, duplicates=sorted(duplicates, key=lambda d: d.position))
        except IntegrityError:
            # The same text stored meanwhile by another upload (a double-clicked Import): it is
            # a duplicate like any other. Anything else breaking a constraint is not ours to hide.
            stored = dict(Document.objects.filter(project=project, text_sha256__in=[r.text_sha256 for r in rows])
                          .values_list("text_sha256", "pk"))
            if not stored:
                raise
            duplicates = duplicates + [Duplicate(position, d.line, d.title, document_id=stored[row.text_sha256])
                                       for (position, d), row in zip(new, rows) if row.text_sha256 in stored]
            kept = [i for i, row in enumerate(rows) if row.text_sha256 not in stored]
            new, rows, predictions = [new[i] for i in kept], [rows[i] for i in kept], [predictions[i] for i in kept]


# A background import pre-annotates and stores this many documents per transaction, or fewer
# when their texts hold more than BACKGROUND_CHUNK_CHARS (about 2 s of pre-annotation): each
# chunk is a step of the progress shown and of the heartbeat `close_stalled_jobs` reads, and a
# few long texts went from 0 to done in one step (QA19).
BACKGROUND_CHUNK = 32
BACKGROUND_CHUNK_CHARS = 40_000


def _next_chunk(documents: list[dict], start: int) -> list[DocumentInput]:
    """The documents of a job's chunk from `start`: at least one, at most BACKGROUND_CHUNK, and
    no more than BACKGROUND_CHUNK_CHARS of text unless the first alone holds more."""
    chunk: list[DocumentInput] = []
    chars = 0
    for data in documents[start:start + BACKGROUND_CHUNK]:
        document = DocumentInput.from_json(data)
        if chunk and chars + len(document.text) > BACKGROUND_CHUNK_CHARS:
            break
        chunk.append(document)
        chars += len(document.text)
    return chunk


def import_or_queue(
    *, project: Project, documents: list[DocumentInput], source: str, user: AbstractBaseUser | None = None
) -> ImportResult | ImportJob:
    """Import small uploads at once; queue larger ones as an ImportJob for the task worker.

    Small is what is new to the project: few documents (`CLAIMDESK_BACKGROUND_IMPORT_OVER`)
    of few characters in all (`CLAIMDESK_BACKGROUND_IMPORT_CHARS`: one long text also holds a
    request for seconds). A file imported again, all of it stored already, is answered at once.
    Either way every document was already checked, so a queued job never fails on bad input.
    """
    new, duplicates = _split_known(project, documents)
    if (len(new) <= settings.CLAIMDESK_BACKGROUND_IMPORT_OVER
            and sum(len(d.text) for _, d in new) <= settings.CLAIMDESK_BACKGROUND_IMPORT_CHARS):
        return _store_new(project, new, duplicates, user)
    from annotate.tasks import import_job_task  # tasks import this module

    with transaction.atomic():
        job = ImportJob.objects.create(
            project=project, source=source[:300], total=len(documents),
            documents=[document.to_json() for document in documents],
            created_by=actor_or_none(user),
        )
        transaction.on_commit(lambda: import_job_task.enqueue(job.pk))
    # As it stands now: an in-process worker has already run it (QA19: the API said "queued",
    # 0 processed, and the page "Importing ... in the background", for a finished import).
    job.refresh_from_db()
    return job


def run_import_job(job_id: int) -> ImportJob:
    """Store a queued upload chunk by chunk, keeping its progress on the job row."""
    job = ImportJob.objects.select_related("project", "created_by").get(pk=job_id)
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, updated_at=timezone.now())
    try:
        while job.processed < job.total:
            chunk = _next_chunk(job.documents, job.processed)
            result = import_documents(project=job.project, documents=chunk, user=job.created_by)
            # Reported as an import at once reports them (QA23: only a count, "already in the
            # project", even for a line repeating an earlier one).
            job.skipped = [*job.skipped, *(duplicate_record(d, job.processed) for d in result.duplicates)]
            job.processed += len(chunk)
            job.created_count += len(result.created)
            job.duplicate_count += len(result.duplicates)
            job.updated_at = timezone.now()  # the heartbeat `close_stalled_jobs` reads
            job.save(update_fields=["processed", "created_count", "duplicate_count", "skipped", "updated_at"])
        job.status, job.documents = ImportJob.Status.DONE, []
        job.message = f"Imported {job.created_count} document(s)."
        if job.skipped:
            job.message += (f" Skipped {job.duplicate_count} already in the project or repeated in the file: "
                            f"{skipped_lines(job.skipped)}.")
    except Exception as error:  # the job row must say what happened; whole chunks stay stored
        logger.exception("import job %s failed", job_id)
        job.status = ImportJob.Status.FAILED
        job.message = (f"Stopped after {job.processed} of {job.total} documents: {error}. "
                       "Import the file again to finish: documents already stored are skipped.")
    job.finished_at = timezone.now()
    job.updated_at = job.finished_at
    job.save(update_fields=["status", "documents", "message", "finished_at", "updated_at"])
    return job
