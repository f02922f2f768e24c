"""Login by e-mail (throttled), logout, password change and reset, expired session, CSRF."""

import datetime
import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "mot-de-passe-solide-2026"


@pytest.fixture
def agent():
    return UserFactory(email="claude.agent@interieur.gouv.fr")


def login(client, email, password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": email, "password": password}, **extra)


def test_login_by_email_redirects_to_next(client, agent):
    response = client.post(
        "/accounts/login/",
        {"username": "Claude.Agent@Interieur.gouv.fr", "password": PASSWORD, "next": "/accounts/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    assert client.get("/accounts/").context["user"] == agent


def test_login_ignores_an_outside_next_url(client, agent):
    response = client.post(
        "/accounts/login/",
        {"username": agent.email, "password": PASSWORD, "next": "https://evil.example.com/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_wrong_password_shows_a_french_message_and_does_not_log_in(client, agent):
    response = login(client, agent.email, "mauvais-mot-de-passe")
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_email_gets_the_same_message_as_a_wrong_password(client):
    response = login(client, "personne@exemple.gouv.fr")
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()


def test_inactive_account_cannot_log_in(client):
    user = UserFactory(is_active=False)
    response = login(client, user.email)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_is_throttled_after_repeated_failures_even_with_the_right_password(
    client, agent, settings
):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        login(client, agent.email, "mauvais-mot-de-passe")
    response = login(client, agent.email)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Trop de tentatives de connexion échouées. Réessayez dans 15 minutes." in body
    assert "_auth_user_id" not in client.session


def test_throttling_one_account_does_not_lock_another(client, agent, settings):
    settings.LOGIN_MAX_FAILURES = 2
    other = UserFactory()
    for _ in range(2):
        login(client, agent.email, "mauvais-mot-de-passe")
    assert login(client, other.email).status_code == 302


def test_throttling_per_client_address(client, agent, settings):
    settings.LOGIN_MAX_FAILURES_PER_IP = 3
    for n in range(3):
        login(client, f"inconnu{n}@exemple.gouv.fr", REMOTE_ADDR="10.1.2.3")
    refused = login(client, agent.email, REMOTE_ADDR="10.1.2.3")
    assert "Trop de tentatives" in refused.content.decode()
    assert login(client, agent.email, REMOTE_ADDR="10.9.9.9").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_address_limit(client, agent, settings):
    """Without NUM_PROXIES, X-Forwarded-For is the client's own word: never trusted."""
    settings.LOGIN_MAX_FAILURES_PER_IP = 3
    for n in range(3):
        login(
            client,
            f"inconnu{n}@exemple.gouv.fr",
            REMOTE_ADDR="10.1.2.3",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    refused = login(client, agent.email, REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert "Trop de tentatives" in refused.content.decode()


def test_successful_login_resets_the_failure_count(client, agent, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(2):
        login(client, agent.email, "mauvais-mot-de-passe")
    assert login(client, agent.email).status_code == 302
    client.logout()
    for _ in range(2):
        login(client, agent.email, "mauvais-mot-de-passe")
    assert login(client, agent.email).status_code == 302


def test_signed_in_user_visiting_login_is_sent_home(client, agent):
    client.force_login(agent)
    assert client.get("/accounts/login/").status_code == 302


def test_logout_by_post(client, agent):
    client.force_login(agent)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/").status_code == 302


def test_logout_by_get_only_asks_for_confirmation(client, agent):
    client.force_login(agent)
    response = client.get("/accounts/logout/")
    assert response.status_code == 200
    assert "Se déconnecter" in response.content.decode()
    assert client.session["_auth_user_id"] == str(agent.pk)


def test_expired_session_redirects_to_login(client, agent):
    client.force_login(agent)
    assert client.get("/accounts/").status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(minutes=1)
    )
    response = client.get("/accounts/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/"
    login_page = client.get(response["Location"]).content.decode()
    assert "votre session a peut-être expiré" in login_page


def test_password_change(client, agent):
    client.force_login(agent)
    response = client.post(
        "/accounts/mot-de-passe/",
        {
            "old_password": PASSWORD,
            "new_password1": "un-nouveau-secret-bien-long",
            "new_password2": "un-nouveau-secret-bien-long",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    agent.refresh_from_db()
    assert agent.check_password("un-nouveau-secret-bien-long")
    # The session survives the change (update_session_auth_hash).
    assert client.get("/accounts/").status_code == 200


@pytest.mark.parametrize(
    ("old", "new1", "new2", "message"),
    [
        (
            "faux",
            "un-nouveau-secret-bien-long",
            "un-nouveau-secret-bien-long",
            "ancien mot de passe",
        ),
        (
            PASSWORD,
            "un-nouveau-secret-bien-long",
            "un-autre-secret-bien-long",
            "ne correspondent pas",
        ),
        (PASSWORD, "court", "court", "trop court"),
        (PASSWORD, "123456789012345", "123456789012345", "entièrement numérique"),
    ],
)
def test_password_change_refuses_bad_input_in_french(client, agent, old, new1, new2, message):
    client.force_login(agent)
    response = client.post(
        "/accounts/mot-de-passe/",
        {"old_password": old, "new_password1": new1, "new_password2": new2},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    agent.refresh_from_db()
    assert agent.check_password(PASSWORD)


def test_password_change_needs_login(client):
    response = client.get("/accounts/mot-de-passe/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_password_reset_by_email_in_french(client, agent):
    response = client.post("/accounts/mot-de-passe/oublie/", {"email": agent.email.upper()})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/mot-de-passe/oublie/envoye/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [agent.email]
    assert message.subject == "Portail du réseau des AMD : réinitialisation de votre mot de passe"
    assert "Pour choisir un nouveau mot de passe" in message.body
    link = re.search(r"http://testserver(/accounts/mot-de-passe/reinitialiser/\S+/)", message.body)
    assert link

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url,
        {"new_password1": "reinitialise-et-solide", "new_password2": "reinitialise-et-solide"},
    )
    assert done.status_code == 302
    assert done["Location"] == "/accounts/mot-de-passe/reinitialise/"
    agent.refresh_from_db()
    assert agent.check_password("reinitialise-et-solide")

    # The link works once.
    again = client.get(link.group(1), follow=True)
    assert not again.context["validlink"]
    assert "Ce lien de réinitialisation n'est pas valable" in again.content.decode()


def test_password_reset_for_unknown_email_sends_nothing_but_says_the_same(client):
    response = client.post("/accounts/mot-de-passe/oublie/", {"email": "inconnu@exemple.gouv.fr"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/mot-de-passe/oublie/envoye/"
    assert mail.outbox == []


def test_password_reset_refuses_a_malformed_email(client):
    response = client.post("/accounts/mot-de-passe/oublie/", {"email": "pas-une-adresse"})
    assert response.status_code == 200
    assert "Saisissez une adresse e-mail valide." in response.content.decode()
    assert mail.outbox == []


def test_missing_csrf_token_shows_the_french_page_and_writes_nothing(agent):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": agent.email, "password": PASSWORD})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Formulaire expiré ou invalide" in body
    assert "Rien n'a été enregistré" in body
    assert "_auth_user_id" not in client.session


def test_forged_csrf_token_is_refused_on_a_write(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    client.get("/accounts/")  # sets the CSRF cookie
    response = client.post(
        "/accounts/jetons/",
        {"name": "script", "validity": "30", "csrfmiddlewaretoken": "x" * 64},
    )
    assert response.status_code == 403
    assert "Formulaire expiré ou invalide" in response.content.decode()
    assert not agent.api_tokens.exists()


def test_valid_csrf_token_is_accepted(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    page = client.get("/accounts/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    response = client.post(
        "/accounts/jetons/",
        {"name": "script", "validity": "30", "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 200
    assert agent.api_tokens.count() == 1


def test_users_are_unique_by_email_whatever_the_case(agent):
    assert User.objects.get_by_natural_key("CLAUDE.AGENT@interieur.gouv.fr") == agent


def test_password_reset_requests_are_limited_per_address(client, agent):
    for _ in range(3):
        assert (
            client.post("/accounts/mot-de-passe/oublie/", {"email": agent.email}).status_code == 302
        )
    response = client.post("/accounts/mot-de-passe/oublie/", {"email": agent.email})
    assert response.status_code == 200
    assert "Trop de demandes de réinitialisation" in response.content.decode()
    assert len(mail.outbox) == 3
    # Another address is not affected.
    other = UserFactory()
    assert client.post("/accounts/mot-de-passe/oublie/", {"email": other.email}).status_code == 302
    assert len(mail.outbox) == 4


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_login_and_logout_never_redirect_off_site(client, agent, target):
    response = client.post(
        f"/accounts/login/?next={target}",
        {"username": agent.email, "password": "mot-de-passe-solide-2026"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.post("/accounts/logout/", {"next": target})
    assert response.status_code == 302 and response["Location"] == "/"
