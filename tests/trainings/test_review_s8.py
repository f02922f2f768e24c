"""Review of the trainings app (session 8): concurrent edits, held sessions, reminders, .ics."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from administrators.models import Membership
from core.concurrency import read_at
from tests.factories import MembershipFactory, UserFactory
from tests.trainings.factories import IndicatorFactory, RegistrationFactory, SessionFactory
from trainings import calendar, services, tasks
from trainings.models import Measurement, Registration, TrainingSession

pytestmark = pytest.mark.django_db

API = "/api/v1"
Status = TrainingSession.Status


def _trainer():
    user = UserFactory()
    MembershipFactory(user=user, role=Membership.Role.TRAINER, ministry=None)
    return user


def _fmt(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def _edit_data(session, trainers, **over):
    data = {
        "course": session.course_id,
        "start": _fmt(session.start),
        "end": _fmt(session.end),
        "location": session.location,
        "capacity": session.capacity,
        "status": "OUVERTE",
        "trainers": [t.pk for t in trainers],
    }
    data.update(over)
    return data


# --- two trainers editing the same session ----------------------------------------------------


def test_second_of_two_concurrent_session_edits_is_refused_and_loses_nothing():
    first, second = _trainer(), _trainer()
    session = SessionFactory(trainers=[first, second], capacity=10)
    read_at = session.updated_at
    services.session_update(actor=first, session=session, expected_updated_at=read_at, capacity=30)
    with pytest.raises(ValidationError) as exc:
        services.session_update(
            actor=second, session=session, expected_updated_at=read_at, location="Salle 4"
        )
    assert exc.value.code == "concurrent_edit"
    assert "modifiée" in exc.value.messages[0] and "entre-temps" in exc.value.messages[0]
    session.refresh_from_db()
    assert session.capacity == 30 and session.location != "Salle 4"


def test_session_edit_page_refuses_a_form_read_before_another_trainers_save(client):
    first, second = _trainer(), _trainer()
    session = SessionFactory(trainers=[first, second], capacity=10)
    client.force_login(second)
    page = client.get(f"/formations/sessions/{session.pk}/modifier/").content.decode()
    assert 'name="loaded_at"' in page
    loaded_at = session.updated_at.isoformat()
    services.session_update(actor=first, session=session, capacity=30)
    response = client.post(
        f"/formations/sessions/{session.pk}/modifier/",
        _edit_data(session, [first, second], location="Salle 4", loaded_at=loaded_at),
    )
    assert response.status_code == 200
    assert "entre-temps" in response.content.decode()
    session.refresh_from_db()
    assert session.capacity == 30 and session.location != "Salle 4"


def test_session_patch_with_a_stale_expected_updated_at_answers_409(client):
    first, second = _trainer(), _trainer()
    session = SessionFactory(trainers=[first, second], capacity=10)
    read_at = session.updated_at.isoformat()
    services.session_update(actor=first, session=session, capacity=30)
    client.force_login(second)
    response = client.patch(
        f"{API}/training-sessions/{session.pk}/",
        {"location": "Salle 4", "expected_updated_at": read_at},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "entre-temps" in response.json()["detail"]
    session.refresh_from_db()
    assert session.capacity == 30 and session.location != "Salle 4"
    fresh = client.get(f"{API}/training-sessions/{session.pk}/").json()
    response = client.patch(
        f"{API}/training-sessions/{session.pk}/",
        {"location": "Salle 4", "expected_updated_at": fresh["updated_at"]},
        content_type="application/json",
    )
    assert response.status_code == 200


# --- a held session stays held ----------------------------------------------------------------


def test_editing_a_held_session_keeps_it_held(client):
    trainer = _trainer()
    start = timezone.now() - datetime.timedelta(days=3)
    session = SessionFactory(
        trainers=[trainer], start=start, end=start + datetime.timedelta(hours=3)
    )
    reg = RegistrationFactory(session=session)
    services.attendance_mark(actor=trainer, session=session, present_ids=[reg.pk])
    session.refresh_from_db()
    assert session.status == Status.TENUE
    client.force_login(trainer)
    response = client.post(
        f"/formations/sessions/{session.pk}/modifier/",
        _edit_data(session, [trainer], notes="Support envoyé aux participants."),
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == Status.TENUE
    assert session.notes == "Support envoyé aux participants."
    with pytest.raises(ValidationError, match="tenue"):
        services.session_update(actor=trainer, session=session, status=Status.PLANIFIEE)
    session.refresh_from_db()
    assert session.status == Status.TENUE


# --- reminders --------------------------------------------------------------------------------


def test_seated_officials_are_reminded_when_registrations_were_closed_again():
    trainer = _trainer()
    session = SessionFactory(
        trainers=[trainer], start=timezone.now() + datetime.timedelta(hours=30)
    )
    seated = RegistrationFactory(session=session)
    services.session_update(actor=trainer, session=session, status=Status.PLANIFIEE)
    assert tasks.send_training_reminders() == 1
    assert mail.outbox[0].to == [seated.user.email]


def test_a_rescheduled_session_is_reminded_again_for_its_new_date():
    trainer = _trainer()
    start = timezone.now() + datetime.timedelta(hours=30)
    session = SessionFactory(trainers=[trainer], start=start)
    RegistrationFactory(session=session)
    assert tasks.send_training_reminders() == 1
    later = start + datetime.timedelta(days=7)
    services.session_update(
        actor=trainer, session=session, start=later, end=later + datetime.timedelta(hours=3)
    )
    assert tasks.send_training_reminders() == 0
    assert services.reminders_send_due(now=later - datetime.timedelta(days=1)) == 1
    assert len(mail.outbox) == 2


def test_no_reminder_once_the_session_is_cancelled_even_if_it_was_listed_before():
    trainer = _trainer()
    session = SessionFactory(
        trainers=[trainer], start=timezone.now() + datetime.timedelta(hours=30)
    )
    reg = RegistrationFactory(session=session)
    assert services.reminders_due() == [reg.pk]
    services.session_cancel(actor=trainer, session=session)
    mail.outbox.clear()
    assert services.reminder_send(registration_id=reg.pk) is False
    assert not [m for m in mail.outbox if m.subject.startswith("Rappel")]


# --- .ics -------------------------------------------------------------------------------------


def test_ics_of_a_session_in_paris_time_is_valid_without_a_vtimezone():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    session = SessionFactory(
        start=datetime.datetime(2031, 3, 30, 9, 30, tzinfo=paris),  # the day after DST starts
        end=datetime.datetime(2031, 3, 30, 12, 0, tzinfo=paris),
    )
    body = calendar.session_ics(session).decode()
    assert "TZID=" not in body or "BEGIN:VTIMEZONE" in body
    assert "DTSTART:20310330T073000Z" in body
    assert "DTEND:20310330T100000Z" in body


# --- CSV import of measurements ---------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_csv_import_reads_a_value_with_a_no_break_space_as_thousands_separator(
    dinum_user, encoding
):
    IndicatorFactory(code="visites")
    content = "indicateur;trimestre;valeur\nvisites;2024-T1;1\u00a0234,5\n".encode(encoding)
    report = services.measurements_import(actor=dinum_user, content=content)
    assert report.ok, report.errors
    assert Measurement.objects.get().value == Decimal("1234.5")


# --- an official whose registration a trainer cancels is told ---------------------------------


def test_official_is_told_once_when_a_trainer_cancels_their_registration(
    ministry, django_capture_on_commit_callbacks
):
    trainer = _trainer()
    session = SessionFactory(trainers=[trainer])
    user = UserFactory()
    MembershipFactory(user=user, role=Membership.Role.VIEWER, ministry=ministry)
    reg = services.registration_create(actor=user, session=session)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=trainer, registration=reg)
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert "annulée" in mail.outbox[0].subject
    assert session.course.title in mail.outbox[0].body
    assert tasks.send_registration_cancelled(reg.pk) is False  # run twice: one mail
    assert len(mail.outbox) == 1


def test_official_cancelling_their_own_registration_gets_no_mail(
    ministry, django_capture_on_commit_callbacks
):
    session = SessionFactory()
    user = UserFactory()
    MembershipFactory(user=user, role=Membership.Role.VIEWER, ministry=ministry)
    reg = services.registration_create(actor=user, session=session)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=user, registration=reg)
    assert mail.outbox == []


# --- a rescheduled session ----------------------------------------------------------------------


def test_registrants_are_told_once_when_the_session_is_moved(django_capture_on_commit_callbacks):
    trainer = _trainer()
    session = SessionFactory(trainers=[trainer], capacity=1)
    seated = RegistrationFactory(session=session)
    waiting = RegistrationFactory(
        session=session, status=Registration.Status.LISTE_ATTENTE, waitlist_position=1
    )
    RegistrationFactory(session=session, status=Registration.Status.ANNULE)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(actor=trainer, session=session, notes="Apportez un ordinateur.")
    assert mail.outbox == []
    later = session.start + datetime.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(
            actor=trainer, session=session, start=later, end=later + datetime.timedelta(hours=3)
        )
    assert sorted(m.to[0] for m in mail.outbox) == sorted([seated.user.email, waiting.user.email])
    new_day = date_format(timezone.localtime(later), "l j F Y")
    assert all("déplacée" in m.subject and new_day in m.body for m in mail.outbox)
    assert all(m.attachments for m in mail.outbox)  # the new .ics
    assert tasks.send_session_rescheduled(session.pk) == 0  # run twice: nobody mailed twice
    assert len(mail.outbox) == 2


def test_session_patch_refused_by_the_service_answers_400_in_french(client):
    trainer = _trainer()
    session = SessionFactory(trainers=[trainer])
    client.force_login(trainer)
    response = client.patch(
        f"{API}/training-sessions/{session.pk}/",
        {"location": "", "visio_url": ""},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "Indiquez un lieu ou un lien de visioconférence." in str(response.json())
    session.refresh_from_db()
    assert session.location


# --- an upcoming session is not moved into the past -------------------------------------------


def test_an_upcoming_session_cannot_be_moved_into_the_past(client):
    trainer = _trainer()
    session = SessionFactory(trainers=[trainer])
    RegistrationFactory(session=session)
    start = session.start
    past = timezone.now() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="dans le passé"):
        services.session_update(
            actor=trainer, session=session, start=past, end=past + datetime.timedelta(hours=2)
        )
    client.force_login(trainer)
    response = client.patch(
        f"{API}/training-sessions/{session.pk}/",
        {"start": past.isoformat(), "end": (past + datetime.timedelta(hours=2)).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "dans le passé" in str(response.json())
    session.refresh_from_db()
    assert session.start == start


def test_the_notice_of_a_moved_session_gives_the_video_link_to_seated_officials_only(
    django_capture_on_commit_callbacks,
):
    trainer = _trainer()
    session = SessionFactory(
        trainers=[trainer], capacity=1, location="", visio_url="https://visio.example/salle-42"
    )
    seated = RegistrationFactory(session=session)
    waiting = RegistrationFactory(
        session=session, status=Registration.Status.LISTE_ATTENTE, waitlist_position=1
    )
    later = session.start + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(
            actor=trainer, session=session, start=later, end=later + datetime.timedelta(hours=3)
        )
    by_to = {m.to[0]: m for m in mail.outbox}

    def text(message):
        return message.body + "".join(str(a[1]) for a in message.attachments)

    assert "visio.example/salle-42" in text(by_to[seated.user.email])
    assert "visio.example/salle-42" not in text(by_to[waiting.user.email])


# --- a session with attendees took place ------------------------------------------------------


def test_a_session_with_officials_marked_present_cannot_be_cancelled(
    django_capture_on_commit_callbacks,
):
    trainer = _trainer()
    start = timezone.now() - datetime.timedelta(hours=1)
    session = SessionFactory(
        trainers=[trainer], start=start, end=start + datetime.timedelta(hours=3)
    )
    reg = RegistrationFactory(session=session)
    services.attendance_mark(actor=trainer, session=session, present_ids=[reg.pk])
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError, match="présences"),
    ):
        services.session_cancel(actor=trainer, session=session)
    session.refresh_from_db()
    assert session.status != Status.ANNULEE
    assert mail.outbox == []


def test_a_registration_filling_the_session_does_not_block_its_trainers_edit(ministry):
    trainer = _trainer()
    session = SessionFactory(trainers=[trainer], capacity=1)
    read_at = session.updated_at
    user = UserFactory()
    MembershipFactory(user=user, role=Membership.Role.VIEWER, ministry=ministry)
    services.registration_create(actor=user, session=session)
    session.refresh_from_db()
    assert session.status == Status.COMPLETE
    services.session_update(
        actor=trainer, session=session, expected_updated_at=read_at, notes="Salle 4."
    )
    session.refresh_from_db()
    assert session.notes == "Salle 4." and session.status == Status.COMPLETE


def test_my_registrations_and_the_session_page_say_the_session_was_cancelled(client, ministry):
    trainer = _trainer()
    session = SessionFactory(trainers=[trainer])
    user = UserFactory()
    MembershipFactory(user=user, role=Membership.Role.VIEWER, ministry=ministry)
    reg = services.registration_create(actor=user, session=session)
    services.session_cancel(actor=trainer, session=session)
    client.force_login(user)
    page = client.get("/formations/mes-inscriptions/").content.decode()
    assert "Session annulée" in page
    assert f"/formations/inscriptions/{reg.pk}/annuler/" not in page
    page = client.get(f"/formations/sessions/{session.pk}/").content.decode()
    assert "Cette session est annulée" in page
    assert "Vous êtes inscrit" not in page


# --- an indicator with values keeps its level -------------------------------------------------


def test_the_level_of_an_indicator_with_values_cannot_change(dinum_user, ministry):
    indicator = IndicatorFactory(level="RESEAU")
    services.measurement_record(
        actor=dinum_user,
        indicator=indicator,
        period_start=datetime.date(2024, 1, 1),
        period_end=datetime.date(2024, 3, 31),
        value=Decimal("12"),
    )
    with pytest.raises(ValidationError, match="niveau"):
        services.indicator_update(actor=dinum_user, indicator=indicator, level="MINISTERE")
    indicator.refresh_from_db()
    assert indicator.level == "RESEAU"
    services.indicator_update(actor=dinum_user, indicator=indicator, name="Visites")
    fresh = IndicatorFactory(level="RESEAU")
    services.indicator_update(actor=dinum_user, indicator=fresh, level="MINISTERE")


def test_the_cancellation_notice_carries_the_cancelled_event_for_calendars(
    django_capture_on_commit_callbacks,
):
    trainer = _trainer()
    session = SessionFactory(trainers=[trainer], capacity=1, visio_url="https://visio.example/s")
    seated = RegistrationFactory(session=session)
    waiting = RegistrationFactory(
        session=session, status=Registration.Status.LISTE_ATTENTE, waitlist_position=1
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(actor=trainer, session=session)
    by_to = {m.to[0]: m for m in mail.outbox}
    for reg in (seated, waiting):
        (attachment,) = by_to[reg.user.email].attachments
        ics = attachment[1].decode() if isinstance(attachment[1], bytes) else attachment[1]
        assert "STATUS:CANCELLED" in ics and f"UID:session-{session.pk}@" in ics
    waiting_ics = by_to[waiting.user.email].attachments[0][1]
    assert b"visio.example" not in (
        waiting_ics if isinstance(waiting_ics, bytes) else waiting_ics.encode()
    )


# --- two trainers marking attendance at once --------------------------------------------------


def test_two_trainers_marking_attendance_from_the_same_sheet_keep_both_marks(client):
    first, second = _trainer(), _trainer()
    start = timezone.now() - datetime.timedelta(hours=1)
    session = SessionFactory(
        trainers=[first, second], start=start, end=start + datetime.timedelta(hours=3)
    )
    one, two, three = (RegistrationFactory(session=session) for _ in range(3))
    url = f"/formations/sessions/{session.pk}/inscriptions/"
    client.force_login(first)
    page = client.get(url).content.decode()
    assert 'name="sheet"' in page
    # Both sheets were read before either was saved: nobody marked yet.
    assert client.post(url, {"sheet": "1", "present": [one.pk]}).status_code == 302
    client.force_login(second)
    assert client.post(url, {"sheet": "1", "present": [two.pk]}).status_code == 302
    for reg in (one, two, three):
        reg.refresh_from_db()
    assert (one.attended, two.attended, three.attended) == (True, True, False)
    # Unticking someone read as present still records them absent.
    response = client.post(
        url, {"sheet": "1", "present": [two.pk], "was_present": [one.pk, two.pk]}
    )
    assert response.status_code == 302
    one.refresh_from_db()
    assert one.attended is False


def test_attendance_through_the_api_keeps_another_trainers_marks_given_what_was_read(client):
    first, second = _trainer(), _trainer()
    start = timezone.now() - datetime.timedelta(hours=1)
    session = SessionFactory(
        trainers=[first, second], start=start, end=start + datetime.timedelta(hours=3)
    )
    one, two = RegistrationFactory(session=session), RegistrationFactory(session=session)
    url = f"{API}/training-sessions/{session.pk}/attendance/"
    client.force_login(first)
    body = {"present": [one.pk], "was_present": []}
    assert client.post(url, body, content_type="application/json").status_code == 200
    client.force_login(second)
    body = {"present": [two.pk], "was_present": []}
    assert client.post(url, body, content_type="application/json").status_code == 200
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.attended is True and two.attended is True


# --- a page edit that does not move the session tells nobody -----------------------------------


def test_a_page_edit_of_a_session_starting_on_seconds_moves_nothing(
    client, django_capture_on_commit_callbacks
):
    """The page gives the start to the minute: a session created through the API at 10:00:30,
    edited on its page (the place only), is not « moved »: no notice, reminders kept."""
    trainer = _trainer()
    session = SessionFactory(trainers=[trainer])
    start = session.start.replace(second=30, microsecond=123)
    TrainingSession.objects.filter(pk=session.pk).update(start=start)
    session.refresh_from_db()
    registration = RegistrationFactory(session=session)
    Registration.objects.filter(pk=registration.pk).update(reminded_at=timezone.now())
    client.force_login(trainer)
    data = _edit_data(session, [trainer], location="Salle 12", loaded_at=read_at(session))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/formations/sessions/{session.pk}/modifier/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    session.refresh_from_db()
    assert session.location == "Salle 12" and session.start == start
    assert mail.outbox == []
    assert Registration.objects.get(pk=registration.pk).reminded_at is not None


def test_correcting_a_past_sessions_dates_tells_nobody(django_capture_on_commit_callbacks):
    trainer = _trainer()
    past = timezone.now() - datetime.timedelta(days=10)
    session = SessionFactory(trainers=[trainer], start=past, end=past + datetime.timedelta(hours=3))
    RegistrationFactory(session=session)
    earlier = past - datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_update(
            actor=trainer, session=session, start=earlier, end=past + datetime.timedelta(hours=2)
        )
    session.refresh_from_db()
    assert session.start == earlier
    assert mail.outbox == []
