"""Who may change what in the network (issue #2, DOMAIN §4.18).

Decisions (documented here because every view, API and service asks these predicates):

- The ministry list (`/ministeres/`, signed-in users): every ministry with what is public anyway
  (name, whether a titular is appointed — the home page's "12 / 16" —, number of organisations,
  status); only the ministries the caller may open are links. The API's `/ministries/` follows
  the stricter scope below (a token sees only what its account may open).
- The public directory (`/annuaire/`, anonymous): current mandates of people whose
  `consent_directory` is set, with name, role, title and ministry only. Never an e-mail or a
  phone number: the consent covers being listed, not being contacted; the ministry's
  institutional contacts (PRADA, DPO) are the public way in. The home page shows recent
  appointments with the name only when the person consented.
- Reading a ministry page, its organisations and mandates: whoever `core.access` lets see the
  ministry (network staff and network viewers: all; administrators, correspondents and viewers of
  the ministry: their own). Anyone else gets a 404 so that the record's existence does not leak.
- Creating a ministry, changing its identity (code, names, pole, validity, successor, scope of
  the FR0034 commitment): network staff (chief data officer, DINUM staff) only.
- A ministry's contact fields (PRADA, DPO, data page): network staff and the ministry's own
  administrators (titular, deputy, delegate), who know them first.
- Organisations of a ministry: network staff and the ministry's administrators.
- Mandates: network staff for every role. A ministry administrator records the
  correspondents of their own ministry (`CORRESPONDANT_DIRECTION`) and nothing else: titular,
  deputy, delegate and regional referent appointments are recorded by the DINUM team.
- Roles of user accounts (memberships): network staff; only the chief data officer (or a
  superuser) grants or revokes the chief data officer role.
- Correspondents, viewers and trainers change nothing here (403 when they can see the page).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from core.access import access_for

MINISTRY_CONTACT_FIELDS = frozenset(
    {
        "prada_name",
        "prada_email",
        "prada_act_ref",
        "prada_url",
        "dpo_name",
        "dpo_email",
        "dpo_cnil_notified",
        "data_webpage_url",
    }
)
MINISTRY_ADMIN_MANDATE_ROLES = frozenset({"CORRESPONDANT_DIRECTION"})


def can_view_ministry(user: Any, ministry_id: int | None) -> bool:
    return access_for(user).can_view_ministry(ministry_id)


def can_create_ministry(user: Any) -> bool:
    return access_for(user).is_network_staff


def can_edit_ministry_identity(user: Any) -> bool:
    return access_for(user).is_network_staff


def can_edit_ministry_contacts(user: Any, ministry_id: int) -> bool:
    return access_for(user).can_edit_ministry(ministry_id)


def can_manage_organizations(user: Any, ministry_id: int) -> bool:
    return access_for(user).can_edit_ministry(ministry_id)


def can_manage_mandate(user: Any, ministry_id: int | None, role: str) -> bool:
    access = access_for(user)
    if access.is_network_staff:
        return True
    return (
        ministry_id is not None
        and ministry_id in access.admin_ministry_ids
        and role in MINISTRY_ADMIN_MANDATE_ROLES
    )


def can_add_any_mandate(user: Any, ministry_id: int) -> bool:
    """Whether the "add a mandate" button makes sense for this caller on this ministry."""
    access = access_for(user)
    return access.is_network_staff or ministry_id in access.admin_ministry_ids


def can_manage_memberships(user: Any) -> bool:
    return access_for(user).is_network_staff


def can_grant_role(user: Any, role: str) -> bool:
    access = access_for(user)
    if role == "CHIEF_DATA_OFFICER":
        return access.is_chief_data_officer
    return access.is_network_staff


# --- ensure_* : raise 404 (not visible) or 403 (visible, not changeable) ----------------------


def _ensure_visible(user: Any, ministry_id: int | None) -> None:
    if ministry_id is not None and not can_view_ministry(user, ministry_id):
        raise Http404


def ensure_can_create_ministry(user: Any) -> None:
    if not can_create_ministry(user):
        raise PermissionDenied("Seule l'équipe DINUM peut créer un ministère.")


def ensure_can_edit_ministry_fields(user: Any, ministry_id: int, fields: set[str]) -> None:
    _ensure_visible(user, ministry_id)
    if can_edit_ministry_identity(user):
        return
    if not can_edit_ministry_contacts(user, ministry_id):
        raise PermissionDenied("Vous ne pouvez pas modifier les données de ce ministère.")
    forbidden = fields - MINISTRY_CONTACT_FIELDS
    if forbidden:
        raise PermissionDenied(
            "Seule l'équipe DINUM peut modifier l'identité d'un ministère "
            f"({', '.join(sorted(forbidden))})."
        )


def ensure_can_manage_organizations(user: Any, ministry_id: int) -> None:
    _ensure_visible(user, ministry_id)
    if not can_manage_organizations(user, ministry_id):
        raise PermissionDenied("Vous ne pouvez pas modifier les organisations de ce ministère.")


def ensure_can_manage_mandate(user: Any, ministry_id: int | None, role: str) -> None:
    _ensure_visible(user, ministry_id)
    if not can_manage_mandate(user, ministry_id, role):
        raise PermissionDenied(
            "Vous ne pouvez pas enregistrer ce mandat : les administrateurs ministériels "
            "enregistrent les correspondants de leur ministère, l'équipe DINUM tous les mandats."
        )


def ensure_can_manage_memberships(user: Any, role: str | None = None) -> None:
    if not can_manage_memberships(user):
        raise PermissionDenied(
            "Action réservée à l'équipe de l'administrateur général des données."
        )
    if role is not None and not can_grant_role(user, role):
        raise PermissionDenied(
            "Seul l'administrateur général des données peut attribuer ou retirer ce rôle."
        )
