"""The import's bulk writes over many rows: COPY streamed in pieces, instances built from one
template, columns every row shares written once (issue #3 §6, performance targets)."""

from __future__ import annotations

import pytest

from core.models import AuditEntry
from datasets import importing, validation
from datasets.models import AssetStateHistory, DataAsset, OpenByDefaultAssessment
from tests.datasets.test_import import analyse, apply, csv_bytes, row

ROWS = 640  # more than two pieces of the COPY stream


@pytest.mark.django_db
def test_many_rows_are_written_whole_audited_and_described_then_left_alone(
    amd_user, ministry, organization
):
    rows = [
        row(
            f"Jeu n°{i}",
            description=f"Ligne {i}\tavec\\une\nbarre" if i % 7 == 0 else f"Jeu {i}",
            format="CSV" if i % 2 else "CSV,JSON",
            licence="" if i % 5 == 0 else "Licence ouverte",
        )
        for i in range(ROWS)
    ]
    data = csv_bytes(rows)
    job = apply(analyse(amd_user, ministry, data), amd_user)
    assert job.report["written"] == {"created": ROWS, "updated": 0}

    assets = {a.title: a for a in DataAsset.objects.prefetch_related("formats")}
    assert len(assets) == ROWS
    for i in (0, 1, 5, 7, ROWS - 1):
        asset = assets[f"Jeu n°{i}"]
        assert asset.description == (f"Ligne {i}\tavec\\une\nbarre" if i % 7 == 0 else f"Jeu {i}")
        assert sorted(f.name for f in asset.formats.all()) == (
            ["CSV"] if i % 2 else ["CSV", "JSON"]
        )
        assert (asset.licence_id is None) == (i % 5 == 0)
        assert asset.ministry_id == ministry.pk and asset.organization_id == organization.pk
        assert asset.created_by_id == amd_user.pk and asset.version == 1
        assert asset.keywords == ["arbre", "forêt"] and asset.extra == {}
        assert asset.import_key == importing.import_key(asset.title, organization.pk)
    # One qualification, one audit entry (by the importer) and one fact per entry.
    assert OpenByDefaultAssessment.objects.filter(ministry=ministry).count() == ROWS
    audits = AuditEntry.objects.filter(action="asset.created")
    assert audits.count() == ROWS
    assert set(audits.values_list("actor_id", "ministry_id")) == {(amd_user.pk, ministry.pk)}
    fields = [
        f.name
        for f in AssetStateHistory._meta.concrete_fields
        if f.name not in ("id", "recorded_at")
    ]
    facts = {f.asset_id_ref: f for f in AssetStateHistory.objects.all()}
    assert len(facts) == ROWS
    for asset in DataAsset.objects.filter(title__in=["Jeu n°0", "Jeu n°3"]):
        expected = validation.state_row(asset)
        assert {f: getattr(facts[asset.pk], f) for f in fields} == {
            f: getattr(expected, f) for f in fields
        }

    # The same file again: nothing to write.
    counts = (DataAsset.objects.count(), AuditEntry.objects.count())
    again = apply(analyse(amd_user, ministry, data), amd_user)
    assert again.report["counts"]["unchanged"] == ROWS
    assert (DataAsset.objects.count(), AuditEntry.objects.count()) == counts


@pytest.mark.django_db
def test_new_instances_match_keyword_construction(ministry, organization):
    common = {"ministry_id": ministry.pk, "created_by_id": None}
    rows = [
        {"title": "Un", "organization_id": organization.pk, "keywords": ["a"]},
        {"title": "Deux", "organization_id": organization.pk},
    ]
    objs, shared = importing.new_instances(DataAsset, rows, **common)
    for obj, values in zip(objs, rows, strict=True):
        expected = DataAsset(**common, **values)
        assert {k: v for k, v in obj.__dict__.items() if k != "_state"} == {
            k: v for k, v in expected.__dict__.items() if k != "_state"
        }
        assert obj._state.adding
    # Defaults built by a callable are one object per instance, never shared.
    assert objs[0].extra is not objs[1].extra
    assert "ministry_id" in shared and "title" not in shared and "extra" not in shared
