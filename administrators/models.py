"""The network: poles, ministries, organisations, people, administrator mandates, memberships.

See ../shared/DOMAIN.md §4.1-4.2 and §4.18. A `Membership` gives a user account a role, within a
ministry (ministry administrator, correspondent, viewer) or network-wide (chief data officer,
DINUM staff, trainer, viewer); `core.access` turns memberships into the caller's scope.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from core.validators import validate_siren, validate_siret


class PoleMinisteriel(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("nom"), max_length=300)
    valid_from = models.DateField(_("en vigueur du"), null=True, blank=True)
    valid_to = models.DateField(_("en vigueur jusqu'au"), null=True, blank=True)
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="predecessors"
    )

    class Meta:
        verbose_name = _("pôle ministériel")
        verbose_name_plural = _("pôles ministériels")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MinistryQuerySet(models.QuerySet["Ministry"]):
    def current(self) -> MinistryQuerySet:
        today = timezone.localdate()
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))

    def in_network(self) -> MinistryQuerySet:
        """In force today and in the scope of the FR0034 commitment (the network, N1)."""
        return self.current().filter(in_ogp_scope=True)

    def in_display_order(self) -> MinistryQuerySet:
        """Sorted by the name they are shown with, the French way (`ministry_display_order`)."""
        from administrators.selectors import ministry_display_order

        return self.order_by(*ministry_display_order())

    def for_user(self, user: object) -> MinistryQuerySet:
        from core.access import access_for

        access = access_for(user)
        if access.sees_all_ministries:
            return self
        return self.filter(pk__in=access.visible_ministry_ids)


class Ministry(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("nom"), max_length=300)
    short_name = models.CharField(_("nom court"), max_length=100, blank=True)
    pole = models.ForeignKey(
        PoleMinisteriel, null=True, blank=True, on_delete=models.SET_NULL, related_name="ministries"
    )
    valid_from = models.DateField(_("en vigueur du"), null=True, blank=True)
    valid_to = models.DateField(_("en vigueur jusqu'au"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successeur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
    )
    annuaire_id = models.CharField(_("identifiant annuaire"), max_length=100, blank=True)
    in_ogp_scope = models.BooleanField(_("dans le périmètre de l'engagement FR0034"), default=True)
    prada_name = models.CharField(_("PRADA — nom"), max_length=200, blank=True)
    prada_email = models.EmailField(_("PRADA — courriel"), blank=True)
    prada_act_ref = models.CharField(_("PRADA — acte de désignation"), max_length=200, blank=True)
    prada_url = models.URLField(_("PRADA — page publique"), blank=True)
    dpo_name = models.CharField(_("DPO — nom"), max_length=200, blank=True)
    dpo_email = models.EmailField(_("DPO — courriel"), blank=True)
    dpo_cnil_notified = models.BooleanField(_("DPO notifié à la CNIL"), default=False)
    data_webpage_url = models.URLField(_("page données du ministère"), blank=True)

    objects = MinistryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ministère")
        verbose_name_plural = _("ministères")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="ministry_valid_to_after_valid_from",
                violation_error_message=_("La date de fin précède la date de début."),
            )
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def ministry_id(self) -> int:
        """Lets audit and scoping treat a ministry like a ministry-owned record."""
        return self.pk

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("La date de fin précède la date de début.")})
        if self.successor_id and self.successor_id == self.pk:
            raise ValidationError(
                {"successor": _("Un ministère ne peut pas se succéder à lui-même.")}
            )
        if self.successor_id and self.pk and self.pk in self._successor_chain():
            raise ValidationError(
                {
                    "successor": _(
                        "Ce successeur a déjà ce ministère parmi ses propres successeurs : "
                        "la succession formerait un cycle."
                    )
                }
            )

    def _successor_chain(self, limit: int = 50) -> list[int]:
        """Ids of the successors after this ministry's chosen successor (a bounded walk)."""
        chain: list[int] = []
        node_id = self.successor_id
        while node_id is not None and len(chain) < limit:
            chain.append(node_id)
            node_id = (
                Ministry.objects.filter(pk=node_id).values_list("successor_id", flat=True).first()
            )
        return chain


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def for_user(self, user: object) -> OrganizationQuerySet:
        from core.access import access_for

        access = access_for(user)
        if access.sees_all_ministries:
            return self
        return self.filter(ministry_id__in=access.visible_ministry_ids)


