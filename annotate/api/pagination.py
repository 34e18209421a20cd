"""How API lists are cut into pages."""
from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination


class LimitOffsetWithMaximum(LimitOffsetPagination):
    """`?limit=&offset=`, with a ceiling: without one `?limit=100000` read and rendered a whole
    corpus in one response (QA16). A larger limit gives `max_limit` rows; `next` goes on.

    A limit or offset that is no number, or out of range, is a 400 naming it, as a bad
    `?ordering=` is: DRF's own answered the first page for `?offset=abc` (QA19), so a script
    with a typo read page one again and again."""

    max_limit = 1000

    def _number(self, request, name: str, minimum: int) -> int | None:
        value = request.query_params.get(name)
        if value is None:
            return None
        # ASCII digits only: int() also reads "٣" and " 3 ".
        if not (value.isascii() and value.lstrip("-").isdigit()):
            raise ValidationError({name: [f"must be a whole number, not {value[:40]!r}"]})
        number = int(value)
        if number < minimum:
            raise ValidationError({name: [f"must be at least {minimum}, not {number}"]})
        return number

    def get_limit(self, request):
        limit = self._number(request, self.limit_query_param, 1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        return self._number(request, self.offset_query_param, 0) or 0
