"""`manage.py load_reference_data` again over loaded tables: rows the files describe as they
stand are not written (a legal reference keeps its date, the guides citing it are not flagged
for review); a row that differs from its file is put back, and only then dated."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from core.models import LegalGround, LegalReference, Licence, PersonalDataCategory
from guides.selectors import versions_needing_review
from tests.guides.factories import published_guide

pytestmark = pytest.mark.django_db


def _stamps():
    return dict(LegalReference.objects.values_list("code", "updated_at"))


def test_reloading_unchanged_tables_writes_nothing_and_flags_no_guide():
    reference = LegalReference.objects.get(code="CRPA_L311-6")
    guide = published_guide()
    guide.published_version.legal_references.add(reference)
    before = _stamps()
    counts = (
        LegalReference.objects.count(),
        LegalGround.objects.count(),
        Licence.objects.count(),
        PersonalDataCategory.objects.count(),
    )
    call_command("load_reference_data", verbosity=0)
    assert _stamps() == before
    assert not versions_needing_review().exists()
    assert counts == (
        LegalReference.objects.count(),
        LegalGround.objects.count(),
        Licence.objects.count(),
        PersonalDataCategory.objects.count(),
    )


def test_a_row_that_differs_from_its_file_is_put_back_and_dated():
    reference = LegalReference.objects.get(code="CRPA_L311-6")
    guide = published_guide()
    guide.published_version.legal_references.add(reference)
    excerpt = reference.excerpt
    LegalReference.objects.filter(pk=reference.pk).update(excerpt="Modifié à la main.")
    stamps = _stamps()
    before = stamps.pop(reference.code)
    ground = LegalGround.objects.filter(legal_reference__isnull=False).first()
    LegalGround.objects.filter(pk=ground.pk).update(legal_reference=None, label="Autre libellé")
    call_command("load_reference_data", verbosity=0)
    reference.refresh_from_db()
    assert reference.excerpt == excerpt
    assert reference.updated_at > before
    assert list(versions_needing_review()) == [guide.published_version]
    ground.refresh_from_db()
    assert ground.legal_reference_id is not None
    assert ground.label != "Autre libellé"
    after = _stamps()
    assert after.pop(reference.code) > before
    assert after == stamps
