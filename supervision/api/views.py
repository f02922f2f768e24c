"""REST API of supervision: progress (scores by quarter, with ETag), roadmaps, meetings."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from administrators.models import Ministry
from core.concurrency import conflicts_as_409
from supervision import compliance, selectors, services
from supervision.api.serializers import (
    ActionItemSerializer,
    HistoryPointSerializer,
    MeetingSerializer,
    MinistryProgressSerializer,
    NetworkProgressSerializer,
    RoadmapActionSerializer,
    RoadmapSerializer,
    SnapshotDetailSerializer,
    SnapshotSummarySerializer,
)
from supervision.models import ActionItem, ComplianceSnapshot, Meeting, RoadmapAction
from supervision.permissions import (
    MinistryMember,
    NetworkMember,
    NetworkReader,
    OwnMinistryWriter,
    ensure_view_ministry,
)
from supervision.quarters import Quarter

QUARTER_PARAM = OpenApiParameter(
    "trimestre",
    OpenApiTypes.STR,
    description="Trimestre « 2026-T3 » (par défaut : le dernier trimestre calculé).",
)


def _quarter_param(request: Request) -> Quarter | None:
    label = request.query_params.get("trimestre", "")
    if not label:
        return None
    try:
        quarter = Quarter.parse(label)
    except ValidationError as exc:
        raise serializers.ValidationError({"trimestre": exc.messages}) from exc
    if quarter.is_future():
        raise serializers.ValidationError(
            {"trimestre": [f"Le trimestre {quarter.label} n'a pas commencé."]}
        )
    return quarter


def _etag(qs: QuerySet[ComplianceSnapshot], *parts: Any) -> str:
    """Changes whenever a snapshot in scope is (re)computed or (un)published."""
    agg = qs.aggregate(
        last=Max("computed_at"), n=Count("pk"), pub=Count("pk", filter=Q(published=True))
    )
    raw = "|".join(
        str(p) for p in (agg["last"], agg["n"], agg["pub"], compliance.ALGORITHM_VERSION, *parts)
    )
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _not_modified(request: Request, etag: str) -> bool:
    given = request.headers.get("If-None-Match", "")
    return etag in [t.strip() for t in given.split(",")] or given.strip() == "*"


def _cached(request: Request, etag: str, build: Any) -> Response:
    if _not_modified(request, etag):
        response = Response(status=status.HTTP_304_NOT_MODIFIED)
    else:
        response = Response(build())
    response["ETag"] = etag
    response["Cache-Control"] = "private, must-revalidate"
    return response


class NetworkProgressView(APIView):
    """Scores of every ministry for a quarter (network staff and network-wide viewers)."""

    permission_classes = [NetworkReader]

    @extend_schema(
        parameters=[QUARTER_PARAM],
        responses=NetworkProgressSerializer,
        operation_id="progress_network",
        summary="Progression du réseau par trimestre",
    )
    def get(self, request: Request) -> Response:
        quarter = _quarter_param(request)
        if quarter is None:
            latest = (
                ComplianceSnapshot.objects.order_by("-year", "-quarter")
                .values("year", "quarter")
                .first()
            )
            quarter = Quarter(latest["year"], latest["quarter"]) if latest else Quarter.current()
        qs = ComplianceSnapshot.objects.filter(year=quarter.year, quarter=quarter.quarter)
        etag = _etag(qs, quarter.label, "network")

        def build() -> dict[str, Any]:
            snaps = (
                qs.select_related("ministry")
                .only(*selectors.SNAPSHOT_LIGHT_FIELDS, "ministry__code")
                .order_by("ministry__code")
            )
            return {
                "quarter": quarter.label,
                "ministries": SnapshotSummarySerializer(snaps, many=True).data,
            }

        return _cached(request, etag, build)


class MinistryProgressView(APIView):
    """A ministry's snapshot history and the criteria detail of one quarter."""

    permission_classes = [MinistryMember]

    @extend_schema(
        parameters=[QUARTER_PARAM],
        responses=MinistryProgressSerializer,
        operation_id="progress_ministry",
        summary="Progression d'un ministère : historique et détail des critères",
    )
    def get(self, request: Request, code: str) -> Response:
        ministry = get_object_or_404(Ministry, code=code)
        ensure_view_ministry(request.user, ministry.pk)
        quarter = _quarter_param(request)
        qs = ComplianceSnapshot.objects.filter(ministry=ministry)
        etag = _etag(qs, ministry.pk, quarter.label if quarter else "latest")

        def build() -> dict[str, Any]:
            history = list(qs.only(*selectors.SNAPSHOT_LIGHT_FIELDS).order_by("year", "quarter"))
            if quarter is None:
                snap = qs.order_by("-year", "-quarter").first()
            else:
                snap = qs.filter(year=quarter.year, quarter=quarter.quarter).first()
            label = snap.quarter_label if snap else (quarter or Quarter.current()).label
            if snap is not None:
                snap.ministry = ministry
            return {
                "ministry": {"code": ministry.code, "name": ministry.name},
                "quarter": label,
                "snapshot": SnapshotDetailSerializer(snap).data if snap else None,
                "history": HistoryPointSerializer(history, many=True).data,
            }

        return _cached(request, etag, build)


class RoadmapViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RoadmapSerializer
    permission_classes = [MinistryMember]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.roadmaps_for(self.request.user)


class RoadmapActionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Actions of the roadmaps in scope; their status, progress and evidence can be updated by
    the ministry's administrators and DINUM (the rules of the pages apply)."""

    serializer_class = RoadmapActionSerializer
    permission_classes = [MinistryMember, OwnMinistryWriter]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return (
            RoadmapAction.objects.for_user(self.request.user)
            .select_related("ministry", "axis", "roadmap")
            .prefetch_related("updates")
            .order_by("roadmap_id", "ref", "id")
        )

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        comment = data.pop("comment", "")
        expected = data.pop("expected_updated_at", None)
        action = serializer.instance
        with conflicts_as_409():
            serializer.instance = services.action_save(
                actor=self.request.user,
                roadmap=action.roadmap,
                action=action,
                data=data,
                comment=comment,
                expected_updated_at=expected,
            )


class MeetingViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Meetings in scope; created and changed by DINUM staff (write token)."""

    serializer_class = MeetingSerializer
    permission_classes = [NetworkMember]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.meetings_for(self.request.user).order_by("-date", "-id")

    def _save(self, serializer: Any, meeting: Meeting | None) -> None:
        data = dict(serializer.validated_data)
        invited = data.pop("invited", None)
        expected = data.pop("expected_updated_at", None)
        with conflicts_as_409():
            saved = services.meeting_save(
                actor=self.request.user,
                data=data,
                meeting=meeting,
                invited_ministry_ids=[m.pk for m in invited] if invited is not None else None,
                expected_updated_at=expected if meeting is not None else None,
            )
        serializer.instance = self.get_queryset().get(pk=saved.pk)

    def perform_create(self, serializer: Any) -> None:
        self._save(serializer, None)

    def perform_update(self, serializer: Any) -> None:
        self._save(serializer, serializer.instance)


class ActionItemViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Action items of the meetings in scope; created and updated by DINUM staff."""

    serializer_class = ActionItemSerializer
    permission_classes = [NetworkMember]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        meeting = data.pop("meeting")
        serializer.instance = services.action_item_save(
            actor=self.request.user, meeting=meeting, data=data
        )

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        data.pop("meeting", None)  # an action item stays with its meeting
        item = serializer.instance
        serializer.instance = services.action_item_save(
            actor=self.request.user, meeting=item.meeting, item=item, data=data
        )

    def get_queryset(self) -> QuerySet[Any]:
        return (
            ActionItem.objects.for_user(self.request.user)
            .select_related("owner_ministry", "meeting")
            .order_by("due_date", "id")
        )
