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


def test_session_form_offers_only_ministries_in_force_on_the_day_it_is_built(ministries):
    """The host-ministry choice is computed per form, not once when the process starts: a
    ministry whose term ends today is offered today and no longer tomorrow."""
    from unittest import mock

    from trainings.forms import SessionForm

    ending = ministries[0]
    ending.valid_to = timezone.localdate()
    ending.save(update_fields=["valid_to"])
    assert ending in list(SessionForm().fields["host_ministry"].queryset)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with mock.patch("django.utils.timezone.localdate", return_value=tomorrow):
        offered = list(SessionForm().fields["host_ministry"].queryset)
    assert ending not in offered
    assert ministries[1] in offered
