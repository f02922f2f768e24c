"""The inventory list sorted by title (« Trier par : Titre »), in French order.

Without an index, a page of the network's 200,000 entries sorted by title read and sorted every
row (200 ms on the bench's data); a ministry's 6,700, 19 ms. Two indexes in the order the page
asks for (`datasets.selectors._sort_terms`: the title in the French collation, then the id),
one of them per ministry, give a page's ids from the index alone (about 1 ms).

PostgreSQL only: elsewhere (SQLite, `make run`'s demo) the sort has no collation to index.
"""

from django.db import migrations

COLLATION = "fr-x-icu"  # administrators.selectors.FRENCH_COLLATION
INDEXES = {
    "asset_title_fr": f'((title COLLATE "{COLLATION}"), id)',
    "asset_ministry_title_fr": f'(ministry_id, (title COLLATE "{COLLATION}"), id)',
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON datasets_dataasset {columns}"  # noqa: S608
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("datasets", "0016_ground_links_in_given_order")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
