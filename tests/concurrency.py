"""Two writers at once, played in a fixed order: the second one (`Rival`) runs in a thread on
its own database connection until it has finished or waits for a lock the first one holds
(PostgreSQL's `pg_blocking_pids`), then the first one goes on. No sleep decides the order."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, connections


class Rival:
    """The second writer: `work` run in a thread with its own database connection."""

    def __init__(self, work: Callable[[], Any]) -> None:
        self.work = work
        self.result: Any = None
        self.error: BaseException | None = None
        self.pid: int | None = None
        self._started = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self._started.set()
            self.result = self.work()
        except BaseException as exc:  # re-raised by the test
            self.error = exc
        finally:
            self._started.set()
            connections.close_all()

    def run_until_done_or_blocked(self) -> str:
        """Start, and return once the rival has finished ("done") or waits for a lock held
        by the caller's transaction ("blocked")."""
        self.thread.start()
        assert self._started.wait(10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not self.thread.is_alive():
                return "done"
            with connection.cursor() as cursor:
                cursor.execute("SELECT cardinality(pg_blocking_pids(%s))", [self.pid])
                if cursor.fetchone()[0]:
                    return "blocked"
            time.sleep(0.005)
        raise AssertionError("le second traitement n'a ni fini ni attendu de verrou")

    def finish(self) -> Any:
        self.thread.join(20)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error
        return self.result
