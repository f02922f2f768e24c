"""Celery entry points (ids only; each returns quietly when its object is gone)."""

from __future__ import annotations

from celery import shared_task

from trainings import notifications, services
from trainings.models import Registration, TrainingSession

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="trainings.send_training_reminders", **TASK_OPTIONS)
def send_training_reminders() -> int:
    """Beat, hourly: remind every seated official whose session starts within two days, once."""
    return services.reminders_send_due()


@shared_task(name="trainings.send_promotion_notice", **TASK_OPTIONS)
def send_promotion_notice(registration_id: int) -> bool:
    reg = (
        Registration.objects.select_related("session", "session__course", "user")
        .filter(pk=registration_id, status=Registration.Status.INSCRIT)
        .first()
    )
    if reg is None:
        return False
    notifications.send_promotion(reg)
    return True


@shared_task(name="trainings.send_session_cancelled", **TASK_OPTIONS)
def send_session_cancelled(session_id: int) -> int:
    session = TrainingSession.objects.filter(
        pk=session_id, status=TrainingSession.Status.ANNULEE
    ).first()
    if session is None:
        return 0
    regs = (
        Registration.objects.filter(session=session)
        .exclude(status=Registration.Status.ANNULE)
        .select_related("session", "session__course", "user")
    )
    sent = 0
    for reg in regs:
        notifications.send_cancellation(reg)
        sent += 1
    return sent
