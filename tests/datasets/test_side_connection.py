"""Queries run on a second connection while the page is built (PostgreSQL): search highlights,
a filtered list's rows."""

import threading

import pytest
from django.db import connection

from core import side_connection
from datasets import search, selectors
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
    side_connection.close_side_connection()


def _spy_threads(monkeypatch, module, name):
    threads = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return threads


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_side_connection_gives_the_same_highlights(committed_entries, monkeypatch):
    ids = [a.pk for a in committed_entries]
    assert side_connection.side_allowed()
    expected = search.highlights(ids, "élus")
    threads = _spy_threads(monkeypatch, search, "highlights")
    later = search.highlights_later(ids, "élus")()
    assert threads and threads[0].startswith("side-connection")
    assert later == expected
    assert all("<mark>" in str(h["title"]) for h in later.values())
    assert all("<b>" not in str(h["description"]) for h in later.values())


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_failing_side_connection_falls_back_inline(committed_entries, monkeypatch):
    def broken(fn, args, kwargs):
        raise RuntimeError("connexion perdue")

    monkeypatch.setattr(side_connection, "_in_thread", broken)
    ids = [a.pk for a in committed_entries]
    assert search.highlights_later(ids, "élus")() == search.highlights(ids, "élus")


@pytest.mark.django_db
def test_inside_a_transaction_the_query_runs_inline(committed_entries, monkeypatch):
    """Another connection would not see this transaction's entries."""
    monkeypatch.setattr(
        side_connection, "_in_thread", lambda *a: pytest.fail("side connection used")
    )
    ids = [a.pk for a in committed_entries]
    marks = search.highlights_later(ids, "élus")()
    assert set(marks) == set(ids)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_without_persistent_connections_the_query_runs_inline(committed_entries, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    assert not side_connection.side_allowed()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_setting_turns_the_side_connection_off(committed_entries, settings):
    settings.PARALLEL_QUERIES = False
    assert not side_connection.side_allowed()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_search_page_shows_the_side_connection_highlights(committed_entries, client, amd_user):
    client.force_login(amd_user)
    body = client.get("/inventaire/", {"q": "élus"}).content.decode()
    assert body.count("<mark>élus</mark>") >= 3
    assert "<b>des</b>" not in body


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_filtered_list_reads_its_rows_beside_its_facets(
    committed_entries, client, amd_user, monkeypatch
):
    threads = _spy_threads(monkeypatch, selectors, "asset_page_rows")
    client.force_login(amd_user)
    response = client.get("/inventaire/", {"status": "TO_ASSESS", "page": "1"})
    titles = sorted(row["title"] for row, _ in response.context["rows"])
    assert titles == sorted(a.title for a in committed_entries)
    assert threads and threads[0].startswith("side-connection")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_with_its_facets_cached_a_list_reads_its_rows_inline(
    committed_entries, client, amd_user, monkeypatch
):
    """Nothing to count meanwhile: handing the rows to the other thread would only add its
    round trip (~1 ms a page)."""
    client.force_login(amd_user)
    query = {"status": "TO_ASSESS", "page": "1"}
    client.get("/inventaire/", query)  # counts the facets, caches them
    threads = _spy_threads(monkeypatch, selectors, "asset_page_rows")
    response = client.get("/inventaire/", query)
    assert len(response.context["rows"]) == 3
    assert threads == [threading.current_thread().name]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_page_past_the_end_is_read_again_as_the_last_page(committed_entries, client, amd_user):
    client.force_login(amd_user)
    response = client.get("/inventaire/", {"status": "TO_ASSESS", "page": "7"})
    assert response.context["page_obj"].number == 1
    assert len(response.context["rows"]) == 3


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
