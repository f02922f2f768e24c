"""The apply writes the dry run's normalised rows (kept in the job) when nothing they were
computed from changed since; otherwise it recomputes the plan as before (issue #3 §6)."""

from __future__ import annotations

import pytest
from django.db import transaction

from core.models import AuditEntry
from datasets import importing, services
from datasets.models import (
    AssessmentGround,
    AssessmentHistory,
    AssetStateHistory,
    AssetType,
    DataAsset,
    ImportJob,
    OpenByDefaultAssessment,
)
from tests.datasets.test_import import HEADER, analyse, apply, csv_bytes, row

pytestmark = pytest.mark.django_db

QUAL_HEADER = HEADER + ",statut_ouverture,motifs,justification,date_publication_prevue"


class _Rollback(Exception):
    pass


def _no_recompute(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the plan was recomputed")

    monkeypatch.setattr(importing, "build_plan", refuse)
    monkeypatch.setattr(importing, "read_source", refuse)


def _recomputes(monkeypatch):
    calls = []
    original = importing.build_plan

    def spy(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(importing, "build_plan", spy)
    return calls


def _snapshot(job):
    """What the apply wrote, without ids and times (they differ from one run to the next)."""
    title = dict(DataAsset.objects.values_list("pk", "title"))
    skip = {"id", "created_at", "updated_at", "search_vector"}
    entries = sorted(
        tuple(sorted((k, repr(v)) for k, v in e.items() if k not in skip))
        for e in DataAsset.objects.values()
    )
    formats = sorted(
        DataAsset.formats.through.objects.values_list("dataasset__title", "format__name")
    )
    assessments = sorted(
        OpenByDefaultAssessment.objects.values_list(
            "asset__title", "status", "obligation_basis", "planned_date", "published_url", "version"
        )
    )
    grounds = sorted(
        AssessmentGround.objects.values_list(
            "assessment__asset__title", "ground__code", "justification_internal"
        )
    )
    history = sorted(
        (t, s, repr(d), c)
        for t, s, d, c in AssessmentHistory.objects.values_list(
            "asset__title", "status", "data", "comment"
        )
    )
    fact_fields = [
        f.attname
        for f in AssetStateHistory._meta.concrete_fields
        if f.attname not in ("id", "recorded_at", "asset_id_ref")
    ]
    facts = sorted(
        (title.get(f.asset_id_ref), *(getattr(f, n) for n in fact_fields))
        for f in AssetStateHistory.objects.all()
    )
    audits = sorted(
        (a, r, repr(c))
        for a, r, c in AuditEntry.objects.values_list("action", "object_repr", "changes")
    )
    job.refresh_from_db()
    report = {k: v for k, v in job.report.items() if k != "rows"}
    report_rows = [{**r, "asset_id": title.get(r["asset_id"])} for r in job.report["rows"]]
    return entries, formats, assessments, grounds, history, facts, audits, report, report_rows


def _mixed_file(organization):
    return csv_bytes(
        [
            row("Existant", description="Nouvelle description", licence="ODbL"),
            row("Inchangé"),
            row(
                "Nouveau qualifié",
                statut_ouverture="Non communicable",
                motifs="L311_6_1_VIE_PRIVEE",
                justification="Contient des dossiers individuels.",
            ),
            row("Nouveau simple", format="JSON,Parquet", licence=""),
            row("Rejeté", org="Organisation inconnue"),
        ],
        header=QUAL_HEADER,
    )


def _existing(amd_user, ministry):
    apply(analyse(amd_user, ministry, csv_bytes([row("Existant"), row("Inchangé")])), amd_user)


def test_the_apply_writes_the_dry_runs_rows_as_a_recomputed_plan_would(
    amd_user, ministry, organization, monkeypatch
):
    _existing(amd_user, ministry)
    job = analyse(amd_user, ministry, _mixed_file(organization))
    assert job.report["counts"] == {"created": 2, "updated": 1, "unchanged": 1, "rejected": 1}
    assert job.normalised_plan  # kept by the dry run
    # From the stored rows: the file is neither read nor validated again.
    with monkeypatch.context() as patched:
        _no_recompute(patched)
        try:
            with transaction.atomic():
                apply(job, amd_user)
                assert job.state == ImportJob.State.APPLIED
                assert bytes(job.normalised_plan) == b""  # dropped with the file
                stored = _snapshot(job)
                raise _Rollback
        except _Rollback:
            pass
    # The same job, recomputed from the file: the very same rows, audit, facts and report.
    job.refresh_from_db()
    assert job.state == ImportJob.State.ANALYSED and job.normalised_plan
    ImportJob.objects.filter(pk=job.pk).update(normalised_plan=b"")
    job.refresh_from_db()
    calls = _recomputes(monkeypatch)
    apply(job, amd_user)
    assert calls == [1]
    assert _snapshot(job) == stored
    assert stored[-2]["written"] == {"created": 2, "updated": 1}
    # Idempotence: the same file once more changes nothing, through the stored rows too.
    count = AuditEntry.objects.count()
    again = analyse(amd_user, ministry, _mixed_file(organization))
    assert again.report["counts"] == {"created": 0, "updated": 0, "unchanged": 4, "rejected": 1}
    with monkeypatch.context() as patched:
        _no_recompute(patched)
        again = apply(again, amd_user)
    assert again.report["written"] == {"created": 0, "updated": 0}
    assert AuditEntry.objects.count() == count


def test_an_entry_created_since_the_dry_run_is_not_created_twice(
    amd_user, ministry, organization, monkeypatch
):
    job = analyse(amd_user, ministry, csv_bytes([row("Nouveau jeu")]))
    assert job.report["counts"]["created"] == 1
    # Someone creates the same entry in the interface before the import is confirmed.
    services.asset_create(
        actor=amd_user,
        data={
            "title": "Nouveau jeu",
            "description": "Saisie dans le portail.",
            "organization": organization,
            "asset_type": AssetType.BASE_DE_DONNEES,
        },
    )
    calls = _recomputes(monkeypatch)
    job = apply(job, amd_user)
    assert calls == [1]  # the stored rows no longer describe the inventory: recomputed
    assert DataAsset.objects.filter(title="Nouveau jeu").count() == 1
    assert job.report["counts"]["created"] == 0
    assert job.report["written"] == {"created": 0, "updated": 1}


def test_an_entry_edited_since_the_dry_run_keeps_the_edit(
    amd_user, ministry, organization, monkeypatch
):
    _existing(amd_user, ministry)
    job = analyse(amd_user, ministry, csv_bytes([row("Existant", description="Du fichier")]))
    assert job.report["counts"]["updated"] == 1
    asset = DataAsset.objects.get(title="Existant")
    services.asset_update(actor=amd_user, asset=asset, data={"acronym": "ABC"}, expected_version=1)
    calls = _recomputes(monkeypatch)
    apply(job, amd_user)
    assert calls == [1]
    asset.refresh_from_db()
    # The file's column is written, the edit of another column stays.
    assert (asset.description, asset.acronym) == ("Du fichier", "ABC")
    assert asset.version == 3


def test_an_organisation_renamed_since_the_dry_run_is_matched_again(
    amd_user, ministry, organization, monkeypatch
):
    job = analyse(amd_user, ministry, csv_bytes([row("Nouveau jeu")]))
    assert job.report["counts"]["created"] == 1
    organization.name = "Direction renommée"
    organization.save()
    calls = _recomputes(monkeypatch)
    job = apply(job, amd_user)
    assert calls == [1]
    assert job.report["counts"] == {"created": 0, "updated": 0, "unchanged": 0, "rejected": 1}
    assert not DataAsset.objects.exists()


def test_a_plan_from_another_version_of_the_code_is_recomputed(
    amd_user, ministry, organization, monkeypatch
):
    job = analyse(amd_user, ministry, csv_bytes([row("Nouveau jeu")]))
    monkeypatch.setattr(importing, "PLAN_FORMAT", importing.PLAN_FORMAT + 1)
    calls = _recomputes(monkeypatch)
    job = apply(job, amd_user)
    assert calls == [1]
    assert job.report["written"] == {"created": 1, "updated": 0}


def test_a_cancelled_job_drops_its_stored_rows(amd_user, amd_client, ministry, organization):
    job = analyse(amd_user, ministry, csv_bytes([row("Nouveau jeu")]))
    assert job.normalised_plan
    response = amd_client.post(f"/inventaire/import/{job.pk}/annuler/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == ImportJob.State.CANCELLED
    assert (bytes(job.payload), bytes(job.normalised_plan)) == (b"", b"")


def test_the_garbage_collector_is_paused_during_the_work_then_resumed(
    amd_user, ministry, organization, monkeypatch
):
    import gc

    seen = []
    original = importing.apply_plan

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(importing, "apply_plan", spy)
    assert gc.isenabled()
    job = apply(analyse(amd_user, ministry, csv_bytes([row("Nouveau jeu")])), amd_user)
    assert job.report["written"] == {"created": 1, "updated": 0}
    assert seen == [False] and gc.isenabled()
    # Paused by the caller already: left paused.
    gc.disable()
    try:
        analyse(amd_user, ministry, csv_bytes([row("Autre jeu")]))
        assert not gc.isenabled()
    finally:
        gc.enable()
