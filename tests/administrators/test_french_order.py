"""Ministries and organisations in French order in the selects: « Écologie » among the E's
(QA pass: accents sorted after Z, the database's collation being C)."""

import pytest

from datasets import public_catalogue, selectors
from tests.factories import MinistryFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_ministries_and_organisations_sort_the_french_way(agd_user):
    for name in ("Ministère de l'Intérieur", "Ministère de l'Écologie", "Ministère de la Culture"):
        MinistryFactory(name=name, short_name="", code=name[-6:].lower())
    names = [m.name for m in selectors.visible_ministries(agd_user)]
    ours = [n for n in names if n.startswith("Ministère d")]
    assert ours.index("Ministère de l'Écologie") < ours.index("Ministère de l'Intérieur")
    assert [n for _, n, _ in public_catalogue.ministry_choices() if n in ours] == ours
    ministry = MinistryFactory(code="org-order")
    for name in ("Zone", "École nationale", "archives"):
        OrganizationFactory(ministry=ministry, name=name)
    assert [n for _, n in public_catalogue.organization_choices(ministry.pk)] == [
        "archives",
        "École nationale",
        "Zone",
    ]
