"""Trainings list ministries in the order of the name shown (the short name, else the full
name), French collation: the registration form's choice and indicator N16 per ministry."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tests.factories import MinistryFactory
from tests.trainings.factories import RegistrationFactory, SessionFactory
from trainings import selectors

pytestmark = pytest.mark.django_db

SHOWN_ORDER = [
    ("Ministère de l'Agriculture et de la Souveraineté alimentaire", "Agriculture"),
    ("Ministère des Armées", "armées"),
    ("Ministère de la Transition écologique", "Écologie"),
    ("Éducation nationale", ""),
    ("Ministère de l'Intérieur", "Intérieur"),
]
SHOWN = [short or name for name, short in SHOWN_ORDER]


@pytest.fixture
def ministries(db):
    created = [
        MinistryFactory(name=name, short_name=short, code=f"t-{i}")
        for i, (name, short) in reversed(list(enumerate(SHOWN_ORDER)))
    ]
    return created[::-1]


def test_registration_form_offers_ministries_by_the_name_shown(ministries, plain_client):
    session = SessionFactory()
    html = plain_client.get(session.get_absolute_url()).content.decode()
    select = html[html.index('name="ministry"') :]
    select = select[: select.index("</select>")]
    assert sorted(SHOWN, key=select.index) == SHOWN


def test_ministries_for_registration_by_the_name_shown(ministries, plain_user):
    ours = [str(m) for m in selectors.ministries_for_registration(plain_user) if m in ministries]
    assert ours == SHOWN


def test_officials_trained_per_ministry_by_the_name_shown(ministries, django_assert_num_queries):
    session = SessionFactory(start=timezone.now() - datetime.timedelta(days=3))
    for ministry in reversed(ministries):
        RegistrationFactory(session=session, ministry=ministry, attended=True)
    with django_assert_num_queries(1):
        rows = selectors.officials_trained_per_ministry()
    assert [r["ministry"] for r in rows] == SHOWN
