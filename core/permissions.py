"""Predicates on the caller's scope and the DRF permission classes built on them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.access import access_for
from core.models import ApiToken

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


def token_may_write(request: Request) -> bool:
    auth = getattr(request, "auth", None)
    return not isinstance(auth, ApiToken) or auth.can_write


class IsAuthenticatedWithTokenScope(BasePermission):
    """Authenticated; an API token that was not granted write access may only read."""

    message = "Ce jeton ne permet que la lecture."
    token_read_only_message = "Ce jeton ne permet que la lecture."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method not in SAFE_METHODS and not token_may_write(request):
            # Raised rather than returned so that subclasses keep this message.
            raise exceptions.PermissionDenied(self.token_read_only_message)
        return True


class IsNetworkStaffOrReadOnly(IsAuthenticatedWithTokenScope):
    message = "Seule l'équipe DINUM peut modifier ces données."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or access_for(request.user).is_network_staff


def ensure_can_view_ministry(user: Any, ministry_id: int | None) -> None:
    """Another ministry's record answers 404: its existence does not leak."""
    if not access_for(user).can_view_ministry(ministry_id):
        raise Http404


def ensure_can_edit_ministry(user: Any, ministry_id: int | None) -> None:
    access = access_for(user)
    if not access.can_view_ministry(ministry_id):
        raise Http404
    if not access.can_edit_ministry(ministry_id):
        raise PermissionDenied("Vous ne pouvez pas modifier les données de ce ministère.")


def ensure_network_staff(user: Any) -> None:
    if not access_for(user).is_network_staff:
        raise PermissionDenied(
            "Action réservée à l'équipe de l'administrateur général des données."
        )
