"""Qualification proposals (datasets/proposals.py): a correspondent proposes, an administrator
of the ministry or DINUM staff accepts (through asset_qualify) or refuses with a reason."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from core.models import AuditEntry, LegalGround
from datasets import proposals, services
from datasets.models import (
    AssessmentHistory,
    AssetStateHistory,
    OpenByDefaultAssessment,
    QualificationProposal,
)
from datasets.validation import GroundInput, QualificationInput
from tests.datasets.factories import AssetFactory
from tests.datasets.proposal_helpers import correspondent_of, propose, to_publish, version_of
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def asset(organization):
    return AssetFactory(organization=organization)


def _counts(asset):
    return (
        QualificationProposal.objects.count(),
        AssessmentHistory.objects.filter(asset=asset).count(),
        AssetStateHistory.objects.filter(asset_id_ref=asset.pk).count(),
        AuditEntry.objects.count(),
        OpenByDefaultAssessment.objects.get(asset=asset).version,
    )


def test_a_correspondent_can_no_longer_qualify_directly(correspondent_user, asset):
    with pytest.raises(PermissionDenied, match="proposer"):
        services.asset_qualify(actor=correspondent_user, asset=asset, qualification=to_publish())
    assert OpenByDefaultAssessment.objects.get(asset=asset).status == "TO_ASSESS"


def test_a_correspondent_cannot_change_statuses_in_bulk(correspondent_user, asset):
    with pytest.raises(PermissionDenied, match="propose la qualification"):
        services.assets_bulk_set_status(
            actor=correspondent_user,
            asset_ids=[asset.pk],
            status="TO_PUBLISH",
            planned_date=datetime.date(2030, 1, 1),
        )
    assert OpenByDefaultAssessment.objects.get(asset=asset).status == "TO_ASSESS"


def test_a_proposal_is_stored_and_not_applied(correspondent_user, asset):
    before = _counts(asset)
    proposal = propose(correspondent_user, asset, comment="  Publication prévue en 2030 ")
    assert proposal.status == "PENDING"
    assert proposal.proposed_by == correspondent_user
    assert proposal.ministry_id == asset.ministry_id
    assert proposal.based_on_version == before[-1]
    assert proposal.comment == "Publication prévue en 2030"
    assert proposal.state["status"] == "TO_PUBLISH"
    assert proposal.state["planned_date"] == "2030-01-15"
    assessment = OpenByDefaultAssessment.objects.get(asset=asset)
    assert (assessment.status, assessment.version) == ("TO_ASSESS", before[-1])
    assert AssessmentHistory.objects.filter(asset=asset).count() == before[1]
    assert AssetStateHistory.objects.filter(asset_id_ref=asset.pk).count() == before[2]
    entry = AuditEntry.objects.get(action="assessment.proposed")
    assert entry.changes["qualification"]["status"] == ["TO_ASSESS", "TO_PUBLISH"]


def test_the_state_has_the_shape_of_a_qualification(correspondent_user, amd_user, asset):
    proposal = propose(correspondent_user, asset)
    services.asset_qualify(actor=amd_user, asset=asset, qualification=to_publish())
    assessment = OpenByDefaultAssessment.objects.get(asset=asset)
    direct = services.qualification_state(assessment, assessment.ground_links.all())
    assert set(proposal.state) == set(direct)
    assert {k: v for k, v in proposal.state.items() if k != "review_due"} == {
        k: v for k, v in direct.items() if k != "review_due"
    }


@pytest.mark.parametrize(
    ("qualification", "field", "message"),
    [
        (QualificationInput(status="NOT_COMMUNICABLE"), "grounds", "Non communicable"),
        (QualificationInput(status="TO_PUBLISH"), "planned_date", "date de publication prévue"),
        (QualificationInput(status="PUBLISHED"), "published_url", "lien de publication"),
        (
            QualificationInput(status="TO_PUBLISH", planned_date="31/02/2030"),
            "planned_date",
            "n'est pas valide",
        ),
        (QualificationInput(status="INVENTE"), "status", "n'est pas un statut possible"),
    ],
)
def test_a_bad_proposal_gets_the_rules_french_messages_and_writes_nothing(
    correspondent_user, asset, qualification, field, message
):
    before = _counts(asset)
    with pytest.raises(ValidationError) as refused:
        proposals.proposal_submit(
            actor=correspondent_user,
            asset=asset,
            qualification=qualification,
            based_on_version=before[-1],
        )
    assert message in " ".join(refused.value.message_dict[field])
    assert _counts(asset) == before


def test_a_proposal_that_changes_nothing_is_refused(correspondent_user, asset):
    with pytest.raises(ValidationError, match="ne change rien"):
        propose(correspondent_user, asset, QualificationInput())
    assert not QualificationProposal.objects.exists()


def test_a_proposal_read_on_a_stale_qualification_is_refused(correspondent_user, amd_user, asset):
    read = version_of(asset)
    services.asset_qualify(actor=amd_user, asset=asset, qualification=to_publish())
    with pytest.raises(services.ConcurrentEditError, match="modifiée par"):
        propose(correspondent_user, asset, based_on_version=read)
    assert not QualificationProposal.objects.exists()


def test_administrators_qualify_directly_rather_than_propose(amd_user, asset):
    with pytest.raises(ValidationError, match="directement"):
        propose(amd_user, asset)


def test_a_correspondent_of_another_organisation_cannot_propose(ministry, asset):
    outsider = correspondent_of(OrganizationFactory(ministry=ministry))
    with pytest.raises(PermissionDenied):
        propose(outsider, asset)


def test_another_ministrys_correspondent_gets_404(other_organization, asset):
    with pytest.raises(Http404):
        propose(correspondent_of(other_organization), asset)


def test_a_new_proposal_from_its_author_supersedes_the_pending_one(correspondent_user, asset):
    first = propose(correspondent_user, asset)
    second = propose(
        correspondent_user, asset, to_publish(datetime.date(2031, 6, 1)), read_pending=first.pk
    )
    first.refresh_from_db()
    assert first.status == "SUPERSEDED"
    assert second.status == "PENDING"
    # the API's way: no pending id given, the author's own pending one is replaced
    third = propose(correspondent_user, asset, to_publish(datetime.date(2032, 1, 1)))
    second.refresh_from_db()
    assert second.status == "SUPERSEDED"
    assert QualificationProposal.objects.filter(asset=asset, status="PENDING").get() == third


def test_someone_elses_pending_proposal_is_only_replaced_by_who_read_it(
    correspondent_user, organization, asset
):
    colleague = correspondent_of(organization)
    first = propose(correspondent_user, asset)
    with pytest.raises(services.ConcurrentEditError, match="en attente de validation"):
        propose(colleague, asset, to_publish(datetime.date(2031, 1, 1)))
    with pytest.raises(services.ConcurrentEditError):  # read « no pending proposal »: stale
        propose(colleague, asset, to_publish(datetime.date(2031, 1, 1)), read_pending=0)
    assert QualificationProposal.objects.get(status="PENDING") == first
    propose(colleague, asset, to_publish(datetime.date(2031, 1, 1)), read_pending=first.pk)
    first.refresh_from_db()
    assert first.status == "SUPERSEDED"


def test_the_database_holds_at_most_one_pending_proposal_per_entry(correspondent_user, asset):
    proposal = propose(correspondent_user, asset)
    with pytest.raises(IntegrityError), transaction.atomic():
        QualificationProposal.objects.create(
            asset=asset,
            ministry_id=asset.ministry_id,
            state=proposal.state,
            based_on_version=proposal.based_on_version,
        )


def test_the_database_refuses_a_rejection_without_reason(correspondent_user, asset):
    proposal = propose(correspondent_user, asset)
    with pytest.raises(IntegrityError), transaction.atomic():
        QualificationProposal.objects.filter(pk=proposal.pk).update(status="REJECTED")


@pytest.mark.parametrize("reviewer", ["amd_user", "dinum_user"])
def test_accept_applies_through_asset_qualify_and_audits(
    request, reviewer, correspondent_user, asset
):
    actor = request.getfixturevalue(reviewer)
    proposal = propose(correspondent_user, asset, comment="Jeu prêt")
    facts = AssetStateHistory.objects.filter(asset_id_ref=asset.pk).count()
    accepted, result = proposals.proposal_accept(actor=actor, proposal=proposal, comment="Vu")
    assert result.ok
    assert (accepted.status, accepted.reviewed_by, accepted.review_comment) == (
        "ACCEPTED",
        actor,
        "Vu",
    )
    assert accepted.reviewed_at is not None
    assessment = OpenByDefaultAssessment.objects.get(asset=asset)
    assert (assessment.status, assessment.planned_date) == (
        "TO_PUBLISH",
        datetime.date(2030, 1, 15),
    )
    assert assessment.version == proposal.based_on_version + 1
    row = AssessmentHistory.objects.get(asset=asset)
    assert row.actor == actor
    assert str(correspondent_user) in row.comment and "Vu" in row.comment
    audit = AuditEntry.objects.get(action="assessment.updated")
    assert audit.actor == actor
    assert audit.changes["qualification"]["status"] == ["TO_ASSESS", "TO_PUBLISH"]
    assert AuditEntry.objects.filter(action="assessment.proposal_accepted").count() == 1
    assert AssetStateHistory.objects.filter(asset_id_ref=asset.pk).count() == facts + 1
    assert AssetStateHistory.objects.filter(asset_id_ref=asset.pk).latest("id").status == (
        "TO_PUBLISH"
    )


def test_accept_keeps_the_grounds_and_their_justifications(correspondent_user, amd_user, asset):
    ground = LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE")
    proposal = propose(
        correspondent_user,
        asset,
        QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(
                    ground=ground, justification_internal="Adresses", public_motive="Vie privée"
                )
            ],
        ),
    )
    proposals.proposal_accept(actor=amd_user, proposal=proposal)
    link = OpenByDefaultAssessment.objects.get(asset=asset).ground_links.get()
    assert (link.ground, link.justification_internal, link.public_motive) == (
        ground,
        "Adresses",
        "Vie privée",
    )


def test_a_stale_accept_is_refused_with_a_french_message_and_loses_nothing(
    correspondent_user, amd_user, dinum_user, asset
):
    proposal = propose(correspondent_user, asset)
    services.asset_qualify(
        actor=dinum_user,
        asset=asset,
        qualification=to_publish(datetime.date(2029, 9, 1)),
    )
    before = _counts(asset)
    with pytest.raises(proposals.StaleProposalError) as refused:
        proposals.proposal_accept(actor=amd_user, proposal=proposal)
    message = refused.value.messages[0]
    assert "modifiée depuis cette proposition" in message
    assert str(dinum_user) in message
    assert _counts(asset) == before
    assessment = OpenByDefaultAssessment.objects.get(asset=asset)
    assert assessment.planned_date == datetime.date(2029, 9, 1)  # DINUM's update is kept
    proposal.refresh_from_db()
    assert proposal.status == "PENDING"


def test_reject_needs_a_reason(correspondent_user, amd_user, asset):
    proposal = propose(correspondent_user, asset)
    before = _counts(asset)
    for blank in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            proposals.proposal_reject(actor=amd_user, proposal=proposal, reason=blank)
        assert "motif du refus" in refused.value.message_dict["review_comment"][0]
    assert _counts(asset) == before
    rejected = proposals.proposal_reject(
        actor=amd_user, proposal=proposal, reason="  La date est trop lointaine. "
    )
    assert (rejected.status, rejected.review_comment, rejected.reviewed_by) == (
        "REJECTED",
        "La date est trop lointaine.",
        amd_user,
    )
    assert OpenByDefaultAssessment.objects.get(asset=asset).status == "TO_ASSESS"
    audit = AuditEntry.objects.get(action="assessment.proposal_rejected")
    assert audit.changes == {"motif du refus": [None, "La date est trop lointaine."]}


def test_a_decided_proposal_cannot_be_decided_again(correspondent_user, amd_user, asset):
    proposal = propose(correspondent_user, asset)
    proposals.proposal_reject(actor=amd_user, proposal=proposal, reason="Non")
    with pytest.raises(ValidationError, match="déjà été traitée"):
        proposals.proposal_accept(actor=amd_user, proposal=proposal)
    with pytest.raises(ValidationError, match="déjà été traitée"):
        proposals.proposal_reject(actor=amd_user, proposal=proposal, reason="Encore")
    assert OpenByDefaultAssessment.objects.get(asset=asset).status == "TO_ASSESS"


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("correspondent", PermissionDenied),
        ("sibling_correspondent", PermissionDenied),
        ("ministry_viewer_user", PermissionDenied),
        ("other_amd", Http404),
        ("other_correspondent", Http404),
    ],
)
def test_only_the_ministrys_administrators_and_dinum_decide(
    request, who, error, correspondent_user, ministry, other_ministry, other_organization, asset
):
    from administrators.models import Membership
    from tests.datasets.proposal_helpers import user_with

    actor = {
        "correspondent": lambda: correspondent_user,
        "sibling_correspondent": lambda: correspondent_of(OrganizationFactory(ministry=ministry)),
        "ministry_viewer_user": lambda: request.getfixturevalue("ministry_viewer_user"),
        "other_amd": lambda: user_with(Membership.Role.MINISTRY_ADMIN, other_ministry),
        "other_correspondent": lambda: correspondent_of(other_organization),
    }[who]()
    proposal = propose(correspondent_user, asset)
    with pytest.raises(error):
        proposals.proposal_accept(actor=actor, proposal=proposal)
    with pytest.raises(error):
        proposals.proposal_reject(actor=actor, proposal=proposal, reason="Non")
    proposal.refresh_from_db()
    assert proposal.status == "PENDING"
    assert OpenByDefaultAssessment.objects.get(asset=asset).status == "TO_ASSESS"


def test_only_the_author_withdraws(correspondent_user, organization, amd_user, asset):
    proposal = propose(correspondent_user, asset)
    for other in (correspondent_of(organization), amd_user):
        with pytest.raises(PermissionDenied, match="auteur"):
            proposals.proposal_withdraw(actor=other, proposal=proposal)
    withdrawn = proposals.proposal_withdraw(actor=correspondent_user, proposal=proposal)
    assert withdrawn.status == "WITHDRAWN"
    with pytest.raises(ValidationError, match="plus en attente"):
        proposals.proposal_accept(actor=amd_user, proposal=proposal)


def test_an_accepted_proposal_then_leaves_room_for_a_new_one(correspondent_user, amd_user, asset):
    proposals.proposal_accept(actor=amd_user, proposal=propose(correspondent_user, asset))
    second = propose(correspondent_user, asset, to_publish(datetime.date(2031, 1, 1)))
    assert second.based_on_version == version_of(asset)
    proposals.proposal_accept(actor=amd_user, proposal=second)
    assert OpenByDefaultAssessment.objects.get(asset=asset).planned_date == datetime.date(
        2031, 1, 1
    )


def test_proposals_are_scoped_to_the_callers_ministries(
    correspondent_user, amd_user, dinum_user, ministry, other_organization, asset
):
    from administrators.models import Membership
    from tests.datasets.proposal_helpers import user_with

    mine = propose(correspondent_user, asset)
    foreign_asset = AssetFactory(organization=other_organization)
    foreign = propose(correspondent_of(other_organization), foreign_asset)
    assert list(proposals.proposals_for_user(amd_user)) == [mine]
    assert set(proposals.proposals_for_user(dinum_user)) == {mine, foreign}
    assert list(proposals.proposals_for_user(correspondent_user)) == [mine]
    sibling = correspondent_of(OrganizationFactory(ministry=ministry))
    assert list(proposals.proposals_for_user(sibling)) == []
    viewer = user_with(Membership.Role.VIEWER, ministry)
    assert list(proposals.proposals_for_user(viewer)) == []
    assert list(proposals.proposals_to_review(amd_user)) == [mine]
    assert list(proposals.proposals_to_review(correspondent_user)) == []


def test_accept_checks_the_rules_against_the_entry_as_it_is_now(
    correspondent_user, amd_user, organization
):
    from core.models import Licence
    from tests.datasets.factories import csv_format

    licence = Licence.objects.filter(is_decree_listed=True).first()
    asset = AssetFactory(organization=organization, licence=licence, formats=[csv_format()])
    proposal = propose(
        correspondent_user,
        asset,
        QualificationInput(status="PUBLISHED", published_url="https://www.data.gouv.fr/x"),
    )
    services.asset_update(
        actor=correspondent_user, asset=asset, data={"licence": None}, expected_version=1
    )
    before = _counts(asset)
    with pytest.raises(ValidationError) as refused:
        proposals.proposal_accept(actor=amd_user, proposal=proposal)
    assert "licence" in refused.value.message_dict["licence"][0]
    assert _counts(asset) == before
    proposal.refresh_from_db()
    assert proposal.status == "PENDING"
