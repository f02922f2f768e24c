"""The public catalogue's list by date reads a page's ids from the partial index of published
entries (migration 0012): deep pages cost an index walk, not a read of every row before them."""

import pytest
from django.db import connection

from datasets import public_catalogue
from datasets.models import DataAsset

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans: PostgreSQL"),
]


def test_the_page_ids_come_from_the_published_index_alone():
    ids = (
        public_catalogue.matching(public_catalogue.CatalogueQuery())
        .order_by("-updated_at", "-id")
        .values("pk")[9950:10000]
    )
    sql, params = ids.query.sql_with_params()
    with connection.cursor() as cursor:
        # On a test database of a few rows the planner would rather read the table: asked to
        # avoid that, it must find an index that answers the query by itself.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "asset_published_recent" in plan, plan
    assert "Sort" not in plan, plan


def test_the_index_holds_published_entries_only():
    (index,) = [i for i in DataAsset._meta.indexes if i.name == "asset_published_recent"]
    assert str(index.condition) == "(AND: ('visibility', 'PUBLISHED'))"
    assert public_catalogue.MAX_PAGES == 200
