"""Serializers of the trainings API: shape and types only; the services validate and write."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from administrators.models import Ministry
from core.concurrency import expected_updated_at_field
from core.models import User
from datasets.models import DataAsset
from guides.models import Guide
from trainings.models import (
    Audience,
    Event,
    ImpactIndicator,
    Measurement,
    Registration,
    TrainingCourse,
    TrainingSession,
    quarter_label,
)


class TrainingCourseSerializer(serializers.ModelSerializer):
    audiences = serializers.SlugRelatedField(
        slug_field="code", queryset=Audience.objects.all(), many=True, required=False
    )
    related_guides = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Guide.objects.filter(published_version__isnull=False),
        many=True,
        required=False,
    )

    class Meta:
        model = TrainingCourse
        fields = [
            "id",
            "code",
            "title",
            "objectives",
            "audiences",
            "format",
            "duration_hours",
            "provider",
            "prerequisites",
            "related_guides",
            "is_active",
        ]


class TrainingSessionSerializer(serializers.ModelSerializer):
    course = serializers.SlugRelatedField(slug_field="code", queryset=TrainingCourse.objects.all())
    course_title = serializers.CharField(source="course.title", read_only=True)
    host_ministry = serializers.SlugRelatedField(
        slug_field="code", queryset=Ministry.objects.all(), required=False, allow_null=True
    )
    trainers = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), many=True, required=False
    )
    seats_taken = serializers.IntegerField(read_only=True)
    waitlist_count = serializers.IntegerField(read_only=True)
    expected_updated_at = expected_updated_at_field("la session")

    class Meta:
        model = TrainingSession
        fields = [
            "id",
            "course",
            "course_title",
            "start",
            "end",
            "location",
            "visio_url",
            "capacity",
            "host_ministry",
            "trainers",
            "status",
            "notes",
            "seats_taken",
            "waitlist_count",
            "updated_at",
            "expected_updated_at",
        ]
        read_only_fields = ["status", "updated_at"]

    def get_fields(self) -> dict[str, Any]:
        from trainings.selectors import trainer_accounts

        fields: dict[str, Any] = super().get_fields()
        fields["trainers"].child_relation.queryset = trainer_accounts()
        return fields

    def to_representation(self, instance: TrainingSession) -> dict[str, Any]:
        from trainings.permissions import can_see_visio_link

        data = super().to_representation(instance)
        request = self.context.get("request")
        if data.get("visio_url") and not can_see_visio_link(
            getattr(request, "user", None), instance
        ):
            data["visio_url"] = ""
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start", getattr(self.instance, "start", None))
        end = attrs.get("end", getattr(self.instance, "end", None))
        if start and end and end <= start:
            raise serializers.ValidationError(
                {"end": "La fin de la session doit être postérieure à son début."}
            )
        return attrs


class RegistrationSerializer(serializers.ModelSerializer):
    session = serializers.PrimaryKeyRelatedField(queryset=TrainingSession.objects.all())
    ministry = serializers.SlugRelatedField(
        slug_field="code", queryset=Ministry.objects.all(), required=False, allow_null=True
    )
    user_email = serializers.EmailField(source="user.email", read_only=True)
    course_title = serializers.CharField(source="session.course.title", read_only=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "session",
            "course_title",
            "user_email",
            "ministry",
            "status",
            "waitlist_position",
            "registered_at",
            "promoted_at",
            "cancelled_at",
            "attended",
            "satisfaction",
            "feedback",
        ]
        read_only_fields = [
            "status",
            "waitlist_position",
            "registered_at",
            "promoted_at",
            "cancelled_at",
            "attended",
            "satisfaction",
            "feedback",
        ]


class AttendanceSerializer(serializers.Serializer):
    present = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    was_present = serializers.ListField(
        child=serializers.IntegerField(),
        allow_empty=True,
        required=False,
        help_text=(
            "Facultatif : les inscriptions présentes quand la feuille a été lue. Donné, seules "
            "les cases changées depuis s'appliquent aux agents déjà pointés (deux formateurs "
            "gardent leurs pointages)."
        ),
    )


class SatisfactionSerializer(serializers.Serializer):
    satisfaction = serializers.IntegerField()
    feedback = serializers.CharField(required=False, allow_blank=True, default="")


class EventSerializer(serializers.ModelSerializer):
    ministries = serializers.SlugRelatedField(
        slug_field="code", queryset=Ministry.objects.all(), many=True, required=False
    )
    datasets = serializers.PrimaryKeyRelatedField(
        queryset=DataAsset.objects.all(), many=True, required=False
    )
    datasets_opened_as_result = serializers.PrimaryKeyRelatedField(
        queryset=DataAsset.objects.all(), many=True, required=False
    )
    reuse_urls = serializers.ListField(child=serializers.URLField(), required=False)

    class Meta:
        model = Event
        fields = [
            "id",
            "event_type",
            "title",
            "description",
            "start",
            "end",
            "organizer_name",
            "ministries",
            "datasets",
            "datasets_opened_as_result",
            "participants_count",
            "reuser_orgs_count",
            "contributions_count",
            "synthesis_url",
            "outputs",
            "reuses_created",
            "reuse_urls",
            "international_body",
            "source_url",
        ]


class ImpactIndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImpactIndicator
        fields = [
            "id",
            "code",
            "name",
            "definition",
            "unit",
            "formula",
            "level",
            "source",
            "frequency",
            "direction",
            "target_value",
        ]


class MeasurementSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(
        slug_field="code", queryset=ImpactIndicator.objects.all()
    )
    ministry = serializers.SlugRelatedField(
        slug_field="code", queryset=Ministry.objects.all(), required=False, allow_null=True
    )
    quarter = serializers.SerializerMethodField()

    class Meta:
        model = Measurement
        fields = [
            "id",
            "indicator",
            "quarter",
            "period_start",
            "period_end",
            "ministry",
            "asset",
            "value",
            "collected_at",
            "method_note",
            "evidence_url",
            "is_estimate",
        ]
        read_only_fields = ["collected_at"]
        # Uniqueness per quarter is checked by the model (full_clean in the service), with a
        # French message; DRF's own validator would make `ministry` and `asset` mandatory.
        validators: list[Any] = []

    def get_quarter(self, obj: Measurement) -> str:
        return quarter_label(obj.period_start)


class CountRowSerializer(serializers.Serializer):
    ministry_id = serializers.IntegerField(required=False)
    ministry = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    audience = serializers.CharField(required=False)
    officials = serializers.IntegerField()
    attendances = serializers.IntegerField(required=False)


class TrainingStatsSerializer(serializers.Serializer):
    sessions_held = serializers.IntegerField()
    sessions_planned = serializers.IntegerField()
    officials_trained = serializers.IntegerField()
    attendances = serializers.IntegerField()
    mean_satisfaction = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    answers = serializers.IntegerField()
    per_ministry = CountRowSerializer(many=True)
    per_audience = CountRowSerializer(many=True)
