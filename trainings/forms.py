"""HTML forms of trainings, events and impact indicators (DSFR, French). No business rule here:
the services validate again and their messages are shown on the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from dsfr.forms import DsfrBaseForm

from administrators.models import Ministry
from core.concurrency import ReadAtField
from core.models import User
from datasets.models import DataAsset
from guides.models import Guide
from trainings import selectors
from trainings.csv_import import parse_quarter
from trainings.models import Audience, Event, ImpactIndicator, TrainingCourse, TrainingSession

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


def _dt_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form (on the field when it names one)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = name if name in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def trainer_users() -> Any:
    return selectors.trainer_accounts()


class CourseForm(DsfrBaseForm):
    code = forms.SlugField(label="Code", max_length=64, help_text="Lettres, chiffres et tirets.")
    title = forms.CharField(label="Intitulé", max_length=300)
    objectives = forms.CharField(
        label="Objectifs", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    audiences = forms.ModelMultipleChoiceField(
        label="Publics visés",
        queryset=Audience.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    format = forms.ChoiceField(label="Format", choices=TrainingCourse.Format.choices)
    duration_hours = forms.DecimalField(
        label="Durée (heures)", min_value=0, max_digits=5, decimal_places=1
    )
    provider = forms.CharField(label="Organisme de formation", max_length=200, required=False)
    prerequisites = forms.CharField(
        label="Prérequis", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    related_guides = forms.ModelMultipleChoiceField(
        label="Guides associés",
        queryset=Guide.objects.filter(published_version__isnull=False).order_by("title"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class SessionForm(DsfrBaseForm):
    course = forms.ModelChoiceField(
        label="Formation", queryset=TrainingCourse.objects.filter(is_active=True).order_by("title")
    )
    start = forms.DateTimeField(label="Début", widget=_dt_widget(), input_formats=DATETIME_FORMATS)
    end = forms.DateTimeField(label="Fin", widget=_dt_widget(), input_formats=DATETIME_FORMATS)
    location = forms.CharField(label="Lieu", max_length=300, required=False)
    visio_url = forms.URLField(
        label="Lien de visioconférence", max_length=500, required=False, assume_scheme="https"
    )
    capacity = forms.IntegerField(label="Nombre de places", min_value=1, max_value=10000)
    host_ministry = forms.ModelChoiceField(
        label="Ministère d'accueil",
        queryset=Ministry.objects.none(),  # set per form: "in force" depends on today's date
        required=False,
    )
    trainers = forms.ModelMultipleChoiceField(
        label="Autres formateurs",
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(
        label="Inscriptions",
        choices=[
            (TrainingSession.Status.OUVERTE, "Ouvertes dès maintenant"),
            (TrainingSession.Status.PLANIFIEE, "Pas encore ouvertes"),
        ],
    )
    notes = forms.CharField(
        label="Informations pratiques", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trainers"].queryset = trainer_users()  # type: ignore[attr-defined]
        self.fields["host_ministry"].queryset = (  # type: ignore[attr-defined]
            Ministry.objects.current().in_display_order()
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "La fin de la session doit être postérieure à son début.")
        if not data.get("location") and not data.get("visio_url"):
            self.add_error("location", "Indiquez un lieu ou un lien de visioconférence.")
        return data


class SessionEditForm(SessionForm):
    status = forms.ChoiceField(
        label="Statut",
        choices=[
            (TrainingSession.Status.PLANIFIEE, "Planifiée (inscriptions non ouvertes)"),
            (TrainingSession.Status.OUVERTE, "Inscriptions ouvertes"),
        ],
    )
    trainers = forms.ModelMultipleChoiceField(
        label="Formateurs",
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    # When the trainer read the session: a save made by someone else since is not overwritten
    # (`session_update`, `core.concurrency`).
    loaded_at = ReadAtField()


class RegistrationForm(DsfrBaseForm):
    ministry = forms.ModelChoiceField(
        label="Votre ministère",
        queryset=Ministry.objects.none(),
        empty_label="Choisissez…",
        help_text=(
            "Votre compte n'est rattaché à aucun ministère, ou à plusieurs : indiquez celui pour "
            "lequel vous suivez la formation (il sert à compter les agents formés par ministère)."
        ),
    )

    def __init__(self, *args: Any, ministries: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ministry"].queryset = ministries  # type: ignore[attr-defined]


class SatisfactionForm(DsfrBaseForm):
    satisfaction = forms.TypedChoiceField(
        label="Votre satisfaction globale",
        coerce=int,
        choices=[
            (1, "1 — Pas du tout satisfait"),
            (2, "2 — Peu satisfait"),
            (3, "3 — Moyennement satisfait"),
            (4, "4 — Satisfait"),
            (5, "5 — Très satisfait"),
        ],
        widget=forms.RadioSelect,
    )
    feedback = forms.CharField(
        label="Commentaire",
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class EventForm(DsfrBaseForm):
    event_type = forms.ChoiceField(label="Type", choices=Event.EventType.choices)
    title = forms.CharField(label="Titre", max_length=300)
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    start = forms.DateField(label="Début", widget=_date_widget())
    end = forms.DateField(label="Fin", widget=_date_widget(), required=False)
    organizer_name = forms.CharField(label="Organisateur", max_length=300, required=False)
    international_body = forms.CharField(
        label="Instance internationale (groupes de travail internationaux)",
        max_length=200,
        required=False,
    )
    ministries = forms.ModelMultipleChoiceField(
        label="Ministères impliqués",
        queryset=Ministry.objects.in_display_order(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    participants_count = forms.IntegerField(label="Participants", min_value=0, required=False)
    reuser_orgs_count = forms.IntegerField(
        label="Organisations de réutilisateurs", min_value=0, required=False
    )
    contributions_count = forms.IntegerField(label="Contributions", min_value=0, required=False)
    reuses_created = forms.IntegerField(label="Réutilisations créées", min_value=0, initial=0)
    reuse_urls = forms.CharField(
        label="Liens des réutilisations (un par ligne)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    synthesis_url = forms.URLField(
        label="Synthèse publiée", max_length=500, required=False, assume_scheme="https"
    )
    outputs = forms.CharField(
        label="Résultats", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    datasets = forms.ModelMultipleChoiceField(
        label="Entrées d'inventaire mobilisées", queryset=DataAsset.objects.none(), required=False
    )
    datasets_opened_as_result = forms.ModelMultipleChoiceField(
        label="Entrées d'inventaire ouvertes à la suite",
        queryset=DataAsset.objects.none(),
        required=False,
    )
    source_url = forms.URLField(
        label="Source", max_length=500, required=False, assume_scheme="https"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assets = DataAsset.objects.only("id", "title").order_by("title")
        self.fields["datasets"].queryset = assets  # type: ignore[attr-defined]
        self.fields["datasets_opened_as_result"].queryset = assets  # type: ignore[attr-defined]

    def clean_reuse_urls(self) -> list[str]:
        lines = [line.strip() for line in (self.cleaned_data.get("reuse_urls") or "").splitlines()]
        urls = [line for line in lines if line]
        bad = [u for u in urls if not u.startswith(("http://", "https://"))]
        if bad:
            raise ValidationError("Chaque lien doit commencer par http:// ou https://.")
        return urls


class IndicatorForm(DsfrBaseForm):
    code = forms.SlugField(label="Code", max_length=64)
    name = forms.CharField(label="Nom", max_length=300)
    definition = forms.CharField(
        label="Définition", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    unit = forms.CharField(label="Unité", max_length=50, required=False)
    formula = forms.CharField(
        label="Formule", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    level = forms.ChoiceField(label="Niveau", choices=ImpactIndicator.Level.choices)
    source = forms.ChoiceField(label="Source", choices=ImpactIndicator.Source.choices)
    frequency = forms.ChoiceField(label="Fréquence", choices=ImpactIndicator.Frequency.choices)
    direction = forms.ChoiceField(label="Sens souhaité", choices=ImpactIndicator.Direction.choices)
    target_value = forms.DecimalField(
        label="Cible", required=False, max_digits=20, decimal_places=4
    )


class MeasurementForm(DsfrBaseForm):
    indicator = forms.ModelChoiceField(
        label="Indicateur", queryset=ImpactIndicator.objects.order_by("code")
    )
    quarter = forms.CharField(label="Trimestre", max_length=8, help_text="Par exemple 2024-T1.")
    ministry = forms.ModelChoiceField(
        label="Ministère (indicateurs par ministère)",
        queryset=Ministry.objects.in_display_order(),
        required=False,
    )
    value = forms.DecimalField(label="Valeur", max_digits=20, decimal_places=4)
    is_estimate = forms.BooleanField(label="Il s'agit d'une estimation", required=False)
    method_note = forms.CharField(
        label="Méthode", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    evidence_url = forms.URLField(
        label="Justificatif", max_length=500, required=False, assume_scheme="https"
    )

    def clean_quarter(self) -> tuple[Any, Any]:
        try:
            return parse_quarter(self.cleaned_data.get("quarter", ""))
        except (ValueError, ValidationError):
            raise ValidationError("Trimestre invalide : écrivez par exemple 2024-T1.") from None


class MeasurementImportForm(DsfrBaseForm):
    file = forms.FileField(
        label="Fichier CSV ou XLSX",
        help_text=(
            "Colonnes : indicateur ; trimestre ; valeur ; ministere (si besoin) ; estimation "
            "(oui/non) ; methode ; justificatif."
        ),
    )
