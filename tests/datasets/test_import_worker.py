"""One small import through a real Celery worker and Redis (the web and the worker share only
the database and the broker)."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from datasets import importing
from datasets.models import DataAsset, ImportJob
from datasets.tasks import confirm_import, enqueue_analyse
from tests.datasets.test_import import csv_bytes, row


def _wait_for(job: ImportJob, state: str, timeout: float = 30) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state == state:
            return job
        assert job.state != ImportJob.State.FAILED, job.error
        time.sleep(0.2)
    raise AssertionError(f"état {job.state} au lieu de {state}")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_analyses_then_applies(amd_user, ministry, organization):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL absent : pas de broker pour un vrai worker.")
    from celery.contrib.testing.worker import start_worker

    from network_portal.celery import app

    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        job = importing.import_job_create(
            actor=amd_user,
            ministry=ministry,
            filename="inventaire.csv",
            data=csv_bytes([row(), row("Deuxième")]),
        )
        enqueue_analyse(job)
        job = _wait_for(job, ImportJob.State.ANALYSED)
        assert job.report["counts"]["created"] == 2
        assert DataAsset.objects.count() == 0
        assert confirm_import(job, amd_user)
        _wait_for(job, ImportJob.State.APPLIED)
    assert DataAsset.objects.count() == 2
