"""Fixtures shared by the qualification-proposal tests (pages, API, revert, notifications)."""

import pytest

from administrators.models import Membership
from tests.datasets.factories import AssetFactory
from tests.datasets.proposal_helpers import correspondent_of, login, user_with
from tests.factories import OrganizationFactory


@pytest.fixture
def asset(organization):
    return AssetFactory(organization=organization, title="Registre des associations")


@pytest.fixture
def other_amd_client(other_ministry):
    return login(user_with(Membership.Role.MINISTRY_ADMIN, other_ministry))


@pytest.fixture
def ministry_viewer_client(ministry_viewer_user):
    return login(ministry_viewer_user)


@pytest.fixture
def sibling_correspondent_client(ministry):
    return login(correspondent_of(OrganizationFactory(ministry=ministry)))
