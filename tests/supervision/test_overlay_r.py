"""Overlay R of the compliance score (DOMAIN §6.3): SPD reference-data producers only.

score = 0.9 × base + R (R out of 10, its N/A criteria renormalised like the base's); the facts
come from the compliance log, so a closed quarter recomputes R identically."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import Licence
from datasets import services as dataset_services
from datasets.models import (
    AssetStateHistory,
    Format,
    ReferenceDataDesignation,
    SpdReferenceDataset,
)
from supervision import compliance, services
from supervision.compliance import NA, OVERLAY_REGISTRY, Ratio, score, with_overlay
from supervision.models import ComplianceSnapshot
from supervision.quarters import Quarter
from tests.supervision.helpers import asset, aware, state
from tests.supervision.test_compliance import WORKED_EXAMPLE
from trainings.models import ImpactIndicator, Measurement

DESIGNATED = {"regime": "SPD_R321_5", "status": "DESIGNATED"}


def _spd(frequency: str = "MONTHLY") -> SpdReferenceDataset:
    spd, _ = SpdReferenceDataset.objects.get_or_create(
        code=f"TEST_{frequency}",
        defaults={
            "label": f"Référentiel de test ({frequency})",
            "producer_label": "DINUM",
            "legal_frequency": frequency,
        },
    )
    return spd


def _complete_entry(ministry, organization, **fields):
    """An entry carrying the 8 metadata of the arrêté's annex 1°."""
    values = {
        "title": "Répertoire de test",
        "keywords": ["référence"],
        "update_frequency": "MENSUELLE",
        "geo_coverage": "France entière",
        "last_updated_at": timezone.localdate() - datetime.timedelta(days=10),
        "licence": Licence.objects.first(),
    }
    values.update(fields)
    entry = asset(ministry, organization, **values)
    fmt, _ = Format.objects.get_or_create(
        name="CSV", defaults={"is_open": True, "machine_readable": True}
    )
    entry.formats.add(fmt)
    return entry


def _designate(actor, entry, spd, **fields):
    data = {**DESIGNATED, "spd_dataset": spd, **fields}
    return dataset_services.reference_designate(actor=actor, asset=entry, data=data)


def _availability(
    entry, kind: str, value: str, *, days_ago: int = 20, end: datetime.date | None = None
) -> Measurement:
    indicator, _ = ImpactIndicator.objects.get_or_create(
        code=compliance.AVAILABILITY_INDICATORS[kind],
        defaults={
            "name": f"Disponibilité mensuelle ({kind})",
            "unit": "%",
            "level": ImpactIndicator.Level.ACTIF,
            "source": ImpactIndicator.Source.SAISIE_MANUELLE,
            "frequency": ImpactIndicator.Frequency.MENSUELLE,
        },
    )
    end = end or timezone.localdate() - datetime.timedelta(days=days_ago)
    return Measurement.objects.create(
        indicator=indicator,
        period_start=end - datetime.timedelta(days=29),
        period_end=end,
        ministry_id=entry.ministry_id,
        asset=entry,
        value=Decimal(value),
        collected_at=timezone.now(),
    )


def _evaluate(ministry, as_of=None):
    return compliance.evaluate([ministry.pk], as_of or timezone.now())[ministry.pk]


def _exact_base(ev) -> float:
    base = score(ev.results)
    return 100 * base.raw_points / base.applicable_weight


# --- The arithmetic, by hand -------------------------------------------------------------------


def test_overlay_criteria_weigh_10_with_a_legal_basis():
    assert list(OVERLAY_REGISTRY) == ["R1", "R2", "R3", "R4"]
    assert [c.weight for c in OVERLAY_REGISTRY.values()] == [3, 3, 2, 2]
    for c in OVERLAY_REGISTRY.values():
        assert c.axis == "R" and "14 juin 2017" in c.legal_basis and c.nature == "légal"
    assert len(compliance.REGISTRY) == 21  # the base is untouched


