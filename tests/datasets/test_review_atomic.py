"""Review: one request, one transaction: a refused change leaves nothing half-written."""

import pytest
from django.utils import timezone

from core.models import AuditEntry
from datasets.models import ExtraFieldDefinition
from tests.datasets.factories import ExtraFieldFactory

pytestmark = pytest.mark.django_db


def test_api_refused_extra_field_update_does_not_restore_the_retired_field(amd_client, ministry):
    field = ExtraFieldFactory(
        ministry=ministry, kind="CHOICE", choices=["A", "B"], retired_at=timezone.now()
    )
    response = amd_client.patch(
        f"/api/v1/datasets/extra-fields/{field.pk}/",
        {"retired_at": None, "choices": [], "version": field.version},
        format="json",
    )
    assert response.status_code == 400
    assert "choix" in str(response.json())
    field.refresh_from_db()
    assert field.retired_at is not None and field.choices == ["A", "B"]
    assert not AuditEntry.objects.filter(action="extra_field.restored").exists()
    assert ExtraFieldDefinition.objects.count() == 1
