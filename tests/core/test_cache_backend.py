"""The Redis cache backend keeps one client per connection pool (core/cache.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import caches

pytestmark = pytest.mark.skipif(
    "Redis" not in settings.CACHES["default"]["BACKEND"], reason="the suite runs without Redis"
)


def test_the_client_is_reused_and_the_cache_works() -> None:
    cache = caches["default"]
    first = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    assert cache._cache.get_client(write=True) is first  # type: ignore[attr-defined]
    cache.set("core:test:cache", {"a": 1}, 30)
    assert cache.get("core:test:cache") == {"a": 1}
    cache.set("core:test:counter", 1, 30)
    assert cache.incr("core:test:counter") == 2
    cache.delete_many(["core:test:cache", "core:test:counter"])
    assert cache.get("core:test:cache") is None
