"""Review of core (session 9): accounts created or changed in the Django admin store their
e-mail as the portal's own forms and services do, so one person has one account."""

import pytest
from django.test import Client

from core.models import User, normalize_email
from tests.core.test_admin import _user_form
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Un-mot-de-passe-solide-2026"


def _add(client, email):
    return client.post(
        "/admin/core/user/add/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"},
    )


def test_normalize_email_strips_and_lowercases_the_whole_address():
    assert (
        normalize_email("  Claude.Martin@Culture.GOUV.fr\u00a0") == "claude.martin@culture.gouv.fr"
    )
    assert normalize_email(None) == ""


def test_manager_and_admin_store_the_same_address():
    assert User.objects.create_user(" Jeanne.Roux@Exemple.GOUV.fr ").email == (
        normalize_email("Jeanne.Roux@Exemple.GOUV.fr")
    )


def test_account_created_in_the_admin_has_its_email_lowercased_and_stripped(staff_admin):
    response = _add(staff_admin, "  Claude.Martin@Culture.GOUV.fr ")

    assert response.status_code == 302, response.content.decode()[:3000]
    assert User.objects.filter(email="claude.martin@culture.gouv.fr").exists()


def test_account_created_in_the_admin_signs_in_with_its_email_in_any_case(staff_admin):
    _add(staff_admin, "Claude.Martin@Culture.gouv.fr")

    client = Client()
    assert client.login(email="claude.martin@culture.gouv.fr", password=PASSWORD)
    assert Client().login(email="CLAUDE.MARTIN@culture.gouv.fr", password=PASSWORD)


def test_admin_refuses_a_second_account_for_an_email_in_another_case(staff_admin):
    UserFactory(email="claude.martin@culture.gouv.fr")

    response = _add(staff_admin, "Claude.MARTIN@culture.gouv.fr")

    assert response.status_code == 200
    assert "Un autre compte utilise déjà cette adresse électronique" in response.content.decode()
    assert User.objects.filter(email__iexact="claude.martin@culture.gouv.fr").count() == 1


def test_admin_refuses_an_old_mixed_case_duplicate_too(staff_admin):
    """Rows written before the admin normalised may still hold capitals."""
    UserFactory(email="Claude.Martin@Culture.gouv.fr")

    response = _add(staff_admin, "claude.martin@culture.gouv.fr")

    assert response.status_code == 200
    assert "Un autre compte utilise déjà cette adresse électronique" in response.content.decode()
    assert User.objects.filter(email__iexact="claude.martin@culture.gouv.fr").count() == 1


def test_admin_refuses_to_give_an_account_the_email_of_another_in_another_case(staff_admin):
    UserFactory(email="claude.martin@culture.gouv.fr")
    agent = UserFactory(email="agent.seul@culture.gouv.fr")

    response = staff_admin.post(
        f"/admin/core/user/{agent.pk}/change/",
        _user_form(agent, email="CLAUDE.martin@culture.gouv.fr"),
    )

    assert response.status_code == 200
    assert "Un autre compte utilise déjà cette adresse électronique" in response.content.decode()
    agent.refresh_from_db()
    assert agent.email == "agent.seul@culture.gouv.fr"


def test_account_changed_in_the_admin_keeps_its_own_email_in_another_case(staff_admin):
    agent = UserFactory(email="Agent.Seul@Culture.gouv.fr")  # an old row

    response = staff_admin.post(
        f"/admin/core/user/{agent.pk}/change/",
        _user_form(agent, email=" AGENT.seul@culture.gouv.fr"),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    agent.refresh_from_db()
    assert agent.email == "agent.seul@culture.gouv.fr"


def test_either_account_of_an_older_pair_differing_in_case_stays_editable(staff_admin):
    """Two accounts from before the portal stored one form: each can still be deactivated or
    given another address from the admin (how the pair is merged), not a third one's."""
    older = UserFactory(email="alice.martin@culture.gouv.fr")
    User.objects.filter(pk=older.pk).update(email="Alice.Martin@culture.gouv.fr")
    older.refresh_from_db()
    newer = UserFactory(email="alice.martin@culture.gouv.fr")
    UserFactory(email="bob@culture.gouv.fr")

    form = _user_form(older)
    del form["is_active"]  # deactivated, the address untouched
    response = staff_admin.post(f"/admin/core/user/{older.pk}/change/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    older.refresh_from_db()
    assert (older.is_active, older.email) == (False, "Alice.Martin@culture.gouv.fr")

    moved = _user_form(older, email="Alice.Martin.Ancien@culture.gouv.fr")
    response = staff_admin.post(f"/admin/core/user/{older.pk}/change/", moved)
    assert response.status_code == 302, response.context["adminform"].form.errors
    older.refresh_from_db()
    assert older.email == "alice.martin.ancien@culture.gouv.fr"

    taken = _user_form(newer, email="BOB@culture.gouv.fr")
    response = staff_admin.post(f"/admin/core/user/{newer.pk}/change/", taken)
    assert response.status_code == 200
    assert "Un autre compte utilise déjà cette adresse" in response.content.decode()
