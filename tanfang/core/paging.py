"""Page numbers for lists in pages and the API: one rule for both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import QueryDict

T = TypeVar("T", bound=Model)

MAX_PAGE_SIZE = 200
MAX_PAGE = 100_000  # further than anyone pages; past it an offset would overflow the database's integers


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def page_of(queryset: QuerySet[T], *, page: int = 1, page_size: int = 50) -> Page[T]:
    """Return one page without counting the whole table: fetch one extra row to know if more follow."""
    page = min(max(1, page), MAX_PAGE)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    start = (page - 1) * page_size
    rows = list(queryset[start : start + page_size + 1])
    return Page(items=rows[:page_size], page=page, page_size=page_size, has_next=len(rows) > page_size)


def query_without_page(params: QueryDict) -> str:
    """The current filters as a query string, for building links to other pages."""
    copy = params.copy()
    copy.pop("page", None)
    return copy.urlencode()


def page_number(params: QueryDict) -> int:
    raw = params.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and len(raw) < 10 and int(raw) > 0 else 1
