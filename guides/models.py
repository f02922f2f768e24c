"""Practical guides of the network (DOMAIN §4.13): a guide and its versions.

A `Guide` is the stable page (slug, title, theme); each `GuideVersion` carries a Markdown body, a
changelog and the legal references it relies on. Versions move BROUILLON → EN_RELECTURE →
PUBLIEE → ARCHIVEE (when the next version is published); a draft or review overtaken by a newer
published version can only be archived, by hand, and stays unseen by the public (it was never in
force). At most one version of a guide is published at a time and the guide points at it
(`published_version`) so that lists cost one join. A published version whose legal reference
changed after its publication is "à revoir" (computed, see `selectors`).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.markdown import validate_safe_markdown
from core.models import LegalReference, Licence, TimeStampedModel

SEMVER_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def parse_semver(value: str) -> tuple[int, int, int]:
    match = SEMVER_RE.match(value or "")
    if not match:
        raise ValidationError(
            _("Le numéro de version doit suivre la forme MAJEUR.MINEUR.CORRECTIF, par ex. 1.2.0."),
            code="semver",
        )
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def validate_semver(value: str) -> None:
    parse_semver(value)


class Guide(TimeStampedModel):
    class Theme(models.TextChoices):
        OUVERTURE_PAR_DEFAUT = "OUVERTURE_PAR_DEFAUT", _("Ouverture par défaut")
        ANONYMISATION = "ANONYMISATION", _("Anonymisation")
        ALGORITHMES = "ALGORITHMES", _("Algorithmes publics")
        LICENCES = "LICENCES", _("Licences et réutilisation")
        API = "API", _("API")
        QUALITE = "QUALITE", _("Qualité des données")
        RGPD = "RGPD", _("Données personnelles (RGPD)")
        INVENTAIRE = "INVENTAIRE", _("Inventaire des données")

    slug = models.SlugField(_("identifiant d'adresse"), max_length=120, unique=True)
    title = models.CharField(_("titre"), max_length=300)
    summary = models.TextField(_("résumé"), blank=True)
    theme = models.CharField(_("thème"), max_length=32, choices=Theme.choices)
    owner = models.ForeignKey(
        "administrators.Person",
        verbose_name=_("responsable (équipe AGD)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guides",
    )
    licence = models.ForeignKey(
        Licence,
        verbose_name=_("licence"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_version = models.OneToOneField(
        "GuideVersion",
        verbose_name=_("version publiée"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("guide")
        verbose_name_plural = _("guides")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("guides:detail", kwargs={"slug": self.slug})


class GuideVersion(TimeStampedModel):
    class Status(models.TextChoices):
        BROUILLON = "BROUILLON", _("Brouillon")
        EN_RELECTURE = "EN_RELECTURE", _("En relecture")
        PUBLIEE = "PUBLIEE", _("Publiée")
        ARCHIVEE = "ARCHIVEE", _("Archivée")

    # Allowed moves of the workflow. A published version is the one in force (at most one per
    # guide): it is archived when the next one is published, never by hand, which would take
    # the guide off line. A draft or review overtaken by a newer published version can only be
    # archived (`allowed_moves`).
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.BROUILLON: frozenset({Status.EN_RELECTURE}),
        Status.EN_RELECTURE: frozenset({Status.BROUILLON, Status.PUBLIEE}),
        Status.PUBLIEE: frozenset(),
        Status.ARCHIVEE: frozenset(),
    }

    guide = models.ForeignKey(
        Guide, verbose_name=_("guide"), on_delete=models.CASCADE, related_name="versions"
    )
    version = models.CharField(_("version"), max_length=32, validators=[validate_semver])
    version_key = models.PositiveBigIntegerField(editable=False, default=0, db_index=True)
    status = models.CharField(
        _("statut"), max_length=16, choices=Status.choices, default=Status.BROUILLON
    )
    changelog = models.TextField(_("nouveautés de la version"), blank=True)
    body = models.TextField(_("contenu (Markdown)"), validators=[validate_safe_markdown])
    legal_references = models.ManyToManyField(
        LegalReference,
        verbose_name=_("références juridiques"),
        blank=True,
        related_name="guide_versions",
    )
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approuvée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_due = models.DateField(_("relecture prévue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("version de guide")
        verbose_name_plural = _("versions de guide")
        ordering = ["guide_id", "-version_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["guide", "version"],
                name="guideversion_unique_version",
                violation_error_message=_("Ce numéro de version existe déjà pour ce guide."),
            ),
            models.UniqueConstraint(
                fields=["guide"],
                condition=Q(status="PUBLIEE"),
                name="guideversion_one_published",
                violation_error_message=_("Ce guide a déjà une version publiée."),
            ),
            models.CheckConstraint(
                condition=~Q(status="PUBLIEE") | Q(published_at__isnull=False),
                name="guideversion_published_has_date",
                violation_error_message=_(
                    "Une version publiée doit avoir une date de publication."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guide} — v{self.version}"

    @staticmethod
    def key_for(version: str) -> int:
        major, minor, patch = parse_semver(version)
        return major * 1_000_000_000 + minor * 1_000_000 + patch

    def save(self, *args: object, **kwargs: object) -> None:
        if SEMVER_RE.match(self.version or ""):
            self.version_key = self.key_for(self.version)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_editable(self) -> bool:
        return self.status in {self.Status.BROUILLON, self.Status.EN_RELECTURE}

    def is_superseded_by(self, in_force: GuideVersion | None) -> bool:
        """A draft or review older than `in_force`, its guide's published version: it can never
        be published (published versions only go up), so it may only be archived."""
        return self.is_editable and in_force is not None and in_force.version_key > self.version_key

    def allowed_moves(self, in_force: GuideVersion | None) -> frozenset[str]:
        """The statuses this version may be moved to, `in_force` being its guide's published
        version (the guide's `published_version`)."""
        if self.is_superseded_by(in_force):
            return frozenset({self.Status.ARCHIVEE})
        return self.TRANSITIONS[self.status]
