"""HTML forms of the inventory (DSFR). They parse input; the rules live in `datasets.validation`
and are applied by `datasets.services`, whose French messages are put back on the fields.

User-entered labels and help texts (extra-field definitions) are escaped here, because the DSFR
field templates print help texts unescaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.html import escape
from dsfr.forms import DsfrBaseForm
from dsfr.utils import dsfr_input_class_attr

from administrators.models import Organization
from administrators.selectors import french
from core.models import (
    HvdCategory,
    LegalGround,
    Licence,
    NoAnonymisationCategory,
    PersonalDataCategory,
)
from datasets import validation as v
from datasets.catalogue_schema import split_list
from datasets.models import (
    AssetType,
    Criticality,
    DataAsset,
    ExtraFieldDefinition,
    Format,
    InternalUse,
    OpenByDefaultAssessment,
    PersonalDataProcessing,
    ReferenceDataDesignation,
    SharingMode,
    SpdReferenceDataset,
    UpdateFrequency,
)
from datasets.selectors import SORTS

EMPTY: list[tuple[str, Any]] = [("", "—")]
# Extra-field codes are slugs without "--" (services.extra_field_create): nothing else can be one.
_EXTRA_FILTER_CODE = re.compile(r"^(?!.*--)[-a-zA-Z0-9_]{1,64}$")


def list_filter_query(query: QueryDict) -> QueryDict:
    """The list's query string without `extra.<code>` filters whose code cannot exist (such a
    name would reach the ORM as a column alias, which Django refuses) and without NUL characters
    (PostgreSQL refuses them in a string): either would otherwise be a 500."""
    bad = [k for k in query if k.startswith("extra.") and not _EXTRA_FILTER_CODE.match(k[6:])]
    nul = [k for k, values in query.lists() if any("\x00" in v for v in values)]
    if not bad and not nul:
        return query
    cleaned = query.copy()
    for key in nul:
        cleaned.setlist(key, [v.replace("\x00", "") for v in query.getlist(key)])
    for key in bad:
        cleaned.pop(key, None)
    return cleaned


def requested_sort(query: QueryDict) -> str:
    """The order asked for (`?tri=`), « » (the default) for anything `SORTS` does not name."""
    sort = query.get("tri") or ""
    return sort if sort in SORTS else ""


def sort_form_context(query: QueryDict, sort: str) -> dict[str, Any]:
    """What `datasets/_sort_form.html` needs besides its address: the order chosen, the orders,
    and what it sends again with its choice (the query and the filters, not the page)."""
    return {
        "sort": sort,
        "sorts": SORTS,
        "sort_params": [
            (k, v) for k, values in query.lists() if k not in {"tri", "page"} for v in values
        ],
    }


DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def personal_data_choices(held: Any) -> list[tuple[str, str]]:
    """The active categories of the reference table, sensitive ones marked, then the values the
    entry holds that the table does not offer (kept until unticked)."""
    rows = PersonalDataCategory.objects.filter(active=True).order_by("sensitive", french("label"))
    choices = [(r.code, f"{r.label} *" if r.sensitive else r.label) for r in rows]
    offered = {code for code, _ in choices}
    choices += [
        (str(c), f"{c} (valeur antérieure)") for c in v.as_list(held) if str(c) not in offered
    ]
    return choices


def _restyle(form: forms.Form) -> None:
    for visible in form.visible_fields():
        dsfr_input_class_attr(visible)


def attach_errors(
    form: forms.Form, exc: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the form's fields (unknown keys: non-field errors)."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            name = aliases.get(key, key.replace("extra.", "extra__"))
            for message in errors:
                form.add_error(name if name in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def keep_after_conflict(form: forms.Form, version: int) -> None:
    """A save refused because someone saved first: the form keeps the user's input and now
    carries the version stored, so that sending it again — after reading the other change,
    which the page links — saves it over that change knowingly. Sending the old version again
    would only be refused again."""
    data = cast(QueryDict, form.data).copy()
    data[form.add_prefix("version")] = str(version)
    form.data = data


class AssetForm(DsfrBaseForm):
    organization = forms.ModelChoiceField(
        label="Organisation productrice", queryset=Organization.objects.none()
    )
    title = forms.CharField(label="Titre", max_length=500)
    acronym = forms.CharField(label="Acronyme", max_length=100, required=False)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 4}))
    keywords = forms.CharField(
        label="Mots-clés", required=False, help_text="Séparés par des virgules.", max_length=2000
    )
    asset_type = forms.ChoiceField(label="Type", choices=AssetType.choices)
    visibility = forms.ChoiceField(
        label="Visibilité",
        choices=DataAsset.Visibility.choices,
        help_text="Un brouillon n'est visible que des membres du ministère.",
    )
    service = forms.CharField(label="Service producteur", max_length=300, required=False)
    source_system = forms.CharField(label="Système d'information", max_length=300, required=False)
    contact_service = forms.CharField(label="Courriel du service", max_length=254, required=False)
    contact_person = forms.CharField(
        label="Courriel d'une personne", max_length=254, required=False
    )
    first_published_at = forms.DateField(
        label="Date de publication", required=False, widget=DATE_WIDGET
    )
    last_updated_at = forms.DateField(
        label="Date de dernière mise à jour", required=False, widget=DATE_WIDGET
    )
    update_frequency = forms.ChoiceField(
        label="Fréquence de mise à jour", choices=EMPTY + UpdateFrequency.choices, required=False
    )
    geo_coverage = forms.CharField(label="Couverture géographique", max_length=300, required=False)
    url = forms.CharField(
        label="Lien", max_length=1000, required=False, help_text="Adresse en http:// ou https://."
    )
    formats = forms.ModelMultipleChoiceField(
        label="Formats",
        queryset=Format.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    licence = forms.ModelChoiceField(
        label="Licence", queryset=Licence.objects.all(), required=False
    )
    field_list = forms.CharField(
        label="Liste des champs", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    collection_process = forms.CharField(
        label="Processus de collecte et de mise à jour",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    sample_url = forms.CharField(label="Extrait d'exemple (lien)", max_length=1000, required=False)
    volume = forms.CharField(label="Volumétrie", max_length=200, required=False)
    in_rip = forms.BooleanField(
        label="Inscrit au répertoire des informations publiques", required=False
    )
    contains_personal_data = forms.BooleanField(
        label="Contient des données personnelles", required=False
    )
    personal_data_categories = forms.MultipleChoiceField(
        label="Catégories de données personnelles",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Si l'entrée contient des données personnelles. Les catégories sensibles "
        "(RGPD art. 9 et 10, NIR) sont marquées d'un astérisque.",
    )
    processing = forms.ModelChoiceField(
        label="Traitement (registre RGPD)",
        queryset=PersonalDataProcessing.objects.none(),
        required=False,
    )
    sharing_mode = forms.ChoiceField(label="Mode de partage", choices=SharingMode.choices)
    internal_uses = forms.MultipleChoiceField(
        label="Usages internes",
        choices=InternalUse.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    hvd_category = forms.ModelChoiceField(
        label="Catégorie de données de forte valeur",
        queryset=HvdCategory.objects.all(),
        required=False,
    )
    datagouv_dataset_id = forms.CharField(
        label="Identifiant data.gouv.fr", max_length=100, required=False
    )
    criticality = forms.ChoiceField(
        label="Criticité", choices=EMPTY + Criticality.choices, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        organizations: Any,
        processings: Any,
        definitions: Iterable[ExtraFieldDefinition] = (),
        held_categories: Any = (),
        **kwargs: Any,
    ) -> None:
        """`held_categories`: the personal data categories the entry holds (offered even when
        the reference table no longer does)."""
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["processing"].queryset = processings  # type: ignore[attr-defined]
        categories = self.fields["personal_data_categories"]
        categories.choices = personal_data_choices(held_categories)  # type: ignore[attr-defined]
        self.definitions = [d for d in definitions if d.is_active]
        for d in self.definitions:
            self.fields[f"extra__{d.code}"] = extra_form_field(d)
        _restyle(self)

    @classmethod
    def initial_for(cls, asset: DataAsset) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(asset, name)
            for name in cls.base_fields
            if name not in ("keywords", "formats", "version") and hasattr(asset, name)
        }
        initial["keywords"] = ", ".join(asset.keywords or [])
        initial["formats"] = list(asset.formats.all())
        initial["version"] = asset.version
        for code, value in (asset.extra or {}).items():
            if isinstance(value, bool):
                value = "oui" if value else "non"
            initial[f"extra__{code}"] = value
        return initial

    def service_payload(self) -> tuple[dict[str, Any], list[Format], dict[str, Any]]:
        cd = self.cleaned_data
        data: dict[str, Any] = {}
        for name in self.base_fields:
            if name in ("formats", "version"):
                continue
            value = cd.get(name)
            if name == "keywords":
                value = split_list(value or "")
            elif name in ("internal_uses", "personal_data_categories"):
                value = list(value or [])
            elif value is None and name not in (
                "organization",
                "licence",
                "processing",
                "hvd_category",
                "first_published_at",
                "last_updated_at",
            ):
                value = ""
            data[name] = value
        extra = {d.code: cd.get(f"extra__{d.code}") for d in self.definitions}
        return data, list(cd.get("formats") or []), extra


def extra_form_field(d: ExtraFieldDefinition) -> forms.Field:
    """The form field of a ministry-specific field: required when the definition is (so the
    DSFR label carries no « (Optionnel) »), and checked by `validation.clean_extra_value`, whose
    message is shown under the field's label (so it does not repeat it)."""
    kind = ExtraFieldDefinition.Kind
    common: dict[str, Any] = {
        "label": d.label,
        "required": d.required,
        "help_text": escape(d.help_text) if d.help_text else "",
        "validators": [_extra_value_validator(d)],
    }
    if d.kind == kind.CHOICE:
        return forms.ChoiceField(choices=EMPTY + [(c, c) for c in d.choices or []], **common)
    if d.kind == kind.BOOLEAN:
        return forms.ChoiceField(choices=EMPTY + [("oui", "Oui"), ("non", "Non")], **common)
    if d.kind == kind.DATE:
        return forms.DateField(widget=DATE_WIDGET, **common)
    if d.kind == kind.NUMBER:
        return forms.CharField(max_length=40, **common)
    return forms.CharField(max_length=2000, **common)


