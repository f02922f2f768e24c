"""Every list and detail page and endpoint of the network costs the same number of queries at
1 row and at 25 rows (STYLE §4). The numbers are pinned: a new query shows up here."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.audit import audit_record
from tests.factories import (
    MandateFactory,
    MembershipFactory,
    MinistryFactory,
    OrganizationFactory,
    PersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SIZES = [1, 25]


def _network(rows, ministry, organization, actor):
    """`rows` ministries, organisations, mandates (with perimeters), audit entries, people."""
    MinistryFactory.create_batch(rows)
    children = OrganizationFactory.create_batch(rows, ministry=ministry, parent=organization)
    MandateFactory(ministry=ministry, person=PersonFactory(consent_directory=True))
    for i in range(rows):
        mandate = MandateFactory(
            ministry=ministry,
            role="CORRESPONDANT_DIRECTION",
            person=PersonFactory(consent_directory=True),
            appointment_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=i),
        )
        mandate.perimeter_organizations.set(children[:2])
        MandateFactory(
            ministry=ministry,
            role="AMD_ADJOINT",
            appointment_date=datetime.date(2015, 1, 1),
            end_date=datetime.date(2016, 1, 1) + datetime.timedelta(days=i),
        )
        audit_record(actor=actor, action="ministry.updated", target=ministry, changes={"a": [i, i]})
        audit_record(actor=actor, action="organization.updated", target=organization, changes={})
        audit_record(actor=actor, action="mandate.updated", target=mandate, changes={})
        membership = MembershipFactory(user=UserFactory(), role="VIEWER", ministry=ministry)
        audit_record(actor=actor, action="membership.granted", target=membership, changes={})
        network = MembershipFactory(user=UserFactory(), role="TRAINER")
        audit_record(actor=actor, action="membership.granted", target=network, changes={})
    return mandate


PAGES = [
    ("/", 9),
    ("/annuaire/", 7),
    ("/ministeres/", 6),
    ("/ministeres/{code}/", 10),
    ("/ministeres/{code}/organisations/{org}/", 8),
    ("/ministeres/{code}/mandats/{mandate}/", 9),
    ("/ministeres/{code}/roles/", 9),
    ("/reseau/roles/", 7),
]


def _query_counts(client, urls):
    """{url: number of queries} for GETs that must all answer 200."""
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts[url] = len(queries)
    return counts


@pytest.mark.parametrize("rows", SIZES)
def test_page_query_counts_are_flat(rows, dinum_client, dinum_user, ministry, organization):
    """The same pinned count at 1 and 25 rows of everything each page lists."""
    mandate = _network(rows, ministry, organization, dinum_user)
    urls = {
        t.format(code=ministry.code, org=organization.pk, mandate=mandate.pk): n for t, n in PAGES
    }
    assert _query_counts(dinum_client, urls) == urls


ENDPOINTS = [
    ("/api/v1/ministries/", 5),
    ("/api/v1/ministries/{ministry}/", 4),
    ("/api/v1/organizations/", 5),
    ("/api/v1/organizations/{org}/", 4),
    ("/api/v1/mandates/", 6),
    ("/api/v1/mandates/{mandate}/", 5),
]


@pytest.mark.parametrize("rows", SIZES)
def test_endpoint_query_counts_are_flat(
    rows, network_api_client, dinum_user, ministry, organization
):
    mandate = _network(rows, ministry, organization, dinum_user)
    # The token's last-use stamp is written at most once a minute: stamp it before measuring.
    assert network_api_client.get("/api/v1/ministries/").status_code == 200
    urls = {
        t.format(ministry=ministry.pk, org=organization.pk, mandate=mandate.pk): n
        for t, n in ENDPOINTS
    }
    assert _query_counts(network_api_client, urls) == urls
