"""The internal information system (`source_system`) weighs D in the stored search vector,
apart from the public text.

The public catalogue (/inventaire/catalogue/) searches published entries for anyone; its page
and the DCAT catalogue never show an entry's internal information system, yet the search read it
(weight C, with the description): an anonymous search for a system's name listed the entries
built on it. The public search now matches weights A, B and C only (datasets/search.py); the
inventory, for its signed-in users, still finds an entry by its system's name. The system's name
gets no singular stems (0011): those carry no position, hence no weight, and would match a
public search. Same vector otherwise; no-op outside PostgreSQL.
"""

from django.db import migrations

CONFIG = "french_unaccent"


def _part(expression: str, singulars: bool = True) -> str:
    vector = f"to_tsvector('{CONFIG}'::regconfig, {expression})"
    if singulars:
        vector += f" || strip(to_tsvector('{CONFIG}'::regconfig, portal_singulars({expression})))"
    return vector


def _vector(system_apart: bool) -> str:
    title = "coalesce(title, '')"
    names = "coalesce(acronym, '') || ' ' || coalesce(keywords::text, '')"
    if system_apart:
        text = "coalesce(description, '') || ' ' || coalesce(service, '')"
    else:
        text = (
            "coalesce(description, '') || ' ' || coalesce(service, '') || ' ' "
            "|| coalesce(source_system, '')"
        )
    vector = (
        f"setweight({_part(title)}, 'A')"
        f" || setweight({_part(names)}, 'B')"
        f" || setweight({_part(text)}, 'C')"
    )
    if system_apart:
        system = _part("coalesce(source_system, '')", singulars=False)
        vector += f" || setweight({system}, 'D')"
    return vector


def _rebuild(schema_editor, system_apart: bool) -> None:
    schema_editor.execute("DROP INDEX IF EXISTS asset_search_gin")
    schema_editor.execute("ALTER TABLE datasets_dataasset DROP COLUMN IF EXISTS search_vector")
    schema_editor.execute(
        "ALTER TABLE datasets_dataasset ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        + _vector(system_apart)
        + ") STORED"
    )
    schema_editor.execute(
        "CREATE INDEX asset_search_gin ON datasets_dataasset USING gin (search_vector)"
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor, system_apart=True)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor, system_apart=False)


class Migration(migrations.Migration):
    dependencies = [("datasets", "0012_published_recent_index")]
    operations = [migrations.RunPython(forward, backward)]
