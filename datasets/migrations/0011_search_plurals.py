"""Search that finds a word whatever its number: « élu » finds « élus », « cancers » finds
« cancer ».

The French Snowball stemmer drops a final « s » only after some letters: « élus » stays
`elus` while « élu » is `elu`, and « cancer » is `canc` while « cancers » is `cancer`. So a
search for « élu » missed the « Répertoire national des élus ». Each part of the stored vector
now also holds, without positions, the stems of its words ending in « s » or « x » once that
letter is dropped (`portal_singulars`, an immutable SQL function); queries match the words as
typed or without that final letter (datasets/search.py). Without positions, those extra stems
count for matching, not for ranking: the form typed ranks first, and words the stemmer already
handled (« registres ») are not counted twice. A word that is a stop word once shortened
(« mois ») keeps matching as typed; « cours » now also finds « cour ». Same weights as 0010.
On other databases this is a no-op (the search there is `icontains`, which already finds
« élus » for « élu »).
"""

from django.db import migrations

CONFIG = "french_unaccent"
# Letters of French words (Latin-1 letters and the œ/æ ligatures); the database is UTF-8. The
# same rule as datasets/search.py's `_ENDS_IN_S` (checked by a test).
LETTERS = "a-zA-ZÀ-ÖØ-öø-ÿŒœÆæ"
SINGULARS = f"""
CREATE OR REPLACE FUNCTION portal_singulars(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT array_to_string(ARRAY(
        SELECT m[1] FROM regexp_matches(value, '([{LETTERS}]{{2,}})[sSxX](?![{LETTERS}])', 'g') AS m
    ), ' ') $$
"""  # noqa: S608 - constant SQL


def _part(expression: str, config: str, singular: bool) -> str:
    vector = f"to_tsvector('{config}'::regconfig, {expression})"
    if singular:
        vector += f" || strip(to_tsvector('{config}'::regconfig, portal_singulars({expression})))"
    return vector


def _vector(config: str, singular: bool) -> str:
    title = "coalesce(title, '')"
    names = "coalesce(acronym, '') || ' ' || coalesce(keywords::text, '')"
    text = (
        "coalesce(description, '') || ' ' || coalesce(service, '') || ' ' "
        "|| coalesce(source_system, '')"
    )
    return (
        f"setweight({_part(title, config, singular)}, 'A')"
        f" || setweight({_part(names, config, singular)}, 'B')"
        f" || setweight({_part(text, config, singular)}, 'C')"
    )


def _rebuild(schema_editor, singular: bool) -> None:
    schema_editor.execute("DROP INDEX IF EXISTS asset_search_gin")
    schema_editor.execute("ALTER TABLE datasets_dataasset DROP COLUMN IF EXISTS search_vector")
    schema_editor.execute(
        "ALTER TABLE datasets_dataasset ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        + _vector(CONFIG, singular)
        + ") STORED"
    )
    schema_editor.execute(
        "CREATE INDEX asset_search_gin ON datasets_dataasset USING gin (search_vector)"
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(SINGULARS)
    _rebuild(schema_editor, singular=True)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _rebuild(schema_editor, singular=False)
    schema_editor.execute("DROP FUNCTION IF EXISTS portal_singulars(text)")


class Migration(migrations.Migration):
    dependencies = [("datasets", "0010_search_unaccent")]
    operations = [migrations.RunPython(forward, backward)]