def _extra_value_validator(d: ExtraFieldDefinition) -> Any:
    def check(value: Any) -> None:
        try:
            v.clean_extra_value(d, value)
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from None

    return check


class QualificationForm(DsfrBaseForm):
    """The qualification with a variable number of ground rows (`ground_<n>` and companions)."""

    Status = OpenByDefaultAssessment.Status
    status = forms.ChoiceField(label="Statut", choices=OpenByDefaultAssessment.Status.choices)
    obligation_basis = forms.ChoiceField(
        label="Fondement de l'obligation", choices=OpenByDefaultAssessment.Basis.choices
    )
    sectoral_reference = forms.CharField(label="Texte sectoriel", max_length=300, required=False)
    occultation_method = forms.ChoiceField(
        label="Méthode d'occultation",
        choices=EMPTY + OpenByDefaultAssessment.OccultationMethod.choices,
        required=False,
    )
    personal_data_basis = forms.ChoiceField(
        label="Fondement de la publication de données personnelles",
        choices=OpenByDefaultAssessment.PersonalDataBasis.choices,
    )
    no_anonymisation_category = forms.ModelChoiceField(
        label="Catégorie D312-1-3",
        queryset=NoAnonymisationCategory.objects.filter(active=True),
        required=False,
    )
    personal_data_reference = forms.CharField(
        label="Référence (texte ou accord des personnes)", max_length=300, required=False
    )
    planned_date = forms.DateField(
        label="Date de publication prévue",
        required=False,
        widget=DATE_WIDGET,
        help_text="Obligatoire pour « À publier » et « À publier après occultation ».",
    )
    published_url = forms.CharField(
        label="Lien de publication",
        max_length=1000,
        required=False,
        help_text="Obligatoire pour « Publié » et « Publié après occultation ».",
    )
    published_at = forms.DateField(label="Publié le", required=False, widget=DATE_WIDGET)
    decided_by = forms.CharField(label="Décidé par", max_length=200, required=False)
    decided_at = forms.DateField(label="Décidé le", required=False, widget=DATE_WIDGET)
    cada_avis_ref = forms.CharField(label="Avis CADA (numéro)", max_length=50, required=False)
    review_due = forms.DateField(label="À revoir le", required=False, widget=DATE_WIDGET)
    comment = forms.CharField(label="Commentaire (historique)", max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, rows: int = 3, show_internal: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        grounds = LegalGround.objects.filter(active=True).order_by("code")
        self.row_count = rows
        self.show_internal = show_internal
        for i in range(rows):
            self.fields[f"ground_{i}"] = forms.ModelChoiceField(
                label=f"Motif n° {i + 1}",
                queryset=grounds,
                required=False,
                to_field_name="code",
                # Optional for the form, required by the status (`validate_qualification`).
                help_text="Au moins un motif est obligatoire pour « Non communicable », « Hors "
                "obligation » et les statuts « après occultation » (le secret occulté)."
                if i == 0
                else "",
            )
            self.fields[f"sub_reference_{i}"] = forms.CharField(
                label="Précision (ex. secret statistique)", max_length=300, required=False
            )
            self.fields[f"justification_{i}"] = forms.CharField(
                label="Justification interne (au regard du contenu du document)",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Obligatoire pour chaque motif d'un statut « Non communicable ».",
            )
            self.fields[f"public_motive_{i}"] = forms.CharField(
                label="Motif public (court)", max_length=300, required=False
            )
        _restyle(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Said next to the field to fill (the service refuses it too, for the API and imports).
        if self.show_internal and data.get("status") == self.Status.NOT_COMMUNICABLE:
            for i in range(self.row_count):
                if data.get(f"ground_{i}") and not (data.get(f"justification_{i}") or "").strip():
                    self.add_error(
                        f"justification_{i}",
                        "Justifiez ce motif : un statut « Non communicable » l'exige, au regard "
                        "du contenu du document.",
                    )
        return data

    def ground_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "index": i + 1,
                "ground": self[f"ground_{i}"],
                "sub_reference": self[f"sub_reference_{i}"],
                "justification": self[f"justification_{i}"],
                "public_motive": self[f"public_motive_{i}"],
            }
            for i in range(self.row_count)
        ]

    @staticmethod
    def initial_for(assessment: OpenByDefaultAssessment) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(assessment, name)
            for name in (
                "status",
                "obligation_basis",
                "sectoral_reference",
                "occultation_method",
                "personal_data_basis",
                "no_anonymisation_category",
                "personal_data_reference",
                "planned_date",
                "published_url",
                "published_at",
                "decided_by",
                "decided_at",
                "cada_avis_ref",
                "review_due",
            )
        }
        initial["version"] = assessment.version
        for i, link in enumerate(assessment.ground_links.all()):
            initial[f"ground_{i}"] = link.ground.code
            initial[f"sub_reference_{i}"] = link.sub_reference
            initial[f"justification_{i}"] = link.justification_internal
            initial[f"public_motive_{i}"] = link.public_motive
        return initial

    def grounds_input(self) -> list[dict[str, Any]]:
        rows = []
        for i in range(self.row_count):
            ground = self.cleaned_data.get(f"ground_{i}")
            if ground is None:
                continue
            rows.append(
                {
                    "ground": ground,
                    "sub_reference": self.cleaned_data.get(f"sub_reference_{i}") or "",
                    "justification_internal": self.cleaned_data.get(f"justification_{i}") or "",
                    "public_motive": self.cleaned_data.get(f"public_motive_{i}") or "",
                }
            )
        return rows


