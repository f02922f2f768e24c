"""A correspondent proposes to go back to an earlier qualification from the entry's history, in a
real browser, with axe-core on the entry page before and after; the administrator is e-mailed."""

import datetime
import re

import pytest
from django.core import mail

from datasets import services
from datasets.models import OpenByDefaultAssessment, QualificationProposal
from datasets.validation import QualificationInput
from tests.browser.test_proposals import setting  # noqa: F401 - the same ministry and accounts


@pytest.fixture
def qualified(setting):  # noqa: F811
    for day in (datetime.date(2030, 1, 15), datetime.date(2031, 6, 30)):
        services.asset_qualify(
            actor=setting["amd"],
            asset=setting["asset"],
            qualification=QualificationInput(status="TO_PUBLISH", planned_date=day),
        )
    return setting


def test_correspondent_proposes_an_earlier_version(page, qualified, login_as, assert_accessible):
    pk = qualified["asset"].pk
    mail.outbox.clear()
    login_as(page, qualified["correspondent"])
    page.goto(f"/inventaire/{pk}/")
    versions = page.get_by_role("table", name="Qualifications successives")
    assert versions.get_by_role("cell", name="Version actuelle").is_visible()
    assert versions.get_by_role("button", name=re.compile("^Revenir")).count() == 0
    assert_accessible(page)
    versions.get_by_role("button", name="Proposer de revenir à cette version").click()
    page.wait_for_load_state("load")
    assert page.get_by_text("Votre proposition de revenir à cette version").is_visible()
    assert page.get_by_role(
        "heading", name="Proposition de qualification en attente de validation"
    ).is_visible()
    proposed = page.get_by_role("table", name="Changements proposés")
    assert proposed.get_by_role("cell", name="15/01/2030").is_visible()
    assert_accessible(page)
    proposal = QualificationProposal.objects.get(asset_id=pk)
    assert proposal.status == "PENDING"
    assert proposal.state["planned_date"] == "2030-01-15"
    assert OpenByDefaultAssessment.objects.get(asset_id=pk).planned_date == datetime.date(
        2031, 6, 30
    )
    assert [m.to for m in mail.outbox] == [[qualified["amd"].email]]
