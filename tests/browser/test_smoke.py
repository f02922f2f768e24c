"""The harness itself: the live server serves pages and the DSFR assets, axe runs on them."""

import pytest

from tests.factories import UserFactory


def test_home_page_is_served_with_dsfr_and_passes_axe(page, assert_accessible):
    response = page.goto("/")
    assert response is not None and response.status == 200
    assert page.title().endswith("Réseau des administrateurs ministériels des données")
    # The DSFR script ran (it marks the root element), so the CSP nonce was accepted.
    page.wait_for_function("() => document.documentElement.hasAttribute('data-fr-js')")
    assert_accessible(page)


def test_login_page_passes_axe(page, assert_accessible):
    page.goto("/accounts/login/")
    assert page.get_by_label("Adresse électronique").is_visible()
    assert_accessible(page)


def test_signed_in_home_page_passes_axe(page, login_as, assert_accessible):
    user = UserFactory(email="agent.connecte@exemple.gouv.fr")
    login_as(page, user)
    page.goto("/")
    assert page.get_by_role("link", name="agent.connecte@exemple.gouv.fr").is_visible()
    assert_accessible(page)


def test_axe_check_fails_on_a_serious_violation(page, assert_accessible):
    page.goto("/accounts/login/")
    # An image without text alternative and an unlabeled field: critical for axe.
    page.evaluate(
        """() => {
            const img = document.createElement('img');
            img.src = '/static/nowhere.png';
            document.querySelector('main').appendChild(img);
            const input = document.createElement('input');
            input.type = 'text';
            document.querySelector('main').appendChild(input);
        }"""
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page)
    assert "image-alt" in str(failure.value)
    assert "label" in str(failure.value)


def test_content_security_policy_uses_a_nonce_for_scripts(page):
    response = page.goto("/")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    nonce = page.eval_on_selector("script[type=module]", "element => element.nonce")
    assert nonce and f"'nonce-{nonce}'" in policy


def test_unknown_page_shows_the_french_404_page_which_passes_axe(page, assert_accessible):
    response = page.goto("/cette-page-n-existe-pas/")
    assert response is not None and response.status == 404
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Page non trouvée"
    page.wait_for_function("() => document.documentElement.hasAttribute('data-fr-js')")
    assert_accessible(page)
    page.get_by_role("link", name="Page d'accueil").click()
    page.wait_for_url(lambda url: url.split("/", 3)[3] == "")  # the home page, "/"
