"""Snapshots (reproducible, idempotent, consistent), roadmaps and meetings: services and tasks."""

from __future__ import annotations

import contextlib
import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.audit import audit_record, diff, snapshot
from datasets import services as dataset_services
from datasets.models import AssetStateHistory, DataAsset, OpenByDefaultAssessment
from datasets.validation import QualificationInput
from supervision import compliance, services, tasks
from supervision.models import (
    ActionItem,
    ActionStatusUpdate,
    Attendance,
    ComplianceSnapshot,
    Meeting,
    Minutes,
    RoadmapAction,
)
from supervision.quarters import Quarter
from tests.factories import MandateFactory, MinistryFactory
from tests.supervision.helpers import PUBLISHED_OK, aware, published_roadmap, state, states

LAST = Quarter.current().previous()


def _inside_last_quarter(days: int = 10) -> datetime.datetime:
    return aware(LAST.end - datetime.timedelta(days=days))


def test_closed_quarter_recomputed_after_edits_gives_identical_numbers(
    agd_user, ministry, organization
):
    MandateFactory(ministry=ministry)
    ministry.prada_name = "Claude PRADA"
    ministry.save()
    for i in range(4):
        state(
            ministry,
            asset_id=500 + i,
            at=_inside_last_quarter(),
            **{**PUBLISHED_OK, "licence_compliant": i % 2 == 0},
        )
    roadmap = published_roadmap(ministry)
    action = services.action_save(
        actor=agd_user,
        roadmap=roadmap,
        recorded_at=_inside_last_quarter(20),
        data={"title": "Ouvrir la base", "due_date": LAST.start, "status": "EN_COURS"},
    )
    first = services.snapshot_compute(actor=agd_user, quarter=LAST)[0]
    detail, total = first.criteria_detail, first.score_total

    # Edits after the quarter closed: entries, the ministry's PRADA (audited), the action.
    for i in range(4):
        state(ministry, asset_id=500 + i, **{**PUBLISHED_OK, "licence_compliant": False})
    states(ministry, 5, status="TO_ASSESS")
    before = snapshot(ministry, ["prada_name", "prada_url"])
    ministry.prada_name, ministry.prada_url = "", "https://www.interieur.gouv.fr/prada"
    ministry.save()
    audit_record(
        actor=agd_user,
        action="ministry.updated",
        target=ministry,
        changes=diff(before, snapshot(ministry, ["prada_name", "prada_url"])),
    )
    services.action_save(
        actor=agd_user,
        roadmap=roadmap,
        action=action,
        data={"status": "REALISEE", "evidence_url": "https://exemple.gouv.fr/p"},
    )

    again = services.snapshot_compute(actor=agd_user, quarter=LAST)[0]
    assert again.pk == first.pk and ComplianceSnapshot.objects.count() == 1
    assert again.criteria_detail == detail and again.score_total == total
    assert detail["Q1"]["numerator"] == 2 and detail["G2"]["value"] == 0.5
    assert detail["S2"]["numerator"] == 0 and detail["S2"]["denominator"] == 1
    # The current quarter does see the edits.
    live = compliance.evaluate([ministry.pk], timezone.now())[ministry.pk]
    assert live.results["Q1"].numerator == 0 and live.results["S2"].value == 1


