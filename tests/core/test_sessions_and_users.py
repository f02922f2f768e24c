"""Signed-in requests read their session and user with written-out SQL: same rules as Django."""

import datetime

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.auth_backends import EmailBackend
from core.sessions import SessionStore
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_live_session_is_read_back():
    store = SessionStore()
    store["colour"] = "bleu"
    store.save()
    with CaptureQueriesContext(connection) as ctx:
        again = SessionStore(store.session_key)
        assert again["colour"] == "bleu"
    assert len(ctx.captured_queries) == 1


def test_an_expired_or_unknown_session_is_empty():
    store = SessionStore()
    store["colour"] = "bleu"
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert expired.load() == {}
    assert expired.session_key is None
    assert SessionStore("x" * 32).load() == {}


def test_the_user_of_a_session_follows_django_rules():
    backend = EmailBackend()
    user = UserFactory()
    assert backend.get_user(user.pk) == user
    assert backend.get_user(str(user.pk)) == user
    assert backend.get_user(987654) is None
    assert backend.get_user("not-a-number") is None
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert backend.get_user(user.pk) is None


def test_a_signed_in_page_reads_one_session_and_one_user(client):
    user = UserFactory()
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/accounts/")
    assert response.status_code == 200
    assert response.wsgi_request.user == user
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum("django_session" in q for q in sql[:1]) == 1
    assert any("core_user" in q for q in sql[:2])


def test_a_session_of_a_deleted_user_is_anonymous(client):
    user = UserFactory()
    client.force_login(user)
    assert int(client.session[SESSION_KEY]) == user.pk
    user.delete()
    response = client.get("/accounts/")
    assert response.status_code == 302
