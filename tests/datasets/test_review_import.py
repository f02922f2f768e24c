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


def test_revert_across_an_import_update_restores_the_licence(
    amd_user, amd_client, ministry, organization
):
    from core.audit import history_for

    apply(analyse(amd_user, ministry, csv_bytes([row()])), amd_user)
    asset = DataAsset.objects.get()
    first_licence = asset.licence_id
    services.asset_update(
        actor=amd_user, asset=asset, data={"geo_coverage": "Bretagne"}, expected_version=1
    )
    target = history_for(asset).first()
    apply(
        analyse(amd_user, ministry, csv_bytes([row(licence="ODbL", couv_geo="Bretagne")])), amd_user
    )
    asset.refresh_from_db()
    assert asset.licence_id != first_licence
    response = amd_client.post(
        f"/inventaire/{asset.pk}/versions/{target.pk}/revenir/", {"version": asset.version}
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.licence_id == first_licence


def test_import_writes_are_audited_per_entry_with_their_author(amd_user, ministry, organization):
    from core.models import AuditEntry

    apply(analyse(amd_user, ministry, csv_bytes([row(), row("Deuxième jeu")])), amd_user)
    apply(analyse(amd_user, ministry, csv_bytes([row(couv_geo="Bretagne")])), amd_user)
    created = AuditEntry.objects.filter(action="asset.created")
    assert created.count() == 2
    assert {(e.actor_id, e.ministry_id) for e in created} == {(amd_user.pk, ministry.pk)}
    updated = AuditEntry.objects.get(action="asset.updated")
    assert updated.changes["geo_coverage"] == ["France métropolitaine", "Bretagne"]
    assert updated.object_id == str(DataAsset.objects.get(title="Arbres vivants").pk)