def test_current_quarter_from_history_agrees_with_the_live_inventory(
    agd_user, ministry, organization
):
    """Entries written through the inventory services: the engine (reading the history) and
    counts taken from the live tables give the same numbers."""
    today = timezone.localdate()
    specs = [
        ("PUBLISHED", "L312_1_1_3_DATABASES", None),
        ("TO_PUBLISH", "L312_1_1_4_PUBLIC_INTEREST", today + datetime.timedelta(days=30)),
        ("TO_PUBLISH", "L312_1_1_3_DATABASES", today - datetime.timedelta(days=3)),
        ("TO_ASSESS", "L312_1_1_3_DATABASES", None),
        ("TO_ASSESS", "NONE", None),
    ]
    for i, (status, basis, planned) in enumerate(specs):
        asset = dataset_services.asset_create(
            actor=agd_user,
            data={
                "organization": organization,
                "title": f"Base {i}",
                "description": "Exemple",
                "contact_service": "contact@interieur.gouv.fr",
                "service": "DLPAJ",
                "update_frequency": "ANNUELLE",
                "geo_coverage": "France",
                "last_updated_at": today,
                "keywords": ["exemple"],
                "asset_type": "BASE_DE_DONNEES",
            },
        )
        if status != "TO_ASSESS" or basis != "NONE":
            with contextlib.suppress(ValidationError):  # a refused publication stays as it was
                dataset_services.asset_qualify(
                    actor=agd_user,
                    asset=asset,
                    qualification=QualificationInput(
                        status=status,
                        obligation_basis=basis,
                        planned_date=planned,
                        published_url="https://www.data.gouv.fr/fr/datasets/x/"
                        if status == "PUBLISHED"
                        else "",
                    ),
                )
    ev = compliance.evaluate([ministry.pk], timezone.now())[ministry.pk]
    live = OpenByDefaultAssessment.objects.filter(ministry=ministry)
    published = {"PUBLISHED", "PUBLISHED_AFTER_OCCULTATION"}
    to_publish = {"TO_PUBLISH", "TO_PUBLISH_AFTER_OCCULTATION"}
    bases = compliance.L312_BASIS_CODES
    o1_den = live.exclude(obligation_basis="NONE").count()
    o1_num = live.exclude(obligation_basis="NONE").exclude(status="TO_ASSESS").count()
    o2 = live.filter(obligation_basis__in=bases, status__in=published | to_publish)
    o3 = live.filter(status__in=to_publish)
    assert ev.context.asset_total == DataAsset.objects.filter(ministry=ministry).count() == 5
    assert ev.context.assets["O1"] == (o1_num, o1_den)
    assert ev.context.assets["O2"] == (o2.filter(status__in=published).count(), o2.count())
    assert ev.context.assets["O3"] == (o3.filter(planned_date__gte=today).count(), o3.count())
    assert o3.count() >= 1


def test_rows_recorded_after_the_computation_instant_are_not_seen(agd_user, ministry):
    """A recomputation while entries are being edited reads the history up to a fixed instant."""
    now = timezone.now()
    states(ministry, 2, catalogue_complete=True)
    state(ministry, at=now + datetime.timedelta(seconds=5), catalogue_complete=False)
    snap = services.snapshot_compute(actor=agd_user, quarter=Quarter.current(), now=now)[0]
    assert (
        snap.criteria_detail["I2"]["numerator"] == 2
        and snap.criteria_detail["I2"]["denominator"] == 2
    )


def test_future_quarter_is_refused_in_french_and_nothing_written(agd_user, ministry):
    with pytest.raises(ValidationError, match="n'a pas commencé"):
        services.snapshot_compute(actor=agd_user, quarter=Quarter.current().next())
    assert not ComplianceSnapshot.objects.exists()


def test_only_network_staff_compute_snapshots(amd_user, ministry):
    with pytest.raises(PermissionDenied):
        services.snapshot_compute(actor=amd_user, quarter=LAST)


def test_publishing_needs_a_closed_and_computed_quarter(agd_user, ministry):
    with pytest.raises(ValidationError, match="trimestre clos"):
        services.snapshot_publish(actor=agd_user, quarter=Quarter.current())
    with pytest.raises(ValidationError, match="Aucun score"):
        services.snapshot_publish(actor=agd_user, quarter=LAST)
    services.snapshot_compute(actor=agd_user, quarter=LAST)
    assert services.snapshot_publish(actor=agd_user, quarter=LAST) == 1
    assert ComplianceSnapshot.objects.get().published


def test_quarter_task_is_idempotent_and_defaults_to_the_quarter_just_closed(
    ministry, other_ministry
):
    assert tasks.compute_quarter_snapshots() == 2
    assert tasks.compute_quarter_snapshots() == 2
    assert ComplianceSnapshot.objects.count() == 2
    assert set(ComplianceSnapshot.objects.values_list("year", "quarter")) == {
        (LAST.year, LAST.quarter)
    }
    assert tasks.refresh_current_quarter() == 2


