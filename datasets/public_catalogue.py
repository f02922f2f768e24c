"""Reads of the public catalogue page (/inventaire/catalogue/): the published entries, for anyone.

Whoever asks, signed in or not, reads the same thing: the entries whose visibility is PUBLISHED
(a draft never, not even for its own ministry: the page says what the public sees). The search is
the inventory's (`datasets.search.apply_search`, French unaccented configuration, `ts_rank_cd`),
and so are its rules for a broad query (`datasets.selectors`: the planner's estimate, then a
count capped at SEARCH_CAP): a query with few matches is ranked by relevance, a broad one is
listed by date, its most recent BROAD_ROWS matches only (ranking tens of thousands of matches,
or walking deep into them by date, costs tens of milliseconds).

Costs (EXPLAIN ANALYZE on the bench: 200,000 entries, 140,000 published):
- what a query matches is read once and cached under the inventory's generation (exact until
  the next write of an entry): the list's total, a count capped at MAX_ROWS + 1 (a scan that
  stops there, 3-4 ms); a search's ids in page order (1-16 ms, the full-text index);
- a page of a search then reads its 50 rows by id (~0.6 ms); a page of the list by date reads
  its ids first, from the index of the published entries by date alone
  (`asset_published_recent`, migration 0012), and joins only those 50 rows to their
  organisation and ministry (0.1 ms of index on page 1, 1.5 ms on page 200).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from administrators.models import Ministry, Organization
from administrators.selectors import french
from datasets import selectors
from datasets.models import DataAsset
from datasets.search import apply_search, is_postgres

PAGE_SIZE = 50
# Pages of the list by date: 200 (10,000 entries), as the inventory's list. The last one walks
# 10,000 entries of the partial index (~1.5 ms; 45-190 ms before it, reading each row's
# visibility); beyond, a search or a filter narrows the list.
MAX_PAGES = 200
MAX_ROWS = MAX_PAGES * PAGE_SIZE
# A broad search (more than SEARCH_CAP matches, or expected to have more than
# SEARCH_ESTIMATE_BROAD) is listed by date: its BROAD_ROWS most recent matches (4 pages), read
# once (1-22 ms). Deeper, two frequent words walk ~20 entries per match (~90 ms at 2,000).
BROAD_ROWS = 200

# What a row of the page shows.
ROW_FIELDS = (
    "pk",
    "title",
    "updated_at",
    "organization__name",
    "ministry__short_name",
    "ministry__name",
)


@dataclass(frozen=True)
class CatalogueQuery:
    """What the visitor asked for: words, a ministry, one of its organisations."""

    q: str = ""
    ministry: int | None = None
    organization: int | None = None

    def cache_key(self) -> str:
        raw = json.dumps([self.q, self.ministry, self.organization])
        return hashlib.sha256(raw.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class CatalogueHits:
    """How the matches of a query are listed.

    total: how many rows are paginated (at most MAX_ROWS, or BROAD_ROWS for a broad search);
    more: there are more matches than that (the page says so); ranked: by relevance rather than
    by date; broad: a search with too many matches to rank, listed by date; estimate: the
    planner's estimate of a broad search's matches (None when they were counted); ids: a
    search's matches in the order of the pages (None for the list by date, read page by page)."""

    total: int
    more: bool = False
    ranked: bool = False
    broad: bool = False
    estimate: int | None = None
    ids: tuple[int, ...] | None = None


def published_assets() -> QuerySet[DataAsset]:
    """Every published entry: what the public catalogue shows, whoever asks."""
    return DataAsset.objects.filter(visibility=DataAsset.Visibility.PUBLISHED)


def _filtered(query: CatalogueQuery) -> QuerySet[DataAsset]:
    qs = published_assets()
    if query.ministry is not None:
        qs = qs.filter(ministry_id=query.ministry)
    if query.organization is not None:
        qs = qs.filter(organization_id=query.organization)
    return qs


def matching(query: CatalogueQuery) -> QuerySet[DataAsset]:
    """The published entries that match `query`, unordered and without rank."""
    qs = _filtered(query)
    return apply_search(qs, query.q, rank=False, public=True) if query.q else qs


def ministry_choices() -> list[tuple[int, str, str]]:
    """(id, name, code) of every ministry, for the ministry select and the link to the
    ministry's DCAT catalogue (one query)."""
    return list(Ministry.objects.order_by(french("name"), "pk").values_list("pk", "name", "code"))


def organization_choices(ministry_id: int) -> list[tuple[int, str]]:
    """(id, name) of the organisations of one ministry, for the organisation select."""
    return list(
        Organization.objects.filter(ministry_id=ministry_id)
        .order_by(french("name"), "pk")
        .values_list("pk", "name")
    )


