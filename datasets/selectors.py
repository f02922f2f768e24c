"""Reads of the inventory, scoped with `DataAsset.objects.for_user(user)`.

Filters are parsed once (`AssetFilters.from_query`) and shared by the HTML list and the REST API.
Facets are "disjunctive": the counts of a facet apply every filter except its own, so several
values of one facet can be ticked. Each facet is one GROUP BY query over the filtered set; their
number depends on the ministry's extra-field definitions, never on the number of entries.
Facet results are cached for a short while under a key that changes with every inventory write
(`bump_inventory_generation`), so counts are exact and repeated visits cost no query.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.fields.json import KT
from django.http import Http404

from administrators.models import Ministry, Organization
from core.access import access_for
from core.audit import history_for
from core.models import AuditEntry
from datasets.models import (
    AssessmentGround,
    AssessmentHistory,
    AssetType,
    DataAsset,
    ExtraFieldDefinition,
    OpenByDefaultAssessment,
    ReferenceDataDesignation,
    UpdateFrequency,
)
from datasets.search import apply_search, normalise_query

FACET_CACHE_SECONDS = 120
GENERATION_KEY = "datasets:generation"
FACET_LIMIT = 30
SEARCH_CAP = 2000


def bump_inventory_generation() -> None:
    """Called by every write of entries: cached facet counts become stale."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, None)


def _generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, None)
        return 1
    return int(value)


@dataclass
class AssetFilters:
    q: str = ""
    ministry: list[int] = field(default_factory=list)
    organization: list[int] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    asset_type: list[str] = field(default_factory=list)
    update_frequency: list[str] = field(default_factory=list)
    personal_data: list[str] = field(default_factory=list)  # "oui" / "non"
    reference: list[str] = field(default_factory=list)  # regimes or "aucune"
    visibility: list[str] = field(default_factory=list)
    extra: dict[str, list[str]] = field(default_factory=dict)

    LIST_FIELDS = (
        "ministry",
        "organization",
        "status",
        "asset_type",
        "update_frequency",
        "personal_data",
        "reference",
        "visibility",
    )

    @classmethod
    def from_query(cls, query: Mapping[str, Any]) -> AssetFilters:
        """From a QueryDict (repeated keys) or a plain dict; unknown values are dropped."""

        def getlist(key: str) -> list[str]:
            if hasattr(query, "getlist"):
                values = query.getlist(key)
            else:
                raw = query.get(key)
                values = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
            out: list[str] = []
            for v in values:
                out.extend(p for p in str(v).split(",") if p)
            return out[:50]

        def ints(key: str) -> list[int]:
            return [int(v) for v in getlist(key) if v.isdigit()][:50]

        statuses = OpenByDefaultAssessment.Status.values
        extra: dict[str, list[str]] = {}
        for key in query:
            if str(key).startswith("extra."):
                extra[str(key)[6:][:64]] = getlist(str(key))[:20]
        return cls(
            q=normalise_query(str(query.get("q") or "")),
            ministry=ints("ministry"),
            organization=ints("organization"),
            status=[s for s in getlist("status") if s in statuses],
            asset_type=[s for s in getlist("asset_type") if s in AssetType.values],
            update_frequency=[
                s for s in getlist("update_frequency") if s in UpdateFrequency.values
            ],
            personal_data=[s for s in getlist("personal_data") if s in ("oui", "non")],
            reference=[
                s
                for s in getlist("reference")
                if s in ReferenceDataDesignation.Regime.values or s == "aucune"
            ],
            visibility=[s for s in getlist("visibility") if s in DataAsset.Visibility.values],
            extra={k: v for k, v in extra.items() if v},
        )

    def active(self) -> bool:
        return bool(self.q or any(getattr(self, f) for f in self.LIST_FIELDS) or self.extra)

    def cache_key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:24]


def _apply(qs: QuerySet[DataAsset], f: AssetFilters, skip: str = "") -> QuerySet[DataAsset]:
    if f.ministry and skip != "ministry":
        qs = qs.filter(ministry_id__in=f.ministry)
    if f.organization and skip != "organization":
        qs = qs.filter(organization_id__in=f.organization)
    if f.status and skip != "status":
        qs = qs.filter(assessment__status__in=f.status)
    if f.asset_type and skip != "asset_type":
        qs = qs.filter(asset_type__in=f.asset_type)
    if f.update_frequency and skip != "update_frequency":
        qs = qs.filter(update_frequency__in=f.update_frequency)
    if f.personal_data and skip != "personal_data" and len(f.personal_data) == 1:
        qs = qs.filter(contains_personal_data=f.personal_data[0] == "oui")
    if f.visibility and skip != "visibility":
        qs = qs.filter(visibility__in=f.visibility)
    if f.reference and skip != "reference":
        cond = Q(reference_designation__regime__in=[r for r in f.reference if r != "aucune"])
        if "aucune" in f.reference:
            cond |= Q(reference_designation__isnull=True)
        qs = qs.filter(cond)
    for code, values in f.extra.items():
        if skip == f"extra.{code}":
            continue
        wanted: list[Any] = []
        for value in values:
            wanted.append(value)
        qs = qs.annotate(**{f"_x_{code}": KT(f"extra__{code}")}).filter(
            **{f"_x_{code}__in": [_extra_text(v) for v in wanted]}
        )
    return qs


