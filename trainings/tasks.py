"""Celery entry points (ids only; each returns quietly when its object is gone)."""

from __future__ import annotations

from celery import shared_task

from core.notifications import send_once
from trainings import notifications, services
from trainings.models import Registration, TrainingSession

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="trainings.send_training_reminders", **TASK_OPTIONS)
def send_training_reminders() -> int:
    """Beat, hourly: remind every seated official whose session starts within two days, once."""
    return services.reminders_send_due()


@shared_task(name="trainings.send_survey_invitations", **TASK_OPTIONS)
def send_survey_invitations() -> int:
    """Beat, hourly: invite the attendees of recently ended sessions to the survey, once."""
    return services.survey_invitations_send_due()


@shared_task(name="trainings.send_promotion_notice", **TASK_OPTIONS)
def send_promotion_notice(registration_id: int) -> bool:
    """Tell an official promoted from the waiting list, once (claimed before it is sent)."""
    row = Registration.objects.filter(pk=registration_id, status=Registration.Status.INSCRIT)
    sent, _ = send_once(
        row,
        "promotion_notified_at",
        lambda: notifications.send_promotion(services.registration_of(row)),
    )
    return sent


@shared_task(name="trainings.send_registration_cancelled", **TASK_OPTIONS)
def send_registration_cancelled(registration_id: int) -> bool:
    """Tell an official that someone else (a trainer, DINUM staff) cancelled their registration,
    once (claimed before it is sent)."""
    row = Registration.objects.filter(pk=registration_id, status=Registration.Status.ANNULE)
    sent, _ = send_once(
        row,
        "cancellation_notified_at",
        lambda: notifications.send_registration_cancelled(services.registration_of(row)),
    )
    return sent


@shared_task(name="trainings.send_session_rescheduled", **TASK_OPTIONS)
def send_session_rescheduled(session_id: int) -> int:
    """Tell the registrants (seated and waitlisted) of a session whose start moved its new date,
    once per date: each registration is claimed by writing the start it is told about."""
    session = (
        TrainingSession.objects.filter(pk=session_id)
        .exclude(status=TrainingSession.Status.ANNULEE)
        .first()
    )
    if session is None:
        return 0
    rows = (
        Registration.objects.filter(session=session)
        .exclude(status=Registration.Status.ANNULE)
        .exclude(rescheduled_notice_start=session.start)
    )
    sent = 0
    for pk in list(rows.values_list("pk", flat=True)):
        if not rows.filter(pk=pk).update(rescheduled_notice_start=session.start):
            continue
        try:
            notifications.send_rescheduled(
                services.registration_of(Registration.objects.filter(pk=pk))
            )
        except Exception:  # the claim is released: the next run sends it
            Registration.objects.filter(pk=pk).update(rescheduled_notice_start=None)
            raise
        sent += 1
    return sent


@shared_task(name="trainings.send_session_cancelled", **TASK_OPTIONS)
def send_session_cancelled(session_id: int) -> int:
    session = TrainingSession.objects.filter(
        pk=session_id, status=TrainingSession.Status.ANNULEE
    ).first()
    if session is None:
        return 0
    ids = list(
        Registration.objects.filter(session=session, cancellation_notified_at__isnull=True)
        .exclude(status=Registration.Status.ANNULE)
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in ids:
        row = Registration.objects.filter(pk=pk)
        claimed, _ = send_once(
            row,
            "cancellation_notified_at",
            lambda: notifications.send_cancellation(services.registration_of(row)),  # noqa: B023
        )
        sent += claimed
    return sent
