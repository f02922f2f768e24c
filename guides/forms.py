"""HTML forms of the guides (DSFR, French). The services validate again (Markdown safety,
version numbers, workflow) and their messages are shown on the fields."""

from __future__ import annotations

from django import forms
from dsfr.forms import DsfrBaseForm

from core.concurrency import ReadAtField
from core.markdown import validate_safe_markdown
from core.models import LegalReference
from guides.models import Guide, validate_semver

BODY_HELP = (
    "Markdown : titres avec #, ## et ###, listes, liens [texte](https://…), tableaux. "
    "Les balises script et iframe et les liens javascript: sont refusés."
)


def _references() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label="Références juridiques citées",
        queryset=LegalReference.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Si l'une d'elles change après la publication, le guide est signalé « à revoir ».",
    )


class VersionForm(DsfrBaseForm):
    version = forms.CharField(
        label="Numéro de version",
        max_length=32,
        validators=[validate_semver],
        help_text="MAJEUR.MINEUR.CORRECTIF, par exemple 1.1.0.",
    )
    body = forms.CharField(
        label="Contenu",
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=BODY_HELP,
        validators=[validate_safe_markdown],
    )
    changelog = forms.CharField(
        label="Nouveautés de la version",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Obligatoire pour publier.",
    )
    legal_references = _references()
    review_due = forms.DateField(
        label="Prochaine relecture prévue le",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class VersionEditForm(VersionForm):
    # When the editor read the version: a save made by someone else since is not overwritten
    # (`guide_version_update`, `core.concurrency`).
    loaded_at = ReadAtField(required=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        del self.fields["version"]


class GuideForm(VersionForm):
    title = forms.CharField(label="Titre", max_length=300)
    slug = forms.SlugField(
        label="Adresse",
        max_length=120,
        required=False,
        help_text="Déduite du titre si vide, par exemple « ouverture-par-defaut ».",
    )
    theme = forms.ChoiceField(label="Thème", choices=Guide.Theme.choices)
    summary = forms.CharField(
        label="Résumé", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    field_order = [
        "title",
        "slug",
        "theme",
        "summary",
        "version",
        "body",
        "changelog",
        "legal_references",
        "review_due",
    ]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["version"].initial = "0.1.0"
