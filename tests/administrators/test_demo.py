"""`manage.py seed_demo` (network part): loads the 2016 tree and the demo mandates, idempotent."""

import io

import pytest

from administrators.demo import load_demo
from administrators.models import DataAdministrator, Membership, Ministry, Organization, Person

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
