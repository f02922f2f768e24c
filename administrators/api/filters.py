"""django-filter filter sets of the network API (every filter appears in the OpenAPI schema)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters

from administrators.models import DataAdministrator, Ministry, Organization


class MinistryFilter(filters.FilterSet):
    code = filters.CharFilter(field_name="code", help_text="Code exact du ministère.")
    in_ogp_scope = filters.BooleanFilter(help_text="Dans le périmètre de l'engagement FR0034.")
    current = filters.BooleanFilter(method="filter_current", help_text="En vigueur aujourd'hui.")
    search = filters.CharFilter(method="filter_search", help_text="Recherche dans le nom.")

    class Meta:
        model = Ministry
        fields = ["code", "in_ogp_scope", "pole"]

    def filter_current(self, qs: QuerySet[Ministry], name: str, value: bool) -> QuerySet[Ministry]:
        today = timezone.localdate()
        is_current = Q(valid_to__isnull=True) | Q(valid_to__gte=today)
        return qs.filter(is_current) if value else qs.exclude(is_current)

    def filter_search(self, qs: QuerySet[Ministry], name: str, value: str) -> QuerySet[Ministry]:
        return qs.filter(Q(name__icontains=value) | Q(short_name__icontains=value))


class OrganizationFilter(filters.FilterSet):
    ministry = filters.NumberFilter(field_name="ministry_id", help_text="Identifiant du ministère.")
    ministry_code = filters.CharFilter(field_name="ministry__code", help_text="Code du ministère.")
    kind = filters.ChoiceFilter(choices=Organization.Kind.choices, help_text="Nature.")
    siret = filters.CharFilter(field_name="siret", help_text="SIRET exact.")
    parent = filters.NumberFilter(field_name="parent_id", help_text="Organisation parente.")
    root = filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", help_text="Seulement les organisations de tête."
    )
    search = filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Nom.")

    class Meta:
        model = Organization
        fields = ["ministry", "ministry_code", "kind", "siret", "parent", "root", "search"]


class MandateFilter(filters.FilterSet):
    ministry = filters.NumberFilter(field_name="ministry_id", help_text="Identifiant du ministère.")
    ministry_code = filters.CharFilter(field_name="ministry__code", help_text="Code du ministère.")
    role = filters.MultipleChoiceFilter(
        choices=DataAdministrator.Role.choices, help_text="Rôle (répétable)."
    )
    current = filters.BooleanFilter(method="filter_current", help_text="Mandat en cours.")
    search = filters.CharFilter(method="filter_search", help_text="Nom ou prénom de la personne.")

    class Meta:
        model = DataAdministrator
        fields = ["ministry", "ministry_code", "role", "current", "search"]

    def filter_current(
        self, qs: QuerySet[DataAdministrator], name: str, value: bool
    ) -> QuerySet[DataAdministrator]:
        current_ids = DataAdministrator.objects.current().values("pk")
        return qs.filter(pk__in=current_ids) if value else qs.exclude(pk__in=current_ids)

    def filter_search(
        self, qs: QuerySet[DataAdministrator], name: str, value: str
    ) -> QuerySet[DataAdministrator]:
        return qs.filter(
            Q(person__last_name__icontains=value) | Q(person__first_name__icontains=value)
        )
