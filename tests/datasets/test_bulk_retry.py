"""A refused bulk action shows the list again with its selection and its action, to correct
rather than start over (QA pass: both were cleared), once; a success clears them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(organization):
    return [AssetFactory(organization=organization, title=f"Base {i}") for i in range(3)]


def _ticked(body: str, pk: int) -> bool:
    return f'name="ids" value="{pk}" id="sel-{pk}" checked' in body


def test_the_selection_and_action_of_a_refused_action_come_back_once(amd_client, entries):
    chosen = entries[:2]
    response = amd_client.post(
        "/inventaire/actions/",
        {
            "ids": [e.pk for e in chosen],
            "action": "status",
            "status": "PUBLISHED",  # no URL, licence or open format: refused by the rules
            "next": "/inventaire/",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "fr-alert--error" in body
    assert all(_ticked(body, e.pk) for e in chosen)
    assert not _ticked(body, entries[2].pk)
    assert '<option value="status" selected>' in body
    assert '<option value="PUBLISHED" selected>' in body
    # Once: the next visit of the list starts afresh.
    again = amd_client.get("/inventaire/").content.decode()
    assert not any(_ticked(again, e.pk) for e in entries)
    assert '<option value="PUBLISHED" selected>' not in again


def test_a_successful_action_leaves_nothing_ticked(amd_client, organization):
    entry = AssetFactory(organization=organization, visibility="PUBLISHED")
    response = amd_client.post(
        "/inventaire/actions/",
        {"ids": [entry.pk], "action": "draft", "next": "/inventaire/"},
        follow=True,
    )
    body = response.content.decode()
    assert "1 entrée(s) modifiée(s)." in body
    assert not _ticked(body, entry.pk)


def test_the_list_costs_no_more_queries_without_a_refused_action(amd_client, entries):
    amd_client.get("/inventaire/")
    with CaptureQueriesContext(connection) as ctx:
        amd_client.get("/inventaire/")
    assert not any("UPDATE" in q["sql"] and "django_session" in q["sql"] for q in ctx)


def test_the_refused_action_belongs_to_its_page_only(amd_client, entries):
    """Review: another list page (another tab) took the selection, or a later visit."""
    amd_client.post(
        "/inventaire/actions/",
        {
            "ids": [entries[0].pk],
            "action": "status",
            "status": "PUBLISHED",
            "next": "/inventaire/?q=Base",
        },
    )
    other = amd_client.get("/inventaire/").content.decode()
    assert not _ticked(other, entries[0].pk)
    own = amd_client.get("/inventaire/", {"q": "Base"}).content.decode()
    assert _ticked(own, entries[0].pk)


def test_a_stale_refused_action_is_dropped(amd_client, entries, monkeypatch):
    from datasets import views

    amd_client.post(
        "/inventaire/actions/",
        {"ids": [entries[0].pk], "action": "status", "status": "PUBLISHED", "next": "/inventaire/"},
    )
    monkeypatch.setattr(views, "BULK_RETRY_SECONDS", -1)
    assert not _ticked(amd_client.get("/inventaire/").content.decode(), entries[0].pk)
    monkeypatch.setattr(views, "BULK_RETRY_SECONDS", 120)
    assert views.BULK_RETRY not in amd_client.session
