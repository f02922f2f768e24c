"""Reads of guides: what the caller may see, with its joins, search and the "à revoir" flag."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.http import Http404
from django.utils import timezone

from core.models import LegalReference
from guides.models import Guide, GuideVersion
from guides.permissions import can_edit_guides, can_read_version

PUBLIC_STATUSES = (GuideVersion.Status.PUBLIEE, GuideVersion.Status.ARCHIVEE)
# Versions everybody reads: the one in force and those it replaced. An archived draft (overtaken
# by a newer published version before it was published) was never in force: editors only.
PUBLIC_VERSIONS = Q(status__in=PUBLIC_STATUSES, published_at__isnull=False)
MAX_QUERY_LENGTH = 200
# `french_unaccent` (French stemming after `unaccent`) is created by datasets' migration 0010,
# on which guides' 0002 depends.
UNACCENTED_CONFIG = "french_unaccent"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _stale_references(version_ref: str, published_ref: str) -> QuerySet[LegalReference]:
    """Legal references of a version changed (edited or re-versioned) after it was published."""
    return LegalReference.objects.filter(guide_versions=OuterRef(version_ref)).filter(
        Q(updated_at__gt=OuterRef(published_ref))
        | Q(version_date__gt=OuterRef(f"{published_ref}__date"))
    )


def _version_needs_review() -> ExpressionWrapper:
    """A version's flag: it is the one in force and a reference changed since (an archived
    version is not asked to be reviewed: its successor was)."""
    return ExpressionWrapper(
        Q(status=GuideVersion.Status.PUBLIEE) & Exists(_stale_references("pk", "published_at")),
        output_field=BooleanField(),
    )


def versions_needing_review() -> QuerySet[GuideVersion]:
    return GuideVersion.objects.filter(status=GuideVersion.Status.PUBLIEE).filter(
        Exists(_stale_references("pk", "published_at"))
    )


def guide_queryset(user: Any) -> QuerySet[Guide]:
    """Guides the caller may see: published ones for everybody, all of them for the editors."""
    qs = Guide.objects.select_related("published_version", "licence", "owner").annotate(
        needs_review=Exists(
            _stale_references("published_version", "published_version__published_at")
        )
    )
    if not can_edit_guides(user):
        qs = qs.filter(published_version__isnull=False)
    return qs


def guide_list(
    user: Any, *, query: str = "", theme: str = "", to_review: bool = False
) -> QuerySet[Guide]:
    qs = guide_queryset(user)
    if theme:
        qs = qs.filter(theme=theme)
    if to_review:
        qs = qs.filter(needs_review=True)  # type: ignore[misc]
    query = clean_query(query)
    if not query:
        return qs.order_by("title")
    return search_guides(qs, query)


def clean_query(query: str | None) -> str:
    """The words of a search, control characters as spaces (PostgreSQL refuses a NUL in a
    string), at most MAX_QUERY_LENGTH characters."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", query or "").split())[:MAX_QUERY_LENGTH]


def search_guides(qs: QuerySet[Guide], query: str) -> QuerySet[Guide]:
    """PostgreSQL: full-text search in French, with or without accents (title, summary,
    published body; « donnees » finds « données »), ranked. Elsewhere (SQLite for `make run`):
    a case-insensitive substring match. An empty query (once cleaned) keeps `qs` as it is."""
    query = clean_query(query)
    if not query:
        return qs
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        # Both configurations: `french` stems accented words best (« occultées » ~ « occulter »),
        # `french_unaccent` finds them typed without accents (« donnees »).
        def vector_in(config: str) -> Any:
            return (
                SearchVector("title", weight="A", config=config)
                + SearchVector("summary", weight="B", config=config)
                + SearchVector("published_version__body", weight="C", config=config)
            )

        vector = vector_in("french") + vector_in(UNACCENTED_CONFIG)
        search = SearchQuery(query, config="french", search_type="websearch") | SearchQuery(
            query, config=UNACCENTED_CONFIG, search_type="websearch"
        )
        return (
            qs.annotate(search=vector, rank=SearchRank(vector, search))
            .filter(search=search)
            .order_by("-rank", "title")
        )
    return qs.filter(
        Q(title__icontains=query)
        | Q(summary__icontains=query)
        | Q(published_version__body__icontains=query)
    ).order_by("title")


