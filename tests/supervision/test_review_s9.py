"""Review of the supervision app's writes under concurrency: two requests or tasks writing
the same unique row (a quarter's snapshot, a meeting's attendance, a roadmap's actions) end
without an error page and without a duplicate or half-written result.

Each race is played deterministically: the first writer is stopped where the window is
(through a wrapper of the call it makes there), the second writer runs in a thread on its own
connection until it has committed or waits for a lock the first one holds (`pg_blocking_pids`),
then the first writer goes on. No sleep decides the order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from datasets.models import ImportJob
from supervision import compliance, importing, services
from supervision.models import Attendance, ComplianceSnapshot, Meeting, RoadmapAction
from supervision.quarters import Quarter
from tests.concurrency import Rival
from tests.supervision.helpers import held_copil, published_roadmap

LAST = Quarter.current().previous()

pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="verrous de PostgreSQL")


def _once_in_this_thread(
    monkeypatch: pytest.MonkeyPatch, owner: Any, name: str, before: Callable[[], object]
) -> None:
    """Replace `owner.name` by a wrapper that, at its first call from the test's thread (the
    first writer), runs `before` and then the real call; the rival's calls go straight through."""
    real = getattr(owner, name)
    me = threading.get_ident()
    fired: list[bool] = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == me and not fired:
            fired.append(True)
            before()
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)


# --- Two computations of the same quarter at once ------------------------------------------------


def _rival_while_first_computation_reads(monkeypatch, rival: Rival) -> None:
    """The rival runs to its end while the first computation is inside its consistent read
    (REPEATABLE READ: what the rival commits then is invisible to the first one's reads)."""
    real = compliance.evaluate
    me = threading.get_ident()
    fired: list[bool] = []

    def evaluate(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)  # the first computation's snapshot is taken by now
        if threading.get_ident() == me and not fired:
            fired.append(True)
            assert rival.run_until_done_or_blocked() == "done"  # it holds no lock yet
            rival.finish()
        return result

    monkeypatch.setattr(compliance, "evaluate", evaluate)


@pg_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("already_computed", [False, True], ids=["premier-calcul", "recalcul"])
def test_two_computations_of_a_quarter_at_once_both_succeed_and_keep_the_newer_scores(
    monkeypatch, agd_user, ministry, already_computed
):
    """The « Calculer » button while the nightly task computes the same quarter: before, the
    second to write hit `snapshot_unique_quarter` (first computation) or a serialization
    failure (recomputation), an error page or a failed task."""
    if already_computed:
        services.snapshot_compute(actor=None, quarter=LAST, ministry_ids=[ministry.pk])
    rival = Rival(
        lambda: services.snapshot_compute(actor=None, quarter=LAST, ministry_ids=[ministry.pk])
    )
    _rival_while_first_computation_reads(monkeypatch, rival)

    mine = services.snapshot_compute(actor=agd_user, quarter=LAST, ministry_ids=[ministry.pk])

    theirs = rival.result
    assert len(theirs) == 1 and len(mine) == 1
    kept = ComplianceSnapshot.objects.get(ministry=ministry, year=LAST.year, quarter=LAST.quarter)
    # The rival started after this computation: its scores are the newer ones, they stay.
    assert mine[0].pk == theirs[0].pk == kept.pk
    assert kept.computed_at == theirs[0].computed_at == mine[0].computed_at
    assert ComplianceSnapshot.objects.count() == 1


@pg_only
@pytest.mark.django_db(transaction=True)
def test_a_score_published_during_a_computation_stays_as_published(monkeypatch, agd_user, ministry):
    """Publication of the quarter while it is being recomputed: the published score is not
    rewritten (and the recomputation does not fail on the row the publication changed)."""
    first = services.snapshot_compute(actor=None, quarter=LAST, ministry_ids=[ministry.pk])[0]
    rival = Rival(lambda: services.snapshot_publish(actor=agd_user, quarter=LAST))
    _rival_while_first_computation_reads(monkeypatch, rival)

    again = services.snapshot_compute(actor=agd_user, quarter=LAST, ministry_ids=[ministry.pk])

    assert again == []
    kept = ComplianceSnapshot.objects.get(pk=first.pk)
    assert kept.published and kept.computed_at == first.computed_at


