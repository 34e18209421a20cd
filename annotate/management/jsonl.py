"""Reading JSONL input for the management commands: one place for line numbers, blank
lines, a BOM and what "not valid JSON" says, so `predict`, `train_attribution` and
`train_stance` report bad lines the same way."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any, NamedTuple

from django.core.management.base import CommandError

from annotate.services.imports import json_value_problem, loads_json, not_utf8_text


class JsonlLine(NamedTuple):
    number: int
    row: dict[str, Any] | None  # None when the line is not a JSON object
    problem: str | None  # why `row` is None


def open_text(path: str, mode: str = "r") -> IO[str]:
    """A file for reading (UTF-8, a BOM is fine) or writing (UTF-8); a clear error if it cannot be opened.

    Read with surrogateescape, so that a byte that is not UTF-8 spoils only its own line
    (`jsonl_lines` reports it) instead of stopping the whole command."""
    try:
        if mode == "r":
            with open(path, "rb") as raw:
                start = raw.read(4096)
            # As imports say (QA19: "not UTF-8 (byte 0xff)", then a reason per line).
            if problem := not_utf8_text(start):
                raise CommandError(f"{path}: {problem[0]}")
            return open(path, mode, encoding="utf-8-sig", errors="surrogateescape")
        return open(path, mode, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from None


def jsonl_lines(handle: Iterable[str]) -> Iterator[JsonlLine]:
    """Every non-blank line, numbered from 1, as a JSON object or the reason it is not one."""
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            line.encode("utf-8")
        except UnicodeEncodeError as error:  # a byte that `open_text` could not decode
            byte = ord(line[error.start]) - 0xDC00
            yield JsonlLine(number, None, f"not UTF-8 (byte 0x{byte:02x} at column {error.start + 1})")
            continue
        try:
            row = loads_json(line)
        except json.JSONDecodeError as error:
            yield JsonlLine(number, None, f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        if not isinstance(row, dict):
            yield JsonlLine(number, None, "not a JSON object")
            continue
        # Read as an import reads a line: a JSON escape such as "\ud800" decodes to half a
        # character, which spaCy and every writer fail on; NaN would be written back as no JSON.
        problem = json_value_problem(row)
        if problem is not None:
            yield JsonlLine(number, None, problem)
            continue
        yield JsonlLine(number, row, None)
