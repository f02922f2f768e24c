"""Supervision pages in a real browser, each checked by axe-core (no serious or critical issue)."""

import datetime

import pytest

from administrators.models import Membership
from supervision import services
from supervision.quarters import Quarter
from tests.factories import MandateFactory, MembershipFactory, MinistryFactory, UserFactory


@pytest.fixture
def supervised(transactional_db):
    interieur = MinistryFactory(
        code="interieur", name="Ministère de l'Intérieur", short_name="Intérieur"
    )
    culture = MinistryFactory(code="culture", name="Ministère de la Culture", short_name="Culture")
    MandateFactory(ministry=interieur)
    agd = UserFactory(email="agd@exemple.gouv.fr")
    MembershipFactory(user=agd, role=Membership.Role.CHIEF_DATA_OFFICER, ministry=None)
    meeting = services.meeting_save(
        actor=agd,
        data={
            "meeting_type": "PLENIERE_TRIMESTRIELLE",
            "title": "Plénière du réseau",
            "date": datetime.date(2026, 1, 15),
            "status": "TENUE",
        },
        invited_ministry_ids=[interieur.pk, culture.pk],
    )
    services.attendance_record(actor=agd, meeting=meeting, ministry=interieur, status="PRESENT")
    services.minutes_save(
        actor=agd,
        meeting=meeting,
        body="# Relevé\n\n- Point d'étape",
        public=True,
        status="DIFFUSE",
    )
    services.action_item_save(
        actor=agd,
        meeting=meeting,
        data={
            "description": "Programmer un sprint",
            "due_date": datetime.date(2026, 2, 1),
            "owner_ministry": culture,
        },
    )
    for q in Quarter.current().last(3):
        services.snapshot_compute(actor=agd, quarter=q)
    services.snapshot_publish(actor=agd, quarter=Quarter.current().previous())
    return {"agd": agd, "ministry": interieur, "meeting": meeting}


def test_dashboard_shows_scores_trend_and_passes_axe(page, supervised, login_as, assert_accessible):
    login_as(page, supervised["agd"])
    page.goto("/supervision/")
    assert page.get_by_role("heading", name="Répartition par niveau").is_visible()
    assert page.locator("svg[role=img]").count() >= 2
    assert_accessible(page)
    page.goto("/supervision/indicateurs/")
    assert page.locator("#N21").is_visible()
    assert_accessible(page)


def test_ministry_drilldown_passes_axe(page, supervised, login_as, assert_accessible):
    login_as(page, supervised["agd"])
    page.goto("/supervision/ministeres/interieur/")
    assert page.get_by_text("G1 — AMD désigné").is_visible()
    assert_accessible(page)


def test_meeting_page_passes_axe(page, supervised, login_as, assert_accessible):
    login_as(page, supervised["agd"])
    page.goto(f"/supervision/reunions/{supervised['meeting'].pk}/")
    assert page.get_by_role("heading", name="Relevé").is_visible()
    assert_accessible(page)
    page.goto("/supervision/reunions/")
    assert_accessible(page)


def test_transparency_page_is_public_and_passes_axe(page, supervised, assert_accessible):
    page.goto("/supervision/transparence/")
    assert page.get_by_text(Quarter.current().previous().label).first.is_visible()
    assert_accessible(page)
