"""How API lists are cut into pages."""
from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class LimitOffsetWithMaximum(LimitOffsetPagination):
    """`?limit=&offset=`, with a ceiling: without one `?limit=100000` read and rendered a whole
    corpus in one response (QA16). A larger limit gives `max_limit` rows; `next` goes on."""

    max_limit = 1000
