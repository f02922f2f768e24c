"""Who may see and change inventory entries (predicates on the caller's scope).

- seeing an entry: network staff everything; ministry roles their ministries' entries (drafts
  included); a network-wide viewer the published entries of every ministry;
- changing an entry: network staff, the ministry's administrators, and the correspondents of the
  entry's organisation (`core.access.can_edit_in_organization`);
- qualifying an entry: network staff and the ministry's administrators; a correspondent only
  proposes a qualification, which they validate or reject (DOMAIN §4.18, `datasets.proposals`);
- extra-field definitions: DINUM staff or an administrator of that ministry;
- internal justifications: network staff and the ministry's administrators only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.access import access_for
from core.permissions import token_may_write

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

    from datasets.models import DataAsset


def can_view_asset(user: Any, asset: DataAsset) -> bool:
    access = access_for(user)
    if access.is_network_staff or asset.ministry_id in access.visible_ministry_ids:
        return True
    return access.network_viewer and asset.visibility == "PUBLISHED"


def can_edit_asset(user: Any, asset: DataAsset) -> bool:
    return access_for(user).can_edit_in_organization(asset.ministry_id, asset.organization_id)


def can_qualify_asset(user: Any, asset: DataAsset) -> bool:
    """Set the qualification directly (and review proposals): DINUM staff or a ministry admin."""
    return access_for(user).can_edit_ministry(asset.ministry_id)


def can_propose_qualification(user: Any, asset: DataAsset) -> bool:
    """A correspondent of the entry's organisation: their qualification is only a proposal."""
    return can_edit_asset(user, asset) and not can_qualify_asset(user, asset)


def can_review_proposals(user: Any, ministry_id: int | None = None) -> bool:
    """Accept or reject qualification proposals (of `ministry_id`, or of any ministry)."""
    access = access_for(user)
    if ministry_id is None:
        return access.is_network_staff or access.is_ministry_admin
    return access.can_edit_ministry(ministry_id)


def can_create_in(user: Any, ministry_id: int, organization_id: int | None) -> bool:
    return access_for(user).can_edit_in_organization(ministry_id, organization_id)


def can_create_any(user: Any) -> bool:
    access = access_for(user)
    return access.is_network_staff or bool(
        access.admin_ministry_ids or access.correspondent_org_ids
    )


def can_manage_extra_fields(user: Any, ministry_id: int) -> bool:
    return access_for(user).can_edit_ministry(ministry_id)


def can_see_internal_justification(user: Any, ministry_id: int) -> bool:
    access = access_for(user)
    return access.is_network_staff or ministry_id in access.admin_ministry_ids


def can_review_reference_data(user: Any) -> bool:
    """Moving a reference-data designation past "proposed" is DINUM's decision (DOMAIN §4.18)."""
    return access_for(user).is_network_staff


def ensure_can_view_asset(user: Any, asset: DataAsset) -> None:
    if not can_view_asset(user, asset):
        raise Http404


def ensure_can_edit_asset(user: Any, asset: DataAsset) -> None:
    ensure_can_view_asset(user, asset)
    if not can_edit_asset(user, asset):
        raise PermissionDenied("Vous ne pouvez pas modifier les entrées de cette organisation.")


def ensure_can_qualify_asset(user: Any, asset: DataAsset) -> None:
    ensure_can_edit_asset(user, asset)
    if not can_qualify_asset(user, asset):
        raise PermissionDenied(
            "Vous ne pouvez que proposer une qualification : un administrateur ministériel du "
            "ministère la valide."
        )


def ensure_can_manage_extra_fields(user: Any, ministry_id: int) -> None:
    access = access_for(user)
    if not access.can_view_ministry(ministry_id):
        raise Http404
    if not access.can_edit_ministry(ministry_id):
        raise PermissionDenied(
            "Seuls la DINUM et les administrateurs du ministère définissent ses champs propres."
        )


class AssetPermission(BasePermission):
    """Read: authenticated (the queryset is scoped). Write: a write-enabled token or a session,
    and the right to edit the entry's organisation."""

    message = "Vous ne pouvez pas modifier cette entrée."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        if not token_may_write(request):
            self.message = "Ce jeton ne permet que la lecture."
            return False
        return True

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        asset = getattr(obj, "asset", obj)
        if getattr(obj, "ministry_id", None) is not None and not hasattr(obj, "organization_id"):
            # extra-field definitions and other ministry-level objects
            return can_manage_extra_fields(request.user, obj.ministry_id)
        return can_edit_asset(request.user, asset)
