"""French full-text search on PostgreSQL: a stored generated tsvector with a GIN index.

Weights: title A; acronym and keywords B; description, service and information system C. The
column is not declared on the model (SQLite has no tsvector): `datasets.search` queries it with
raw SQL on PostgreSQL and degrades to icontains elsewhere. On other databases this is a no-op.
"""

from django.db import migrations

FORWARD = """
ALTER TABLE datasets_dataasset ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('french'::regconfig, coalesce(title, '')), 'A')
    || setweight(to_tsvector('french'::regconfig,
           coalesce(acronym, '') || ' ' || coalesce(keywords::text, '')), 'B')
    || setweight(to_tsvector('french'::regconfig,
           coalesce(description, '') || ' ' || coalesce(service, '') || ' '
           || coalesce(source_system, '')), 'C')
) STORED;
CREATE INDEX asset_search_gin ON datasets_dataasset USING gin (search_vector);
"""
BACKWARD = """
DROP INDEX IF EXISTS asset_search_gin;
ALTER TABLE datasets_dataasset DROP COLUMN IF EXISTS search_vector;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("datasets", "0002_reference_data")]
    operations = [migrations.RunPython(forward, backward)]
