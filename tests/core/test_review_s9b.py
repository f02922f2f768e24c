"""Review of core (session 9b): older data may hold two accounts whose e-mails differ only by
case. Sign-in and password reset choose between them by one rule (the account stored as the
normalised address, else the only one the password opens), never crash, and never send a
reset link for an account the address does not designate."""

import logging
import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from core.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MINE = "mot-de-passe-du-compte-exact-2026"
OTHER = "mot-de-passe-de-l-ancien-compte-2026"


def _legacy_pair(first: str, second: str) -> tuple[User, User]:
    """Two accounts, the older first, stored as written (as rows from before the portal
    normalised addresses)."""
    older = UserFactory(email=first, password=OTHER)
    newer = UserFactory(email=second, password=MINE)
    assert {u.email for u in User.objects.all()} >= {first, second}
    return older, newer


def _login(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


@pytest.mark.parametrize(
    "typed", ["alice.martin@interieur.gouv.fr", "ALICE.Martin@Interieur.gouv.fr"]
)
def test_sign_in_picks_the_account_stored_as_the_normalised_address(client, typed):
    """Before, the case-insensitive lookup found both accounts: MultipleObjectsReturned, 500."""
    _, exact = _legacy_pair("Alice.Martin@interieur.gouv.fr", "alice.martin@interieur.gouv.fr")

    response = _login(client, typed, MINE)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(exact.pk)


def test_sign_in_with_the_other_accounts_password_is_refused_when_one_is_stored_exactly(client):
    _legacy_pair("Alice.Martin@interieur.gouv.fr", "alice.martin@interieur.gouv.fr")

    response = _login(client, "alice.martin@interieur.gouv.fr", OTHER)

    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_without_an_exact_account_opens_the_only_one_the_password_matches(client):
    older, newer = _legacy_pair("Alice.Martin@interieur.gouv.fr", "ALICE.MARTIN@interieur.gouv.fr")

    assert authenticate(None, username="alice.martin@interieur.gouv.fr", password=OTHER) == older
    assert authenticate(None, username="alice.martin@interieur.gouv.fr", password=MINE) == newer
    assert authenticate(None, username="alice.martin@interieur.gouv.fr", password="faux") is None
    response = _login(client, "Alice.Martin@interieur.gouv.fr", MINE)
    assert client.session["_auth_user_id"] == str(newer.pk), response.status_code


def test_sign_in_never_guesses_between_two_accounts_with_the_same_password(client):
    older, newer = _legacy_pair("Alice.Martin@interieur.gouv.fr", "ALICE.MARTIN@interieur.gouv.fr")
    newer.set_password(OTHER)
    newer.save()

    response = _login(client, "alice.martin@interieur.gouv.fr", OTHER)

    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_skips_a_deactivated_exact_account(client):
    """The account that may sign in is the one chosen, as for password reset."""
    older, exact = _legacy_pair("Alice.Martin@interieur.gouv.fr", "alice.martin@interieur.gouv.fr")
    exact.is_active = False
    exact.save()

    assert authenticate(None, username="alice.martin@interieur.gouv.fr", password=OTHER) == older
    assert authenticate(None, username="alice.martin@interieur.gouv.fr", password=MINE) is None


def _reset(client, email):
    response = client.post("/accounts/mot-de-passe/oublie/", {"email": email})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/mot-de-passe/oublie/envoye/"


@pytest.mark.parametrize(
    "typed", ["alice.martin@interieur.gouv.fr", "Alice.Martin@interieur.gouv.fr"]
)
def test_password_reset_sends_one_link_for_the_account_stored_as_the_normalised_address(
    client, typed
):
    """Before, each account holding the address in any case got a link: two messages, one
    for an account the person did not ask about."""
    _, exact = _legacy_pair("Alice.Martin@interieur.gouv.fr", "alice.martin@interieur.gouv.fr")

    _reset(client, typed)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice.martin@interieur.gouv.fr"]
    uid = re.search(r"/reinitialiser/([^/]+)/", mail.outbox[0].body).group(1)
    assert force_str(urlsafe_base64_decode(uid)) == str(exact.pk)


def test_password_reset_sends_nothing_when_the_address_is_ambiguous(client, caplog):
    older, newer = _legacy_pair("Alice.Martin@interieur.gouv.fr", "ALICE.MARTIN@interieur.gouv.fr")

    with caplog.at_level(logging.WARNING, logger="core.forms"):
        _reset(client, "alice.martin@interieur.gouv.fr")

    assert mail.outbox == []
    assert f"les comptes {older.pk}, {newer.pk} ont la même adresse" in caplog.text
    assert "alice" not in caplog.text.lower()  # no address in the logs


def test_password_reset_of_the_only_active_account_still_works(client):
    older, exact = _legacy_pair("Alice.Martin@interieur.gouv.fr", "alice.martin@interieur.gouv.fr")
    exact.is_active = False
    exact.save()

    _reset(client, "alice.martin@interieur.gouv.fr")

    assert [m.to for m in mail.outbox] == [["Alice.Martin@interieur.gouv.fr"]]
    uid = re.search(r"/reinitialiser/([^/]+)/", mail.outbox[0].body).group(1)
    assert force_str(urlsafe_base64_decode(uid)) == str(older.pk)


def test_natural_key_lookup_is_exact_first_then_normalised_and_never_guesses():
    older, exact = _legacy_pair("Alice.Martin@interieur.gouv.fr", "alice.martin@interieur.gouv.fr")
    assert User.objects.get_by_natural_key(older.email) == older  # as `natural_key()` gives it
    assert User.objects.get_by_natural_key("ALICE.MARTIN@interieur.gouv.fr") == exact
    exact.email = "ALICE.MARTIN@interieur.gouv.fr"
    exact.save()
    with pytest.raises(User.MultipleObjectsReturned):
        User.objects.get_by_natural_key("alice.martin@interieur.gouv.fr")
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("personne@interieur.gouv.fr")
