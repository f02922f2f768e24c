"""Periodic jobs of the trainings app (collected by core.schedules)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "trainings-reminders-hourly": {
        "task": "trainings.send_training_reminders",
        "schedule": crontab(minute=15),
    },
}
