"""django-filter filter sets of the network API (every filter appears in the OpenAPI schema)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters

from administrators.models import DataAdministrator, Ministry, Organization


class _StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0), empty for no filter; anything else is an error rather than the
    unfiltered list a client would take for an answer (django-filter's widget reads it as empty)."""

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]  # None: no filter
        text = str(value).strip().lower() if value is not None else ""
        if text == "":
            return None
        if text in {"true", "1"}:
            return True
        if text in {"false", "0"}:
            return False
        raise ValidationError("Valeur attendue : true ou false.", code="invalid")


class BooleanFilter(filters.BooleanFilter):
    field_class = _StrictBooleanField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput)  # the field reads the text as sent
        super().__init__(*args, **kwargs)


class WholeNumberFilter(filters.NumberFilter):
    """An id: « 1.5 » is an error (« Saisissez un nombre entier. »), not the row with id 1."""

    field_class = forms.IntegerField


class MinistryFilter(filters.FilterSet):
    code = filters.CharFilter(field_name="code", help_text="Code exact du ministère.")
    in_ogp_scope = BooleanFilter(help_text="Dans le périmètre de l'engagement FR0034.")
    current = BooleanFilter(method="filter_current", help_text="En vigueur aujourd'hui.")
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
    ministry = WholeNumberFilter(field_name="ministry_id", help_text="Identifiant du ministère.")
    ministry_code = filters.CharFilter(field_name="ministry__code", help_text="Code du ministère.")
    kind = filters.ChoiceFilter(choices=Organization.Kind.choices, help_text="Nature.")
    siret = filters.CharFilter(field_name="siret", help_text="SIRET exact.")
    parent = WholeNumberFilter(field_name="parent_id", help_text="Organisation parente.")
    root = BooleanFilter(
        field_name="parent", lookup_expr="isnull", help_text="Seulement les organisations de tête."
    )
    search = filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Nom.")

    class Meta:
        model = Organization
        fields = ["ministry", "ministry_code", "kind", "siret", "parent", "root", "search"]


class MandateFilter(filters.FilterSet):
    ministry = WholeNumberFilter(field_name="ministry_id", help_text="Identifiant du ministère.")
    ministry_code = filters.CharFilter(field_name="ministry__code", help_text="Code du ministère.")
    role = filters.MultipleChoiceFilter(
        choices=DataAdministrator.Role.choices, help_text="Rôle (répétable)."
    )
    current = BooleanFilter(method="filter_current", help_text="Mandat en cours.")
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