def test_a_computation_writes_its_snapshots_in_three_queries_whatever_the_ministries(
    agd_user, ministry, other_ministry, django_assert_num_queries, monkeypatch
):
    """The upsert itself (insert what is missing, lock, rewrite) is three statements, with or
    without rows already there."""
    values = {}

    def store(quarter, vals, now):
        values.update(vals)
        with django_assert_num_queries(3):
            return real_store(quarter, vals, now)

    real_store = services._snapshots_store
    monkeypatch.setattr(services, "_snapshots_store", store)
    ids = [ministry.pk, other_ministry.pk]
    services.snapshot_compute(actor=agd_user, quarter=LAST, ministry_ids=ids)
    services.snapshot_compute(actor=agd_user, quarter=LAST, ministry_ids=ids)
    assert set(values) == set(ids)
    assert ComplianceSnapshot.objects.filter(ministry_id__in=ids).count() == 2


# --- A meeting's invitations and attendance -----------------------------------------------------


@pg_only
@pytest.mark.django_db(transaction=True)
def test_an_attendance_recorded_while_the_meeting_is_saved_is_kept_without_error(
    monkeypatch, agd_user, dinum_user, ministry, other_ministry
):
    """A ministry invited without its « Invité » row (meetings recorded before the rows
    existed): the meeting's save creates the row while an editor records that ministry's
    presence. Before, both inserted it and the save broke `attendance_unique` (500); now the
    attendance waits for the save, then updates its row."""
    meeting = held_copil(agd_user, ministry)
    meeting.invited_ministries.add(other_ministry)  # invited, no attendance row yet
    rival = Rival(
        lambda: services.attendance_record(
            actor=dinum_user,
            meeting=Meeting.objects.get(pk=meeting.pk),
            ministry=other_ministry,
            status="PRESENT",
        )
    )
    _once_in_this_thread(
        monkeypatch, Attendance.objects, "bulk_create", rival.run_until_done_or_blocked
    )

    services.meeting_save(
        actor=agd_user,
        meeting=meeting,
        data={},
        invited_ministry_ids=[ministry.pk, other_ministry.pk],
    )
    rival.finish()

    rows = dict(Attendance.objects.filter(meeting=meeting).values_list("ministry_id", "status"))
    assert rows == {ministry.pk: "INVITE", other_ministry.pk: "PRESENT"}


@pg_only
@pytest.mark.django_db(transaction=True)
def test_an_attendance_recorded_while_the_ministry_is_uninvited_leaves_no_stray_row(
    monkeypatch, agd_user, dinum_user, ministry, other_ministry
):
    """Attendance recorded while another editor removes the ministry from the invitations:
    before, the removal deleted the row and the attendance created it again for a ministry no
    longer invited (counted in N5's Σ invited). Now one waits for the other."""
    meeting = held_copil(agd_user, ministry, other_ministry)
    rival = Rival(
        lambda: services.meeting_save(
            actor=dinum_user,
            meeting=Meeting.objects.get(pk=meeting.pk),
            data={},
            invited_ministry_ids=[ministry.pk],
        )
    )
    _once_in_this_thread(
        monkeypatch, Attendance.objects, "get_or_create", rival.run_until_done_or_blocked
    )

    try:
        services.attendance_record(
            actor=agd_user, meeting=meeting, ministry=other_ministry, status="PRESENT"
        )
    except ValidationError as exc:  # the removal committed first: refused, in French
        assert "n'est pas invité" in " ".join(exc.messages)
    rival.finish()

    invited = set(meeting.invited_ministries.values_list("pk", flat=True))
    rows = set(Attendance.objects.filter(meeting=meeting).values_list("ministry_id", flat=True))
    assert invited == rows == {ministry.pk}


