"""The small forms of a meeting page: a refused submission shows the page again with the form,
its errors next to the fields and what was typed, and writes nothing; an accepted one redirects.
The « Responsable » column of the follow-up actions."""

from __future__ import annotations

import datetime
import html
import re

import pytest

from supervision import services
from supervision.models import ActionItem, AgendaItem, Attendance, Decision, Meeting, Minutes
from tests.factories import MinistryFactory
from tests.supervision.helpers import busy_plenary, held_copil

LONG_MINUTES = (
    "# Relevé de décisions\n\n"
    + "Le comité a examiné la feuille de route de chaque ministère, point par point. " * 40
    + "\n\n<script>alert('x')</script>"
)


@pytest.fixture
def meeting(db, ministry, other_ministry, agd_user):
    return held_copil(agd_user, ministry, other_ministry)


def _written(meeting: Meeting) -> dict[str, int]:
    return {
        "minutes": Minutes.objects.filter(meeting=meeting).count(),
        "decisions": Decision.objects.filter(meeting=meeting).count(),
        "items": ActionItem.objects.filter(meeting=meeting).count(),
        "agenda": AgendaItem.objects.filter(meeting=meeting).count(),
        "present": Attendance.objects.filter(meeting=meeting, status="PRESENT").count(),
    }


def test_refused_minutes_come_back_with_the_text_typed_and_the_error_next_to_it(
    agd_client, meeting
):
    before = _written(meeting)
    response = agd_client.post(
        f"/supervision/reunions/{meeting.pk}/compte-rendu/",
        {"body": LONG_MINUTES, "summary": "Résumé à garder", "status": "DIFFUSE"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    # Everything typed is still there (escaped in the textarea), the status chosen too.
    assert html.escape(LONG_MINUTES, quote=False) in page or html.escape(LONG_MINUTES) in page
    assert "Résumé à garder" in page
    assert '<option value="DIFFUSE" selected>' in page
    # The error is French, DSFR-styled, and the form it belongs to is open.
    assert "contenu interdit" in page
    assert "fr-input-group--error" in page
    assert 'id="formulaire-compte-rendu" open' in page
    assert "Rien n&#x27;a été enregistré" in page
    assert _written(meeting) == before


@pytest.mark.parametrize(
    ("part", "data", "kept", "error"),
    [
        (
            "ordre-du-jour",
            {"title": "", "presenter": "Mme Martin", "duration_min": "vingt"},
            "Mme Martin",
            "Saisissez un nombre entier.",
        ),
        ("decision", {"text": "Adopter la feuille de route", "scope": "INCONNU"}, "Adopter", ""),
        (
            "action",
            {
                "description": "Publier la base des subventions",
                "due_date": "2026-03-01",  # before the meeting: refused by the service
                "status": "OUVERTE",
            },
            "Publier la base des subventions",
            "précède la réunion",
        ),
        (
            "action",
            {"description": "Publier la base des subventions", "status": "OUVERTE"},
            "Publier la base des subventions",
            "Ce champ est obligatoire.",
        ),
        ("presence", {"status": "PRESENT", "represented_by": "M. Durand"}, "M. Durand", ""),
    ],
)
def test_each_refused_sub_form_is_shown_again_bound_and_nothing_is_written(
    agd_client, meeting, part, data, kept, error
):
    before = _written(meeting)
    response = agd_client.post(f"/supervision/reunions/{meeting.pk}/{part}/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert kept in page
    assert re.search(r'class="fr-(input|select)-group fr-(input|select)-group--error"', page)
    assert f'id="formulaire-{part}" open' in page
    if error:
        assert error in page
    assert _written(meeting) == before


def test_attendance_of_a_ministry_not_invited_is_refused_on_the_page(agd_client, meeting):
    outsider = MinistryFactory(short_name="Outre-mer")
    response = agd_client.post(
        f"/supervision/reunions/{meeting.pk}/presence/",
        {"ministry": outsider.pk, "status": "PRESENT", "represented_by": "M. Durand"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "pas invité à cette réunion" in page and "M. Durand" in page
    assert f'<option value="{outsider.pk}" selected>' in page
    assert not Attendance.objects.filter(meeting=meeting, ministry=outsider).exists()


def test_only_the_refused_form_is_bound_and_field_ids_stay_unique(agd_client, meeting):
    page = agd_client.post(
        f"/supervision/reunions/{meeting.pk}/decision/", {"text": "", "scope": "RESEAU"}
    ).content.decode()
    assert page.count("fr-input-group--error") == 1
    assert 'id="formulaire-decision" open' in page
    assert 'id="formulaire-action" open' not in page
    # Five forms, three `status` fields: each label points at its own field.
    for part in ("presence", "compte-rendu", "action"):
        assert page.count(f'id="{part}-status"') == 1


@pytest.mark.parametrize(
    ("part", "data"),
    [
        ("ordre-du-jour", {"title": "Point d'étape"}),
        ("decision", {"text": "Adopter la feuille de route", "scope": "RESEAU"}),
        ("compte-rendu", {"body": "# Relevé", "status": "BROUILLON"}),
        (
            "action",
            {"description": "Publier", "due_date": "2026-04-30", "status": "OUVERTE"},
        ),
    ],
)
def test_an_accepted_sub_form_still_redirects_to_the_meeting(agd_client, meeting, part, data):
    before = _written(meeting)
    response = agd_client.post(f"/supervision/reunions/{meeting.pk}/{part}/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/supervision/reunions/{meeting.pk}/"
    assert _written(meeting) != before


def test_a_refused_sub_form_is_still_for_network_staff_only(amd_client, meeting):
    response = amd_client.post(f"/supervision/reunions/{meeting.pk}/decision/", {"text": ""})
    assert response.status_code == 403


@pytest.mark.parametrize("size", [1, 6])
def test_meeting_page_shown_again_after_a_refusal_costs_the_same_queries(
    size, agd_client, agd_user, django_assert_num_queries
):
    ministries = [MinistryFactory() for _ in range(size)]
    meeting = busy_plenary(agd_user, ministries)
    url = f"/supervision/reunions/{meeting.pk}/compte-rendu/"
    agd_client.post(url, {"body": "", "status": "BROUILLON"})
    # As many as the page itself (test_views.test_meeting_detail_query_count_is_flat): the
    # refused form adds none.
    with django_assert_num_queries(13):
        assert agd_client.post(url, {"body": "", "status": "BROUILLON"}).status_code == 200


# --- « Responsable » of a follow-up action ----------------------------------------------------


@pytest.mark.parametrize(
    ("label", "with_ministry", "shown"),
    [
        ("Mme Martin", True, "Mme Martin (Intérieur)"),
        ("Mme Martin", False, "Mme Martin"),
        ("", True, "Intérieur"),
        ("", False, "—"),
    ],
)
def test_responsible_column_names_whoever_is_set(
    agd_client, agd_user, meeting, ministry, label, with_ministry, shown
):
    services.action_item_save(
        actor=agd_user,
        meeting=meeting,
        data={
            "description": "Publier la base",
            "due_date": datetime.date(2026, 4, 30),
            "owner_label": label,
            "owner_ministry": ministry if with_ministry else None,
        },
    )
    page = agd_client.get(f"/supervision/reunions/{meeting.pk}/").content.decode()
    assert f"<td>Publier la base</td><td>{html.escape(shown)}</td>" in page
    assert "<td> (Intérieur)</td>" not in page and "<td>(Intérieur)</td>" not in page
