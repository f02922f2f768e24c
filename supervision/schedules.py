"""Periodic jobs of supervision (collected by core/schedules.py)."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # 1 January, April, July, October at 00:30: freeze the quarter that just closed.
    "supervision-close-quarter": {
        "task": "supervision.tasks.compute_quarter_snapshots",
        "schedule": crontab(minute=30, hour=0, day_of_month=1, month_of_year="1,4,7,10"),
    },
    # Every night at 02:15: the current quarter's provisional scores.
    "supervision-refresh-current-quarter": {
        "task": "supervision.tasks.refresh_current_quarter",
        "schedule": crontab(minute=15, hour=2),
    },
}
