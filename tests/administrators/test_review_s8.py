"""Review of the network app (session 8): each test states a problem found by using the portal
as each role, and the behaviour now expected."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from administrators import services
from administrators.models import Ministry
from tests.factories import (
    MinistryFactory,
)

pytestmark = pytest.mark.django_db


def _staff_client(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    return client


# --- ministries: successor cycles -----------------------------------------------------------


def test_a_successor_cycle_between_two_ministries_is_refused(agd_user, ministry, other_ministry):
    services.ministry_update(actor=agd_user, ministry=ministry, data={"successor": other_ministry})
    with pytest.raises(ValidationError) as exc:
        services.ministry_update(
            actor=agd_user, ministry=other_ministry, data={"successor": ministry}
        )
    assert "successor" in exc.value.message_dict
    assert "cycle" in exc.value.message_dict["successor"][0]
    other_ministry.refresh_from_db()
    assert other_ministry.successor_id is None


def test_a_longer_successor_cycle_is_refused_in_the_admin_too(ministry, other_ministry):
    third = MinistryFactory()
    Ministry.objects.filter(pk=ministry.pk).update(successor=other_ministry)
    Ministry.objects.filter(pk=other_ministry.pk).update(successor=third)
    third.successor = ministry
    with pytest.raises(ValidationError) as exc:
        third.full_clean()
    assert "successor" in exc.value.message_dict
