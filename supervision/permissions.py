"""Who may see and change what in supervision (predicates + the DRF permission classes).

- Network dashboard, indicators, quarter computation: network staff (chief data officer, DINUM)
  read and act; network-wide viewers read; anyone else signed in gets 403.
- A ministry's drill-down and its roadmaps: network staff and viewers, and the members of that
  ministry; another ministry answers 404.
- Meetings: network staff edit; everyone with a role in the network reads the network meetings
  and those of their own ministry (another ministry's sprint or bilateral answers 404).
- Roadmaps and their actions: edited by the ministry's administrators and network staff.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.access import access_for
from core.permissions import IsAuthenticatedWithTokenScope


def can_view_dashboard(user: Any) -> bool:
    return access_for(user).sees_all_ministries


def can_act_on_network(user: Any) -> bool:
    return access_for(user).is_network_staff


def can_view_meetings(user: Any) -> bool:
    access = access_for(user)
    return access.sees_all_ministries or bool(access.visible_ministry_ids)


def can_edit_ministry(user: Any, ministry_id: int) -> bool:
    return access_for(user).can_edit_ministry(ministry_id)


def ensure_dashboard(user: Any) -> None:
    if not can_view_dashboard(user):
        raise PermissionDenied("Le tableau de bord du réseau est réservé à l'équipe DINUM.")


def ensure_network_staff(user: Any) -> None:
    if not can_act_on_network(user):
        raise PermissionDenied(
            "Action réservée à l'équipe de l'administrateur général des données."
        )


def ensure_meetings(user: Any) -> None:
    if not can_view_meetings(user):
        raise PermissionDenied("Les réunions du réseau sont réservées à ses membres.")


def ensure_view_ministry(user: Any, ministry_id: int) -> None:
    if not access_for(user).can_view_ministry(ministry_id):
        raise Http404


def ensure_edit_ministry(user: Any, ministry_id: int) -> None:
    ensure_view_ministry(user, ministry_id)
    if not can_edit_ministry(user, ministry_id):
        raise PermissionDenied("Vous ne pouvez pas modifier les données de ce ministère.")


class NetworkReader(IsAuthenticatedWithTokenScope):
    """Network-wide reads (network staff and viewers); writes for network staff."""

    message = "Ces données du réseau sont réservées à l'équipe DINUM et aux lecteurs du réseau."

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        access = access_for(request.user)
        if request.method in SAFE_METHODS:
            return access.sees_all_ministries
        return access.is_network_staff


class NetworkMember(IsAuthenticatedWithTokenScope):
    """Reads for anyone with a role in the network; writes for network staff."""

    message = "Réservé aux membres du réseau ; seule l'équipe DINUM peut modifier."

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS:
            return can_view_meetings(request.user)
        return can_act_on_network(request.user)


class MinistryMember(IsAuthenticatedWithTokenScope):
    """Reads scoped by `for_user`; writes checked per object (ministry administrators, DINUM)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        return can_view_meetings(request.user)


class OwnMinistryWriter(BasePermission):
    message = "Vous ne pouvez pas modifier les données de ce ministère."

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_edit_ministry(request.user, obj.ministry_id)
