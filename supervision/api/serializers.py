"""Serializers of the supervision API: they only touch what the selectors prefetched."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from administrators.models import Ministry
from core.concurrency import expected_updated_at_field
from supervision.models import (
    ActionItem,
    ActionStatusUpdate,
    ComplianceSnapshot,
    Meeting,
    Roadmap,
    RoadmapAction,
)


class SnapshotSummarySerializer(serializers.ModelSerializer):
    quarter = serializers.CharField(source="quarter_label")
    ministry: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = ComplianceSnapshot
        fields = [
            "ministry",
            "quarter",
            "score_total",
            "band",
            "coverage",
            "maturity_level",
            "red_flags",
            "computed_at",
            "algorithm_version",
            "published",
        ]


class SnapshotDetailSerializer(SnapshotSummarySerializer):
    class Meta(SnapshotSummarySerializer.Meta):
        fields = [
            *SnapshotSummarySerializer.Meta.fields,
            "as_of",
            "score_by_axis",
            "criteria_detail",
            "facts",
        ]


class HistoryPointSerializer(serializers.ModelSerializer):
    quarter = serializers.CharField(source="quarter_label")

    class Meta:
        model = ComplianceSnapshot
        fields = [
            "quarter",
            "score_total",
            "band",
            "coverage",
            "maturity_level",
            "computed_at",
            "algorithm_version",
        ]


class NetworkProgressSerializer(serializers.Serializer):
    quarter = serializers.CharField()
    ministries = SnapshotSummarySerializer(many=True)


class MinistryProgressSerializer(serializers.Serializer):
    ministry = serializers.DictField()
    quarter = serializers.CharField()
    snapshot = SnapshotDetailSerializer(allow_null=True)
    history = HistoryPointSerializer(many=True)


class RoadmapSerializer(serializers.ModelSerializer):
    ministry: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    n_actions = serializers.IntegerField(read_only=True)
    n_done = serializers.IntegerField(read_only=True)
    n_late = serializers.IntegerField(read_only=True)

    class Meta:
        model = Roadmap
        fields = [
            "id",
            "ministry",
            "title",
            "version",
            "period_start",
            "period_end",
            "status",
            "published_on",
            "replaced_on",
            "url",
            "datagouv_resource_url",
            "supersedes",
            "n_actions",
            "n_done",
            "n_late",
        ]


class ActionStatusUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActionStatusUpdate
        fields = ["recorded_at", "old_status", "new_status", "progress_pct", "due_date", "comment"]


class RoadmapActionSerializer(serializers.ModelSerializer):
    ministry: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    axis: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    is_late = serializers.BooleanField(read_only=True)
    updates = ActionStatusUpdateSerializer(many=True, read_only=True)
    comment = serializers.CharField(write_only=True, required=False, allow_blank=True)
    expected_updated_at = expected_updated_at_field("l'action")

    class Meta:
        model = RoadmapAction
        fields = [
            "id",
            "roadmap",
            "ministry",
            "ref",
            "title",
            "axis",
            "action_type",
            "is_flagship",
            "origin",
            "owner_label",
            "start_date",
            "due_date",
            "due_quarter",
            "status",
            "abandon_reason",
            "progress_pct",
            "evidence_url",
            "is_late",
            "updates",
            "comment",
            "updated_at",
            "expected_updated_at",
        ]
        read_only_fields = ["roadmap", "ref", "title", "action_type", "is_flagship", "origin"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return attrs  # the service validates (evidence when done, reason when abandoned)


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^\d{1,2}:\d{2}(:\d{2}(\.\d{1,6})?)?$",
        "example": "09:30:00",
        "description": "Heure locale de Paris, sans décalage horaire.",
    }
)
class LocalTimeField(serializers.TimeField):
    """A meeting's hour: local (Europe/Paris), without an offset. OpenAPI's `format: time`
    (RFC 3339's full-time) requires one, so the schema describes the text instead."""


class MeetingSerializer(serializers.ModelSerializer):
    ministry: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", queryset=Ministry.objects.all(), required=False, allow_null=True
    )
    invited: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Ministry.objects.all(),
        many=True,
        write_only=True,
        required=False,
    )
    n_invited = serializers.IntegerField(read_only=True)
    n_present = serializers.IntegerField(read_only=True)
    start_time = LocalTimeField(required=False, allow_null=True)
    end_time = LocalTimeField(required=False, allow_null=True)
    expected_updated_at = expected_updated_at_field("la réunion")

    class Meta:
        model = Meeting
        fields = [
            "invited",
            "id",
            "meeting_type",
            "title",
            "date",
            "start_time",
            "end_time",
            "location",
            "ministry",
            "theme",
            "status",
            "n_invited",
            "n_present",
            "updated_at",
            "expected_updated_at",
        ]


class ActionItemSerializer(serializers.ModelSerializer):
    owner_ministry: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", queryset=Ministry.objects.all(), required=False, allow_null=True
    )
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "meeting",
            "description",
            "owner_label",
            "owner_ministry",
            "due_date",
            "status",
            "closed_at",
            "is_overdue",
        ]
        read_only_fields = ["closed_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return attrs  # the service validates (due date on or after the meeting)