def _extra_text(value: str) -> str:
    """Booleans are stored as JSON true/false; KT() reads them as 'true' / 'false'."""
    return {"oui": "true", "non": "false"}.get(value, value)


def base_queryset(user: Any) -> QuerySet[DataAsset]:
    return DataAsset.objects.for_user(user)


def asset_list(user: Any, filters: AssetFilters, *, ranked: bool = True) -> QuerySet[DataAsset]:
    """Entries matching `filters`, with what a list row shows (flat query count)."""
    qs = _apply(base_queryset(user), filters)
    qs = qs.select_related("organization", "ministry", "assessment")
    if filters.q:
        qs = apply_search(qs, filters.q, rank=ranked)
        from datasets.search import is_postgres

        if ranked and is_postgres():
            rank_order: Any = "-search_rank"
            return qs.order_by(rank_order, "-updated_at", "-id")
    return qs.order_by("-updated_at", "-id")


def single_ministry(user: Any, filters: AssetFilters) -> int | None:
    """The ministry whose extra fields apply: the filtered one, or the caller's only one."""
    if len(filters.ministry) == 1:
        return filters.ministry[0]
    access = access_for(user)
    if not access.sees_all_ministries and len(access.visible_ministry_ids) == 1:
        return next(iter(access.visible_ministry_ids))
    return None


def extra_definitions(
    ministry_id: int | None, *, active_only: bool = True
) -> list[ExtraFieldDefinition]:
    if ministry_id is None:
        return []
    qs = ExtraFieldDefinition.objects.filter(ministry_id=ministry_id)
    if active_only:
        qs = qs.filter(retired_at__isnull=True)
    return list(qs.order_by("order", "label"))


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    key: str
    label: str
    values: list[FacetValue]


def _scope_key(user: Any) -> str:
    access = access_for(user)
    scope = (
        "all"
        if access.is_network_staff
        else f"{sorted(access.visible_ministry_ids)}:{access.network_viewer}"
    )
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def _cache_key(kind: str, user: Any, filters: AssetFilters) -> str:
    return f"datasets:{kind}:{_generation()}:{_scope_key(user)}:{filters.cache_key()}"


def asset_count(
    user: Any, filters: AssetFilters, qs: QuerySet[DataAsset], *, cap: int | None = None
) -> int:
    """Number of entries matching `filters` (cached like the facets: exact until next write).

    With `cap`, counting stops at cap + 1 (a broad full-text query matches tens of thousands of
    entries; counting them all would read every one of them)."""
    key = _cache_key(f"count{cap or ''}", user, filters)
    cached = cache.get(key)
    if cached is not None:
        return int(cached)
    counted = qs.order_by()
    count = counted.values("pk")[: cap + 1].count() if cap else counted.count()
    cache.set(key, count, FACET_CACHE_SECONDS)
    return count


def broad_search(user: Any, filters: AssetFilters) -> bool:
    """True when the query matches more than SEARCH_CAP entries: results are then listed by
    date instead of by relevance and facets describe the SEARCH_CAP most recent matches."""
    if not filters.q:
        return False
    qs = apply_search(_apply(base_queryset(user), filters), filters.q, rank=False)
    return asset_count(user, filters, qs, cap=SEARCH_CAP) > SEARCH_CAP


def disjunctive_facets(user: Any, filters: AssetFilters) -> bool:
    """Facets ignore their own filter (so several values can be ticked) when the scope is one
    ministry (a few thousand entries). Over the whole network, each facet applies every filter:
    counts then cost an index lookup instead of a scan of every entry."""
    if len(filters.ministry) == 1:
        return True
    access = access_for(user)
    return not access.sees_all_ministries and len(access.visible_ministry_ids) <= 1


def asset_facets(user: Any, filters: AssetFilters, *, broad: bool = False) -> list[Facet]:
    key = _cache_key(f"facets{'-broad' if broad else ''}", user, filters)
    cached = cache.get(key)
    if cached is not None:
        return list(cached)
    facets = _compute_facets(user, filters, broad=broad)
    cache.set(key, facets, FACET_CACHE_SECONDS)
    return facets


