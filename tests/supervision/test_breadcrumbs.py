"""Breadcrumbs of supervision link only to pages the reader may open: the « Supervision »
dashboard answers 403 to a ministry's administrator, so their crumbs leave it out."""

from __future__ import annotations

import re

import pytest

from supervision import services
from supervision.quarters import Quarter

pytestmark = pytest.mark.django_db


def _crumb_links(html: str) -> list[str]:
    nav = re.search(r'<nav[^>]*class="fr-breadcrumb".*?</nav>', html, re.S)
    assert nav, "no breadcrumb on the page"
    return re.findall(r'<a class="fr-breadcrumb__link" href="([^"]+)"', nav.group(0))


def _pages(ministry) -> list[str]:
    return [
        f"/supervision/ministeres/{ministry.code}/",
        f"/supervision/ministeres/{ministry.code}/criteres/O1/",
        "/supervision/feuilles-de-route/",
        "/supervision/reunions/",
    ]


def test_ministry_administrator_is_never_sent_to_the_dashboard(amd_client, ministry):
    assert amd_client.get("/supervision/").status_code == 403
    for url in _pages(ministry):
        response = amd_client.get(url)
        assert response.status_code == 200, url
        links = _crumb_links(response.content.decode())
        assert "/supervision/" not in links, url
        for link in links:  # every crumb left opens for them
            assert amd_client.get(link).status_code == 200, (url, link)


@pytest.mark.parametrize("client_name", ["agd_client", "viewer_client"])
def test_network_readers_keep_the_supervision_crumb(request, client_name, ministry, agd_user):
    services.snapshot_compute(actor=agd_user, quarter=Quarter.current())
    client = request.getfixturevalue(client_name)
    for url in _pages(ministry):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "/supervision/" in _crumb_links(response.content.decode()), url
