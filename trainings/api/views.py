"""REST API of trainings, events and impact indicators.

Catalogue, sessions and events: anyone reads. Registrations: the caller's own, those of the
sessions they train, those of their ministry's officials (ministry administrators), all for
network staff and viewers. Writes go through the services; a token writes only with can_write.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpResponse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from core.concurrency import conflicts_as_409
from core.permissions import IsAuthenticatedWithTokenScope, token_may_write
from trainings import calendar, selectors, services
from trainings.api.serializers import (
    AttendanceSerializer,
    EventSerializer,
    ImpactIndicatorSerializer,
    MeasurementSerializer,
    RegistrationSerializer,
    SatisfactionSerializer,
    TrainingCourseSerializer,
    TrainingSessionSerializer,
    TrainingStatsSerializer,
)
from trainings.models import (
    Event,
    ImpactIndicator,
    Measurement,
    Registration,
    TrainingCourse,
    TrainingSession,
)
from trainings.permissions import (
    PublicReadStaffWrite,
    SessionPermission,
    can_schedule_sessions,
    can_see_visio_link,
    can_view_training_stats,
)


class CoursePermission(BasePermission):
    message = "Seuls les formateurs et l'équipe DINUM gèrent le catalogue."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        return token_may_write(request) and can_schedule_sessions(request.user)


class _RW(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "head", "options"]


def _ids(objs: Any) -> list[int] | None:
    return None if objs is None else [o.pk for o in objs]


@extend_schema_view(
    list=extend_schema(summary="Catalogue des formations"),
    retrieve=extend_schema(summary="Une formation"),
    create=extend_schema(summary="Ajouter une formation (formateurs, équipe DINUM)"),
    partial_update=extend_schema(summary="Modifier une formation (formateurs, équipe DINUM)"),
)
class TrainingCourseViewSet(_RW):
    permission_classes = [CoursePermission]
    serializer_class = TrainingCourseSerializer
    lookup_field = "code"
    filterset_fields = ["format", "is_active"]
    queryset = TrainingCourse.objects.none()

    def get_queryset(self) -> QuerySet[TrainingCourse]:
        return selectors.course_queryset(self.request.user)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        d = dict(serializer.validated_data)
        serializer.instance = services.course_create(
            actor=self.request.user,
            audience_ids=_ids(d.pop("audiences", [])) or [],
            guide_ids=_ids(d.pop("related_guides", [])) or [],
            **d,
        )

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        d = dict(serializer.validated_data)
        serializer.instance = services.course_update(
            actor=self.request.user,
            course=cast(TrainingCourse, serializer.instance),
            audience_ids=_ids(d.pop("audiences", None)),
            guide_ids=_ids(d.pop("related_guides", None)),
            **d,
        )


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 moment, compared in UTC: Python reads offsets up to ±24 h, PostgreSQL's
    timestamptz only up to ±15:59 (« +16:00 » answered 500)."""

    def filter(self, qs: Any, value: Any) -> Any:
        if value is not None:
            try:
                value = value.astimezone(datetime.UTC)
            except OverflowError as exc:  # year 1 or 9999 once shifted to UTC
                raise ValidationError(
                    {self.field_name: ["Date hors des limites acceptées."]}
                ) from exc
        return super().filter(qs, value)


class SessionFilter(filters.FilterSet):
    course = filters.CharFilter(field_name="course__code")
    start_after = UtcDateTimeFilter(field_name="start", lookup_expr="gte")
    start_before = UtcDateTimeFilter(field_name="start", lookup_expr="lte")
    mine = filters.BooleanFilter(method="filter_mine", label="Sessions dont je suis formateur")

    class Meta:
        model = TrainingSession
        fields = ["status", "host_ministry"]

    def filter_mine(
        self, queryset: QuerySet[TrainingSession], name: str, value: bool
    ) -> QuerySet[TrainingSession]:
        user = self.request.user if self.request else None
        if value and user is not None and user.is_authenticated:
            return queryset.filter(trainers=user)
        return queryset


