"""The pages every public website links from its footer (core/views_legal.py): accessibility
statement, legal notice, personal data notice, site map.

Public, GET/HEAD only, no query of their own; what they state follows the settings and the code
(cookie names, the browser suite's axe checks, the import purge), so it cannot drift silently.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import cast

import pytest
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.template.loader import get_template
from django.urls import resolve
from django.utils.html import escape
from rest_framework.test import APIClient

from administrators.models import Membership
from core import views_legal
from core.context_processors import NAV, SITE_CONFIG
from core.models import User
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGES = {
    "/accessibilite/": "Déclaration d'accessibilité",
    "/mentions-legales/": "Mentions légales",
    "/donnees-personnelles/": "Données personnelles",
    "/plan-du-site/": "Plan du site",
}
FOOTER_LINKS = [
    ("/plan-du-site/", "Plan du site"),
    ("/accessibilite/", "Accessibilité : non conforme"),
    ("/mentions-legales/", "Mentions légales"),
    ("/donnees-personnelles/", "Données personnelles"),
]
BROWSER_TESTS = Path(__file__).resolve().parents[1] / "browser"


def _footer(html: str) -> str:
    return html[html.index('<footer class="fr-footer"') : html.index("</footer>")]


def _bottom_links(html: str) -> list[tuple[str, str]]:
    footer = _footer(html)
    bottom = footer[footer.index("fr-footer__bottom-list") :]
    bottom = bottom[: bottom.index("</ul>")]
    return re.findall(r'<a class="fr-footer__bottom-link" href="([^"]+)">([^<]+)</a>', bottom)


def _main(html: str) -> str:
    return html[html.index('<main id="content"') : html.index("</main>")]


def _links(fragment: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', fragment)


# --- Served to everyone, read-only ------------------------------------------------------------


@pytest.mark.parametrize("url,heading", PAGES.items())
def test_page_answers_anonymous_and_signed_in_visitors(url, heading, anon_client, plain_client):
    for client in (anon_client, plain_client):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert f"<h1>{heading}</h1>" in html
        assert f"<title>{escape(heading)} — Réseau des administrateurs" in html
        assert f'aria-current="page">{escape(heading)}</a>' in html  # breadcrumb
        assert '<html lang="fr"' in html


ROLE_CLIENTS = [
    "plain_client",
    "amd_client",
    "agd_client",
    "dinum_client",
    "correspondent_client",
    "trainer_client",
    "viewer_client",
    "api_client",  # a token signs no page in
]


@pytest.mark.parametrize("client_fixture", ROLE_CLIENTS)
@pytest.mark.parametrize("url", [u for u in PAGES if u != "/plan-du-site/"])
def test_every_role_reads_the_same_page_as_a_visitor(url, client_fixture, anon_client, request):
    """Nothing in these pages depends on who reads them (the site map does: tested below)."""

    def content(client):
        response = client.get(url)
        assert response.status_code == 200
        # Without the ids a component draws at random on each page (the DSFR summary's).
        return re.sub(r'\s(?:id|aria-labelledby)="[^"]*"', "", _main(response.content.decode()))

    assert content(request.getfixturevalue(client_fixture)) == content(anon_client)


@pytest.mark.parametrize("url", PAGES)
def test_page_accepts_head_and_refuses_writes(url, anon_client, plain_client):
    assert anon_client.head(url).status_code == 200
    for client in (anon_client, plain_client):
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url)
            assert response.status_code == 405, (method, url)
            assert set(response["Allow"].split(", ")) == {"GET", "HEAD"}


@pytest.mark.parametrize("url", ["/", "/guides/", *PAGES])
def test_footer_links_the_four_mandatory_pages(url, anon_client):
    html = anon_client.get(url).content.decode()
    assert _bottom_links(html) == FOOTER_LINKS
    for href, _label in FOOTER_LINKS:
        assert resolve(href).func.__module__ == "core.views_legal"
    # No consent manager, hence no « Gestion des cookies » (the privacy page says why).
    assert "Gestion des cookies" not in _footer(html)


def test_footer_status_matches_the_site_configuration(anon_client):
    # The footer and the statement say « non conforme »: so does the DSFR site configuration.
    assert SITE_CONFIG.accessibility_status == "NOT"
    html = anon_client.get("/accessibilite/").content.decode()
    assert "Le portail est non conforme au RGAA 4.1." in html


def test_error_page_footer_has_the_same_links_without_resolving_urls():
    # 500.html renders with an empty context, maybe with the database down: plain paths.
    html = get_template("500.html").render({})
    assert _bottom_links(html) == FOOTER_LINKS
    for href, _label in FOOTER_LINKS:
        assert resolve(href).url_name in {"sitemap", "accessibility", "legal-notice", "privacy"}


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_page_runs_no_query(url, anon_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert anon_client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("roles", [0, 3])
def test_signed_in_page_runs_only_the_layout_queries(
    url, roles, ministry, other_ministry, organization, django_assert_num_queries
):
    """Session, user and the roles the header's navigation needs (`core.access`: one read of
    the roles, a second of the correspondent organisations when there are roles): the same
    whatever the account holds, nothing of the page's own."""
    user = cast(User, UserFactory())
    if roles:
        MembershipFactory(user=user, role=Membership.Role.MINISTRY_ADMIN, ministry=ministry)
        MembershipFactory(user=user, role=Membership.Role.VIEWER, ministry=other_ministry)
        correspondent = cast(
            Membership,
            MembershipFactory(user=user, role=Membership.Role.CORRESPONDENT, ministry=ministry),
        )
        correspondent.organizations.add(organization)
    client = APIClient()
    client.force_login(user)
    with django_assert_num_queries(4 if roles else 3):
        assert client.get(url).status_code == 200


