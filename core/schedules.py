"""Celery beat schedule, declared in code: each app may define `BEAT_SCHEDULE` in `<app>/schedules.py`."""

from importlib import import_module
from typing import Any

from celery.schedules import crontab
from django.conf import settings

# The jobs of `core` itself.
BEAT_SCHEDULE = {
    "core-clear-expired-sessions": {
        "task": "core.tasks.clear_expired_sessions",
        "schedule": crontab(minute=10, hour=4),
    },
}


def collect_beat_schedule() -> dict[str, Any]:
    schedule: dict[str, Any] = {}
    for app in settings.INSTALLED_APPS:
        try:
            module = import_module(f"{app}.schedules")
        except ModuleNotFoundError:
            continue
        schedule.update(getattr(module, "BEAT_SCHEDULE", {}))
    return schedule
