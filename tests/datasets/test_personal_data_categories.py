"""Personal data categories (DOMAIN §4.3): codes of a reference table with its sources, not
free text; declared only for an entry holding personal data; a value stored before the table
existed is kept until someone removes it."""

import html
import importlib

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from core.models import PersonalDataCategory
from datasets.models import DataAsset
from tests.conftest import make_token
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"


@pytest.fixture
def writer(amd_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(amd_user, can_write=True)}")
    return client


def _payload(organization, **over):
    return {
        "organization": organization.pk,
        "title": "Registre des patients",
        "description": "Dossiers",
        "asset_type": "BASE_DE_DONNEES",
        "contains_personal_data": True,
        **over,
    }


def test_the_table_is_loaded_with_its_legal_sources():
    rows = {r.code: r for r in PersonalDataCategory.objects.all()}
    assert {"IDENTIFICATION", "CONTACT", "SANTE", "INFRACTIONS", "NIR"} <= set(rows)
    assert all(r.source_url.startswith("https://") and r.legal_basis for r in rows.values())
    assert rows["SANTE"].sensitive and rows["SANTE"].legal_basis == "RGPD art. 9"
    assert rows["INFRACTIONS"].sensitive and rows["INFRACTIONS"].legal_basis == "RGPD art. 10"
    assert rows["NIR"].sensitive and not rows["CONTACT"].sensitive


def test_the_api_takes_codes_of_the_table(writer, organization):
    response = writer.post(
        URL, _payload(organization, personal_data_categories=["SANTE", "NIR"]), format="json"
    )
    assert response.status_code == 201, response.json()
    assert DataAsset.objects.get().personal_data_categories == ["SANTE", "NIR"]


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"personal_data_categories": ["FOO"]}, "Catégorie(s) inconnue(s) : FOO"),
        ({"personal_data_categories": ["santé"]}, "Catégorie(s) inconnue(s) : santé"),
        (
            {"personal_data_categories": ["SANTE"], "contains_personal_data": False},
            "ne se déclarent que pour une entrée qui en contient",
        ),
    ],
)
def test_a_category_outside_the_table_or_without_personal_data_is_refused(
    writer, organization, over, message
):
    response = writer.post(URL, _payload(organization, **over), format="json")
    assert response.status_code == 400
    assert message in response.json()["personal_data_categories"][0]
    assert not DataAsset.objects.exists()


def test_a_retired_category_is_no_longer_offered_but_stays_where_it_is(writer, organization):
    asset = AssetFactory(
        organization=organization, contains_personal_data=True, personal_data_categories=["NIR"]
    )
    PersonalDataCategory.objects.filter(code="NIR").update(active=False)
    url = f"{URL}{asset.pk}/"
    kept = writer.patch(url, {"title": "Autre titre", "version": asset.version}, format="json")
    assert kept.status_code == 200, kept.json()
    asset.refresh_from_db()
    # Held already: kept when sent back; a new entry may not declare it.
    again = writer.patch(
        url,
        {"personal_data_categories": ["NIR", "SANTE"], "version": asset.version},
        format="json",
    )
    assert again.status_code == 200, again.json()
    refused = writer.post(
        URL, _payload(organization, personal_data_categories=["NIR"]), format="json"
    )
    assert refused.status_code == 400


def test_unticking_personal_data_asks_to_remove_the_categories(writer, organization):
    asset = AssetFactory(
        organization=organization, contains_personal_data=True, personal_data_categories=["SANTE"]
    )
    url = f"{URL}{asset.pk}/"
    response = writer.patch(
        url, {"contains_personal_data": False, "version": asset.version}, format="json"
    )
    assert response.status_code == 400
    assert "retirez les catégories" in response.json()["personal_data_categories"][0]
    both = writer.patch(
        url,
        {
            "contains_personal_data": False,
            "personal_data_categories": [],
            "version": asset.version,
        },
        format="json",
    )
    assert both.status_code == 200, both.json()