# --- Accessibility statement ------------------------------------------------------------------


def test_statement_is_honest_about_the_missing_audit(anon_client, settings):
    settings.CONTACT_EMAIL = "accessibilite@exemple.gouv.fr"
    html = _main(anon_client.get("/accessibilite/").content.decode())
    assert "Établie le 29 novembre 2026." in html
    assert "article 47 de la loi n° 2005-102" in html
    assert "décret n° 2019-768" in html
    assert "Aucun audit de conformité" in html
    assert "%" not in html  # no compliance rate without an audit
    assert 'href="mailto:accessibilite@exemple.gouv.fr"' in html
    for technology in ("HTML", "CSS", "JavaScript", "Système de design de l'État (DSFR)"):
        assert f"<li>{technology}</li>" in html
    # Voies de recours (RGAA model statement).
    assert 'href="https://formulaire.defenseurdesdroits.fr/"' in html
    assert "le délégué du Défenseur des droits dans votre région" in html
    assert "09 69 39 00 00" in html
    assert "Défenseur des droits – Libre réponse 71120 – 75342 Paris CEDEX 07" in html


def test_statement_lists_each_page_group_the_browser_suite_checks(anon_client):
    html = _main(anon_client.get("/accessibilite/").content.decode())
    for group, pages in views_legal.AXE_CHECKED_PAGES:
        assert f"<h3>{group}</h3>" in html
        for label, _evidence in pages:
            assert f"<li>{escape(label)}</li>" in html


def test_every_checked_page_is_still_visited_by_the_browser_suite():
    """The statement may only claim checks the browser tests make: each entry's evidence (a
    URL or a test name) must appear in a file that runs axe-core (`assert_accessible`)."""
    sources = [
        path.read_text(encoding="utf-8")
        for path in BROWSER_TESTS.glob("test_*.py")
        if "assert_accessible(page)" in path.read_text(encoding="utf-8")
    ]
    missing = [
        (label, evidence)
        for _group, pages in views_legal.AXE_CHECKED_PAGES
        for label, evidence in pages
        if not any(evidence in source for source in sources)
    ]
    assert missing == []


# --- Legal notice -----------------------------------------------------------------------------