class BulkActionForm(DsfrBaseForm):
    ACTIONS = [
        ("status", "Changer le statut d'ouverture"),
        ("organization", "Rattacher à une organisation"),
        ("publish", "Rendre visibles (publier la fiche)"),
        ("draft", "Repasser en brouillon"),
    ]
    action = forms.ChoiceField(label="Action", choices=EMPTY + ACTIONS)
    status = forms.ChoiceField(
        label="Nouveau statut",
        choices=EMPTY + OpenByDefaultAssessment.Status.choices,
        required=False,
    )
    planned_date = forms.DateField(
        label="Date de publication prévue (statuts « à publier »)",
        required=False,
        widget=DATE_WIDGET,
    )
    organization = forms.ModelChoiceField(
        label="Organisation", queryset=Organization.objects.none(), required=False
    )
    ids = forms.CharField(widget=forms.MultipleHiddenInput, required=False)

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cd = super().clean() or {}
        action = cd.get("action")
        if action == "status" and not cd.get("status"):
            self.add_error("status", "Choisissez le nouveau statut.")
        if action == "organization" and not cd.get("organization"):
            self.add_error("organization", "Choisissez l'organisation.")
        return cd


class ExtraFieldForm(DsfrBaseForm):
    code = forms.SlugField(
        label="Code",
        max_length=64,
        help_text="Identifiant stable (lettres, chiffres, tirets) : il ne change plus ensuite.",
    )
    label = forms.CharField(label="Libellé", max_length=200)
    kind = forms.ChoiceField(label="Type", choices=ExtraFieldDefinition.Kind.choices)
    choices = forms.CharField(
        label="Choix possibles (un par ligne)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    help_text = forms.CharField(label="Aide", max_length=300, required=False)
    required = forms.BooleanField(label="Obligatoire", required=False)
    order = forms.IntegerField(label="Ordre d'affichage", min_value=0, max_value=1000, initial=0)


class ExtraFieldEditForm(ExtraFieldForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for fixed in ("code", "kind"):
            self.fields[fixed].disabled = True
            self.fields[fixed].required = False


class DesignationForm(DsfrBaseForm):
    regime = forms.ChoiceField(label="Régime", choices=ReferenceDataDesignation.Regime.choices)
    spd_dataset = forms.ModelChoiceField(
        label="Base du service public de la donnée (R321-5)",
        queryset=SpdReferenceDataset.objects.all(),
        required=False,
    )
    criterion_common_reference = forms.BooleanField(
        label="Référence commune pour nommer ou identifier (L321-4 II 1°)", required=False
    )
    criterion_common_reference_text = forms.CharField(
        label="Précisions", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    criterion_frequent_reuse = forms.BooleanField(
        label="Réutilisation fréquente par des tiers (II 2°)", required=False
    )
    criterion_frequent_reuse_evidence = forms.CharField(
        label="Éléments (ex. nombre de réutilisations)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    criterion_high_quality_needed = forms.BooleanField(
        label="Haut niveau de qualité requis (II 3°)", required=False
    )
    criterion_high_quality_text = forms.CharField(
        label="Précisions", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    status = forms.ChoiceField(label="Statut", choices=ReferenceDataDesignation.Status.choices)
    decree_ref = forms.CharField(label="Référence du décret", max_length=200, required=False)
    process_info_url = forms.CharField(
        label="Information publique sur le processus de production (lien)",
        max_length=200,
        required=False,
    )
    change_notice_days = forms.IntegerField(
        label="Préavis avant changement de structure (jours)", min_value=0, initial=90
    )
    # The version read (0: the entry had no designation yet), checked on save.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    FIELDS = (
        "regime",
        "spd_dataset",
        "criterion_common_reference",
        "criterion_common_reference_text",
        "criterion_frequent_reuse",
        "criterion_frequent_reuse_evidence",
        "criterion_high_quality_needed",
        "criterion_high_quality_text",
        "status",
        "decree_ref",
        "process_info_url",
        "change_notice_days",
    )


class WizardForm(DsfrBaseForm):
    """One yes/no question of the guided qualification; earlier answers ride along hidden."""

    answer = forms.ChoiceField(
        label="Votre réponse",
        choices=[("oui", "Oui"), ("non", "Non")],
        widget=forms.RadioSelect,
    )
