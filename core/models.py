"""What every app shares: the user, base mixins, audit trail, API tokens and the legal tables.

Legal reference lists (exception grounds, licences, D312-1-3 categories, HVD categories) are data
rows with their source and version date, loaded from core/data/*.json, never Python enums:
articles get amended and DINUM staff edit them in the admin.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def normalize_email(value: str | None) -> str:
    """An e-mail address as the portal stores and compares it: without the spaces around it
    and all in lower case, so that one person has one account and one record (sign-in, the
    roles form and the people services look addresses up without regard to case)."""
    return (value or "").strip().lower()


class _WithEmail(Protocol):
    email: str


_Holder = TypeVar("_Holder", bound=_WithEmail)


def accounts_for_email(candidates: Iterable[_Holder], email: str | None) -> list[_Holder]:
    """Of `candidates`, the accounts (or people) holding `email` in any case, those it
    designates: the one whose stored address is `normalize_email(email)` exactly when there is
    one, else all of them. Older rows may hold two addresses differing only in case (the portal
    now stores one form); sign-in, password reset, roles and mandates decide between them with
    this one rule."""
    found = list(candidates)
    exact = [u for u in found if u.email == normalize_email(email)]
    return exact or found


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("L'adresse électronique est obligatoire.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def with_email(self, email: str | None) -> models.QuerySet[User]:
        """The accounts holding `email` in any case, oldest first (several only in older data:
        choose with `accounts_for_email`)."""
        return self.filter(email__iexact=normalize_email(email)).order_by("pk")

    def get_by_natural_key(self, username: str | None) -> User:
        """The account stored as `username` (what `natural_key()` gives), else the one it
        designates in any case; MultipleObjectsReturned when older rows leave it ambiguous."""
        found = list(self.with_email(username))
        accounts = [u for u in found if u.email == username] or accounts_for_email(found, username)
        if not accounts:
            raise self.model.DoesNotExist("Aucun compte n'a cette adresse électronique.")
        if len(accounts) > 1:
            raise self.model.MultipleObjectsReturned(
                "Plusieurs comptes ont cette adresse électronique à la casse près."
            )
        return accounts[0]


class User(AbstractUser):
    """A person who signs in. Login is by e-mail; roles come from `administrators.Membership`."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("adresse électronique"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        """Django lower-cases the domain only; the portal, the whole address. One of an older
        pair differing only in case keeps its address as stored (the other holds it in lower
        case): it stays editable, to be deactivated or given another address, which is how the
        pair is merged."""
        super().clean()
        email = normalize_email(self.email)
        if (
            email != self.email
            and self.pk is not None
            and type(self)._default_manager.filter(email=email).exclude(pk=self.pk).exists()
        ):
            return
        self.email = email


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One change to one record: who, when, what (before/after per field)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=64)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True)
    ministry_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal des modifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_repr} ({self.created_at:%Y-%m-%d %H:%M})"


TOKEN_PREFIX = "amd"


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A REST client's token. Only a SHA-256 of the secret is stored; the key is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("nom"), max_length=100)
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    can_write = models.BooleanField(_("écriture autorisée"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}_{self.key_id}_…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """Return (full key, key id, secret hash)."""
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        return f"{TOKEN_PREFIX}_{key_id}_{secret}", key_id, _hash_secret(secret)

    def matches(self, secret: str) -> bool:
        return secrets.compare_digest(self.secret_hash, _hash_secret(secret))


# --- Legal reference tables (data, with source) -------------------------------------------


class ReferenceRow(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True)
    label = models.CharField(_("libellé"), max_length=500)
    source_url = models.URLField(_("source"), max_length=500, blank=True)
    version_date = models.DateField(_("version du"), null=True, blank=True)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label


class LegalReference(models.Model):
    """An article of law or regulation, with the version the portal relies on."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    text_name = models.CharField(_("texte"), max_length=200)
    article = models.CharField(_("article"), max_length=64)
    paragraph = models.CharField(_("alinéa"), max_length=64, blank=True)
    version_date = models.DateField(_("version du"), null=True, blank=True)
    url = models.URLField(_("source"), max_length=500, blank=True)
    excerpt = models.TextField(_("extrait"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("référence juridique")
        verbose_name_plural = _("références juridiques")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.text_name} {self.article}{(' ' + self.paragraph) if self.paragraph else ''}"


class LegalGround(ReferenceRow):
    """An exception ground (CRPA L311-5, L311-6), scope exclusion or reuse limit."""

    class Regime(models.TextChoices):
        ABSOLU = "ABSOLU", _("Secret absolu (incommunicable)")
        INTERESSE = "INTERESSE", _("Communicable au seul intéressé")
        SCOPE = "SCOPE", _("Hors du champ de l'obligation")
        REUSE = "REUSE", _("Limite à la réutilisation")
        FLAG = "FLAG", _("Régime particulier (indicateur)")

    regime = models.CharField(_("régime"), max_length=16, choices=Regime.choices)
    paragraph = models.CharField(_("alinéa"), max_length=32, blank=True)
    legal_reference = models.ForeignKey(
        LegalReference, null=True, blank=True, on_delete=models.PROTECT, related_name="grounds"
    )
    requires_sub_reference = models.BooleanField(_("précision requise"), default=False)
    occultable = models.BooleanField(_("occultable"), default=True)

    class Meta(ReferenceRow.Meta):
        verbose_name = _("motif juridique")
        verbose_name_plural = _("motifs juridiques")

    @property
    def bars_publication(self) -> bool:
        return self.regime in {self.Regime.ABSOLU, self.Regime.INTERESSE} or self.code.startswith(
            "L312_1_2_"
        )


class Licence(models.Model):
    class Family(models.TextChoices):
        DONNEES = "DONNEES", _("Données")
        LOGICIEL_PERMISSIVE = "LOGICIEL_PERMISSIVE", _("Logiciel — permissive")
        LOGICIEL_RECIPROCITE = "LOGICIEL_RECIPROCITE", _("Logiciel — à réciprocité")
        AUTRE = "AUTRE", _("Autre")

    spdx_id = models.CharField(_("identifiant"), max_length=64, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    family = models.CharField(_("famille"), max_length=32, choices=Family.choices)
    is_decree_listed = models.BooleanField(_("inscrite au décret D323-2-1"), default=False)
    homologation_ref = models.CharField(_("référence d'homologation"), max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    aliases = models.JSONField(
        _("autres libellés"),
        default=list,
        blank=True,
        help_text=_("Libellés reconnus à l'import (ex. « Licence ouverte »)."),
    )
    source_url = models.URLField(_("source"), max_length=500, blank=True)
    version_date = models.DateField(_("version du"), null=True, blank=True)

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_compliant(self) -> bool:
        return self.is_decree_listed or bool(self.homologation_ref)


class NoAnonymisationCategory(ReferenceRow):
    """Categories of documents publishable without anonymisation (CRPA D312-1-3)."""

    class Meta(ReferenceRow.Meta):
        verbose_name = _("catégorie D312-1-3")
        verbose_name_plural = _("catégories D312-1-3")


class PersonalDataCategory(ReferenceRow):
    """Categories of personal data an entry may hold (RGPD art. 4, 9 and 10; the NIR, LIL
    art. 30; the CNIL's model of the record of processing). `sensitive`: a special category
    (art. 9), criminal data (art. 10) or the NIR, which the law restricts further."""

    sensitive = models.BooleanField(_("sensible"), default=False)
    legal_basis = models.CharField(_("base légale"), max_length=200, blank=True)

    class Meta(ReferenceRow.Meta):
        verbose_name = _("catégorie de données personnelles")
        verbose_name_plural = _("catégories de données personnelles")


class HvdCategory(ReferenceRow):
    """High-value dataset categories (Implementing Regulation (EU) 2023/138)."""

    class Meta(ReferenceRow.Meta):
        verbose_name = _("catégorie de données de forte valeur")
        verbose_name_plural = _("catégories de données de forte valeur")
