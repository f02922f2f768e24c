"""Review: a reference-data designation under DINUM's instruction is DINUM's to change."""

import pytest
from django.core.exceptions import ValidationError

from datasets import services
from datasets.models import ReferenceDataDesignation, SpdReferenceDataset
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db


def _data(**over):
    data = {"regime": "SPD_R321_5", "status": "PROPOSED", "change_notice_days": 90}
    data["spd_dataset"] = SpdReferenceDataset.objects.order_by("code").first()
    return {**data, **over}


@pytest.mark.parametrize(
    "change",
    [{"status": "PROPOSED"}, {"regime": "CANDIDATE", "spd_dataset": None}, {"decree_ref": "X"}],
)
def test_ministry_admin_cannot_change_or_withdraw_a_designated_reference(
    amd_user, agd_user, organization, change
):
    asset = AssetFactory(organization=organization)
    services.reference_designate(actor=amd_user, asset=asset, data=_data())
    services.reference_designate(actor=agd_user, asset=asset, data=_data(status="DESIGNATED"))
    with pytest.raises(ValidationError) as refused:
        services.reference_designate(
            actor=amd_user, asset=asset, data=_data(**{"status": "DESIGNATED", **change})
        )
    assert "seule peut la modifier" in refused.value.message_dict["status"][0]
    designation = ReferenceDataDesignation.objects.get(asset=asset)
    assert (designation.status, designation.regime, designation.decree_ref) == (
        "DESIGNATED",
        "SPD_R321_5",
        "",
    )
    # Saving it unchanged stays possible (the form posts every field), and DINUM may change it.
    services.reference_designate(actor=amd_user, asset=asset, data=_data(status="DESIGNATED"))
    services.reference_designate(actor=agd_user, asset=asset, data=_data(status="PROPOSED"))
