"""Search that ignores accents: « enquete » finds « enquête », « hopital » finds « hôpitaux ».

Users type without accents (and the 2016 inventory spells some titles without them): with the
plain `french` configuration, « donnees » found nothing of the 46 entries about « données ». A
text search configuration `french_unaccent` (a copy of `french` whose words first go through the
`unaccent` dictionary, then the French stemmer) now builds the stored vector, and the queries
and highlights use it (datasets/search.py). `unaccent` is a trusted extension of PostgreSQL's
contrib (13 and later): the database's owner may create it. Same weights as 0003. On other
databases this is a no-op (the search there is `icontains`).
"""

from django.db import migrations

CONFIG = "french_unaccent"
VECTOR = """
    setweight(to_tsvector('{config}'::regconfig, coalesce(title, '')), 'A')
    || setweight(to_tsvector('{config}'::regconfig,
           coalesce(acronym, '') || ' ' || coalesce(keywords::text, '')), 'B')
    || setweight(to_tsvector('{config}'::regconfig,
           coalesce(description, '') || ' ' || coalesce(service, '') || ' '
           || coalesce(source_system, '')), 'C')
"""


def _rebuild(schema_editor, config: str) -> None:
    schema_editor.execute("DROP INDEX IF EXISTS asset_search_gin")
    schema_editor.execute("ALTER TABLE datasets_dataasset DROP COLUMN IF EXISTS search_vector")
    schema_editor.execute(
        "ALTER TABLE datasets_dataasset ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        + VECTOR.format(config=config)
        + ") STORED"
    )
    schema_editor.execute(
        "CREATE INDEX asset_search_gin ON datasets_dataasset USING gin (search_vector)"
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    # Created in the schema the column's expression resolves it in (the current one), then its
    # mapping set every time: a configuration of that name made by hand, or left half-made,
    # would otherwise keep accents silently.
    schema_editor.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (
                SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace
                WHERE c.cfgname = '{CONFIG}' AND n.nspname = current_schema()
            ) THEN
                CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = french);
            END IF;
        END $$;
        """
    )
    schema_editor.execute(
        f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} "
        "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem"
    )
    _rebuild(schema_editor, CONFIG)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _rebuild(schema_editor, "french")
    schema_editor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")


class Migration(migrations.Migration):
    dependencies = [("datasets", "0009_proposal_notified_at")]
    operations = [migrations.RunPython(forward, backward)]
