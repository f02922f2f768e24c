"""Review of the supervision app as its users meet it: two editors at once, a roadmap import
confirmed twice, a closed quarter recomputed after a roadmap edit, the API's ordering."""

from __future__ import annotations

import datetime
import re

import pytest

from supervision import services
from supervision.models import Meeting, Minutes
from supervision.quarters import Quarter

LAST = Quarter.current().previous()


@pytest.fixture
def meeting(agd_user, ministry):
    return services.meeting_save(
        actor=agd_user,
        data={
            "meeting_type": Meeting.Type.COPIL_BIMESTRIEL,
            "title": "COPIL de mars",
            "date": datetime.date(2026, 3, 12),
            "status": Meeting.Status.TENUE,
        },
        invited_ministry_ids=[ministry.pk],
    )


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    assert match, f"champ caché {name} absent"
    return match.group(1)


# --- Two editors on the same minutes ---------------------------------------------------------


def test_minutes_saved_from_a_page_read_before_another_save_are_refused(
    agd_client, dinum_client, agd_user, meeting
):
    services.minutes_save(actor=agd_user, meeting=meeting, body="Version lue par les deux.")
    url = f"/supervision/reunions/{meeting.pk}/"
    first = _hidden(agd_client.get(url).content.decode(), "based_on")
    second = _hidden(dinum_client.get(url).content.decode(), "based_on")
    assert first == second == "1"

    saved = agd_client.post(
        url + "compte-rendu/",
        {"body": "Texte de la DINUM.", "status": "BROUILLON", "based_on": first},
    )
    assert saved.status_code == 302
    refused = dinum_client.post(
        url + "compte-rendu/",
        {"body": "Texte de l'AGD.", "status": "BROUILLON", "based_on": second},
    )
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "modifié" in page and "Texte de l&#x27;AGD." in page
    assert list(Minutes.objects.filter(meeting=meeting).values_list("body", flat=True)) == [
        "Texte de la DINUM.",
        "Version lue par les deux.",
    ]


def test_first_minutes_of_a_meeting_carry_version_zero(agd_client, meeting):
    page = agd_client.get(f"/supervision/reunions/{meeting.pk}/").content.decode()
    assert _hidden(page, "based_on") == "0"
