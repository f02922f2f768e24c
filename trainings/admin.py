"""Admin of trainings, events and impact indicators: DINUM staff only. Registrations and
measurements are read-only here (the waitlist order and the audit trail are kept by the
services that the portal's pages and API call)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import AuditedAdminMixin, NetworkStaffOnlyAdmin
from trainings.models import (
    Audience,
    Event,
    ImpactIndicator,
    Measurement,
    Registration,
    TrainingCourse,
    TrainingSession,
)


class ReadOnlyAdmin(NetworkStaffOnlyAdmin):
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Audience)
class AudienceAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    list_display = ["code", "label", "order"]


@admin.register(TrainingCourse)
class TrainingCourseAdmin(ReadOnlyAdmin):
    list_display = ["title", "code", "format", "duration_hours", "is_active"]
    list_filter = ["format", "is_active", "audiences"]
    search_fields = ["title", "code"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(ReadOnlyAdmin):
    list_display = ["course", "start", "capacity", "status", "host_ministry"]
    list_filter = ["status"]
    list_select_related = ["course", "host_ministry"]


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ["user", "session", "ministry", "status", "waitlist_position", "attended"]
    list_filter = ["status", "attended"]
    list_select_related = ["user", "session__course", "ministry"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["title", "event_type", "start", "participants_count"]
    list_filter = ["event_type"]
    search_fields = ["title"]


@admin.register(ImpactIndicator)
class ImpactIndicatorAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "level", "source", "frequency"]


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "period_start", "ministry", "value", "is_estimate"]
    list_filter = ["indicator"]
    list_select_related = ["indicator", "ministry"]
