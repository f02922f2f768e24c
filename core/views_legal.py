"""The pages every French public website links from its footer: accessibility statement, legal
notice, personal data notice and site map.

Public (anonymous included), GET and HEAD only, and free of queries of their own: what they say
comes from the code and the settings (contact addresses, host, director of publication), never
from the database. What they state about the portal was checked against the code; where the code
decides nothing (the host, the retention of most records), the page says so instead of guessing.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views.decorators.http import require_safe

from core.views import RESET_WINDOW_SECONDS

# Unconfirmed imports keep their file this many days (the setting `datasets.tasks` purges by).
STALE_IMPORT_DAYS = settings.STALE_IMPORT_DAYS

# When the accessibility statement was written (RGAA: its date is part of the statement). A new
# statement (after an audit, or a substantial change of the portal) changes this date.
STATEMENT_DATE = datetime.date(2026, 11, 29)

# Pages the browser suite (tests/browser) opens and runs axe-core on, as the statement lists
# them. Each entry names a piece of the browser tests' source that shows the page is visited:
# tests/core/test_legal_pages.py fails if one is no longer there, so the statement cannot claim
# a check the suite stopped making.
AXE_CHECKED_PAGES: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Pages publiques",
        [
            ("Accueil", 'page.goto("/")'),
            ("Connexion et mot de passe oublié", "/accounts/mot-de-passe/oublie/"),
            ("Annuaire public", "/annuaire/"),
            ("Guides : liste, guide, historique des versions", "/guides/"),
            ("Formations : catalogue et fiche d'une session", "/formations/sessions/"),
            ("Transparence", "/supervision/transparence/"),
            ("Fiche publique d'une entrée du catalogue", "/inventaire/catalogue/{"),
            (
                "Catalogue des données publiées : liste, recherche, filtres",
                "test_a_visitor_browses_searches_and_filters_the_catalogue",
            ),
            ("Page d'erreur « Page non trouvée »", "/cette-page-n-existe-pas/"),
            ("Page « Formulaire expiré »", "test_expired_form_shows_the_french_csrf_page"),
            (
                "Déclaration d'accessibilité, mentions légales, données personnelles, plan du site",
                "/plan-du-site/",
            ),
        ],
    ),
    (
        "Pages des comptes connectés",
        [
            ("Mon compte, jetons d'API, changement de mot de passe", 'page.goto("/accounts/")'),
            ("Réseau : ministères, organisations, mandats, rôles des comptes", "/reseau/roles/"),
            ("Mon ministère", "/mon-ministere/"),
            (
                "Inventaire : liste, fiche, saisie, champs propres, qualification guidée, "
                "propositions à valider",
                "/qualification/assistant/",
            ),
            ("Import et export de l'inventaire", "/inventaire/import/"),
            (
                "Supervision : tableau de bord, indicateurs, détail d'un ministère, réunions",
                "/supervision/reunions/",
            ),
            (
                "Formations : mes inscriptions, mes sessions, présences, planification, "
                "statistiques, événements, indicateurs d'impact",
                "/formations/mes-sessions/",
            ),
            ("Rédaction d'un guide", "/guides/nouveau/"),
        ],
    ),
]


def _duration(seconds: int) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} jour{'s' if days > 1 else ''}"
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} heure{'s' if hours > 1 else ''}"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def _message_cookie_name() -> str | None:
    """The cookie of the messages framework, if its storage keeps messages in a cookie (Django's
    default FallbackStorage tries the cookie first, then the session)."""
    storage = import_string(settings.MESSAGE_STORAGE)
    classes = getattr(storage, "storage_classes", (storage,))
    for cls in classes:
        if issubclass(cls, CookieStorage):
            return str(cls.cookie_name)
    return None


def _lifetime(seconds: int | None) -> str:
    """A cookie's lifetime in words: `_duration`, or until the browser closes (none set)."""
    return _duration(seconds) if seconds else "jusqu'à la fermeture du navigateur"


