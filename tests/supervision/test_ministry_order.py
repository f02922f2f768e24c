"""Ministries are listed in the order of the name shown (the short name, else the full name),
French collation: « Écologie » among the E's, not after « Intérieur » nor by « Ministère de… »."""

from __future__ import annotations

import pytest

from supervision.quarters import Quarter
from supervision.selectors import dashboard_rows
from tests.factories import MinistryFactory

pytestmark = pytest.mark.django_db

# (full name, short name) in the order a reader expects them by the name shown.
SHOWN_ORDER = [
    ("Ministère de l'Agriculture et de la Souveraineté alimentaire", "Agriculture"),
    ("Ministère des Armées", "armées"),
    ("Ministère de la Culture", "Culture"),
    ("Ministère de la Transition écologique", "Écologie"),
    ("Éducation nationale", ""),  # no short name: shown by its name
    ("Ministère de l'Europe et des Affaires étrangères", "Europe"),
    ("Ministère de l'Intérieur", "Intérieur"),
]


@pytest.fixture
def ministries(db):
    created = [
        MinistryFactory(name=name, short_name=short, code=f"m-{i}")
        for i, (name, short) in reversed(list(enumerate(SHOWN_ORDER)))
    ]
    return created[::-1]


def _shown() -> list[str]:
    return [short or name for name, short in SHOWN_ORDER]


def _in_page_order(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=html.index)


def test_dashboard_rows_follow_the_name_shown(ministries, agd_user):
    _, rows = dashboard_rows(agd_user, Quarter.current())
    ours = [str(r.ministry) for r in rows if r.ministry in ministries]
    assert ours == _shown()


def test_dashboard_page_lists_them_in_that_order(ministries, agd_client):
    html = agd_client.get("/supervision/").content.decode()
    table = html[html.index("<tbody>") :]
    assert _in_page_order(table, _shown()) == _shown()


def test_meeting_form_offers_them_in_that_order(ministries, agd_client):
    html = agd_client.get("/supervision/reunions/nouvelle/").content.decode()
    select = html[html.index('name="ministry"') :]
    select = select[: select.index("</select>")]
    assert _in_page_order(select, _shown()) == _shown()
