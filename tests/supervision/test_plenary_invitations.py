"""A new quarterly plenary invites the whole network unless ministries are chosen; other meeting
types and existing plenaries are left as they were; the invitations are audited, written in the
meeting's transaction, in a number of queries that does not grow with the network."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from core.models import AuditEntry
from supervision import services
from supervision.models import Attendance, Meeting
from tests.conftest import make_token
from tests.factories import MinistryFactory

pytestmark = pytest.mark.django_db

PLENARY = {
    "meeting_type": Meeting.Type.PLENIERE_TRIMESTRIELLE,
    "title": "Plénière du deuxième trimestre",
    "date": datetime.date(2026, 4, 10),
}


@pytest.fixture
def network(ministry, other_ministry):
    """Two ministries of the network, one outside the FR0034 scope, one merged away."""
    outside = MinistryFactory(name="Premier ministre", in_ogp_scope=False)
    merged = MinistryFactory(
        valid_from=datetime.date(2010, 1, 1), valid_to=datetime.date(2020, 5, 1)
    )
    return {"in_scope": {ministry.pk, other_ministry.pk}, "outside": outside, "merged": merged}


def _invited(meeting: Meeting) -> set[int]:
    return set(meeting.invited_ministries.values_list("pk", flat=True))


def _invite_rows(meeting: Meeting) -> set[tuple[int, str]]:
    return set(Attendance.objects.filter(meeting=meeting).values_list("ministry_id", "status"))


def test_new_plenary_without_a_choice_invites_every_current_ministry_in_scope(agd_user, network):
    meeting = services.meeting_save(actor=agd_user, data=PLENARY)
    assert _invited(meeting) == network["in_scope"]
    assert _invite_rows(meeting) == {(pk, "INVITE") for pk in network["in_scope"]}
    entry = AuditEntry.objects.get(action="meeting.created", object_id=str(meeting.pk))
    assert entry.changes["invited_ministries"] == [[], sorted(network["in_scope"])]


def test_new_plenary_with_an_empty_choice_also_invites_the_network(agd_user, network):
    meeting = services.meeting_save(actor=agd_user, data=PLENARY, invited_ministry_ids=[])
    assert _invited(meeting) == network["in_scope"]


def test_new_plenary_keeps_the_ministries_chosen(agd_user, network, ministry):
    chosen = [ministry.pk, network["outside"].pk]
    meeting = services.meeting_save(actor=agd_user, data=PLENARY, invited_ministry_ids=chosen)
    assert _invited(meeting) == set(chosen)
    assert _invite_rows(meeting) == {(pk, "INVITE") for pk in chosen}


@pytest.mark.parametrize(
    "meeting_type",
    [
        Meeting.Type.COPIL_BIMESTRIEL,
        Meeting.Type.ATELIER_THEMATIQUE,
        Meeting.Type.SEMINAIRE_ANNUEL,
    ],
)
def test_other_meeting_types_start_with_no_invitation(agd_user, network, meeting_type):
    meeting = services.meeting_save(
        actor=agd_user, data={**PLENARY, "meeting_type": meeting_type}, invited_ministry_ids=[]
    )
    assert _invited(meeting) == set()
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_a_new_sprint_still_invites_only_its_ministry(agd_user, network, other_ministry):
    meeting = services.meeting_save(
        actor=agd_user,
        data={**PLENARY, "meeting_type": Meeting.Type.SPRINT_OPEN_DATA, "ministry": other_ministry},
        invited_ministry_ids=[],
    )
    assert _invited(meeting) == {other_ministry.pk}


def test_an_existing_plenary_is_not_invited_again(agd_user, network, ministry, other_ministry):
    meeting = services.meeting_save(
        actor=agd_user, data=PLENARY, invited_ministry_ids=[ministry.pk]
    )
    services.attendance_record(actor=agd_user, meeting=meeting, ministry=ministry, status="PRESENT")
    MinistryFactory()  # joins the network after the plenary was created
    # Edited without touching the invitations: nothing is added.
    services.meeting_save(actor=agd_user, meeting=meeting, data={"status": "TENUE"})
    assert _invite_rows(meeting) == {(ministry.pk, "PRESENT")}
    # Every invitation removed on purpose: the network is not put back.
    services.meeting_save(actor=agd_user, meeting=meeting, data={}, invited_ministry_ids=[])
    assert _invited(meeting) == set()
    assert not Attendance.objects.filter(meeting=meeting).exists()
    entry = AuditEntry.objects.filter(action="meeting.updated").latest("pk")
    assert entry.changes["invited_ministries"] == [[ministry.pk], []]


def test_a_meeting_turned_into_a_plenary_keeps_its_invitations(agd_user, network, ministry):
    copil = services.meeting_save(
        actor=agd_user,
        data={**PLENARY, "meeting_type": Meeting.Type.COPIL_BIMESTRIEL},
        invited_ministry_ids=[ministry.pk],
    )
    services.meeting_save(
        actor=agd_user,
        meeting=copil,
        data={"meeting_type": Meeting.Type.PLENIERE_TRIMESTRIELLE},
        invited_ministry_ids=[],
    )
    assert _invited(copil) == set()


def test_the_invitations_are_written_with_the_meeting_or_not_at_all(agd_user, network):
    with (
        mock.patch("supervision.services.audit_record", side_effect=RuntimeError("audit")),
        pytest.raises(RuntimeError),
    ):
        services.meeting_save(actor=agd_user, data=PLENARY)
    assert not Meeting.objects.exists()
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("size", [1, 30])
def test_plenary_creation_query_count_is_flat(size, agd_user, django_assert_num_queries):
    MinistryFactory.create_batch(size)
    ContentType.objects.get_for_model(Meeting)  # the audit's content type, cached per process
    with django_assert_num_queries(12):
        meeting = services.meeting_save(actor=agd_user, data=PLENARY)
    assert meeting.attendances.count() == size


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_plenary_created_on_the_page_says_how_many_ministries_are_invited(agd_client, network):
    response = agd_client.post(
        "/supervision/reunions/nouvelle/",
        {**PLENARY, "date": "2026-04-10", "status": "PLANIFIEE"},
    )
    assert response.status_code == 302
    assert _messages(response) == ["Réunion enregistrée : 2\u00a0ministères invités."]
    meeting = Meeting.objects.get()
    assert _invited(meeting) == network["in_scope"]
    page = agd_client.get(response["Location"]).content.decode()
    assert "fr-alert--success" in page and "2\u00a0ministères invités" in page


@pytest.mark.parametrize(
    ("invited", "expected"),
    [
        ([], "Réunion enregistrée : aucun ministère invité."),
        (["ministry"], "Réunion enregistrée : 1\u00a0ministère invité."),
    ],
)
def test_other_meeting_created_on_the_page_says_how_many_are_invited(
    request, agd_client, network, invited, expected
):
    ids = [request.getfixturevalue(name).pk for name in invited]
    response = agd_client.post(
        "/supervision/reunions/nouvelle/",
        {
            **PLENARY,
            "meeting_type": "COPIL_BIMESTRIEL",
            "date": "2026-04-10",
            "status": "PLANIFIEE",
            "invited": ids,
        },
    )
    assert response.status_code == 302
    assert _messages(response) == [expected]
    assert _invited(Meeting.objects.get()) == set(ids)


def test_edited_meeting_message_is_unchanged(agd_client, agd_user, network, ministry):
    meeting = services.meeting_save(
        actor=agd_user, data=PLENARY, invited_ministry_ids=[ministry.pk]
    )
    response = agd_client.post(
        f"/supervision/reunions/{meeting.pk}/modifier/",
        {**PLENARY, "date": "2026-04-10", "status": "TENUE"},
    )
    assert response.status_code == 302
    assert _messages(response) == ["Réunion enregistrée."]
    assert _invited(meeting) == set()


def test_the_new_meeting_form_explains_the_default(agd_client, agd_user, ministry):
    assert (
        "tous les ministères du réseau"
        in agd_client.get("/supervision/reunions/nouvelle/").content.decode()
    )
    meeting = services.meeting_save(actor=agd_user, data=PLENARY)
    edit = agd_client.get(f"/supervision/reunions/{meeting.pk}/modifier/").content.decode()
    assert "tous les ministères du réseau" not in edit


def test_plenary_created_through_the_api_without_invitations_invites_the_network(agd_user, network):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(agd_user, can_write=True)}")
    created = client.post(
        "/api/v1/meetings/",
        {"meeting_type": "PLENIERE_TRIMESTRIELLE", "title": "Plénière", "date": "2026-04-10"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["n_invited"] == len(network["in_scope"])
