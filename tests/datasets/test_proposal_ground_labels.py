"""A proposal's legal grounds are shown by their label, not their internal code (QA pass)."""

import pytest

from core.models import LegalGround
from datasets.validation import GroundInput, QualificationInput
from tests.datasets.proposal_helpers import propose

pytestmark = pytest.mark.django_db


def test_the_pending_proposal_names_its_ground(correspondent_user, amd_client, asset):
    ground = LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE")
    propose(
        correspondent_user,
        asset,
        QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(
                    ground=ground,
                    public_motive="Vie privée des victimes",
                    justification_internal="Noms des victimes",
                )
            ],
        ),
    )
    body = amd_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert ground.label in body
    assert "motif public : Vie privée des victimes" in body
    assert "L311_6_1_VIE_PRIVEE" not in body
