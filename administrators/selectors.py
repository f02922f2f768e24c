"""Reads of the network, already scoped and joined (one query per list, whatever its length)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce, Collate, NullIf
from django.http import Http404
from django.utils import timezone

from administrators.models import DataAdministrator, Membership, Ministry, Organization
from core.access import access_for
from core.models import AuditEntry

TITULAR = DataAdministrator.Role.AMD_TITULAIRE


# --- ministries in the order people read them ------------------------------------------------

# PostgreSQL's ICU collation for French (built in wherever PostgreSQL has ICU: the Debian
# packages and the official images): accents and case only break ties, so « Écologie » sorts
# among the E's and « économie » next to « Économie ».
FRENCH_COLLATION = "fr-x-icu"


def french(expression: Any) -> Any:
    """`expression` (a field name or an expression) compared the French way on PostgreSQL; as
    it is elsewhere (SQLite, a bare `make run`: accents after Z)."""
    value = F(expression) if isinstance(expression, str) else expression
    return Collate(value, FRENCH_COLLATION) if connection.vendor == "postgresql" else value


def ministry_display_order(prefix: str = "") -> list[OrderBy]:
    """`order_by` terms sorting ministries by the name they are shown with (`str(ministry)`:
    the short name, else the full name), French collation on PostgreSQL; `prefix` reaches them
    through a relation ("ministry__"). Same queries, only the ORDER BY changes."""
    shown = Coalesce(NullIf(F(f"{prefix}short_name"), Value("")), F(f"{prefix}name"))
    return [french(shown).asc(), F(f"{prefix}id").asc()]


@dataclass(frozen=True)
class NetworkCoverage:
    with_titular: int
    in_scope: int

    @property
    def pct(self) -> int:
        return round(100 * self.with_titular / self.in_scope) if self.in_scope else 0


def current_titular_exists() -> Exists:
    return Exists(
        DataAdministrator.objects.current().filter(ministry_id=OuterRef("pk"), role=TITULAR)
    )


def network_coverage() -> NetworkCoverage:
    """N1: ministries in scope with a current titular administrator ÷ ministries in scope."""
    qs = Ministry.objects.in_network().annotate(has_titular=current_titular_exists())
    counts = qs.aggregate(
        in_scope=Count("pk"), with_titular=Count("pk", filter=Q(has_titular=True))
    )
    return NetworkCoverage(with_titular=counts["with_titular"], in_scope=counts["in_scope"])


@dataclass(frozen=True)
class NetworkGlance:
    coverage: NetworkCoverage
    ministries: int
    organizations: int
    mandates_by_role: list[tuple[Any, int]]
    recent_mandates: list[DataAdministrator]


def network_glance(*, recent: int = 5) -> NetworkGlance:
    """What the public home page shows: counts and the latest appointments (no personal data
    unless the person is listed in the directory: the template asks `listed_in_directory`)."""
    role_counts = dict(
        DataAdministrator.objects.current()
        .filter(ministry__isnull=False)
        .values_list("role")
        .annotate(n=Count("pk"))
        .values_list("role", "n")
    )
    recent_mandates = list(
        DataAdministrator.objects.filter(ministry__isnull=False)
        .select_related("person", "ministry")
        .order_by("-appointment_date", "-pk")[:recent]
    )
    return NetworkGlance(
        coverage=network_coverage(),
        ministries=Ministry.objects.current().count(),
        organizations=Organization.objects.count(),
        mandates_by_role=[
            (label, role_counts.get(value, 0))
            for value, label in DataAdministrator.Role.choices
            if role_counts.get(value)
        ],
        recent_mandates=recent_mandates,
    )


def ministry_list(*, user: Any) -> QuerySet[Ministry]:
    """Every ministry (current first), with what the list shows; links depend on the scope."""
    return (
        Ministry.objects.all()
        .select_related("successor")
        .annotate(
            has_titular=current_titular_exists(),
            organization_count=Count("organizations", distinct=True),
        )
        .order_by(F("valid_to").desc(nulls_first=True), "name")
    )


def ministry_for_user(*, user: Any, code: str) -> Ministry:
    """The ministry named in the URL, or 404 when it does not exist or is out of scope."""
    ministry = (
        Ministry.objects.for_user(user)
        .select_related("pole", "successor")
        .filter(code=code)
        .first()
    )
    if ministry is None:
        raise Http404
    return ministry


def ministry_mandates(ministry: Ministry) -> list[DataAdministrator]:
    """All mandates of a ministry (current and past), people and perimeters joined."""
    return list(
        DataAdministrator.objects.filter(ministry=ministry)
        .select_related("person", "person__organization")
        .prefetch_related(
            Prefetch("perimeter_organizations", queryset=Organization.objects.only("pk", "name"))
        )
        .order_by("-appointment_date", "-pk")
    )


def ministry_organizations(ministry: Ministry, *, search: str = "") -> QuerySet[Organization]:
    qs = Organization.objects.filter(ministry=ministry)
    if search:
        match = Q(name__icontains=search)
        # A SIRET as people copy it, in groups (« 130 025 265 00013 »), spaces possibly
        # no-break: spaces taken out as `services._check_organization` does before storing it.
        digits = "".join(search.split())
        if digits.isascii() and digits.isdigit():
            match |= Q(siret__startswith=digits)
        qs = qs.filter(match)
    return qs.select_related("parent").order_by("path", "name")


def organization_for_user(*, user: Any, ministry: Ministry, pk: int) -> Organization:
    org = (
        Organization.objects.for_user(user)
        .filter(ministry=ministry, pk=pk)
        .select_related("parent", "ministry")
        .first()
    )
    if org is None:
        raise Http404
    return org


def mandate_for_user(*, user: Any, ministry: Ministry, pk: int) -> DataAdministrator:
    mandate = (
        DataAdministrator.objects.for_user(user)
        .filter(ministry=ministry, pk=pk)
        .select_related("person", "ministry", "reports_to__person")
        .prefetch_related("perimeter_organizations")
        .first()
    )
    if mandate is None:
        raise Http404
    return mandate


def history(
    model: Any, object_ids: list[Any] | None = None, **filters: Any
) -> QuerySet[AuditEntry]:
    """Audit entries of some records of `model`, with the actor joined (no ContentType cache
    lookup, so the count of queries does not depend on what ran before)."""
    qs = AuditEntry.objects.filter(
        content_type__app_label=model._meta.app_label,
        content_type__model=model._meta.model_name,
        **filters,
    )
    if object_ids is not None:
        qs = qs.filter(object_id__in=[str(i) for i in object_ids])
    return qs.select_related("actor", "content_type").order_by("-created_at", "-id")


def ministry_history(ministry: Ministry) -> QuerySet[AuditEntry]:
    """Changes of the ministry itself, its mandates and its organisations."""
    return (
        AuditEntry.objects.filter(ministry_id=ministry.pk)
        .filter(
            Q(content_type__app_label="administrators")
            & Q(content_type__model__in=["ministry", "dataadministrator", "organization"])
        )
        .select_related("actor", "content_type")
        .order_by("-created_at", "-id")
    )


def public_directory(*, ministry_code: str = "", search: str = "") -> QuerySet[DataAdministrator]:
    """Current mandates of people who agreed to appear in the public directory."""
    qs = (
        DataAdministrator.objects.current()
        .filter(person__consent_directory=True, person__is_active=True, ministry__isnull=False)
        .select_related("person", "ministry")
        .order_by("ministry__name", "role", "person__last_name", "pk")
    )
    if ministry_code:
        qs = qs.filter(ministry__code=ministry_code)
    if search:
        qs = qs.filter(
            Q(person__last_name__icontains=search)
            | Q(person__first_name__icontains=search)
            | Q(ministry__name__icontains=search)
        )
    return qs


def my_ministries(*, user: Any) -> QuerySet[Ministry]:
    access = access_for(user)
    return Ministry.objects.filter(pk__in=access.visible_ministry_ids).order_by("name")


def memberships(*, ministry: Ministry | None) -> QuerySet[Membership]:
    qs = Membership.objects.select_related("user", "ministry").prefetch_related(
        Prefetch("organizations", queryset=Organization.objects.only("pk", "name"))
    )
    if ministry is None:
        return qs.filter(ministry__isnull=True).order_by("role", "user__email")
    return qs.filter(ministry=ministry).order_by("role", "user__email")


def today() -> Any:
    return timezone.localdate()


ACTION_LABELS = {
    "ministry.created": "Création du ministère",
    "ministry.updated": "Modification du ministère",
    "organization.created": "Création de l'organisation",
    "organization.updated": "Modification de l'organisation",
    "mandate.created": "Enregistrement du mandat",
    "mandate.updated": "Modification du mandat",
    "mandate.ended": "Clôture du mandat",
    "person.created": "Création de la fiche",
    "person.updated": "Modification de la fiche",
    "membership.granted": "Attribution d'un rôle",
    "membership.revoked": "Retrait d'un rôle",
}


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    action_label: str
    changes: list[tuple[str, Any, Any]]


def _field_label(model: Any, name: str) -> str:
    if model is None:
        return name
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - a field removed since the entry was written
        return name


def audit_rows(entries: Any) -> list[AuditRow]:
    """Entries ready to show: French action and field labels, each field's before/after."""
    rows = []
    for entry in entries:
        model = entry.content_type.model_class() if entry.content_type_id else None
        changes = []
        for name, values in (entry.changes or {}).items():
            before, after = (
                (values + [None, None])[:2] if isinstance(values, list) else (None, values)
            )
            changes.append((_field_label(model, name), before, after))
        rows.append(
            AuditRow(
                entry=entry,
                action_label=ACTION_LABELS.get(entry.action, entry.action),
                changes=changes,
            )
        )
    return rows
