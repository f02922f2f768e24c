"""Expired sessions are deleted every night (core.tasks.clear_expired_sessions)."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.schedules import collect_beat_schedule
from core.tasks import clear_expired_sessions

pytestmark = pytest.mark.django_db


def test_the_task_deletes_expired_sessions_only(client, amd_user):
    client.force_login(amd_user)
    live = Session.objects.get()
    Session.objects.create(
        session_key="x" * 32,
        session_data="",
        expire_date=timezone.now() - datetime.timedelta(seconds=1),
    )
    clear_expired_sessions.delay()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert client.get("/accounts/").status_code == 200  # still signed in


def test_the_purge_runs_every_night():
    entry = collect_beat_schedule()["core-clear-expired-sessions"]
    assert entry["task"] == clear_expired_sessions.name
    assert entry["schedule"].hour == {4}


def test_the_privacy_notice_says_so(client):
    body = client.get("/donnees-personnelles/").content.decode()
    assert "les sessions expirées sont effacées chaque nuit" in body
