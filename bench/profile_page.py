"""Where one page's time goes, in process (no HTTP, no gunicorn), on the bench's data.

    make bench                     # builds portal_bench once (kept between runs)
    DATABASE_URL=postgres://portal:portal@127.0.0.1:5432/portal_bench \\
    REDIS_URL=redis://127.0.0.1:6379/1 DEBUG=false LOG_LEVEL=ERROR \\
    .venv/bin/python bench/profile_page.py "/inventaire/?page=3" [--who amd] [--requests 300]
        [--no-render] [--queries] [--profile [--sort tottime] [--top 40]]

Prints p50/p95 of the page called through Django's WSGI handler with the bench's signed-in
session. `--no-render`: the same request with `render()` answering an empty page (what the view
costs without any template); `--queries`: each statement's time as the page sees it (network
and driver included); `--profile`: cProfile of the requests.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network_portal.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--who", default="staff", choices=["staff", "amd", "amd2"])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--no-render", action="store_true")
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    import django

    django.setup()
    import run as bench
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.http import HttpResponse

    cookie = bench.session_cookie(bench.accounts()[args.who])
    app = WSGIHandler()
    path, _, query = args.path.partition("?")

    def call() -> str:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "HTTP_HOST": "localhost",
            "HTTP_COOKIE": cookie,
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
        }
        status: list[str] = []
        response = app(environ, lambda s, h: status.append(s))
        b"".join(response)
        response.close()  # type: ignore[attr-defined]
        return status[0]

    def timed(label: str) -> None:
        for _ in range(30):  # warm: caches, connections, compiled templates
            status = call()
        samples = []
        for _ in range(args.requests):
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        p50, p95 = samples[len(samples) // 2], samples[int(len(samples) * 0.95)]
        print(f"{label:<12} {status:<16} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")

    timed("page")
    if args.no_render:
        import datasets.views
        import datasets.views_io

        for module in (datasets.views, datasets.views_io):
            module.render = lambda *a, **k: HttpResponse(b"")  # type: ignore[assignment]
        timed("no render")
    if args.queries:
        times: dict[str, list[float]] = collections.defaultdict(list)

        def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                times[sql[:100]].append((time.perf_counter() - started) * 1000)

        with connection.execute_wrapper(wrapper):
            for _ in range(args.requests):
                call()
        for sql, samples in times.items():
            samples.sort()
            print(f"{len(samples):5d}  p50 {samples[len(samples) // 2]:.3f} ms  {sql}")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            call()
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
