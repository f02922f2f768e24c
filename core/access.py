"""The caller's scope, computed once per request from the account's memberships.

Every selector, form, serializer and permission asks `access_for(user)`; the result is cached on
the user object so a page costs one query for roles, whatever it shows.

Rules (DOMAIN §4.18, issue #2):
- chief data officer and DINUM staff: every ministry, read and write on network records;
- ministry administrator (titular, deputy, delegate): read and write within their ministries;
- correspondent: read within the ministry, write within the listed organisations;
- viewer: read only, within a ministry or (no ministry) network-wide;
- trainer: network-wide training sessions; no ministry data beyond the public pages.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

NETWORK_ROLES = frozenset({"CHIEF_DATA_OFFICER", "DINUM_STAFF"})


@dataclass(frozen=True)
class Access:
    authenticated: bool = False
    is_superuser: bool = False
    network_roles: frozenset[str] = frozenset()
    network_viewer: bool = False
    trainer: bool = False
    admin_ministry_ids: frozenset[int] = frozenset()
    correspondent_ministry_ids: frozenset[int] = frozenset()
    correspondent_org_ids: frozenset[int] = frozenset()
    viewer_ministry_ids: frozenset[int] = frozenset()
    roles: tuple[tuple[str, int | None], ...] = field(default_factory=tuple)

    # --- network-wide -------------------------------------------------------------------
    @property
    def is_network_staff(self) -> bool:
        """Chief data officer or DINUM staff (or a superuser): reads and writes network-wide."""
        return self.is_superuser or bool(self.network_roles)

    @property
    def is_chief_data_officer(self) -> bool:
        return self.is_superuser or "CHIEF_DATA_OFFICER" in self.network_roles

    @property
    def sees_all_ministries(self) -> bool:
        return self.is_network_staff or self.network_viewer

    # --- per ministry -------------------------------------------------------------------
    @property
    def visible_ministry_ids(self) -> frozenset[int]:
        return self.admin_ministry_ids | self.correspondent_ministry_ids | self.viewer_ministry_ids

    @property
    def editable_ministry_ids(self) -> frozenset[int]:
        """Ministries whose whole data this caller may change (network staff: all of them)."""
        return self.admin_ministry_ids

    def can_view_ministry(self, ministry_id: int | None) -> bool:
        if ministry_id is None:
            return self.authenticated
        return self.sees_all_ministries or ministry_id in self.visible_ministry_ids

    def can_edit_ministry(self, ministry_id: int | None) -> bool:
        if self.is_network_staff:
            return True
        return ministry_id is not None and ministry_id in self.admin_ministry_ids

    def can_edit_in_organization(
        self, ministry_id: int | None, organization_id: int | None
    ) -> bool:
        """Ministry data attached to an organisation (inventory entries): correspondents too."""
        if self.can_edit_ministry(ministry_id):
            return True
        return organization_id is not None and organization_id in self.correspondent_org_ids

    @property
    def is_ministry_admin(self) -> bool:
        return bool(self.admin_ministry_ids)

    @property
    def role_codes(self) -> frozenset[str]:
        return frozenset(code for code, _ in self.roles)


ANONYMOUS = Access()


def access_for(user: Any) -> Access:
    """Scope of `user` (cached on the object; call `reset_access(user)` after role changes)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, "_portal_access", None)
    if cached is not None:
        return cached
    access = _compute(user)
    user._portal_access = access
    return access


def reset_access(user: Any) -> None:
    if hasattr(user, "_portal_access"):
        del user._portal_access


def _compute(user: Any) -> Access:
    from administrators.models import Membership

    today = timezone.localdate()
    network: set[str] = set()
    network_viewer = trainer = False
    admin: set[int] = set()
    corr: set[int] = set()
    corr_orgs: set[int] = set()
    viewer: set[int] = set()
    roles: list[tuple[str, int | None]] = []
    # Two plain reads, on every page: the roles, then the organisations of the correspondent
    # roles from the link table (none without roles). Written in SQL: the ORM spent longer
    # building these two statements than the database answering them (~1 ms a page).
    table = connection.ops.quote_name(Membership._meta.db_table)
    links_table = connection.ops.quote_name(Membership.organizations.through._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, role, ministry_id, valid_until FROM {table} WHERE user_id = %s",  # noqa: S608 - table name from the model
            [user.pk],
        )
        memberships = cursor.fetchall()
        organizations: dict[int, list[int]] = {}
        if memberships:
            ids = [row[0] for row in memberships]
            cursor.execute(
                f"SELECT membership_id, organization_id FROM {links_table} "  # noqa: S608 - table name from the model
                f"WHERE membership_id IN ({', '.join(['%s'] * len(ids))})",
                ids,
            )
            for membership_id, organization_id in cursor.fetchall():
                organizations.setdefault(membership_id, []).append(organization_id)
    for pk, role, ministry_id, valid_until in memberships:
        if isinstance(valid_until, str):  # SQLite without a declared type converter
            valid_until = datetime.date.fromisoformat(valid_until)
        if valid_until is not None and valid_until < today:
            continue
        roles.append((role, ministry_id))
        if role in NETWORK_ROLES:
            network.add(role)
        elif role == "MINISTRY_ADMIN" and ministry_id:
            admin.add(ministry_id)
        elif role == "CORRESPONDENT" and ministry_id:
            corr.add(ministry_id)
            corr_orgs.update(organizations.get(pk, ()))
        elif role == "VIEWER":
            if ministry_id:
                viewer.add(ministry_id)
            else:
                network_viewer = True
        elif role == "TRAINER":
            trainer = True
    return Access(
        authenticated=True,
        is_superuser=bool(user.is_superuser),
        network_roles=frozenset(network),
        network_viewer=network_viewer,
        trainer=trainer,
        admin_ministry_ids=frozenset(admin),
        correspondent_ministry_ids=frozenset(corr),
        correspondent_org_ids=frozenset(corr_orgs),
        viewer_ministry_ids=frozenset(viewer),
        roles=tuple(roles),
    )
