"""Periodic jobs of the trainings app (collected by core.schedules)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "trainings-reminders-hourly": {
        "task": "trainings.send_training_reminders",
        "schedule": crontab(minute=15),
    },
    "trainings-survey-invitations-hourly": {
        "task": "trainings.send_survey_invitations",
        "schedule": crontab(minute=45),
    },
}
