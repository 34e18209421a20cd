"""Request body parsers."""
from __future__ import annotations

import codecs

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from annotate.services.imports import object_of_unique_keys


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with two more bodies refused as malformed JSON (a 400): one nested
    deeper than Python's parser goes ("[[[[…" by the thousand; it was a 500), and an object
    giving a key twice (`{"text": "a", "text": "b"}` stored "b" without a word: QA19)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json.load(codecs.getreader(encoding)(stream), parse_constant=json.strict_constant if self.strict else None,
                             object_pairs_hook=object_of_unique_keys)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from None