def test_beat_schedule_freezes_quarters_on_the_first_day_of_each_quarter():
    from core.schedules import collect_beat_schedule

    entry = collect_beat_schedule()["supervision-close-quarter"]
    assert entry["task"] == "supervision.tasks.compute_quarter_snapshots"
    assert entry["schedule"].month_of_year == {1, 4, 7, 10}
    assert entry["schedule"].day_of_month == {1}


def test_snapshot_keeps_algorithm_version_and_full_detail(agd_user, ministry):
    snap = services.snapshot_compute(actor=agd_user, quarter=LAST)[0]
    assert snap.algorithm_version == compliance.ALGORITHM_VERSION
    assert set(snap.criteria_detail) == set(compliance.REGISTRY)
    assert snap.criteria_detail["O5"]["na"] is True
    assert snap.as_of == LAST.end_datetime()


# --- Roadmaps ----------------------------------------------------------------------------------


def test_action_done_without_evidence_is_refused_and_nothing_written(amd_user, ministry):
    roadmap = published_roadmap(ministry)
    with pytest.raises(ValidationError) as exc:
        services.action_save(
            actor=amd_user, roadmap=roadmap, data={"title": "Ouvrir", "status": "REALISEE"}
        )
    assert "preuve" in str(exc.value)
    assert not RoadmapAction.objects.exists() and not ActionStatusUpdate.objects.exists()


def test_action_abandoned_without_reason_is_refused(amd_user, ministry):
    roadmap = published_roadmap(ministry)
    action = services.action_save(actor=amd_user, roadmap=roadmap, data={"title": "Ouvrir"})
    with pytest.raises(ValidationError, match="motif d'abandon"):
        services.action_save(
            actor=amd_user,
            roadmap=roadmap,
            action=action,
            data={"status": "ABANDONNEE", "abandon_reason": "  "},
        )
    action.refresh_from_db()
    assert action.status == "A_LANCER" and action.updates.count() == 1


def test_action_status_changes_are_historised_and_quarter_sets_due_date(amd_user, ministry):
    roadmap = published_roadmap(ministry)
    action = services.action_save(
        actor=amd_user, roadmap=roadmap, data={"title": "Ouvrir", "due_quarter": "2025-T3"}
    )
    assert action.due_date == datetime.date(2025, 9, 30)
    services.action_save(
        actor=amd_user,
        roadmap=roadmap,
        action=action,
        data={"status": "EN_COURS", "progress_pct": 40},
        comment="Lancement",
    )
    services.action_save(actor=amd_user, roadmap=roadmap, action=action, data={"description": "x"})
    updates = list(action.updates.order_by("recorded_at", "id"))
    assert [(u.old_status, u.new_status) for u in updates] == [
        ("", "A_LANCER"),
        ("A_LANCER", "EN_COURS"),
    ]
    assert updates[1].comment == "Lancement"


def test_ministry_admin_cannot_edit_another_ministrys_roadmap(amd_user, other_ministry):
    roadmap = published_roadmap(other_ministry)
    with pytest.raises(PermissionDenied):
        services.action_save(actor=amd_user, roadmap=roadmap, data={"title": "Intrus"})


def test_publishing_a_new_version_replaces_the_previous_one(amd_user, ministry):
    old = published_roadmap(ministry)
    new = services.roadmap_save(
        actor=amd_user,
        ministry=ministry,
        data={
            "title": "Feuille de route 2025-2027",
            "version": "2",
            "status": "PUBLIEE",
            "period_start": datetime.date(2025, 1, 1),
            "period_end": datetime.date(2027, 12, 31),
            "published_on": datetime.date(2025, 2, 1),
            "supersedes": old,
            "url": "https://exemple.gouv.fr/fdr",
        },
    )
    old.refresh_from_db()
    assert old.status == "REMPLACEE" and old.replaced_on == datetime.date(2025, 2, 1)
    assert new.supersedes_id == old.pk


# --- Meetings ----------------------------------------------------------------------------------


@pytest.fixture
def plenary(agd_user, ministry):
    return services.meeting_save(
        actor=agd_user,
        data={
            "meeting_type": "PLENIERE_TRIMESTRIELLE",
            "title": "Plénière",
            "date": datetime.date(2026, 1, 20),
            "status": "TENUE",
        },
        invited_ministry_ids=[ministry.pk],
    )


