"""Bad requests to the API: each is a 4xx in JSON with a French message, and writes nothing.

Found by the review of the API: a forged cursor and a deeply nested document were 500s; DRF's
parse errors, its « No data provided » and its CSRF refusal were in English; a body over the
upload limit got Django's HTML 400 page.
"""

import base64
import json

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.test import Client
from rest_framework.test import APIClient

from core.api import exception_handler
from datasets.models import DataAsset
from tests.conftest import make_token
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"
PROPOSALS = "/api/v1/datasets/qualification-proposals/"


@pytest.fixture
def writer(amd_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(amd_user, can_write=True)}")
    return client


def _payload(organization):
    return {
        "organization": organization.pk,
        "title": "Registre des élus",
        "description": "Répertoire national",
        "asset_type": "BASE_DE_DONNEES",
    }


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("url", [URL, PROPOSALS])
@pytest.mark.parametrize(
    "position",
    [
        "o=1&p=x",  # not a number
        "p=x\x00",  # a NUL
        "p=1.5",
        "p=99999999999999999999",  # past the id column's range
        "p=",
    ],
)
def test_a_forged_cursor_is_the_404_of_an_invalid_cursor(api_client, organization, url, position):
    AssetFactory(organization=organization)
    response = api_client.get(url, {"cursor": _cursor(position)})
    assert response.status_code == 404, response.content
    assert response.json() == {
        "detail": "Curseur non valide : reprenez le lien « next » ou « previous »."
    }


def test_the_cursors_the_api_gives_still_page_through_everything(api_client, organization):
    ids = {AssetFactory(organization=organization).pk for _ in range(5)}
    seen: list[int] = []
    page = api_client.get(URL, {"page_size": 2}).json()
    while True:
        seen += [row["id"] for row in page["results"]]
        if not page["next"]:
            break
        page = api_client.get(page["next"]).json()
    assert sorted(seen) == sorted(ids)
    # A reverse cursor with a negative position is well formed: an empty page, no error.
    assert api_client.get(URL, {"cursor": _cursor("r=1&p=-1")}).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"title":', "JSON mal formé (ligne 1, colonne 10)"),
        (b'{"title": "\xff\xfe"}', "n'est pas du texte UTF-8 valide"),
        (b'{"title": NaN}', "NaN et Infinity ne sont pas des nombres JSON"),
        (b'{"extra": {"zone": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}", "trop profondément"),
    ],
)
def test_an_unreadable_json_body_is_a_french_400_and_writes_nothing(
    writer, organization, body, message
):
    response = writer.generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
    assert not DataAsset.objects.exists()


def test_a_null_body_says_so_in_french(writer):
    response = writer.generic("POST", URL, b"null", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Aucune donnée reçue : envoyez un objet JSON."]}
    assert not DataAsset.objects.exists()


def test_a_broken_multipart_body_is_a_french_400(writer):
    response = writer.generic(
        "POST", URL, b"--x\r\nnothing", content_type="multipart/form-data; boundary=\x00"
    )
    assert response.status_code == 400
    assert "Formulaire multipart illisible" in response.json()["detail"]


def test_a_body_over_the_limit_is_a_json_413(writer, organization, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    payload = _payload(organization) | {"description": "x" * (1024 * 1024 + 1)}
    response = writer.post(URL, payload, format="json")
    assert response.status_code == 413
    assert response.json() == {"detail": "Corps de requête trop volumineux : 1 Mo au plus."}
    assert not DataAsset.objects.exists()


def test_a_form_body_over_the_limit_is_a_json_413_too(amd_user, settings):
    """Read by Django itself (request.POST) before DRF: the project's handler400."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = Client(raise_request_exception=False)
    client.force_login(amd_user)
    response = client.post("/api/v1/datasets/", {"title": "x" * 5000})
    assert response.status_code == 413
    assert response.json()["detail"].startswith("Corps de requête trop volumineux")


def test_a_signed_in_post_without_csrf_token_is_refused_in_french(amd_user, organization):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(amd_user)
    response = client.post(URL, _payload(organization), format="json")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Jeton CSRF absent ou invalide")
    assert not DataAsset.objects.exists()


def test_the_errors_of_a_whole_object_are_named_as_drf_names_them():
    response = exception_handler(DjangoValidationError({"__all__": ["Incohérent."]}), {})
    assert response is not None
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Incohérent."]}


def test_a_valid_body_is_still_created(writer, organization):
    response = writer.post(URL, _payload(organization), format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    "charset", ["zlib", "rot13", "bz2", "hex", "base64", "uu", "punycode", "utf-16"]
)
def test_an_odd_charset_is_a_french_400_never_a_500(writer, organization, charset):
    """Review: Django accepts any codec name; bytes-to-bytes ones gave a 500, others the NaN
    message."""
    body = json.dumps(_payload(organization)).encode()
    response = writer.generic(
        "POST", URL, body, content_type=f"application/json; charset={charset}"
    )
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert "NaN" not in detail
    assert "UTF-8" in detail or "n'est pas du texte" in detail
    assert not DataAsset.objects.exists()
