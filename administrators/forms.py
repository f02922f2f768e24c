"""HTML forms of the network. They parse and present; the services validate and write.

The model forms below never touch their instance (`_post_clean` is a no-op): the view hands
`cleaned_data` to a service, which applies, validates, saves and audits in one transaction, and
a `ValidationError` raised by the service comes back on the form with `add_service_errors`.
The ministry is never a form field: it comes from the URL.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from dsfr.forms import DsfrBaseForm

from administrators.models import DataAdministrator, Membership, Ministry, Organization
from administrators.permissions import MINISTRY_ADMIN_MANDATE_ROLES, MINISTRY_CONTACT_FIELDS
from administrators.services import MINISTRY_FIELDS
from core.concurrency import ReadAtField, read_at
from core.models import User, accounts_for_email, normalize_email

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the matching fields (or to the whole form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _formfield(field: Any, **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class ServiceMeta:
    formfield_callback = staticmethod(_formfield)


class LoadedAtMixin(forms.Form):
    """When the editor read the record, sent back with the form (`core.concurrency`): the
    service refuses a save over a change someone else made since (no update lost)."""

    loaded_at = ReadAtField()


class ServiceModelForm(DsfrBaseForm, forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "loaded_at" in self.fields and self.instance.pk:
            self.fields["loaded_at"].initial = read_at(self.instance)

    def _post_clean(self) -> None:  # the service validates and writes
        pass


class MinistryForm(ServiceModelForm, LoadedAtMixin):
    class Meta(ServiceMeta):
        model = Ministry
        fields = list(MINISTRY_FIELDS)
        widgets = {"valid_from": DATE, "valid_to": DATE}


class MinistryContactForm(ServiceModelForm, LoadedAtMixin):
    """What a ministry administrator may change on their own ministry."""

    class Meta(ServiceMeta):
        model = Ministry
        fields = sorted(MINISTRY_CONTACT_FIELDS)


class OrganizationForm(ServiceModelForm, LoadedAtMixin):
    class Meta(ServiceMeta):
        model = Organization
        fields = [
            "name",
            "parent",
            "kind",
            "siret",
            "siren",
            "id_alt",
            "legal_person_siren",
            "headcount_etp",
            "headcount_as_of",
            "datagouv_org_id",
        ]
        widgets = {"headcount_as_of": DATE}

    def __init__(self, *args: Any, ministry: Ministry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        parents = Organization.objects.filter(ministry=ministry).only("pk", "name", "path")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        fields["parent"].queryset = parents.order_by("path", "name")
        # Checked by the service (one message, in French), spaces taken out first: a SIRET
        # written in groups (« 130 025 265 00013 ») is longer than its 14 digits.
        for name in ("siret", "siren", "legal_person_siren"):
            fields[name].validators = []
            fields[name].max_length = 32
            fields[name].widget.attrs["maxlength"] = "32"


class MandateForm(ServiceModelForm, LoadedAtMixin):
    class Meta(ServiceMeta):
        model = DataAdministrator
        fields = [
            "role",
            "title_label",
            "hierarchical_position",
            "appointment_date",
            "end_date",
            "appointment_act_type",
            "appointment_act_ref",
            "appointment_act_url",
            "mission_letter_url",
            "perimeter",
            "perimeter_organizations",
            "region",
            "reports_to",
            "time_share_pct",
            "team_size_etp",
        ]
        widgets = {"appointment_date": DATE, "end_date": DATE}

    def __init__(self, *args: Any, ministry: Ministry, network_staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["perimeter_organizations"].queryset = Organization.objects.filter(
            ministry=ministry
        ).order_by("path", "name")
        self.fields["perimeter_organizations"].required = False
        bosses = DataAdministrator.objects.filter(ministry=ministry).select_related("person")
        if self.instance.pk:
            bosses = bosses.exclude(pk=self.instance.pk)
        fields["reports_to"].queryset = bosses
        self.fields["reports_to"].label = "Rend compte à"
        if not network_staff:
            fields["role"].choices = [
                (v, label)
                for v, label in DataAdministrator.Role.choices
                if v in MINISTRY_ADMIN_MANDATE_ROLES
            ]


class PersonFieldsMixin(forms.Form):
    email = forms.EmailField(label="Courriel de la personne")
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    job_title = forms.CharField(label="Fonction", max_length=300, required=False)
    phone = forms.CharField(label="Téléphone", max_length=40, required=False)
    consent_directory = forms.BooleanField(
        label="La personne accepte de figurer dans l'annuaire public",
        required=False,
    )

    PERSON_FIELDS = ("email", "first_name", "last_name", "job_title", "phone", "consent_directory")

    def person_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.PERSON_FIELDS}


class MandateCreateForm(MandateForm, PersonFieldsMixin):
    """A new mandate; the person is found by e-mail, or created with these details."""


class PersonForm(DsfrBaseForm, LoadedAtMixin):
    first_name = forms.CharField(label="Prénom", max_length=150)
    last_name = forms.CharField(label="Nom", max_length=150)
    email = forms.EmailField(label="Courriel")
    job_title = forms.CharField(label="Fonction", max_length=300, required=False)
    phone = forms.CharField(label="Téléphone", max_length=40, required=False)
    consent_directory = forms.BooleanField(
        label="Accepte de figurer dans l'annuaire public (nom, fonction, rôle, ministère)",
        required=False,
    )


class MandateEndForm(DsfrBaseForm):
    end_date = forms.DateField(label="Date de fin du mandat", widget=DATE)


class MembershipGrantForm(DsfrBaseForm):
    email = forms.EmailField(label="Courriel du compte")
    role = forms.ChoiceField(label="Rôle", choices=Membership.Role.choices)
    admin_kind = forms.ChoiceField(
        label="Qualité (administrateurs ministériels)",
        choices=[("", "—"), *Membership.AdminKind.choices],
        required=False,
    )
    organizations = forms.ModelMultipleChoiceField(
        label="Organisations (correspondants)", queryset=Organization.objects.none(), required=False
    )
    valid_until = forms.DateField(label="Valide jusqu'au", required=False, widget=DATE)

    def __init__(self, *args: Any, ministry: Ministry | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if ministry is None:
            self.fields["role"].choices = [
                (v, label)
                for v, label in Membership.Role.choices
                if v not in {"MINISTRY_ADMIN", "CORRESPONDENT"}
            ]
            del self.fields["admin_kind"]
            del self.fields["organizations"]
        else:
            self.fields["role"].choices = [
                (v, label)
                for v, label in Membership.Role.choices
                if v in {"MINISTRY_ADMIN", "CORRESPONDENT", "VIEWER"}
            ]
            self.fields["organizations"].queryset = Organization.objects.filter(
                ministry=ministry
            ).order_by("path", "name")

    def clean_email(self) -> User:
        email = normalize_email(self.cleaned_data["email"])
        accounts = accounts_for_email(User.objects.with_email(email), email)
        if not accounts:
            raise ValidationError(
                "Aucun compte n'existe avec ce courriel : créez d'abord le compte."
            )
        if len(accounts) > 1:  # older rows, differing only in case: never a guess
            raise ValidationError(
                "Plusieurs comptes ont ce courriel à la casse près : faites-les fusionner par "
                "l'équipe du portail avant d'attribuer ce rôle."
            )
        return accounts[0]
