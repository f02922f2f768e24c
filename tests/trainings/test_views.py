"""Training pages: the end-to-end flow, permission matrix and flat query counts."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from administrators.models import Membership
from tests.factories import MembershipFactory, UserFactory
from tests.trainings.factories import (
    CourseFactory,
    EventFactory,
    IndicatorFactory,
    RegistrationFactory,
    SessionFactory,
)
from trainings import tasks
from trainings.models import Registration, TrainingSession

pytestmark = pytest.mark.django_db

S = Registration.Status


def _client(user):
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_login(user)
    return c


def _official(ministry):
    user = UserFactory()
    MembershipFactory(user=user, role=Membership.Role.VIEWER, ministry=ministry)
    return user


def _fmt(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_trainer_schedules_officials_register_waitlist_promotion_reminder_attendance_satisfaction(
    trainer_user, trainer_client, ministry, other_ministry, django_capture_on_commit_callbacks
):
    course = CourseFactory(title="Ouvrir ses données par défaut")
    start = timezone.now() + datetime.timedelta(days=1, hours=2)
    # 1. The trainer schedules a session with two seats.
    response = trainer_client.post(
        "/formations/sessions/nouvelle/",
        {
            "course": course.pk,
            "start": _fmt(start),
            "end": _fmt(start + datetime.timedelta(hours=3)),
            "location": "Ségur, salle 4",
            "capacity": 2,
            "status": "OUVERTE",
        },
    )
    assert response.status_code == 302, response.content.decode()
    session = TrainingSession.objects.get()
    assert list(session.trainers.all()) == [trainer_user]

    # 2. Three officials of two ministries register; the third is waitlisted.
    a, b = _official(ministry), _official(other_ministry)
    c = UserFactory()  # no portal role: declares their ministry
    url = f"/formations/sessions/{session.pk}/inscription/"
    assert _client(a).post(url).status_code == 302
    assert _client(b).post(url).status_code == 302
    page = _client(c).post(url, {"ministry": ministry.pk}, follow=True).content.decode()
    assert "liste d&#x27;attente (rang 1)" in page or "liste d'attente (rang 1)" in page
    assert [r.status for r in Registration.objects.order_by("id")] == [
        S.INSCRIT,
        S.INSCRIT,
        S.LISTE_ATTENTE,
    ]

    # Registering twice: a French message, nothing written.
    page = _client(a).post(url, follow=True).content.decode()
    assert "déjà inscrit" in page
    assert Registration.objects.count() == 3

    # 3. One cancels: the waitlisted official is promoted and told by e-mail.
    reg_b = Registration.objects.get(user=b)
    with django_capture_on_commit_callbacks(execute=True):
        assert _client(b).post(f"/formations/inscriptions/{reg_b.pk}/annuler/").status_code == 302
    assert Registration.objects.get(user=c).status == S.INSCRIT
    assert mail.outbox[-1].to == [c.email]

    # 4. Reminders two days before (beat task), once each.
    mail.outbox.clear()
    assert tasks.send_training_reminders() == 2
    assert tasks.send_training_reminders() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted([a.email, c.email])

    # 5. After the session the trainer marks attendance, the attendee answers the survey.
    Registration.objects.update(registered_at=timezone.now() - datetime.timedelta(days=3))
    TrainingSession.objects.filter(pk=session.pk).update(
        start=timezone.now() - datetime.timedelta(hours=4),
        end=timezone.now() - datetime.timedelta(hours=1),
    )
    reg_a, reg_c = Registration.objects.get(user=a), Registration.objects.get(user=c)
    response = trainer_client.post(
        f"/formations/sessions/{session.pk}/inscriptions/", {"present": [reg_a.pk]}
    )
    assert response.status_code == 302
    reg_a.refresh_from_db()
    reg_c.refresh_from_db()
    assert reg_a.attended is True and reg_c.attended is False
    response = _client(a).post(
        f"/formations/inscriptions/{reg_a.pk}/satisfaction/",
        {"satisfaction": 5, "feedback": "Très clair."},
    )
    assert response.status_code == 302
    reg_a.refresh_from_db()
    assert reg_a.satisfaction == 5
    # The absent official cannot answer.
    page = (
        _client(c)
        .post(f"/formations/inscriptions/{reg_c.pk}/satisfaction/", {"satisfaction": 1})
        .content.decode()
    )
    assert "personnes présentes" in page
    reg_c.refresh_from_db()
    assert reg_c.satisfaction is None

    # 6. N16 on the statistics page.
    from trainings.selectors import officials_trained_per_ministry

    assert officials_trained_per_ministry() == [
        {"ministry_id": ministry.pk, "ministry": "Intérieur", "officials": 1, "attendances": 1}
    ]


def test_session_that_ends_before_it_starts_is_refused(trainer_client):
    course = CourseFactory()
    start = timezone.now() + datetime.timedelta(days=3)
    response = trainer_client.post(
        "/formations/sessions/nouvelle/",
        {
            "course": course.pk,
            "start": _fmt(start),
            "end": _fmt(start - datetime.timedelta(hours=1)),
            "location": "Paris",
            "capacity": 10,
            "status": "OUVERTE",
        },
    )
    assert response.status_code == 200
    assert "La fin de la session doit être postérieure à son début." in response.content.decode()
    assert not TrainingSession.objects.exists()


def test_session_ending_before_start_is_refused_by_the_database_too():
    from django.db import IntegrityError, transaction

    start = timezone.now() + datetime.timedelta(days=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        SessionFactory(start=start, end=start - datetime.timedelta(minutes=1))


def test_trainer_editing_another_trainers_session_gets_403(trainer_client):
    other = UserFactory()
    MembershipFactory(user=other, role=Membership.Role.TRAINER, ministry=None)
    session = SessionFactory(trainers=[other], capacity=10)
    url = f"/formations/sessions/{session.pk}/modifier/"
    assert trainer_client.get(url).status_code == 403
    start = session.start
    response = trainer_client.post(
        url,
        {
            "course": session.course_id,
            "start": _fmt(start),
            "end": _fmt(start + datetime.timedelta(hours=1)),
            "location": "Ailleurs",
            "capacity": 99,
            "status": "OUVERTE",
            "trainers": [other.pk],
        },
    )
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.capacity == 10 and session.location != "Ailleurs"
    assert trainer_client.get(f"/formations/sessions/{session.pk}/inscriptions/").status_code == 403
    assert trainer_client.post(f"/formations/sessions/{session.pk}/annuler/").status_code == 403


def test_trainer_edits_own_session(trainer_user, trainer_client):
    session = SessionFactory(trainers=[trainer_user], capacity=10)
    start = session.start
    response = trainer_client.post(
        f"/formations/sessions/{session.pk}/modifier/",
        {
            "course": session.course_id,
            "start": _fmt(start),
            "end": _fmt(start + datetime.timedelta(hours=2)),
            "location": "Salle 2",
            "capacity": 12,
            "status": "OUVERTE",
            "trainers": [trainer_user.pk],
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.capacity == 12 and session.location == "Salle 2"


def test_session_ics_and_calendar_feed(anon_client):
    session = SessionFactory(course=CourseFactory(title="Algorithmes publics"))
    response = anon_client.get(f"/formations/sessions/{session.pk}/session.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert "BEGIN:VEVENT" in body and "Algorithmes publics" in body
    assert f"UID:session-{session.pk}@" in body
    feed = anon_client.get("/formations/calendrier.ics").content.decode()
    assert feed.count("BEGIN:VEVENT") == 1


def test_my_sessions_lists_only_the_trainers_sessions(trainer_user, trainer_client):
    mine = SessionFactory(trainers=[trainer_user], course=CourseFactory(title="Ma formation"))
    SessionFactory(course=CourseFactory(title="Pas la mienne"))
    page = trainer_client.get("/formations/mes-sessions/").content.decode()
    assert "Ma formation" in page and "Pas la mienne" not in page
    assert mine.pk


# --- permission matrix ------------------------------------------------------------------------

PAGES = [
    (
        "/formations/",
        {"anon": 200, "plain": 200, "amd": 200, "trainer": 200, "dinum": 200, "viewer": 200},
    ),
    (
        "/formations/sessions/{s}/",
        {"anon": 200, "plain": 200, "amd": 200, "trainer": 200, "dinum": 200, "viewer": 200},
    ),
    (
        "/formations/sessions/nouvelle/",
        {"anon": 302, "plain": 403, "amd": 403, "trainer": 200, "dinum": 200, "viewer": 403},
    ),
    (
        "/formations/sessions/{s}/modifier/",
        {"anon": 302, "plain": 403, "amd": 403, "trainer": 200, "dinum": 200, "viewer": 403},
    ),
    (
        "/formations/sessions/{s}/inscriptions/",
        {"anon": 302, "plain": 403, "amd": 403, "trainer": 200, "dinum": 200, "viewer": 403},
    ),
    (
        "/formations/mes-inscriptions/",
        {"anon": 302, "plain": 200, "amd": 200, "trainer": 200, "dinum": 200, "viewer": 200},
    ),
    (
        "/formations/mes-sessions/",
        {"anon": 302, "plain": 403, "amd": 403, "trainer": 200, "dinum": 200, "viewer": 403},
    ),
    (
        "/formations/statistiques/",
        {"anon": 302, "plain": 403, "amd": 403, "trainer": 403, "dinum": 200, "viewer": 200},
    ),
    (
        "/formations/evenements/",
        {"anon": 200, "plain": 200, "amd": 200, "trainer": 200, "dinum": 200, "viewer": 200},
    ),
    (
        "/formations/evenements/{e}/",
        {"anon": 200, "plain": 200, "amd": 200, "trainer": 200, "dinum": 200, "viewer": 200},
    ),
    (
        "/formations/evenements/nouveau/",
        {"anon": 302, "plain": 403, "amd": 403, "trainer": 403, "dinum": 200, "viewer": 403},
    ),
    (
        "/formations/impact/",
        {"anon": 302, "plain": 200, "amd": 200, "trainer": 200, "dinum": 200, "viewer": 200},
    ),
    (
        "/formations/impact/import/",
        {"anon": 302, "plain": 403, "amd": 403, "trainer": 403, "dinum": 200, "viewer": 403},
    ),
    (
        "/formations/impact/mesures/nouvelle/",
        {"anon": 302, "plain": 403, "amd": 403, "trainer": 403, "dinum": 200, "viewer": 403},
    ),
    (
        "/formations/catalogue/nouvelle/",
        {"anon": 302, "plain": 403, "amd": 403, "trainer": 200, "dinum": 200, "viewer": 403},
    ),
]

ROLE_CLIENTS = {
    "anon": "anon_client",
    "plain": "plain_client",
    "amd": "amd_client",
    "trainer": "trainer_client",
    "dinum": "dinum_client",
    "viewer": "viewer_client",
}


@pytest.mark.parametrize("role", list(ROLE_CLIENTS))
@pytest.mark.parametrize("path,expected", PAGES, ids=[p for p, _ in PAGES])
def test_page_permission_matrix(request, role, path, expected, trainer_user):
    client = request.getfixturevalue(ROLE_CLIENTS[role])
    session = SessionFactory(trainers=[trainer_user])
    event = EventFactory()
    url = path.format(s=session.pk, e=event.pk)
    assert client.get(url).status_code == expected[role]


def test_registration_of_another_official_is_not_found(amd_client, other_ministry):
    reg = RegistrationFactory(ministry=other_ministry)
    assert amd_client.post(f"/formations/inscriptions/{reg.pk}/annuler/").status_code == 404
    assert amd_client.get(f"/formations/inscriptions/{reg.pk}/satisfaction/").status_code == 404
    reg.refresh_from_db()
    assert reg.status == S.INSCRIT


def test_anonymous_cannot_register(anon_client):
    session = SessionFactory()
    response = anon_client.post(f"/formations/sessions/{session.pk}/inscription/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Registration.objects.exists()


# --- flat query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 12])
def test_session_list_query_count_is_flat(rows, plain_client, django_assert_num_queries):
    trainers = [UserFactory(), UserFactory()]
    for _ in range(rows):
        s = SessionFactory(trainers=trainers)
        RegistrationFactory(session=s)
    CourseFactory.create_batch(rows)
    # session + user + roles, count, sessions, their trainers, courses, audiences, guides
    with django_assert_num_queries(9):
        assert plain_client.get("/formations/").status_code == 200


@pytest.mark.parametrize("rows", [1, 12])
def test_registrations_list_query_count_is_flat(
    rows, trainer_user, trainer_client, ministry, django_assert_num_queries
):
    session = SessionFactory(trainers=[trainer_user], capacity=5)
    for i in range(rows):
        RegistrationFactory(
            session=session,
            ministry=ministry,
            status=S.INSCRIT if i < 5 else S.LISTE_ATTENTE,
            waitlist_position=None if i < 5 else i,
        )
    with django_assert_num_queries(7):
        assert (
            trainer_client.get(f"/formations/sessions/{session.pk}/inscriptions/").status_code
            == 200
        )


@pytest.mark.parametrize("rows", [1, 12])
def test_my_registrations_query_count_is_flat(
    rows, plain_user, plain_client, ministry, django_assert_num_queries
):
    for _ in range(rows):
        RegistrationFactory(user=plain_user, ministry=ministry)
    with django_assert_num_queries(5):
        assert plain_client.get("/formations/mes-inscriptions/").status_code == 200


@pytest.mark.parametrize("rows", [1, 12])
def test_event_list_query_count_is_flat(rows, amd_client, ministry, django_assert_num_queries):
    for _ in range(rows):
        e = EventFactory()
        e.ministries.add(ministry)
    # session, user, roles, count, events, ministries, datasets, opened datasets, savepoint-free
    with django_assert_num_queries(9):
        assert amd_client.get("/formations/evenements/").status_code == 200


@pytest.mark.parametrize("rows", [1, 8])
def test_impact_page_query_count_is_flat(rows, dinum_user, dinum_client, django_assert_num_queries):
    from trainings import services
    from trainings.models import quarter_bounds

    for i in range(rows):
        ind = IndicatorFactory()
        start, end = quarter_bounds(2024, 1 + i % 4)
        services.measurement_record(
            actor=dinum_user, indicator=ind, period_start=start, period_end=end, value=i
        )
    with django_assert_num_queries(8):
        assert dinum_client.get("/formations/impact/").status_code == 200


def test_staff_records_an_event_and_a_measurement_through_the_pages(dinum_client, ministry):
    response = dinum_client.post(
        "/formations/evenements/nouveau/",
        {
            "event_type": "CONSULTATION_PUBLIQUE",
            "title": "Consultation sur le service public de la donnée",
            "start": "2016-10-01",
            "contributions_count": 160,
            "reuses_created": 0,
            "ministries": [ministry.pk],
            "reuse_urls": "https://exemple.fr/a\nhttps://exemple.fr/b",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from trainings.models import Event, ImpactIndicator, Measurement

    event = Event.objects.get()
    assert event.contributions_count == 160 and event.reuse_urls == [
        "https://exemple.fr/a",
        "https://exemple.fr/b",
    ]
    page = dinum_client.get(f"/formations/evenements/{event.pk}/").content.decode()
    assert "160 contributions" in page
    bad = dinum_client.post(
        f"/formations/evenements/{event.pk}/modifier/",
        {
            "event_type": "GT_INTERNATIONAL",
            "title": "GT",
            "start": "2024-05-02",
            "end": "2024-05-01",
            "reuses_created": 0,
        },
    )
    assert bad.status_code == 200
    assert "précède son début" in bad.content.decode()
    event.refresh_from_db()
    assert event.event_type == "CONSULTATION_PUBLIQUE"

    IndicatorFactory(code="appels-api", name="Appels d'API")
    indicator_id = ImpactIndicator.objects.get().pk
    response = dinum_client.post(
        "/formations/impact/mesures/nouvelle/",
        {"indicator": indicator_id, "quarter": "2025-T2", "value": "42"},
    )
    assert response.status_code == 302
    assert Measurement.objects.get().period_start == datetime.date(2025, 4, 1)
    response = dinum_client.post(
        "/formations/impact/mesures/nouvelle/",
        {"indicator": indicator_id, "quarter": "2025-T9", "value": "1"},
    )
    assert "Trimestre invalide" in response.content.decode()
    assert Measurement.objects.count() == 1


@pytest.mark.parametrize("rows", [1, 12])
def test_statistics_page_query_count_is_flat(rows, dinum_client, django_assert_num_queries):
    from tests.factories import MinistryFactory

    for _ in range(rows):
        RegistrationFactory(ministry=MinistryFactory(), attended=True, satisfaction=4)
    # session, user, roles (2), sessions aggregate, registrations aggregate, per ministry,
    # per audience
    with django_assert_num_queries(8):
        assert dinum_client.get("/formations/statistiques/").status_code == 200


def test_video_link_only_for_seated_officials_trainers_and_staff(
    anon_client, plain_user, plain_client, trainer_user, trainer_client, ministry
):
    link = "https://webinaire.numerique.gouv.fr/salle-secrete"
    session = SessionFactory(location="", visio_url=link, trainers=[trainer_user])
    pages = [
        f"/formations/sessions/{session.pk}/",
        f"/formations/sessions/{session.pk}/session.ics",
    ]
    for url in pages + ["/formations/calendrier.ics"]:
        assert link not in anon_client.get(url).content.decode()
        assert link not in plain_client.get(url).content.decode()
    assert link not in anon_client.get(f"/api/v1/training-sessions/{session.pk}/").content.decode()
    for url in pages:
        assert link in trainer_client.get(url).content.decode()
    RegistrationFactory(session=session, user=plain_user, ministry=ministry)
    for url in pages:
        assert link in plain_client.get(url).content.decode()
    assert link in plain_client.get(f"/api/v1/training-sessions/{session.pk}/").content.decode()
    assert link not in plain_client.get("/formations/calendrier.ics").content.decode()


def test_unpublished_guides_are_neither_offered_nor_shown_with_courses(trainer_client, anon_client):
    from tests.guides.factories import VersionFactory, published_guide

    draft = VersionFactory(guide__title="Guide encore confidentiel").guide
    public = published_guide(guide__title="Guide publié")
    course = CourseFactory()
    course.related_guides.set([draft, public])
    form = trainer_client.get("/formations/catalogue/nouvelle/").content.decode()
    api_form = trainer_client.get("/api/v1/training-courses/", HTTP_ACCEPT="text/html")
    page = anon_client.get(f"/formations/catalogue/{course.code}/").content.decode()
    api = anon_client.get(f"/api/v1/training-courses/{course.code}/").json()
    assert "Guide publié" in form and "Guide publié" in page
    assert "Guide encore confidentiel" not in form + api_form.content.decode() + page
    assert api["related_guides"] == [public.slug]
