"""Admin of the guides: DINUM staff only. Versions are read-only here: drafting, review and
publication go through the portal's pages (services keep the one-published-version rule and
the audit trail)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin import AuditedAdminMixin, NetworkStaffOnlyAdmin
from guides.models import Guide, GuideVersion


class GuideVersionInline(admin.TabularInline):
    model = GuideVersion
    fields = ["version", "status", "published_at", "approved_by", "review_due"]
    readonly_fields = ["version", "status", "published_at", "approved_by", "review_due"]
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Guide)
class GuideAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    list_display = ["title", "theme", "published_version"]
    list_filter = ["theme"]
    search_fields = ["title", "slug"]
    readonly_fields = ["published_version"]
    inlines = [GuideVersionInline]


@admin.register(GuideVersion)
class GuideVersionAdmin(NetworkStaffOnlyAdmin):
    list_display = ["guide", "version", "status", "published_at"]
    list_filter = ["status"]
    list_select_related = ["guide"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
