"""Reading JSONL input for the management commands: one place for line numbers, blank
lines, a BOM and what "not valid JSON" says, so `predict`, `train_attribution` and
`train_stance` report bad lines the same way."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any, NamedTuple

from django.core.management.base import CommandError


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
            row = json.loads(line, parse_constant=_refuse_constant)
        except json.JSONDecodeError as error:
            yield JsonlLine(number, None, f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        except ValueError as error:  # NaN or Infinity: Python's json reads them, JSON has none
            yield JsonlLine(number, None, f"not valid JSON ({error})")
            continue
        if not isinstance(row, dict):
            yield JsonlLine(number, None, "not a JSON object")
            continue
        surrogate = _unpaired_surrogate(row)
        if surrogate is not None:
            # A JSON escape such as "\ud800" decodes to half a character, which no UTF-8 text
            # can hold: spaCy and every writer fail on it.
            yield JsonlLine(number, None, f"holds an unpaired surrogate (U+{surrogate:04X}), which is no character")
            continue
        yield JsonlLine(number, row, None)


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON value")


def _unpaired_surrogate(value: Any) -> int | None:
    """The code point of the first lone surrogate in any string of a parsed JSON value, or None."""
    if isinstance(value, str):
        return next((ord(c) for c in value if 0xD800 <= ord(c) <= 0xDFFF), None)
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _unpaired_surrogate(key) if isinstance(key, str) else None
        if found is None:
            found = _unpaired_surrogate(item)
        if found is not None:
            return found
    return None
