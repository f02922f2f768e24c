"""Celery entry points (ids and plain JSON only; safe to run twice: snapshots are upserted)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from supervision import services
from supervision.quarters import Quarter


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=300, time_limit=360)
def compute_quarter_snapshots(
    label: str | None = None, ministry_ids: list[int] | None = None
) -> int:
    """Compute (or recompute) a quarter's snapshots; by default the quarter that just closed."""
    quarter = Quarter.parse(label) if label else Quarter.of(timezone.localdate()).previous()
    return len(services.snapshot_compute(actor=None, quarter=quarter, ministry_ids=ministry_ids))


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=300, time_limit=360)
def refresh_current_quarter() -> int:
    """Keep the current quarter's provisional scores fresh (nightly)."""
    return len(services.snapshot_compute(actor=None, quarter=Quarter.current()))
