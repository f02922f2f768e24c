"""Review of the supervision app as its users meet it: two editors at once, a roadmap import
confirmed twice, a closed quarter recomputed after a roadmap edit, the API's ordering."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from datasets.models import ImportJob
from supervision import importing, services
from supervision.models import Attendance, ComplianceSnapshot, Meeting, Minutes, RoadmapAction
from supervision.quarters import Quarter
from tests.factories import MandateFactory, MinistryFactory
from tests.supervision.helpers import held_copil, published_roadmap

LAST = Quarter.current().previous()


@pytest.fixture
def meeting(agd_user, ministry):
    return held_copil(agd_user, ministry)


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


# --- Two editors on the same meeting ---------------------------------------------------------


def _meeting_post(meeting: Meeting, **changes: str) -> dict[str, str]:
    data = {
        "meeting_type": meeting.meeting_type,
        "title": meeting.title,
        "date": meeting.date.isoformat(),
        "status": meeting.status,
        "invited": [str(pk) for pk in meeting.invited_ministries.values_list("pk", flat=True)],
    }
    data.update(changes)
    return data


def test_meeting_saved_from_a_form_read_before_another_save_is_refused(
    agd_client, dinum_client, meeting
):
    url = f"/supervision/reunions/{meeting.pk}/modifier/"
    loaded = _hidden(dinum_client.get(url).content.decode(), "loaded_at")
    assert agd_client.get(url).status_code == 200
    first = agd_client.post(
        url, _meeting_post(meeting, title="COPIL de mars (reporté)", loaded_at=loaded)
    )
    assert first.status_code == 302
    refused = dinum_client.post(url, _meeting_post(meeting, location="Ségur", loaded_at=loaded))
    assert refused.status_code == 200
    assert "modifiée" in refused.content.decode()
    meeting.refresh_from_db()
    assert meeting.title == "COPIL de mars (reporté)" and meeting.location == ""


# --- Two editors on the same roadmap action -------------------------------------------------


def test_roadmap_action_saved_from_a_stale_form_is_refused(amd_client, agd_client, ministry):
    roadmap = published_roadmap(ministry)
    action = RoadmapAction.objects.create(
        roadmap=roadmap, ministry=ministry, ref="1", title="Ouvrir la base"
    )
    url = f"/supervision/feuilles-de-route/{roadmap.pk}/actions/{action.pk}/"
    loaded = _hidden(amd_client.get(url).content.decode(), "loaded_at")
    base = {"title": "Ouvrir la base", "ref": "1", "origin": "FEUILLE_DE_ROUTE"}
    ok = agd_client.post(
        url, {**base, "status": "EN_COURS", "progress_pct": "40", "loaded_at": loaded}
    )
    assert ok.status_code == 302
    refused = amd_client.post(
        url, {**base, "status": "A_LANCER", "progress_pct": "0", "loaded_at": loaded}
    )
    assert refused.status_code == 200 and "modifiée" in refused.content.decode()
    action.refresh_from_db()
    assert action.status == "EN_COURS" and action.progress_pct == 40


# --- Roadmap import confirmed twice ------------------------------------------------------------


def test_an_import_confirmed_twice_creates_its_actions_once(amd_user, ministry):
    roadmap = published_roadmap(ministry)
    job = importing.roadmap_import_start(
        actor=amd_user,
        roadmap=roadmap,
        filename="actions.csv",
        payload=b"titre;echeance\nOuvrir la base;2026-T4\nPublier l'API;2027-T1\n",
    )
    stale = ImportJob.objects.get(pk=job.pk)  # a second tab, or a double click
    importing.roadmap_import_apply(actor=amd_user, job=job)
    with pytest.raises(ValidationError, match="déjà été appliqué"):
        importing.roadmap_import_apply(actor=amd_user, job=stale)
    assert RoadmapAction.objects.filter(roadmap=roadmap).count() == 2


# --- A closed quarter is not rewritten by later roadmap edits -----------------------------------


def test_closed_quarter_keeps_its_roadmap_criterion_after_the_roadmap_is_edited(
    agd_user, amd_user, ministry
):
    MandateFactory(ministry=ministry)
    roadmap = published_roadmap(ministry, published_on=LAST.start)
    first = services.snapshot_compute(actor=agd_user, quarter=LAST)[0]
    assert first.criteria_detail["S1"]["value"] == 1
    # After the quarter: the page moves (no link yet) and the period is shortened.
    services.roadmap_save(
        actor=amd_user,
        ministry=ministry,
        roadmap=roadmap,
        data={"url": "", "period_end": LAST.start},
    )
    again = services.snapshot_compute(actor=agd_user, quarter=LAST)[0]
    assert again.criteria_detail["S1"] == first.criteria_detail["S1"]
    assert again.score_total == first.score_total


# --- N5 counts the plenaries that took place ----------------------------------------------------


def _n5(quarter: Quarter) -> str:
    from supervision.selectors import network_indicators

    return next(i for i in network_indicators(quarter) if i.code == "N5").value


def _plenary(day: datetime.date, status: str, **presence: str) -> None:
    from supervision.models import Attendance

    plenary = Meeting.objects.create(
        meeting_type=Meeting.Type.PLENIERE_TRIMESTRIELLE, title="Plénière", date=day, status=status
    )
    for ministry, state in presence.items():
        Attendance.objects.create(
            meeting=plenary, ministry=MinistryFactory(code=ministry), status=state
        )


def test_plenary_participation_leaves_out_a_postponed_plenary(db):
    _plenary(LAST.start, Meeting.Status.TENUE, a1="PRESENT", a2="ABSENT")
    _plenary(LAST.end, Meeting.Status.REPORTEE, b1="INVITE", b2="INVITE")
    assert _n5(LAST) == "1/2 (50\u00a0%)"


def test_plenary_participation_leaves_out_a_plenary_still_to_come(db):
    quarter = Quarter.current()
    later = timezone.localdate() + datetime.timedelta(days=1)
    if later > quarter.end:
        pytest.skip("dernier jour du trimestre : aucune date à venir dans le trimestre")
    _plenary(quarter.start, Meeting.Status.TENUE, a1="PRESENT", a2="REPRESENTE")
    _plenary(later, Meeting.Status.PLANIFIEE, b1="INVITE", b2="INVITE")
    assert _n5(quarter) == "2/2 (100\u00a0%)"


# --- A published quarter stays as published ------------------------------------------------------


def test_recomputing_a_published_quarter_leaves_its_published_scores_as_they_are(
    agd_user, ministry, other_ministry
):
    services.snapshot_compute(actor=agd_user, quarter=LAST)
    services.snapshot_publish(actor=agd_user, quarter=LAST)
    published = ComplianceSnapshot.objects.get(ministry=ministry)
    # Recorded after the quarter, dated before it: the recomputation would see it (G1).
    MandateFactory(ministry=ministry)
    again = services.snapshot_compute(actor=agd_user, quarter=LAST)
    assert again == []
    kept = ComplianceSnapshot.objects.get(ministry=ministry)
    assert (kept.score_total, kept.computed_at) == (published.score_total, published.computed_at)
    assert kept.criteria_detail["G1"]["value"] == 0


def test_computing_a_published_quarter_says_its_scores_were_kept(agd_client, agd_user, ministry):
    services.snapshot_compute(actor=agd_user, quarter=LAST)
    services.snapshot_publish(actor=agd_user, quarter=LAST)
    response = agd_client.post("/supervision/calculer/", {"trimestre": LAST.label}, follow=True)
    assert "déjà publiés" in response.content.decode()


# --- A meeting is held, and attended, once its day has come ---------------------------------


def _tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def test_a_meeting_still_to_come_cannot_be_marked_held(agd_user, meeting):
    with pytest.raises(ValidationError, match="pas encore eu lieu") as refused:
        services.meeting_save(
            actor=agd_user,
            data={
                "meeting_type": Meeting.Type.COPIL_BIMESTRIEL,
                "title": "COPIL à venir",
                "date": _tomorrow(),
                "status": Meeting.Status.TENUE,
            },
        )
    assert "status" in refused.value.message_dict
    assert not Meeting.objects.filter(title="COPIL à venir").exists()
    with pytest.raises(ValidationError, match="pas encore eu lieu"):
        services.meeting_save(actor=agd_user, meeting=meeting, data={"date": _tomorrow()})
    meeting.refresh_from_db()
    assert meeting.date == datetime.date(2026, 3, 12)


def test_presence_is_not_recorded_before_the_meeting_but_an_excuse_is(agd_user, ministry):
    upcoming = services.meeting_save(
        actor=agd_user,
        data={"meeting_type": Meeting.Type.COPIL_BIMESTRIEL, "title": "C", "date": _tomorrow()},
        invited_ministry_ids=[ministry.pk],
    )
    for status in ("PRESENT", "REPRESENTE", "ABSENT"):
        with pytest.raises(ValidationError, match="pas encore eu lieu"):
            services.attendance_record(
                actor=agd_user,
                meeting=upcoming,
                ministry=ministry,
                status=status,
                represented_by="M. Durand",
            )
    assert Attendance.objects.get(meeting=upcoming).status == "INVITE"
    services.attendance_record(actor=agd_user, meeting=upcoming, ministry=ministry, status="EXCUSE")
    assert Attendance.objects.get(meeting=upcoming).status == "EXCUSE"


@pytest.mark.parametrize("status", [Meeting.Status.ANNULEE, Meeting.Status.REPORTEE])
def test_presence_is_not_recorded_at_a_cancelled_or_postponed_meeting(
    agd_user, meeting, ministry, status
):
    services.meeting_save(actor=agd_user, meeting=meeting, data={"status": status})
    with pytest.raises(ValidationError, match="annulée ou reportée"):
        services.attendance_record(
            actor=agd_user, meeting=meeting, ministry=ministry, status="PRESENT"
        )
    assert Attendance.objects.get(meeting=meeting).status == "INVITE"


# --- Follow-up actions ---------------------------------------------------------------------------


def test_an_action_item_is_not_given_to_a_ministry_no_longer_in_force(agd_user, meeting):
    gone = MinistryFactory(code="ancien", valid_to=datetime.date(2020, 12, 31))
    with pytest.raises(ValidationError, match="n'existe plus") as refused:
        services.action_item_save(
            actor=agd_user,
            meeting=meeting,
            data={
                "description": "Relancer",
                "due_date": datetime.date(2026, 4, 1),
                "owner_ministry": gone,
            },
        )
    assert "owner_ministry" in refused.value.message_dict
    assert not meeting.action_items.exists()


def test_transparency_does_not_name_a_deactivated_titular(anon_client, ministry):
    """Named on public pages only while listed in the public directory: a person who left the
    network (deactivated) is not named, even with their consent still recorded."""
    from tests.factories import MandateFactory, PersonFactory

    MandateFactory(
        ministry=ministry,
        person=PersonFactory(last_name="Parti", consent_directory=True, is_active=False),
    )
    html = anon_client.get("/supervision/transparence/").content.decode()
    assert "Parti" not in html and "Désigné (nom non publié)" in html
    text = anon_client.get("/supervision/transparence/composition.csv").content.decode("utf-8-sig")
    assert "Parti" not in text


def _writer(user):
    from rest_framework.test import APIClient

    from tests.conftest import make_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(user, can_write=True)}")
    return client


def test_api_updates_over_a_change_made_since_they_were_read_answer_409(
    agd_user, amd_user, ministry
):
    """Meetings and roadmap actions over the API: `expected_updated_at` (the `updated_at`
    read) refuses a save over a later change with 409, as the pages do; nothing is written."""
    writer = _writer(agd_user)
    meeting = writer.post(
        "/api/v1/meetings/",
        {
            "meeting_type": "COPIL_BIMESTRIEL",
            "title": "Comité",
            "date": "2026-03-10",
            "status": "TENUE",
        },
        format="json",
    ).json()
    assert "id" in meeting, meeting
    url = f"/api/v1/meetings/{meeting['id']}/"
    read = meeting["updated_at"]
    first = writer.patch(url, {"title": "Premier", "expected_updated_at": read}, format="json")
    assert first.status_code == 200, first.json()
    second = writer.patch(url, {"title": "Second", "expected_updated_at": read}, format="json")
    assert second.status_code == 409 and "entre-temps" in second.json()["detail"]
    assert Meeting.objects.get(pk=meeting["id"]).title == "Premier"

    action = services.action_save(
        actor=amd_user, roadmap=published_roadmap(ministry), data={"title": "Ouvrir"}
    )
    amd_writer = _writer(amd_user)
    url = f"/api/v1/roadmap-actions/{action.pk}/"
    read = amd_writer.get(url).json()["updated_at"]
    ok = amd_writer.patch(url, {"progress_pct": 20, "expected_updated_at": read}, format="json")
    assert ok.status_code == 200, ok.json()
    late = amd_writer.patch(url, {"progress_pct": 90, "expected_updated_at": read}, format="json")
    assert late.status_code == 409
    assert RoadmapAction.objects.get(pk=action.pk).progress_pct == 20


def test_the_supervision_demo_without_any_ministry_says_so_instead_of_failing(db):
    """`make run` without the 2016 directory (shared data not found): no ministry to score,
    said in a line, not a traceback."""
    import io

    from administrators.models import Ministry
    from supervision.demo import load_demo

    Ministry.objects.update(in_ogp_scope=False)
    out = io.StringIO()
    load_demo(out)
    assert "Aucun ministère dans le réseau" in out.getvalue()
    assert not ComplianceSnapshot.objects.exists()
