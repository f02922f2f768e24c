"""System check: the French collation the ministry and organisation lists sort by exists.

`administrators.selectors.french` orders by PostgreSQL's ICU collation `fr-x-icu`. A server built
without ICU would fail on every such list at run time; this check says it at `migrate` (and
`check --database default`) instead.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register
from django.db import connections
from django.db.utils import DatabaseError


@register(Tags.database)
def french_collation_exists(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    from administrators.selectors import FRENCH_COLLATION

    errors = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_collation WHERE collname = %s", [FRENCH_COLLATION])
                found = cursor.fetchone() is not None
        except DatabaseError:
            continue  # the database is not reachable: other checks and errors say so
        if not found:
            errors.append(
                Error(
                    f"La collation PostgreSQL « {FRENCH_COLLATION} » est absente : le serveur "
                    "doit être compilé avec ICU (paquets Debian, image officielle postgres).",
                    hint="Les listes de ministères et d'organisations sont triées par elle.",
                    id="administrators.E001",
                )
            )
    return errors
