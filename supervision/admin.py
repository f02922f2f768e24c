"""Django admin of supervision: read-only views for network staff (writes go through the
services, which keep the action history and the audit trail); the roadmap axes are editable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import AuditedAdminMixin, NetworkStaffOnlyAdmin
from supervision.models import (
    ActionItem,
    ComplianceSnapshot,
    Meeting,
    Roadmap,
    RoadmapAction,
    RoadmapAxis,
)


class ReadOnlyNetworkAdmin(NetworkStaffOnlyAdmin):
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RoadmapAxis)
class RoadmapAxisAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    list_display = ["code", "label", "parent", "order"]


@admin.register(Roadmap)
class RoadmapAdmin(ReadOnlyNetworkAdmin):
    list_display = ["title", "ministry", "version", "status", "period_start", "period_end"]
    list_filter = ["status"]
    list_select_related = ["ministry"]


@admin.register(RoadmapAction)
class RoadmapActionAdmin(ReadOnlyNetworkAdmin):
    list_display = ["ref", "title", "ministry", "status", "due_date", "progress_pct"]
    list_filter = ["status"]
    list_select_related = ["ministry"]
    search_fields = ["title", "ref"]


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyNetworkAdmin):
    list_display = ["title", "meeting_type", "date", "status"]
    list_filter = ["meeting_type", "status"]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyNetworkAdmin):
    list_display = ["description", "owner_ministry", "due_date", "status"]
    list_select_related = ["owner_ministry"]


@admin.register(ComplianceSnapshot)
class ComplianceSnapshotAdmin(ReadOnlyNetworkAdmin):
    list_display = [
        "ministry",
        "year",
        "quarter",
        "score_total",
        "band",
        "coverage",
        "published",
        "algorithm_version",
        "computed_at",
    ]
    list_filter = ["year", "quarter", "band", "published"]
    list_select_related = ["ministry"]
