"""Static files storages whose `url()` is computed once per name and process.

Every page asks for about a dozen static URLs (the DSFR styles, scripts and icons, the portal's
own): each call joins paths and, with the manifest, looks up the hashed name (~0.06 ms, ~0.7 ms a
page). The answer depends only on the name and on the files collected when the process started,
so each process remembers it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.storage import StaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class _RememberedUrls:
    """Mixin placed before a storage class: remembers what its `url()` answers."""

    _urls: dict[tuple[str, bool], str]

    def url(self, name: Any, force: bool = False) -> str:
        try:
            urls = self._urls
        except AttributeError:
            urls = self._urls = {}
        key = (str(name), force)
        found = urls.get(key)
        if found is None:
            parent: Any = super()
            found = urls[key] = parent.url(name, force) if force else parent.url(name)
        return found


class StaticStorage(_RememberedUrls, StaticFilesStorage):
    """Development: files found by the finders, URLs as named."""


class ManifestStorage(_RememberedUrls, CompressedManifestStaticFilesStorage):
    """Production: hashed and compressed files (whitenoise), URLs from the manifest."""