def test_legal_notice_defaults_name_roles_not_people(anon_client, settings):
    settings.PUBLICATION_DIRECTOR = ""
    settings.HOSTING_PROVIDER = ""
    settings.SOURCE_CODE_URL = ""
    html = _main(anon_client.get("/mentions-legales/").content.decode())
    assert "Direction interministérielle du numérique (DINUM)<br>" in html
    assert "20 avenue de Ségur<br>" in html
    assert "Le directeur interministériel du numérique." in html
    assert "désigné lors de son déploiement" in html
    assert "sera indiquée ici lors de sa publication" in html
    assert "Licence Ouverte 2.0" in html


def test_legal_notice_shows_what_the_deployment_sets(anon_client, settings):
    settings.PUBLICATION_DIRECTOR = "Camille Martin, directrice interministérielle du numérique"
    settings.HOSTING_PROVIDER = "Hébergeur <Exemple>\n1 rue du Serveur, 75000 Paris"
    settings.SOURCE_CODE_URL = "https://git.exemple.gouv.fr/portail-amd"
    html = _main(anon_client.get("/mentions-legales/").content.decode())
    assert "Camille Martin, directrice interministérielle du numérique" in html
    assert "Le directeur interministériel du numérique." not in html
    assert "Hébergeur &lt;Exemple&gt;<br>1 rue du Serveur, 75000 Paris" in html  # escaped
    assert 'href="https://git.exemple.gouv.fr/portail-amd"' in html
    assert "désigné lors de son déploiement" not in html


# --- Personal data ----------------------------------------------------------------------------


def _cookie_names(html: str) -> list[str]:
    table = html[html.index('<table id="cookies-table">') :]
    table = table[: table.index("</table>")]
    assert "<caption>Cookies déposés par le portail</caption>" in table
    return re.findall(r"<tr><td><code>([^<]+)</code></td>", table)


def test_cookie_list_is_the_cookie_names_of_the_settings(anon_client):
    html = anon_client.get("/donnees-personnelles/").content.decode()
    assert _cookie_names(html) == [
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        CookieStorage.cookie_name,
    ]
    assert "8 heures" in html  # SESSION_COOKIE_AGE's default
    assert "364 jours" in html  # CSRF_COOKIE_AGE's default


def test_cookie_list_follows_renamed_or_removed_cookies(anon_client, settings):
    settings.SESSION_COOKIE_NAME = "portail_session"
    settings.SESSION_COOKIE_AGE = 1800
    settings.CSRF_USE_SESSIONS = True  # the CSRF token then lives in the session: no cookie
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    html = anon_client.get("/donnees-personnelles/").content.decode()
    assert _cookie_names(html) == ["portail_session"]
    assert "30 minutes" in html


