"""Trainings (DOMAIN §4.14), network events (§4.15) and impact indicators (§4.16).

- `TrainingCourse`: the catalogue entry; `TrainingSession`: one dated occurrence with its
  trainers (user accounts, so that "mes sessions" and the edit rights follow the sign-in);
  `Registration`: an official's seat or place on the waitlist, with the ministry denormalised at
  registration time (for indicator N16), attendance and satisfaction.
- `Event`: hackathons, consultations, study days, international working groups, sprints…
- `ImpactIndicator` and `Measurement`: indicator definitions and their values per quarter.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class Audience(models.Model):
    """Audiences of the courses (fixed list seeded by migration, editable in the admin)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    label = models.CharField(_("libellé"), max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("public visé")
        verbose_name_plural = _("publics visés")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label


class TrainingCourse(TimeStampedModel):
    class Format(models.TextChoices):
        PRESENTIEL = "PRESENTIEL", _("Présentiel")
        DISTANCIEL = "DISTANCIEL", _("Distanciel")
        HYBRIDE = "HYBRIDE", _("Hybride")
        E_LEARNING = "E_LEARNING", _("E-learning")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("intitulé"), max_length=300)
    objectives = models.TextField(_("objectifs"), blank=True)
    audiences = models.ManyToManyField(
        Audience, verbose_name=_("publics visés"), blank=True, related_name="courses"
    )
    format = models.CharField(_("format"), max_length=16, choices=Format.choices)
    duration_hours = models.DecimalField(
        _("durée (heures)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0)],
    )
    provider = models.CharField(_("organisme de formation"), max_length=200, blank=True)
    prerequisites = models.TextField(_("prérequis"), blank=True)
    related_guides = models.ManyToManyField(
        "guides.Guide", verbose_name=_("guides associés"), blank=True, related_name="courses"
    )
    is_active = models.BooleanField(_("au catalogue"), default=True)

    class Meta:
        verbose_name = _("formation")
        verbose_name_plural = _("formations")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class TrainingSession(TimeStampedModel):
    class Status(models.TextChoices):
        PLANIFIEE = "PLANIFIEE", _("Planifiée (inscriptions non ouvertes)")
        OUVERTE = "OUVERTE", _("Inscriptions ouvertes")
        COMPLETE = "COMPLETE", _("Complète (liste d'attente)")
        TENUE = "TENUE", _("Tenue")
        ANNULEE = "ANNULEE", _("Annulée")

    course = models.ForeignKey(
        TrainingCourse,
        verbose_name=_("formation"),
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    start = models.DateTimeField(_("début"))
    end = models.DateTimeField(_("fin"))
    location = models.CharField(_("lieu"), max_length=300, blank=True)
    visio_url = models.URLField(_("lien de visioconférence"), max_length=500, blank=True)
    capacity = models.PositiveIntegerField(
        _("nombre de places"), validators=[MinValueValidator(1), MaxValueValidator(10000)]
    )
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("formateurs"),
        blank=True,
        related_name="training_sessions",
    )
    host_ministry = models.ForeignKey(
        "administrators.Ministry",
        verbose_name=_("ministère d'accueil"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_training_sessions",
    )
    status = models.CharField(
        _("statut"), max_length=16, choices=Status.choices, default=Status.OUVERTE
    )
    notes = models.TextField(_("informations pratiques"), blank=True)

    class Meta:
        verbose_name = _("session de formation")
        verbose_name_plural = _("sessions de formation")
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="trainingsession_end_after_start",
                violation_error_message=_(
                    "La fin de la session doit être postérieure à son début."
                ),
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1),
                name="trainingsession_capacity_positive",
                violation_error_message=_("La session doit offrir au moins une place."),
            ),
        ]
        indexes = [models.Index(fields=["status", "start"])]

    def __str__(self) -> str:
        return f"{self.course} — {self.start:%d/%m/%Y}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = str(_("La fin de la session doit être postérieure à son début."))
        if not self.location and not self.visio_url:
            errors["location"] = str(_("Indiquez un lieu ou un lien de visioconférence."))
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("trainings:session-detail", kwargs={"pk": self.pk})


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def active(self) -> RegistrationQuerySet:
        return self.exclude(status=Registration.Status.ANNULE)


