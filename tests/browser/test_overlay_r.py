"""The ministry drill-down with overlay R (DOMAIN §6.3) in a real browser, checked by axe-core."""

import datetime

import pytest
from django.utils import timezone

from administrators.models import Membership
from datasets import services as dataset_services
from datasets.models import SpdReferenceDataset
from supervision import services
from supervision.quarters import Quarter
from tests.factories import (
    MandateFactory,
    MembershipFactory,
    MinistryFactory,
    OrganizationFactory,
    UserFactory,
)
from tests.supervision.helpers import asset


@pytest.fixture
def producer(transactional_db):
    ministry = MinistryFactory(code="interieur", name="Ministère de l'Intérieur")
    MandateFactory(ministry=ministry)
    agd = UserFactory(email="agd@exemple.gouv.fr")
    MembershipFactory(user=agd, role=Membership.Role.CHIEF_DATA_OFFICER, ministry=None)
    spd, _ = SpdReferenceDataset.objects.get_or_create(
        code="TEST_RNA",
        defaults={
            "label": "Répertoire de test",
            "producer_label": "DLPAJ",
            "legal_frequency": "MONTHLY",
        },
    )
    entry = asset(
        ministry,
        OrganizationFactory(ministry=ministry),
        title="Répertoire national de test",
        last_updated_at=timezone.localdate() - datetime.timedelta(days=80),
    )
    dataset_services.reference_designate(
        actor=agd,
        asset=entry,
        data={"regime": "SPD_R321_5", "status": "DESIGNATED", "spd_dataset": spd},
    )
    services.snapshot_compute(actor=agd, quarter=Quarter.current())
    return {"agd": agd, "ministry": ministry}


def test_drilldown_with_overlay_r_passes_axe(page, producer, login_as, assert_accessible):
    login_as(page, producer["agd"])
    page.goto("/supervision/ministeres/interieur/")
    assert page.get_by_role(
        "heading", name="Surcouche R — producteur de données de référence (SPD)"
    ).is_visible()
    assert page.get_by_text("R3 — Disponibilité").is_visible()
    assert_accessible(page)
