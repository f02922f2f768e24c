"""Values of a ministry's own fields read the French way on the entry page and its history
(QA pass: « 12.5 » and « 2025-06-15 » on the page)."""

import pytest

from datasets import services
from tests.datasets.factories import AssetFactory, ExtraFieldFactory

pytestmark = pytest.mark.django_db


def test_numbers_and_dates_of_own_fields_read_in_french(amd_client, amd_user, organization):
    ministry = organization.ministry
    ExtraFieldFactory(ministry=ministry, code="volume", label="Volume (Go)", kind="NUMBER")
    ExtraFieldFactory(ministry=ministry, code="revue", label="Dernière revue", kind="DATE")
    asset = AssetFactory(organization=organization)
    services.asset_update(
        actor=amd_user,
        asset=asset,
        data={},
        extra={"volume": "12500,5", "revue": "15/06/2025"},
        expected_version=asset.version,
    )
    asset.refresh_from_db()
    assert asset.extra == {"volume": 12500.5, "revue": "2025-06-15"}  # stored as data
    page = amd_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert "12\xa0500,5" in page and "12500.5" not in page
    assert "15/06/2025" in page and "2025-06-15" not in page


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (2016, "2016"),  # a year: not grouped
        (12500.5, "12\xa0500,5"),
        (0.1 + 0.2, "0,3"),
        ([1.5, 2], "1,5 ; 2"),
        (3.0, "3"),
        (["a", "b"], "a, b"),
    ],
)
def test_numbers_read_the_french_way(value, shown):
    from datasets.history import plain

    assert plain(value) == shown
