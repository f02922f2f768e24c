"""The singular stems of the stored search vector get positions and weights.

0011 stored them without positions, so that words the stemmer already folded (« registres »)
were not counted twice in the rank. But a lexeme without positions merges into the same lexeme
stored with positions: where the internal information system (weight D, migration 0013) holds
it, only its D position remains, and the public catalogue's search (weights A, B and C) missed
the entry, or kept it for an excluded word, by what the internal system says (found by the
review). Now each part adds, with positions, only the singular stems it does not already hold
(`portal_search_part`: `ts_delete` of its own stems), so nothing is counted twice and every
stem of the public text carries its weight. Same weights as 0013; no-op outside PostgreSQL.
"""

from django.db import migrations

CONFIG = "french_unaccent"
# The body names its configuration and function with their schema: pg_restore recomputes the
# column with an empty search_path, and a function body, unlike the column's own expression,
# is not rewritten by pg_dump with its schema.
PART = """
CREATE OR REPLACE FUNCTION portal_search_part(value text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$
        SELECT words || ts_delete(
            to_tsvector('{schema}.{config}'::regconfig, {schema}.portal_singulars(value)),
            tsvector_to_array(words)
        )
        FROM (SELECT to_tsvector('{schema}.{config}'::regconfig, value) AS words) AS part
    $$
"""
TITLE = "coalesce(title, '')"
NAMES = "coalesce(acronym, '') || ' ' || coalesce(keywords::text, '')"
TEXT = "coalesce(description, '') || ' ' || coalesce(service, '')"
SYSTEM = "coalesce(source_system, '')"


def _stripped(expression: str) -> str:
    """0013's part: the stems, then the singular stems without positions."""
    return (
        f"to_tsvector('{CONFIG}'::regconfig, {expression}) "
        f"|| strip(to_tsvector('{CONFIG}'::regconfig, portal_singulars({expression})))"
    )


def _vector(positioned: bool) -> str:
    part = (lambda e: f"portal_search_part({e})") if positioned else _stripped
    return (
        f"setweight({part(TITLE)}, 'A')"
        f" || setweight({part(NAMES)}, 'B')"
        f" || setweight({part(TEXT)}, 'C')"
        f" || setweight(to_tsvector('{CONFIG}'::regconfig, {SYSTEM}), 'D')"
    )


def _rebuild(schema_editor, positioned: bool) -> None:
    schema_editor.execute("DROP INDEX IF EXISTS asset_search_gin")
    schema_editor.execute("ALTER TABLE datasets_dataasset DROP COLUMN IF EXISTS search_vector")
    schema_editor.execute(
        "ALTER TABLE datasets_dataasset ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        + _vector(positioned)
        + ") STORED"
    )
    schema_editor.execute(
        "CREATE INDEX asset_search_gin ON datasets_dataasset USING gin (search_vector)"
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
    quoted = schema_editor.connection.ops.quote_name(schema)
    schema_editor.execute(PART.format(schema=quoted, config=CONFIG))
    _rebuild(schema_editor, positioned=True)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _rebuild(schema_editor, positioned=False)
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_search_part(text)")


class Migration(migrations.Migration):
    dependencies = [("datasets", "0013_search_source_system_apart")]
    operations = [migrations.RunPython(forward, backward)]
