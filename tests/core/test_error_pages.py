"""French error pages (templates/400.html, 403.html, 404.html, 500.html) with DEBUG off.

403 and 404 use the portal's layout; 400 and 500 are rendered by Django with an empty context and
must not need the database. The REST API keeps its JSON errors.

The module is also the URLconf of the tests that need a view raising an error (`error_urls`):
the portal's routes plus a few test-only ones.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.urls import path

from core.models import User
from network_portal import urls as portal_urls
from tests.datasets.factories import AssetFactory
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

VIEW_MESSAGE = "Seuls les membres du groupe d'essai voient cette page."


def _forbidden_with_message(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied(VIEW_MESSAGE)


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("panne simulée")


def _crash_on_database(request: HttpRequest) -> HttpResponse:
    # Reads the session and the user, then the database: all of it fails when the database is down.
    request.user.is_authenticated  # noqa: B018
    User.objects.count()
    return HttpResponse("inatteignable")


def _suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("requête douteuse")


urlpatterns = [
    path("essai/interdit-motif/", _forbidden_with_message),
    path("essai/interdit/", _forbidden),
    path("essai/panne/", _crash),
    path("essai/panne-base/", _crash_on_database),
    path("essai/requete-invalide/", _suspicious),
    path("api/essai/panne/", _crash),
    *portal_urls.urlpatterns,
]
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = __name__


def _page(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert '<html lang="fr"' in html
    assert '<a class="fr-btn" href="/">Page d\'accueil</a>' in html
    # None of Django's bare English pages.
    for english in ("Not Found", "Forbidden", "Server Error", "Bad Request", "requested resource"):
        assert english not in html
    return html


# --- 404 ------------------------------------------------------------------------------------


def test_unknown_url_answers_the_french_404_page_in_the_portal_layout(anon_client):
    response = anon_client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = _page(response)
    assert "<h1>Page non trouvée</h1>" in html
    assert "Erreur 404" in html
    assert "<title>Page non trouvée — Réseau des administrateurs" in html
    assert 'class="fr-header"' in html and 'class="fr-footer"' in html  # base.html
    assert 'href="/accounts/login/?next=/cette-page-n-existe-pas/"' in html


def test_amd_opening_another_ministrys_entry_gets_the_french_404_page(amd_client, other_ministry):
    asset = AssetFactory(
        organization=OrganizationFactory(ministry=other_ministry), title="Fichier confidentiel"
    )
    for url in (f"/inventaire/{asset.pk}/", f"/inventaire/{asset.pk}/modifier/"):
        response = amd_client.get(url)
        assert response.status_code == 404
        html = _page(response)
        assert "<h1>Page non trouvée</h1>" in html
        assert "pas accessible avec votre compte" in html
        assert "Fichier confidentiel" not in html
        assert "matches the given query" not in html  # the Http404 message is not shown
        assert "/accounts/login/" not in html  # signed in: no sign-in button


# --- 403 ------------------------------------------------------------------------------------


def test_correspondent_editing_another_organizations_entry_sees_the_views_message(
    correspondent_client, correspondent_user, ministry
):
    sibling = AssetFactory(organization=OrganizationFactory(ministry=ministry))
    response = correspondent_client.get(f"/inventaire/{sibling.pk}/modifier/")
    assert response.status_code == 403
    html = _page(response)
    assert "<h1>Accès refusé</h1>" in html
    assert "Erreur 403" in html
    assert "Vous ne pouvez pas modifier les entrées de cette organisation." in html
    assert correspondent_user.email in html
    assert "contactez l'administrateur ministériel des données" in html
    assert 'href="/accounts/">Mon compte</a>' in html
    assert "/accounts/login/" not in html


def test_403_page_without_a_message_from_the_view_explains_in_general_terms(
    error_urls, plain_client
):
    response = plain_client.get("/essai/interdit/")
    assert response.status_code == 403
    html = _page(response)
    assert "Vous n'avez pas les droits nécessaires" in html
    assert 'href="/accounts/">Mon compte</a>' in html


def test_anonymous_403_page_shows_the_message_and_a_sign_in_link_back_to_the_page(
    error_urls, anon_client
):
    response = anon_client.get("/essai/interdit-motif/?onglet=2")
    assert response.status_code == 403
    html = _page(response)
    assert "Seuls les membres du groupe d&#x27;essai voient cette page." in html
    assert "Connectez-vous avec votre compte" in html
    assert 'href="/accounts/login/?next=/essai/interdit-motif/%3Fonglet%3D2">Se connecter' in html
    assert "Mon compte" not in html


# --- 500 and 400 ----------------------------------------------------------------------------


@pytest.fixture
def failing_client(anon_client):
    anon_client.raise_request_exception = False
    return anon_client


def test_server_error_answers_the_french_500_page(error_urls, failing_client):
    response = failing_client.get("/essai/panne/")
    assert response.status_code == 500
    html = _page(response)
    assert "<h1>Erreur inattendue</h1>" in html
    assert "Erreur 500" in html
    assert "panne simulée" not in html
    assert "<script" not in html  # no CSP nonce without the request


@pytest.mark.parametrize("signed_in", [False, True])
def test_500_page_renders_while_the_database_is_down(error_urls, failing_client, signed_in):
    if signed_in:
        failing_client.force_login(UserFactory())
    database = connections["default"]

    def refuse(*args, **kwargs):
        raise OperationalError("connexion à la base refusée")

    with mock.patch.object(database, "_cursor", side_effect=refuse) as cursor:
        response = failing_client.get("/essai/panne-base/")
    assert cursor.called  # the database was really asked, and refused
    assert response.status_code == 500
    html = _page(response)
    assert "<h1>Erreur inattendue</h1>" in html


def test_bad_request_answers_the_french_400_page(error_urls, failing_client):
    response = failing_client.get("/essai/requete-invalide/")
    assert response.status_code == 400
    html = _page(response)
    assert "<h1>Requête invalide</h1>" in html
    assert "Erreur 400" in html
    assert "requête douteuse" not in html


# --- The REST API keeps its JSON errors ------------------------------------------------------


def test_api_errors_stay_json(
    amd_client, anon_client, correspondent_client, ministry, other_ministry
):
    other = AssetFactory(organization=OrganizationFactory(ministry=other_ministry))
    sibling = AssetFactory(organization=OrganizationFactory(ministry=ministry))
    answers = [
        (amd_client.get(f"/api/v1/datasets/{other.pk}/"), 404),
        (
            correspondent_client.patch(
                f"/api/v1/datasets/{sibling.pk}/", {"title": "Nouveau", "version": 1}, format="json"
            ),
            403,
        ),
        (anon_client.get("/api/v1/datasets/"), 401),
    ]
    for response, status in answers:
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"]


def test_an_unknown_api_address_answers_json_404(amd_client, anon_client):
    for client in (amd_client, anon_client):
        response = client.get("/api/v1/pas-de-ressource/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Aucune ressource de l'API à cette adresse."}


def test_a_crash_under_api_answers_json_500(error_urls, failing_client):
    response = failing_client.get("/api/essai/panne/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "panne simulée" not in response.content.decode()
    assert response.json()["detail"].startswith("Erreur interne")


def test_an_api_object_out_of_reach_says_not_found_in_french_without_naming_the_model(
    amd_client, other_ministry
):
    other = AssetFactory(organization=OrganizationFactory(ministry=other_ministry))
    response = amd_client.get(f"/api/v1/datasets/{other.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Non trouvé."}
