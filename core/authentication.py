"""Token authentication for REST clients: `Authorization: Token amd_<id>_<secret>`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.request import Request

from core.models import TOKEN_PREFIX, ApiToken


class HashedTokenAuthentication(BaseAuthentication):
    keywords = (b"token", b"bearer")

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("En-tête d'authentification mal formé.")
        try:
            raw = parts[1].decode()
            prefix, key_id, secret = raw.split("_", 2)
        except (UnicodeDecodeError, ValueError):
            raise exceptions.AuthenticationFailed("Jeton invalide.") from None
        if prefix != TOKEN_PREFIX:
            raise exceptions.AuthenticationFailed("Jeton invalide.")
        token = ApiToken.objects.select_related("user").filter(key_id=key_id).first()
        if token is None or not token.matches(secret):
            raise exceptions.AuthenticationFailed("Jeton inconnu.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("Ce jeton a été révoqué.")
        if not token.is_active:
            raise exceptions.AuthenticationFailed("Ce jeton a expiré.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("Le compte associé à ce jeton est désactivé.")
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="api"'


class HashedTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token scheme in the OpenAPI schema (and in Swagger UI's "Authorize")."""

    target_class = HashedTokenAuthentication
    name = "jetonAPI"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Jeton créé sur la page « Mon compte » : `Token amd_<identifiant>_<secret>`. "
                "Lecture seule sauf si l'écriture a été accordée."
            ),
        }


class PortalSessionAuthentication(SessionAuthentication):
    """DRF's session authentication (the browser's own calls), its CSRF refusal in French."""

    def enforce_csrf(self, request: Request) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(
                "Jeton CSRF absent ou invalide : rechargez la page, ou authentifiez-vous par un "
                "jeton d'API (en-tête Authorization)."
            ) from None


class PortalSessionScheme(SessionScheme):
    """The session scheme in the OpenAPI schema, as drf-spectacular describes DRF's."""

    target_class = "core.authentication.PortalSessionAuthentication"
