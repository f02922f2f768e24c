"""Publishing a quarter already published (seed_demo run twice, a double click) writes nothing."""

import pytest

from core.models import AuditEntry
from supervision import services
from supervision.models import ComplianceSnapshot
from supervision.quarters import Quarter

pytestmark = pytest.mark.django_db

LAST = Quarter.current().previous()


def test_publishing_again_records_nothing_and_unpublishing_records_once(agd_user, ministry):
    services.snapshot_compute(actor=agd_user, quarter=LAST)
    audited = AuditEntry.objects.filter(action__startswith="compliance.")
    assert services.snapshot_publish(actor=agd_user, quarter=LAST) == 1
    assert audited.filter(action="compliance.published").count() == 1
    assert services.snapshot_publish(actor=agd_user, quarter=LAST) == 1
    assert audited.filter(action="compliance.published").count() == 1
    assert ComplianceSnapshot.objects.get().published

    assert services.snapshot_publish(actor=agd_user, quarter=LAST, published=False) == 1
    assert services.snapshot_publish(actor=agd_user, quarter=LAST, published=False) == 1
    assert audited.filter(action="compliance.unpublished").count() == 1
    assert not ComplianceSnapshot.objects.get().published
