"""Review of the side connection (core/side_connection.py): while its thread is busy, a
query runs on the request's connection instead of waiting in its queue."""

import threading
import time

from core import side_connection


def test_a_query_the_side_thread_has_not_started_runs_inline_without_waiting(monkeypatch):
    """The process has one side thread. While it is busy (another request's query, or a
    connection hanging on a database that went away), a later request's query waits in its
    queue: waiting for it cost that request the whole timeout (10 s) on every page."""
    monkeypatch.setattr(side_connection, "side_allowed", lambda: True)
    release = threading.Event()
    busy = side_connection.beside(release.wait, 30)
    try:
        ran_in: list[str] = []

        def query() -> int:
            ran_in.append(threading.current_thread().name)
            return 42

        start = time.monotonic()
        assert side_connection.beside(query)() == 42
        assert time.monotonic() - start < 5
        assert ran_in == [threading.current_thread().name]
    finally:
        release.set()
        assert busy() is True
    # Once free, the side thread runs the next queries again.
    where = side_connection.beside(lambda: threading.current_thread().name)()
    assert where.startswith("side-connection")


def test_a_query_of_a_busy_side_thread_runs_only_if_its_result_is_asked_for(monkeypatch):
    """As on the side thread, a list's early rows are not read again inline when its page
    turned out not to exist (they are not asked for)."""
    monkeypatch.setattr(side_connection, "side_allowed", lambda: True)
    release = threading.Event()
    busy = side_connection.beside(release.wait, 30)
    calls: list[int] = []
    try:
        later = side_connection.beside(lambda: calls.append(1) or len(calls))
        assert calls == []
        assert later() == 1 and later() == 1
        assert calls == [1]
    finally:
        release.set()
        busy()
