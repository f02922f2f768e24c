"""Adversarial sweep: an account of one ministry walks every list page and endpoint of the
portal and never meets another ministry's non-public records (roadmap, its actions, a
bilateral sprint and its minutes, an inventory entry, a person's contacts, an official's
registration, a ministry measurement)."""

import datetime
import re

import pytest
from django.urls import get_resolver
from django.utils import timezone

from supervision import services as supervision
from tests.factories import MandateFactory, PersonFactory, UserFactory
from tests.supervision.helpers import published_roadmap
from tests.trainings.factories import IndicatorFactory, RegistrationFactory, SessionFactory
from trainings import services as trainings
from trainings.models import ImpactIndicator, quarter_bounds

pytestmark = pytest.mark.django_db

MARK = "fuite7"


def _list_routes():
    """Every route without a parameter (lists, dashboards, exports), APIs in JSON."""
    out = []

    def walk(patterns, prefix):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            else:
                route = prefix + str(p.pattern)
                if "<" in route or "(?P" in route or route.startswith("admin/"):
                    continue
                out.append("/" + re.sub(r"[\^$\\]", "", route))

    walk(get_resolver().url_patterns, "")
    return sorted({r for r in out if not re.search(r"(logout|csrf|schema|docs)", r)})


@pytest.fixture
def foreign_records(other_ministry, other_organization, dinum_user, agd_user):
    import importlib

    from django.apps import apps

    from datasets.models import DataAsset
    from supervision.models import RoadmapAxis

    if not RoadmapAxis.objects.exists():  # a flushing test may have removed the seeded axes
        importlib.import_module("supervision.migrations.0002_roadmap_axes").load(apps, None)

    roadmap = published_roadmap(other_ministry, title=f"{MARK} feuille de route")
    supervision.action_save(
        actor=agd_user, roadmap=roadmap, data={"title": f"{MARK} action", "ref": "9.9"}
    )
    sprint = supervision.meeting_save(
        actor=agd_user,
        data={
            "meeting_type": "SPRINT_OPEN_DATA",
            "title": f"{MARK} sprint",
            "date": datetime.date(2026, 1, 20),
            "ministry": other_ministry,
        },
        invited_ministry_ids=[other_ministry.pk],
    )
    supervision.minutes_save(actor=agd_user, meeting=sprint, body=f"{MARK} compte rendu")
    DataAsset.objects.create(
        ministry=other_ministry, organization=other_organization, title=f"{MARK} entrée"
    )
    MandateFactory(
        ministry=other_ministry,
        person=PersonFactory(email=f"{MARK}@autre.gouv.fr", phone="01 77 77 77 77"),
    )
    RegistrationFactory(
        session=SessionFactory(start=timezone.now() + datetime.timedelta(days=3)),
        user=UserFactory(email=f"{MARK}.agent@autre.gouv.fr"),
        ministry=other_ministry,
    )
    start, end = quarter_bounds(2024, 3)
    trainings.measurement_record(
        actor=dinum_user,
        indicator=IndicatorFactory(level=ImpactIndicator.Level.MINISTERE),
        period_start=start,
        period_end=end,
        value=3,
        ministry=other_ministry,
        method_note=f"{MARK} mesure",
    )


def _seen(client):
    routes = _list_routes()
    assert len(routes) > 30
    seen = []
    for url in routes:
        response = client.get(url, HTTP_ACCEPT="application/json, text/html;q=0.9")
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        body = raw.decode("utf-8", "replace").lower()
        if MARK in body or "77 77 77 77" in body:
            seen.append(url)
    return seen


@pytest.mark.parametrize("client_name", ["amd_client", "correspondent_client", "plain_client"])
def test_one_ministrys_accounts_never_see_another_ministrys_records(
    request, client_name, foreign_records
):
    assert _seen(request.getfixturevalue(client_name)) == []


def test_the_sweep_does_reach_those_records_as_network_staff(agd_client, foreign_records):
    """The control: the same walk as the chief data officer meets them on several routes."""
    seen = _seen(agd_client)
    assert "/api/v1/roadmaps/" in seen and "/api/v1/mandates/" in seen
    assert "/api/v1/training-registrations/" in seen


@pytest.fixture
def foreign_urls(other_ministry, other_organization, agd_user, foreign_records):
    from administrators.models import DataAdministrator
    from supervision.models import ActionItem, Meeting, Roadmap, RoadmapAction
    from trainings.models import Measurement, Registration

    roadmap = Roadmap.objects.get(ministry=other_ministry)
    action = RoadmapAction.objects.get(roadmap=roadmap)
    sprint = Meeting.objects.get(ministry=other_ministry)
    item = supervision.action_item_save(
        actor=agd_user,
        meeting=sprint,
        data={"description": "d", "due_date": sprint.date, "owner_ministry": other_ministry},
    )
    assert ActionItem.objects.filter(pk=item.pk).exists()
    mandate = DataAdministrator.objects.get(ministry=other_ministry)
    code, org = other_ministry.code, other_organization.pk
    registration = Registration.objects.get(ministry=other_ministry)
    measurement = Measurement.objects.get(ministry=other_ministry)
    return [
        f"/ministeres/{code}/",
        f"/ministeres/{code}/modifier/",
        f"/ministeres/{code}/roles/",
        f"/ministeres/{code}/organisations/{org}/",
        f"/ministeres/{code}/organisations/{org}/modifier/",
        f"/ministeres/{code}/mandats/{mandate.pk}/",
        f"/ministeres/{code}/mandats/{mandate.pk}/personne/",
        f"/supervision/ministeres/{code}/",
        f"/supervision/ministeres/{code}/export.csv",
        f"/supervision/ministeres/{code}/criteres/Q1/",
        f"/supervision/reunions/{sprint.pk}/",
        f"/supervision/feuilles-de-route/{roadmap.pk}/",
        f"/supervision/feuilles-de-route/{roadmap.pk}/modifier/",
        f"/supervision/feuilles-de-route/{roadmap.pk}/import/",
        f"/supervision/feuilles-de-route/{roadmap.pk}/actions/{action.pk}/",
        f"/supervision/feuilles-de-route/nouvelle/?ministere={code}",
        f"/api/v1/ministries/{other_ministry.pk}/",
        f"/api/v1/organizations/{org}/",
        f"/api/v1/mandates/{mandate.pk}/",
        f"/api/v1/progress/{code}/",
        f"/api/v1/roadmaps/{roadmap.pk}/",
        f"/api/v1/roadmap-actions/{action.pk}/",
        f"/api/v1/meetings/{sprint.pk}/",
        f"/api/v1/action-items/{item.pk}/",
        f"/api/v1/training-registrations/{registration.pk}/",
        f"/api/v1/impact-measurements/{measurement.pk}/",
    ]


@pytest.mark.parametrize("client_name", ["amd_client", "correspondent_client"])
def test_another_ministrys_records_answer_404_to_a_ministry_account(
    request, client_name, foreign_urls
):
    client = request.getfixturevalue(client_name)
    answers = {url: client.get(url).status_code for url in foreign_urls}
    assert {url: code for url, code in answers.items() if code != 404} == {}


def test_those_records_exist_for_the_chief_data_officer(agd_client, foreign_urls):
    answers = {url: agd_client.get(url).status_code for url in foreign_urls}
    assert {url: code for url, code in answers.items() if code != 200} == {}
