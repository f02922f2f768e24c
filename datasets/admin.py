"""Django admin of the inventory, scoped by role like every other view.

Entries, qualifications and their histories are read-only here: they change through the portal
pages and the API, whose services validate (DOMAIN §5), lock (version), audit and record the
compliance facts. A deletion from the admin goes through `asset_delete` for the same reasons.
Reference tables (formats, SPD datasets) are edited by network staff only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from administrators.models import Ministry, Organization
from core.access import access_for
from core.admin import AuditedAdminMixin, MinistryScopedAdmin, NetworkStaffOnlyAdmin
from datasets import services
from datasets.models import (
    AssessmentHistory,
    AssetStateHistory,
    DataAsset,
    ExtraFieldDefinition,
    Format,
    ImportJob,
    OpenByDefaultAssessment,
    PersonalDataProcessing,
    QualificationProposal,
    ReferenceDataDesignation,
    RIPPublication,
    SpdReferenceDataset,
)


class ReadOnlyScopedAdmin(MinistryScopedAdmin):
    """Visible to network staff and the ministry's administrators; changed elsewhere."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        access = access_for(request.user)
        if obj is None:
            return access.is_network_staff or access.is_ministry_admin
        return access.can_edit_ministry(self._ministry_id(obj))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DataAsset)
class DataAssetAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "ministry", "organization", "asset_type", "visibility", "updated_at"]
    list_filter = ["visibility", "asset_type", "contains_personal_data"]
    list_select_related = ["ministry", "organization"]
    search_fields = ["title", "acronym"]
    show_full_result_count = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access_for(request.user).is_network_staff

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # The qualification and its history go with the entry (the service records the deletion);
        # their own admins being read-only must not block it.
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected

    def delete_model(self, request: HttpRequest, obj: DataAsset) -> None:
        services.asset_delete(actor=request.user, asset=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DataAsset]) -> None:
        for asset in queryset:
            services.asset_delete(actor=request.user, asset=asset)


@admin.register(OpenByDefaultAssessment)
class AssessmentAdmin(ReadOnlyScopedAdmin):
    list_display = ["asset", "status", "obligation_basis", "planned_date", "updated_at"]
    list_filter = ["status", "obligation_basis"]
    list_select_related = ["asset"]
    show_full_result_count = False


@admin.register(ExtraFieldDefinition)
class ExtraFieldDefinitionAdmin(ReadOnlyScopedAdmin):
    list_display = ["label", "code", "kind", "ministry", "retired_at"]
    list_select_related = ["ministry"]


@admin.register(ReferenceDataDesignation)
class ReferenceDataDesignationAdmin(ReadOnlyScopedAdmin):
    list_display = ["asset", "regime", "spd_dataset", "status"]
    list_filter = ["regime", "status"]
    list_select_related = ["asset", "spd_dataset"]


@admin.register(AssessmentHistory)
class AssessmentHistoryAdmin(ReadOnlyScopedAdmin):
    ministry_field = "ministry_id_at"
    list_display = ["asset", "status", "recorded_at", "actor"]
    list_select_related = ["asset", "actor"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = admin.ModelAdmin.get_queryset(self, request)
        access = access_for(request.user)
        if access.is_network_staff:
            return qs
        return qs.filter(ministry_id_at__in=access.admin_ministry_ids)


@admin.register(QualificationProposal)
class QualificationProposalAdmin(ReadOnlyScopedAdmin):
    """Decided on the entry page or through the API (an acceptance goes through asset_qualify)."""

    list_display = ["asset", "status", "proposed_by", "created_at", "reviewed_by", "reviewed_at"]
    list_filter = ["status"]
    list_select_related = ["asset", "proposed_by", "reviewed_by"]
    show_full_result_count = False


@admin.register(AssetStateHistory)
class AssetStateHistoryAdmin(NetworkStaffOnlyAdmin):
    list_display = ["asset_id_ref", "ministry_id_at", "status", "recorded_at", "deleted"]
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyScopedAdmin):
    list_display = ["filename", "ministry", "state", "created_at"]
    list_select_related = ["ministry"]
    exclude = ["payload"]


class OwnMinistryWriteAdmin(AuditedAdminMixin, MinistryScopedAdmin):
    """Ministry-owned rows that a ministry administrator edits here: the ministry and the
    organisations offered are theirs only (the form can never move a row to another ministry),
    and every change is audited like the services' writes."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        access = access_for(request.user)
        if not access.is_network_staff:
            own = access.admin_ministry_ids
            if db_field.related_model is Ministry:
                kwargs["queryset"] = Ministry.objects.filter(pk__in=own).order_by("name")
            elif db_field.related_model is Organization:
                kwargs["queryset"] = Organization.objects.filter(ministry_id__in=own).order_by(
                    "name"
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(PersonalDataProcessing)
class PersonalDataProcessingAdmin(OwnMinistryWriteAdmin):
    list_display = ["name", "ministry", "ropa_id", "aipd_status"]
    list_select_related = ["ministry"]
    search_fields = ["name", "ropa_id"]


@admin.register(RIPPublication)
class RIPPublicationAdmin(OwnMinistryWriteAdmin):
    list_display = ["ministry", "year", "published_at", "asset_count"]
    list_select_related = ["ministry"]


@admin.register(Format)
class FormatAdmin(NetworkStaffOnlyAdmin):
    list_display = ["name", "is_open", "machine_readable"]


@admin.register(SpdReferenceDataset)
class SpdReferenceDatasetAdmin(NetworkStaffOnlyAdmin):
    list_display = ["code", "label", "producer_label", "legal_frequency", "api_expected"]
