"""Supervision: roadmaps, meetings and the quarterly compliance snapshots (DOMAIN §4.11, §4.12,
§4.17, §6).

Design note: roadmaps and meetings live here rather than in `administrators` (STYLE §1) so that
each app's writes stay in one place; `supervision` reads the network and the inventory through
their models and selectors and writes only the models below.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from administrators.models import Ministry, Organization, Person
from core.models import LegalReference, TimeStampedModel


class MinistryScopedQuerySet(models.QuerySet):
    """Rows owned by one ministry: the caller sees those of the ministries in their scope."""

    def for_user(self, user: object) -> MinistryScopedQuerySet:
        from core.access import access_for

        access = access_for(user)
        if access.sees_all_ministries:
            return self
        return self.filter(ministry_id__in=access.visible_ministry_ids)


# --- Roadmaps (DOMAIN §3.2, §4.11) --------------------------------------------------------------


class RoadmapAxis(models.Model):
    """The axes of the interministerial roadmap template (§3.2), loaded by a data migration."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    label = models.CharField(_("libellé"), max_length=300)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("axe de feuille de route")
        verbose_name_plural = _("axes de feuille de route")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"


class Roadmap(TimeStampedModel):
    class Status(models.TextChoices):
        BROUILLON = "BROUILLON", _("Brouillon")
        VALIDEE = "VALIDEE", _("Validée")
        PUBLIEE = "PUBLIEE", _("Publiée")
        REMPLACEE = "REMPLACEE", _("Remplacée")

    ministry = models.ForeignKey(
        Ministry, verbose_name=_("ministère"), on_delete=models.PROTECT, related_name="roadmaps"
    )
    title = models.CharField(_("titre"), max_length=300)
    version = models.CharField(_("version"), max_length=32, default="1")
    period_start = models.DateField(_("début de la période"))
    period_end = models.DateField(_("fin de la période"))
    status = models.CharField(
        _("statut"), max_length=16, choices=Status.choices, default=Status.BROUILLON
    )
    published_on = models.DateField(_("publiée le"), null=True, blank=True)
    replaced_on = models.DateField(_("remplacée le"), null=True, blank=True)
    url = models.URLField(_("page de publication"), max_length=500, blank=True)
    datagouv_resource_url = models.URLField(
        _("ressource sur data.gouv.fr"), max_length=500, blank=True
    )
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("remplace"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="superseded_by",
    )
    governance_description = models.TextField(_("gouvernance"), blank=True)

    objects = MinistryScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("feuille de route")
        verbose_name_plural = _("feuilles de route")
        ordering = ["ministry_id", "-period_start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="roadmap_period_end_after_start",
                violation_error_message=_("La fin de la période précède son début."),
            ),
            models.CheckConstraint(
                condition=~Q(status="PUBLIEE") | Q(published_on__isnull=False),
                name="roadmap_published_has_date",
                violation_error_message=_(
                    "Une feuille de route publiée a une date de publication."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class ActionStatus(models.TextChoices):
    A_LANCER = "A_LANCER", _("À lancer")
    EN_COURS = "EN_COURS", _("En cours")
    REALISEE = "REALISEE", _("Réalisée")
    PARTIELLEMENT_REALISEE = "PARTIELLEMENT_REALISEE", _("Partiellement réalisée")
    REPORTEE = "REPORTEE", _("Reportée")
    ABANDONNEE = "ABANDONNEE", _("Abandonnée")


CLOSED_ACTION_STATUSES = frozenset({ActionStatus.REALISEE, ActionStatus.ABANDONNEE})


class RoadmapAction(TimeStampedModel):
    class ActionType(models.TextChoices):
        OUVERTURE_DONNEES = "OUVERTURE_DONNEES", _("Ouverture de données")
        API = "API", _("API")
        CODE_SOURCE = "CODE_SOURCE", _("Code source")
        ALGORITHME = "ALGORITHME", _("Algorithme")
        INVENTAIRE = "INVENTAIRE", _("Inventaire")
        QUALITE = "QUALITE", _("Qualité")
        PARTAGE_HABILITE = "PARTAGE_HABILITE", _("Partage entre acteurs habilités")
        EXPLOITATION_IA = "EXPLOITATION_IA", _("Exploitation, science des données, IA")
        FORMATION_ACCULTURATION = "FORMATION_ACCULTURATION", _("Formation, acculturation")
        RECRUTEMENT_COMPETENCES = "RECRUTEMENT_COMPETENCES", _("Recrutement, compétences")
        COMMUNAUTE = "COMMUNAUTE", _("Communauté")
        GOUVERNANCE = "GOUVERNANCE", _("Gouvernance")
        REFERENTIEL = "REFERENTIEL", _("Référentiel")

    class Origin(models.TextChoices):
        FEUILLE_DE_ROUTE = "FEUILLE_DE_ROUTE", _("Feuille de route")
        CITP_2021_02_05 = "CITP_2021_02_05", _("CITP du 5 février 2021")
        HVD = "HVD", _("Données de forte valeur")
        OGP = "OGP", _("Partenariat pour un gouvernement ouvert")
        AUTRE = "AUTRE", _("Autre")

    Status = ActionStatus

    roadmap = models.ForeignKey(
        Roadmap,
        verbose_name=_("feuille de route"),
        on_delete=models.PROTECT,
        related_name="actions",
    )
    ministry = models.ForeignKey(
        Ministry, verbose_name=_("ministère"), on_delete=models.PROTECT, related_name="+"
    )
    ref = models.CharField(_("numéro"), max_length=32, blank=True)
    title = models.CharField(_("intitulé"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    axis = models.ForeignKey(
        RoadmapAxis,
        verbose_name=_("axe"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
    )
    action_type = models.CharField(
        _("type d'action"), max_length=32, choices=ActionType.choices, blank=True
    )
    is_flagship = models.BooleanField(_("action phare"), default=False)
    origin = models.CharField(
        _("origine"), max_length=32, choices=Origin.choices, default=Origin.FEUILLE_DE_ROUTE
    )
    owner_org = models.ForeignKey(
        Organization,
        verbose_name=_("direction pilote"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_label = models.CharField(_("pilote"), max_length=300, blank=True)
    start_date = models.DateField(_("début"), null=True, blank=True)
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    due_quarter = models.CharField(_("trimestre d'échéance"), max_length=10, blank=True)
    status = models.CharField(
        _("statut"), max_length=32, choices=ActionStatus.choices, default=ActionStatus.A_LANCER
    )
    abandon_reason = models.TextField(_("motif d'abandon"), blank=True)
    progress_pct = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    evidence_url = models.URLField(_("preuve de réalisation (lien)"), max_length=500, blank=True)
    linked_assets = models.ManyToManyField(
        "datasets.DataAsset",
        verbose_name=_("entrées de l'inventaire liées"),
        blank=True,
        related_name="roadmap_actions",
    )

    objects = MinistryScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("action de feuille de route")
        verbose_name_plural = _("actions de feuille de route")
        ordering = ["roadmap_id", "ref", "id"]
        indexes = [
            models.Index(fields=["ministry", "status", "due_date"], name="action_min_st_due")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_pct__lte=100),
                name="action_progress_max_100",
                violation_error_message=_("L'avancement ne peut pas dépasser 100 %."),
            ),
            models.CheckConstraint(
                condition=~Q(status="REALISEE") | ~Q(evidence_url=""),
                name="action_done_has_evidence",
                violation_error_message=_(
                    "Une action réalisée doit indiquer le lien vers sa preuve de réalisation."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="ABANDONNEE") | ~Q(abandon_reason=""),
                name="action_abandoned_has_reason",
                violation_error_message=_(
                    "Une action abandonnée doit indiquer le motif d'abandon."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}".strip()

    @property
    def is_late(self) -> bool:
        return (
            self.due_date is not None
            and self.due_date < timezone.localdate()
            and self.status not in CLOSED_ACTION_STATUSES
        )


class ActionStatusUpdate(models.Model):
    """Append-only: every change of an action's status, progress or due date (its history, and
    what a closed quarter's S2 criterion is recomputed from)."""

    action = models.ForeignKey(RoadmapAction, on_delete=models.CASCADE, related_name="updates")
    ministry_id_at = models.BigIntegerField()
    recorded_at = models.DateTimeField(default=timezone.now)
    old_status = models.CharField(max_length=32, blank=True)
    new_status = models.CharField(max_length=32, choices=ActionStatus.choices)
    progress_pct = models.PositiveSmallIntegerField(default=0)
    due_date = models.DateField(null=True, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("mise à jour d'action")
        verbose_name_plural = _("mises à jour d'actions")
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(
                fields=["ministry_id_at", "action", "-recorded_at"], name="action_upd_asof"
            )
        ]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.old_status} → {self.new_status}"


# --- Meetings (DOMAIN §4.12) ------------------------------------------------------------------


class Meeting(TimeStampedModel):
    class Type(models.TextChoices):
        PLENIERE_TRIMESTRIELLE = "PLENIERE_TRIMESTRIELLE", _("Plénière trimestrielle")
        COPIL_BIMESTRIEL = "COPIL_BIMESTRIEL", _("Comité de pilotage")
        ATELIER_THEMATIQUE = "ATELIER_THEMATIQUE", _("Atelier thématique")
        SPRINT_OPEN_DATA = "SPRINT_OPEN_DATA", _("Sprint open data")
        SEMINAIRE_ANNUEL = "SEMINAIRE_ANNUEL", _("Séminaire annuel")
        BILATERALE = "BILATERALE", _("Réunion bilatérale")

    class Status(models.TextChoices):
        PLANIFIEE = "PLANIFIEE", _("Planifiée")
        TENUE = "TENUE", _("Tenue")
        ANNULEE = "ANNULEE", _("Annulée")
        REPORTEE = "REPORTEE", _("Reportée")

    ONE_MINISTRY_TYPES = frozenset({Type.SPRINT_OPEN_DATA, Type.BILATERALE})

    meeting_type = models.CharField(_("type"), max_length=32, choices=Type.choices)
    title = models.CharField(_("titre"), max_length=300)
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("heure de début"), null=True, blank=True)
    end_time = models.TimeField(_("heure de fin"), null=True, blank=True)
    location = models.CharField(_("lieu"), max_length=300, blank=True)
    visio_url = models.URLField(_("lien de visioconférence"), max_length=500, blank=True)
    ministry = models.ForeignKey(
        Ministry,
        verbose_name=_("ministère (sprint, bilatérale)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    theme = models.CharField(_("thème"), max_length=200, blank=True)
    status = models.CharField(
        _("statut"), max_length=16, choices=Status.choices, default=Status.PLANIFIEE
    )
    organizer = models.ForeignKey(
        Person,
        verbose_name=_("organisateur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invited_ministries = models.ManyToManyField(
        Ministry, verbose_name=_("ministères invités"), blank=True, related_name="invitations"
    )

    class Meta:
        verbose_name = _("réunion")
        verbose_name_plural = _("réunions")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["meeting_type", "date"], name="meeting_type_date")]

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%d/%m/%Y})"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    title = models.CharField(_("point"), max_length=300)
    presenter = models.CharField(_("intervenant"), max_length=200, blank=True)
    duration_min = models.PositiveSmallIntegerField(_("durée (min)"), null=True, blank=True)
    document_url = models.URLField(_("document"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("point de l'ordre du jour")
        verbose_name_plural = _("ordre du jour")
        ordering = ["meeting_id", "order", "id"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """The attendance of one invited ministry at a meeting (one row per ministry)."""

    class Status(models.TextChoices):
        INVITE = "INVITE", _("Invité")
        PRESENT = "PRESENT", _("Présent")
        EXCUSE = "EXCUSE", _("Excusé")
        REPRESENTE = "REPRESENTE", _("Représenté")
        ABSENT = "ABSENT", _("Absent")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    ministry = models.ForeignKey(Ministry, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role_at_meeting = models.CharField(_("qualité"), max_length=200, blank=True)
    status = models.CharField(_("présence"), max_length=16, choices=Status.choices)
    represented_by = models.CharField(_("représenté par"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("présence")
        verbose_name_plural = _("présences")
        ordering = ["meeting_id", "ministry__name"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "ministry"], name="attendance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ministry_id}: {self.status}"


class Minutes(models.Model):
    """One version of a meeting's minutes (Markdown, sanitised); each edit adds a version."""

    class Status(models.TextChoices):
        BROUILLON = "BROUILLON", _("Brouillon")
        DIFFUSE = "DIFFUSE", _("Diffusé")
        APPROUVE = "APPROUVE", _("Approuvé")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="minutes")
    version = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("compte rendu (Markdown)"))
    summary = models.CharField(_("résumé public"), max_length=1000, blank=True)
    status = models.CharField(
        _("statut"), max_length=16, choices=Status.choices, default=Status.BROUILLON
    )
    approved_at = models.DateField(_("approuvé le"), null=True, blank=True)
    public = models.BooleanField(_("public"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("compte rendu")
        verbose_name_plural = _("comptes rendus")
        ordering = ["meeting_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "version"], name="minutes_unique_version")
        ]

    def __str__(self) -> str:
        return f"CR v{self.version}"


class Decision(models.Model):
    class Scope(models.TextChoices):
        RESEAU = "RESEAU", _("Réseau")
        MINISTERE = "MINISTERE", _("Ministère")
        AGD = "AGD", _("Administrateur général des données")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("décision"))
    scope = models.CharField(
        _("portée"), max_length=16, choices=Scope.choices, default=Scope.RESEAU
    )
    ministries = models.ManyToManyField(Ministry, blank=True, related_name="+")
    legal_reference = models.ForeignKey(
        LegalReference, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        ordering = ["meeting_id", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class ActionItemQuerySet(models.QuerySet):
    def for_user(self, user: object) -> ActionItemQuerySet:
        from core.access import access_for

        access = access_for(user)
        if access.sees_all_ministries:
            return self
        return self.filter(owner_ministry_id__in=access.visible_ministry_ids)

    def overdue(self, today: datetime.date | None = None) -> ActionItemQuerySet:
        today = today or timezone.localdate()
        return self.filter(due_date__lt=today, status__in=ActionItem.OPEN_STATUSES)


class ActionItem(TimeStampedModel):
    class Status(models.TextChoices):
        OUVERTE = "OUVERTE", _("Ouverte")
        EN_COURS = "EN_COURS", _("En cours")
        FAITE = "FAITE", _("Faite")
        ANNULEE = "ANNULEE", _("Annulée")

    OPEN_STATUSES = (Status.OUVERTE, Status.EN_COURS)

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    description = models.TextField(_("action"))
    owner_person = models.ForeignKey(
        Person,
        verbose_name=_("responsable"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_label = models.CharField(_("responsable"), max_length=200, blank=True)
    owner_ministry = models.ForeignKey(
        Ministry,
        verbose_name=_("ministère"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("échéance"))
    status = models.CharField(
        _("statut"), max_length=16, choices=Status.choices, default=Status.OUVERTE
    )
    closed_at = models.DateField(_("close le"), null=True, blank=True)
    linked_roadmap_action = models.ForeignKey(
        RoadmapAction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("action de suivi")
        verbose_name_plural = _("actions de suivi")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"], name="actionitem_status_due")]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def is_overdue(self) -> bool:
        return self.status in self.OPEN_STATUSES and self.due_date < timezone.localdate()

    @property
    def owner_display(self) -> str:
        """Who answers for the item: « Mme Martin (Agriculture) », the person alone, the
        ministry alone when nobody is named, « — » when neither is set. Reads `owner_person`
        and `owner_ministry`: select them with the item."""
        who = self.owner_label or (str(self.owner_person) if self.owner_person_id else "")
        ministry = str(self.owner_ministry) if self.owner_ministry_id else ""
        if who and ministry:
            return f"{who} ({ministry})"
        return who or ministry or "—"


# --- Quarterly compliance snapshots (DOMAIN §4.17, §6) ---------------------------------------


class ComplianceSnapshot(models.Model):
    class Band(models.TextChoices):
        CONFORME = "CONFORME", _("Conforme")
        EN_PROGRES = "EN_PROGRES", _("En progrès")
        INSUFFISANT = "INSUFFISANT", _("Insuffisant")
        CRITIQUE = "CRITIQUE", _("Critique")
        NON_CALCULABLE = "NON_CALCULABLE", _("Non calculable")

    ministry = models.ForeignKey(Ministry, on_delete=models.PROTECT, related_name="snapshots")
    year = models.PositiveSmallIntegerField(_("année"))
    quarter = models.PositiveSmallIntegerField(_("trimestre"))
    as_of = models.DateTimeField(_("état des données au"))
    score_total = models.DecimalField(
        _("score"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    coverage = models.DecimalField(_("couverture (%)"), max_digits=5, decimal_places=1)
    band = models.CharField(_("niveau"), max_length=16, choices=Band.choices)
    maturity_level = models.PositiveSmallIntegerField(_("niveau de maturité"), default=0)
    score_by_axis = models.JSONField(default=dict)
    criteria_detail = models.JSONField(default=dict)
    red_flags = models.JSONField(default=list)
    facts = models.JSONField(_("compteurs"), default=dict)
    computed_at = models.DateTimeField(_("calculé le"), default=timezone.now)
    algorithm_version = models.CharField(_("version de l'algorithme"), max_length=16)
    published = models.BooleanField(_("publié sur la page de transparence"), default=False)

    objects = MinistryScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("instantané de conformité")
        verbose_name_plural = _("instantanés de conformité")
        ordering = ["ministry_id", "-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["ministry", "year", "quarter"], name="snapshot_unique_quarter"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="snapshot_quarter_1_4"
            ),
        ]
        indexes = [models.Index(fields=["year", "quarter"], name="snapshot_quarter")]

    def __str__(self) -> str:
        return f"{self.ministry_id} {self.quarter_label}"

    @property
    def quarter_label(self) -> str:
        return f"{self.year}-T{self.quarter}"