def test_sprint_needs_its_ministry(agd_user):
    with pytest.raises(ValidationError, match="concerne un ministère"):
        services.meeting_save(
            actor=agd_user,
            data={
                "meeting_type": "SPRINT_OPEN_DATA",
                "title": "Sprint",
                "date": datetime.date(2026, 1, 1),
            },
        )
    assert not Meeting.objects.exists()


def test_attendance_only_for_invited_ministries(agd_user, plenary, ministry):
    outsider = MinistryFactory()
    with pytest.raises(ValidationError, match="pas invité"):
        services.attendance_record(
            actor=agd_user, meeting=plenary, ministry=outsider, status="PRESENT"
        )
    att = services.attendance_record(
        actor=agd_user, meeting=plenary, ministry=ministry, status="PRESENT"
    )
    assert att.status == "PRESENT" and Attendance.objects.count() == 1


def test_represented_needs_the_representative(agd_user, plenary, ministry):
    with pytest.raises(ValidationError, match="représentait"):
        services.attendance_record(
            actor=agd_user, meeting=plenary, ministry=ministry, status="REPRESENTE"
        )


@pytest.mark.parametrize(
    "body",
    ["<script>x</script>", "<iframe src=x>", "[a](javascript:x)", "<img src=x onerror=alert(1)>"],
)
def test_unsafe_minutes_refused(agd_user, plenary, body):
    with pytest.raises(ValidationError, match="contenu interdit"):
        services.minutes_save(actor=agd_user, meeting=plenary, body=body)
    assert not Minutes.objects.exists()


def test_minutes_are_versioned(agd_user, plenary):
    services.minutes_save(actor=agd_user, meeting=plenary, body="v1")
    second = services.minutes_save(actor=agd_user, meeting=plenary, body="v2", status="APPROUVE")
    assert second.version == 2 and second.approved_at == timezone.localdate()


def test_action_item_due_before_meeting_refused_and_overdue_computed(agd_user, plenary, ministry):
    with pytest.raises(ValidationError, match="précède la réunion"):
        services.action_item_save(
            actor=agd_user,
            meeting=plenary,
            data={"description": "X", "due_date": datetime.date(2026, 1, 19)},
        )
    assert not ActionItem.objects.exists()
    item = services.action_item_save(
        actor=agd_user,
        meeting=plenary,
        data={
            "description": "X",
            "due_date": datetime.date(2026, 1, 20),
            "owner_ministry": ministry,
        },
    )
    assert item.is_overdue == (timezone.localdate() > datetime.date(2026, 1, 20))
    item = services.action_item_save(
        actor=agd_user, meeting=plenary, item=item, data={"status": "FAITE"}
    )
    assert item.closed_at == timezone.localdate() and not item.is_overdue


def test_meeting_writes_are_for_network_staff(amd_user):
    with pytest.raises(PermissionDenied):
        services.meeting_save(
            actor=amd_user,
            data={
                "meeting_type": "COPIL_BIMESTRIEL",
                "title": "COPIL",
                "date": datetime.date(2026, 1, 1),
            },
        )


def test_history_rows_are_never_written_by_supervision(agd_user, ministry):
    count = AssetStateHistory.objects.count()
    services.snapshot_compute(actor=agd_user, quarter=LAST)
    assert AssetStateHistory.objects.count() == count


# --- Maturity levels (§7 N21) ------------------------------------------------------------------


def _exemplary(ministry):
    from datasets.models import RIPPublication

    MandateFactory(ministry=ministry)
    ministry.prada_name, ministry.prada_act_ref = "PRADA", "Arrêté du 2 mai 2022"
    ministry.dpo_email, ministry.dpo_cnil_notified = "dpo@interieur.gouv.fr", True
    ministry.save()
    published_roadmap(ministry)
    RIPPublication.objects.create(ministry=ministry, year=2026, published_at=timezone.localdate())
    states(ministry, 20, **{**PUBLISHED_OK, "last_updated_at": timezone.localdate()})