def test_worked_example_0_9_times_base_plus_r():
    # Base: §6.5's ministry X, 74.58 points over 93 applicable = 80.19 (shown 80.2).
    base = score(WORKED_EXAMPLE)
    assert base.total == Decimal("80.2")
    # R1 6/8 metadata = 2.25; R2 1/1 on time = 3; R3 (0.5 + 1) / 2 = 0.75 → 1.5; R4 1/1 = 2.
    overlay: dict[str, compliance.Result] = {
        "R1": Ratio(6, 8),
        "R2": Ratio(1, 1),
        "R3": Ratio(1.5, 2),
        "R4": Ratio(1, 1),
    }
    combined = with_overlay(base, overlay)
    # R = 2.25 + 3 + 1.5 + 2 = 8.75; 0.9 × 80.193 + 8.75 = 80.92 → 80.9.
    assert combined.by_axis["R"]["r_points"] == 8.75
    assert combined.total == Decimal("80.9")
    assert combined.band == "CONFORME"
    # Coverage: 0.9 × 93 % + 10 (all of R applies) = 93.7 %.
    assert combined.coverage == Decimal("93.7")
    assert combined.by_axis["R"]["base_total"] == 80.2
    assert combined.by_axis["G"] == base.by_axis["G"]


def test_r3_not_applicable_renormalises_r_to_the_other_weights():
    base = score(WORKED_EXAMPLE)
    overlay: dict[str, compliance.Result] = {
        "R1": Ratio(6, 8),
        "R2": Ratio(1, 1),
        "R3": NA("pas de mesure"),
        "R4": Ratio(1, 1),
    }
    combined = with_overlay(base, overlay)
    # 2.25 + 3 + 2 = 7.25 points over 8 applicable → R = 10 × 7.25 / 8 = 9.0625.
    assert combined.by_axis["R"]["applicable_max"] == 8
    assert combined.by_axis["R"]["r_points"] == 9.062  # rounded to 3 decimals for storage
    # 0.9 × 80.193 + 9.0625 = 81.24 → 81.2; coverage 0.9 × 93 + 8 = 91.7 %.
    assert combined.total == Decimal("81.2")
    assert combined.coverage == Decimal("91.7")


# --- From the records ------------------------------------------------------------------------


def test_spd_producer_score_is_0_9_base_plus_r_from_its_records(ministry, organization, agd_user):
    spd = _spd("MONTHLY")  # tolerance 45 days
    fresh = _complete_entry(ministry, organization, title="Fresh")
    _designate(agd_user, fresh, spd, process_info_url="https://example.gouv.fr/processus")
    # Stale (60 days > 45) and missing licence, keywords and coverage: 5 of the 8 metadata.
    stale = asset(
        ministry,
        organization,
        title="Stale",
        update_frequency="MENSUELLE",
        last_updated_at=timezone.localdate() - datetime.timedelta(days=60),
    )
    stale.formats.add(Format.objects.get(name="CSV"))
    _designate(agd_user, stale, spd)
    _availability(fresh, "download", "98.01")  # 98.01 / 99 = 0.99
    _availability(fresh, "api", "99.7")  # above 99.5 → 1
    _availability(stale, "download", "99.2")  # above 99 → 1

    ev = _evaluate(ministry)
    detail = ev.criteria_detail()
    assert ev.overlay_applies
    assert (detail["R1"]["numerator"], detail["R1"]["denominator"]) == (13, 16)
    assert (detail["R2"]["numerator"], detail["R2"]["denominator"]) == (1, 2)
    assert detail["R3"]["denominator"] == 3 and detail["R3"]["value"] == pytest.approx(0.9967, 1e-3)
    assert (detail["R4"]["numerator"], detail["R4"]["denominator"]) == (1, 2)
    assert detail["R1"]["overlay"] is True and "G1" in detail and "overlay" not in detail["G1"]
    # R = 3 × 13/16 + 3 × 1/2 + 2 × 2.99/3 + 2 × 1/2 = 2.4375 + 1.5 + 1.9933 + 1 = 6.9308
    r = 3 * 13 / 16 + 3 * 0.5 + 2 * (0.99 + 1 + 1) / 3 + 2 * 0.5
    assert ev.score.by_axis["R"]["r_points"] == pytest.approx(r, abs=1e-3)
    expected = Decimal(str(0.9 * _exact_base(ev) + r)).quantize(Decimal("0.1"))
    assert ev.score.total == expected
    assert ev.score.total != score(ev.results).total
    titles = [e["title"] for e in ev.score.by_axis["R"]["entries"]]
    assert sorted(titles) == ["Fresh", "Stale"]


