"""REST API v1 of the network: read within the caller's scope, write for DINUM staff.

Reads start from `for_user` (another ministry's record answers 404). Writes go through the
services, which re-check the caller's rights; a token writes only when granted `can_write`.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from administrators import services
from administrators.api.filters import MandateFilter, MinistryFilter, OrganizationFilter
from administrators.api.serializers import (
    MandateEndSerializer,
    MandateSerializer,
    MinistrySerializer,
    OrganizationSerializer,
)
from administrators.models import DataAdministrator, Ministry, Organization
from administrators.selectors import current_titular_exists
from core.concurrency import conflicts_as_409
from core.permissions import IsNetworkStaffOrReadOnly

CONFLICT_RESPONSE = OpenApiResponse(
    description="L'enregistrement a changé depuis `expected_updated_at` : rien n'est enregistré."
)


def _update_schemas(noun: str, serializer: type[BaseSerializer[Any]]) -> dict[str, Any]:
    """The OpenAPI descriptions of a viewset's full and partial updates (409 included)."""
    responses = {200: serializer, 409: CONFLICT_RESPONSE}
    return {
        "update": extend_schema(summary=f"Modifier {noun} (équipe DINUM)", responses=responses),
        "partial_update": extend_schema(
            summary=f"Modifier en partie {noun} (équipe DINUM)", responses=responses
        ),
    }


class _NetworkViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsNetworkStaffOrReadOnly]


@extend_schema_view(
    list=extend_schema(summary="Ministères visibles par l'appelant"),
    retrieve=extend_schema(summary="Un ministère"),
    create=extend_schema(summary="Créer un ministère (équipe DINUM)"),
    **_update_schemas("un ministère", MinistrySerializer),
)
class MinistryViewSet(_NetworkViewSet):
    serializer_class = MinistrySerializer
    filterset_class = MinistryFilter
    ordering_fields = ["name", "code", "valid_from"]
    ordering = ["name"]
    queryset = Ministry.objects.none()

    def get_queryset(self) -> QuerySet[Ministry]:
        return Ministry.objects.for_user(self.request.user).annotate(
            has_current_titular=current_titular_exists()
        )

    # A write answers with the row as a read gives it (`has_current_titular` is annotated).
    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        data.pop("expected_updated_at", None)
        ministry = services.ministry_create(actor=self.request.user, data=data)
        serializer.instance = self.get_queryset().get(pk=ministry.pk)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        with conflicts_as_409():
            ministry = services.ministry_update(
                actor=self.request.user,
                ministry=cast(Ministry, serializer.instance),
                expected_updated_at=data.pop("expected_updated_at", None),
                data=data,
            )
        serializer.instance = self.get_queryset().get(pk=ministry.pk)


@extend_schema_view(
    list=extend_schema(summary="Organisations (directions, services, opérateurs)"),
    retrieve=extend_schema(summary="Une organisation"),
    create=extend_schema(summary="Créer une organisation (équipe DINUM)"),
    **_update_schemas("une organisation", OrganizationSerializer),
)
class OrganizationViewSet(_NetworkViewSet):
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    ordering_fields = ["name", "path", "id"]
    ordering = ["ministry_id", "path", "id"]
    queryset = Organization.objects.none()

    def get_queryset(self) -> QuerySet[Organization]:
        return Organization.objects.for_user(self.request.user).select_related("ministry")

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        data.pop("expected_updated_at", None)
        ministry = data.pop("ministry")
        serializer.instance = services.organization_create(
            actor=self.request.user, ministry=ministry, data=data
        )

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        with conflicts_as_409():
            serializer.instance = services.organization_update(
                actor=self.request.user,
                organization=cast(Organization, serializer.instance),
                expected_updated_at=data.pop("expected_updated_at", None),
                data=data,
            )


@extend_schema_view(
    list=extend_schema(summary="Mandats (administrateurs, adjoints, délégués, correspondants)"),
    retrieve=extend_schema(summary="Un mandat"),
    create=extend_schema(summary="Enregistrer un mandat (équipe DINUM)"),
    **_update_schemas("un mandat", MandateSerializer),
)
class MandateViewSet(_NetworkViewSet):
    serializer_class = MandateSerializer
    filterset_class = MandateFilter
    ordering_fields = ["appointment_date", "end_date", "id"]
    ordering = ["-appointment_date", "-id"]
    queryset = DataAdministrator.objects.none()

    def get_queryset(self) -> QuerySet[DataAdministrator]:
        return (
            DataAdministrator.objects.for_user(self.request.user)
            .select_related("person", "ministry")
            .prefetch_related(
                Prefetch("perimeter_organizations", queryset=Organization.objects.only("pk"))
            )
        )

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        data.pop("expected_updated_at", None)
        person_data = data.pop("person")
        ministry = data.pop("ministry", None)
        orgs = data.pop("perimeter_organizations", None)
        serializer.instance = services.mandate_create(
            actor=self.request.user,
            ministry=ministry,
            data=data,
            person_data=person_data,
            perimeter_organizations=orgs,
        )

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        data.pop("person", None)
        orgs = data.pop("perimeter_organizations", None)
        with conflicts_as_409():
            serializer.instance = services.mandate_update(
                actor=self.request.user,
                mandate=cast(DataAdministrator, serializer.instance),
                expected_updated_at=data.pop("expected_updated_at", None),
                data=data,
                perimeter_organizations=orgs,
            )

    @extend_schema(
        summary="Clore un mandat (équipe DINUM)",
        request=MandateEndSerializer,
        responses=MandateSerializer,
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        mandate = self.get_object()
        payload = MandateEndSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        mandate = services.mandate_end(
            actor=request.user, mandate=mandate, end_date=payload.validated_data["end_date"]
        )
        return Response(self.get_serializer(mandate).data)
