"""Query filters of the list endpoints (django-filter): what a triage client narrows a list by."""
from __future__ import annotations

import django_filters
from django.db.models import F, QuerySet

from annotate.models import Document


class DocumentFilter(django_filters.FilterSet):
    """`?title=` (part of the title, any case), `?unfinished=true` (sentences you have not
    done yet), `?published_after=` / `?published_before=` (dates, inclusive)."""

    title = django_filters.CharFilter(lookup_expr="icontains")
    unfinished = django_filters.BooleanFilter(method="filter_unfinished", label="with sentences you have not done yet")
    published_after = django_filters.DateFilter(field_name="published", lookup_expr="gte")
    published_before = django_filters.DateFilter(field_name="published", lookup_expr="lte")

    class Meta:
        model = Document
        fields = ["title", "unfinished", "published_after", "published_before"]

    def filter_unfinished(self, queryset: QuerySet[Document], name: str, value: bool | None) -> QuerySet[Document]:
        # done_count and sentence_count come from selectors.documents_with_progress.
        if value is None:
            return queryset
        unfinished = queryset.filter(done_count__lt=F("sentence_count"))
        return unfinished if value else queryset.exclude(pk__in=unfinished.values("pk"))
