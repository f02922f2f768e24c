"""Static URLs remembered per process: the same answers as the storages they extend."""

import pytest
from django.contrib.staticfiles.storage import StaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

from core.staticfiles import ManifestStorage, StaticStorage


def test_development_urls_are_those_of_the_staticfiles_storage():
    ours, theirs = StaticStorage(), StaticFilesStorage()
    for name in ("portal/portal.css", "dsfr/dist/dsfr.min.css", "a b/é.png"):
        assert ours.url(name) == ours.url(name) == theirs.url(name)


def test_manifest_urls_are_those_of_whitenoise_and_remembered(tmp_path, settings):
    (tmp_path / "portal").mkdir()
    (tmp_path / "portal" / "site.css").write_text("body { color: #000091; }")
    settings.STATIC_ROOT = str(tmp_path)
    settings.DEBUG = False
    theirs = CompressedManifestStaticFilesStorage(location=str(tmp_path))
    list(theirs.post_process({"portal/site.css": (theirs, "portal/site.css")}))
    theirs.save_manifest()
    ours = ManifestStorage(location=str(tmp_path))
    hashed = theirs.url("portal/site.css")
    assert hashed != "/static/portal/site.css" and hashed.startswith("/static/portal/site.")
    assert ours.url("portal/site.css") == hashed
    # Remembered: a later change of the manifest is not seen by this process (by design,
    # static files change only with a deployment, which starts new processes).
    ours.hashed_files = {}
    assert ours.url("portal/site.css") == hashed
    with pytest.raises(ValueError):
        ours.url("portal/absent.css")
