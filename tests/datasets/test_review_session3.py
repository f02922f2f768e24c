"""Review of the inventory's performance work (names kept per process, side connection)."""

import pytest
from django.db import connection

from datasets import selectors

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["organization", "ministry"])
def test_names_being_read_are_never_served_half_read(kind, organization, other_organization):
    """The side connection's thread and the request's ask for names at the same time: while
    one reads them (the other thread runs during the query), the other must not be answered
    from an empty or partial directory ("?" in the facets, an empty organisation in a row)."""
    wanted = organization.pk if kind == "organization" else organization.ministry_id
    table = "administrators_organization" if kind == "organization" else "administrators_ministry"
    generation = selectors._generation()
    meanwhile: list[dict[int, str]] = []
    asking = False

    def other_thread_asks(execute, sql, params, many, context):
        nonlocal asking
        if table in sql and not asking:
            asking = True  # what the other thread asks while this query runs
            meanwhile.append(selectors._names(kind, [wanted], generation))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(other_thread_asks):
        found = selectors._names(kind, [wanted], generation)
    assert meanwhile == [found]
    assert wanted in found