def _edit_payload(asset, **over):
    return {
        "organization": asset.organization_id,
        "title": asset.title,
        "description": asset.description,
        "asset_type": asset.asset_type,
        "visibility": asset.visibility,
        "sharing_mode": asset.sharing_mode,
        "version": asset.version,
        **over,
    }


def test_the_form_offers_the_table_and_keeps_an_earlier_value(amd_client, organization):
    asset = AssetFactory(
        organization=organization,
        contains_personal_data=True,
        personal_data_categories=["SANTE", "dossiers médicaux"],
    )
    page = amd_client.get(f"/inventaire/{asset.pk}/modifier/").content.decode()
    assert 'type="checkbox" name="personal_data_categories" value="SANTE"' in page
    assert "Données de santé *" in page  # sensitive
    assert "dossiers médicaux (valeur antérieure)" in page
    response = amd_client.post(
        f"/inventaire/{asset.pk}/modifier/",
        _edit_payload(
            asset,
            contains_personal_data="on",
            personal_data_categories=["dossiers médicaux", "CONTACT"],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    asset.refresh_from_db()
    assert asset.personal_data_categories == ["dossiers médicaux", "CONTACT"]
    detail = amd_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert "(dossiers médicaux, Coordonnées (adresse postale" in detail


def test_the_form_refuses_a_code_it_does_not_offer(amd_client, organization):
    asset = AssetFactory(organization=organization, contains_personal_data=True)
    response = amd_client.post(
        f"/inventaire/{asset.pk}/modifier/",
        _edit_payload(asset, contains_personal_data="on", personal_data_categories=["FOO"]),
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide. FOO n’en fait pas partie." in html.unescape(
        response.content.decode()
    )
    asset.refresh_from_db()
    assert asset.personal_data_categories == []


def test_the_migration_turns_stored_texts_into_codes_and_keeps_the_others(organization):
    module = importlib.import_module("datasets.migrations.0015_personal_data_category_codes")
    asset = AssetFactory(
        organization=organization,
        contains_personal_data=True,
        personal_data_categories=["santé", "Coordonnées", "SANTE", "health", "registre maison"],
    )
    untouched = AssetFactory(organization=organization, personal_data_categories=[])
    module.to_codes(apps, None)
    asset.refresh_from_db()
    assert asset.personal_data_categories == ["SANTE", "CONTACT", "registre maison"]
    untouched.refresh_from_db()
    assert untouched.personal_data_categories == []


def test_the_import_refuses_no_personal_data_for_an_entry_with_categories(
    amd_user, ministry, organization
):
    """Review: the import saved « non » and kept the categories, which the form and the API
    refuse."""
    from tests.datasets.test_import import HEADER, analyse, csv_bytes, row

    AssetFactory(
        organization=organization,
        title="Arbres vivants",
        contains_personal_data=True,
        personal_data_categories=["SANTE"],
    )
    header = HEADER + ",donnees_personnelles"
    job = analyse(
        amd_user, ministry, csv_bytes([{**row(), "donnees_personnelles": "non"}], header=header)
    )
    report = job.report["rows"][0]
    assert report["action"] == "rejected", report
    assert "retirez-les dans sa fiche" in str(report["errors"])
    stored = DataAsset.objects.get(title="Arbres vivants")
    assert (stored.contains_personal_data, stored.personal_data_categories) == (True, ["SANTE"])


def test_the_migration_of_the_table_leaves_the_other_tables_as_staff_edited_them():
    """Review: core/0003 reloaded every reference table, undoing admin edits."""
    from core.models import LegalGround

    module = importlib.import_module("core.migrations.0003_personal_data_categories")
    ground = LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE")
    LegalGround.objects.filter(pk=ground.pk).update(label="Libellé revu par la DINUM")
    PersonalDataCategory.objects.filter(code="NIR").update(label="ancien")
    module.load(apps, None)
    assert LegalGround.objects.get(pk=ground.pk).label == "Libellé revu par la DINUM"
    assert PersonalDataCategory.objects.get(code="NIR").label.startswith("Numéro d'inscription")
