"""Review: every page and endpoint of the inventory is permission-scoped, role by role.

One table per route (datasets/urls.py, urls_io.py, urls_proposals.py and the REST API under
/api/v1/datasets/): the status each role gets on an entry of ministry A (a draft, and a published
entry where the network-wide viewer's answer differs), and, for every request that is refused,
that nothing was written (entries, versions, qualifications, proposals, extra fields, imports,
designations, audit trail). The requests that are allowed to write are checked to have written.

Expected statuses follow `datasets.permissions` and `core.access`:
- pages: anonymous → 302 to the login page (an API token does not sign a page in); an entry the
  caller may not see → 404; one they see but may not change → 403;
- API: anonymous → 401; a read-only token → 403 on every write; an invisible entry → 404;
- a correspondent edits the entries of their organisation and only *proposes* a qualification;
- the ministry viewer reads its ministry (drafts included), the network viewer reads the
  published entries of every ministry; neither writes;
- the administrator of another ministry sees nothing of ministry A.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from rest_framework.test import APIClient

from core.models import AuditEntry
from datasets import services
from datasets.models import (
    AssessmentHistory,
    DataAsset,
    ExtraFieldDefinition,
    ImportJob,
    OpenByDefaultAssessment,
    QualificationProposal,
    ReferenceDataDesignation,
)
from tests.conftest import make_token
from tests.datasets.factories import AssetFactory, ExtraFieldFactory
from tests.datasets.proposal_helpers import FORM, propose, to_publish
from tests.datasets.test_import import csv_bytes, row

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
API = "/api/v1/datasets/"

ROLES = (
    "anon",
    "plain",
    "agd",
    "amd",
    "corr",
    "mviewer",
    "nviewer",
    "other_amd",
    "read_token",
    "write_token",
)
CLIENTS = {
    "anon": "anon_client",
    "plain": "plain_client",
    "agd": "agd_client",  # chief data officer (network staff)
    "amd": "amd_client",  # ministry administrator of ministry A
    "corr": "correspondent_client",  # correspondent of the entry's organisation (ministry A)
    "mviewer": "ministry_viewer_client",  # read-only viewer of ministry A
    "nviewer": "viewer_client",  # network-wide read-only viewer
    "other_amd": "other_amd_client",  # ministry administrator of ministry B
    "read_token": "api_client",  # read-only token of the administrator of A
    "write_token": "write_token_client",  # write-enabled token of the administrator of A
}
TOKENS = {"read_token", "write_token"}


@pytest.fixture
def write_token_client(amd_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(amd_user, can_write=True)}")
    return client


def row_of(*statuses: int | dict[str, int]) -> dict[str, int | dict[str, int]]:
    """Expected statuses in the order of ROLES; a dict gives one status per entry state."""
    return dict(zip(ROLES, statuses, strict=True))


# The network viewer sees published entries only: a draft is unknown to them (404).
NV_READ = {"draft": 404, "pub": 200}
NV_WRITE = {"draft": 404, "pub": 403}

#                    anon plain agd  amd  corr mview nview    other rtok wtok
PAGE_PUBLIC = row_of(200, 200, 200, 200, 200, 200, 200, 200, 200, 200)
PAGE_SIGNED = row_of(302, 200, 200, 200, 200, 200, 200, 200, 302, 302)
PAGE_POST_ONLY = row_of(302, 405, 405, 405, 405, 405, 405, 405, 302, 302)
# A signed-in account outside ministry A is sent to the public page of a published entry.
TO_PUBLIC = {"draft": 404, "pub": 302}
PAGE_ENTRY_DETAIL = row_of(302, TO_PUBLIC, 200, 200, 200, 200, NV_READ, TO_PUBLIC, 302, 302)
PAGE_ENTRY_EDIT = row_of(302, 404, 200, 200, 200, 403, NV_WRITE, 404, 302, 302)
PAGE_ENTRY_EDIT_POST = row_of(302, 404, 302, 302, 302, 403, NV_WRITE, 404, 302, 302)
PAGE_ENTRY_QUALIFY_POST = row_of(302, 404, 302, 302, 403, 403, NV_WRITE, 404, 302, 302)
PAGE_FIELDS = row_of(302, 404, 200, 200, 403, 403, 403, 404, 302, 302)
PAGE_FIELDS_POST = row_of(302, 404, 302, 302, 403, 403, 403, 404, 302, 302)
PAGE_IMPORT = row_of(302, 403, 200, 200, 403, 403, 403, 200, 302, 302)
PAGE_JOB = row_of(302, 403, 200, 200, 403, 403, 403, 404, 302, 302)
PAGE_JOB_POST = row_of(302, 403, 302, 302, 403, 403, 403, 404, 302, 302)
PAGE_EXPORT = row_of(302, 403, 200, 200, 200, 200, 200, 200, 302, 302)
PAGE_EXPORT_A = row_of(302, 403, 200, 200, 200, 200, 200, 404, 302, 302)

API_PUBLIC = row_of(200, 200, 200, 200, 200, 200, 200, 200, 200, 200)
API_LIST = row_of(401, 200, 200, 200, 200, 200, 200, 200, 200, 200)
API_ENTRY_READ = row_of(401, 404, 200, 200, 200, 200, NV_READ, 404, 200, 200)
API_EXPORT = row_of(401, 403, 200, 200, 200, 200, 200, 200, 200, 200)
API_EXPORT_A = row_of(401, 403, 200, 200, 200, 200, 200, 404, 200, 200)

PAGE_WRITERS = frozenset({"agd", "amd", "corr"})
QUALIFIERS = frozenset({"agd", "amd"})
API_WRITERS = frozenset({"agd", "amd", "corr", "write_token"})
API_ADMINS = frozenset({"agd", "amd", "write_token"})

DRAFT_TITLE = "TITRE-BROUILLON-7Q"
PUBLISHED_TITLE = "TITRE-PUBLIE-7Q"
CANDIDATE = {"regime": "CANDIDATE", "status": "PROPOSED", "change_notice_days": 90}


class World:
    """The objects of ministry A a case needs, created on first use (before the request)."""

    def __init__(self, request: pytest.FixtureRequest, state: str) -> None:
        self.state = state
        self.ministry = request.getfixturevalue("ministry")
        self.other_ministry = request.getfixturevalue("other_ministry")
        self.organization = request.getfixturevalue("organization")
        self.agd = request.getfixturevalue("agd_user")
        self.amd = request.getfixturevalue("amd_user")
        self.corr = request.getfixturevalue("correspondent_user")

    @cached_property
    def asset(self) -> DataAsset:
        visibility = "PUBLISHED" if self.state == "pub" else "DRAFT"
        title = PUBLISHED_TITLE if self.state == "pub" else DRAFT_TITLE
        return AssetFactory(organization=self.organization, visibility=visibility, title=title)

    @property
    def assessment_version(self) -> int:
        return OpenByDefaultAssessment.objects.get(asset=self.asset).version

    @cached_property
    def history_id(self) -> int:
        """A saved qualification that differs from the current one (so a revert writes)."""
        for day in ("2030-01-15", "2031-06-30"):
            services.asset_qualify(
                actor=self.agd,
                asset=self.asset,
                qualification=to_publish(datetime.date.fromisoformat(day)),
            )
        return (
            AssessmentHistory.objects.filter(asset=self.asset).order_by("recorded_at", "id")[0].pk
        )

    @cached_property
    def audit_entry_id(self) -> int:
        """An earlier state of the entry (title changed twice since its creation)."""
        services.asset_update(
            actor=self.agd, asset=self.asset, data={"title": "Titre 2"}, expected_version=None
        )
        first = AuditEntry.objects.filter(action="asset.updated").order_by("id").first()
        self.asset.refresh_from_db()
        services.asset_update(
            actor=self.agd, asset=self.asset, data={"title": "Titre 3"}, expected_version=None
        )
        self.asset.refresh_from_db()
        return first.pk

    @cached_property
    def proposal(self) -> QualificationProposal:
        return propose(self.corr, self.asset)

    @cached_property
    def definition(self) -> ExtraFieldDefinition:
        return ExtraFieldFactory(ministry=self.ministry, code="suivi", label="Suivi")

    @cached_property
    def job(self) -> ImportJob:
        return ImportJob.objects.create(
            ministry=self.ministry,
            filename="inventaire.csv",
            payload=b"titre\n",
            state=ImportJob.State.ANALYSED,
            report={"counts": {"created": 1}, "rows": []},
        )


def snapshot() -> tuple[Any, ...]:
    """Everything a request of these routes could write."""
    return (
        sorted(
            DataAsset.objects.values_list("pk", "version", "visibility", "title", "organization_id")
        ),
        sorted(OpenByDefaultAssessment.objects.values_list("asset_id", "version", "status")),
        AssessmentHistory.objects.count(),
        sorted(QualificationProposal.objects.values_list("pk", "status")),
        sorted(ReferenceDataDesignation.objects.values_list("pk", "version")),
        sorted(
            (pk, version, label, retired is None)
            for pk, version, label, retired in ExtraFieldDefinition.objects.values_list(
                "pk", "version", "label", "retired_at"
            )
        ),
        sorted(ImportJob.objects.values_list("pk", "state")),
        AuditEntry.objects.count(),
    )


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    url: Callable[[World], str]
    expected: dict[str, int | dict[str, int]]
    data: Callable[[World], Any] | None = None
    states: tuple[str, ...] = ("draft",)
    writers: frozenset[str] = field(default_factory=frozenset)
    api: bool = False


def _entry_form(w: World, **over: Any) -> dict[str, Any]:
    a = w.asset
    return {
        "organization": a.organization_id,
        "title": a.title,
        "description": a.description,
        "asset_type": a.asset_type,
        "visibility": a.visibility,
        "sharing_mode": a.sharing_mode,
        "version": a.version,
        **over,
    }


def _qualification_body(w: World) -> dict[str, Any]:
    return {
        "status": "TO_PUBLISH",
        "obligation_basis": "NONE",
        "personal_data_basis": "NOT_APPLICABLE",
        "planned_date": "2030-01-15",
        "grounds": [],
        "version": w.assessment_version,
    }


def _upload(w: World) -> dict[str, Any]:
    data = csv_bytes([row(org=w.organization.name)])
    return {
        "fichier": SimpleUploadedFile("inventaire.csv", data, content_type="text/csv"),
        "ministere": w.ministry.pk,
    }


BOTH = ("draft", "pub")

PAGE_CASES = [
    # --- datasets/urls.py -------------------------------------------------------------------
    Case("list", "GET", lambda w: "/inventaire/", PAGE_SIGNED),
    Case("bulk", "GET", lambda w: "/inventaire/actions/", PAGE_POST_ONLY),
    Case(
        "bulk-visibility",
        "POST",
        lambda w: "/inventaire/actions/",
        # Always a redirect back to the list: a refusal is a message, nothing changes.
        row_of(302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
        data=lambda w: {
            "ids": [w.asset.pk],
            "action": "publish" if w.state == "draft" else "draft",
        },
        states=BOTH,
        writers=PAGE_WRITERS,
    ),
    Case(
        "bulk-status",
        "POST",
        lambda w: "/inventaire/actions/",
        row_of(302, 302, 302, 302, 302, 302, 302, 302, 302, 302),
        data=lambda w: {
            "ids": [w.asset.pk],
            "action": "status",
            "status": "TO_PUBLISH",
            "planned_date": "2030-01-31",
        },
        writers=QUALIFIERS,  # a correspondent proposes, entry by entry
    ),
    Case(
        "create",
        "GET",
        lambda w: f"/inventaire/nouvelle/?ministry={w.ministry.pk}",
        row_of(302, 403, 200, 200, 200, 403, 403, 404, 302, 302),
    ),
    Case(
        "create",
        "POST",
        lambda w: "/inventaire/nouvelle/",
        row_of(302, 403, 302, 302, 302, 403, 403, 404, 302, 302),
        data=lambda w: {
            "ministry": w.ministry.pk,
            "organization": w.organization.pk,
            "title": "Fichier des élus",
            "description": "Répertoire",
            "asset_type": "BASE_DE_DONNEES",
            "visibility": "DRAFT",
            "sharing_mode": "OPEN",
        },
        writers=PAGE_WRITERS,
    ),
    Case("detail", "GET", lambda w: f"/inventaire/{w.asset.pk}/", PAGE_ENTRY_DETAIL, states=BOTH),
    Case(
        "edit", "GET", lambda w: f"/inventaire/{w.asset.pk}/modifier/", PAGE_ENTRY_EDIT, states=BOTH
    ),
    Case(
        "edit",
        "POST",
        lambda w: f"/inventaire/{w.asset.pk}/modifier/",
        PAGE_ENTRY_EDIT_POST,
        data=lambda w: _entry_form(w, title="Titre changé"),
        states=BOTH,
        writers=PAGE_WRITERS,
    ),
    Case(
        "delete",
        "GET",
        lambda w: f"/inventaire/{w.asset.pk}/supprimer/",
        PAGE_ENTRY_EDIT,
        states=BOTH,
    ),
    Case(
        "delete",
        "POST",
        lambda w: f"/inventaire/{w.asset.pk}/supprimer/",
        PAGE_ENTRY_EDIT_POST,
        data=lambda w: {"version": w.asset.version},
        states=BOTH,
        writers=PAGE_WRITERS,
    ),
    Case(
        "qualify",
        "GET",
        lambda w: f"/inventaire/{w.asset.pk}/qualification/",
        PAGE_ENTRY_EDIT,
        states=BOTH,
    ),
    Case(
        "qualify",
        "POST",
        lambda w: f"/inventaire/{w.asset.pk}/qualification/",
        PAGE_ENTRY_EDIT_POST,
        data=lambda w: {**FORM, "version": w.assessment_version},
        states=BOTH,
        writers=PAGE_WRITERS,  # the correspondent's qualification is stored as a proposal
    ),
    Case(
        "wizard",
        "GET",
        lambda w: f"/inventaire/{w.asset.pk}/qualification/assistant/",
        PAGE_ENTRY_EDIT,
        states=BOTH,
    ),
    Case(
        "qualification-revert",
        "GET",
        lambda w: f"/inventaire/{w.asset.pk}/qualification/versions/{w.history_id}/revenir/",
        PAGE_POST_ONLY,
    ),
    Case(
        "qualification-revert",
        "POST",
        lambda w: f"/inventaire/{w.asset.pk}/qualification/versions/{w.history_id}/revenir/",
        PAGE_ENTRY_QUALIFY_POST,
        data=lambda w: {"version": w.assessment_version},
        states=BOTH,
        writers=QUALIFIERS,
    ),
    Case(
        "revert",
        "GET",
        lambda w: f"/inventaire/{w.asset.pk}/versions/{w.audit_entry_id}/revenir/",
        PAGE_POST_ONLY,
    ),
    Case(
        "revert",
        "POST",
        lambda w: f"/inventaire/{w.asset.pk}/versions/{w.audit_entry_id}/revenir/",
        PAGE_ENTRY_EDIT_POST,
        data=lambda w: {"version": w.asset.version},
        states=BOTH,
        writers=PAGE_WRITERS,
    ),
    Case(
        "designation",
        "GET",
        lambda w: f"/inventaire/{w.asset.pk}/donnee-de-reference/",
        PAGE_ENTRY_EDIT,
        states=BOTH,
    ),
    Case(
        "designation",
        "POST",
        lambda w: f"/inventaire/{w.asset.pk}/donnee-de-reference/",
        PAGE_ENTRY_EDIT_POST,
        data=lambda w: {**CANDIDATE, "version": 0},
        states=BOTH,
        writers=PAGE_WRITERS,
    ),
    Case(
        "extra-fields-index",
        "GET",
        lambda w: "/inventaire/champs/",
        # One ministry to manage: straight to it; network staff choose among all of them.
        row_of(302, 403, 200, 302, 403, 403, 403, 302, 302, 302),
    ),
    Case(
        "extra-fields",
        "GET",
        lambda w: f"/inventaire/champs/ministere/{w.ministry.pk}/",
        PAGE_FIELDS,
    ),
    Case(
        "extra-fields",
        "POST",
        lambda w: f"/inventaire/champs/ministere/{w.ministry.pk}/",
        PAGE_FIELDS_POST,
        data=lambda w: {"code": "budget", "label": "Budget", "kind": "TEXT", "order": 0},
        writers=QUALIFIERS,
    ),
    Case(
        "extra-field-edit",
        "GET",
        lambda w: f"/inventaire/champs/{w.definition.pk}/modifier/",
        PAGE_FIELDS,
    ),
    Case(
        "extra-field-edit",
        "POST",
        lambda w: f"/inventaire/champs/{w.definition.pk}/modifier/",
        PAGE_FIELDS_POST,
        data=lambda w: {
            "code": w.definition.code,
            "label": "Suivi changé",
            "kind": "TEXT",
            "order": 0,
            "version": w.definition.version,
        },
        writers=QUALIFIERS,
    ),
    Case(
        "extra-field-retire",
        "GET",
        lambda w: f"/inventaire/champs/{w.definition.pk}/retirer/",
        PAGE_POST_ONLY,
    ),
    Case(
        "extra-field-retire",
        "POST",
        lambda w: f"/inventaire/champs/{w.definition.pk}/retirer/",
        PAGE_FIELDS_POST,
        data=lambda w: {"version": w.definition.version},
        writers=QUALIFIERS,
    ),
    # --- datasets/urls_io.py ----------------------------------------------------------------
    Case("import", "GET", lambda w: "/inventaire/import/", PAGE_IMPORT),
    Case(
        "import",
        "POST",
        lambda w: "/inventaire/import/",
        # Another ministry's administrator may import, but not into ministry A: the form
        # offers only their own ministries and is shown again.
        row_of(302, 403, 302, 302, 403, 403, 403, 200, 302, 302),
        data=_upload,
        writers=QUALIFIERS,
    ),
    Case("import-job", "GET", lambda w: f"/inventaire/import/{w.job.pk}/", PAGE_JOB),
    Case(
        "import-status",
        "GET",
        lambda w: f"/inventaire/import/{w.job.pk}/statut.json",
        PAGE_JOB,
    ),
    Case(
        "import-confirm",
        "GET",
        lambda w: f"/inventaire/import/{w.job.pk}/confirmer/",
        PAGE_POST_ONLY,
    ),
    Case(
        "import-confirm",
        "POST",
        lambda w: f"/inventaire/import/{w.job.pk}/confirmer/",
        PAGE_JOB_POST,
        writers=QUALIFIERS,
    ),
    Case(
        "import-cancel",
        "GET",
        lambda w: f"/inventaire/import/{w.job.pk}/annuler/",
        PAGE_POST_ONLY,
    ),
    Case(
        "import-cancel",
        "POST",
        lambda w: f"/inventaire/import/{w.job.pk}/annuler/",
        PAGE_JOB_POST,
        writers=QUALIFIERS,
    ),
    Case("export", "GET", lambda w: "/inventaire/export/", PAGE_EXPORT),
    Case("export-csv", "GET", lambda w: "/inventaire/export.csv", PAGE_EXPORT),
    Case(
        "export-csv-ministry",
        "GET",
        lambda w: f"/inventaire/export.csv?ministere={w.ministry.code}",
        PAGE_EXPORT_A,
    ),
    Case("export-xlsx", "GET", lambda w: "/inventaire/export.xlsx", PAGE_EXPORT),
    Case(
        "export-xlsx-ministry",
        "GET",
        lambda w: f"/inventaire/export.xlsx?ministere={w.ministry.code}",
        PAGE_EXPORT_A,
    ),
    Case("dcat-jsonld", "GET", lambda w: "/inventaire/catalogue.jsonld", PAGE_PUBLIC),
    Case("dcat-turtle", "GET", lambda w: "/inventaire/catalogue.ttl", PAGE_PUBLIC),
    Case(
        "dcat-jsonld",
        "POST",
        lambda w: "/inventaire/catalogue.jsonld",
        row_of(*[405] * len(ROLES)),
    ),
    # The public page of an entry: anyone once it is published, nobody while it is a draft.
    Case(
        "public-entry",
        "GET",
        lambda w: f"/inventaire/catalogue/{w.asset.pk}/",
        row_of(*[{"draft": 404, "pub": 200}] * len(ROLES)),
    ),
    Case(
        "public-entry",
        "POST",
        lambda w: f"/inventaire/catalogue/{w.asset.pk}/",
        row_of(*[405] * len(ROLES)),
    ),
    Case(
        "dcat-ministry-jsonld",
        "GET",
        lambda w: f"/inventaire/catalogue/{w.ministry.code}.jsonld",
        PAGE_PUBLIC,
    ),
    Case(
        "dcat-ministry-turtle",
        "GET",
        lambda w: f"/inventaire/catalogue/{w.ministry.code}.ttl",
        PAGE_PUBLIC,
    ),
    # --- datasets/urls_proposals.py -----------------------------------------------------------
    Case(
        "proposals",
        "GET",
        lambda w: "/inventaire/propositions/",
        row_of(302, 403, 200, 200, 200, 403, 403, 200, 302, 302),
    ),
    Case(
        "proposal-decide",
        "GET",
        lambda w: f"/inventaire/{w.asset.pk}/propositions/{w.proposal.pk}/decision/",
        PAGE_POST_ONLY,
    ),
    Case(
        "proposal-decide",
        "POST",
        lambda w: f"/inventaire/{w.asset.pk}/propositions/{w.proposal.pk}/decision/",
        PAGE_ENTRY_QUALIFY_POST,
        data=lambda w: {"decision": "refuser", "decision-comment": "Motif du refus"},
        states=BOTH,
        writers=QUALIFIERS,
    ),
    Case(
        "proposal-revert",
        "GET",
        lambda w: f"/inventaire/{w.asset.pk}/qualification/versions/{w.history_id}/proposer/",
        PAGE_POST_ONLY,
    ),
    Case(
        "proposal-revert",
        "POST",
        lambda w: f"/inventaire/{w.asset.pk}/qualification/versions/{w.history_id}/proposer/",
        # Administrators qualify directly: for them the proposal is refused with a message.
        PAGE_ENTRY_EDIT_POST,
        data=lambda w: {"version": w.assessment_version, "pending": 0},
        states=BOTH,
        writers=frozenset({"corr"}),
    ),
    Case(
        "proposal-withdraw",
        "GET",
        lambda w: f"/inventaire/{w.asset.pk}/propositions/{w.proposal.pk}/retirer/",
        PAGE_POST_ONLY,
    ),
    Case(
        "proposal-withdraw",
        "POST",
        lambda w: f"/inventaire/{w.asset.pk}/propositions/{w.proposal.pk}/retirer/",
        # Only the author (the correspondent) withdraws; anyone else who sees it: 403.
        row_of(302, 404, 403, 403, 302, 403, NV_WRITE, 404, 302, 302),
        states=BOTH,
        writers=frozenset({"corr"}),
    ),
]

API_CASES = [
    # --- entries --------------------------------------------------------------------------------
    Case("datasets", "GET", lambda w: API, API_LIST),
    Case(
        "datasets",
        "POST",
        lambda w: API,
        # An organisation the caller may not attach entries to reads as unknown (400).
        row_of(401, 400, 201, 201, 201, 400, 400, 400, 403, 201),
        data=lambda w: {
            "organization": w.organization.pk,
            "title": "Entrée par l'API",
            "description": "d",
            "asset_type": "BASE_DE_DONNEES",
        },
        writers=API_WRITERS,
    ),
    Case("dataset", "GET", lambda w: f"{API}{w.asset.pk}/", API_ENTRY_READ, states=BOTH),
    Case(
        "dataset",
        "PATCH",
        lambda w: f"{API}{w.asset.pk}/",
        row_of(401, 404, 200, 200, 200, 403, NV_WRITE, 404, 403, 200),
        data=lambda w: {"title": "Titre par l'API", "version": w.asset.version},
        states=BOTH,
        writers=API_WRITERS,
    ),
    Case(
        "dataset",
        "PUT",
        lambda w: f"{API}{w.asset.pk}/",
        row_of(401, 404, 200, 200, 200, 403, NV_WRITE, 404, 403, 200),
        data=lambda w: {
            "organization": w.organization.pk,
            "title": "Titre remplacé",
            "description": "d",
            "asset_type": "BASE_DE_DONNEES",
            "visibility": w.asset.visibility,
            "version": w.asset.version,
        },
        states=BOTH,
        writers=API_WRITERS,
    ),
    Case(
        "dataset",
        "DELETE",
        lambda w: f"{API}{w.asset.pk}/?version={w.asset.version}",
        row_of(401, 404, 204, 204, 204, 403, NV_WRITE, 404, 403, 204),
        states=BOTH,
        writers=API_WRITERS,
    ),
    Case(
        "dataset-history",
        "GET",
        lambda w: f"{API}{w.asset.pk}/history/",
        API_ENTRY_READ,
        states=BOTH,
    ),
    Case(
        "dataset-changes",
        "GET",
        lambda w: f"{API}{w.asset.pk}/changes/",
        API_ENTRY_READ,
        states=BOTH,
    ),
    Case(
        "dataset-revert",
        "POST",
        lambda w: f"{API}{w.asset.pk}/revert/",
        row_of(401, 404, 200, 200, 200, 403, NV_WRITE, 404, 403, 200),
        data=lambda w: {"change": w.audit_entry_id, "version": w.asset.version},
        states=BOTH,
        writers=API_WRITERS,
    ),
    Case(
        "dataset-qualification-revert",
        "POST",
        lambda w: f"{API}{w.asset.pk}/qualification/revert/",
        # A correspondent's revert is a proposal: 202.
        row_of(401, 404, 200, 200, 202, 403, NV_WRITE, 404, 403, 200),
        data=lambda w: {"history": w.history_id, "version": w.assessment_version},
        states=BOTH,
        writers=API_WRITERS,
    ),
    Case(
        "dataset-qualification",
        "GET",
        lambda w: f"{API}{w.asset.pk}/qualification/",
        API_ENTRY_READ,
        states=BOTH,
    ),
    Case(
        "dataset-qualification",
        "PUT",
        lambda w: f"{API}{w.asset.pk}/qualification/",
        # A correspondent's qualification is a proposal: 202.
        row_of(401, 404, 200, 200, 202, 403, NV_WRITE, 404, 403, 200),
        data=_qualification_body,
        states=BOTH,
        writers=API_WRITERS,
    ),
    # --- extra-field definitions --------------------------------------------------------------
    Case("extra-fields", "GET", lambda w: f"{API}extra-fields/", API_LIST),
    Case(
        "extra-fields",
        "POST",
        lambda w: f"{API}extra-fields/?ministry={w.ministry.pk}",
        row_of(401, 403, 201, 201, 403, 403, 403, 404, 403, 201),
        data=lambda w: {"code": "budget", "label": "Budget", "kind": "TEXT"},
        writers=API_ADMINS,
    ),
    Case(
        "extra-field",
        "GET",
        lambda w: f"{API}extra-fields/{w.definition.pk}/",
        row_of(401, 404, 200, 200, 200, 200, 200, 404, 200, 200),
    ),
    Case(
        "extra-field",
        "PATCH",
        lambda w: f"{API}extra-fields/{w.definition.pk}/",
        row_of(401, 404, 200, 200, 403, 403, 403, 404, 403, 200),
        data=lambda w: {"label": "Suivi changé", "version": w.definition.version},
        writers=API_ADMINS,
    ),
    Case(
        "extra-field",
        "PUT",
        lambda w: f"{API}extra-fields/{w.definition.pk}/",
        row_of(401, 404, 200, 200, 403, 403, 403, 404, 403, 200),
        data=lambda w: {
            "code": w.definition.code,
            "label": "Suivi remplacé",
            "kind": "TEXT",
            "version": w.definition.version,
        },
        writers=API_ADMINS,
    ),
    Case(
        "extra-field",
        "DELETE",
        lambda w: f"{API}extra-fields/{w.definition.pk}/?version={w.definition.version}",
        row_of(401, 404, 204, 204, 403, 403, 403, 404, 403, 204),
        writers=API_ADMINS,
    ),
    # --- qualification proposals (viewers do not see them) ------------------------------------
    Case("proposals", "GET", lambda w: f"{API}qualification-proposals/", API_LIST),
    Case(
        "proposal",
        "GET",
        lambda w: f"{API}qualification-proposals/{w.proposal.pk}/",
        row_of(401, 404, 200, 200, 200, 404, 404, 404, 200, 200),
        states=BOTH,
    ),
    Case(
        "proposal-accept",
        "POST",
        lambda w: f"{API}qualification-proposals/{w.proposal.pk}/accept/",
        row_of(401, 404, 200, 200, 403, 404, 404, 404, 403, 200),
        data=lambda w: {},
        states=BOTH,
        writers=API_ADMINS,
    ),
    Case(
        "proposal-reject",
        "POST",
        lambda w: f"{API}qualification-proposals/{w.proposal.pk}/reject/",
        row_of(401, 404, 200, 200, 403, 404, 404, 404, 403, 200),
        data=lambda w: {"comment": "Motif du refus"},
        states=BOTH,
        writers=API_ADMINS,
    ),
    Case(
        "proposal-withdraw",
        "POST",
        lambda w: f"{API}qualification-proposals/{w.proposal.pk}/withdraw/",
        # Only the author: the administrator's own write token is refused too.
        row_of(401, 404, 403, 403, 200, 404, 404, 404, 403, 403),
        data=lambda w: {},
        states=BOTH,
        writers=frozenset({"corr"}),
    ),
    # --- exports --------------------------------------------------------------------------------
    Case("export-csv", "GET", lambda w: f"{API}export.csv", API_EXPORT),
    Case(
        "export-csv-ministry",
        "GET",
        lambda w: f"{API}export.csv?ministere={w.ministry.code}",
        API_EXPORT_A,
    ),
    Case("export-xlsx", "GET", lambda w: f"{API}export.xlsx", API_EXPORT),
    Case(
        "export-xlsx-ministry",
        "GET",
        lambda w: f"{API}export.xlsx?ministere={w.ministry.code}",
        API_EXPORT_A,
    ),
    Case("export-jsonld", "GET", lambda w: f"{API}export.jsonld", API_PUBLIC),
    Case("export-ttl", "GET", lambda w: f"{API}export.ttl", API_PUBLIC),
]
API_CASES = [
    Case(c.name, c.method, c.url, c.expected, c.data, c.states, c.writers, api=True)
    for c in API_CASES
]

PARAMS = [
    pytest.param(
        case, state, id=f"{'api' if case.api else 'page'}:{case.name}:{case.method}:{state}"
    )
    for case in PAGE_CASES + API_CASES
    for state in case.states
]


def _send(client: APIClient, case: Case, url: str, data: Any) -> Any:
    method = getattr(client, case.method.lower())
    if case.api:
        return method(url, data, format="json") if data is not None else method(url)
    return method(url, data) if data is not None else method(url)


def _check(case: Case, state: str, role: str, world: World, client: APIClient) -> list[str]:
    """One role's request, in a savepoint rolled back afterwards: every role meets the same
    objects. Returns what differs from the table (empty: as expected)."""
    problems = []
    with transaction.atomic():
        url = case.url(world)
        data = case.data(world) if case.data else None
        before = snapshot()
        response = _send(client, case, url, data)
        after = snapshot()
        transaction.set_rollback(True)
    cache.clear()  # nothing computed from the rolled-back writes is kept
    expected = case.expected[role]
    if isinstance(expected, dict):
        expected = expected[state]
    where = f"{case.method} {url} as {role} ({state})"
    if response.status_code != expected:
        problems.append(f"{where}: {response.status_code}, expected {expected}")
    signed_out = role == "anon" or (role in TOKENS and not case.api)
    if response.status_code == 302 and signed_out and not response["Location"].startswith(LOGIN):
        problems.append(f"{where}: redirected to {response['Location']}, not to the login page")
    if case.api and response.status_code == 401 and not response.get("WWW-Authenticate"):
        problems.append(f"{where}: 401 without WWW-Authenticate")
    if role in case.writers and after == before:
        problems.append(f"{where}: wrote nothing")
    if role not in case.writers and after != before:
        problems.append(f"{where}: wrote something")
    return problems


_HANDLERS: list[Any] = []


def _shared_handler(client: APIClient) -> Any:
    if not _HANDLERS:
        _HANDLERS.append(client.handler)
    return _HANDLERS[0]


@pytest.mark.parametrize(("case", "state"), PARAMS)
def test_route_permission(request, case: Case, state: str) -> None:
    """Every role on one route: the status of the table, and a write only where allowed."""
    world = World(request, state)
    clients = {role: request.getfixturevalue(name) for role, name in CLIENTS.items()}
    for client in clients.values():
        # One request handler for every client: each new one would build the middleware
        # chain again (WhiteNoise indexes every static file, ~0.3 s). The clients keep their
        # own session cookie and token header; none uses force_authenticate.
        client.handler = _shared_handler(client)
    case.url(world)  # the objects the route needs exist before any savepoint
    if case.data:
        case.data(world)
    problems = []
    for role in ROLES:
        problems += _check(case, state, role, world, clients[role])
    assert not problems, "\n".join(problems)


# --- What the lists and exports show: another ministry's draft never leaks ------------------

# Who sees the draft of ministry A, and who sees its published entry.
SEES_DRAFT = {"agd", "amd", "corr", "mviewer", "read_token", "write_token"}
SEES_PUBLISHED = SEES_DRAFT | {"nviewer"}

FILTERED = "visibility=DRAFT&visibility=PUBLISHED&status=TO_ASSESS"
LISTINGS = [
    # (name, url, roles answered 200)
    ("page-list", "/inventaire/", set(ROLES) - {"anon"} - TOKENS),
    ("page-export-csv", "/inventaire/export.csv", set(ROLES) - {"anon", "plain"} - TOKENS),
    ("api-list", API, set(ROLES) - {"anon"}),
    ("api-export-csv", f"{API}export.csv", set(ROLES) - {"anon", "plain"}),
    # « Exporter ces résultats »: the list's filters narrow an export, never widen its scope.
    (
        "page-export-filtered",
        f"/inventaire/export.csv?{FILTERED}",
        set(ROLES) - {"anon", "plain"} - TOKENS,
    ),
    ("api-export-filtered", f"{API}export.csv?{FILTERED}", set(ROLES) - {"anon", "plain"}),
    ("page-dcat", "/inventaire/catalogue.ttl", set(ROLES)),
    ("api-dcat", f"{API}export.ttl", set(ROLES)),
]
PUBLIC_LISTINGS = {"page-dcat", "api-dcat"}


def _text(response: Any) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize(
    ("name", "url", "role"),
    [
        pytest.param(name, url, role, id=f"{name}:{role}")
        for name, url, roles in LISTINGS
        for role in ROLES
        if role in roles
    ],
)
def test_listing_scope(request, name: str, url: str, role: str) -> None:
    organization = request.getfixturevalue("organization")
    AssetFactory(organization=organization, visibility="DRAFT", title=DRAFT_TITLE)
    AssetFactory(organization=organization, visibility="PUBLISHED", title=PUBLISHED_TITLE)
    client = request.getfixturevalue(CLIENTS[role])
    client.handler = _shared_handler(client)
    response = client.get(url)
    assert response.status_code == 200
    body = _text(response)
    public = name in PUBLIC_LISTINGS
    assert (DRAFT_TITLE in body) is (not public and role in SEES_DRAFT), (name, role)
    assert (PUBLISHED_TITLE in body) is (public or role in SEES_PUBLISHED), (name, role)


# Who sees ministry A's extra-field definitions, and the proposals on its entries.
SEES_FIELDS = {"agd", "amd", "corr", "mviewer", "nviewer", "read_token", "write_token"}
SEES_PROPOSALS = {"agd", "amd", "corr", "read_token", "write_token"}


@pytest.mark.parametrize("role", sorted(set(ROLES) - {"anon"}))
def test_api_side_lists_scope(request, role: str) -> None:
    organization = request.getfixturevalue("organization")
    ExtraFieldFactory(ministry=organization.ministry, code="suivi_a7q", label="Suivi")
    asset = AssetFactory(organization=organization, visibility="DRAFT", title=DRAFT_TITLE)
    propose(request.getfixturevalue("correspondent_user"), asset)
    client = request.getfixturevalue(CLIENTS[role])
    client.handler = _shared_handler(client)
    fields = client.get(f"{API}extra-fields/")
    proposals = client.get(f"{API}qualification-proposals/")
    assert fields.status_code == proposals.status_code == 200
    assert ("suivi_a7q" in _text(fields)) is (role in SEES_FIELDS)
    assert (DRAFT_TITLE in _text(proposals)) is (role in SEES_PROPOSALS)
