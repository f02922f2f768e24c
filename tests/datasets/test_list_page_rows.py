"""A list page's rows: its ids read first, then only those rows joined (deferred join)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.access import access_for
from datasets import selectors
from datasets.models import DataAsset
from tests.datasets.factories import AssetFactory
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(organization, other_organization):
    """23 entries over two ministries, several sharing one update time (ties broken by id)."""
    base = timezone.now().replace(microsecond=0)
    second = OrganizationFactory(ministry=organization.ministry, name="Direction des étrangers")
    made = []
    for i in range(23):
        org = (organization, second, other_organization)[i % 3]
        asset = AssetFactory(organization=org, visibility="DRAFT" if i % 4 == 0 else "PUBLISHED")
        made.append(asset)
        stamp = base - datetime.timedelta(minutes=i // 3)  # three entries per minute
        DataAsset.objects.filter(pk=asset.pk).update(updated_at=stamp)
    return made


def _slices(user, filters, size):
    qs = selectors.asset_list(user, filters, ranked=False)
    expected_all = list(qs)
    for offset in range(0, len(expected_all) + size, size):
        rows = selectors.asset_page_rows(user, filters, ranked=False, offset=offset, limit=size)
        yield rows, expected_all[offset : offset + size]


@pytest.mark.parametrize("who", ["dinum_user", "amd_user", "ministry_viewer_user"])
def test_every_page_is_the_slice_of_the_whole_list(request, entries, who):
    user = request.getfixturevalue(who)
    filters = selectors.AssetFilters()
    pages = list(_slices(user, filters, 5))
    assert pages, "no page"
    for rows, expected in pages:
        assert rows == expected


def test_filters_on_joined_columns_apply_before_the_page_is_cut(dinum_user, entries):
    filters = selectors.AssetFilters.from_query({"status": ["TO_ASSESS"], "visibility": ["DRAFT"]})
    pages = list(_slices(dinum_user, filters, 2))
    seen = [r["pk"] for rows, _ in pages for r in rows]
    assert seen == [r["pk"] for r in selectors.asset_list(dinum_user, filters, ranked=False)]
    assert all(rows == expected for rows, expected in pages)
    assert seen, "the filter kept no entry"


def test_a_page_is_one_query_whatever_its_depth(dinum_user, entries):
    filters = selectors.AssetFilters()
    access_for(dinum_user)  # the caller's roles are read once per request, before
    # Names of organisations and ministries: read once per cache generation and process.
    selectors.asset_page_rows(dinum_user, filters, ranked=False, offset=0, limit=1)
    for offset in (0, 20):
        with CaptureQueriesContext(connection) as ctx:
            selectors.asset_page_rows(dinum_user, filters, ranked=False, offset=offset, limit=5)
        assert len(ctx.captured_queries) == 1
        # The ids of the page are chosen by a sub-select that joins nothing.
        sql = ctx.captured_queries[0]["sql"]
        inner = sql[sql.index("IN (SELECT") :]
        assert "JOIN" not in inner.split(")")[0]


def test_an_empty_page_reads_nothing(dinum_user, entries):
    access_for(dinum_user)
    with CaptureQueriesContext(connection) as ctx:
        rows = selectors.asset_page_rows(
            dinum_user, selectors.AssetFilters(), ranked=False, offset=10, limit=0
        )
    assert rows == []
    assert len(ctx.captured_queries) == 0


def test_the_list_page_shows_the_same_rows_deep_in_the_list(agd_client, entries):
    all_titles = [
        r["title"] for r in DataAsset.objects.order_by("-updated_at", "-id").values("title")
    ]
    response = agd_client.get("/inventaire/")
    titles = [row["title"] for row, _ in response.context["rows"]]
    assert titles == all_titles[:50]


def test_correspondents_get_no_bulk_status_change(client, correspondent_user, amd_client, entries):
    """They propose qualifications entry by entry (an administrator validates)."""
    client.force_login(correspondent_user)
    body = client.get("/inventaire/").content.decode()
    assert 'name="ids"' in body  # they may still select entries of their organisations
    assert "Rattacher à une organisation" in body
    assert '<option value="status"' not in body
    assert 'name="status"' not in body.split('id="bulk-form"')[1]
    body = amd_client.get("/inventaire/").content.decode()
    assert '<option value="status"' in body
    assert 'name="planned_date"' in body
