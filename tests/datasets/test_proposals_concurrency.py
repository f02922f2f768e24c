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
