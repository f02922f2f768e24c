"""Django admin, scoped by role like every other view.

Network staff (chief data officer, DINUM staff) and superusers see everything; a ministry
administrator with `is_staff` sees and edits only their ministries' rows. Reference tables are
editable by network staff only. Apps use `MinistryScopedAdmin` for ministry-owned models.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.access import access_for
from core.models import (
    ApiToken,
    AuditEntry,
    HvdCategory,
    LegalGround,
    LegalReference,
    Licence,
    NoAnonymisationCategory,
    User,
)


class NetworkStaffOnlyAdmin(admin.ModelAdmin):
    """Visible and editable by network staff only (reference tables, network-wide records)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access_for(request.user).is_network_staff

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access_for(request.user).is_network_staff

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access_for(request.user).is_network_staff

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access_for(request.user).is_network_staff

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access_for(request.user).is_superuser


class MinistryScopedAdmin(admin.ModelAdmin):
    """Rows filtered to the caller's ministries; `ministry_field` names the path to the ministry."""

    ministry_field = "ministry"

    def _ministry_id(self, obj: Any) -> int | None:
        value = obj
        for part in self.ministry_field.split("__"):
            value = getattr(value, part, None)
        return getattr(value, "pk", value)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        access = access_for(request.user)
        if access.is_network_staff:
            return qs
        return qs.filter(**{f"{self.ministry_field}__in": access.admin_ministry_ids})

    def has_module_permission(self, request: HttpRequest) -> bool:
        access = access_for(request.user)
        return access.is_network_staff or access.is_ministry_admin

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        access = access_for(request.user)
        if obj is None:
            return access.is_network_staff or access.is_ministry_admin
        return access.can_edit_ministry(self._ministry_id(obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        access = access_for(request.user)
        return access.is_network_staff or access.is_ministry_admin

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access_for(request.user).is_network_staff


@admin.register(User)
class UserAdmin(NetworkStaffOnlyAdmin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identité", {"fields": ("first_name", "last_name")}),
        ("Droits", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(AuditEntry)
class AuditEntryAdmin(NetworkStaffOnlyAdmin):
    list_display = ["created_at", "actor", "action", "object_repr"]
    list_filter = ["action"]
    list_select_related = ["actor"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(NetworkStaffOnlyAdmin):
    list_display = ["name", "user", "key_id", "can_write", "created_at", "revoked_at"]
    list_select_related = ["user"]
    readonly_fields = ["key_id", "secret_hash", "last_used_at"]


@admin.register(LegalReference)
class LegalReferenceAdmin(NetworkStaffOnlyAdmin):
    list_display = ["code", "text_name", "article", "version_date"]
    search_fields = ["code", "article"]


@admin.register(LegalGround)
class LegalGroundAdmin(NetworkStaffOnlyAdmin):
    list_display = ["code", "label", "regime", "version_date", "active"]
    list_filter = ["regime", "active"]
    search_fields = ["code", "label"]


@admin.register(Licence)
class LicenceAdmin(NetworkStaffOnlyAdmin):
    list_display = ["spdx_id", "name", "family", "is_decree_listed", "homologation_ref"]
    list_filter = ["family", "is_decree_listed"]


admin.site.register(NoAnonymisationCategory, NetworkStaffOnlyAdmin)
admin.site.register(HvdCategory, NetworkStaffOnlyAdmin)
