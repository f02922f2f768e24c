"""`manage.py seed_demo` (network part): loads the 2016 tree and the demo mandates, idempotent."""

import io
import json

import pytest

from administrators.demo import load_demo
from administrators.models import DataAdministrator, Membership, Ministry, Organization, Person
from administrators.seeding import load_administrations

pytestmark = pytest.mark.django_db


def _counts():
    return tuple(
        m.objects.count() for m in (Ministry, Organization, Person, DataAdministrator, Membership)
    )


def test_demo_network_loads_once_and_a_second_run_changes_nothing():
    first = io.StringIO()
    load_demo(first)
    after_first = _counts()
    load_demo(io.StringIO())
    assert _counts() == after_first
    if Ministry.objects.exists():  # the shared 2016 tree is present
        assert "Ministères avec un AMD titulaire : 12 / 16" in first.getvalue()
        assert DataAdministrator.objects.filter(role="AMD_ADJOINT").count() == 1
        assert DataAdministrator.objects.filter(role="CORRESPONDANT_DIRECTION").count() == 1


def test_the_demo_network_staff_opens_the_admin_and_an_administrator_does_not(client):
    from core.models import User

    load_demo(io.StringIO())
    for email, expected in (
        ("agd@demo.portail-amd.fr", 200),
        ("dinum@demo.portail-amd.fr", 200),
        ("lecteur@demo.portail-amd.fr", 302),  # to the admin's login page
    ):
        client.force_login(User.objects.get(email=email))
        assert client.get("/admin/").status_code == expected, email


def test_each_ministry_is_an_organisation_of_its_own_tree(tmp_path):
    """Its central administration: the manager of the bases a ministry keeps itself (17
    « Ministère de l'Intérieur » bases of the 2016 inventory were left out without it)."""
    tree = {
        "nom": "État",
        "children": [
            {
                "nom": "Gouvernement",
                "children": [
                    {
                        "nom": "Ministère de l'Intérieur",
                        "children": [{"nom": "Direction générale de la police", "children": []}],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "tree.json"
    path.write_text(json.dumps(tree), encoding="utf-8")
    first = load_administrations(path)
    assert first.organizations_created == 2
    own = Organization.objects.get(name="Ministère de l'Intérieur")
    assert own.kind == "ADMIN_CENTRALE" and own.parent is None
    assert own.ministry.name == "Ministère de l'Intérieur"
    again = load_administrations(path)
    assert (again.organizations_created, again.organizations_existing) == (0, 2)
