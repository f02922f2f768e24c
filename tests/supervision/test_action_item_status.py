"""« Marquer faite » on a meeting page: a French confirmation when the follow-up action is
closed, a French error when it is refused, and the same permissions as before."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from supervision import services
from supervision.models import ActionItem
from tests.supervision.helpers import CLIENTS, held_copil

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(agd_user, ministry):
    return held_copil(agd_user, ministry)


@pytest.fixture
def item(agd_user, meeting, ministry):
    return services.action_item_save(
        actor=agd_user,
        meeting=meeting,
        data={
            "description": "Publier l'inventaire des données du ministère",
            "due_date": datetime.date(2026, 5, 1),
            "owner_ministry": ministry,
        },
    )


def _url(item: ActionItem) -> str:
    return f"/supervision/actions-de-suivi/{item.pk}/statut/"


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_marking_an_action_done_confirms_it_in_french(agd_client, item, meeting):
    response = agd_client.post(_url(item), {"status": "FAITE"})
    assert response.status_code == 302
    assert response["Location"] == f"/supervision/reunions/{meeting.pk}/"
    assert _messages(response) == [
        ("success", "Action « Publier l'inventaire des données du ministère » marquée comme faite.")
    ]
    item.refresh_from_db()
    assert item.status == "FAITE" and item.closed_at == timezone.localdate()


def test_the_confirmation_is_shown_as_a_dsfr_success_alert(agd_client, item):
    page = agd_client.post(_url(item), {"status": "FAITE"}, follow=True).content.decode()
    assert "fr-alert--success" in page and "marquée comme faite" in page
    assert "Marquer faite" not in page  # the button goes once the action is done


def test_another_status_is_confirmed_with_its_label(agd_client, item):
    response = agd_client.post(_url(item), {"status": "EN_COURS"})
    assert _messages(response) == [
        (
            "success",
            "Action « Publier l'inventaire des données du ministère » : statut « En cours » "
            "enregistré.",
        )
    ]


def test_an_unknown_status_is_refused_with_a_french_error(agd_client, item):
    response = agd_client.post(_url(item), {"status": "TERMINEE"})
    assert response.status_code == 302
    assert _messages(response) == [
        (
            "error",
            "Le statut de l'action « Publier l'inventaire des données du ministère » n'a pas été "
            "modifié : Statut inconnu.",
        )
    ]
    item.refresh_from_db()
    assert item.status == "OUVERTE" and item.closed_at is None


def test_a_refused_service_check_is_reported_and_nothing_changes(
    agd_client, agd_user, item, meeting
):
    # The meeting was moved after the action was decided: its due date now precedes it.
    services.meeting_save(actor=agd_user, meeting=meeting, data={"date": datetime.date(2026, 6, 1)})
    response = agd_client.post(_url(item), {"status": "FAITE"})
    [(level, text)] = _messages(response)
    assert level == "error"
    assert text.startswith("Le statut de l'action « Publier l'inventaire")
    assert "L'échéance (01/05/2026) précède la réunion du 01/06/2026" in text
    item.refresh_from_db()
    assert item.status == "OUVERTE" and item.closed_at is None


def test_a_long_description_is_shortened_in_the_message(agd_client, agd_user, meeting):
    long_item = services.action_item_save(
        actor=agd_user,
        meeting=meeting,
        data={"description": "Recenser " + "les jeux de données " * 20, "due_date": meeting.date},
    )
    [(_, text)] = _messages(agd_client.post(_url(long_item), {"status": "FAITE"}))
    assert "…" in text and len(text) < 140


@pytest.mark.parametrize(
    ("client_name", "expected"),
    list(zip(CLIENTS, [302, 403, 403, 403, 403, 403, 302, 302], strict=True)),
)
def test_marking_done_is_for_network_staff_only(request, client_name, expected, item):
    client = request.getfixturevalue(client_name)
    response = client.post(_url(item), {"status": "FAITE"})
    assert response.status_code == expected
    item.refresh_from_db()
    done = client_name in ("dinum_client", "agd_client")
    assert item.status == ("FAITE" if done else "OUVERTE")
    if client_name == "anon_client":
        assert "/connexion" in response["Location"] or "login" in response["Location"]
    if not done:
        assert not list(get_messages(response.wsgi_request))


def test_marking_done_answers_only_to_post(agd_client, item):
    assert agd_client.get(_url(item)).status_code == 405
