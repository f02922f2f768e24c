"""A second database connection per web process, for a query that can run while the request
goes on (PostgreSQL answers it on the other core).

`beside(fn, *args)` starts `fn(*args)` on a thread of the process that keeps its own
persistent connection, and returns a function that waits for the result. Used by the
inventory pages: a search page's highlights (`ts_headline` over 50 descriptions) while its
facets are built and the page rendered; a filtered list's rows while its facets are counted.

Only on PostgreSQL, with persistent connections (a new connection per request would cost more
than it saves), outside a transaction (another connection would not see its writes: the tests
run inside one), with PARALLEL_QUERIES on, and while the thread is not still on an earlier
query. Otherwise, and if the side query fails, the function runs inline, on the request's
connection, as it would without this module. Each web
process then holds up to two connections.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, connections

logger = logging.getLogger(__name__)

T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
# Queries handed to the side thread and not finished yet (under `_pool_lock`).
_unfinished = 0


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="side-connection")
        return _pool


def side_allowed() -> bool:
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    if not getattr(settings, "PARALLEL_QUERIES", True):
        return False
    max_age = connection.settings_dict.get("CONN_MAX_AGE")
    return max_age is None or max_age > 0


def close_side_connection() -> None:
    """Close the side thread's connection (tests, before their database is dropped)."""
    if _pool is not None:
        _pool.submit(connections.close_all).result(timeout=10)


def _in_thread(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    # What Django does at the start of each request: drop a broken or expired connection.
    connections["default"].close_if_unusable_or_obsolete()
    return fn(*args, **kwargs)


def _counted(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """`_in_thread`, no longer counted as unfinished once done (before its result is seen)."""
    try:
        return _in_thread(fn, args, kwargs)
    finally:
        _finished()


def _finished() -> None:
    global _unfinished
    with _pool_lock:
        _unfinished -= 1


def _when_asked(
    fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Callable[[], T]:
    results: list[T] = []

    def result() -> T:
        if not results:
            results.append(fn(*args, **kwargs))
        return results[0]

    return result


def beside(fn: Callable[..., T], *args: Any, **kwargs: Any) -> Callable[[], T]:
    """`fn(*args, **kwargs)` started now on the side connection when allowed; the function
    returned waits for its result (or computes it inline if the side query failed)."""
    global _unfinished
    if not side_allowed():
        result = fn(*args, **kwargs)
        return lambda: result
    pool = _executor()
    with _pool_lock:
        busy = _unfinished > 0
        if not busy:
            _unfinished += 1
    if busy:
        # The thread is still on an earlier query (one whose page was not kept, or one
        # hanging on a lost connection): queued behind it, this one would wait for it, up to
        # the whole timeout on every page. It runs here instead, when its result is asked for.
        return _when_asked(fn, args, kwargs)
    try:
        future = pool.submit(_counted, fn, args, kwargs)
    except RuntimeError:  # the interpreter is shutting down
        _finished()
        return _when_asked(fn, args, kwargs)

    def wait() -> T:
        try:
            return future.result(timeout=10)
        except Exception:  # noqa: BLE001 - any failure of the side connection: do it here
            logger.warning(
                "Requête en parallèle impossible : exécutée sur la connexion principale.",
                exc_info=True,
            )
            return fn(*args, **kwargs)

    return wait
