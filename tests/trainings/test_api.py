"""REST API of trainings, events and impact: permission matrix, bad inputs, flat query counts."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from administrators.models import Membership
from tests.conftest import make_token
from tests.factories import MembershipFactory, UserFactory
from tests.trainings.factories import (
    CourseFactory,
    EventFactory,
    IndicatorFactory,
    RegistrationFactory,
    SessionFactory,
)
from trainings.models import Event, Measurement, Registration, TrainingSession

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _token_client(user, *, can_write):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {make_token(user, can_write=can_write)}")
    return c


def _session_payload(course, **over):
    start = timezone.now() + datetime.timedelta(days=5)
    data = {
        "course": course.code,
        "start": start.isoformat(),
        "end": (start + datetime.timedelta(hours=2)).isoformat(),
        "location": "Paris",
        "capacity": 15,
    }
    data.update(over)
    return data


READ_MATRIX = [
    # (url template, anonymous, plain, api_client read-only token)
    ("/training-courses/", 200, 200, 200),
    ("/training-sessions/", 200, 200, 200),
    ("/training-sessions/{s}/", 200, 200, 200),
    ("/training-sessions/{s}/ics/", 200, 200, 200),
    ("/events/", 200, 200, 200),
    ("/training-registrations/", 401, 200, 200),
    ("/impact-indicators/", 401, 200, 200),
    ("/impact-measurements/", 401, 200, 200),
    ("/training-stats/", 401, 403, 403),
]


@pytest.mark.parametrize("path,anon,plain,token", READ_MATRIX, ids=[m[0] for m in READ_MATRIX])
def test_read_permission_matrix(path, anon, plain, token, anon_client, plain_client, api_client):
    session = SessionFactory()
    url = API + path.format(s=session.pk)
    assert anon_client.get(url).status_code == anon
    assert plain_client.get(url).status_code == plain
    assert api_client.get(url).status_code == token


def test_training_stats_for_network_viewer_token(network_api_client, ministry):
    RegistrationFactory(ministry=ministry, attended=True)
    data = network_api_client.get(f"{API}/training-stats/").json()
    assert data["officials_trained"] == 1
    assert data["per_ministry"][0]["officials"] == 1
    assert {row["code"] for row in data["per_audience"]} >= {"AMD", "DPO"}


@pytest.mark.parametrize(
    "role,expected",
    [("anon", 401), ("plain", 403), ("amd", 403), ("trainer", 201), ("dinum", 201)],
)
def test_session_create_matrix(request, role, expected):
    client = request.getfixturevalue(f"{role}_client")
    course = CourseFactory()
    response = client.post(f"{API}/training-sessions/", _session_payload(course), format="json")
    assert response.status_code == expected, response.content
    assert TrainingSession.objects.count() == (1 if expected == 201 else 0)


def test_read_only_token_of_a_trainer_cannot_schedule(trainer_user):
    client = _token_client(trainer_user, can_write=False)
    response = client.post(
        f"{API}/training-sessions/", _session_payload(CourseFactory()), format="json"
    )
    assert response.status_code == 403
    client = _token_client(trainer_user, can_write=True)
    response = client.post(
        f"{API}/training-sessions/", _session_payload(CourseFactory()), format="json"
    )
    assert response.status_code == 201
    assert response.json()["trainers"] == [trainer_user.pk]


def test_session_ending_before_start_is_refused_by_the_api(trainer_client):
    course = CourseFactory()
    start = timezone.now() + datetime.timedelta(days=5)
    payload = _session_payload(
        course, end=(start - datetime.timedelta(hours=1)).isoformat(), start=start.isoformat()
    )
    response = trainer_client.post(f"{API}/training-sessions/", payload, format="json")
    assert response.status_code == 400
    assert "postérieure à son début" in response.content.decode()
    assert not TrainingSession.objects.exists()


def test_other_trainers_session_patch_is_403_own_is_200(trainer_user, trainer_client):
    other = UserFactory()
    MembershipFactory(user=other, role=Membership.Role.TRAINER, ministry=None)
    theirs = SessionFactory(trainers=[other], capacity=10)
    mine = SessionFactory(trainers=[trainer_user], capacity=10)
    response = trainer_client.patch(
        f"{API}/training-sessions/{theirs.pk}/", {"capacity": 50}, format="json"
    )
    assert response.status_code == 403
    assert "formateur de cette session" in response.json()["detail"]
    theirs.refresh_from_db()
    assert theirs.capacity == 10
    assert (
        trainer_client.post(
            f"{API}/training-sessions/{theirs.pk}/attendance/", {"present": []}, format="json"
        ).status_code
        == 403
    )
    assert (
        trainer_client.get(f"{API}/training-sessions/{theirs.pk}/registrations/").status_code == 403
    )
    response = trainer_client.patch(
        f"{API}/training-sessions/{mine.pk}/", {"capacity": 12}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["capacity"] == 12


def test_registration_via_api_with_waitlist_and_bad_inputs(ministry):
    session = SessionFactory(capacity=1)
    users = [UserFactory() for _ in range(2)]
    for u in users:
        MembershipFactory(user=u, role=Membership.Role.VIEWER, ministry=ministry)
    c1, c2 = (_token_client(u, can_write=True) for u in users)
    r1 = c1.post(f"{API}/training-registrations/", {"session": session.pk}, format="json")
    assert r1.status_code == 201 and r1.json()["status"] == "INSCRIT"
    assert r1.json()["ministry"] == ministry.code
    r2 = c2.post(f"{API}/training-registrations/", {"session": session.pk}, format="json")
    assert r2.status_code == 201 and r2.json()["status"] == "LISTE_ATTENTE"
    again = c1.post(f"{API}/training-registrations/", {"session": session.pk}, format="json")
    assert again.status_code == 400 and "déjà inscrit" in again.content.decode()
    # c1 cancels: c2 is promoted.
    assert c1.post(f"{API}/training-registrations/{r1.json()['id']}/cancel/").status_code == 200
    assert Registration.objects.get(pk=r2.json()["id"]).status == "INSCRIT"
    # c2 does not see c1's registration (404, not 403).
    assert c2.get(f"{API}/training-registrations/{r1.json()['id']}/").status_code == 404
    assert c2.post(f"{API}/training-registrations/{r1.json()['id']}/cancel/").status_code == 404


def test_cancelled_and_past_sessions_refuse_registration_via_api(plain_user, ministry):
    client = _token_client(plain_user, can_write=True)
    cancelled = SessionFactory(status=TrainingSession.Status.ANNULEE)
    start = timezone.now() - datetime.timedelta(days=2)
    past = SessionFactory(start=start, end=start + datetime.timedelta(hours=1))
    for session, message in [(cancelled, "annulée"), (past, "passée")]:
        r = client.post(
            f"{API}/training-registrations/",
            {"session": session.pk, "ministry": ministry.code},
            format="json",
        )
        assert r.status_code == 400 and message in r.content.decode()
    assert not Registration.objects.exists()


def test_read_only_token_cannot_register(api_client):
    session = SessionFactory()
    assert (
        api_client.post(
            f"{API}/training-registrations/", {"session": session.pk}, format="json"
        ).status_code
        == 403
    )
    assert not Registration.objects.exists()


def test_ministry_admin_sees_registrations_of_own_ministry_only(
    amd_client, ministry, other_ministry
):
    own = RegistrationFactory(ministry=ministry)
    RegistrationFactory(ministry=other_ministry)
    ids = [r["id"] for r in amd_client.get(f"{API}/training-registrations/").json()["results"]]
    assert ids == [own.pk]


@pytest.mark.parametrize(
    "role,expected", [("anon", 401), ("plain", 403), ("trainer", 403), ("amd", 403), ("dinum", 201)]
)
def test_event_create_matrix(request, role, expected, ministry):
    client = request.getfixturevalue(f"{role}_client")
    payload = {
        "event_type": "CONSULTATION_PUBLIQUE",
        "title": "Consultation sur le service public de la donnée",
        "start": "2016-10-01",
        "contributions_count": 160,
        "ministries": [ministry.code],
    }
    response = client.post(f"{API}/events/", payload, format="json")
    assert response.status_code == expected
    assert Event.objects.count() == (1 if expected == 201 else 0)


def test_event_validation_messages(dinum_client):
    payload = {
        "event_type": "GT_INTERNATIONAL",
        "title": "GT OCDE",
        "start": "2024-05-02",
        "end": "2024-05-01",
    }
    response = dinum_client.post(f"{API}/events/", payload, format="json")
    assert response.status_code == 400
    body = response.content.decode()
    assert "précède son début" in body and "instance internationale" in body
    assert not Event.objects.exists()


def test_measurement_create_and_duplicate_refused(dinum_client):
    ind = IndicatorFactory(code="telechargements")
    payload = {
        "indicator": "telechargements",
        "period_start": "2024-01-01",
        "period_end": "2024-03-31",
        "value": "1250.5",
    }
    r = dinum_client.post(f"{API}/impact-measurements/", payload, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["quarter"] == "2024-T1"
    r = dinum_client.post(f"{API}/impact-measurements/", payload, format="json")
    assert r.status_code == 400 and "existe déjà" in r.content.decode()
    bad = dict(payload, period_start="2024-01-15")
    r = dinum_client.post(f"{API}/impact-measurements/", bad, format="json")
    assert r.status_code == 400 and "trimestre civil" in r.content.decode()
    assert Measurement.objects.filter(indicator=ind).count() == 1


def test_amd_cannot_write_measurements(amd_client):
    IndicatorFactory(code="x")
    payload = {
        "indicator": "x",
        "period_start": "2024-01-01",
        "period_end": "2024-03-31",
        "value": "1",
    }
    assert amd_client.post(f"{API}/impact-measurements/", payload, format="json").status_code == 403


def test_ministry_measurements_are_scoped(amd_client, dinum_user, ministry, other_ministry):
    from trainings import services
    from trainings.models import ImpactIndicator, quarter_bounds

    ind = IndicatorFactory(level=ImpactIndicator.Level.MINISTERE)
    start, end = quarter_bounds(2024, 2)
    for m in (ministry, other_ministry):
        services.measurement_record(
            actor=dinum_user, indicator=ind, period_start=start, period_end=end, value=1, ministry=m
        )
    rows = amd_client.get(f"{API}/impact-measurements/").json()["results"]
    assert [r["ministry"] for r in rows] == [ministry.code]
    other = Measurement.objects.get(ministry=other_ministry)
    assert amd_client.get(f"{API}/impact-measurements/{other.pk}/").status_code == 404


def test_asset_measurements_are_scoped_by_the_assets_ministry(
    amd_client, dinum_user, ministry, other_ministry
):
    from tests.datasets.factories import AssetFactory
    from trainings import services
    from trainings.models import ImpactIndicator, quarter_bounds

    ind = IndicatorFactory(level=ImpactIndicator.Level.ACTIF)
    start, end = quarter_bounds(2024, 2)
    own, foreign = AssetFactory(ministry=ministry), AssetFactory(ministry=other_ministry)
    for a in (own, foreign):
        services.measurement_record(
            actor=dinum_user, indicator=ind, period_start=start, period_end=end, value=7, asset=a
        )
    rows = amd_client.get(f"{API}/impact-measurements/").json()["results"]
    assert [r["asset"] for r in rows] == [own.pk]
    other = Measurement.objects.get(asset=foreign)
    assert amd_client.get(f"{API}/impact-measurements/{other.pk}/").status_code == 404


# --- flat query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 15])
def test_session_api_list_query_count_is_flat(rows, api_client, django_assert_num_queries):
    trainers = [UserFactory()]
    for _ in range(rows):
        RegistrationFactory(session=SessionFactory(trainers=trainers))
    # token, token last_used update, count, sessions, trainers
    with django_assert_num_queries(5):
        assert api_client.get(f"{API}/training-sessions/").status_code == 200


@pytest.mark.parametrize("rows", [1, 15])
def test_registration_api_list_query_count_is_flat(
    rows, amd_user, amd_client, ministry, django_assert_num_queries
):
    for _ in range(rows):
        RegistrationFactory(ministry=ministry)
    with django_assert_num_queries(6):
        assert amd_client.get(f"{API}/training-registrations/").status_code == 200


@pytest.mark.parametrize("rows", [1, 15])
def test_event_api_list_query_count_is_flat(rows, api_client, ministry, django_assert_num_queries):
    for _ in range(rows):
        EventFactory().ministries.add(ministry)
    with django_assert_num_queries(9):
        assert api_client.get(f"{API}/events/").status_code == 200


@pytest.mark.parametrize("rows", [1, 15])
def test_course_api_list_query_count_is_flat(rows, api_client, django_assert_num_queries):
    from trainings.models import Audience

    for _ in range(rows):
        CourseFactory().audiences.set(Audience.objects.all()[:2])
    # token, last use, roles (2), count, courses, audiences, guides
    with django_assert_num_queries(8):
        assert api_client.get(f"{API}/training-courses/").status_code == 200


def test_attendance_and_satisfaction_through_the_api(trainer_user, trainer_client, ministry):
    start = timezone.now() - datetime.timedelta(hours=5)
    session = SessionFactory(
        start=start, end=start + datetime.timedelta(hours=2), trainers=[trainer_user]
    )
    official = UserFactory()
    reg = RegistrationFactory(session=session, user=official, ministry=ministry)
    r = trainer_client.post(
        f"{API}/training-sessions/{session.pk}/attendance/", {"present": [reg.pk]}, format="json"
    )
    assert r.status_code == 200 and r.json() == {"changed": 1}
    client = _token_client(official, can_write=True)
    r = client.post(
        f"{API}/training-registrations/{reg.pk}/satisfaction/", {"satisfaction": 7}, format="json"
    )
    assert r.status_code == 400 and "de 1 à 5" in r.content.decode()
    r = client.post(
        f"{API}/training-registrations/{reg.pk}/satisfaction/", {"satisfaction": 4}, format="json"
    )
    assert r.status_code == 200 and r.json()["satisfaction"] == 4


def test_openapi_schema_lists_the_endpoints(anon_client):
    schema = anon_client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/guides/",
        "/api/v1/guide-versions/{id}/transition/",
        "/api/v1/training-courses/",
        "/api/v1/training-sessions/{id}/attendance/",
        "/api/v1/training-registrations/{id}/cancel/",
        "/api/v1/events/",
        "/api/v1/impact-indicators/",
        "/api/v1/impact-measurements/",
        "/api/v1/training-stats/",
    ):
        assert path in paths, path


def test_reminders_are_in_the_beat_schedule():
    from core.schedules import collect_beat_schedule

    tasks = {entry["task"] for entry in collect_beat_schedule().values()}
    assert "trainings.send_training_reminders" in tasks


def test_browsable_api_form_lists_trainers_only_never_every_account(trainer_client):
    UserFactory(email="agent.quelconque@interieur.gouv.fr", first_name="", last_name="Quidam")
    page = trainer_client.get(f"{API}/training-sessions/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert "agent.quelconque" not in page.content.decode()
    assert "Quidam" not in page.content.decode()


def _count(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def test_more_pages_and_endpoints_cost_the_same_queries_at_1_and_25_rows(
    trainer_user, trainer_client, dinum_user, dinum_client, ministry
):
    from tests.datasets.factories import AssetFactory
    from tests.guides.factories import published_guide
    from trainings import services
    from trainings.models import ImpactIndicator, quarter_bounds

    course = CourseFactory()
    session = SessionFactory(course=course, trainers=[trainer_user])
    event = EventFactory()
    indicator = IndicatorFactory(level=ImpactIndicator.Level.ACTIF)

    def grow(n):
        for i in range(n):
            course.related_guides.add(published_guide())
            SessionFactory(course=course, trainers=[trainer_user, UserFactory()])
            RegistrationFactory(session=session)
            event.ministries.add(RegistrationFactory().ministry)
            event.datasets.add(AssetFactory(ministry=ministry))
            start, end = quarter_bounds(2024, 1)
            services.measurement_record(
                actor=dinum_user,
                indicator=indicator,
                period_start=start,
                period_end=end,
                value=i,
                asset=AssetFactory(ministry=ministry),
            )

    trainer_urls = [
        "/formations/calendrier.ics",
        f"/formations/catalogue/{course.code}/",
        f"/formations/sessions/{session.pk}/",
        "/formations/mes-sessions/",
        f"{API}/training-courses/{course.code}/",
        f"{API}/training-sessions/{session.pk}/registrations/",
    ]
    staff_urls = [
        f"/formations/evenements/{event.pk}/",
        f"{API}/events/{event.pk}/",
        f"{API}/impact-indicators/",
        f"{API}/impact-measurements/",
    ]
    grow(1)
    for client in (trainer_client, dinum_client):
        _count(client, "/formations/")  # warm the session and the content types
    small = {u: _count(trainer_client, u) for u in trainer_urls}
    small |= {u: _count(dinum_client, u) for u in staff_urls}
    grow(24)
    large = {u: _count(trainer_client, u) for u in trainer_urls}
    large |= {u: _count(dinum_client, u) for u in staff_urls}
    assert large == small


def test_course_title_with_a_line_break_is_refused_in_french(dinum_user):
    """The title goes into the subject of the reminder e-mails: a line break there would make
    every reminder of the course fail (BadHeaderError)."""
    client = _token_client(dinum_user, can_write=True)
    response = client.post(
        f"{API}/training-courses/",
        {
            "code": "ligne",
            "title": "Ouvrir\nBcc: x@y.fr",
            "format": "DISTANCIEL",
            "duration_hours": 3,
        },
        format="json",
    )
    assert response.status_code == 400 and "saut de ligne" in str(response.json())
    from trainings.models import TrainingCourse

    assert not TrainingCourse.objects.filter(code="ligne").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("offset", ["%2B16:00", "-19:50", "%2B23:59"])
def test_a_session_filter_with_a_far_time_zone_offset_is_read_in_utc(client, offset):
    """Found by schemathesis: Python reads offsets up to ±24 h, PostgreSQL only ±15:59 (500)."""
    for name in ("start_before", "start_after"):
        response = client.get(f"/api/v1/training-sessions/?{name}=2026-01-01T00:00:00{offset}")
        assert response.status_code == 200, (name, offset)


@pytest.mark.django_db
@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59-01:00"])
def test_a_session_filter_at_the_edge_of_time_is_refused_in_french(client, moment):
    response = client.get(f"/api/v1/training-sessions/?start_after={moment}")
    assert response.status_code == 400
    assert response.json() == {"start": ["Date hors des limites acceptées."]}
