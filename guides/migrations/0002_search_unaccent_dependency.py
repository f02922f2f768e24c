"""Guide search uses the text search configuration `french_unaccent` (French stemming after
`unaccent`), created by datasets' migration 0010: this migration only orders the two, so that a
database migrated up to guides has it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("guides", "0001_initial"),
        ("datasets", "0010_search_unaccent"),
    ]
    operations: list[migrations.operations.base.Operation] = []
