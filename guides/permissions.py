"""Who may read and edit guides: everybody reads published versions; DINUM staff edit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.access import access_for
from core.permissions import token_may_write

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

    from guides.models import GuideVersion


def can_edit_guides(user: Any) -> bool:
    return access_for(user).is_network_staff


def can_read_version(user: Any, version: GuideVersion) -> bool:
    """Published versions, and archived ones that were published, are public; drafts, reviews
    and archived drafts (never in force) are for the editors."""
    if version.status in {"PUBLIEE", "ARCHIVEE"} and version.published_at is not None:
        return True
    return can_edit_guides(user)


class GuidePermission(BasePermission):
    """Anyone reads (the guides are public); network staff write, with a write-enabled token."""

    message = "Seule l'équipe DINUM peut modifier les guides."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        return token_may_write(request) and can_edit_guides(request.user)
