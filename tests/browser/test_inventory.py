"""Inventory pages in a real browser (list, search, entry page, edit form, wizard), with axe."""

from pathlib import Path

import pytest

from administrators.models import Membership
from core.models import LegalGround
from datasets import services
from datasets.models import Format
from datasets.validation import GroundInput, QualificationInput
from tests.factories import MembershipFactory, MinistryFactory, OrganizationFactory, UserFactory


@pytest.fixture
def inventory(transactional_db):
    ministry = MinistryFactory(
        code="interieur", name="Ministère de l'Intérieur", short_name="Intérieur"
    )
    org = OrganizationFactory(
        ministry=ministry, name="Direction générale des collectivités locales"
    )
    amd = UserFactory(email="amd@interieur.gouv.fr")
    MembershipFactory(user=amd, role=Membership.Role.MINISTRY_ADMIN, ministry=ministry)
    services.extra_field_create(
        actor=amd,
        ministry=ministry,
        code="sensibilite",
        label="Sensibilité",
        kind="CHOICE",
        choices="Faible\nForte",
    )
    base = {
        "organization": org,
        "description": "Répertoire national des élus locaux et nationaux.",
        "keywords": ["élus", "mandats"],
        "service": "DGCL",
        "contact_service": "rne@interieur.gouv.fr",
        "update_frequency": "MENSUELLE",
        "geo_coverage": "France",
        "asset_type": "BASE_DE_DONNEES",
    }
    rne = services.asset_create(
        actor=amd,
        data={**base, "title": "Répertoire national des élus"},
        formats=[Format.objects.get(name="CSV")],
        extra={"sensibilite": "Faible"},
    )
    services.asset_create(
        actor=amd,
        data={
            **base,
            "title": "Fichier des associations",
            "keywords": ["associations"],
            "description": "Associations déclarées.",
        },
    )
    services.asset_update(
        actor=amd, asset=rne, data={"service": "Bureau des élections"}, expected_version=1
    )
    services.asset_qualify(
        actor=amd,
        asset=rne,
        qualification=QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(
                    ground=LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE"),
                    justification_internal="Adresses personnelles",
                    public_motive="Vie privée",
                )
            ],
        ),
    )
    return {"amd": amd, "rne": rne}


def test_list_and_search_pass_axe(page, inventory, login_as, assert_accessible):
    login_as(page, inventory["amd"])
    page.goto("/inventaire/")
    assert page.get_by_role("heading", name="Inventaire des données").is_visible()
    assert page.get_by_role("link", name="Fichier des associations").is_visible()
    assert_accessible(page)
    page.get_by_label("Rechercher dans l'inventaire").fill("élus")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state("load")
    assert page.locator("#result-count").inner_text().startswith("1 entrée")
    assert page.locator("mark").first.is_visible()
    assert_accessible(page)
    # « Exporter ces résultats »: the file holds the search's entry only.
    with page.expect_download() as download:
        page.locator("#export-selection").get_by_role("link", name="CSV schéma Etalab").click()
    assert download.value.suggested_filename.endswith("-selection.csv")
    rows = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2 and "élus" in rows[1]


def test_facet_filter_in_browser(page, inventory, login_as):
    login_as(page, inventory["amd"])
    page.goto("/inventaire/")
    page.locator("label", has_text="Non communicable (1)").click()  # DSFR styles the label
    page.get_by_role("button", name="Appliquer les filtres").click()
    page.wait_for_load_state("load")
    assert page.locator("#result-count").inner_text().startswith("1 entrée")


def test_sort_by_title_in_browser_keeps_the_filters_and_passes_axe(
    page, inventory, login_as, assert_accessible
):
    login_as(page, inventory["amd"])
    page.goto("/inventaire/?visibility=DRAFT&visibility=PUBLISHED")
    page.get_by_label("Trier par").select_option(label="Titre (de A à Z)")
    page.get_by_role("button", name="Trier", exact=True).click()
    page.wait_for_load_state("load")
    assert "tri=titre" in page.url and page.url.count("visibility=") == 2
    titles = page.locator("#asset-table tbody th a, #asset-table tbody td a").all_inner_texts()
    assert titles and titles == sorted(titles, key=str.casefold)
    assert page.locator("th[aria-sort=ascending]").inner_text() == "Entrée"
    assert_accessible(page)