def portal_cookies() -> list[dict[str, str]]:
    """The cookies the portal sets, named as the settings name them (so the list follows them).

    None of them serves audience measurement or advertising: they are needed for the service
    the visitor asks for (article 82 of the loi Informatique et Libertés), hence no consent."""
    session_life = _lifetime(
        None if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE else settings.SESSION_COOKIE_AGE
    )
    cookies = [
        {
            "name": settings.SESSION_COOKIE_NAME,
            "purpose": (
                "Garder la connexion d'un compte d'une page à l'autre (identifiant de session). "
                "Déposé à la connexion (ou pendant la réinitialisation d'un mot de passe), "
                "effacé à la déconnexion."
            ),
            "lifetime": session_life,
        }
    ]
    if not settings.CSRF_USE_SESSIONS:
        csrf_age = settings.CSRF_COOKIE_AGE
        cookies.append(
            {
                "name": settings.CSRF_COOKIE_NAME,
                "purpose": (
                    "Protéger les formulaires contre leur envoi par un autre site "
                    "(jeton anti-falsification). Déposé par les pages qui contiennent un "
                    "formulaire envoyé au portail (connexion, déconnexion, saisie)."
                ),
                "lifetime": _lifetime(csrf_age),
            }
        )
    message_cookie = _message_cookie_name()
    if message_cookie:
        cookies.append(
            {
                "name": message_cookie,
                "purpose": (
                    "Afficher, sur la page suivante, le message de confirmation d'une action "
                    "(« Vous êtes déconnecté », « Les modifications ont été enregistrées »…)."
                ),
                "lifetime": "effacé dès que le message est affiché",
            }
        )
    return cookies


# What the DSFR script keeps in the browser's local storage (not a cookie: never sent to the
# server). tests/browser/test_legal_pages.py checks a visit leaves no other key.
BROWSER_STORAGE = [
    (
        "scheme",
        "Thème d'affichage choisi (clair, sombre ou celui du système), enregistré par le script "
        "du système de design de l'État.",
    )
]


def _contact() -> dict[str, Any]:
    return {
        "contact_email": settings.CONTACT_EMAIL,
        "dpo_email": settings.DPO_EMAIL,
        "hosting_provider": settings.HOSTING_PROVIDER,
        "publication_director": settings.PUBLICATION_DIRECTOR,
        "source_code_url": settings.SOURCE_CODE_URL,
        "site_url": settings.SITE_URL,
    }


def _page(request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
    """A legal page: its title, its breadcrumb, the publisher's contacts and `context`."""
    return render(
        request,
        template,
        {"title": title, "breadcrumb_data": {"current": title}, **_contact(), **context},
    )


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "core/accessibility.html",
        "Déclaration d'accessibilité",
        statement_date=STATEMENT_DATE,
        checked_pages=AXE_CHECKED_PAGES,
    )


@require_safe
def legal_notice(request: HttpRequest) -> HttpResponse:
    return _page(request, "core/legal_notice.html", "Mentions légales")


PRIVACY_SECTIONS = [
    ("responsable", "Responsable du traitement"),
    ("finalites", "Finalités et base légale"),
    ("donnees", "Données traitées"),
    ("destinataires", "Qui voit ces données"),
    ("conservation", "Durées de conservation"),
    ("droits", "Vos droits"),
    ("cookies", "Cookies et stockage dans le navigateur"),
]


def _throttle_window() -> str:
    """How long the API's rate counters live: the longest window of its DRF rates ("60/min")."""
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].values()
    return _duration(max(seconds[rate.split("/", 1)[1][:1]] for rate in rates))


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "core/privacy.html",
        "Données personnelles",
        summary=[{"link": f"#{anchor}", "label": label} for anchor, label in PRIVACY_SECTIONS],
        cookies=portal_cookies(),
        session_lifetime=_duration(settings.SESSION_COOKIE_AGE),
        login_lock=_duration(settings.LOGIN_LOCK_SECONDS),
        reset_window=_duration(RESET_WINDOW_SECONDS),
        api_window=_throttle_window(),
        stale_import_days=STALE_IMPORT_DAYS,
        browser_storage=BROWSER_STORAGE,
    )


@require_safe
def sitemap(request: HttpRequest) -> HttpResponse:
    """The main navigation as the visitor sees it (`nav_items`, filtered by the context processor
    with the same rule as the header), then the account and legal pages."""
    return _page(request, "core/sitemap.html", "Plan du site")
