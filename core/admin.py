"""Django admin, scoped by role like every other view.

Network staff (chief data officer, DINUM staff) and superusers see everything; a ministry
administrator with `is_staff` sees and edits only their ministries' rows. Reference tables are
editable by network staff only. Apps use `MinistryScopedAdmin` for ministry-owned models.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from core.access import access_for
from core.audit import audit_record, diff, snapshot
from core.models import (
    ApiToken,
    AuditEntry,
    HvdCategory,
    LegalGround,
    LegalReference,
    Licence,
    NoAnonymisationCategory,
    PersonalDataCategory,
    User,
    normalize_email,
)

ACCOUNT_EMAIL_TAKEN = (
    "Un autre compte utilise déjà cette adresse électronique, peut-être écrite avec d'autres "
    "majuscules : une personne n'a qu'un compte, modifiez celui qui existe."
)


def unique_email(form: forms.ModelForm[Any], message: str) -> str:
    """The e-mail of an admin form as the portal's forms and services store it
    (`normalize_email`), refused with `message` when another row of the form's model holds it
    in any case: the admin saves without the services, and sign-in by e-mail, which looks the
    address up without regard to case, must find one account."""
    email = normalize_email(form.cleaned_data.get("email"))
    others = form._meta.model._default_manager.filter(email__iexact=email)
    if form.instance.pk is not None:
        others = others.exclude(pk=form.instance.pk)
    if email and others.exists():
        stored = form.instance.email if form.instance.pk is not None else ""
        if stored and normalize_email(stored) == email:
            # One of an older pair differing only in case, its address untouched: it stays
            # editable (to deactivate it, or merge the pair), its address stored as it is.
            return stored
        raise ValidationError(message, code="unique")
    return email


class AuditedAdminMixin(admin.ModelAdmin):
    """Records who changed what from the admin (before/after), like the services do.
    `audit_exclude` names fields never copied into the trail (password hashes…)."""

    audit_exclude: tuple[str, ...] = ()

    def _snapshot(self, obj: Any) -> dict[str, Any]:
        return {k: v for k, v in snapshot(obj).items() if k not in self.audit_exclude}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before: dict[str, Any] = {}
        if change and obj.pk:
            before = self._snapshot(type(obj)._default_manager.get(pk=obj.pk))
        elif hasattr(obj, "created_by_id") and not obj.created_by_id:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        label = type(obj)._meta.model_name
        audit_record(
            actor=request.user,
            action=f"{label}.{'updated' if change else 'created'}",
            target=obj,
            changes=diff(before, self._snapshot(obj)),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(
            actor=request.user,
            action=f"{type(obj)._meta.model_name}.deleted",
            target=obj,
            changes=diff(self._snapshot(obj), {}),
        )
        super().delete_model(request, obj)


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


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        return unique_email(self, ACCOUNT_EMAIL_TAKEN)


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return unique_email(self, ACCOUNT_EMAIL_TAKEN)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin, DjangoUserAdmin):
    """DINUM staff manage accounts, but only a superuser makes a superuser, changes a
    superuser's account or sets a password here (others use the reset by e-mail): no
    network role can raise its own rights or take over an account from the admin."""

    audit_exclude = ("password", "last_login")
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm

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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return ()
        return ("is_superuser", "last_login", "date_joined")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not self._may_change_account(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """The account holding the last current chief data officer role is not deleted (its
        role would go with it): shown as what protects the deletion."""
        from administrators.models import Membership
        from administrators.services import (
            LAST_CHIEF_PROTECTION,
            removes_every_chief_data_officer,
        )

        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        roles = Membership.objects.filter(user__in=[o.pk for o in objs])
        if removes_every_chief_data_officer(roles):
            protected = [*protected, LAST_CHIEF_PROTECTION]
        return deleted, counts, perms_needed, protected

    @staticmethod
    def _may_change_account(request: HttpRequest, obj: Any) -> bool:
        """Nobody changes an account above their own: a superuser's only by a superuser, the
        chief data officer's only by the chief data officer (changing its e-mail and asking
        for a password reset would otherwise hand it over)."""
        if request.user.is_superuser:
            return True
        if obj.is_superuser:
            return False
        if access_for(request.user).is_chief_data_officer:
            return True
        return "CHIEF_DATA_OFFICER" not in access_for(obj).role_codes

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        if not request.user.is_superuser:
            raise PermissionDenied(
                "Seul un superutilisateur fixe un mot de passe ici ; sinon, utilisez "
                "« Mot de passe oublié »."
            )
        return super().user_change_password(request, id, form_url)


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
    """Read-only: tokens are created by their owner on the account page; a leaked token is
    revoked with the action below, through the audited service. A token is never handed to
    another account nor granted write access here."""

    list_display = ["name", "user", "key_id", "can_write", "created_at", "revoked_at"]
    list_select_related = ["user"]
    actions = ["revoke_tokens"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Révoquer les jetons sélectionnés")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        from core.services import token_revoke

        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(actor=request.user, token=token)
            done += 1
        self.message_user(request, f"{done} jeton(s) révoqué(s).")


@admin.register(LegalReference)
class LegalReferenceAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    list_display = ["code", "text_name", "article", "version_date"]
    search_fields = ["code", "article"]


@admin.register(LegalGround)
class LegalGroundAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    list_display = ["code", "label", "regime", "version_date", "active"]
    list_filter = ["regime", "active"]
    search_fields = ["code", "label"]


@admin.register(Licence)
class LicenceAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    list_display = ["spdx_id", "name", "family", "is_decree_listed", "homologation_ref"]
    list_filter = ["family", "is_decree_listed"]


class ReferenceTableAdmin(AuditedAdminMixin, NetworkStaffOnlyAdmin):
    pass


admin.site.register(NoAnonymisationCategory, ReferenceTableAdmin)
admin.site.register(HvdCategory, ReferenceTableAdmin)
admin.site.register(PersonalDataCategory, ReferenceTableAdmin)