# --- Roadmap imports --------------------------------------------------------------------------


CSV = b"ref;titre;echeance\nA1;Ouvrir la base;2026-T4\nA2;Publier l'API;2027-T1\n"


@pg_only
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_roadmap_confirmed_at_once_create_each_action_once(
    monkeypatch, amd_user, agd_user, ministry
):
    """The same file uploaded in two tabs (or by two editors), both confirmed at once: before,
    each import missed the actions of the other and every ref was created twice."""
    roadmap = published_roadmap(ministry)
    mine = importing.roadmap_import_start(
        actor=amd_user, roadmap=roadmap, filename="actions.csv", payload=CSV
    )
    other = importing.roadmap_import_start(
        actor=agd_user, roadmap=roadmap, filename="actions.csv", payload=CSV
    )
    rival = Rival(
        lambda: importing.roadmap_import_apply(
            actor=agd_user, job=ImportJob.objects.get(pk=other.pk)
        )
    )
    _once_in_this_thread(monkeypatch, importing, "action_save", rival.run_until_done_or_blocked)

    report = importing.roadmap_import_apply(actor=amd_user, job=mine)
    theirs = rival.finish()

    assert sorted(RoadmapAction.objects.filter(roadmap=roadmap).values_list("ref", flat=True)) == [
        "A1",
        "A2",
    ]
    assert (report["create"], report["update"]) == (2, 0)
    assert (theirs["create"], theirs["update"]) == (0, 2)


def test_an_action_created_between_analysis_and_confirmation_is_updated_and_said_so(
    amd_user, ministry
):
    """The analysis announced a creation; an editor created that ref before the confirmation:
    the import updates it (one action), and the report says « mise à jour », not « créée »."""
    roadmap = published_roadmap(ministry)
    job = importing.roadmap_import_start(
        actor=amd_user, roadmap=roadmap, filename="actions.csv", payload=CSV
    )
    assert (job.report["create"], job.report["update"]) == (2, 0)
    services.action_save(actor=amd_user, roadmap=roadmap, data={"ref": "A1", "title": "Brouillon"})

    report = importing.roadmap_import_apply(actor=amd_user, job=job)

    assert (report["create"], report["update"]) == (1, 1)
    assert RoadmapAction.objects.get(roadmap=roadmap, ref="A1").title == "Ouvrir la base"
    assert RoadmapAction.objects.filter(roadmap=roadmap).count() == 2
    job.refresh_from_db()
    assert (job.report["create"], job.report["update"], job.progress_done) == (1, 1, 2)


def test_the_import_page_reports_what_the_confirmation_did(amd_client, amd_user, ministry):
    roadmap = published_roadmap(ministry)
    job = importing.roadmap_import_start(
        actor=amd_user, roadmap=roadmap, filename="actions.csv", payload=CSV
    )
    services.action_save(actor=amd_user, roadmap=roadmap, data={"ref": "A2", "title": "Brouillon"})
    page = amd_client.post(
        f"/supervision/feuilles-de-route/{roadmap.pk}/import/", {"job": job.pk}, follow=True
    ).content.decode()
    assert "1 actions créées, 1 mises à jour" in page


@pytest.mark.django_db
def test_an_attendance_reads_the_meeting_as_locked_not_as_the_caller_loaded_it(
    agd_user, dinum_user, ministry
):
    """The page loaded the meeting, then someone cancelled it: « Présent » is refused, as on a
    meeting read after the cancellation."""
    meeting = held_copil(agd_user, ministry)
    loaded = Meeting.objects.get(pk=meeting.pk)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.ANNULEE)
    with pytest.raises(ValidationError) as refused:
        services.attendance_record(
            actor=dinum_user, meeting=loaded, ministry=ministry, status="PRESENT"
        )
    assert "annulée ou reportée" in str(refused.value)
    assert Attendance.objects.get(meeting=meeting, ministry=ministry).status == "INVITE"