class Registration(TimeStampedModel):
    class Status(models.TextChoices):
        INSCRIT = "INSCRIT", _("Inscrit")
        LISTE_ATTENTE = "LISTE_ATTENTE", _("Liste d'attente")
        ANNULE = "ANNULE", _("Annulé")

    class Completion(models.TextChoices):
        NON_COMMENCE = "NON_COMMENCE", _("Non commencé")
        PARTIEL = "PARTIEL", _("Partiel")
        COMPLET = "COMPLET", _("Complet")

    session = models.ForeignKey(
        TrainingSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="registrations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="training_registrations",
    )
    person = models.ForeignKey(
        "administrators.Person",
        verbose_name=_("personne"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_registrations",
    )
    ministry = models.ForeignKey(
        "administrators.Ministry",
        verbose_name=_("ministère de l'agent"),
        on_delete=models.PROTECT,
        related_name="training_registrations",
    )
    status = models.CharField(_("statut"), max_length=16, choices=Status.choices)
    waitlist_position = models.PositiveIntegerField(
        _("rang en liste d'attente"), null=True, blank=True
    )
    registered_at = models.DateTimeField(_("inscrit le"))
    promoted_at = models.DateTimeField(_("passé de la liste d'attente le"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("rappel envoyé le"), null=True, blank=True)
    promotion_notified_at = models.DateTimeField(
        _("avis de place libérée envoyé le"), null=True, blank=True
    )
    cancellation_notified_at = models.DateTimeField(
        _("avis d'annulation envoyé le"), null=True, blank=True
    )
    rescheduled_notice_start = models.DateTimeField(
        _("date de session annoncée par l'avis de changement"), null=True, blank=True
    )
    survey_invited_at = models.DateTimeField(
        _("invitation au questionnaire envoyée le"), null=True, blank=True
    )
    attended = models.BooleanField(_("présent"), null=True, blank=True)
    completion = models.CharField(
        _("achèvement"), max_length=16, choices=Completion.choices, default=Completion.NON_COMMENCE
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1 à 5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    feedback = models.TextField(_("commentaire"), blank=True)
    feedback_at = models.DateTimeField(_("avis donné le"), null=True, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["session_id", "registered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"],
                condition=~Q(status="ANNULE"),
                name="registration_one_active_per_user",
                violation_error_message=_("Vous êtes déjà inscrit à cette session."),
            ),
            models.UniqueConstraint(
                fields=["session", "waitlist_position"],
                condition=Q(status="LISTE_ATTENTE"),
                name="registration_unique_waitlist_position",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="registration_satisfaction_1_5",
                violation_error_message=_("La satisfaction se note de 1 à 5."),
            ),
            models.CheckConstraint(
                condition=~Q(status="LISTE_ATTENTE") | Q(waitlist_position__isnull=False),
                name="registration_waitlist_has_position",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status"]),
            models.Index(fields=["ministry", "attended"]),
            models.Index(fields=["status", "reminded_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.session}"


# --- Events (§4.15) ---------------------------------------------------------------------------


class Event(TimeStampedModel):
    class EventType(models.TextChoices):
        HACKATHON = "HACKATHON", _("Hackathon")
        CONSULTATION_PUBLIQUE = "CONSULTATION_PUBLIQUE", _("Consultation publique")
        JOURNEE_ETUDE_IMPACT = "JOURNEE_ETUDE_IMPACT", _("Journée d'étude sur l'impact")
        GT_INTERNATIONAL = "GT_INTERNATIONAL", _("Groupe de travail international")
        SPRINT_OPEN_DATA = "SPRINT_OPEN_DATA", _("Sprint open data")
        ATELIER_REUTILISATEURS = "ATELIER_REUTILISATEURS", _("Atelier avec les réutilisateurs")
        WEBINAIRE = "WEBINAIRE", _("Webinaire")
        DATACAMP = "DATACAMP", _("Datacamp")

    REUSER_TYPES = frozenset(
        {
            EventType.HACKATHON,
            EventType.CONSULTATION_PUBLIQUE,
            EventType.ATELIER_REUTILISATEURS,
            EventType.DATACAMP,
        }
    )

    event_type = models.CharField(_("type"), max_length=32, choices=EventType.choices)
    title = models.CharField(_("titre"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    start = models.DateField(_("début"))
    end = models.DateField(_("fin"), null=True, blank=True)
    organizer_org = models.ForeignKey(
        "administrators.Organization",
        verbose_name=_("organisation organisatrice"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    organizer_name = models.CharField(_("organisateur"), max_length=300, blank=True)
    ministries = models.ManyToManyField(
        "administrators.Ministry", verbose_name=_("ministères"), blank=True, related_name="events"
    )
    datasets = models.ManyToManyField(
        "datasets.DataAsset",
        verbose_name=_("données mobilisées"),
        blank=True,
        related_name="events",
    )
    datasets_opened_as_result = models.ManyToManyField(
        "datasets.DataAsset",
        verbose_name=_("données ouvertes à la suite"),
        blank=True,
        related_name="opened_by_events",
    )
    participants_count = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    reuser_orgs_count = models.PositiveIntegerField(
        _("organisations de réutilisateurs"), null=True, blank=True
    )
    contributions_count = models.PositiveIntegerField(_("contributions"), null=True, blank=True)
    synthesis_url = models.URLField(_("synthèse publiée"), max_length=500, blank=True)
    outputs = models.TextField(_("résultats"), blank=True)
    reuses_created = models.PositiveIntegerField(_("réutilisations créées"), default=0)
    reuse_urls = models.JSONField(_("liens des réutilisations"), default=list, blank=True)
    international_body = models.CharField(_("instance internationale"), max_length=200, blank=True)
    source_url = models.URLField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("événement")
        verbose_name_plural = _("événements")
        ordering = ["-start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="event_end_after_start",
                violation_error_message=_("La fin de l'événement précède son début."),
            )
        ]
        indexes = [models.Index(fields=["event_type", "start"])]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start and self.end and self.end < self.start:
            errors["end"] = str(_("La fin de l'événement précède son début."))
        if self.event_type == self.EventType.GT_INTERNATIONAL and not self.international_body:
            errors["international_body"] = str(
                _("Indiquez l'instance internationale (OCDE, OGP, Union européenne…).")
            )
        if not isinstance(self.reuse_urls, list) or not all(
            isinstance(u, str) and u.startswith(("http://", "https://")) for u in self.reuse_urls
        ):
            errors["reuse_urls"] = str(
                _("Les liens des réutilisations doivent être des adresses http(s).")
            )
        if errors:
            raise ValidationError(errors)


# --- Impact indicators (§4.16) ----------------------------------------------------------------


class ImpactIndicator(TimeStampedModel):
    class Level(models.TextChoices):
        RESEAU = "RESEAU", _("Réseau")
        MINISTERE = "MINISTERE", _("Ministère")
        ACTIF = "ACTIF", _("Jeu de données")

    class Source(models.TextChoices):
        CALCUL_PORTAIL = "CALCUL_PORTAIL", _("Calcul du portail")
        API_DATA_GOUV = "API_DATA_GOUV", _("API data.gouv.fr")
        API_GOUV_STATS = "API_GOUV_STATS", _("Statistiques api.gouv.fr")
        ENQUETE = "ENQUETE", _("Enquête")
        SAISIE_MANUELLE = "SAISIE_MANUELLE", _("Saisie manuelle")
        OCDE_OURDATA = "OCDE_OURDATA", _("Indice OCDE OURdata")
        DATA_EUROPA_ODM = "DATA_EUROPA_ODM", _("data.europa.eu — Open Data Maturity")

    class Frequency(models.TextChoices):
        MENSUELLE = "MENSUELLE", _("Mensuelle")
        TRIMESTRIELLE = "TRIMESTRIELLE", _("Trimestrielle")
        ANNUELLE = "ANNUELLE", _("Annuelle")

    class Direction(models.TextChoices):
        HAUSSE_SOUHAITEE = "HAUSSE_SOUHAITEE", _("Hausse souhaitée")
        BAISSE_SOUHAITEE = "BAISSE_SOUHAITEE", _("Baisse souhaitée")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("nom"), max_length=300)
    definition = models.TextField(_("définition"), blank=True)
    unit = models.CharField(_("unité"), max_length=50, blank=True)
    formula = models.TextField(_("formule"), blank=True)
    level = models.CharField(_("niveau"), max_length=16, choices=Level.choices)
    source = models.CharField(_("source"), max_length=32, choices=Source.choices)
    frequency = models.CharField(
        _("fréquence"), max_length=16, choices=Frequency.choices, default=Frequency.TRIMESTRIELLE
    )
    direction = models.CharField(
        _("sens"), max_length=20, choices=Direction.choices, default=Direction.HAUSSE_SOUHAITEE
    )
    target_value = models.DecimalField(
        _("cible"), max_digits=20, decimal_places=4, null=True, blank=True
    )

    class Meta:
        verbose_name = _("indicateur d'impact")
        verbose_name_plural = _("indicateurs d'impact")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    if not 1 <= quarter <= 4:
        raise ValidationError(_("Le trimestre doit être compris entre 1 et 4."))
    start = datetime.date(year, 3 * (quarter - 1) + 1, 1)
    end_month = 3 * quarter
    end = (
        datetime.date(year, 12, 31)
        if end_month == 12
        else datetime.date(year, end_month + 1, 1) - datetime.timedelta(days=1)
    )
    return start, end


def quarter_label(day: datetime.date) -> str:
    return f"{day.year}-T{(day.month - 1) // 3 + 1}"


class MeasurementQuerySet(models.QuerySet["Measurement"]):
    def for_user(self, user: object) -> MeasurementQuerySet:
        """Network-level and asset-less values: every signed-in account; a ministry's values:
        those who may see that ministry."""
        from core.access import access_for

        access = access_for(user)
        if not access.authenticated:
            return self.none()
        if access.sees_all_ministries:
            return self
        return self.filter(
            Q(ministry__isnull=True) | Q(ministry_id__in=access.visible_ministry_ids)
        )


class Measurement(TimeStampedModel):
    indicator = models.ForeignKey(
        ImpactIndicator,
        verbose_name=_("indicateur"),
        on_delete=models.PROTECT,
        related_name="measurements",
    )
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    ministry = models.ForeignKey(
        "administrators.Ministry",
        verbose_name=_("ministère"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="impact_measurements",
    )
    asset = models.ForeignKey(
        "datasets.DataAsset",
        verbose_name=_("jeu de données"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="impact_measurements",
    )
    value = models.DecimalField(_("valeur"), max_digits=20, decimal_places=4)
    collected_at = models.DateTimeField(_("collectée le"))
    method_note = models.TextField(_("méthode"), blank=True)
    evidence_url = models.URLField(_("justificatif"), max_length=500, blank=True)
    is_estimate = models.BooleanField(_("estimation"), default=False)

    objects = MeasurementQuerySet.as_manager()

    class Meta:
        verbose_name = _("mesure")
        verbose_name_plural = _("mesures")
        ordering = ["indicator_id", "period_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="measurement_period_ordered",
                violation_error_message=_("La fin de période précède son début."),
            ),
            models.UniqueConstraint(
                fields=["indicator", "period_start"],
                condition=Q(ministry__isnull=True, asset__isnull=True),
                name="measurement_unique_network",
                violation_error_message=_(
                    "Une valeur existe déjà pour cet indicateur et ce trimestre."
                ),
            ),
            models.UniqueConstraint(
                fields=["indicator", "period_start", "ministry"],
                condition=Q(ministry__isnull=False, asset__isnull=True),
                name="measurement_unique_ministry",
                violation_error_message=_(
                    "Une valeur existe déjà pour cet indicateur, ce trimestre et ce ministère."
                ),
            ),
            models.UniqueConstraint(
                fields=["indicator", "period_start", "asset"],
                condition=Q(asset__isnull=False),
                name="measurement_unique_asset",
                violation_error_message=_(
                    "Une valeur existe déjà pour cet indicateur, ce trimestre et ce jeu de données."
                ),
            ),
        ]
        indexes = [models.Index(fields=["indicator", "period_start"])]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.quarter} = {self.value}"

    @property
    def quarter(self) -> str:
        return quarter_label(self.period_start)

    def clean(self) -> None:
        if self.period_start and self.period_end:
            q = (self.period_start.month - 1) // 3 + 1
            expected = quarter_bounds(self.period_start.year, q)
            if (self.period_start, self.period_end) != expected:
                raise ValidationError(
                    {"period_start": _("La période doit correspondre à un trimestre civil entier.")}
                )
