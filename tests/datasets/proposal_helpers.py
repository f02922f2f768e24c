"""Helpers of the qualification-proposal tests (test_proposals_*.py)."""

from __future__ import annotations

import datetime
from typing import Any

from rest_framework.test import APIClient

from administrators.models import Membership
from datasets import proposals
from datasets.models import OpenByDefaultAssessment, QualificationProposal
from datasets.validation import QualificationInput
from tests.factories import MembershipFactory, UserFactory


def login(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def user_with(role: str, ministry: Any = None, organizations: tuple[Any, ...] = ()) -> Any:
    user = UserFactory()
    membership = MembershipFactory(user=user, role=role, ministry=ministry)
    if organizations:
        membership.organizations.add(*organizations)
    return user


def correspondent_of(organization: Any) -> Any:
    return user_with(Membership.Role.CORRESPONDENT, organization.ministry, (organization,))


def to_publish(day: datetime.date = datetime.date(2030, 1, 15)) -> QualificationInput:
    return QualificationInput(status="TO_PUBLISH", planned_date=day)


def version_of(asset: Any) -> int:
    return OpenByDefaultAssessment.objects.get(asset=asset).version


def propose(
    user: Any, asset: Any, qualification: QualificationInput | None = None, **kwargs: Any
) -> QualificationProposal:
    kwargs.setdefault("based_on_version", version_of(asset))
    proposal, _ = proposals.proposal_submit(
        actor=user, asset=asset, qualification=qualification or to_publish(), **kwargs
    )
    return proposal


FORM = {
    "status": "TO_PUBLISH",
    "obligation_basis": "NONE",
    "personal_data_basis": "NOT_APPLICABLE",
    "planned_date": "2030-01-15",
    "rows": 3,
    "pending": 0,
}