# Facet key -> the queryset path it groups by.
FACET_COLUMNS: dict[str, str] = {
    "ministry": "ministry_id",
    "organization": "organization_id",
    "status": "assessment__status",
    "asset_type": "asset_type",
    "update_frequency": "update_frequency",
    "personal_data": "contains_personal_data",
    "reference": "reference_designation__regime",
    "visibility": "visibility",
}


def _grouped_counts(
    qs: QuerySet[DataAsset], columns: dict[str, Any]
) -> dict[str, list[tuple[Any, int]]]:
    """Counts per value of each column over `qs`: one scan with GROUPING SETS on PostgreSQL,
    one GROUP BY per column elsewhere. Values sorted by count, FACET_LIMIT per column."""
    if not columns:
        return {}
    aliases = {key: f"facet_{i}" for i, key in enumerate(columns)}
    annotated = qs.order_by().annotate(**{aliases[k]: expr for k, expr in columns.items()})
    result: dict[str, list[tuple[Any, int]]] = {}
    if connection.vendor != "postgresql":
        for key, alias in aliases.items():
            rows = annotated.values(alias).annotate(n=Count("pk")).order_by("-n")[:FACET_LIMIT]
            result[key] = [(r[alias], r["n"]) for r in rows]
        return result
    try:
        inner_sql, params = annotated.values(*aliases.values()).query.sql_with_params()
    except EmptyResultSet:  # e.g. a caller without any ministry: nothing to count
        return {k: [] for k in aliases}
    cols = ", ".join(f'"{a}"' for a in aliases.values())
    flags = ", ".join(f'GROUPING("{a}")' for a in aliases.values())
    sets = ", ".join(f'("{a}")' for a in aliases.values())
    sql = f"SELECT {cols}, {flags}, COUNT(*) FROM ({inner_sql}) AS facet_rows GROUP BY GROUPING SETS ({sets})"  # noqa: S608 - aliases are ours, values are parameters
    n = len(aliases)
    buckets: dict[str, list[tuple[Any, int]]] = {k: [] for k in aliases}
    keys = list(aliases)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            grouping = row[n : 2 * n]
            for i, flag in enumerate(grouping):
                if flag == 0:
                    buckets[keys[i]].append((row[i], row[2 * n]))
                    break
    for key, values in buckets.items():
        result[key] = sorted(values, key=lambda v: -v[1])[:FACET_LIMIT]
    return result


