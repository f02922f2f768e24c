"""The footer's mandatory pages in the browser: axe-core on each, the footer link to the
accessibility statement, and what a visit leaves in the browser (cookies, local storage) is what
the personal data page lists."""

from playwright.sync_api import expect

from core.views_legal import BROWSER_STORAGE
from tests.factories import UserFactory

LEGAL_PAGES = {
    "/accessibilite/": "Déclaration d'accessibilité",
    "/mentions-legales/": "Mentions légales",
    "/donnees-personnelles/": "Données personnelles",
    "/plan-du-site/": "Plan du site",
}


def _listed_cookies(page):
    table = page.get_by_role("table", name="Cookies déposés par le portail")
    return set(table.locator("tbody tr td:first-child").all_inner_texts())


def test_legal_pages_pass_axe_for_anonymous_visitors(page, assert_accessible):
    page.goto("/")
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibilité : non conforme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d'accessibilité")
    for url, heading in LEGAL_PAGES.items():
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        page.wait_for_function("() => document.documentElement.hasAttribute('data-fr-js')")
        assert_accessible(page)
    # The privacy page's summary leads to its sections.
    page.goto("/donnees-personnelles/")
    page.get_by_role("navigation", name="Sommaire").get_by_role("link", name="Vos droits").click()
    assert page.url.endswith("#droits")


def test_signed_in_site_map_passes_axe_and_a_visit_leaves_only_what_is_listed(
    page, login_as, assert_accessible
):
    page.goto("/accounts/login/")  # a form: the CSRF cookie
    login_as(page, UserFactory(email="agent.plan@exemple.gouv.fr"))
    page.goto("/plan-du-site/")
    sections = page.locator("#sitemap-sections")
    expect(sections.get_by_role("link", name="Inventaire")).to_be_visible()
    expect(sections.get_by_role("link", name="Supervision")).to_have_count(0)
    assert_accessible(page)
    page.goto("/donnees-personnelles/")
    assert_accessible(page)
    set_by_the_portal = {cookie["name"] for cookie in page.context.cookies()}
    assert set_by_the_portal and set_by_the_portal <= _listed_cookies(page)
    stored = set(page.evaluate("() => Object.keys(window.localStorage)"))
    assert stored <= {key for key, _purpose in BROWSER_STORAGE}
    for key in stored:
        expect(page.locator("main code", has_text=key)).to_be_visible()
