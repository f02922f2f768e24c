import datetime

import pytest
from django.utils import timezone

from core.schedules import collect_beat_schedule
from datasets.models import ImportJob
from datasets.tasks import purge_stale_imports

pytestmark = pytest.mark.django_db


def _job(ministry, state, days_old):
    job = ImportJob.objects.create(
        ministry=ministry, filename="inventaire.csv", payload=b"titre\nx\n", size=8, state=state
    )
    ImportJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=days_old)
    )
    return job


def test_unconfirmed_imports_older_than_a_week_lose_their_file_once(ministry):
    stale = _job(ministry, ImportJob.State.ANALYSED, 8)
    recent = _job(ministry, ImportJob.State.ANALYSED, 1)
    applied = _job(ministry, ImportJob.State.APPLIED, 30)

    assert purge_stale_imports() == 1
    assert purge_stale_imports() == 0  # safe to run twice

    stale.refresh_from_db()
    recent.refresh_from_db()
    applied.refresh_from_db()
    assert stale.state == ImportJob.State.CANCELLED and bytes(stale.payload) == b""
    assert recent.state == ImportJob.State.ANALYSED and bytes(recent.payload) != b""
    assert applied.state == ImportJob.State.APPLIED


def test_the_purge_is_in_the_beat_schedule():
    tasks = {entry["task"] for entry in collect_beat_schedule().values()}
    assert "datasets.tasks.purge_stale_imports" in tasks
