"""The inventory (cartographie): entries, open-by-default qualification, reference data.

DOMAIN §4.3-4.5 and §4.17 (RIP). The Etalab catalogue schema's 17 columns map to DataAsset
fields (see `datasets/catalogue_schema.py`). Ministry-specific fields are typed definitions
(`ExtraFieldDefinition`) whose values live in `DataAsset.extra` keyed by the definition's code,
so a field can be added or retired after entries exist without losing any value.

`AssetStateHistory` is an append-only log of the facts the compliance engine reads (status,
basis, dates, licence and format compliance…), one row per change of an entry or of its
qualification (and of its reference-data designation); supervision recomputes a closed quarter
from it, overlay R (§6.3) included.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from administrators.models import Ministry, Organization
from core.models import HvdCategory, LegalGround, Licence, NoAnonymisationCategory, TimeStampedModel


class Format(models.Model):
    name = models.CharField(_("format"), max_length=50, unique=True)
    is_open = models.BooleanField(_("format ouvert"), default=False)
    machine_readable = models.BooleanField(_("lisible par machine"), default=False)

    class Meta:
        verbose_name = _("format")
        verbose_name_plural = _("formats")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UpdateFrequency(models.TextChoices):
    TEMPS_REEL = "TEMPS_REEL", _("Temps réel")
    HORAIRE = "HORAIRE", _("Horaire")
    QUOTIDIENNE = "QUOTIDIENNE", _("Quotidienne")
    HEBDOMADAIRE = "HEBDOMADAIRE", _("Hebdomadaire")
    MENSUELLE = "MENSUELLE", _("Mensuelle")
    BIMESTRIELLE = "BIMESTRIELLE", _("Bimestrielle")
    TRIMESTRIELLE = "TRIMESTRIELLE", _("Trimestrielle")
    SEMESTRIELLE = "SEMESTRIELLE", _("Semestrielle")
    ANNUELLE = "ANNUELLE", _("Annuelle")
    IRREGULIERE = "IRREGULIERE", _("Irrégulière")
    JAMAIS = "JAMAIS", _("Jamais")
    AUTRE = "AUTRE", _("Autre")


class AssetType(models.TextChoices):
    BASE_DE_DONNEES = "BASE_DE_DONNEES", _("Base de données")
    JEU_TABULAIRE = "JEU_TABULAIRE", _("Jeu de données tabulaire")
    DONNEES_GEO = "DONNEES_GEO", _("Données géographiques")
    DOCUMENT = "DOCUMENT", _("Document")
    STATISTIQUES = "STATISTIQUES", _("Statistiques")
    CODE_SOURCE = "CODE_SOURCE", _("Code source")
    API = "API", _("API")
    REFERENTIEL = "REFERENTIEL", _("Référentiel")
    AUTRE = "AUTRE", _("Autre")


class SharingMode(models.TextChoices):
    OPEN = "OPEN", _("Données ouvertes")
    SHARED_HABILITATED = "SHARED_HABILITATED", _("Partage entre administrations habilitées")
    SECURE_RESEARCH_ACCESS = "SECURE_RESEARCH_ACCESS", _("Accès sécurisé pour la recherche")
    INTERNAL_ONLY = "INTERNAL_ONLY", _("Usage interne uniquement")
    UNKNOWN = "UNKNOWN", _("Inconnu")


class InternalUse(models.TextChoices):
    PILOTAGE = "PILOTAGE", _("Pilotage")
    EVALUATION_POLITIQUES = "EVALUATION_POLITIQUES", _("Évaluation des politiques publiques")
    DATA_SCIENCE = "DATA_SCIENCE", _("Science des données")
    IA = "IA", _("Intelligence artificielle")
    CONTROLE_LUTTE_FRAUDE = "CONTROLE_LUTTE_FRAUDE", _("Contrôle et lutte contre la fraude")
    SERVICE_USAGER = "SERVICE_USAGER", _("Service à l'usager")
    STATISTIQUE = "STATISTIQUE", _("Statistique")


class Criticality(models.TextChoices):
    FAIBLE = "FAIBLE", _("Faible")
    MOYENNE = "MOYENNE", _("Moyenne")
    ELEVEE = "ELEVEE", _("Élevée")


class PersonalDataProcessing(TimeStampedModel):
    """Link to the ministry's record of processing (RGPD art. 30) and its DPIA (art. 35)."""

    class AipdStatus(models.TextChoices):
        NON_REQUISE = "NON_REQUISE", _("Non requise")
        A_REALISER = "A_REALISER", _("À réaliser")
        EN_COURS = "EN_COURS", _("En cours")
        REALISEE = "REALISEE", _("Réalisée")
        A_REVISER = "A_REVISER", _("À réviser")

    ministry = models.ForeignKey(Ministry, on_delete=models.PROTECT, related_name="processings")
    name = models.CharField(_("traitement"), max_length=300)
    ropa_id = models.CharField(_("identifiant au registre"), max_length=100, blank=True)
    ropa_url = models.URLField(_("lien vers le registre"), blank=True)
    controller_org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    purposes = models.TextField(_("finalités"), blank=True)
    special_categories = models.BooleanField(_("données sensibles (art. 9)"), default=False)
    criminal_data = models.BooleanField(_("données d'infraction (art. 10)"), default=False)
    uses_nir = models.BooleanField(_("utilise le NIR"), default=False)
    aipd_criteria_count = models.PositiveSmallIntegerField(
        _("nombre de critères AIPD (lignes directrices WP248)"), default=0
    )
    on_cnil_mandatory_list = models.BooleanField(
        _("sur la liste CNIL des AIPD obligatoires"), default=False
    )
    aipd_status = models.CharField(
        _("statut de l'AIPD"),
        max_length=16,
        choices=AipdStatus.choices,
        default=AipdStatus.NON_REQUISE,
    )
    aipd_date = models.DateField(_("date de l'AIPD"), null=True, blank=True)
    aipd_url = models.URLField(_("lien vers l'AIPD"), blank=True)

    class Meta:
        verbose_name = _("traitement de données personnelles")
        verbose_name_plural = _("traitements de données personnelles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def aipd_required(self) -> bool:
        return self.on_cnil_mandatory_list or self.aipd_criteria_count >= 2


class ExtraFieldDefinition(TimeStampedModel):
    """A ministry-specific typed field of the inventory (issue #3 §2)."""

    class Kind(models.TextChoices):
        TEXT = "TEXT", _("Texte")
        CHOICE = "CHOICE", _("Liste de choix")
        BOOLEAN = "BOOLEAN", _("Oui / non")
        DATE = "DATE", _("Date")
        NUMBER = "NUMBER", _("Nombre")

    ministry = models.ForeignKey(Ministry, on_delete=models.PROTECT, related_name="extra_fields")
    code = models.SlugField(_("code"), max_length=64)
    label = models.CharField(_("libellé"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    choices = models.JSONField(_("choix possibles"), default=list, blank=True)
    help_text = models.CharField(_("aide"), max_length=300, blank=True)
    required = models.BooleanField(_("obligatoire"), default=False)
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    retired_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        help_text=_("Verrou optimiste : incrémenté à chaque enregistrement."),
    )

    class Meta:
        verbose_name = _("champ propre au ministère")
        verbose_name_plural = _("champs propres au ministère")
        ordering = ["ministry_id", "order", "label"]
        constraints = [
            models.UniqueConstraint(fields=["ministry", "code"], name="extra_field_unique_code")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_active(self) -> bool:
        return self.retired_at is None


class DataAssetQuerySet(models.QuerySet["DataAsset"]):
    def for_user(self, user: object) -> DataAssetQuerySet:
        """Entries the caller may see: published ones of visible ministries; drafts only inside
        their own ministry (network staff see everything)."""
        from core.access import access_for

        access = access_for(user)
        if access.is_network_staff:
            return self
        own = access.visible_ministry_ids
        if access.network_viewer:
            return self.filter(
                Q(visibility=DataAsset.Visibility.PUBLISHED) | Q(ministry_id__in=own)
            )
        return self.filter(ministry_id__in=own)


class DataAsset(TimeStampedModel):
    class Visibility(models.TextChoices):
        DRAFT = "DRAFT", _("Brouillon")
        PUBLISHED = "PUBLISHED", _("Publiée")

    ministry = models.ForeignKey(
        Ministry, verbose_name=_("ministère"), on_delete=models.PROTECT, related_name="assets"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation productrice"),
        on_delete=models.PROTECT,
        related_name="assets",
    )
    visibility = models.CharField(
        _("visibilité"), max_length=16, choices=Visibility.choices, default=Visibility.DRAFT
    )
    # --- Etalab catalogue schema (17 columns) ---
    title = models.CharField(_("titre"), max_length=500)
    description = models.TextField(_("description"))
    keywords = models.JSONField(_("mots-clés"), default=list, blank=True)
    service = models.CharField(_("service producteur"), max_length=300, blank=True)
    source_system = models.CharField(_("système d'information"), max_length=300, blank=True)
    contact_service = models.EmailField(_("contact du service"), blank=True)
    contact_person = models.EmailField(_("contact d'une personne"), blank=True)
    first_published_at = models.DateField(_("date de publication"), null=True, blank=True)
    last_updated_at = models.DateField(_("date de dernière mise à jour"), null=True, blank=True)
    update_frequency = models.CharField(
        _("fréquence de mise à jour"), max_length=16, choices=UpdateFrequency.choices, blank=True
    )
    geo_coverage = models.CharField(_("couverture géographique"), max_length=300, blank=True)
    url = models.URLField(_("lien"), max_length=1000, blank=True)
    formats = models.ManyToManyField(
        Format, blank=True, related_name="assets", verbose_name=_("formats")
    )
    licence = models.ForeignKey(
        Licence, null=True, blank=True, on_delete=models.PROTECT, related_name="assets"
    )
    # --- Portal fields ---
    asset_type = models.CharField(
        _("type"), max_length=32, choices=AssetType.choices, default=AssetType.BASE_DE_DONNEES
    )
    acronym = models.CharField(_("acronyme"), max_length=100, blank=True)
    field_list = models.TextField(_("liste des champs"), blank=True)
    collection_process = models.TextField(_("processus de collecte et de mise à jour"), blank=True)
    sample_url = models.URLField(_("extrait d'exemple"), max_length=1000, blank=True)
    volume = models.CharField(_("volumétrie"), max_length=200, blank=True)
    in_rip = models.BooleanField(
        _("inscrit au répertoire des informations publiques"), default=False
    )
    contains_personal_data = models.BooleanField(
        _("contient des données personnelles"), default=False
    )
    personal_data_categories = models.JSONField(
        _("catégories de données personnelles"), default=list, blank=True
    )
    processing = models.ForeignKey(
        PersonalDataProcessing,
        verbose_name=_("traitement (registre RGPD)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assets",
    )
    sharing_mode = models.CharField(
        _("mode de partage"),
        max_length=32,
        choices=SharingMode.choices,
        default=SharingMode.UNKNOWN,
    )
    internal_uses = models.JSONField(_("usages internes"), default=list, blank=True)
    hvd_category = models.ForeignKey(
        HvdCategory,
        verbose_name=_("catégorie de données de forte valeur"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    datagouv_dataset_id = models.CharField(
        _("identifiant data.gouv.fr"), max_length=100, blank=True
    )
    criticality = models.CharField(
        _("criticité"), max_length=16, choices=Criticality.choices, blank=True
    )
    extra = models.JSONField(_("champs propres au ministère"), default=dict, blank=True)
    import_key = models.CharField(
        _("clé d'import"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Empreinte stable de la ligne d'origine, pour un import idempotent."),
    )
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        help_text=_("Verrou optimiste : incrémenté à chaque enregistrement."),
    )

    objects = DataAssetQuerySet.as_manager()

    class Meta:
        verbose_name = _("entrée de l'inventaire")
        verbose_name_plural = _("entrées de l'inventaire")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["ministry", "-updated_at", "-id"], name="asset_ministry_recent"),
            models.Index(fields=["ministry", "organization"], name="asset_ministry_org"),
            models.Index(fields=["ministry", "asset_type"], name="asset_ministry_type"),
            models.Index(fields=["-updated_at", "-id"], name="asset_recent"),
            # The public catalogue's list by date (published entries only): a page's ids from
            # the index alone, however deep.
            models.Index(
                fields=["-updated_at", "-id"],
                name="asset_published_recent",
                condition=models.Q(visibility="PUBLISHED"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OpenByDefaultAssessment(TimeStampedModel):
    """The current qualification of one entry against open by default (DOMAIN §4.5)."""

    class Basis(models.TextChoices):
        L312_1_1_1_COMMUNICATED = "L312_1_1_1_COMMUNICATED", _("L312-1-1 1° — document communiqué")
        L312_1_1_2_RIP = "L312_1_1_2_RIP", _("L312-1-1 2° — inscrit au répertoire (RIP)")
        L312_1_1_3_DATABASES = "L312_1_1_3_DATABASES", _("L312-1-1 3° — base de données")
        L312_1_1_4_PUBLIC_INTEREST = (
            "L312_1_1_4_PUBLIC_INTEREST",
            _("L312-1-1 4° — données d'intérêt économique, social, sanitaire ou environnemental"),
        )
        L321_4_REFERENCE_DATA = "L321_4_REFERENCE_DATA", _("L321-4 — donnée de référence")
        SECTORAL_LAW = "SECTORAL_LAW", _("Texte sectoriel")
        VOLUNTARY_L312_1 = "VOLUNTARY_L312_1", _("L312-1 — publication volontaire")
        NONE = "NONE", _("Aucune obligation")

    class Status(models.TextChoices):
        TO_ASSESS = "TO_ASSESS", _("À qualifier")
        PUBLISHED = "PUBLISHED", _("Publié")
        PUBLISHED_AFTER_OCCULTATION = (
            "PUBLISHED_AFTER_OCCULTATION",
            _("Publié après occultation / anonymisation"),
        )
        TO_PUBLISH = "TO_PUBLISH", _("À publier")
        TO_PUBLISH_AFTER_OCCULTATION = (
            "TO_PUBLISH_AFTER_OCCULTATION",
            _("Partiellement communicable — à publier après occultation"),
        )
        NOT_COMMUNICABLE = "NOT_COMMUNICABLE", _("Non communicable")
        OUT_OF_SCOPE = "OUT_OF_SCOPE", _("Hors obligation")

    class OccultationMethod(models.TextChoices):
        SUPPRESSION_COLONNES = "SUPPRESSION_COLONNES", _("Suppression de colonnes")
        SUPPRESSION_LIGNES = "SUPPRESSION_LIGNES", _("Suppression de lignes")
        DISJONCTION = "DISJONCTION", _("Disjonction")
        CAVIARDAGE = "CAVIARDAGE", _("Caviardage")
        AGREGATION = "AGREGATION", _("Agrégation")
        ANONYMISATION = "ANONYMISATION", _("Anonymisation")
        AUTRE = "AUTRE", _("Autre")

    class PersonalDataBasis(models.TextChoices):
        ANONYMISED = "ANONYMISED", _("Données anonymisées")
        D312_1_3_CATEGORY = "D312_1_3_CATEGORY", _("Catégorie de l'article D312-1-3")
        LEGISLATIVE_PROVISION = "LEGISLATIVE_PROVISION", _("Disposition législative")
        CONSENT = "CONSENT", _("Accord des personnes")
        NOT_APPLICABLE = "NOT_APPLICABLE", _("Sans objet")

    PUBLISHED_STATUSES = frozenset({Status.PUBLISHED, Status.PUBLISHED_AFTER_OCCULTATION})
    TO_PUBLISH_STATUSES = frozenset({Status.TO_PUBLISH, Status.TO_PUBLISH_AFTER_OCCULTATION})
    OCCULTATION_STATUSES = frozenset(
        {Status.PUBLISHED_AFTER_OCCULTATION, Status.TO_PUBLISH_AFTER_OCCULTATION}
    )
    RESTRICTED_STATUSES = frozenset(
        {Status.NOT_COMMUNICABLE, Status.OUT_OF_SCOPE} | OCCULTATION_STATUSES
    )
    L312_BASES = frozenset(
        {
            Basis.L312_1_1_1_COMMUNICATED,
            Basis.L312_1_1_2_RIP,
            Basis.L312_1_1_3_DATABASES,
            Basis.L312_1_1_4_PUBLIC_INTEREST,
            Basis.L321_4_REFERENCE_DATA,
        }
    )

    asset = models.OneToOneField(DataAsset, on_delete=models.CASCADE, related_name="assessment")
    ministry = models.ForeignKey(Ministry, on_delete=models.PROTECT, related_name="+")
    obligation_basis = models.CharField(
        _("fondement de l'obligation"), max_length=32, choices=Basis.choices, default=Basis.NONE
    )
    sectoral_reference = models.CharField(_("texte sectoriel"), max_length=300, blank=True)
    status = models.CharField(
        _("statut"), max_length=32, choices=Status.choices, default=Status.TO_ASSESS, db_index=True
    )
    grounds = models.ManyToManyField(
        LegalGround, through="AssessmentGround", blank=True, related_name="assessments"
    )
    occultation_method = models.CharField(
        _("méthode d'occultation"), max_length=32, choices=OccultationMethod.choices, blank=True
    )
    personal_data_basis = models.CharField(
        _("fondement de la publication de données personnelles"),
        max_length=32,
        choices=PersonalDataBasis.choices,
        default=PersonalDataBasis.NOT_APPLICABLE,
    )
    no_anonymisation_category = models.ForeignKey(
        NoAnonymisationCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    personal_data_reference = models.CharField(
        _("référence (texte ou accord)"), max_length=300, blank=True
    )
    planned_date = models.DateField(_("date de publication prévue"), null=True, blank=True)
    published_url = models.URLField(_("lien de publication"), max_length=1000, blank=True)
    published_at = models.DateField(_("publié le"), null=True, blank=True)
    decided_by = models.CharField(_("décidé par"), max_length=200, blank=True)
    decided_at = models.DateField(_("décidé le"), null=True, blank=True)
    cada_avis_ref = models.CharField(_("avis CADA"), max_length=50, blank=True)
    review_due = models.DateField(_("à revoir le"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("qualification « ouverture par défaut »")
        verbose_name_plural = _("qualifications « ouverture par défaut »")
        indexes = [models.Index(fields=["ministry", "status"], name="assessment_ministry_status")]

    def __str__(self) -> str:
        return f"{self.asset} — {self.get_status_display()}"

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in self.TO_PUBLISH_STATUSES
            and self.planned_date is not None
            and self.planned_date < timezone.localdate()
        )

    @property
    def ouverture_status(self) -> str:
        """The ouverture.data.gouv.fr tracker's vocabulary (DOMAIN §4.5)."""
        s = self.Status
        if self.status == s.PUBLISHED:
            return (
                "Disponible sur data.gouv.fr"
                if "data.gouv.fr" in (self.published_url or "")
                else "Disponible"
            )
        mapping: dict[str, str] = {
            s.PUBLISHED_AFTER_OCCULTATION: "Partiellement disponible",
            s.TO_PUBLISH: "Planifié",
            s.TO_PUBLISH_AFTER_OCCULTATION: "Planifié",
            s.NOT_COMMUNICABLE: "Non disponible",
            s.OUT_OF_SCOPE: "Non disponible",
        }
        return mapping.get(self.status, "À déterminer")


class AssessmentGround(models.Model):
    assessment = models.ForeignKey(
        OpenByDefaultAssessment, on_delete=models.CASCADE, related_name="ground_links"
    )
    ground = models.ForeignKey(LegalGround, on_delete=models.PROTECT, related_name="+")
    sub_reference = models.CharField(_("précision"), max_length=300, blank=True)
    justification_internal = models.TextField(
        _("justification interne"),
        blank=True,
        help_text=_("Visible des seuls administrateurs et de la DINUM."),
    )
    public_motive = models.CharField(_("motif public"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("motif invoqué")
        verbose_name_plural = _("motifs invoqués")
        # In the order they were given (motif n° 1 first), on every page and in the API.
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "ground"], name="assessment_ground_unique"
            )
        ]

    def __str__(self) -> str:
        return self.ground.code


class AssessmentHistory(models.Model):
    """Every qualification ever saved, in full (who, when, the whole state)."""

    asset = models.ForeignKey(
        DataAsset, on_delete=models.CASCADE, related_name="assessment_history"
    )
    ministry_id_at = models.BigIntegerField(db_index=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=32)
    obligation_basis = models.CharField(max_length=32)
    data = models.JSONField(default=dict)
    comment = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("historique de qualification")
        verbose_name_plural = _("historiques de qualification")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["asset", "-recorded_at"])]

    def __str__(self) -> str:
        return f"{self.asset_id} — {self.status} ({self.recorded_at:%Y-%m-%d %H:%M})"


class QualificationProposal(TimeStampedModel):
    """A qualification proposed by a correspondent, applied once an administrator accepts it.

    DOMAIN §4.18: a correspondent edits the entries of their organisations but only proposes
    their open-by-default qualification; an administrator of the ministry (or DINUM staff)
    validates or rejects it. `state` has the shape of `services.qualification_state` (what
    `services.qualification_from_state` rebuilds); `based_on_version` is the version of the
    qualification the proposer read: once it moved, the proposal can no longer be accepted.
    At most one proposal per entry is pending (a new one supersedes it).
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", _("En attente de validation")
        ACCEPTED = "ACCEPTED", _("Acceptée")
        REJECTED = "REJECTED", _("Refusée")
        WITHDRAWN = "WITHDRAWN", _("Retirée")
        SUPERSEDED = "SUPERSEDED", _("Remplacée par une nouvelle proposition")

    asset = models.ForeignKey(
        DataAsset,
        verbose_name=_("entrée"),
        on_delete=models.CASCADE,
        related_name="qualification_proposals",
    )
    ministry = models.ForeignKey(
        Ministry, verbose_name=_("ministère"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.JSONField(_("qualification proposée"), default=dict)
    comment = models.CharField(_("commentaire"), max_length=300, blank=True)
    based_on_version = models.PositiveIntegerField(_("version de la qualification lue"))
    status = models.CharField(
        _("état"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("traitée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    review_comment = models.TextField(_("commentaire de la décision"), blank=True)
    # When the e-mails went out (`datasets.tasks`): each is claimed before it is sent, so a task
    # run twice sends it once.
    submission_notified_at = models.DateTimeField(
        _("administrateurs prévenus le"), null=True, blank=True
    )
    decision_notified_at = models.DateTimeField(_("auteur prévenu le"), null=True, blank=True)

    class Meta:
        verbose_name = _("proposition de qualification")
        verbose_name_plural = _("propositions de qualification")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"],
                condition=Q(status="PENDING"),
                name="qualification_proposal_one_pending",
            ),
            models.CheckConstraint(
                condition=~Q(status="REJECTED") | ~Q(review_comment=""),
                name="qualification_proposal_reject_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["ministry", "status", "-created_at"], name="proposal_ministry_status"
            ),
            models.Index(fields=["asset", "-created_at"], name="proposal_asset_recent"),
            models.Index(fields=["proposed_by", "-created_at"], name="proposal_proposer_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} — {self.get_status_display()}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class AssetStateHistory(models.Model):
    """Facts the compliance engine reads, as of each change (append-only; see module doc)."""

    asset_id_ref = models.BigIntegerField(_("entrée"))
    ministry_id_at = models.BigIntegerField(_("ministère"))
    recorded_at = models.DateTimeField(default=timezone.now)
    deleted = models.BooleanField(default=False)
    status = models.CharField(max_length=32)
    obligation_basis = models.CharField(max_length=32)
    planned_date = models.DateField(null=True, blank=True)
    catalogue_complete = models.BooleanField(default=False)
    has_valid_ground = models.BooleanField(default=False)
    has_justification = models.BooleanField(default=False)
    licence_compliant = models.BooleanField(default=False)
    open_machine_readable = models.BooleanField(default=False)
    last_updated_at = models.DateField(null=True, blank=True)
    update_frequency = models.CharField(max_length=16, blank=True)
    contains_personal_data = models.BooleanField(default=False)
    personal_data_basis = models.CharField(max_length=32, blank=True)
    ropa_linked = models.BooleanField(default=False)
    # Overlay R (DOMAIN §6.3): the 8 mandatory metadata of the arrêté of 14 June 2017 (annex 1°)
    # present on the entry (0-8, see `validation.ANNEX1_METADATA`), and its reference-data
    # designation as it stood (regime, status, SPD dataset id, public process page set).
    annex1_metadata = models.PositiveSmallIntegerField(default=0)
    reference_regime = models.CharField(max_length=32, blank=True)
    reference_status = models.CharField(max_length=32, blank=True)
    spd_dataset_ref = models.BigIntegerField(null=True, blank=True)
    process_info_published = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("état historisé d'une entrée")
        verbose_name_plural = _("états historisés des entrées")
        indexes = [
            models.Index(
                fields=["ministry_id_at", "asset_id_ref", "-recorded_at"], name="asset_state_asof"
            ),
            # The network indicators read the facts of a quarter (N10's lead times: entries
            # published in it, then their history): by date, then by entry.
            models.Index(fields=["recorded_at"], name="asset_state_recorded"),
            models.Index(fields=["asset_id_ref", "recorded_at"], name="asset_state_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id_ref} — {self.status} ({self.recorded_at:%Y-%m-%d %H:%M})"


class SpdReferenceDataset(models.Model):
    """The nine reference datasets of the service public de la donnée (CRPA R321-5)."""

    class LegalFrequency(models.TextChoices):
        DAILY_WORKDAY = "DAILY_WORKDAY", _("Chaque jour ouvré")
        WEEKLY = "WEEKLY", _("Hebdomadaire")
        MONTHLY = "MONTHLY", _("Mensuelle")
        QUARTERLY = "QUARTERLY", _("Trimestrielle")
        FOUR_MONTHLY = "FOUR_MONTHLY", _("Quadrimestrielle")
        HALF_YEARLY = "HALF_YEARLY", _("Semestrielle")
        YEARLY = "YEARLY", _("Annuelle")
        PER_CAP_CAMPAIGN = "PER_CAP_CAMPAIGN", _("À chaque campagne PAC")

    code = models.CharField(_("code"), max_length=32, unique=True)
    label = models.CharField(_("libellé"), max_length=300)
    producer_label = models.CharField(_("producteur (décret)"), max_length=300)
    producer_org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    legal_frequency = models.CharField(
        _("fréquence légale"), max_length=32, choices=LegalFrequency.choices
    )
    api_expected = models.BooleanField(_("API attendue"), default=False)
    source_url = models.URLField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("donnée de référence (SPD)")
        verbose_name_plural = _("données de référence (SPD)")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label


class ReferenceDataDesignation(TimeStampedModel):
    class Regime(models.TextChoices):
        SPD_R321_5 = "SPD_R321_5", _("Donnée de référence officielle (R321-5)")
        CANDIDATE = "CANDIDATE", _("Candidate (donnée de référence future)")
        SECTORAL_REFERENTIAL = "SECTORAL_REFERENTIAL", _("Référentiel sectoriel ou ministériel")

    class Status(models.TextChoices):
        PROPOSED = "PROPOSED", _("Proposée")
        UNDER_AGD_REVIEW = "UNDER_AGD_REVIEW", _("En examen par l'AGD")
        SUBMITTED_FOR_DECREE = "SUBMITTED_FOR_DECREE", _("Soumise pour décret")
        DESIGNATED = "DESIGNATED", _("Désignée")
        REJECTED = "REJECTED", _("Rejetée")
        WITHDRAWN = "WITHDRAWN", _("Retirée")

    asset = models.OneToOneField(
        DataAsset, on_delete=models.CASCADE, related_name="reference_designation"
    )
    ministry = models.ForeignKey(Ministry, on_delete=models.PROTECT, related_name="+")
    regime = models.CharField(_("régime"), max_length=32, choices=Regime.choices)
    spd_dataset = models.ForeignKey(
        SpdReferenceDataset,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="designations",
    )
    criterion_common_reference = models.BooleanField(
        _("référence commune (L321-4 II 1°)"), default=False
    )
    criterion_common_reference_text = models.TextField(blank=True)
    criterion_frequent_reuse = models.BooleanField(
        _("réutilisation fréquente (II 2°)"), default=False
    )
    criterion_frequent_reuse_evidence = models.TextField(blank=True)
    criterion_high_quality_needed = models.BooleanField(
        _("haut niveau de qualité requis (II 3°)"), default=False
    )
    criterion_high_quality_text = models.TextField(blank=True)
    status = models.CharField(
        _("statut"), max_length=32, choices=Status.choices, default=Status.PROPOSED
    )
    decree_ref = models.CharField(_("référence du décret"), max_length=200, blank=True)
    sla_download_availability_pct = models.DecimalField(
        max_digits=5, decimal_places=2, default=99.0
    )
    sla_api_availability_pct = models.DecimalField(max_digits=5, decimal_places=2, default=99.5)
    process_info_url = models.URLField(_("information sur le processus de production"), blank=True)
    change_notice_days = models.PositiveIntegerField(_("préavis de changement (jours)"), default=90)
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        help_text=_("Verrou optimiste : incrémenté à chaque enregistrement."),
    )

    class Meta:
        verbose_name = _("désignation comme donnée de référence")
        verbose_name_plural = _("désignations comme données de référence")

    def __str__(self) -> str:
        return f"{self.asset} — {self.get_regime_display()}"


class RIPPublication(TimeStampedModel):
    """A yearly publication of the répertoire des informations publiques (CRPA L322-6)."""

    ministry = models.ForeignKey(
        Ministry, on_delete=models.PROTECT, related_name="rip_publications"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("année"))
    url = models.URLField(_("lien"), blank=True)
    published_at = models.DateField(_("publié le"))
    asset_count = models.PositiveIntegerField(_("nombre d'entrées"), default=0)

    class Meta:
        verbose_name = _("publication du répertoire (RIP)")
        verbose_name_plural = _("publications du répertoire (RIP)")
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return f"RIP {self.year} — {self.ministry}"


class ImportJob(TimeStampedModel):
    """A spreadsheet import. The uploaded bytes are kept in the database so that a Celery worker
    on another machine reads exactly what the web process received."""

    class Kind(models.TextChoices):
        INVENTORY = "INVENTORY", _("Inventaire")
        ROADMAP = "ROADMAP", _("Feuille de route")

    class State(models.TextChoices):
        UPLOADED = "UPLOADED", _("Déposé")
        ANALYSING = "ANALYSING", _("Analyse en cours")
        ANALYSED = "ANALYSED", _("Analysé (à confirmer)")
        APPLYING = "APPLYING", _("Import en cours")
        APPLIED = "APPLIED", _("Importé")
        FAILED = "FAILED", _("Échec")
        CANCELLED = "CANCELLED", _("Annulé")

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.INVENTORY)
    ministry = models.ForeignKey(Ministry, on_delete=models.PROTECT, related_name="import_jobs")
    target_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("Ex. la feuille de route visée.")
    )
    filename = models.CharField(max_length=255)
    payload = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=16, choices=State.choices, default=State.UPLOADED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    # The dry run's normalised rows and a digest of what they were computed from (JSON, zlib):
    # the apply writes them when that has not changed (`datasets.importing.stored_plan`).
    normalised_plan = models.BinaryField(blank=True, default=b"", editable=False)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def progress_pct(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))
