"""A correspondent proposes a qualification, the ministry's administrator accepts it, in a real
browser, with axe-core on every page visited (form, entry page with the pending proposal, review
list)."""

import pytest

from administrators.models import Membership
from datasets import services
from datasets.models import OpenByDefaultAssessment, QualificationProposal
from tests.factories import MembershipFactory, MinistryFactory, OrganizationFactory, UserFactory


@pytest.fixture
def setting(transactional_db):
    ministry = MinistryFactory(code="sante", name="Ministère de la Santé", short_name="Santé")
    org = OrganizationFactory(ministry=ministry, name="Direction générale de la santé")
    amd = UserFactory(email="amd@sante.gouv.fr", first_name="Alice", last_name="Martin")
    MembershipFactory(user=amd, role=Membership.Role.MINISTRY_ADMIN, ministry=ministry)
    correspondent = UserFactory(email="corr@sante.gouv.fr", first_name="Paul", last_name="Durand")
    membership = MembershipFactory(
        user=correspondent, role=Membership.Role.CORRESPONDENT, ministry=ministry
    )
    membership.organizations.add(org)
    asset = services.asset_create(
        actor=amd,
        data={
            "organization": org,
            "title": "Registre des vaccinations",
            "description": "Couverture vaccinale par département.",
            "keywords": ["vaccination"],
            "service": "DGS",
            "contact_service": "dgs@sante.gouv.fr",
            "update_frequency": "ANNUELLE",
            "geo_coverage": "France",
            "asset_type": "STATISTIQUES",
        },
    )
    return {"amd": amd, "correspondent": correspondent, "asset": asset}


def test_proposal_then_acceptance_pass_axe(page, setting, login_as, assert_accessible):
    pk = setting["asset"].pk
    login_as(page, setting["correspondent"])
    page.goto(f"/inventaire/{pk}/qualification/")
    assert page.get_by_text("vous proposez la qualification").is_visible()
    assert_accessible(page)
    page.get_by_label("Statut", exact=True).select_option("TO_PUBLISH")
    page.get_by_label("Date de publication prévue").fill("2030-01-15")
    page.get_by_role("button", name="Proposer cette qualification").click()
    page.wait_for_load_state("load")
    assert page.get_by_role(
        "heading", name="Proposition de qualification en attente de validation"
    ).is_visible()
    assert page.get_by_role("button", name="Retirer ma proposition").is_visible()
    assert_accessible(page)
    assert OpenByDefaultAssessment.objects.get(asset_id=pk).status == "TO_ASSESS"

    login_as(page, setting["amd"])
    page.goto("/inventaire/")
    page.get_by_role("link", name="Propositions à valider").click()
    page.wait_for_load_state("load")
    assert page.get_by_role("link", name="Registre des vaccinations").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Registre des vaccinations").click()
    page.wait_for_load_state("load")
    proposed = page.get_by_role("table", name="Changements proposés")
    assert proposed.get_by_role("cell", name="À publier", exact=True).is_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Accepter et appliquer").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("La proposition a été acceptée").is_visible()
    assert_accessible(page)
    assert QualificationProposal.objects.get(asset_id=pk).status == "ACCEPTED"
    assert OpenByDefaultAssessment.objects.get(asset_id=pk).status == "TO_PUBLISH"