def test_ministry_without_spd_designation_is_unaffected(
    ministry, organization, other_ministry, other_organization, agd_user
):
    spd = _spd()
    _designate(agd_user, _complete_entry(ministry, organization), spd)
    # Other ministry: a candidate and an SPD designation not yet designated by decree.
    _designate(
        agd_user, _complete_entry(other_ministry, other_organization), None, regime="CANDIDATE"
    )
    _designate(
        agd_user, _complete_entry(other_ministry, other_organization), spd, status="PROPOSED"
    )
    ev = _evaluate(other_ministry)
    assert not ev.overlay_applies
    assert ev.score == score(ev.results)
    assert "R" not in ev.score.by_axis
    assert set(ev.criteria_detail()) == set(compliance.REGISTRY)
    assert _evaluate(ministry).overlay_applies


def test_r3_is_not_applicable_without_measurements_and_r_is_renormalised(
    ministry, organization, agd_user
):
    entry = _complete_entry(ministry, organization)
    _designate(agd_user, entry, _spd(), process_info_url="https://example.gouv.fr/processus")
    _availability(entry, "download", "90", days_ago=120)  # outside the three months
    ev = _evaluate(ministry)
    detail = ev.criteria_detail()
    assert detail["R3"]["na"] is True
    assert compliance.AVAILABILITY_INDICATORS["download"] in detail["R3"]["reason"]
    assert [detail[c]["value"] for c in ("R1", "R2", "R4")] == [1, 1, 1]
    assert ev.score.by_axis["R"]["r_points"] == 10  # 8 of 8 applicable points, back to 10
    base_cov = 100 * score(ev.results).applicable_weight / 100
    assert ev.score.coverage == Decimal(str(0.9 * base_cov + 8)).quantize(Decimal("0.1"))


def test_designating_an_entry_records_the_overlay_facts(ministry, organization, agd_user):
    entry = _complete_entry(ministry, organization, keywords=[])
    spd = _spd()
    _designate(agd_user, entry, spd, process_info_url="https://example.gouv.fr/processus")
    row = AssetStateHistory.objects.filter(asset_id_ref=entry.pk).latest("recorded_at", "id")
    assert (row.reference_regime, row.reference_status, row.spd_dataset_ref) == (
        "SPD_R321_5",
        "DESIGNATED",
        spd.pk,
    )
    assert row.process_info_published is True
    assert row.annex1_metadata == 7  # no keywords


def test_migration_backfills_the_log_of_designated_entries(ministry, organization):
    migration = importlib.import_module(
        "datasets.migrations.0005_asset_state_reference_overlay_facts"
    )
    entry = _complete_entry(ministry, organization)
    spd = _spd()
    ReferenceDataDesignation.objects.create(
        asset=entry,
        ministry=ministry,
        spd_dataset=spd,
        process_info_url="https://example.gouv.fr/processus",
        **DESIGNATED,
    )
    old = state(ministry, asset_id=entry.pk)  # written before the migration: no overlay facts
    untouched = state(ministry)
    migration.backfill(django_apps, None)
    old.refresh_from_db()
    untouched.refresh_from_db()
    assert (old.annex1_metadata, old.reference_status, old.spd_dataset_ref) == (
        8,
        "DESIGNATED",
        spd.pk,
    )
    assert old.reference_regime == "SPD_R321_5" and old.process_info_published is True
    assert untouched.reference_regime == "" and untouched.spd_dataset_ref is None


def test_query_count_of_the_evaluation_does_not_grow_with_reference_entries(
    ministry, organization, agd_user
):
    spd = _spd()

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            _evaluate(ministry)
        return len(ctx.captured_queries)

    entry = _complete_entry(ministry, organization)
    _designate(agd_user, entry, spd)
    _availability(entry, "download", "99.5")
    one = count()
    for i in range(4):
        more = _complete_entry(ministry, organization, title=f"Référentiel {i}")
        _designate(agd_user, more, spd)
        _availability(more, "api", "99.9")
    assert count() == one


# --- Closed quarters ---------------------------------------------------------------------------


