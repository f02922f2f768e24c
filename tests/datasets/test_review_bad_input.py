"""Review: issue #3's bad inputs through the API and the pages: French message, nothing written."""

import html

import pytest

from datasets.models import AssessmentHistory, DataAsset
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"

BAD_FIELDS = [
    ("last_updated_at", "31/02/2020", "n'est pas valide"),
    ("first_published_at", "demain", "n'est pas valide"),
    ("contact_service", "pas-une-adresse", "n'est pas valide"),
    ("url", "javascript:alert(1)", "http"),
    ("sample_url", "JaVaScRiPt:alert(1)", "http"),
    ("url", "data:text/html,<script>alert(1)</script>", "http"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_FIELDS)
def test_api_create_refuses_bad_values_in_french(amd_client, organization, name, value, message):
    body = {"organization": organization.pk, "title": "t", "description": "d", name: value}
    response = amd_client.post(URL, {**body, "asset_type": "API"}, format="json")
    assert response.status_code == 400
    assert any(message in m for m in response.json()[name]), response.json()
    assert not DataAsset.objects.exists()


FORM_BAD_FIELDS = [
    ("last_updated_at", "31/02/2020", "Saisissez une date valide"),
    ("first_published_at", "demain", "Saisissez une date valide"),
    ("contact_service", "pas-une-adresse", "n'est pas valide"),
    ("url", "javascript:alert(1)", "http"),
]


@pytest.mark.parametrize(("name", "value", "message"), FORM_BAD_FIELDS)
def test_form_refuses_bad_values_in_french(amd_client, organization, name, value, message):
    body = {
        "organization": organization.pk,
        "title": "t",
        "description": "d",
        "asset_type": "API",
        "visibility": "DRAFT",
        "sharing_mode": "UNKNOWN",
        name: value,
    }
    response = amd_client.post("/inventaire/nouvelle/", body)
    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert not DataAsset.objects.exists()


def test_html_in_text_is_stored_as_text_and_shown_escaped(amd_client, organization):
    body = {
        "organization": organization.pk,
        "title": "<script>alert(1)</script>",
        "description": '<img src=x onerror="alert(2)">',
        "keywords": ["<b>gras</b>"],
        "asset_type": "API",
    }
    response = amd_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    asset = DataAsset.objects.get()
    assert asset.title == "<script>alert(1)</script>"
    page = amd_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<img src=x" not in page and "<b>gras</b>" not in page


def test_status_contradicting_the_rules_is_refused_everywhere(amd_client, organization):
    asset = AssetFactory(organization=organization)
    api = amd_client.put(
        f"{URL}{asset.pk}/qualification/",
        {"status": "NOT_COMMUNICABLE", "grounds": [], "version": 1},
        format="json",
    )
    assert api.status_code == 400 and "motif" in str(api.json()).lower()
    page = amd_client.post(
        f"/inventaire/{asset.pk}/qualification/", {"status": "NOT_COMMUNICABLE", "version": 1}
    )
    assert page.status_code == 200 and "motif" in page.content.decode().lower()
    bulk = amd_client.post(
        "/inventaire/actions/", {"ids": [asset.pk], "action": "status", "status": "PUBLISHED"}
    )
    assert bulk.status_code == 302
    asset.assessment.refresh_from_db()
    assert (asset.assessment.status, asset.assessment.version) == ("TO_ASSESS", 1)
    assert not AssessmentHistory.objects.exists()


def test_list_rows_facets_and_highlights_escape_user_text(amd_client, organization, ministry):
    from tests.datasets.factories import ExtraFieldFactory

    ExtraFieldFactory(
        ministry=ministry,
        code="x",
        label="<script>alert('lab')</script>",
        kind="CHOICE",
        choices=['"><img src=x onerror=alert(3)>'],
    )
    AssetFactory(
        organization=organization,
        title="<script>alert(1)</script> arbres",
        description="<img src=x onerror=alert(2)> arbres",
        extra={"x": '"><img src=x onerror=alert(3)>'},
    )
    for url in ("/inventaire/", "/inventaire/?q=arbres", f"/inventaire/?ministry={ministry.pk}"):
        page = amd_client.get(url).content.decode()
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
    assert "<mark>" in amd_client.get("/inventaire/?q=arbres").content.decode()