def test_cookies_the_portal_really_sets_are_all_listed(anon_client):
    """Sign in through the form, see a page, sign out (which leaves a message): every cookie the
    responses set is in the privacy page's list."""
    user = cast(User, UserFactory(email="agent@exemple.gouv.fr"))
    user.set_password("mot-de-passe-solide-2026")
    user.save()
    client = APIClient(enforce_csrf_checks=True)
    set_cookies: set[str] = set()

    def keep(response):
        set_cookies.update(response.cookies.keys())
        return response

    keep(client.get("/accounts/login/"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    login = keep(
        client.post(
            "/accounts/login/",
            {"username": user.email, "password": "mot-de-passe-solide-2026"},
            HTTP_X_CSRFTOKEN=token,
        )
    )
    assert login.status_code == 302
    keep(client.get("/accounts/"))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    keep(client.post("/accounts/logout/", HTTP_X_CSRFTOKEN=token))
    keep(client.get("/"))  # shows « Vous êtes déconnecté » and clears the message cookie
    assert {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME} <= set_cookies
    listed = set(_cookie_names(anon_client.get("/donnees-personnelles/").content.decode()))
    assert set_cookies <= listed


def test_privacy_notice_states_what_the_code_does(anon_client, settings):
    settings.DPO_EMAIL = ""
    settings.CONTACT_EMAIL = "contact@exemple.gouv.fr"
    html = _main(anon_client.get("/donnees-personnelles/").content.decode())
    assert "article 6, paragraphe 1, point e du RGPD" in html
    # Retention the code implements, from the settings and constants that implement it.
    assert "une session expire 8 heures après son ouverture" in html
    assert "au bout de 15 minutes" in html  # LOGIN_LOCK_SECONDS
    assert "au bout de 1 heure" in html  # password reset counters
    assert "au bout de 1 minute" in html  # API anonymous rate window
    assert "7 jours après son dépôt" in html
    assert "restent à fixer par le responsable du traitement" in html
    # Rights, without a DPO address: requests go to the contact address.
    for right in ("d'accès", "de rectification", "d'opposition", "de limitation"):
        assert right in html
    assert "à l'équipe du portail" in html
    assert 'href="mailto:contact@exemple.gouv.fr"' in html
    assert 'href="https://www.cnil.fr/fr/plaintes"' in html
    assert "article 82 de la loi « Informatique et Libertés »" in html
    assert "<code>scheme</code>" in html


def test_privacy_notice_names_the_dpo_when_set(anon_client, settings):
    settings.DPO_EMAIL = "dpd@exemple.gouv.fr"
    html = _main(anon_client.get("/donnees-personnelles/").content.decode())
    assert html.count('href="mailto:dpd@exemple.gouv.fr"') == 2  # controller, then rights


def test_stated_import_purge_is_the_one_the_task_applies():
    from datasets.tasks import STALE_IMPORT_DAYS

    assert views_legal.STALE_IMPORT_DAYS == STALE_IMPORT_DAYS


def test_privacy_summary_links_each_section(anon_client):
    html = _main(anon_client.get("/donnees-personnelles/").content.decode())
    for anchor, label in views_legal.PRIVACY_SECTIONS:
        assert f'href="#{anchor}">{label}</a>' in html
        assert f'<h2 id="{anchor}">{label}</h2>' in html


# --- Site map ---------------------------------------------------------------------------------


def _sitemap_sections(html: str) -> list[tuple[str, str]]:
    listing = html[html.index('<ul id="sitemap-sections">') :]
    return _links(listing[: listing.index("</ul>")])


def _header_nav(html: str) -> list[tuple[str, str]]:
    nav = html[html.index('<nav class="fr-nav"') :]
    nav = nav[: nav.index("</nav>")]
    return re.findall(r'class="fr-nav__link" href="([^"]+)"[^>]*>([^<]+)</a>', nav)


@pytest.fixture
def staff_client(db):
    user = cast(User, UserFactory())
    MembershipFactory(user=user, role=Membership.Role.DINUM_STAFF, ministry=None)
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "client_fixture,hidden",
    [
        ("anon_client", {"Réseau", "Mon ministère", "Inventaire", "Supervision"}),
        ("plain_client", {"Mon ministère", "Supervision"}),
        ("amd_client", {"Supervision"}),
        ("staff_client", {"Mon ministère"}),
    ],
)
def test_sitemap_shows_only_what_the_visitor_may_open(client_fixture, hidden, request):
    client = request.getfixturevalue(client_fixture)
    html = client.get("/plan-du-site/").content.decode()
    sections = _sitemap_sections(html)
    assert sections == [(url, label) for label, url, _who in NAV if label not in hidden]
    # The same list as the header's navigation, by construction.
    assert sections == _header_nav(html)
    signed_in = client_fixture != "anon_client"
    main = _main(html)
    assert ('href="/accounts/"' in main) is signed_in
    assert ('href="/accounts/login/"' in main) is not signed_in
    for href, _label in FOOTER_LINKS:
        assert f'href="{href}"' in main
    for href, _label in _links(main):
        if href.startswith("/"):
            resolve(href.split("?")[0])  # every link of the plan leads to a page