def guide_get(user: Any, slug: str) -> Guide:
    guide = guide_queryset(user).filter(slug=slug).first()
    if guide is None:
        raise Http404("Guide introuvable.")
    return guide


def version_queryset(user: Any, guide: Guide) -> QuerySet[GuideVersion]:
    qs = (
        GuideVersion.objects.filter(guide=guide)
        .select_related("guide", "approved_by", "created_by")
        .prefetch_related(
            Prefetch("legal_references", queryset=LegalReference.objects.order_by("code"))
        )
        .annotate(needs_review=_version_needs_review())
        .order_by("-version_key")
    )
    if not can_edit_guides(user):
        qs = qs.filter(PUBLIC_VERSIONS)
    return qs


def versions_visible(user: Any) -> QuerySet[GuideVersion]:
    """Every version the caller may read, across guides (API)."""
    qs = (
        GuideVersion.objects.select_related("guide", "approved_by")
        .prefetch_related("legal_references")
        .annotate(needs_review=_version_needs_review())
        .order_by("guide__slug", "-version_key")
    )
    if not can_edit_guides(user):
        qs = qs.filter(PUBLIC_VERSIONS)
    return qs


def version_get(user: Any, guide: Guide, version: str) -> GuideVersion:
    found = version_queryset(user, guide).filter(version=version).first()
    if found is None or not can_read_version(user, found):
        raise Http404("Version introuvable.")
    return found


def reading_version(user: Any, guide: Guide) -> GuideVersion | None:
    """The version shown on the guide's page: the published one; for the editors, the latest
    draft when nothing is published yet."""
    qs = version_queryset(user, guide)
    if guide.published_version_id:
        return qs.filter(pk=guide.published_version_id).first()
    return qs.first() if can_edit_guides(user) else None


# What the history page's journal says of each audited action (`guides.services`).
ACTION_LABELS = {
    "guide.created": "Création du guide",
    "guide.updated": "Modification du guide",
    "guide.version_created": "Nouvelle version",
    "guide.version_updated": "Modification de la version",
    "guide.version_brouillon": "Version renvoyée en brouillon",
    "guide.version_en_relecture": "Version envoyée en relecture",
    "guide.version_publiee": "Version publiée",
    "guide.version_archivee": "Version archivée",
    "guide.version_archived": "Version archivée (remplacée par la nouvelle version publiée)",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def guide_audit(guide: Guide, *, limit: int = 50) -> list[Any]:
    """Audit entries of the guide and of all its versions, newest first (two queries), each
    with its `action_label`."""
    from django.contrib.contenttypes.models import ContentType

    from core.models import AuditEntry

    types = ContentType.objects.get_for_models(Guide, GuideVersion)
    version_ids = [
        str(pk) for pk in GuideVersion.objects.filter(guide=guide).values_list("pk", flat=True)
    ]
    entries = list(
        AuditEntry.objects.filter(
            Q(content_type=types[Guide], object_id=str(guide.pk))
            | Q(content_type=types[GuideVersion], object_id__in=version_ids)
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
    for entry in entries:
        entry.action_label = action_label(entry.action)  # type: ignore[attr-defined]
    return entries


# --- indicator N17 (read by the supervision dashboard) ---------------------------------------


@dataclass(frozen=True)
class GuideFreshness:
    open_by_default_last_published: datetime.datetime | None
    days_since_last_publication: int | None
    guides_to_review: int
    published_guides: int

    @property
    def is_fresh(self) -> bool:
        """Target of N17: the open-by-default guide was published less than 365 days ago."""
        return (
            self.days_since_last_publication is not None and self.days_since_last_publication < 365
        )


def guide_freshness(*, now: datetime.datetime | None = None) -> GuideFreshness:
    """N17: days since the last published version of the open-by-default guide and the number
    of published guides whose legal references changed since (three queries). A past `now`
    (a past quarter's dashboard) ignores the versions published after it."""
    now = now or timezone.now()
    last = (
        GuideVersion.objects.filter(
            guide__theme=Guide.Theme.OUVERTURE_PAR_DEFAUT, published_at__lte=now
        )
        .order_by("-published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return GuideFreshness(
        open_by_default_last_published=last,
        days_since_last_publication=(now - last).days if last else None,
        guides_to_review=versions_needing_review().count(),
        published_guides=Guide.objects.filter(published_version__isnull=False).count(),
    )
