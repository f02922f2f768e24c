"""HTML forms of supervision: they parse and present; the services validate and write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from dsfr.forms import DsfrBaseForm

from administrators.models import Ministry
from core.concurrency import ReadAtField, read_at
from supervision.models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Decision,
    Meeting,
    Minutes,
    Roadmap,
    RoadmapAction,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _formfield(field: Any, **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class ServiceModelForm(DsfrBaseForm, forms.ModelForm):
    """A model form that never validates or saves its instance itself (the service does)."""

    formfield_callback = _formfield

    def _post_clean(self) -> None:
        return None


class ReadAtForm(ServiceModelForm):
    """A model form that carries when its instance was read (`core.concurrency`): the service
    does not save it over a change someone else made since."""

    loaded_at = ReadAtField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["loaded_at"] = read_at(self.instance)


class RoadmapForm(ServiceModelForm):
    class Meta:
        model = Roadmap
        fields = [
            "title",
            "version",
            "period_start",
            "period_end",
            "status",
            "published_on",
            "url",
            "datagouv_resource_url",
            "supersedes",
            "governance_description",
        ]
        widgets = {"period_start": DATE, "period_end": DATE, "published_on": DATE}

    def __init__(self, *args: Any, ministry: Ministry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = Roadmap.objects.filter(ministry=ministry)
        if self.instance.pk:
            qs = qs.exclude(pk=self.instance.pk)
        cast(forms.ModelChoiceField, self.fields["supersedes"]).queryset = qs


class RoadmapActionForm(ReadAtForm):
    comment = forms.CharField(
        label="Commentaire de mise à jour", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = RoadmapAction
        fields = [
            "ref",
            "title",
            "description",
            "axis",
            "action_type",
            "is_flagship",
            "origin",
            "owner_org",
            "owner_label",
            "start_date",
            "due_date",
            "due_quarter",
            "status",
            "progress_pct",
            "evidence_url",
            "abandon_reason",
        ]
        widgets = {
            "start_date": DATE,
            "due_date": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
            "abandon_reason": forms.Textarea(attrs={"rows": 2}),
        }
        # Here, not in __init__: django-dsfr prepares the fields' markup as the form is built.
        help_texts = {
            "due_quarter": "Forme 2026-T3 ; l'échéance est alors le dernier jour du trimestre."
        }

    def __init__(self, *args: Any, ministry: Ministry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["owner_org"]
        ).queryset = ministry.organizations.order_by("name")


class MeetingForm(ReadAtForm):
    invited = forms.ModelMultipleChoiceField(
        label="Ministères invités",
        queryset=Ministry.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Meeting
        fields = [
            "meeting_type",
            "title",
            "date",
            "start_time",
            "end_time",
            "location",
            "visio_url",
            "ministry",
            "theme",
            "status",
        ]
        widgets = {"date": DATE, "start_time": TIME, "end_time": TIME}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = Ministry.objects.current().in_display_order()
        cast(forms.ModelChoiceField, self.fields["ministry"]).queryset = current
        cast(forms.ModelChoiceField, self.fields["invited"]).queryset = current
        if self.instance.pk:
            self.initial.setdefault("invited", list(self.instance.invited_ministries.all()))
        else:
            # On the bound field: DsfrBaseForm.__init__ has already built it from the field.
            self["invited"].help_text = (
                "Pour une plénière trimestrielle, laissez vide : tous les ministères du réseau "
                "seront invités."
            )


class AgendaItemForm(ServiceModelForm):
    class Meta:
        model = AgendaItem
        fields = ["title", "presenter", "duration_min", "document_url"]


class AttendanceForm(DsfrBaseForm):
    ministry = forms.ModelChoiceField(label="Ministère", queryset=Ministry.objects.none())
    status = forms.ChoiceField(label="Présence", choices=Attendance.Status.choices)
    represented_by = forms.CharField(label="Représenté par", required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every current ministry is offered: the service refuses one that was not invited.
        cast(
            forms.ModelChoiceField, self.fields["ministry"]
        ).queryset = Ministry.objects.current().in_display_order()


class MinutesForm(DsfrBaseForm):
    body = forms.CharField(
        label="Compte rendu (Markdown)", widget=forms.Textarea(attrs={"rows": 10})
    )
    summary = forms.CharField(
        label="Résumé public",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    status = forms.ChoiceField(label="Statut", choices=Minutes.Status.choices)
    public = forms.BooleanField(label="Publier sur la page de transparence", required=False)
    # The version the editor read (0: none yet): minutes saved by someone else since are not
    # buried under this one (`minutes_save`).
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class DecisionForm(ServiceModelForm):
    class Meta:
        model = Decision
        fields = ["text", "scope"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}


class ActionItemForm(ServiceModelForm):
    class Meta:
        model = ActionItem
        fields = ["description", "owner_label", "owner_ministry", "due_date", "status"]
        widgets = {"due_date": DATE, "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["owner_ministry"]
        ).queryset = Ministry.objects.current().in_display_order()


class ImportUploadForm(DsfrBaseForm):
    file = forms.FileField(
        label="Fichier CSV ou XLSX des actions",
        help_text="Colonnes : ref, titre, axe, type, pilote, echeance, statut, "
        "avancement, preuve, motif_abandon, description.",
    )
