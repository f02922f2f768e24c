"""The stored search vector is recomputed by pg_restore with an empty search_path: the function
it calls must name its own configuration and helper with their schema (migration 0014)."""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="stored vector: PostgreSQL"),
]


def test_the_vector_function_works_with_an_empty_search_path():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        cursor.execute("SET LOCAL search_path = ''")
        try:
            cursor.execute(
                f"SELECT {connection.ops.quote_name(schema)}.portal_search_part(%s)::text",
                ["Registres des élus"],
            )
            (vector,) = cursor.fetchone()
        finally:
            cursor.execute("SET LOCAL search_path = DEFAULT")
    # The singular stem of « élus » with a position; « registres » not counted twice.
    assert vector == "'elu':6 'elus':3 'registr':1"
