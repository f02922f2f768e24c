"""Serializers of the network API: shape and types only; the services validate and write."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from administrators.models import DataAdministrator, Ministry, Organization, Person
from administrators.services import MINISTRY_FIELDS
from core.concurrency import expected_updated_at_field


class MinistrySerializer(serializers.ModelSerializer):
    has_current_titular = serializers.SerializerMethodField()
    expected_updated_at = expected_updated_at_field()

    class Meta:
        model = Ministry
        fields = [
            "id",
            *MINISTRY_FIELDS,
            "has_current_titular",
            "created_at",
            "updated_at",
            "expected_updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list[Any] = []  # uniqueness is checked by the service, in French

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_has_current_titular(self, obj: Ministry) -> bool | None:
        return getattr(obj, "has_current_titular", None)


class OrganizationSerializer(serializers.ModelSerializer):
    ministry_code = serializers.CharField(source="ministry.code", read_only=True)
    expected_updated_at = expected_updated_at_field()

    class Meta:
        model = Organization
        fields = [
            "id",
            "ministry",
            "ministry_code",
            "name",
            "parent",
            "kind",
            "siret",
            "siren",
            "id_alt",
            "legal_person_siren",
            "headcount_etp",
            "headcount_as_of",
            "datagouv_org_id",
            "path",
            "created_at",
            "updated_at",
            "expected_updated_at",
        ]
        read_only_fields = ["path", "created_at", "updated_at"]
        validators: list[Any] = []
        # Checked by the service, spaces taken out first (« 130 025 265 00013 »).
        extra_kwargs: dict[str, Any] = {
            name: {"validators": [], "max_length": 32}
            for name in ("siret", "siren", "legal_person_siren")
        }

    def get_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        fields["ministry"].queryset = Ministry.objects.for_user(user)
        fields["parent"].queryset = Organization.objects.for_user(user)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "ministry" in attrs:
            if attrs["ministry"].pk != self.instance.ministry_id:
                raise serializers.ValidationError(
                    {"ministry": "Le ministère d'une organisation ne peut pas être changé."}
                )
            attrs.pop("ministry")
        if self.instance is None and "ministry" not in attrs:
            raise serializers.ValidationError({"ministry": "Ce champ est obligatoire."})
        return attrs


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "consent_directory",
        ]
        extra_kwargs: dict[str, Any] = {"email": {"validators": []}}


class MandateSerializer(serializers.ModelSerializer):
    person = PersonSerializer(
        help_text="À la création : la personne est retrouvée par son courriel, sinon créée."
    )
    ministry_code = serializers.CharField(
        source="ministry.code", read_only=True, default=None, allow_null=True
    )
    is_current = serializers.BooleanField(read_only=True)
    expected_updated_at = expected_updated_at_field()

    class Meta:
        model = DataAdministrator
        fields = [
            "id",
            "person",
            "ministry",
            "ministry_code",
            "role",
            "title_label",
            "perimeter",
            "perimeter_organizations",
            "region",
            "reports_to",
            "hierarchical_position",
            "appointment_date",
            "end_date",
            "appointment_act_type",
            "appointment_act_ref",
            "appointment_act_url",
            "mission_letter_url",
            "time_share_pct",
            "team_size_etp",
            "is_current",
            "created_at",
            "updated_at",
            "expected_updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list[Any] = []

    def get_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        fields["ministry"].queryset = Ministry.objects.for_user(user)
        fields["perimeter_organizations"].child_relation.queryset = Organization.objects.for_user(
            user
        )
        fields["reports_to"].queryset = DataAdministrator.objects.for_user(user)
        if self.instance is not None:
            fields["person"].read_only = True
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "ministry" in attrs:
            new = attrs.pop("ministry")
            if (new.pk if new else None) != self.instance.ministry_id:
                raise serializers.ValidationError(
                    {"ministry": "Le ministère d'un mandat ne peut pas être changé."}
                )
        return attrs


class MandateEndSerializer(serializers.Serializer):
    end_date = serializers.DateField(help_text="Date de fin du mandat (incluse).")