def test_entry_page_and_history_pass_axe(page, inventory, login_as, assert_accessible):
    login_as(page, inventory["amd"])
    page.goto(f"/inventaire/{inventory['rne'].pk}/")
    assert page.get_by_role("heading", name="Répertoire national des élus", level=1).is_visible()
    assert page.get_by_role("cell", name="Adresses personnelles", exact=True).first.is_visible()
    assert page.get_by_role("button", name="Revenir à cette version").first.is_visible()
    assert_accessible(page)


def test_entry_page_fits_a_phone_screen(page, inventory, login_as):
    """375 px wide: the history tables scroll inside their box; their buttons' screen-reader
    text (absolutely positioned) no longer widens the page (QA pass: 507 px)."""
    rne = inventory["rne"]
    services.asset_qualify(
        actor=inventory["amd"],
        asset=rne,
        qualification=QualificationInput(status="TO_ASSESS"),
        comment="Réexamen",
    )
    login_as(page, inventory["amd"])
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/inventaire/{rne.pk}/")
    assert page.get_by_role("button", name="Revenir à cette version").nth(1).count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_edit_form_saves_and_passes_axe(page, inventory, login_as, assert_accessible):
    login_as(page, inventory["amd"])
    page.goto(f"/inventaire/{inventory['rne'].pk}/modifier/")
    assert_accessible(page)
    page.get_by_label("Titre").fill("Répertoire national des élus (RNE)")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state("load")
    assert page.get_by_role(
        "heading", name="Répertoire national des élus (RNE)", level=1
    ).is_visible()


def test_qualification_form_and_wizard_pass_axe(page, inventory, login_as, assert_accessible):
    login_as(page, inventory["amd"])
    pk = inventory["rne"].pk
    page.goto(f"/inventaire/{pk}/qualification/")
    assert_accessible(page)
    page.goto(f"/inventaire/{pk}/qualification/assistant/")
    assert_accessible(page)
    for answer in ["Oui", "Oui", "Non", "Oui", "Non", "Non", "Non"]:
        page.locator("label", has_text=answer).click()
        page.get_by_role("button", name="Continuer").click()
        page.wait_for_load_state("load")
    assert "/qualification/?" in page.url
    assert page.get_by_text("Résultat de la qualification guidée").is_visible()
    assert page.get_by_label("Statut", exact=True).input_value() == "TO_PUBLISH"
    assert_accessible(page)


def test_create_and_extra_fields_pages_pass_axe(page, inventory, login_as, assert_accessible):
    login_as(page, inventory["amd"])
    page.goto("/inventaire/nouvelle/")
    assert page.get_by_label("Sensibilité").is_visible()
    assert_accessible(page)
    page.goto("/inventaire/champs/")
    assert page.get_by_role("heading", name="Champs propres au ministère").is_visible()
    assert_accessible(page)


def test_public_page_of_a_published_entry_passes_axe(page, inventory, assert_accessible):
    from datasets.models import DataAsset

    DataAsset.objects.filter(pk=inventory["rne"].pk).update(visibility="PUBLISHED")
    page.goto(f"/inventaire/catalogue/{inventory['rne'].pk}/")  # anonymous
    assert page.get_by_role("heading", name="Répertoire national des élus", level=1).is_visible()
    assert page.get_by_text("rne@interieur.gouv.fr").is_visible()
    assert_accessible(page)


def test_a_form_with_errors_moves_the_focus_to_their_summary(page, inventory, login_as):
    login_as(page, inventory["amd"])
    page.goto(f"/inventaire/{inventory['rne'].pk}/modifier/")
    page.get_by_label("Titre").fill("")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state("load")
    summary = page.get_by_role("alert").filter(has_text="Le formulaire contient des erreurs")
    assert summary.is_visible()
    page.wait_for_function("document.activeElement.classList.contains('portal-error-summary')")
    summary.get_by_role("link", name="Titre").click()
    assert page.evaluate("location.hash") == "#id_title"
