"""Celery entry points (ids only; each returns quietly when its object is gone)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from trainings import notifications, services
from trainings.models import Registration, TrainingSession

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="trainings.send_training_reminders", **TASK_OPTIONS)
def send_training_reminders() -> int:
    """Beat, hourly: remind every seated official whose session starts within two days, once."""
    return services.reminders_send_due()


def _claim(field: str, **filters: object) -> bool:
    """Mark a notice as sent before sending it: a second run (or a second worker) finds it taken,
    so each official gets it once; a failed send releases the claim."""
    return bool(
        Registration.objects.filter(**filters, **{f"{field}__isnull": True}).update(
            **{field: timezone.now()}
        )
    )


@shared_task(name="trainings.send_survey_invitations", **TASK_OPTIONS)
def send_survey_invitations() -> int:
    """Beat, hourly: invite the attendees of recently ended sessions to the survey, once."""
    return services.survey_invitations_send_due()


@shared_task(name="trainings.send_promotion_notice", **TASK_OPTIONS)
def send_promotion_notice(registration_id: int) -> bool:
    if not _claim("promotion_notified_at", pk=registration_id, status=Registration.Status.INSCRIT):
        return False
    reg = Registration.objects.select_related("session", "session__course", "user").get(
        pk=registration_id
    )
    try:
        notifications.send_promotion(reg)
    except Exception:
        Registration.objects.filter(pk=registration_id).update(promotion_notified_at=None)
        raise
    return True


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
        if not _claim("cancellation_notified_at", pk=pk):
            continue
        reg = Registration.objects.select_related("session", "session__course", "user").get(pk=pk)
        try:
            notifications.send_cancellation(reg)
        except Exception:
            Registration.objects.filter(pk=pk).update(cancellation_notified_at=None)
            raise
        sent += 1
    return sent
