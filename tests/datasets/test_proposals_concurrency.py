"""Qualification proposals under real parallel transactions (one connection per thread, all
started together behind a barrier): one pending proposal per entry, one decision per proposal."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from administrators.models import Membership
from datasets import proposals, services
from datasets.models import OpenByDefaultAssessment, QualificationProposal
from tests.datasets.factories import AssetFactory
from tests.datasets.proposal_helpers import correspondent_of, propose, to_publish, user_with
from tests.factories import MinistryFactory, OrganizationFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _together(calls):
    barrier = threading.Barrier(len(calls), timeout=30)
    outcomes: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            outcomes[i] = call()
        except BaseException as exc:  # collected and checked in the main thread
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return outcomes


def test_simultaneous_proposals_leave_one_pending():
    organization = OrganizationFactory(ministry=MinistryFactory())
    asset = AssetFactory(organization=organization)
    version = OpenByDefaultAssessment.objects.get(asset=asset).version
    people = [correspondent_of(organization) for _ in range(6)]
    outcomes = _together(
        [
            lambda user=user: propose(user, asset, based_on_version=version, read_pending=0)
            for user in people
        ]
    )
    won = [o for o in outcomes if isinstance(o, QualificationProposal)]
    lost = [o for o in outcomes if isinstance(o, services.ConcurrentEditError)]
    assert (len(won), len(lost)) == (1, 5), outcomes
    assert QualificationProposal.objects.filter(asset=asset, status="PENDING").get() == won[0]


def test_simultaneous_decisions_keep_one():
    ministry = MinistryFactory()
    organization = OrganizationFactory(ministry=ministry)
    asset = AssetFactory(organization=organization)
    proposal = propose(correspondent_of(organization), asset, to_publish())
    first, second = (user_with(Membership.Role.MINISTRY_ADMIN, ministry) for _ in range(2))
    outcomes = _together(
        [
            lambda: proposals.proposal_accept(actor=first, proposal=proposal.pk),
            lambda: proposals.proposal_reject(actor=second, proposal=proposal.pk, reason="Non"),
        ]
    )
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 1 and "déjà été traitée" in refused[0].messages[0], outcomes
    proposal.refresh_from_db()
    applied = OpenByDefaultAssessment.objects.get(asset=asset).status == "TO_PUBLISH"
    assert applied is (proposal.status == "ACCEPTED")
    assert proposal.status in ("ACCEPTED", "REJECTED")


def test_a_qualification_saved_while_a_revert_runs_is_never_overwritten(monkeypatch):
    """The save lands between the revert's version check and its write: it either waits for
    the revert and is refused, or (before the check) makes the revert refused; never both
    written with the save lost."""
    import datetime

    from datasets.models import AssessmentHistory
    from datasets.validation import QualificationInput

    ministry = MinistryFactory()
    asset = AssetFactory(organization=OrganizationFactory(ministry=ministry))
    admin = user_with(Membership.Role.MINISTRY_ADMIN, ministry)

    def qualify(day, version):
        return services.asset_qualify(
            actor=admin,
            asset=asset,
            qualification=QualificationInput(status="TO_PUBLISH", planned_date=day),
            expected_version=version,
        )

    qualify(datetime.date(2030, 1, 1), 1)
    first = AssessmentHistory.objects.filter(asset=asset).order_by("pk").first()
    qualify(datetime.date(2031, 1, 1), 2)  # version 3: what the revert's page showed
    original = services.asset_qualify
    outcome: dict[str, object] = {}

    def save_meanwhile():
        try:
            outcome["save"] = qualify(datetime.date(2032, 1, 1), 3)
        except BaseException as exc:
            outcome["save"] = exc
        finally:
            connections.close_all()

    def revert_step(**kwargs):
        if kwargs.get("action") == "assessment.reverted":
            other = threading.Thread(target=save_meanwhile)
            other.start()
            other.join(timeout=0.5)  # blocked on the row lock: still running
            outcome["thread"] = other
        return original(**kwargs)

    monkeypatch.setattr(services, "asset_qualify", revert_step)
    services.asset_revert(actor=admin, asset=asset, history_id=first.pk, expected_version=3)
    outcome["thread"].join(timeout=30)  # type: ignore[attr-defined]
    assert isinstance(outcome["save"], services.ConcurrentEditError), outcome
    assessment = OpenByDefaultAssessment.objects.get(asset=asset)
    assert (assessment.planned_date, assessment.version) == (datetime.date(2030, 1, 1), 4)
