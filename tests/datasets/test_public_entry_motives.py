"""The public page of an entry that is not public says why: each ground's label and its public
motive, never the internal justification (QA pass: « Non publique » alone)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import LegalGround
from datasets import services
from datasets.validation import GroundInput, QualificationInput
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_a_not_communicable_entry_gives_its_public_motives(anon_client, agd_user, organization):
    asset = AssetFactory(organization=organization, visibility="PUBLISHED")
    ground = LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE")
    services.asset_qualify(
        actor=agd_user,
        asset=asset,
        qualification=QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(
                    ground=ground,
                    justification_internal="Adresses personnelles des victimes",
                    public_motive="Protection de la vie privée des personnes citées",
                )
            ],
        ),
    )
    with CaptureQueriesContext(connection) as ctx:
        body = anon_client.get(f"/inventaire/catalogue/{asset.pk}/").content.decode()
    assert "Non publique" in body
    assert f"{ground.label} : Protection de la vie privée des personnes citées" in body
    assert "Adresses personnelles" not in body
    assert len(ctx.captured_queries) == 3  # the entry, its formats, its grounds


def test_a_published_entry_shows_no_motive_and_costs_no_more(anon_client, organization):
    asset = AssetFactory(organization=organization, visibility="PUBLISHED")
    with CaptureQueriesContext(connection) as ctx:
        body = anon_client.get(f"/inventaire/catalogue/{asset.pk}/").content.decode()
    assert '<ul class="fr-mb-0">' not in body
    assert len(ctx.captured_queries) == 2
