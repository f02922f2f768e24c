"""Review: the import's bulk update never overwrites an edit saved after it read the entries."""

import pytest
from django.core.exceptions import ValidationError

from datasets import importing, services
from datasets.models import DataAsset
from tests.datasets.test_import import analyse, apply, csv_bytes, row

pytestmark = pytest.mark.django_db


def test_an_edit_saved_while_the_import_applies_is_not_overwritten(
    amd_user, ministry, organization
):
    apply(analyse(amd_user, ministry, csv_bytes([row(), row("Deuxième jeu")])), amd_user)
    data = csv_bytes([row(couv_geo="France entière"), row("Deuxième jeu", description="Neuve")])
    plan = importing.build_plan(ministry, importing.read_source(data, "f.csv", ministry))
    first = DataAsset.objects.get(title="Arbres vivants")
    # Someone saves the first entry after the import read it (the file does not change this
    # column for that row, but the bulk update writes the column for every updated row).
    services.asset_update(
        actor=amd_user, asset=first, data={"description": "Saisie concurrente"}, expected_version=1
    )
    with pytest.raises(ValidationError) as exc:
        importing.apply_plan(plan, actor=amd_user)
    assert "pendant l'import" in exc.value.messages[0]
    first.refresh_from_db()
    assert (first.description, first.geo_coverage) == (
        "Saisie concurrente",
        "France métropolitaine",
    )
    assert DataAsset.objects.get(title="Deuxième jeu").description != "Neuve"
