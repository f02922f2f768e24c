"""Every list and detail page and endpoint of the network costs the same number of queries at
1 row and at 25 rows (STYLE §4). The numbers are pinned: a new query shows up here."""

import datetime

import pytest

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
        MembershipFactory(user=UserFactory(), role="VIEWER", ministry=ministry)
    return mandate


PAGES = [
    ("/", 9),
    ("/annuaire/", 7),
    ("/ministeres/", 6),
    ("/ministeres/{code}/", 10),
    ("/ministeres/{code}/organisations/{org}/", 8),
    ("/ministeres/{code}/mandats/{mandate}/", 9),
    ("/ministeres/{code}/roles/", 8),
]


@pytest.mark.parametrize("rows", SIZES)
@pytest.mark.parametrize(("template", "queries"), PAGES, ids=[p[0] for p in PAGES])
def test_page_query_count_is_flat(
    rows,
    template,
    queries,
    dinum_client,
    dinum_user,
    ministry,
    organization,
    django_assert_num_queries,
):
    mandate = _network(rows, ministry, organization, dinum_user)
    url = template.format(code=ministry.code, org=organization.pk, mandate=mandate.pk)
    with django_assert_num_queries(queries):
        assert dinum_client.get(url).status_code == 200


ENDPOINTS = [
    ("/api/v1/ministries/", 6),
    ("/api/v1/ministries/{ministry}/", 5),
    ("/api/v1/organizations/", 6),
    ("/api/v1/organizations/{org}/", 5),
    ("/api/v1/mandates/", 7),
    ("/api/v1/mandates/{mandate}/", 6),
]


@pytest.mark.parametrize("rows", SIZES)
@pytest.mark.parametrize(("template", "queries"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_endpoint_query_count_is_flat(
    rows,
    template,
    queries,
    network_api_client,
    dinum_user,
    ministry,
    organization,
    django_assert_num_queries,
):
    mandate = _network(rows, ministry, organization, dinum_user)
    url = template.format(ministry=ministry.pk, org=organization.pk, mandate=mandate.pk)
    with django_assert_num_queries(queries):
        assert network_api_client.get(url).status_code == 200