def _compute_facets(user: Any, f: AssetFilters, *, broad: bool = False) -> list[Facet]:
    base = base_queryset(user)
    if f.q:
        base = apply_search(base, f.q, rank=False)
    access = access_for(user)
    disjunctive = disjunctive_facets(user, f) and not broad
    if broad:
        # The ids are read first: as a subquery with LIMIT, PostgreSQL may re-run it per row.
        recent = list(
            _apply(base, f).order_by("-updated_at", "-id").values_list("pk", flat=True)[:SEARCH_CAP]
        )
        base = DataAsset.objects.filter(pk__in=recent)
    keys = list(FACET_COLUMNS)
    if not (access.sees_all_ministries or len(access.visible_ministry_ids) > 1):
        keys.remove("ministry")
    columns: dict[str, Any] = {k: F(FACET_COLUMNS[k]) for k in keys}
    ministry_id = single_ministry(user, f)
    definitions = [
        d
        for d in (extra_definitions(ministry_id) if ministry_id is not None else [])
        if d.kind in (ExtraFieldDefinition.Kind.CHOICE, ExtraFieldDefinition.Kind.BOOLEAN)
    ]
    for d in definitions:
        columns[f"extra.{d.code}"] = KT(f"extra__{d.code}")

    def own_filter_active(key: str) -> bool:
        if key.startswith("extra."):
            return bool(f.extra.get(key[6:]))
        return bool(getattr(f, key))

    counts: dict[str, list[tuple[Any, int]]] = {}
    shared = {k: v for k, v in columns.items() if not (disjunctive and own_filter_active(k))}
    counts.update(_grouped_counts(_apply(base, f), shared))
    for key, expr in columns.items():
        if key not in shared:  # disjunctive: this facet ignores its own filter
            counts.update(_grouped_counts(_apply(base, f, key), {key: expr}))

    names: dict[str, dict[Any, str]] = {}
    if "ministry" in counts:
        names["ministry"] = {
            m.pk: m.short_name or m.name
            for m in Ministry.objects.filter(pk__in=[v for v, _ in counts["ministry"]]).only(
                "pk", "short_name", "name"
            )
        }
    names["organization"] = dict(
        Organization.objects.filter(pk__in=[v for v, _ in counts["organization"]]).values_list(
            "pk", "name"
        )
    )
    labels: dict[str, dict[Any, str]] = {
        "status": {k: str(v) for k, v in OpenByDefaultAssessment.Status.choices},
        "asset_type": {k: str(v) for k, v in AssetType.choices},
        "update_frequency": {k: str(v) for k, v in UpdateFrequency.choices},
        "reference": {k: str(v) for k, v in ReferenceDataDesignation.Regime.choices},
        "visibility": {k: str(v) for k, v in DataAsset.Visibility.choices},
    }
    titles = {
        "ministry": "Ministère",
        "organization": "Organisation",
        "status": "Statut d'ouverture",
        "asset_type": "Type",
        "update_frequency": "Fréquence de mise à jour",
        "personal_data": "Données personnelles",
        "reference": "Donnée de référence",
        "visibility": "Visibilité",
    }
    facets: list[Facet] = []
    for key in keys:
        chosen = {str(s) for s in getattr(f, key)}
        values: list[FacetValue] = []
        for raw, n in counts.get(key, []):
            if key in ("ministry", "organization"):
                value, label = str(raw), names[key].get(raw, "?")
            elif key == "personal_data":
                value = "oui" if raw else "non"
                label = "Oui" if raw else "Non"
            elif key == "reference":
                value = raw or "aucune"
                label = labels[key].get(raw, "Aucune")
            else:
                if raw in (None, ""):
                    continue
                value, label = str(raw), labels[key].get(raw, str(raw))
            values.append(FacetValue(value, label, n, value in chosen))
        facets.append(Facet(key, titles[key], values))
    for d in definitions:
        key = f"extra.{d.code}"
        chosen = set(f.extra.get(d.code, []))
        values = []
        for raw, n in counts.get(key, []):
            if raw in (None, ""):
                continue
            if d.kind == ExtraFieldDefinition.Kind.BOOLEAN:
                value = "oui" if raw in ("true", True) else "non"
                label = "Oui" if value == "oui" else "Non"
            else:
                value = label = str(raw)
            values.append(FacetValue(value, label, n, value in chosen))
        facets.append(Facet(key, d.label, values))
    return facets


# --- Single entry ------------------------------------------------------------------------------


def asset_detail(user: Any, pk: int) -> DataAsset:
    """One visible entry with everything its page shows; 404 when not visible to `user`."""
    asset = (
        base_queryset(user)
        .select_related(
            "organization",
            "ministry",
            "licence",
            "processing",
            "hvd_category",
            "assessment",
            "assessment__no_anonymisation_category",
            "reference_designation",
            "reference_designation__spd_dataset",
        )
        .prefetch_related(
            "formats",
            Prefetch(
                "assessment__ground_links",
                queryset=AssessmentGround.objects.select_related("ground").order_by("ground__code"),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if asset is None:
        raise Http404
    return asset


def asset_for_update(user: Any, pk: int) -> DataAsset:
    asset = (
        base_queryset(user)
        .select_related("organization", "licence", "assessment")
        .filter(pk=pk)
        .first()
    )
    if asset is None:
        raise Http404
    return asset


def asset_audit_history(asset: DataAsset, limit: int = 100) -> list[AuditEntry]:
    return list(history_for(asset)[:limit])


def assessment_history(asset: DataAsset, limit: int = 100) -> QuerySet[AssessmentHistory]:
    return (
        AssessmentHistory.objects.filter(asset=asset)
        .select_related("actor")
        .order_by("-recorded_at", "-id")[:limit]
    )


def editable_organizations(user: Any) -> QuerySet[Organization]:
    """Organisations the caller may attach entries to."""
    access = access_for(user)
    qs = Organization.objects.select_related("ministry").order_by("ministry__name", "name")
    if access.is_network_staff:
        return qs
    return qs.filter(
        Q(ministry_id__in=access.admin_ministry_ids) | Q(pk__in=access.correspondent_org_ids)
    )


def visible_ministries(user: Any) -> QuerySet[Ministry]:
    return Ministry.objects.for_user(user).order_by("name")


def editable_ministries(user: Any) -> QuerySet[Ministry]:
    access = access_for(user)
    if access.is_network_staff:
        return Ministry.objects.order_by("name")
    return Ministry.objects.filter(pk__in=access.admin_ministry_ids).order_by("name")


def with_filters(filters: AssetFilters, **changes: Any) -> AssetFilters:
    return replace(filters, **changes)