def _capped_count(qs: QuerySet[DataAsset], cap: int) -> int:
    """min(number of rows of `qs`, cap): the scan stops at `cap` rows."""
    return qs.order_by()[:cap].count()


def _ranked_ids(qs: QuerySet[DataAsset], q: str, cap: int) -> list[int] | None:
    """The ids of the matches of `q` in `qs`, most relevant first (then most recent), or None
    when there are more than `cap` of them. One statement: the matches with their rank, read
    from the full-text index and stopping at cap + 1, sorted here (at most SEARCH_CAP rows)."""
    if is_postgres():
        ranked: QuerySet[Any] = apply_search(qs, q, rank=True, public=True)  # `search_rank`
        found = list(ranked.order_by().values_list("pk", "search_rank", "updated_at")[: cap + 1])
    else:  # no rank off PostgreSQL (`make run`'s SQLite): the matches, most recent first
        matches = apply_search(qs, q, rank=False, public=True)
        found = [
            (pk, 0.0, at)
            for pk, at in matches.order_by().values_list("pk", "updated_at")[: cap + 1]
        ]
    if len(found) > cap:
        return None
    found.sort(key=lambda r: (r[1], r[2], r[0]), reverse=True)
    return [pk for pk, _, _ in found]


def _read_hits(query: CatalogueQuery) -> CatalogueHits:
    qs = matching(query)
    if not query.q:
        n = _capped_count(qs, MAX_ROWS + 1)
        return CatalogueHits(total=min(n, MAX_ROWS), more=n > MAX_ROWS)
    # The inventory's rule (selectors.search_hits): a query the planner expects to be broad is
    # not read beyond the rows the page would list (counting the matches of two frequent words
    # costs 15-40 ms); the others are read up to SEARCH_CAP matches, with their rank.
    estimate = selectors.estimated_rows(qs)
    expected_broad = estimate >= selectors.SEARCH_ESTIMATE_BROAD
    ids = _ranked_ids(
        _filtered(query), query.q, BROAD_ROWS if expected_broad else selectors.SEARCH_CAP
    )
    if ids is not None:
        return CatalogueHits(total=len(ids), ranked=True, ids=tuple(ids))
    # Broad: its most recent matches, walking the date index (a page deeper than BROAD_ROWS
    # would walk ~20 entries per match for two frequent words).
    recent = list(qs.order_by("-updated_at", "-id").values_list("pk", flat=True)[:BROAD_ROWS])
    return CatalogueHits(
        total=len(recent),
        more=True,
        broad=True,
        estimate=estimate if expected_broad else None,
        ids=tuple(recent),
    )


def catalogue_hits(query: CatalogueQuery) -> CatalogueHits:
    """How the page lists `query`: the paginated total, the order, and a search's ids in that
    order, cached under the inventory's generation (every write of entries moves it, publishing
    and withdrawing included): the pages of a search then read only their 50 rows."""
    generation = selectors._generation()
    key = (
        f"datasets:public:{generation}:{MAX_ROWS}:{BROAD_ROWS}:{selectors.SEARCH_CAP}:"
        f"{selectors.SEARCH_ESTIMATE_BROAD}:{query.cache_key()}"
    )
    cached = cache.get(key)
    if isinstance(cached, CatalogueHits):
        return cached
    hits = _read_hits(query)
    cache.set(key, hits, selectors.FACET_CACHE_SECONDS)
    return hits


def catalogue_rows(
    query: CatalogueQuery, hits: CatalogueHits, *, offset: int, limit: int, sort: str = ""
) -> list[dict[str, Any]]:
    """One page of rows (ROW_FIELDS dicts), in one query.

    A search: the page's ids were read with its hits; only those rows are read (and only if
    still published). The list, by date or in the order `sort` names (`selectors.SORTS`): the
    page's ids from the index of that order first, and only those 50 rows joined to their
    organisation and ministry (a plain OFFSET would join every row it skips)."""
    limit = max(0, min(limit, hits.total - offset))
    if limit <= 0:
        return []
    if hits.ids is not None:
        page_ids = hits.ids[offset : offset + limit]
        found = {
            row["pk"]: row for row in published_assets().filter(pk__in=page_ids).values(*ROW_FIELDS)
        }
        return [found[pk] for pk in page_ids if pk in found]
    # The search's raw condition (`apply_search`) names the table: it would bind to the outer
    # query inside a sub-select, which is why a search never takes this path.
    order = selectors.sort_terms(sort)
    ids = matching(query).order_by(*order).values("pk")[offset : offset + limit]
    return list(DataAsset.objects.filter(pk__in=ids).order_by(*order).values(*ROW_FIELDS))
