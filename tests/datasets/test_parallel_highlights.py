"""Highlights computed on a second connection while the page is built (PostgreSQL)."""

import threading

import pytest
from django.db import connection

from datasets import search
from tests.datasets.factories import AssetFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="ts_headline: PostgreSQL only"
)


@pytest.fixture
def committed_entries(organization):
    """Entries another connection can read: these tests commit (transactional_db)."""
    yield [
        AssetFactory(
            organization=organization,
            title=f"Registre des élus n° {i}",
            description=f"Liste <b>des</b> élus municipaux, édition {i}",
        )
        for i in range(3)
    ]
    # The test database is dropped at the end: the thread's connection must not hold it.
    search.close_side_connection()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_side_connection_gives_the_same_highlights(committed_entries):
    ids = [a.pk for a in committed_entries]
    assert search._parallel_allowed()
    threads = []
    real = search._highlights_in_thread

    def spy(*args):
        threads.append(threading.current_thread().name)
        return real(*args)

    search._highlights_in_thread = spy
    try:
        later = search.highlights_later(ids, "élus")()
    finally:
        search._highlights_in_thread = real
    assert threads and threads[0].startswith("highlights")
    assert later == search.highlights(ids, "élus")
    assert all("<mark>" in str(h["title"]) for h in later.values())
    assert all("<b>" not in str(h["description"]) for h in later.values())


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_failing_side_connection_falls_back_inline(committed_entries, monkeypatch):
    def broken(ids, q):
        raise RuntimeError("connexion perdue")

    monkeypatch.setattr(search, "_highlights_in_thread", broken)
    ids = [a.pk for a in committed_entries]
    assert search.highlights_later(ids, "élus")() == search.highlights(ids, "élus")


@pytest.mark.django_db
def test_inside_a_transaction_the_highlights_are_computed_inline(committed_entries, monkeypatch):
    """Another connection would not see this transaction's entries."""
    monkeypatch.setattr(
        search, "_highlights_in_thread", lambda *a: pytest.fail("side connection used")
    )
    ids = [a.pk for a in committed_entries]
    marks = search.highlights_later(ids, "élus")()
    assert set(marks) == set(ids)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_without_persistent_connections_the_highlights_are_computed_inline(
    committed_entries, monkeypatch
):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    assert not search._parallel_allowed()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_search_page_shows_the_side_connection_highlights(committed_entries, client, amd_user):
    client.force_login(amd_user)
    body = client.get("/inventaire/", {"q": "élus"}).content.decode()
    assert body.count("<mark>élus</mark>") >= 3
    assert "<b>des</b>" not in body


def test_rows_wait_for_their_highlights_only_when_read():
    calls = []

    def marks():
        calls.append(1)
        return {1: {"title": "T"}}

    rows = search.MarkedRows([{"pk": 1}, {"pk": 2}], marks)
    assert len(rows) == 2 and bool(rows)
    assert calls == []
    assert list(rows) == [({"pk": 1}, {"title": "T"}), ({"pk": 2}, None)]
    assert rows[0:1] == [({"pk": 1}, {"title": "T"})]
    assert calls == [1]
    assert not search.MarkedRows([], None)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_setting_turns_the_side_connection_off(committed_entries, settings):
    settings.SEARCH_PARALLEL_HIGHLIGHTS = False
    assert not search._parallel_allowed()
