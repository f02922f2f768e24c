"""Periodic jobs of the inventory (collected by core/schedules.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "datasets-purge-stale-imports": {
        "task": "datasets.tasks.purge_stale_imports",
        "schedule": crontab(minute=40, hour=3),
    },
    # Monday morning: the administrators of ministries with proposals pending for a week.
    "datasets-remind-pending-proposals": {
        "task": "datasets.remind_pending_proposals",
        "schedule": crontab(minute=30, hour=7, day_of_week=1),
    },
}
