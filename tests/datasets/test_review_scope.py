"""Review: nothing of another ministry is reachable or guessable through the inventory."""

import pytest

from datasets.models import DataAsset, PersonalDataProcessing

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"


def test_api_processing_of_another_ministry_reads_as_unknown(
    amd_client, organization, ministry, other_ministry
):
    foreign = PersonalDataProcessing.objects.create(ministry=other_ministry, name="Fichier X")
    own = PersonalDataProcessing.objects.create(ministry=ministry, name="Fichier Y")
    body = {
        "organization": organization.pk,
        "title": "Entrée",
        "description": "d",
        "asset_type": "BASE_DE_DONNEES",
    }
    response = amd_client.post(URL, {**body, "processing": foreign.pk}, format="json")
    missing = amd_client.post(URL, {**body, "processing": 999999}, format="json")
    assert response.status_code == missing.status_code == 400
    assert "n'existe pas" in missing.json()["processing"][0]
    # Same answer as an id that does not exist: nothing tells the processing is there.
    assert response.json()["processing"] == [
        m.replace("999999", str(foreign.pk)) for m in missing.json()["processing"]
    ]
    assert not DataAsset.objects.exists()
    created = amd_client.post(URL, {**body, "processing": own.pk}, format="json")
    assert created.status_code == 201, created.json()


def _body(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def test_internal_justification_never_reaches_a_network_viewer(
    viewer_client, network_api_client, amd_user, organization
):
    from core.models import LegalGround
    from datasets import services
    from datasets.validation import GroundInput, QualificationInput
    from tests.datasets.factories import AssetFactory

    asset = AssetFactory(organization=organization, visibility="PUBLISHED")
    services.asset_qualify(
        actor=amd_user,
        asset=asset,
        qualification=QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(
                    ground=LegalGround.objects.filter(regime="ABSOLU").first(),
                    justification_internal="SECRET-INTERNE",
                    public_motive="Motif public",
                )
            ],
        ),
    )
    pages = [
        f"/inventaire/{asset.pk}/",
        "/inventaire/export.csv?etendu=1",
        "/inventaire/export.xlsx",
    ]
    api = [f"{URL}{asset.pk}/qualification/", f"{URL}{asset.pk}/history/", f"{URL}{asset.pk}/"]
    for client, urls in ((viewer_client, pages + api), (network_api_client, api)):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = _body(response) if not url.endswith("xlsx") else ""
            assert "SECRET-INTERNE" not in body, url
    assert "Motif public" in _body(viewer_client.get(f"{URL}{asset.pk}/qualification/"))


def test_bulk_actions_with_another_ministrys_ids_change_nothing(
    amd_client, viewer_client, organization, other_organization
):
    from tests.datasets.factories import AssetFactory

    mine = AssetFactory(organization=organization, visibility="DRAFT")
    theirs = AssetFactory(organization=other_organization, visibility="PUBLISHED")
    posts = [
        (amd_client, {"ids": [mine.pk, theirs.pk], "action": "unpublish"}),
        (
            amd_client,
            {"ids": [theirs.pk], "action": "organization", "organization": organization.pk},
        ),
        (viewer_client, {"ids": [theirs.pk], "action": "unpublish"}),
    ]
    for client, body in posts:
        assert client.post("/inventaire/actions/", body).status_code == 302
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert (theirs.visibility, theirs.organization_id, theirs.version) == (
        "PUBLISHED",
        other_organization.pk,
        1,
    )
    assert mine.version == 1


def test_revert_never_crosses_entries_or_ministries(
    amd_client, agd_user, organization, other_organization
):
    from core.audit import history_for
    from datasets import services
    from tests.datasets.factories import AssetFactory

    theirs = AssetFactory(organization=other_organization, visibility="PUBLISHED", title="EUX")
    services.asset_update(actor=agd_user, asset=theirs, data={"title": "EUX 2"}, expected_version=1)
    entry = history_for(theirs).first()
    mine = AssetFactory(organization=organization, title="Nôtre")
    assert (
        amd_client.post(f"/inventaire/{theirs.pk}/versions/{entry.pk}/revenir/").status_code == 404
    )
    amd_client.post(f"/inventaire/{mine.pk}/versions/{entry.pk}/revenir/", {"version": 1})
    mine.refresh_from_db()
    assert (mine.title, mine.version) == ("Nôtre", 1)


def test_choice_lists_offer_nothing_of_another_ministry(
    amd_client, organization, other_organization, other_ministry
):
    from tests.datasets.factories import AssetFactory, ExtraFieldFactory

    PersonalDataProcessing.objects.create(ministry=other_ministry, name="TRAITEMENT-AUTRE")
    ExtraFieldFactory(ministry=other_ministry, label="CHAMP-AUTRE", kind="BOOLEAN")
    asset = AssetFactory(organization=organization)
    for url in (
        f"/inventaire/{asset.pk}/modifier/",
        "/inventaire/nouvelle/",
        "/inventaire/import/",
        f"/inventaire/?ministry={other_ministry.pk}",
    ):
        body = amd_client.get(url).content.decode()
        for foreign in (other_organization.name, other_ministry.name, "TRAITEMENT-AUTRE"):
            assert foreign not in body, (url, foreign)
        assert "CHAMP-AUTRE" not in body, url