def test_maturity_l3_without_impact_evidence_and_l4_with_it(agd_user, ministry):
    from trainings.models import Event, ImpactIndicator, Measurement

    _exemplary(ministry)
    current = Quarter.current()
    snap = services.snapshot_compute(actor=agd_user, quarter=current)[0]
    assert snap.score_total == 100 and snap.red_flags == []
    assert snap.maturity_level == 3
    indicator = ImpactIndicator.objects.create(
        code="telechargements",
        name="Téléchargements",
        level="MINISTERE",
        source="API_DATA_GOUV",
        frequency="TRIMESTRIELLE",
        direction="HAUSSE_SOUHAITEE",
    )
    for q in (current.previous(), current):
        Measurement.objects.create(
            indicator=indicator,
            ministry=ministry,
            period_start=q.start,
            period_end=q.end,
            value=1200,
            collected_at=timezone.now(),
        )
    event = Event.objects.create(
        event_type="HACKATHON",
        title="Hackathon",
        start=timezone.localdate() - datetime.timedelta(days=30),
    )
    event.ministries.add(ministry)
    assert services.snapshot_compute(actor=agd_user, quarter=current)[0].maturity_level == 4


def test_maturity_l2_needs_roadmap_inventory_prada_and_dpo(agd_user, ministry):
    MandateFactory(ministry=ministry)
    published_roadmap(ministry)
    states(ministry, 20, status="TO_ASSESS")
    assert (
        services.snapshot_compute(actor=agd_user, quarter=Quarter.current())[0].maturity_level == 1
    )
    ministry.prada_name, ministry.dpo_email = "PRADA", "dpo@interieur.gouv.fr"
    ministry.save()
    assert (
        services.snapshot_compute(actor=agd_user, quarter=Quarter.current())[0].maturity_level == 2
    )


def test_computation_reads_one_repeatable_read_snapshot_on_postgresql(db):
    """Checked on a second connection (outside the test's transaction), as in production."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("REPEATABLE READ is a PostgreSQL guarantee; SQLite serialises writers.")
    connections["rr_probe"] = connections.create_connection("default")
    probe = connections["rr_probe"]
    try:
        with services.consistent_read(using="rr_probe"), probe.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            assert cursor.fetchone()[0] == "repeatable read"
        with connection.cursor() as cursor:  # the test's own connection stays as it was
            cursor.execute("SHOW transaction_isolation")
            assert cursor.fetchone()[0] == "read committed"
    finally:
        probe.close()
        del connections["rr_probe"]


def test_closed_quarter_ignores_later_audited_edits_of_the_titular_mandate(agd_user, ministry):
    mandate = MandateFactory(ministry=ministry, appointment_act_ref="", appointment_act_url="")
    first = services.snapshot_compute(actor=agd_user, quarter=LAST)[0]
    assert first.criteria_detail["G1"]["value"] == 0.5
    before = snapshot(mandate, ["appointment_act_ref", "end_date"])
    mandate.appointment_act_ref = "NOR PRMX2112345A"
    mandate.end_date = LAST.start  # ended, recorded after the quarter closed
    mandate.save()
    audit_record(
        actor=agd_user,
        action="mandate.updated",
        target=mandate,
        changes=diff(before, snapshot(mandate, ["appointment_act_ref", "end_date"])),
    )
    again = services.snapshot_compute(actor=agd_user, quarter=LAST)[0]
    assert again.criteria_detail["G1"] == first.criteria_detail["G1"]
    assert again.red_flags == first.red_flags
    live = compliance.evaluate([ministry.pk], timezone.now())[ministry.pk]
    assert live.results["G1"].value == 0  # the current quarter sees the edit


def test_mandate_recorded_after_the_quarter_still_counts_from_its_appointment_date(
    agd_user, ministry
):
    mandate = MandateFactory(ministry=ministry)
    audit_record(
        actor=agd_user,
        action="mandate.created",
        target=mandate,
        changes=diff({}, snapshot(mandate)),
    )
    snap = services.snapshot_compute(actor=agd_user, quarter=LAST)[0]
    assert snap.criteria_detail["G1"]["value"] == 1
