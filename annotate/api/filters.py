"""Query filters of the list endpoints (django-filter): what a triage client narrows a list by."""
from __future__ import annotations

import django_filters
from django.db.models import F, QuerySet
from django.db.models.functions import Lower
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from annotate.models import Document


class DocumentFilter(django_filters.FilterSet):
    """`?title=` (part of the title, any case), `?unfinished=true` (sentences you have not
    done yet), `?published_after=` / `?published_before=` (dates, inclusive)."""

    title = django_filters.CharFilter(lookup_expr="icontains")
    # A choice, not django-filter's BooleanFilter, which reads "?unfinished=maybe" as no filter at
    # all and returns every document; here it is a 400 naming the field (QA11).
    unfinished = django_filters.TypedChoiceFilter(
        choices=[(word, word) for word in ("true", "false", "1", "0")], coerce=lambda word: word in ("true", "1"),
        method="filter_unfinished", label="with sentences you have not done yet",
    )
    published_after = django_filters.DateFilter(field_name="published", lookup_expr="gte")
    published_before = django_filters.DateFilter(field_name="published", lookup_expr="lte")

    class Meta:
        model = Document
        fields = ["title", "unfinished", "published_after", "published_before"]

    def filter_unfinished(self, queryset: QuerySet[Document], name: str, value: bool | None) -> QuerySet[Document]:
        # done_count and sentence_count come from selectors.documents_with_progress.
        if value is None:
            return queryset
        return queryset.filter(done_count__lt=F("sentence_count")) if value else queryset.filter(done_count__gte=F("sentence_count"))


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=` as DRF reads it, except that an unknown field is a 400 (DRF drops it
    silently, which hides a typo) and text fields in `case_insensitive_fields` sort
    without regard to case ("fact" beside "Fact", not after every capital)."""

    def remove_invalid_fields(self, queryset, fields, view, request) -> list[str]:
        valid = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        unknown = [term for term in fields if term.lstrip("-") not in valid]
        if unknown:
            raise ValidationError({self.ordering_param: [f"unknown field {unknown[0]!r}; use one of {', '.join(valid)}"]})
        return fields

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        folded = set(getattr(view, "case_insensitive_fields", ()))
        terms = []
        for term in ordering:
            name = term.lstrip("-")
            if name in folded:
                terms.append(Lower(name).desc() if term.startswith("-") else Lower(name).asc())
            else:
                terms.append(term)
        return queryset.order_by(*terms, "pk")  # ties in a stable order across pages
