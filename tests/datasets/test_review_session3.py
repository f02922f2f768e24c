"""Review of the inventory's performance work (names kept per process, side connection)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from core import side_connection
from datasets import selectors
from tests.datasets.factories import AssetFactory

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


@pytest.mark.skipif(connection.vendor != "postgresql", reason="side connection: PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["amd_user", "viewer_user", "correspondent_user"])
def test_rows_read_on_the_side_connection_are_those_the_caller_may_see(
    who, request, organization, other_organization, monkeypatch
):
    """A filtered list's rows come from the side thread (the request's user passed to it):
    own drafts, other ministries' published entries to a network viewer only, no other draft;
    organisation names as in the directory."""
    mine = AssetFactory(organization=organization, visibility="DRAFT", title="Brouillon à nous")
    AssetFactory(organization=other_organization, visibility="DRAFT", title="Brouillon voisin")
    AssetFactory(organization=other_organization, visibility="PUBLISHED", title="Publiée voisine")
    threads: list[str] = []
    real = selectors.asset_page_rows

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(selectors, "asset_page_rows", spy)
    client = Client()
    client.force_login(request.getfixturevalue(who))
    try:
        response = client.get("/inventaire/", {"status": "TO_ASSESS"})
    finally:
        side_connection.close_side_connection()
    assert response.status_code == 200
    assert threads and all(t.startswith("side-connection") for t in threads)
    rows = {row["title"]: row["organization__name"] for row, _ in response.context["rows"]}
    expected = {
        "amd_user": {mine.title: organization.name},
        "correspondent_user": {mine.title: organization.name},
        "viewer_user": {"Publiée voisine": other_organization.name},
    }[who]
    assert rows == expected
