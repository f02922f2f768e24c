"""Demo data: the demo correspondent's pending proposals (datasets.demo.load_demo_proposals)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from administrators.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from administrators.models import Membership
from core.models import AuditEntry, User
from datasets.demo import load_demo, load_demo_proposals
from datasets.models import OpenByDefaultAssessment, QualificationProposal
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

DREES = "Direction de la recherche, des études, de l'évaluation et des statistiques"
CORRESPONDENT = next(a[0] for a in DEMO_ACCOUNTS if a[3] == "CORRESPONDENT")


def _snapshot() -> tuple[object, ...]:
    return (
        list(
            QualificationProposal.objects.order_by("id").values_list(
                "id", "asset_id", "status", "state", "comment", "based_on_version"
            )
        ),
        AuditEntry.objects.filter(action__startswith="assessment.").count(),
        list(OpenByDefaultAssessment.objects.order_by("id").values_list("id", "version")),
    )


@pytest.fixture
def demo_correspondent(ministry):
    drees = OrganizationFactory(ministry=ministry, name=DREES)
    user = UserFactory(email=CORRESPONDENT)
    membership = MembershipFactory(user=user, role=Membership.Role.CORRESPONDENT, ministry=ministry)
    membership.organizations.add(drees)
    return user


def test_demo_adds_two_pending_proposals_once(demo_correspondent, dinum_client):
    out = io.StringIO()
    load_demo(out)
    pending = QualificationProposal.objects.filter(status=QualificationProposal.Status.PENDING)
    assert pending.count() == 2
    assert set(pending.values_list("proposed_by", flat=True)) == {demo_correspondent.pk}
    assert {p.state["status"] for p in pending} == {"TO_PUBLISH", "NOT_COMMUNICABLE"}
    assert all(p.asset.organization.name == DREES for p in pending)
    # proposed, not applied: the entries are still « À qualifier »
    assert all(p.asset.assessment.status == "TO_ASSESS" for p in pending)
    assert AuditEntry.objects.filter(action="assessment.proposed").count() == 2
    assert "Propositions de démonstration : 2 en attente de validation" in out.getvalue()

    before = _snapshot()
    again = io.StringIO()
    load_demo(again)
    assert _snapshot() == before
    assert "Propositions de démonstration : déjà présentes." in again.getvalue()

    # the « Propositions à valider » page of the demo is not empty
    response = dinum_client.get("/inventaire/propositions/")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 2


def test_demo_proposals_are_not_added_again_once_decided(demo_correspondent, dinum_user):
    from datasets import proposals

    load_demo(io.StringIO())
    first = QualificationProposal.objects.order_by("id").first()
    proposals.proposal_reject(actor=dinum_user, proposal=first, reason="Démo : refusée.")
    before = _snapshot()
    load_demo_proposals(io.StringIO())
    assert _snapshot() == before


def test_no_demo_proposal_without_the_demo_correspondent(ministry):
    out = io.StringIO()
    load_demo_proposals(out)
    assert not QualificationProposal.objects.exists()
    assert "compte correspondant absent" in out.getvalue()


def test_seed_demo_twice_gives_the_same_proposals():
    call_command("seed_demo", stdout=io.StringIO())
    user = User.objects.get(email=CORRESPONDENT)
    assert user.check_password(DEMO_PASSWORD)
    if not OpenByDefaultAssessment.objects.exists():  # the shared 2016 data is absent
        pytest.skip("shared demo data absent")
    assert QualificationProposal.objects.filter(proposed_by=user, status="PENDING").count() == 2
    before = _snapshot()
    call_command("seed_demo", stdout=io.StringIO())
    assert _snapshot() == before


def test_the_demo_administrator_of_the_correspondent_validates_the_proposals(client):
    """`make run`: the correspondent proposes, the administrator of their ministry validates."""
    call_command("seed_demo", stdout=io.StringIO())
    if not OpenByDefaultAssessment.objects.exists():  # the shared 2016 data is absent
        pytest.skip("shared demo data absent")
    admin_email = next(
        a[0] for a in DEMO_ACCOUNTS if a[3] == "MINISTRY_ADMIN" and a[4] == "Affaires sociales"
    )
    correspondent = User.objects.get(email=CORRESPONDENT)
    admin = User.objects.get(email=admin_email)
    assert admin.check_password(DEMO_PASSWORD)
    (ministry_id,) = set(
        Membership.objects.filter(user__in=[admin, correspondent]).values_list(
            "ministry_id", flat=True
        )
    )
    assert Membership.objects.filter(
        user=admin, role="MINISTRY_ADMIN", ministry_id=ministry_id
    ).exists()
    client.force_login(admin)
    response = client.get("/inventaire/propositions/")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 2
