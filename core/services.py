"""Writes of the `core` app: API tokens (created and revoked from the account page)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.access import Access, access_for
from core.audit import audit_record
from core.models import ApiToken, User

# Past this many active tokens, old ones have to be revoked first (a leaked script creating
# tokens in a loop stops here, and the account page stays readable).
MAX_ACTIVE_TOKENS_PER_USER = 20
TOKEN_NAME_MAX_LENGTH = 100


def has_write_role(access: Access) -> bool:
    """A role that may change something through the API (so a token may be granted writing)."""
    return bool(
        access.is_network_staff
        or access.admin_ministry_ids
        or access.correspondent_org_ids
        or access.trainer
    )


def _token_changes(token: ApiToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "key_id": token.key_id,
        "can_write": token.can_write,
        "expires_at": token.expires_at,
    }


@transaction.atomic
def token_create(
    *,
    actor: Any,
    name: str,
    can_write: bool = False,
    expires_at: datetime.datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token for `actor`; returns the token and its full key (shown only once:
    only a hash of the secret is stored)."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied("Connectez-vous pour créer un jeton d'API.")
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors.setdefault("name", []).append(
            "Donnez un nom au jeton (par exemple l'outil qui l'utilise)."
        )
    elif len(name) > TOKEN_NAME_MAX_LENGTH:
        errors.setdefault("name", []).append(
            f"Le nom du jeton ne doit pas dépasser {TOKEN_NAME_MAX_LENGTH} caractères."
        )
    if can_write and not has_write_role(access_for(actor)):
        errors.setdefault("can_write", []).append(
            "Vos rôles ne permettent que la lecture : un jeton ne peut pas avoir plus de droits "
            "que son titulaire."
        )
    if expires_at is not None and expires_at <= timezone.now():
        errors.setdefault("expires_at", []).append("La date d'expiration doit être dans le futur.")
    # Lock the account row so that two simultaneous requests cannot exceed the limit.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    active = ApiToken.objects.filter(user=actor, revoked_at__isnull=True).exclude(
        expires_at__lte=timezone.now()
    )
    if name and active.filter(name__iexact=name).exists():
        errors.setdefault("name", []).append("Vous avez déjà un jeton actif portant ce nom.")
    if active.count() >= MAX_ACTIVE_TOKENS_PER_USER:
        errors.setdefault("__all__", []).append(
            f"Vous avez déjà {MAX_ACTIVE_TOKENS_PER_USER} jetons actifs : révoquez ceux qui ne "
            "servent plus avant d'en créer un autre."
        )
    if errors:
        raise ValidationError(errors)
    key, key_id, secret_hash = ApiToken.generate()
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        key_id=key_id,
        secret_hash=secret_hash,
        can_write=bool(can_write),
        expires_at=expires_at,
    )
    audit_record(
        actor=actor, action="api_token.created", target=token, changes=_token_changes(token)
    )
    return token, key


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke `token`: its owner may, and so may network staff (a leaked key reported to them)."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Connectez-vous pour révoquer un jeton d'API.")
    if token.user_id != actor.pk and not access_for(actor).is_network_staff:
        raise PermissionDenied("Ce jeton ne vous appartient pas.")
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        raise ValidationError("Ce jeton est déjà révoqué.")
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="api_token.revoked",
        target=locked,
        changes={"revoked_at": [None, locked.revoked_at], "owner": locked.user_id},
    )
    token.revoked_at = locked.revoked_at
    return locked
