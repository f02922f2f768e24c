"""The public catalogue in a real browser, signed out: list, search, filters, the way to an
entry's public page and back, each state checked with axe-core."""

import pytest

from datasets.models import DataAsset
from tests.datasets.factories import AssetFactory
from tests.factories import MinistryFactory, OrganizationFactory


@pytest.fixture
def catalogue(transactional_db):
    interieur = MinistryFactory(
        code="interieur", name="Ministère de l'Intérieur", short_name="Intérieur"
    )
    culture = MinistryFactory(code="culture", name="Ministère de la Culture", short_name="Culture")
    dgcl = OrganizationFactory(ministry=interieur, name="Direction générale des collectivités")
    patrimoines = OrganizationFactory(ministry=culture, name="Direction des patrimoines")
    published = DataAsset.Visibility.PUBLISHED
    rne = AssetFactory(
        organization=dgcl,
        visibility=published,
        title="Répertoire national des élus",
        description="Les élus locaux et nationaux, leurs mandats et leurs fonctions.",
    )
    AssetFactory(
        organization=patrimoines,
        visibility=published,
        title="Monuments historiques <protégés>",
        description="Immeubles classés ou inscrits.",
    )
    AssetFactory(organization=dgcl, title="Brouillon des élections")  # a draft: never listed
    return {"rne": rne, "interieur": interieur}


def test_a_visitor_browses_searches_and_filters_the_catalogue(page, catalogue, assert_accessible):
    page.goto("/")
    page.get_by_role("link", name="Parcourir les données publiées").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="Catalogue des données publiées", level=1).is_visible()
    assert page.locator("#result-count").inner_text() == "2 entrées publiées"
    assert page.get_by_role("link", name="Monuments historiques <protégés>").is_visible()
    assert page.get_by_text("Brouillon des élections").count() == 0
    assert_accessible(page)

    page.get_by_label("Rechercher dans le catalogue").fill("elu")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state("load")
    assert page.locator("#result-count").inner_text() == "1 entrée publiée pour « elu »"
    assert page.locator("#catalogue-table mark").first.is_visible()
    assert_accessible(page)

    page.get_by_label("Rechercher dans le catalogue").fill("")
    page.get_by_label("Ministère").select_option(label="Ministère de l'Intérieur")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state("load")
    assert page.locator("#result-count").inner_text() == "1 entrée publiée"
    organisation = page.get_by_label("Organisation productrice")
    organisation.select_option(label="Direction générale des collectivités")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state("load")
    assert page.get_by_label("Organisation productrice").input_value() == str(
        catalogue["rne"].organization_id
    )
    assert page.get_by_role("link", name="Catalogue DCAT-AP de ce ministère").is_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Répertoire national des élus").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("heading", name="Répertoire national des élus", level=1).is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Retour au catalogue des données publiées").click()
    page.wait_for_load_state("load")
    assert page.locator("#result-count").inner_text() == "2 entrées publiées"


def test_a_filter_that_is_no_choice_is_said_and_passes_axe(page, catalogue, assert_accessible):
    page.goto("/inventaire/catalogue/?ministry=abc&q=%00%3Cb%3E")
    summary = page.get_by_role("alert").filter(has_text="Le formulaire contient des erreurs")
    assert summary.is_visible()
    assert page.locator("#result-count").inner_text() == "0 entrée publiée pour « <b> »"
    assert_accessible(page)


def test_pages_of_the_catalogue_pass_axe(page, catalogue, assert_accessible):
    organization = catalogue["rne"].organization
    for n in range(60):
        AssetFactory(
            organization=organization, visibility=DataAsset.Visibility.PUBLISHED, title=f"Base {n}"
        )
    page.goto("/inventaire/catalogue/?q=base")
    pagination = page.get_by_role("navigation", name="Pagination")
    assert pagination.locator('[aria-current="page"]').inner_text() == "1 / 2"
    pagination.get_by_role("link", name="Page suivante").click()
    page.wait_for_load_state("load")
    assert "q=base" in page.url and "page=2" in page.url
    assert (
        page.get_by_role("navigation", name="Pagination")
        .locator('[aria-current="page"]')
        .inner_text()
        == "2 / 2"
    )
    assert_accessible(page)


def test_a_visitor_sorts_the_catalogue_by_title(page, catalogue, assert_accessible):
    page.goto("/inventaire/catalogue/")
    page.get_by_label("Trier par").select_option(label="Titre (de A à Z)")
    page.get_by_role("button", name="Trier", exact=True).click()
    page.wait_for_load_state("load")
    assert "tri=titre" in page.url
    titles = page.locator("#catalogue-table tbody a").all_inner_texts()
    assert titles == ["Monuments historiques <protégés>", "Répertoire national des élus"]
    assert page.locator("th[aria-sort=ascending]").inner_text() == "Entrée"
    assert_accessible(page)
