"""Progress API (ETag, permissions, flat queries) and the roadmap/meeting endpoints."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.test import APIClient

from supervision import services
from supervision.quarters import Quarter
from tests.conftest import make_token
from tests.factories import MandateFactory, MinistryFactory
from tests.supervision.helpers import PUBLISHED_OK, published_roadmap, states

LAST = Quarter.current().previous()


@pytest.fixture
def computed(agd_user, ministry, other_ministry):
    MandateFactory(ministry=ministry)
    for q in (LAST.previous(), LAST):
        services.snapshot_compute(actor=agd_user, quarter=q)


@pytest.fixture
def token_client():
    def build(user, can_write=False):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(user, can_write=can_write)}")
        return client

    return build


@pytest.mark.parametrize(
    ("client_name", "network", "own", "other"),
    [
        ("anon_client", 403, 403, 403),
        ("plain_client", 403, 403, 403),
        ("trainer_client", 403, 403, 403),
        ("api_client", 403, 200, 404),
        ("amd_client", 403, 200, 404),
        ("network_api_client", 200, 200, 200),
        ("agd_client", 200, 200, 200),
    ],
)
def test_progress_permission_matrix(
    request, client_name, network, own, other, computed, ministry, other_ministry
):
    client = request.getfixturevalue(client_name)
    assert client.get("/api/v1/progress/").status_code in (
        {network} | ({401} if network == 403 else set())
    )
    assert client.get(f"/api/v1/progress/{ministry.code}/").status_code in (
        {own} | ({401} if own == 403 else set())
    )
    assert client.get(f"/api/v1/progress/{other_ministry.code}/").status_code in (
        {other} | ({401} if other == 403 else set())
    )


def test_network_progress_lists_every_ministry_for_the_latest_quarter(
    network_api_client, computed, ministry
):
    data = network_api_client.get("/api/v1/progress/").json()
    assert data["quarter"] == LAST.label
    row = next(r for r in data["ministries"] if r["ministry"] == ministry.code)
    assert row["band"] and row["algorithm_version"] and "coverage" in row


def test_ministry_progress_has_history_and_criteria_detail(api_client, computed, ministry):
    data = api_client.get(f"/api/v1/progress/{ministry.code}/?trimestre={LAST.label}").json()
    assert [h["quarter"] for h in data["history"]] == [LAST.previous().label, LAST.label]
    assert data["snapshot"]["criteria_detail"]["G1"]["value"] == 1
    assert data["snapshot"]["criteria_detail"]["O5"]["na"] is True


def test_progress_rejects_a_future_quarter_in_french(api_client, computed, ministry):
    response = api_client.get(
        f"/api/v1/progress/{ministry.code}/?trimestre={Quarter.current().next().label}"
    )
    assert response.status_code == 400 and "pas commencé" in response.json()["trimestre"][0]


def test_progress_etag_gives_304_until_a_snapshot_is_recomputed(
    network_api_client, computed, agd_user
):
    first = network_api_client.get("/api/v1/progress/")
    etag = first["ETag"]
    again = network_api_client.get("/api/v1/progress/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag and not again.content
    services.snapshot_compute(actor=agd_user, quarter=LAST)
    changed = network_api_client.get("/api/v1/progress/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_ministry_progress_etag_304(api_client, computed, ministry):
    etag = api_client.get(f"/api/v1/progress/{ministry.code}/")["ETag"]
    assert (
        api_client.get(f"/api/v1/progress/{ministry.code}/", HTTP_IF_NONE_MATCH=etag).status_code
        == 304
    )


@pytest.mark.parametrize("ministries", [1, 6])
def test_network_progress_query_count_is_flat(
    ministries, network_api_client, agd_user, django_assert_num_queries
):
    for _ in range(ministries):
        m = MinistryFactory()
        states(m, 2, **PUBLISHED_OK)
    services.snapshot_compute(actor=agd_user, quarter=LAST)
    network_api_client.get("/api/v1/progress/")
    with django_assert_num_queries(6):
        assert network_api_client.get("/api/v1/progress/").status_code == 200


@pytest.mark.parametrize("quarters", [1, 5])
def test_ministry_progress_query_count_is_flat(
    quarters, api_client, agd_user, ministry, django_assert_num_queries
):
    q = LAST
    for _ in range(quarters):
        services.snapshot_compute(actor=agd_user, quarter=q, ministry_ids=[ministry.pk])
        q = q.previous()
    api_client.get(f"/api/v1/progress/{ministry.code}/")
    with django_assert_num_queries(7):
        assert api_client.get(f"/api/v1/progress/{ministry.code}/").status_code == 200


def test_roadmap_action_update_via_api_follows_the_rules(
    amd_user, token_client, ministry, other_ministry
):
    roadmap = published_roadmap(ministry)
    action = services.action_save(actor=amd_user, roadmap=roadmap, data={"title": "Ouvrir"})
    other = services.action_save(
        actor=None, roadmap=published_roadmap(other_ministry), data={"title": "Autre"}
    )
    reader, writer = token_client(amd_user), token_client(amd_user, can_write=True)
    url = f"/api/v1/roadmap-actions/{action.pk}/"
    assert reader.patch(url, {"status": "EN_COURS"}, format="json").status_code == 403
    bad = writer.patch(url, {"status": "REALISEE"}, format="json")
    assert bad.status_code == 400 and "preuve" in str(bad.json())
    ok = writer.patch(
        url, {"status": "REALISEE", "evidence_url": "https://exemple.gouv.fr/p"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "REALISEE"
    assert writer.get(f"/api/v1/roadmap-actions/{other.pk}/").status_code == 404
    assert [a["id"] for a in reader.get("/api/v1/roadmap-actions/").json()["results"]] == [
        action.pk
    ]


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [("anon_client", 403), ("plain_client", 403), ("api_client", 200), ("network_api_client", 200)],
)
def test_meetings_and_action_items_endpoints(request, client_name, expected, agd_user, ministry):
    services.meeting_save(
        actor=agd_user,
        data={
            "meeting_type": "COPIL_BIMESTRIEL",
            "title": "COPIL",
            "date": datetime.date(2026, 1, 5),
        },
    )
    client = request.getfixturevalue(client_name)
    for url in ("/api/v1/meetings/", "/api/v1/action-items/", "/api/v1/roadmaps/"):
        assert client.get(url).status_code in ({expected} | ({401} if expected == 403 else set()))


def test_progress_endpoints_are_in_the_openapi_schema(agd_client):
    schema = agd_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/progress/{code}/" in schema and "/api/v1/roadmap-actions/" in schema


def test_meeting_and_action_item_writes_via_api(agd_user, amd_user, token_client, ministry):
    writer = token_client(agd_user, can_write=True)
    created = writer.post(
        "/api/v1/meetings/",
        {
            "meeting_type": "PLENIERE_TRIMESTRIELLE",
            "title": "Plénière",
            "date": "2026-03-10",
            "status": "TENUE",
            "invited": [ministry.code],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    meeting_id = created.json()["id"]
    assert created.json()["n_invited"] == 1
    late = writer.post(
        "/api/v1/action-items/",
        {"meeting": meeting_id, "description": "X", "due_date": "2026-03-01"},
        format="json",
    )
    assert late.status_code == 400 and "précède la réunion" in str(late.json())
    item = writer.post(
        "/api/v1/action-items/",
        {
            "meeting": meeting_id,
            "description": "Publier",
            "due_date": "2026-04-01",
            "owner_ministry": ministry.code,
        },
        format="json",
    )
    assert item.status_code == 201
    done = writer.patch(
        f"/api/v1/action-items/{item.json()['id']}/", {"status": "FAITE"}, format="json"
    )
    assert done.status_code == 200 and done.json()["closed_at"]
    # A ministry administrator, even with a write token, may not change network meetings.
    amd_writer = token_client(amd_user, can_write=True)
    assert (
        amd_writer.patch(
            f"/api/v1/meetings/{meeting_id}/", {"title": "X"}, format="json"
        ).status_code
        == 403
    )
    assert token_client(agd_user).post("/api/v1/meetings/", {}, format="json").status_code == 403


@pytest.mark.parametrize(
    "url",
    ["/api/v1/roadmaps/", "/api/v1/roadmap-actions/", "/api/v1/meetings/", "/api/v1/action-items/"],
)
def test_list_endpoints_query_count_is_flat(url, network_api_client, agd_user):
    """The same number of queries with one row and with two rows of everything."""
    counts = []
    for _ in range(2):
        m = MinistryFactory()
        rm = published_roadmap(m)
        action = services.action_save(actor=agd_user, roadmap=rm, data={"title": "A"})
        services.action_save(actor=agd_user, roadmap=rm, action=action, data={"status": "EN_COURS"})
        meeting = services.meeting_save(
            actor=agd_user,
            data={
                "meeting_type": "BILATERALE",
                "title": "B",
                "ministry": m,
                "date": datetime.date(2026, 1, 2),
            },
            invited_ministry_ids=[m.pk],
        )
        services.action_item_save(
            actor=agd_user,
            meeting=meeting,
            data={"description": "X", "due_date": datetime.date(2026, 2, 1), "owner_ministry": m},
        )
        network_api_client.get(url)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert network_api_client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
