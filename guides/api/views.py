"""REST API of the guides: anyone reads published guides; DINUM staff write (token can_write)."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from core.concurrency import conflicts_as_409
from guides import selectors, services
from guides.api.serializers import (
    GuideCreateSerializer,
    GuideSerializer,
    GuideUpdateSerializer,
    GuideVersionSerializer,
    TransitionSerializer,
)
from guides.models import Guide, GuideVersion
from guides.permissions import GuidePermission


class RelevanceFirstOrdering(OrderingFilter):
    """A search's results come by relevance (as on the page) unless ?ordering= asks otherwise."""

    def get_default_ordering(self, view: APIView) -> Any:
        if selectors.clean_query(view.request.query_params.get("q", "")):
            return None
        return super().get_default_ordering(view)


class GuideFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Recherche plein texte")
    theme = filters.ChoiceFilter(choices=Guide.Theme.choices)
    needs_review = filters.BooleanFilter()

    class Meta:
        model = Guide
        fields = ["theme"]

    def search(self, queryset: QuerySet[Guide], name: str, value: str) -> QuerySet[Guide]:
        return selectors.search_guides(queryset, value)


@extend_schema_view(
    list=extend_schema(summary="Guides publiés (tous les guides pour l'équipe DINUM)"),
    retrieve=extend_schema(summary="Un guide"),
    create=extend_schema(
        summary="Créer un guide et sa première version brouillon (équipe DINUM)",
        request=GuideCreateSerializer,
    ),
    partial_update=extend_schema(
        summary="Modifier le titre, le thème ou le résumé (équipe DINUM)",
        request=GuideUpdateSerializer,
    ),
)
class GuideViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [GuidePermission]
    serializer_class = GuideSerializer
    filter_backends = [filters.DjangoFilterBackend, RelevanceFirstOrdering]
    filterset_class = GuideFilter
    lookup_field = "slug"
    ordering_fields = ["title", "updated_at"]
    ordering = ["title"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = Guide.objects.none()

    def get_queryset(self) -> QuerySet[Guide]:
        return selectors.guide_queryset(self.request.user).order_by("title")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        s = GuideCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = dict(s.validated_data)
        refs = d.pop("legal_references", [])
        guide = services.guide_create(
            actor=request.user, legal_reference_ids=[r.pk for r in refs], **d
        )
        out = GuideSerializer(selectors.guide_get(request.user, guide.slug))
        return Response(out.data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        guide = self.get_object()
        s = GuideUpdateSerializer(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        services.guide_update(actor=request.user, guide=guide, **s.validated_data)
        return Response(GuideSerializer(selectors.guide_get(request.user, guide.slug)).data)

    @extend_schema(
        summary="Versions d'un guide (publiées et archivées ; toutes pour l'équipe DINUM)",
        responses=GuideVersionSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def versions(self, request: Request, slug: str | None = None) -> Response:
        guide = self.get_object()
        qs = selectors.version_queryset(request.user, guide)
        return Response(GuideVersionSerializer(qs, many=True).data)


class GuideVersionFilter(filters.FilterSet):
    guide = filters.CharFilter(field_name="guide__slug", label="Adresse (slug) du guide")

    class Meta:
        model = GuideVersion
        fields = ["guide", "status"]


@extend_schema_view(
    list=extend_schema(summary="Versions de guides"),
    retrieve=extend_schema(summary="Une version de guide"),
    create=extend_schema(summary="Créer une version brouillon (équipe DINUM)"),
    partial_update=extend_schema(
        summary="Modifier une version brouillon (équipe DINUM)",
        responses={
            200: GuideVersionSerializer,
            409: OpenApiResponse(
                description="La version a changé depuis `expected_updated_at` : rien n'est "
                "enregistré."
            ),
        },
    ),
)
class GuideVersionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [GuidePermission]
    serializer_class = GuideVersionSerializer
    filterset_class = GuideVersionFilter
    # Plain columns only: ordering by the references (many-to-many) repeated versions.
    ordering_fields = ["published_at", "created_at", "updated_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = GuideVersion.objects.none()

    def get_queryset(self) -> QuerySet[GuideVersion]:
        return selectors.versions_visible(self.request.user)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        d = dict(serializer.validated_data)
        d.pop("expected_updated_at", None)
        refs = d.pop("legal_references", None)
        version = services.guide_version_create(
            actor=self.request.user,
            legal_reference_ids=[r.pk for r in refs] if refs is not None else None,
            **d,
        )
        serializer.instance = selectors.versions_visible(self.request.user).get(pk=version.pk)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        d = dict(serializer.validated_data)
        refs = d.pop("legal_references", None)
        with conflicts_as_409():
            version = services.guide_version_update(
                actor=self.request.user,
                version=cast(GuideVersion, serializer.instance),
                legal_reference_ids=[r.pk for r in refs] if refs is not None else None,
                **d,
            )
        # As a read gives it (`needs_review` is annotated), whatever the query's filters.
        serializer.instance = selectors.versions_visible(self.request.user).get(pk=version.pk)

    @extend_schema(
        summary="Faire avancer une version (relecture, publication, archivage) — équipe DINUM",
        request=TransitionSerializer,
        responses=GuideVersionSerializer,
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        version = self.get_object()
        s = TransitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.guide_version_transition(
            actor=request.user, version=version, to_status=s.validated_data["status"]
        )
        return Response(GuideVersionSerializer(self.get_queryset().get(pk=version.pk)).data)
