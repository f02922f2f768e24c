"""Template context shared by every page, without any database query."""

from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest

from core.access import access_for

SITE_CONFIG = SimpleNamespace(
    site_title="Réseau des administrateurs ministériels des données",
    site_tagline="Portail de l'administrateur général des données (DINUM)",
    header_brand_html="République<br>française",
    footer_brand_html="République<br>française",
    footer_brand="République française",
    footer_description=(
        "Portail du réseau des administrateurs ministériels des données, des algorithmes et des "
        "codes sources, animé par la DINUM."
    ),
    accessibility_status="NOT",
    mourning=False,
    beta_tag=True,
    notice_title="",
    notice_description="",
)


# (label, path, who sees it): "all", "auth" (signed in), "ministry" (has a ministry role),
# "staff" (network staff and network viewers).
NAV = [
    ("Accueil", "/", "all"),
    ("Réseau", "/ministeres/", "auth"),
    ("Mon ministère", "/mon-ministere/", "ministry"),
    ("Inventaire", "/inventaire/", "auth"),
    ("Données publiées", "/inventaire/catalogue/", "all"),
    ("Supervision", "/supervision/", "staff"),
    ("Formations", "/formations/", "all"),
    ("Guides", "/guides/", "all"),
    ("Annuaire public", "/annuaire/", "all"),
    ("Transparence", "/supervision/transparence/", "all"),
]


def _visible(who: str, access: Any) -> bool:
    if who == "all":
        return True
    if who == "auth":
        return access.authenticated
    if who == "ministry":
        return bool(access.visible_ministry_ids)
    return access.sees_all_ministries


def portal(request: HttpRequest) -> dict[str, Any]:
    access = access_for(getattr(request, "user", None))
    path = request.path
    visible = [(label, url) for label, url, who in NAV if _visible(who, access)]
    # The current section: the longest address the page is under (« Données publiées »,
    # /inventaire/catalogue/, rather than « Inventaire »); the home page only for itself.
    current = max(
        (url for _, url in visible if path == url or (url != "/" and path.startswith(url))),
        key=len,
        default=None,
    )
    nav_items = [{"label": label, "url": url, "active": url == current} for label, url in visible]
    # django-csp 4 creates the nonce lazily and dsfr_js tests its truth value, which stays False
    # until something reads it: reading it here puts it in the header and on the DSFR scripts.
    # Templates use `{{ csp_nonce }}` on their own <script> tags.
    nonce = getattr(request, "csp_nonce", None)
    return {
        "SITE_CONFIG": SITE_CONFIG,
        "access": access,
        "nav_items": nav_items,
        "csp_nonce": str(nonce) if nonce is not None else "",
    }