@extend_schema_view(
    list=extend_schema(summary="Sessions de formation"),
    retrieve=extend_schema(summary="Une session"),
    create=extend_schema(summary="Planifier une session (formateurs, équipe DINUM)"),
    partial_update=extend_schema(
        summary="Modifier une session (ses formateurs et l'équipe DINUM ; sinon 403)",
        responses={
            200: TrainingSessionSerializer,
            409: OpenApiResponse(
                description="La session a changé depuis `expected_updated_at` : rien n'est "
                "enregistré."
            ),
        },
    ),
)
class TrainingSessionViewSet(_RW):
    permission_classes = [SessionPermission]
    serializer_class = TrainingSessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["start"]
    queryset = TrainingSession.objects.none()

    def get_queryset(self) -> QuerySet[TrainingSession]:
        return selectors.session_queryset(self.request.user)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        d = dict(serializer.validated_data)
        d.pop("expected_updated_at", None)
        session = services.session_create(
            actor=self.request.user, trainer_ids=_ids(d.pop("trainers", [])) or [], **d
        )
        serializer.instance = self.get_queryset().get(pk=session.pk)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        d = dict(serializer.validated_data)
        with conflicts_as_409():
            session = services.session_update(
                actor=self.request.user,
                session=cast(TrainingSession, serializer.instance),
                trainer_ids=_ids(d.pop("trainers", None)),
                **d,
            )
        serializer.instance = self.get_queryset().get(pk=session.pk)

    @extend_schema(summary="Annuler la session (ses formateurs, équipe DINUM)", request=None)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        services.session_cancel(actor=request.user, session=session)
        return Response(self.get_serializer(self.get_queryset().get(pk=session.pk)).data)

    @extend_schema(
        summary="Feuille de présence : identifiants des inscriptions présentes",
        request=AttendanceSerializer,
        responses={200: OpenApiResponse(description="Nombre de modifications")},
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        s = AttendanceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        changed = services.attendance_mark(
            actor=request.user,
            session=session,
            present_ids=s.validated_data["present"],
            read_present_ids=s.validated_data.get("was_present"),
        )
        return Response({"changed": changed})

    @extend_schema(
        summary="Inscriptions de la session (ses formateurs, équipe DINUM)",
        responses=RegistrationSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def registrations(self, request: Request, pk: str | None = None) -> Response:
        session = self.get_object()
        from trainings.permissions import can_edit_session

        if not can_edit_session(request.user, session):
            raise PermissionDenied("Seuls les formateurs de la session voient ses inscriptions.")
        qs = selectors.session_registrations(session).select_related("session__course")
        return Response(RegistrationSerializer(qs, many=True).data)

    @extend_schema(summary="Fichier iCalendar de la session", responses={200: OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="ics")
    def ics(self, request: Request, pk: str | None = None) -> HttpResponse:
        session = self.get_object()
        ics = calendar.session_ics(session, with_visio=can_see_visio_link(request.user, session))
        return HttpResponse(ics, content_type="text/calendar")


class RegistrationFilter(filters.FilterSet):
    class Meta:
        model = Registration
        fields = ["session", "status", "attended"]


@extend_schema_view(
    list=extend_schema(summary="Inscriptions visibles (les miennes, celles de mes sessions…)"),
    retrieve=extend_schema(summary="Une inscription"),
    create=extend_schema(
        summary="M'inscrire à une session (place ou liste d'attente)",
        description=(
            "Le ministère est celui du compte ; s'il en a plusieurs, ou aucun, indiquez "
            "`ministry` (code)."
        ),
    ),
)
class RegistrationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAuthenticatedWithTokenScope]
    serializer_class = RegistrationSerializer
    filterset_class = RegistrationFilter
    queryset = Registration.objects.none()

    def get_queryset(self) -> QuerySet[Registration]:
        return selectors.registration_queryset(self.request.user).order_by("-registered_at", "-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        s = self.get_serializer(data=request.data)
        s.is_valid(raise_exception=True)
        ministry = s.validated_data.get("ministry")
        reg = services.registration_create(
            actor=request.user,
            session=s.validated_data["session"],
            ministry_id=ministry.pk if ministry else None,
        )
        out = self.get_serializer(self.get_queryset().get(pk=reg.pk))
        return Response(out.data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Annuler l'inscription (la liste d'attente avance)", request=None)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        reg = self.get_object()
        services.registration_cancel(actor=request.user, registration=reg)
        return Response(self.get_serializer(self.get_queryset().get(pk=reg.pk)).data)

    @extend_schema(
        summary="Questionnaire de satisfaction (après la session, présents)",
        request=SatisfactionSerializer,
    )
    @action(detail=True, methods=["post"])
    def satisfaction(self, request: Request, pk: str | None = None) -> Response:
        reg = self.get_object()
        s = SatisfactionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.satisfaction_submit(actor=request.user, registration=reg, **s.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=reg.pk)).data)


class EventFilter(filters.FilterSet):
    start_after = filters.DateFilter(field_name="start", lookup_expr="gte")
    start_before = filters.DateFilter(field_name="start", lookup_expr="lte")
    ministry = filters.CharFilter(field_name="ministries__code")

    class Meta:
        model = Event
        fields = ["event_type"]


def _event_links(d: dict[str, Any]) -> services.EventLinks:
    return services.EventLinks(
        ministry_ids=_ids(d.pop("ministries", None)),
        dataset_ids=_ids(d.pop("datasets", None)),
        opened_ids=_ids(d.pop("datasets_opened_as_result", None)),
    )


@extend_schema_view(
    list=extend_schema(summary="Événements (hackathons, consultations, GT internationaux…)"),
    retrieve=extend_schema(summary="Un événement"),
    create=extend_schema(summary="Créer un événement (équipe DINUM)"),
    partial_update=extend_schema(summary="Modifier un événement (équipe DINUM)"),
)
class EventViewSet(_RW):
    permission_classes = [PublicReadStaffWrite]
    serializer_class = EventSerializer
    filterset_class = EventFilter
    queryset = Event.objects.none()

    def get_queryset(self) -> QuerySet[Event]:
        return selectors.event_queryset(self.request.user)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        d = dict(serializer.validated_data)
        links = _event_links(d)
        event = services.event_create(actor=self.request.user, links=links, **d)
        serializer.instance = selectors.event_get(self.request.user, event.pk)

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        d = dict(serializer.validated_data)
        links = _event_links(d)
        event = services.event_update(
            actor=self.request.user, event=cast(Event, serializer.instance), links=links, **d
        )
        serializer.instance = selectors.event_get(self.request.user, event.pk)


class StaffWriteAuthenticatedRead(IsAuthenticatedWithTokenScope):
    message = "Seule l'équipe DINUM modifie les indicateurs d'impact."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS:
            return True
        from trainings.permissions import can_edit_network_records

        return can_edit_network_records(request.user)


@extend_schema_view(
    list=extend_schema(summary="Indicateurs d'impact"),
    retrieve=extend_schema(summary="Un indicateur d'impact"),
    create=extend_schema(summary="Définir un indicateur (équipe DINUM)"),
    partial_update=extend_schema(summary="Modifier un indicateur (équipe DINUM)"),
)
class ImpactIndicatorViewSet(_RW):
    permission_classes = [StaffWriteAuthenticatedRead]
    serializer_class = ImpactIndicatorSerializer
    lookup_field = "code"
    queryset = ImpactIndicator.objects.none()

    def get_queryset(self) -> QuerySet[ImpactIndicator]:
        return ImpactIndicator.objects.order_by("code")

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.indicator_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.indicator_update(
            actor=self.request.user,
            indicator=cast(ImpactIndicator, serializer.instance),
            **serializer.validated_data,
        )


class MeasurementFilter(filters.FilterSet):
    indicator = filters.CharFilter(field_name="indicator__code")
    ministry = filters.CharFilter(field_name="ministry__code")
    since = filters.DateFilter(field_name="period_start", lookup_expr="gte")

    class Meta:
        model = Measurement
        fields = ["is_estimate"]


@extend_schema_view(
    list=extend_schema(summary="Mesures trimestrielles des indicateurs d'impact"),
    retrieve=extend_schema(summary="Une mesure"),
    create=extend_schema(summary="Saisir une mesure (équipe DINUM)"),
)
class MeasurementViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [StaffWriteAuthenticatedRead]
    serializer_class = MeasurementSerializer
    filterset_class = MeasurementFilter
    queryset = Measurement.objects.none()

    def get_queryset(self) -> QuerySet[Measurement]:
        return selectors.measurement_queryset(self.request.user)

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = services.measurement_record(
            actor=self.request.user, **serializer.validated_data
        )


class TrainingStatsView(APIView):
    """Indicator N16: officials trained per ministry and per audience (network staff, viewers)."""

    permission_classes = [IsAuthenticatedWithTokenScope]

    @extend_schema(
        summary="Agents formés par ministère et par public (indicateur N16)",
        responses=TrainingStatsSerializer,
    )
    def get(self, request: Request) -> Response:
        if not can_view_training_stats(request.user):
            raise PermissionDenied("Réservé à l'équipe DINUM et aux lecteurs du réseau.")
        summary = selectors.training_summary()
        data = {
            **summary.__dict__,
            "per_ministry": selectors.officials_trained_per_ministry(),
            "per_audience": selectors.officials_trained_per_audience(),
        }
        return Response(TrainingStatsSerializer(data).data)