ORGANIZATION_CYCLE = (
    "Une organisation ne peut pas être rattachée à elle-même ou à l'une de ses subdivisions."
)


class Organization(TimeStampedModel):
    class Kind(models.TextChoices):
        ADMIN_CENTRALE = "ADMIN_CENTRALE", _("Administration centrale")
        SCN = "SCN", _("Service à compétence nationale")
        SERVICE_DECONCENTRE = "SERVICE_DECONCENTRE", _("Service déconcentré")
        EPA = "EPA", _("Établissement public administratif")
        EPIC = "EPIC", _("Établissement public industriel et commercial")
        GIP = "GIP", _("Groupement d'intérêt public")
        AAI_API = "AAI_API", _("Autorité administrative ou publique indépendante")
        ORGANISME_SECU_SOCIALE = "ORGANISME_SECU_SOCIALE", _("Organisme de sécurité sociale")
        PERSONNE_PRIVEE_MSP = (
            "PERSONNE_PRIVEE_MSP",
            _("Personne privée chargée d'une mission de service public"),
        )
        AUTRE = "AUTRE", _("Autre")

    name = models.CharField(_("nom"), max_length=300)
    ministry = models.ForeignKey(
        Ministry,
        verbose_name=_("ministère"),
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("rattachement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(_("nature"), max_length=32, choices=Kind.choices, default=Kind.AUTRE)
    siret = models.CharField(
        _("SIRET"), max_length=14, blank=True, validators=[validate_siret], db_index=True
    )
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    id_alt = models.CharField(_("identifiant alternatif"), max_length=100, blank=True)
    legal_person_siren = models.CharField(
        _("SIREN de la personne morale"), max_length=9, blank=True, validators=[validate_siren]
    )
    headcount_etp = models.PositiveIntegerField(_("effectif (ETP)"), null=True, blank=True)
    headcount_as_of = models.DateField(_("effectif au"), null=True, blank=True)
    datagouv_org_id = models.CharField(_("identifiant data.gouv.fr"), max_length=64, blank=True)
    path = models.CharField(_("chemin dans l'annuaire"), max_length=1000, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["ministry_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ministry", "parent", "name"], name="organization_unique_name_in_parent"
            )
        ]
        indexes = [models.Index(fields=["ministry", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def subject_l312_1_1(self) -> bool:
        """CRPA L312-1-1 applies from 50 agents (D312-1-1-1); central administrations always."""
        if self.kind == self.Kind.ADMIN_CENTRALE:
            return True
        return self.headcount_etp is None or self.headcount_etp >= 50

    def ancestor_ids(self, limit: int = 50) -> list[int]:
        """Ids from the parent up to the top of the tree (a bounded walk: one query a level)."""
        ids: list[int] = []
        node_id = self.parent_id
        while node_id is not None and len(ids) < limit:
            ids.append(node_id)
            node_id = (
                Organization.objects.filter(pk=node_id).values_list("parent_id", flat=True).first()
            )
        return ids

    def clean(self) -> None:
        if self.parent_id and self.parent and self.parent.ministry_id != self.ministry_id:
            raise ValidationError(
                {"parent": _("L'organisation parente doit relever du même ministère.")}
            )
        if self.pk and self.parent_id and self.pk in self.ancestor_ids():
            raise ValidationError({"parent": ORGANIZATION_CYCLE})


class Person(TimeStampedModel):
    first_name = models.CharField(_("prénom"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
    email = models.EmailField(_("courriel"), unique=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    job_title = models.CharField(_("fonction"), max_length=300, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    is_active = models.BooleanField(_("actif"), default=True)
    consent_directory = models.BooleanField(
        _("accepte de figurer dans l'annuaire public"),
        default=False,
        help_text=_(
            "Seules les personnes ayant donné leur accord apparaissent dans l'annuaire public."
        ),
    )

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def listed_in_directory(self) -> bool:
        """Named on public pages: agreed to it and still in the network (`public_directory`)."""
        return self.consent_directory and self.is_active


class MandateQuerySet(models.QuerySet["DataAdministrator"]):
    def current(self) -> MandateQuerySet:
        today = timezone.localdate()
        return self.filter(appointment_date__lte=today).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today)
        )

    def for_user(self, user: object) -> MandateQuerySet:
        from core.access import access_for

        access = access_for(user)
        if access.sees_all_ministries:
            return self
        return self.filter(ministry_id__in=access.visible_ministry_ids)


class DataAdministrator(TimeStampedModel):
    """One mandate of a person in the network (AMD/AMDAC, deputy, delegate, correspondent…)."""

    class Role(models.TextChoices):
        AMD_TITULAIRE = "AMD_TITULAIRE", _("Administrateur ministériel des données (titulaire)")
        AMD_DELEGUE = "AMD_DELEGUE", _("Administrateur ministériel délégué")
        AMD_ADJOINT = "AMD_ADJOINT", _("Adjoint / suppléant")
        CORRESPONDANT_DIRECTION = "CORRESPONDANT_DIRECTION", _("Correspondant données de direction")
        REFERENT_REGIONAL = (
            "REFERENT_REGIONAL",
            _("Référent régional données, algorithmes et codes sources"),
        )
        AGD_TEAM = "AGD_TEAM", _("Équipe de l'administrateur général des données (DINUM)")

    class HierarchicalPosition(models.TextChoices):
        SECRETARIAT_GENERAL = "SECRETARIAT_GENERAL", _("Secrétariat général")
        DIRECTION_GENERALE = "DIRECTION_GENERALE", _("Direction générale")
        DIRECTION_NUMERIQUE = "DIRECTION_NUMERIQUE", _("Direction du numérique")
        CABINET = "CABINET", _("Cabinet")
        INSPECTION = "INSPECTION", _("Inspection")
        SERVICE_STATISTIQUE = "SERVICE_STATISTIQUE", _("Service statistique")
        AUTRE = "AUTRE", _("Autre")

    class ActType(models.TextChoices):
        ARRETE = "ARRETE", _("Arrêté")
        DECISION = "DECISION", _("Décision")
        NOTE_DE_SERVICE = "NOTE_DE_SERVICE", _("Note de service")
        LETTRE_DE_MISSION = "LETTRE_DE_MISSION", _("Lettre de mission")
        CIRCULAIRE_INTERNE = "CIRCULAIRE_INTERNE", _("Circulaire interne")
        COURRIEL_SG = "COURRIEL_SG", _("Courriel du secrétariat général")
        AUTRE = "AUTRE", _("Autre")

    person = models.ForeignKey(
        Person, verbose_name=_("personne"), on_delete=models.PROTECT, related_name="mandates"
    )
    ministry = models.ForeignKey(
        Ministry,
        verbose_name=_("ministère"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mandates",
    )
    pole = models.ForeignKey(
        PoleMinisteriel, null=True, blank=True, on_delete=models.PROTECT, related_name="mandates"
    )
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    title_label = models.CharField(_("intitulé"), max_length=300, blank=True)
    perimeter = models.TextField(_("périmètre"), blank=True)
    perimeter_organizations = models.ManyToManyField(
        Organization, blank=True, related_name="+", verbose_name=_("organisations du périmètre")
    )
    region = models.CharField(_("région (code INSEE)"), max_length=3, blank=True)
    reports_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    hierarchical_position = models.CharField(
        _("positionnement"), max_length=32, choices=HierarchicalPosition.choices, blank=True
    )
    appointment_date = models.DateField(_("date de nomination"))
    end_date = models.DateField(_("date de fin"), null=True, blank=True)
    appointment_act_type = models.CharField(
        _("type d'acte"), max_length=32, choices=ActType.choices, blank=True
    )
    appointment_act_ref = models.CharField(_("référence de l'acte"), max_length=200, blank=True)
    appointment_act_url = models.URLField(_("lien vers l'acte"), blank=True)
    mission_letter_url = models.URLField(_("lettre de mission"), blank=True)
    time_share_pct = models.PositiveSmallIntegerField(
        _("quotité consacrée (%)"), null=True, blank=True
    )
    team_size_etp = models.DecimalField(
        _("équipe (ETP)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    objects = MandateQuerySet.as_manager()

    class Meta:
        verbose_name = _("mandat d'administrateur")
        verbose_name_plural = _("mandats d'administrateurs")
        ordering = ["-appointment_date"]
        constraints = [
            # At most one current titular per ministry (DOMAIN §4.2, rule 10). This index holds on
            # every database; on PostgreSQL migration 0002 adds an exclusion constraint so that
            # no two titular mandates of one ministry overlap in time at all.
            models.UniqueConstraint(
                fields=["ministry"],
                condition=Q(role="AMD_TITULAIRE", end_date__isnull=True, ministry__isnull=False),
                name="one_open_titular_per_ministry",
                violation_error_message=_(
                    "Ce ministère a déjà un administrateur ministériel des données titulaire en "
                    "fonction. Clôturez son mandat avant d'en nommer un autre."
                ),
            ),
            models.UniqueConstraint(
                fields=["pole"],
                condition=Q(role="AMD_TITULAIRE", end_date__isnull=True, pole__isnull=False),
                name="one_open_titular_per_pole",
                violation_error_message=_(
                    "Ce pôle a déjà un administrateur titulaire en fonction."
                ),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("appointment_date")),
                name="mandate_end_after_start",
                violation_error_message=_("La date de fin précède la date de nomination."),
            ),
            models.CheckConstraint(
                condition=Q(time_share_pct__isnull=True) | Q(time_share_pct__lte=100),
                name="mandate_time_share_max_100",
                violation_error_message=_("La quotité ne peut pas dépasser 100 %."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()}"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.appointment_date <= today and (self.end_date is None or self.end_date >= today)

    @property
    def has_act(self) -> bool:
        return bool(self.appointment_act_ref or self.appointment_act_url)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.end_date and self.appointment_date and self.end_date < self.appointment_date:
            errors["end_date"] = str(_("La date de fin précède la date de nomination."))
        if not self.ministry_id and not self.pole_id and self.role != self.Role.AGD_TEAM:
            errors["ministry"] = str(_("Indiquez le ministère (ou le pôle) du mandat."))
        if self.role == self.Role.REFERENT_REGIONAL and not self.region:
            errors["region"] = str(
                _("Le code de région est obligatoire pour un référent régional.")
            )
        if errors:
            raise ValidationError(errors)


class Membership(TimeStampedModel):
    """A role of a user account, network-wide (ministry empty) or within one ministry."""

    class Role(models.TextChoices):
        CHIEF_DATA_OFFICER = "CHIEF_DATA_OFFICER", _("Administrateur général des données (DINUM)")
        DINUM_STAFF = "DINUM_STAFF", _("Équipe DINUM")
        MINISTRY_ADMIN = "MINISTRY_ADMIN", _("Administrateur ministériel des données")
        CORRESPONDENT = "CORRESPONDENT", _("Correspondant")
        TRAINER = "TRAINER", _("Formateur")
        VIEWER = "VIEWER", _("Lecteur")

    class AdminKind(models.TextChoices):
        TITULAIRE = "TITULAIRE", _("Titulaire")
        ADJOINT = "ADJOINT", _("Adjoint")
        DELEGUE = "DELEGUE", _("Délégué")

    NETWORK_ROLES = {Role.CHIEF_DATA_OFFICER, Role.DINUM_STAFF}
    MINISTRY_ROLES = {Role.MINISTRY_ADMIN, Role.CORRESPONDENT}

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    ministry = models.ForeignKey(
        Ministry,
        verbose_name=_("ministère"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    admin_kind = models.CharField(
        _("qualité"), max_length=16, choices=AdminKind.choices, blank=True
    )
    organizations = models.ManyToManyField(
        Organization, blank=True, related_name="memberships", verbose_name=_("organisations")
    )
    valid_until = models.DateField(_("valide jusqu'au"), null=True, blank=True)

    class Meta:
        verbose_name = _("rôle d'un compte")
        verbose_name_plural = _("rôles des comptes")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "ministry"],
                name="membership_unique_role_per_ministry",
                violation_error_message=_("Ce compte a déjà ce rôle dans ce périmètre."),
            ),
            # A network-wide role (no ministry: NULLs are distinct above) is held once as well;
            # a partial index, which SQLite has too (it has no NULLS NOT DISTINCT).
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(ministry__isnull=True),
                name="membership_unique_network_role",
                violation_error_message=_("Ce compte a déjà ce rôle dans ce périmètre."),
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["MINISTRY_ADMIN", "CORRESPONDENT"])
                | Q(ministry__isnull=False),
                name="membership_ministry_roles_need_ministry",
                violation_error_message=_("Ce rôle s'exerce dans un ministère : indiquez-le."),
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["CHIEF_DATA_OFFICER", "DINUM_STAFF"])
                | Q(ministry__isnull=True),
                name="membership_network_roles_have_no_ministry",
                violation_error_message=_(
                    "Ce rôle s'exerce sur tout le réseau : ne choisissez pas de ministère."
                ),
            ),
        ]

    def __str__(self) -> str:
        where = self.ministry.short_name or self.ministry.name if self.ministry else _("réseau")
        return f"{self.user} — {self.get_role_display()} ({where})"
