"""Accounts in a real browser: the login form, the account page, tokens, passwords, logout."""

import re

from core.models import ApiToken
from tests.factories import MembershipFactory, UserFactory

PASSWORD = "mot-de-passe-solide-2026"


def test_login_form_refuses_a_wrong_password_then_signs_in(page, assert_accessible):
    user = UserFactory(email="camille.amd@culture.gouv.fr")
    page.goto("/accounts/login/?next=/accounts/")
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Adresse électronique ou mot de passe incorrect.").wait_for()
    assert_accessible(page)

    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/accounts/")
    assert page.get_by_role("heading", name="Mon compte").is_visible()


def test_account_page_creates_a_token_shows_it_once_and_revokes_it(
    page, login_as, assert_accessible, ministry
):
    membership = MembershipFactory(ministry=ministry, role="MINISTRY_ADMIN", admin_kind="TITULAIRE")
    login_as(page, membership.user)
    page.goto("/accounts/")
    assert page.get_by_role("cell", name=ministry.name).is_visible()
    assert_accessible(page)

    page.get_by_label("Nom du jeton").fill("Tableau de bord ministériel")
    page.get_by_label("Autoriser l'écriture").check(force=True)
    page.get_by_role("button", name="Créer le jeton").click()
    key = page.get_by_label("Clé du jeton").input_value()
    assert re.fullmatch(r"amd_[0-9a-f]{12}_\S+", key)
    assert_accessible(page)
    token = ApiToken.objects.get(user=membership.user)
    assert token.can_write

    page.goto("/accounts/")
    assert key not in page.content()
    page.get_by_role("button", name="Révoquer le jeton Tableau de bord ministériel").click()
    page.get_by_text("Le jeton « Tableau de bord ministériel » est révoqué.").wait_for()
    assert_accessible(page)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_read_only_account_cannot_tick_write(page, login_as):
    login_as(page, UserFactory())
    page.goto("/accounts/")
    assert page.get_by_label("Autoriser l'écriture").is_disabled()


def test_password_pages_pass_axe(page, login_as, assert_accessible):
    page.goto("/accounts/mot-de-passe/oublie/")
    assert_accessible(page)
    page.get_by_label("Adresse électronique").fill("inconnu@exemple.gouv.fr")
    page.get_by_role("button", name="Recevoir le lien").click()
    page.get_by_role("heading", name="Vérifiez votre messagerie").wait_for()
    assert_accessible(page)

    user = UserFactory()
    login_as(page, user)
    page.goto("/accounts/mot-de-passe/")
    page.locator("#id_old_password").fill("faux")
    page.locator("#id_new_password1").fill("court")
    page.locator("#id_new_password2").fill("court")
    page.get_by_role("button", name="Changer le mot de passe").click()
    page.get_by_text("Votre ancien mot de passe est incorrect.", exact=False).wait_for()
    assert_accessible(page)


def test_logout_from_the_header(page, login_as, assert_accessible):
    user = UserFactory()
    login_as(page, user)
    page.goto("/accounts/")
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.get_by_text("Vous êtes déconnecté.").wait_for()
    assert page.get_by_role("link", name="Se connecter").first.is_visible()
    assert_accessible(page)


def test_password_reset_by_email_end_to_end(page, assert_accessible):
    from django.core import mail

    user = UserFactory(email="dominique.agent@armees.gouv.fr")
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_role("button", name="Recevoir le lien").click()
    page.get_by_role("heading", name="Vérifiez votre messagerie").wait_for()
    link = re.search(r"https?://\S+/reinitialiser/\S+/", mail.outbox[-1].body).group(0)

    page.goto(link)
    page.get_by_role("heading", name="Nouveau mot de passe").wait_for()
    assert_accessible(page)
    page.locator("#id_new_password1").fill("un-secret-tout-neuf-2026")
    page.locator("#id_new_password2").fill("un-secret-tout-neuf-2026")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.get_by_role("heading", name="Mot de passe enregistré").wait_for()
    assert_accessible(page)
    user.refresh_from_db()
    assert user.check_password("un-secret-tout-neuf-2026")

    page.goto(link)
    page.get_by_text("Ce lien de réinitialisation n'est pas valable").wait_for()
    assert_accessible(page)


def test_expired_form_shows_the_french_csrf_page(page, assert_accessible):
    user = UserFactory()
    page.goto("/accounts/login/")
    page.context.clear_cookies()  # the CSRF cookie is gone, as after a long pause
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Formulaire expiré ou invalide").wait_for()
    assert_accessible(page)
