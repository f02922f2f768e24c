import pytest
from django.db import IntegrityError, transaction

from administrators.models import DataAdministrator
from core.models import LegalGround, Licence
from tests.factories import MandateFactory

pytestmark = pytest.mark.django_db


def test_reference_tables_are_loaded_by_migration():
    assert LegalGround.objects.filter(code="L311_5_2D_SECURITE_SI", regime="ABSOLU").exists()
    assert Licence.objects.get(spdx_id="etalab-2.0").is_decree_listed
    assert not Licence.objects.get(spdx_id="CC-BY-4.0").is_compliant


def test_home_shows_network_coverage(client, ministry, other_ministry):
    MandateFactory(ministry=ministry)
    response = client.get("/")
    assert response.status_code == 200
    assert "1 / 2" in response.content.decode()


def test_second_open_titular_is_refused_by_the_database(ministry):
    MandateFactory(ministry=ministry)
    with pytest.raises(IntegrityError), transaction.atomic():
        MandateFactory(ministry=ministry)
    assert DataAdministrator.objects.filter(ministry=ministry).count() == 1


def test_overlapping_titular_with_end_date_is_refused_on_postgresql(ministry):
    import datetime

    MandateFactory(ministry=ministry, end_date=datetime.date(2030, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        MandateFactory(ministry=ministry, appointment_date=datetime.date(2025, 1, 1))