def test_closed_quarter_recomputes_r_identically_from_the_log(ministry, organization, agd_user):
    spd = _spd("QUARTERLY")
    entry = _complete_entry(ministry, organization)
    last = Quarter.current().previous()
    before_end = aware(last.end - datetime.timedelta(days=5))
    # The facts as of the last quarter: designated, 6 of 8 metadata, updated in time, no page.
    state(
        ministry,
        asset_id=entry.pk,
        at=before_end,
        annex1_metadata=6,
        last_updated_at=last.end - datetime.timedelta(days=30),
        reference_regime="SPD_R321_5",
        reference_status="DESIGNATED",
        spd_dataset_ref=spd.pk,
    )
    end = last.end - datetime.timedelta(days=10)
    measured = _availability(entry, "download", "49.5", end=end)  # 0.5 of the target
    Measurement.objects.filter(pk=measured.pk).update(created_at=before_end)

    first = services.snapshot_compute(actor=agd_user, quarter=last, ministry_ids=[ministry.pk])[0]
    assert first.criteria_detail["R1"]["value"] == 0.75
    assert first.criteria_detail["R2"]["value"] == 1
    assert first.criteria_detail["R3"]["value"] == 0.5
    assert first.criteria_detail["R4"]["value"] == 0
    r = first.score_by_axis["R"]["r_points"]
    assert r == pytest.approx(3 * 0.75 + 3 + 2 * 0.5 + 0)

    # Since then: the page is published, the metadata completed, a late measurement entered…
    _designate(agd_user, entry, spd, process_info_url="https://example.gouv.fr/processus")
    _availability(entry, "download", "10", end=last.end - datetime.timedelta(days=3))
    # …and the designation withdrawn: the current quarter no longer carries the overlay.
    _designate(agd_user, entry, spd, status="WITHDRAWN")
    assert not _evaluate(ministry).overlay_applies

    again = services.snapshot_compute(actor=agd_user, quarter=last, ministry_ids=[ministry.pk])[0]
    assert again.criteria_detail == first.criteria_detail
    assert again.score_by_axis == first.score_by_axis
    assert again.score_total == first.score_total and again.coverage == first.coverage


# --- The drill-down page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "own", "other"),
    [
        ("anon_client", 302, 302),
        ("plain_client", 404, 404),
        ("trainer_client", 404, 404),
        ("correspondent_client", 200, 404),
        ("amd_client", 200, 404),
        ("viewer_client", 200, 200),
        ("dinum_client", 200, 200),
        ("agd_client", 200, 200),
    ],
)
def test_drilldown_shows_overlay_r_within_the_drilldown_scope(
    request,
    client_name,
    own,
    other,
    ministry,
    organization,
    other_ministry,
    other_organization,
    agd_user,
):
    spd = _spd()
    _designate(agd_user, _complete_entry(ministry, organization), spd)
    _designate(agd_user, _complete_entry(other_ministry, other_organization), spd)
    services.snapshot_compute(actor=agd_user, quarter=Quarter.current())
    client = request.getfixturevalue(client_name)
    for m, expected in ((ministry, own), (other_ministry, other)):
        response = client.get(f"/supervision/ministeres/{m.code}/")
        assert response.status_code == expected
        html = response.content.decode()
        shown = "Surcouche R — producteur de données de référence (SPD)" in html
        assert shown is (expected == 200)
        if shown:
            for code, c in OVERLAY_REGISTRY.items():
                assert f"{code} — {c.label}" in html
                assert c.legal_basis in html
            assert "Surcouche R (producteur de données de référence R321-5) appliquée" in html
            assert "Répertoire de test" in html


def test_drilldown_says_when_the_overlay_does_not_apply(agd_client, ministry):
    html = agd_client.get(f"/supervision/ministeres/{ministry.code}/").content.decode()
    assert "ne s'applique pas" in html and "R1 — " not in html


def test_csv_lists_r_after_the_base_criteria(agd_client, agd_user, ministry, organization):
    _designate(agd_user, _complete_entry(ministry, organization), _spd())
    services.snapshot_compute(actor=agd_user, quarter=Quarter.current())
    text = agd_client.get(f"/supervision/ministeres/{ministry.code}/export.csv").content.decode(
        "utf-8-sig"
    )
    codes = [line.split(";")[0] for line in text.splitlines()[1:]]
    assert codes == [*compliance.REGISTRY, *OVERLAY_REGISTRY]


@pytest.mark.parametrize("size", [0, 1, 4])
def test_drilldown_query_count_is_flat_with_overlay(
    size, agd_client, agd_user, ministry, organization, django_assert_num_queries
):
    spd = _spd()
    for i in range(size):
        _designate(agd_user, _complete_entry(ministry, organization, title=f"Réf. {i}"), spd)
    services.snapshot_compute(actor=agd_user, quarter=Quarter.current())
    assert ("R" in ComplianceSnapshot.objects.get(ministry=ministry).score_by_axis) is bool(size)
    url = f"/supervision/ministeres/{ministry.code}/"
    agd_client.get(url)
    # The same with or without the overlay: R is read from the stored snapshot.
    with django_assert_num_queries(14):
        assert agd_client.get(url).status_code == 200
