"""Who may do what with trainings, events and impact indicators.

- The catalogue, sessions and events are public (anyone reads them).
- Any signed-in account registers for a session (officials of every ministry).
- Trainers (role TRAINER) schedule sessions; a session is edited, its attendance marked and its
  registrations listed only by *its* trainers and by DINUM staff. Another trainer's session is
  visible (it is public), so editing it answers **403**, not 404.
- Events, indicator definitions and measurements are edited by DINUM staff.
- The N16 statistics page is for network staff and network-wide viewers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.access import access_for
from core.permissions import token_may_write

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

    from trainings.models import Registration, TrainingSession

NOT_YOUR_SESSION = (
    "Vous n'êtes pas formateur de cette session : seuls ses formateurs et l'équipe DINUM "
    "peuvent la modifier."
)


def can_schedule_sessions(user: Any) -> bool:
    access = access_for(user)
    return access.is_network_staff or access.trainer


def is_session_trainer(user: Any, session: TrainingSession) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cache = getattr(session, "_prefetched_objects_cache", {})
    if "trainers" in cache:
        return any(t.pk == user.pk for t in session.trainers.all())
    return session.trainers.filter(pk=user.pk).exists()


def can_edit_session(user: Any, session: TrainingSession) -> bool:
    if access_for(user).is_network_staff:
        return True
    return can_schedule_sessions(user) and is_session_trainer(user, session)


def ensure_can_schedule(user: Any) -> None:
    if not can_schedule_sessions(user):
        raise PermissionDenied(
            "Seuls les formateurs et l'équipe DINUM peuvent planifier une session."
        )


def ensure_can_edit_session(user: Any, session: TrainingSession) -> None:
    if not can_edit_session(user, session):
        raise PermissionDenied(NOT_YOUR_SESSION)


def can_see_visio_link(user: Any, session: TrainingSession) -> bool:
    """The video-conference link is given to seated officials, the session's trainers and DINUM
    staff, not published to everyone (uses the annotation `my_registration_status` and the
    prefetched trainers of `selectors.session_queryset(user)` when present)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if can_edit_session(user, session):
        return True
    status = getattr(session, "my_registration_status", None)
    if status is None and not hasattr(session, "my_registration_status"):
        status = (
            session.registrations.filter(user_id=user.pk, status="INSCRIT")
            .values_list("status", flat=True)
            .first()
        )
    return status == "INSCRIT"


def can_view_registration(user: Any, registration: Registration) -> bool:
    access = access_for(user)
    if not access.authenticated:
        return False
    if registration.user_id == user.pk or access.sees_all_ministries:
        return True
    if registration.ministry_id in access.admin_ministry_ids:
        return True
    return is_session_trainer(user, registration.session)


def can_edit_network_records(user: Any) -> bool:
    return access_for(user).is_network_staff


def can_view_training_stats(user: Any) -> bool:
    return access_for(user).sees_all_ministries


# --- DRF ------------------------------------------------------------------------------------


class PublicReadStaffWrite(BasePermission):
    """Anyone reads; DINUM staff write with a session or a write-enabled token."""

    message = "Seule l'équipe DINUM peut modifier ces données."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        return token_may_write(request) and can_edit_network_records(request.user)


class SessionPermission(BasePermission):
    """Anyone reads; trainers and staff create; only the session's trainers (or staff) change it.
    Custom actions (register, attendance…) check their own rules in the service."""

    message = "Seuls les formateurs et l'équipe DINUM peuvent planifier une session."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in SAFE_METHODS:
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        if not token_may_write(request):
            self.message = "Ce jeton ne permet que la lecture."
            return False
        if getattr(view, "action", None) == "create":
            return can_schedule_sessions(request.user)
        return True

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        editing = getattr(view, "action", None) in {"update", "partial_update", "destroy"}
        if editing and not can_edit_session(request.user, obj):
            self.message = NOT_YOUR_SESSION
            return False
        return True
