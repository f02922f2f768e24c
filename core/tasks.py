"""Periodic jobs of what every app shares (scheduled in core/schedules.py)."""

from __future__ import annotations

from importlib import import_module

from celery import shared_task
from django.conf import settings


@shared_task(name="core.tasks.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Deletes the sessions past their expiry date (what `manage.py clearsessions` does): a
    signed-out or expired session is no use to anyone, and holds who was signed in."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
