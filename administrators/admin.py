"""Django admin of the network, scoped by role like every other view.

Ministries, people, mandates, roles and poles: network staff only (a ministry administrator
changes their ministry's contacts and correspondents from the portal pages, which apply the
finer rules of administrators/permissions.py). Organisations: network staff and the ministry's
administrators, for their own ministries only. Every change made here is audited.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from administrators.models import (
    DataAdministrator,
    Membership,
    Ministry,
    Organization,
    Person,
    PoleMinisteriel,
)
from administrators.permissions import can_grant_role, ensure_can_manage_memberships
from administrators.services import (
    LAST_CHIEF_PROTECTION,
    _names_changed,
    _path_of,
    _repath_descendants,
    last_chief_data_officer,
    removes_every_chief_data_officer,
    titular_conflict,
)
from core.access import access_for
from core.admin import AuditedAdminMixin, MinistryScopedAdmin, NetworkStaffOnlyAdmin, unique_email

PERSON_EMAIL_TAKEN = (
    "Une autre personne est déjà enregistrée avec ce courriel, peut-être écrit avec d'autres "
    "majuscules : modifiez sa fiche plutôt que d'en créer une seconde."
)


@admin.register(PoleMinisteriel)
class PoleAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    list_display = ["name", "code", "valid_from", "valid_to"]
    search_fields = ["name", "code"]


@admin.register(Ministry)
class MinistryAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    list_display = ["name", "short_name", "code", "in_ogp_scope", "valid_to"]
    list_filter = ["in_ogp_scope"]
    search_fields = ["name", "short_name", "code"]
    list_select_related = ["pole"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # As `services.ministry_update`: inventory pages keep names per cache generation.
        if change and set(form.changed_data) & {"name", "short_name", "code"}:
            _names_changed()


@admin.register(Organization)
class OrganizationAdmin(AuditedAdminMixin, MinistryScopedAdmin):
    list_display = ["name", "ministry", "kind", "siret"]
    list_filter = ["kind"]
    search_fields = ["name", "siret"]
    list_select_related = ["ministry"]
    raw_id_fields = ["parent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not access_for(request.user).is_network_staff:
            return ["ministry", "path"]
        return ["path"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "ministry":
            kwargs["queryset"] = Ministry.objects.filter(
                pk__in=Ministry.objects.for_user(request.user).values("pk")
            )
            access = access_for(request.user)
            if not access.is_network_staff:
                kwargs["queryset"] = kwargs["queryset"].filter(pk__in=access.admin_ministry_ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return super().get_queryset(request).select_related("ministry")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # As `services.organization_create/update`: the directory path follows the name and
        # the parent, down the tree, and inventory pages forget the names they keep.
        renamed = not change or bool(set(form.changed_data) & {"name", "parent"})
        if renamed:
            obj.path = _path_of(obj)
        super().save_model(request, obj, form, change)
        if change and renamed:
            _repath_descendants(obj)
            _names_changed()


class PersonAdminForm(forms.ModelForm):
    """The e-mail stored as `services.person_update` stores it, one record per address."""

    def clean_email(self) -> str:
        return unique_email(self, PERSON_EMAIL_TAKEN)


@admin.register(Person)
class PersonAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    form = PersonAdminForm
    list_display = ["last_name", "first_name", "email", "consent_directory", "is_active"]
    list_filter = ["consent_directory", "is_active"]
    search_fields = ["last_name", "first_name", "email"]
    raw_id_fields = ["organization", "user"]


class DataAdministratorAdminForm(forms.ModelForm):
    """The admin saves without the service: the overlap of titular mandates (an exclusion
    constraint on PostgreSQL, which Django does not check before saving) is checked here, so
    that it comes back as the service's French message instead of an IntegrityError."""

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # private hook, absent from the stubs
        conflict = titular_conflict(self.instance)
        if conflict:
            self.add_error(None, conflict)


@admin.register(DataAdministrator)
class DataAdministratorAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    form = DataAdministratorAdminForm
    list_display = ["person", "ministry", "role", "appointment_date", "end_date"]
    list_filter = ["role"]
    search_fields = ["person__last_name", "person__email", "ministry__name"]
    list_select_related = ["person", "ministry"]
    raw_id_fields = ["person", "reports_to"]
    filter_horizontal = ["perimeter_organizations"]


class MembershipAdminForm(forms.ModelForm):
    """The last current chief data officer role is not changed away here either (another role,
    another account, an end of validity already past), as `services.membership_revoke`."""

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # private hook, absent from the stubs
        if not self.instance.pk:
            return
        before = Membership.objects.get(pk=self.instance.pk)
        if before.role != Membership.Role.CHIEF_DATA_OFFICER:
            return
        still = (
            self.instance.role == before.role
            and self.instance.user_id == before.user_id
            and (
                self.instance.valid_until is None
                or self.instance.valid_until >= timezone.localdate()
            )
        )
        message = None if still else last_chief_data_officer(before)
        if message:
            self.add_error(None, message)


@admin.register(Membership)
class MembershipAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    form = MembershipAdminForm
    list_display = ["user", "role", "ministry", "admin_kind", "valid_until"]
    list_filter = ["role"]
    search_fields = ["user__email"]
    list_select_related = ["user", "ministry"]
    raw_id_fields = ["user"]
    filter_horizontal = ["organizations"]

    # Only the chief data officer (or a superuser) grants, changes or sees offered the chief
    # data officer role, as on the roles page (permissions.can_grant_role).
    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role" and not can_grant_role(request.user, "CHIEF_DATA_OFFICER"):
            kwargs["choices"] = [
                (v, label) for v, label in Membership.Role.choices if v != "CHIEF_DATA_OFFICER"
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not can_grant_role(request.user, obj.role):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        ensure_can_manage_memberships(request.user, obj.role)
        super().save_model(request, obj, form, change)

    # The last current chief data officer role is not deleted here either (a superuser's
    # delete of one row or of a selection), as `services.membership_revoke` refuses it: shown
    # as what protects the deletion, which Django then does not carry out.
    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if removes_every_chief_data_officer(Membership.objects.filter(pk__in=[o.pk for o in objs])):
            protected = [*protected, LAST_CHIEF_PROTECTION]
        return deleted, counts, perms_needed, protected
