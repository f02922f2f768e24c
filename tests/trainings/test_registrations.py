"""Registration, waitlist, promotion, attendance, satisfaction and reminders (services)."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from administrators.models import Membership
from core.models import AuditEntry
from tests.factories import MembershipFactory, MinistryFactory, UserFactory
from tests.trainings.factories import RegistrationFactory, SessionFactory
from trainings import services, tasks
from trainings.models import Registration, TrainingSession

pytestmark = pytest.mark.django_db

S = Registration.Status


def official(ministry):
    user = UserFactory()
    MembershipFactory(user=user, role=Membership.Role.VIEWER, ministry=ministry)
    return user


def test_registration_takes_a_seat_and_records_the_official_ministry(ministry):
    session = SessionFactory(capacity=2)
    user = official(ministry)
    reg = services.registration_create(actor=user, session=session)
    assert reg.status == S.INSCRIT
    assert reg.ministry == ministry
    assert reg.waitlist_position is None
    assert AuditEntry.objects.filter(action="training.registered", object_id=str(reg.pk)).exists()


def test_ministry_comes_from_the_membership_not_from_the_request(ministry, other_ministry):
    session = SessionFactory()
    user = official(ministry)
    reg = services.registration_create(actor=user, session=session, ministry_id=other_ministry.pk)
    assert reg.ministry == ministry


def test_official_without_role_must_choose_a_ministry(plain_user, ministry):
    session = SessionFactory()
    with pytest.raises(ValidationError) as exc:
        services.registration_create(actor=plain_user, session=session)
    assert "Indiquez votre ministère" in str(exc.value)
    assert not Registration.objects.exists()
    reg = services.registration_create(actor=plain_user, session=session, ministry_id=ministry.pk)
    assert reg.ministry == ministry


def test_official_with_several_ministries_chooses_among_them(ministry, other_ministry):
    user = official(ministry)
    MembershipFactory(user=user, role=Membership.Role.VIEWER, ministry=other_ministry)
    third = MinistryFactory()
    session = SessionFactory()
    with pytest.raises(ValidationError, match="parmi ceux de votre compte"):
        services.registration_create(actor=user, session=session, ministry_id=third.pk)
    reg = services.registration_create(actor=user, session=session, ministry_id=other_ministry.pk)
    assert reg.ministry == other_ministry


def test_registering_twice_is_refused_and_writes_nothing(ministry):
    session = SessionFactory()
    user = official(ministry)
    services.registration_create(actor=user, session=session)
    with pytest.raises(ValidationError, match="déjà inscrit"):
        services.registration_create(actor=user, session=session)
    assert Registration.objects.filter(session=session).count() == 1


def test_registering_twice_while_waitlisted_is_refused(ministry):
    session = SessionFactory(capacity=1)
    services.registration_create(actor=official(ministry), session=session)
    user = official(ministry)
    services.registration_create(actor=user, session=session)
    with pytest.raises(ValidationError, match="déjà sur la liste d'attente"):
        services.registration_create(actor=user, session=session)
    assert Registration.objects.filter(session=session).count() == 2


def test_full_session_puts_officials_on_the_waitlist_in_order(ministry):
    session = SessionFactory(capacity=2)
    regs = [
        services.registration_create(actor=official(ministry), session=session) for _ in range(5)
    ]
    assert [r.status for r in regs] == [S.INSCRIT, S.INSCRIT] + [S.LISTE_ATTENTE] * 3
    assert [r.waitlist_position for r in regs[2:]] == [1, 2, 3]
    session.refresh_from_db()
    assert session.status == TrainingSession.Status.COMPLETE


def test_cancelled_session_refuses_registration(ministry):
    session = SessionFactory(status=TrainingSession.Status.ANNULEE)
    with pytest.raises(ValidationError, match="annulée"):
        services.registration_create(actor=official(ministry), session=session)
    assert not Registration.objects.exists()


def test_past_session_refuses_registration(ministry):
    start = timezone.now() - datetime.timedelta(days=3)
    session = SessionFactory(start=start, end=start + datetime.timedelta(hours=2))
    with pytest.raises(ValidationError, match="déjà commencé ou est passée"):
        services.registration_create(actor=official(ministry), session=session)
    assert not Registration.objects.exists()


def test_planned_session_not_yet_open_refuses_registration(ministry):
    session = SessionFactory(status=TrainingSession.Status.PLANIFIEE)
    with pytest.raises(ValidationError, match="pas encore ouvertes"):
        services.registration_create(actor=official(ministry), session=session)


def test_anonymous_cannot_register():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.registration_create(actor=AnonymousUser(), session=SessionFactory())


def test_cancellation_promotes_the_first_of_the_waitlist_and_mails_them(
    ministry, django_capture_on_commit_callbacks
):
    session = SessionFactory(capacity=1)
    first = services.registration_create(actor=official(ministry), session=session)
    second = services.registration_create(actor=official(ministry), session=session)
    third = services.registration_create(actor=official(ministry), session=session)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(actor=first.user, registration=first)
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == S.INSCRIT and second.promoted_at is not None
    assert second.waitlist_position is None
    assert third.status == S.LISTE_ATTENTE
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [second.user.email]
    assert "place s'est libérée" in mail.outbox[0].subject
    assert mail.outbox[0].attachments[0][2] == "text/calendar"


def test_cancelling_a_waitlisted_registration_promotes_nobody(ministry):
    session = SessionFactory(capacity=1)
    services.registration_create(actor=official(ministry), session=session)
    second = services.registration_create(actor=official(ministry), session=session)
    third = services.registration_create(actor=official(ministry), session=session)
    services.registration_cancel(actor=second.user, registration=second)
    third.refresh_from_db()
    assert third.status == S.LISTE_ATTENTE


def test_cancel_twice_is_refused(ministry):
    reg = services.registration_create(actor=official(ministry), session=SessionFactory())
    services.registration_cancel(actor=reg.user, registration=reg)
    with pytest.raises(ValidationError, match="déjà annulée"):
        services.registration_cancel(actor=reg.user, registration=reg)


def test_another_official_cannot_cancel_my_registration(ministry):
    reg = services.registration_create(actor=official(ministry), session=SessionFactory())
    with pytest.raises(PermissionDenied):
        services.registration_cancel(actor=official(ministry), registration=reg)
    reg.refresh_from_db()
    assert reg.status == S.INSCRIT


def test_registering_again_after_cancelling_goes_to_the_end(ministry):
    session = SessionFactory(capacity=1)
    user = official(ministry)
    reg = services.registration_create(actor=user, session=session)
    services.registration_cancel(actor=user, registration=reg)
    services.registration_create(actor=official(ministry), session=session)
    again = services.registration_create(actor=user, session=session)
    assert again.status == S.LISTE_ATTENTE


def test_raising_capacity_promotes_in_order(ministry, trainer_user):
    session = SessionFactory(capacity=1, trainers=[trainer_user])
    regs = [
        services.registration_create(actor=official(ministry), session=session) for _ in range(4)
    ]
    services.session_update(actor=trainer_user, session=session, capacity=3)
    statuses = [Registration.objects.get(pk=r.pk).status for r in regs]
    assert statuses == [S.INSCRIT, S.INSCRIT, S.INSCRIT, S.LISTE_ATTENTE]


def test_lowering_capacity_below_seated_is_refused(ministry, trainer_user):
    session = SessionFactory(capacity=3, trainers=[trainer_user])
    for _ in range(3):
        services.registration_create(actor=official(ministry), session=session)
    with pytest.raises(ValidationError, match="inférieure au nombre d'inscrits"):
        services.session_update(actor=trainer_user, session=session, capacity=2)
    session.refresh_from_db()
    assert session.capacity == 3


def test_attendance_by_the_session_trainer_after_start(ministry, trainer_user):
    start = timezone.now() - datetime.timedelta(hours=4)
    session = SessionFactory(
        start=start, end=start + datetime.timedelta(hours=3), trainers=[trainer_user]
    )
    came = RegistrationFactory(session=session, ministry=ministry)
    absent = RegistrationFactory(session=session, ministry=ministry)
    services.attendance_mark(actor=trainer_user, session=session, present_ids=[came.pk])
    came.refresh_from_db()
    absent.refresh_from_db()
    session.refresh_from_db()
    assert came.attended is True and absent.attended is False
    assert session.status == TrainingSession.Status.TENUE


def test_attendance_before_the_start_is_refused(trainer_user):
    session = SessionFactory(trainers=[trainer_user])
    reg = RegistrationFactory(session=session)
    with pytest.raises(ValidationError, match="à partir du début"):
        services.attendance_mark(actor=trainer_user, session=session, present_ids=[reg.pk])


def test_attendance_by_another_trainer_is_forbidden(trainer_user):
    other = UserFactory()
    MembershipFactory(user=other, role=Membership.Role.TRAINER, ministry=None)
    start = timezone.now() - datetime.timedelta(hours=4)
    session = SessionFactory(start=start, end=start + datetime.timedelta(hours=3), trainers=[other])
    reg = RegistrationFactory(session=session)
    with pytest.raises(PermissionDenied):
        services.attendance_mark(actor=trainer_user, session=session, present_ids=[reg.pk])
    reg.refresh_from_db()
    assert reg.attended is None


def _ended_session():
    start = timezone.now() - datetime.timedelta(days=1)
    return SessionFactory(start=start, end=start + datetime.timedelta(hours=3))


def test_satisfaction_only_for_attendees_after_the_end():
    session = _ended_session()
    present = RegistrationFactory(session=session, attended=True)
    absent = RegistrationFactory(session=session, attended=False)
    services.satisfaction_submit(
        actor=present.user, registration=present, satisfaction=4, feedback="Utile."
    )
    present.refresh_from_db()
    assert present.satisfaction == 4 and present.feedback == "Utile."
    with pytest.raises(ValidationError, match="déjà répondu"):
        services.satisfaction_submit(actor=present.user, registration=present, satisfaction=5)
    with pytest.raises(ValidationError, match="personnes présentes"):
        services.satisfaction_submit(actor=absent.user, registration=absent, satisfaction=5)


def test_satisfaction_before_the_end_is_refused():
    reg = RegistrationFactory(session=SessionFactory(), attended=True)
    with pytest.raises(ValidationError, match="à la fin de la session"):
        services.satisfaction_submit(actor=reg.user, registration=reg, satisfaction=3)


@pytest.mark.parametrize("value", [0, 6, "beaucoup"])
def test_satisfaction_out_of_range_is_refused(value):
    reg = RegistrationFactory(session=_ended_session(), attended=True)
    with pytest.raises(ValidationError, match="de 1 à 5"):
        services.satisfaction_submit(actor=reg.user, registration=reg, satisfaction=value)
    reg.refresh_from_db()
    assert reg.satisfaction is None


def test_satisfaction_of_someone_else_is_forbidden():
    reg = RegistrationFactory(session=_ended_session(), attended=True)
    with pytest.raises(PermissionDenied):
        services.satisfaction_submit(actor=UserFactory(), registration=reg, satisfaction=3)


def test_reminders_go_out_two_days_before_and_only_once():
    soon = SessionFactory(start=timezone.now() + datetime.timedelta(hours=30))
    later = SessionFactory(start=timezone.now() + datetime.timedelta(days=5))
    cancelled = SessionFactory(
        start=timezone.now() + datetime.timedelta(hours=30), status=TrainingSession.Status.ANNULEE
    )
    seated = RegistrationFactory(session=soon)
    RegistrationFactory(session=soon, status=S.LISTE_ATTENTE, waitlist_position=1)
    RegistrationFactory(session=soon, status=S.ANNULE)
    RegistrationFactory(session=later)
    RegistrationFactory(session=cancelled)
    assert tasks.send_training_reminders() == 1
    assert tasks.send_training_reminders() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [seated.user.email]
    assert mail.outbox[0].subject.startswith("Rappel : formation")
    seated.refresh_from_db()
    assert seated.reminded_at is not None


def test_failed_reminder_is_retried_later(monkeypatch):
    reg = RegistrationFactory(
        session=SessionFactory(start=timezone.now() + datetime.timedelta(hours=5))
    )

    def boom(_registration):
        raise ConnectionError("SMTP indisponible")

    monkeypatch.setattr("trainings.notifications.send_reminder", boom)
    with pytest.raises(ConnectionError):
        services.reminder_send(registration_id=reg.pk)
    reg.refresh_from_db()
    assert reg.reminded_at is None
    monkeypatch.undo()
    assert services.reminder_send(registration_id=reg.pk) is True
    assert len(mail.outbox) == 1


def test_session_cancel_notifies_registrants(trainer_user, django_capture_on_commit_callbacks):
    session = SessionFactory(trainers=[trainer_user])
    RegistrationFactory(session=session)
    RegistrationFactory(session=session, status=S.ANNULE)
    with django_capture_on_commit_callbacks(execute=True):
        services.session_cancel(actor=trainer_user, session=session)
    assert len(mail.outbox) == 1
    assert "annulée" in mail.outbox[0].subject
    assert tasks.send_session_cancelled(session.pk) == 0  # run twice: nobody is mailed twice
    assert len(mail.outbox) == 1


def test_promotion_notice_is_sent_once(ministry):
    session = SessionFactory(capacity=1)
    first = services.registration_create(actor=official(ministry), session=session)
    second = services.registration_create(actor=official(ministry), session=session)
    services.registration_cancel(actor=first.user, registration=first)
    assert tasks.send_promotion_notice(second.pk) is True
    assert tasks.send_promotion_notice(second.pk) is False
    assert len(mail.outbox) == 1


def test_survey_invitations_go_to_attendees_once_after_the_end():
    session = _ended_session()
    came = RegistrationFactory(session=session, attended=True)
    RegistrationFactory(session=session, attended=False)
    RegistrationFactory(session=session, attended=True, satisfaction=5)
    RegistrationFactory(session=SessionFactory(), attended=True)  # not over yet
    assert tasks.send_survey_invitations() == 1
    assert tasks.send_survey_invitations() == 0
    assert [m.to for m in mail.outbox] == [[came.user.email]]
    assert f"/formations/inscriptions/{came.pk}/satisfaction/" in mail.outbox[0].body
