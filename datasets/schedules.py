"""Periodic jobs of the inventory (collected by core/schedules.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "datasets-purge-stale-imports": {
        "task": "datasets.tasks.purge_stale_imports",
        "schedule": crontab(minute=40, hour=3),
    },
}
