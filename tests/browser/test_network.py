"""The network pages in a real browser, each checked by axe-core (no serious or critical issue)."""

import datetime

import pytest

from administrators.models import Membership
from tests.factories import (
    MandateFactory,
    MembershipFactory,
    MinistryFactory,
    OrganizationFactory,
    PersonFactory,
    UserFactory,
)


@pytest.fixture
def network(transactional_db):
    interieur = MinistryFactory(
        code="interieur", name="Ministère de l'Intérieur", short_name="Intérieur"
    )
    culture = MinistryFactory(code="culture", name="Ministère de la Culture", short_name="Culture")
    root = OrganizationFactory(
        ministry=interieur, name="Secrétariat général", path="Secrétariat général"
    )
    OrganizationFactory(
        ministry=interieur,
        parent=root,
        name="Direction du numérique",
        path="Secrétariat général / Direction du numérique",
    )
    titular = MandateFactory(
        ministry=interieur,
        person=PersonFactory(first_name="Alex", last_name="Publié", consent_directory=True),
    )
    MandateFactory(
        ministry=interieur,
        role="CORRESPONDANT_DIRECTION",
        person=PersonFactory(first_name="Sam", last_name="Discret", consent_directory=False),
    )
    MandateFactory(
        ministry=interieur,
        role="AMD_ADJOINT",
        appointment_date=datetime.date(2018, 1, 1),
        end_date=datetime.date(2020, 12, 31),
    )
    MandateFactory(ministry=culture)
    amd = UserFactory(email="amd.interieur@exemple.gouv.fr")
    MembershipFactory(user=amd, role=Membership.Role.MINISTRY_ADMIN, ministry=interieur)
    dinum = UserFactory(email="dinum@exemple.gouv.fr")
    MembershipFactory(user=dinum, role=Membership.Role.DINUM_STAFF, ministry=None)
    return {"ministry": interieur, "titular": titular, "root": root, "amd": amd, "dinum": dinum}


def test_home_shows_coverage_and_passes_axe(page, network, assert_accessible):
    page.goto("/")
    assert page.locator("#coverage").inner_text() == "2 / 2"
    assert page.get_by_text("Nominations récentes").is_visible()
    assert_accessible(page)


def test_public_directory_lists_consenting_people_and_passes_axe(page, network, assert_accessible):
    page.goto("/annuaire/")
    table = page.locator("#directory")
    assert "Publié" in table.inner_text()
    assert "Discret" not in page.content()
    page.get_by_label("Ministère", exact=True).select_option("culture")
    page.get_by_role("button", name="Filtrer").click()
    assert "Publié" not in page.locator("main").inner_text()
    assert_accessible(page)


def test_ministry_list_and_page_as_administrator_pass_axe(
    page, network, login_as, assert_accessible
):
    login_as(page, network["amd"])
    page.goto("/ministeres/")
    assert page.get_by_role("link", name="Ministère de l'Intérieur").is_visible()
    assert page.get_by_role("link", name="Ministère de la Culture").count() == 0
    assert_accessible(page)
    page.get_by_role("link", name="Ministère de l'Intérieur").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Ministère de l'Intérieur"
    assert "Direction du numérique" in page.locator("#organizations").inner_text()
    assert "Publié" in page.locator("#titular").inner_text()
    assert_accessible(page)


def test_administrator_edits_contacts_and_sees_the_history(
    page, network, login_as, assert_accessible
):
    login_as(page, network["amd"])
    page.goto("/mon-ministere/")
    page.get_by_role("link", name="Modifier le ministère").click()
    assert_accessible(page)
    page.get_by_label("PRADA — nom").fill("Camille Prada")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Les modifications ont été enregistrées.").is_visible()
    assert "Camille Prada" in page.locator("#historique").locator("..").inner_text()
    assert_accessible(page)


def test_record_pages_and_forms_as_dinum_pass_axe(page, network, login_as, assert_accessible):
    login_as(page, network["dinum"])
    code = network["ministry"].code
    for url in [
        f"/ministeres/{code}/organisations/{network['root'].pk}/",
        f"/ministeres/{code}/mandats/{network['titular'].pk}/",
        f"/ministeres/{code}/mandats/nouveau/",
        f"/ministeres/{code}/organisations/nouvelle/",
        f"/ministeres/{code}/roles/",
        "/reseau/roles/",
        "/ministeres/nouveau/",
    ]:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert_accessible(page)


def test_second_titular_shows_a_french_error_in_the_browser(page, network, login_as):
    login_as(page, network["dinum"])
    page.goto(f"/ministeres/{network['ministry'].code}/mandats/nouveau/")
    page.get_by_label("Rôle").select_option("AMD_TITULAIRE")
    page.get_by_label("Date de nomination").fill("2025-01-01")
    page.get_by_label("Courriel de la personne").fill("second@exemple.gouv.fr")
    page.get_by_label("Prénom").fill("Second")
    page.locator("#id_last_name").fill("Titulaire")
    page.get_by_role("button", name="Enregistrer").click()
    # Waits for the page sent back (count() alone could read the page being left).
    refusal = page.get_by_text("déjà un administrateur ministériel des données titulaire")
    refusal.first.wait_for()
    assert refusal.count() >= 1
