"""Writes of the supervision app: `<noun>_<verb>(*, actor, ...)`, atomic, validated, audited."""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from administrators.models import Ministry
from core.access import access_for
from core.audit import audit_record, diff, snapshot
from core.concurrency import ensure_unchanged
from core.markdown import validate_safe_markdown
from supervision import compliance, selectors
from supervision.models import (
    ActionItem,
    ActionStatus,
    ActionStatusUpdate,
    AgendaItem,
    Attendance,
    ComplianceSnapshot,
    Decision,
    Meeting,
    Minutes,
    Roadmap,
    RoadmapAction,
)
from supervision.quarters import Quarter


def _ensure_network_staff(actor: Any) -> None:
    if actor is not None and not access_for(actor).is_network_staff:
        raise PermissionDenied(
            "Action réservée à l'équipe de l'administrateur général des données."
        )


def _ensure_can_edit_ministry(actor: Any, ministry_id: int) -> None:
    if actor is not None and not access_for(actor).can_edit_ministry(ministry_id):
        raise PermissionDenied("Vous ne pouvez pas modifier les données de ce ministère.")


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    """Times and other values the audit log does not serialise, as JSON-friendly text."""
    return json.loads(json.dumps(changes, cls=DjangoJSONEncoder))


def _full_clean(obj: Any, exclude: list[str] | None = None) -> None:
    obj.full_clean(exclude=exclude, validate_unique=False)


# --- Compliance snapshots ----------------------------------------------------------------------


@contextlib.contextmanager
def consistent_read(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """One consistent view of the database for the whole computation: on PostgreSQL a
    REPEATABLE READ transaction (entries edited meanwhile are not half-seen); elsewhere, or
    inside an outer transaction, a plain atomic block (history rows are read up to a fixed
    timestamp anyway)."""
    conn = connections[using]
    outer = conn.in_atomic_block
    with transaction.atomic(using=using):
        if conn.vendor == "postgresql" and not outer:
            with conn.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _impact_ministry_ids(ministry_ids: Iterable[int], quarter: Quarter) -> frozenset[int]:
    """Level L4 evidence (§7): an impact indicator measured for the ministry in each of the last
    two quarters, and a reuser event (hackathon, consultation, reuser workshop, datacamp) in the
    last 12 months. Read from the trainings app's records; two queries."""
    try:
        from trainings.models import Event, Measurement
    except ImportError:  # pragma: no cover - app absent
        return frozenset()
    ids = list(ministry_ids)
    previous = quarter.previous()
    measured: dict[int, set[Quarter]] = {}
    rows = Measurement.objects.filter(
        ministry_id__in=ids, period_end__gte=previous.start, period_end__lte=quarter.end
    ).values_list("ministry_id", "period_end")
    for ministry_id, period_end in rows:
        measured.setdefault(ministry_id, set()).add(Quarter.of(period_end))
    both = {pk for pk, qs in measured.items() if {quarter, previous} <= qs}
    year_ago = quarter.end - datetime.timedelta(days=365)
    with_event = set(
        Event.objects.filter(
            ministries__in=both,
            event_type__in=list(Event.REUSER_TYPES),
            start__gt=year_ago,
            start__lte=quarter.end,
        ).values_list("ministries", flat=True)
    )
    return frozenset(both & with_event)


def ministries_for_quarter(quarter: Quarter) -> list[int]:
    """Ministries that existed during the quarter."""
    from django.db.models import Q

    return list(
        Ministry.objects.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=quarter.end))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=quarter.start))
        .values_list("pk", flat=True)
    )


def snapshot_compute(
    *,
    actor: Any,
    quarter: Quarter,
    ministry_ids: Iterable[int] | None = None,
    now: datetime.datetime | None = None,
) -> list[ComplianceSnapshot]:
    """Compute and upsert the snapshots of `quarter` (all ministries by default).

    A closed quarter is computed as of its last instant, from the history; the current quarter
    as of now (provisional, recomputed until it closes). A future quarter is refused. Scores
    published on the transparency page are left as they were published (unpublish them to
    recompute them): only the others are computed and returned."""
    _ensure_network_staff(actor)
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if quarter.is_future(today):
        raise ValidationError(
            "Le trimestre %(q)s n'a pas commencé : son score ne peut pas être calculé.",
            params={"q": quarter.label},
            code="future_quarter",
        )
    closed = quarter.is_closed(today)
    as_of = quarter.end_datetime() if closed else now
    ids = list(ministry_ids) if ministry_ids is not None else ministries_for_quarter(quarter)
    published = set(
        ComplianceSnapshot.objects.filter(
            ministry_id__in=ids, year=quarter.year, quarter=quarter.quarter, published=True
        ).values_list("ministry_id", flat=True)
    )
    ids = [pk for pk in ids if pk not in published]
    impact = _impact_ministry_ids(ids, quarter)
    with consistent_read():
        evaluations = compliance.evaluate(ids, as_of, closed=closed, impact_ministry_ids=impact)
    values = {
        pk: {
            "as_of": as_of,
            "score_total": ev.score.total,
            "coverage": ev.score.coverage,
            "band": ev.score.band,
            "maturity_level": ev.maturity_level,
            "score_by_axis": ev.score.by_axis,
            "criteria_detail": ev.criteria_detail(),
            "red_flags": ev.red_flags,
            "facts": {
                "assets": ev.context.asset_total,
                **ev.context.facts,
                "actions_due": ev.context.actions_due,
                "actions_done": ev.context.actions_done,
            },
            "computed_at": now,
            "algorithm_version": compliance.ALGORITHM_VERSION,
        }
        for pk, ev in evaluations.items()
    }
    with transaction.atomic():
        out = _snapshots_store(quarter, values, now)
        if actor is not None and out:
            audit_record(
                actor=actor,
                action="compliance.computed",
                target=out[0],
                changes={"quarter": quarter.label, "ministries": len(out)},
                ministry_id=None,
            )
    return out


def _snapshots_store(
    quarter: Quarter, values: dict[int, dict[str, Any]], now: datetime.datetime
) -> list[ComplianceSnapshot]:
    """Upsert the computed snapshots of `quarter`, by ministry (call inside a transaction).

    Two computations of the same quarter may run at once (the nightly task and the
    « Calculer » button, two clicks): the second must neither fail on `snapshot_unique_quarter`
    nor bury newer scores. So the rows are written after the consistent read, in a READ
    COMMITTED transaction (in the REPEATABLE READ one, a row the other run has committed meanwhile
    is invisible: inserting it again breaks the unique constraint, locking it is a serialization
    failure). The missing rows are inserted with INSERT … ON CONFLICT DO NOTHING (a row the
    other run is inserting is waited for, then left to it), then every row is locked in ministry
    order (two runs cannot deadlock) and rewritten, except one published meanwhile (left as
    published) or computed by a run started after this one (its scores are newer)."""
    ids = sorted(values)
    if not ids:
        return []
    ComplianceSnapshot.objects.bulk_create(
        [
            ComplianceSnapshot(
                ministry_id=pk, year=quarter.year, quarter=quarter.quarter, **values[pk]
            )
            for pk in ids
        ],
        ignore_conflicts=True,
    )
    snaps = list(
        ComplianceSnapshot.objects.select_for_update()
        .filter(ministry_id__in=ids, year=quarter.year, quarter=quarter.quarter)
        .order_by("ministry_id")
    )
    out = [snap for snap in snaps if not snap.published]
    stale = [snap for snap in out if snap.computed_at <= now]
    for snap in stale:
        for name, value in values[snap.ministry_id].items():
            setattr(snap, name, value)
    ComplianceSnapshot.objects.bulk_update(stale, list(values[ids[0]]))
    return out


@transaction.atomic
def snapshot_publish(*, actor: Any, quarter: Quarter, published: bool = True) -> int:
    """Mark (or unmark) a quarter's snapshots as published on the transparency page."""
    _ensure_network_staff(actor)
    if not quarter.is_closed():
        raise ValidationError(
            "Seul un trimestre clos peut être publié : %(q)s est en cours ou à venir.",
            params={"q": quarter.label},
            code="quarter_not_closed",
        )
    qs = ComplianceSnapshot.objects.filter(year=quarter.year, quarter=quarter.quarter)
    if published and not qs.exists():
        raise ValidationError(
            "Aucun score n'a été calculé pour %(q)s : calculez-le avant de le publier.",
            params={"q": quarter.label},
            code="nothing_to_publish",
        )
    # A quarter already in that state is left as it is: no write, no audit entry (seed_demo,
    # a double click).
    changed = qs.exclude(published=published).exists()
    count = qs.update(published=published) if changed else qs.count()
    for snap in qs[:1] if changed else ():
        audit_record(
            actor=actor,
            action="compliance.published" if published else "compliance.unpublished",
            target=snap,
            changes={"quarter": quarter.label, "published": published},
            ministry_id=None,
        )
    return count


# --- Roadmaps ----------------------------------------------------------------------------------

ROADMAP_FIELDS = [
    "title",
    "version",
    "period_start",
    "period_end",
    "status",
    "published_on",
    "url",
    "datagouv_resource_url",
    "governance_description",
    "supersedes",
]


@transaction.atomic
def roadmap_save(
    *, actor: Any, ministry: Ministry, data: dict[str, Any], roadmap: Roadmap | None = None
) -> Roadmap:
    """Create or update a roadmap. Publishing a new version marks the one it supersedes as
    replaced (from the publication date)."""
    _ensure_can_edit_ministry(actor, ministry.pk)
    creating = roadmap is None
    if roadmap is None:
        roadmap = Roadmap(
            ministry=ministry, created_by=actor if getattr(actor, "pk", None) else None
        )
    before = {} if creating else snapshot(roadmap, ROADMAP_FIELDS)
    for name in ROADMAP_FIELDS:
        if name in data:
            setattr(roadmap, name, data[name])
    if roadmap.status == Roadmap.Status.PUBLIEE and not roadmap.published_on:
        roadmap.published_on = timezone.localdate()
    if roadmap.supersedes is not None and roadmap.supersedes.ministry_id != ministry.pk:
        raise ValidationError({"supersedes": "La version remplacée doit être du même ministère."})
    _full_clean(roadmap)
    roadmap.save()
    if roadmap.status == Roadmap.Status.PUBLIEE and roadmap.supersedes_id:
        Roadmap.objects.filter(pk=roadmap.supersedes_id, replaced_on__isnull=True).update(
            status=Roadmap.Status.REMPLACEE, replaced_on=roadmap.published_on
        )
    audit_record(
        actor=actor,
        action="roadmap.created" if creating else "roadmap.updated",
        target=roadmap,
        changes=diff(before, snapshot(roadmap, ROADMAP_FIELDS)),
    )
    return roadmap


ACTION_FIELDS = [
    "ref",
    "title",
    "description",
    "axis",
    "action_type",
    "is_flagship",
    "origin",
    "owner_org",
    "owner_label",
    "start_date",
    "due_date",
    "due_quarter",
    "status",
    "abandon_reason",
    "progress_pct",
    "evidence_url",
]
TRACKED = ("status", "progress_pct", "due_date")


def _validate_action(action: RoadmapAction) -> None:
    errors: dict[str, str] = {}
    if action.due_quarter and not action.due_date:
        try:
            action.due_date = Quarter.parse(action.due_quarter).end
            action.due_quarter = Quarter.parse(action.due_quarter).label
        except ValidationError:
            errors["due_quarter"] = "Trimestre d'échéance invalide : utilisez la forme 2026-T3."
    if action.status == ActionStatus.REALISEE and not action.evidence_url:
        errors["evidence_url"] = (
            "Une action réalisée doit indiquer le lien vers sa preuve de réalisation."
        )
    if action.status == ActionStatus.ABANDONNEE and not (action.abandon_reason or "").strip():
        errors["abandon_reason"] = "Une action abandonnée doit indiquer le motif d'abandon."
    if action.progress_pct is not None and action.progress_pct > 100:
        errors["progress_pct"] = "L'avancement ne peut pas dépasser 100 %."
    if action.status == ActionStatus.REALISEE:
        action.progress_pct = 100
    if errors:
        raise ValidationError(errors)


def _record_update(
    action: RoadmapAction,
    old_status: str,
    actor: Any,
    comment: str,
    when: datetime.datetime | None = None,
) -> ActionStatusUpdate:
    return ActionStatusUpdate.objects.create(
        action=action,
        ministry_id_at=action.ministry_id,
        recorded_at=when or timezone.now(),
        old_status=old_status,
        new_status=action.status,
        progress_pct=action.progress_pct,
        due_date=action.due_date,
        comment=comment,
        author=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def action_save(
    *,
    actor: Any,
    roadmap: Roadmap,
    data: dict[str, Any],
    action: RoadmapAction | None = None,
    comment: str = "",
    linked_asset_ids: list[int] | None = None,
    recorded_at: datetime.datetime | None = None,
    expected_updated_at: datetime.datetime | None = None,
) -> RoadmapAction:
    """Create or update a roadmap action; each change of status, progress or due date is
    appended to its history (what a closed quarter's S2 criterion is recomputed from). With
    `expected_updated_at` (when the editor read it), an action changed since is left as it is."""
    _ensure_can_edit_ministry(actor, roadmap.ministry_id)
    if action is not None:
        ensure_unchanged(action, expected_updated_at, "Cette action")
    creating = action is None
    if action is None:
        action = RoadmapAction(
            roadmap=roadmap,
            ministry_id=roadmap.ministry_id,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
    elif action.roadmap_id != roadmap.pk:
        raise ValidationError("Cette action n'appartient pas à cette feuille de route.")
    before = {} if creating else snapshot(action, ACTION_FIELDS)
    old_status = "" if creating else action.status
    for name in ACTION_FIELDS:
        if name in data:
            setattr(
                action,
                name,
                data[name]
                if data[name] is not None
                or name
                not in (
                    "ref",
                    "title",
                    "description",
                    "action_type",
                    "owner_label",
                    "due_quarter",
                    "abandon_reason",
                    "evidence_url",
                )
                else "",
            )
    if action.status != ActionStatus.ABANDONNEE:
        action.abandon_reason = action.abandon_reason or ""
    _validate_action(action)
    _full_clean(action, exclude=["linked_assets"])
    action.save()
    if linked_asset_ids is not None:
        from datasets.models import DataAsset

        assets = list(
            DataAsset.objects.filter(pk__in=linked_asset_ids, ministry_id=roadmap.ministry_id)
        )
        if len(assets) != len(set(linked_asset_ids)):
            raise ValidationError(
                {
                    "linked_assets": "Seules les entrées de l'inventaire du ministère peuvent être liées."
                }
            )
        action.linked_assets.set(assets)
    after = snapshot(action, ACTION_FIELDS)
    changes = diff(before, after)
    if creating or any(name in changes for name in TRACKED):
        _record_update(action, old_status, actor, comment, recorded_at)
    audit_record(
        actor=actor,
        action="roadmap_action.created" if creating else "roadmap_action.updated",
        target=action,
        changes=changes,
    )
    return action


# --- Meetings ----------------------------------------------------------------------------------

MEETING_FIELDS = [
    "meeting_type",
    "title",
    "date",
    "start_time",
    "end_time",
    "location",
    "visio_url",
    "ministry",
    "theme",
    "status",
    "organizer",
]


def _lock_meeting(meeting: Meeting) -> Meeting | None:
    """Lock the meeting's row until the end of the caller's transaction: the writes of its
    invitations, attendance and minutes (rows unique per meeting) then run one at a time, each
    reading what the one before it committed. Returns the row as locked (a cancellation or a
    new date committed meanwhile is in it), None if it is gone."""
    return Meeting.objects.select_for_update().filter(pk=meeting.pk).first()


def _validate_meeting(meeting: Meeting) -> None:
    if meeting.meeting_type in Meeting.ONE_MINISTRY_TYPES and not meeting.ministry_id:
        raise ValidationError(
            {
                "ministry": "Un sprint open data ou une bilatérale concerne un ministère : indiquez-le."
            }
        )
    if meeting.start_time and meeting.end_time and meeting.end_time <= meeting.start_time:
        raise ValidationError({"end_time": "L'heure de fin doit suivre l'heure de début."})
    if meeting.status == Meeting.Status.TENUE and meeting.date > timezone.localdate():
        raise ValidationError(
            {
                "status": (
                    f"La réunion du {meeting.date:%d/%m/%Y} n'a pas encore eu lieu : elle ne peut "
                    "pas être « tenue ». Laissez-la planifiée, ou corrigez sa date."
                )
            }
        )


@transaction.atomic
def meeting_save(
    *,
    actor: Any,
    data: dict[str, Any],
    meeting: Meeting | None = None,
    invited_ministry_ids: list[int] | None = None,
    expected_updated_at: datetime.datetime | None = None,
) -> Meeting:
    """Create or update a meeting; `invited_ministry_ids` (None: left as they are) replaces the
    invitations and their « Invité » attendance rows. A new quarterly plenary with no ministry
    chosen invites every ministry in the network's scope. With `expected_updated_at` (when the
    editor read it), a meeting changed since is left as it is."""
    _ensure_network_staff(actor)
    if meeting is not None:
        # One write of a meeting at a time (its save, attendance, minutes): the « Invité » rows
        # are read and inserted under the lock, so an attendance recorded meanwhile cannot
        # insert the same row first (`attendance_unique`: an error page). The UPDATE below
        # would lock the row too, but only by accident of the order of the statements.
        locked = _lock_meeting(meeting)
        if locked is not None:  # its `updated_at` as just read under the lock
            ensure_unchanged(locked, expected_updated_at, "Cette réunion", locked=True)
    creating = meeting is None
    meeting = meeting or Meeting(created_by=actor if getattr(actor, "pk", None) else None)
    before = {} if creating else snapshot(meeting, MEETING_FIELDS)
    for name in MEETING_FIELDS:
        if name in data:
            setattr(
                meeting,
                name,
                data[name]
                if data[name] is not None or name not in ("location", "visio_url", "theme")
                else "",
            )
    _validate_meeting(meeting)
    _full_clean(meeting)
    meeting.save()
    changes = diff(before, snapshot(meeting, MEETING_FIELDS))
    if (
        creating
        and not invited_ministry_ids
        and meeting.meeting_type == Meeting.Type.PLENIERE_TRIMESTRIELLE
    ):
        # A quarterly plenary gathers the whole network: a new one with no ministry chosen
        # invites every ministry in the network's scope. Existing plenaries are left alone.
        invited_ministry_ids = selectors.network_ministry_ids()
    if invited_ministry_ids is not None:
        ids = set(invited_ministry_ids)
        if meeting.ministry_id:
            ids.add(meeting.ministry_id)
        was: list[int] = []
        have: set[int] = set()
        if not creating:
            was = list(meeting.invited_ministries.values_list("pk", flat=True))
            Attendance.objects.filter(meeting=meeting).exclude(ministry_id__in=ids).delete()
            have = set(
                Attendance.objects.filter(meeting=meeting).values_list("ministry_id", flat=True)
            )
        meeting.invited_ministries.set(Ministry.objects.filter(pk__in=ids))
        Attendance.objects.bulk_create(
            [
                Attendance(meeting=meeting, ministry_id=pk, status=Attendance.Status.INVITE)
                for pk in sorted(ids - have)
            ]
        )
        if set(was) != ids:
            changes["invited_ministries"] = [sorted(was), sorted(ids)]
    audit_record(
        actor=actor,
        action="meeting.created" if creating else "meeting.updated",
        target=meeting,
        changes=_jsonable(changes),
        ministry_id=meeting.ministry_id,
    )
    return meeting


@transaction.atomic
def agenda_item_add(*, actor: Any, meeting: Meeting, data: dict[str, Any]) -> AgendaItem:
    _ensure_network_staff(actor)
    item = AgendaItem(meeting=meeting, **data)
    if not item.order:
        item.order = meeting.agenda_items.count() + 1
    _full_clean(item)
    item.save()
    audit_record(
        actor=actor,
        action="meeting.agenda_added",
        target=meeting,
        changes={"agenda": item.title},
        ministry_id=meeting.ministry_id,
    )
    return item


# What can only be said of a meeting once it has taken place.
ATTENDED_STATUSES = frozenset(
    {Attendance.Status.PRESENT, Attendance.Status.REPRESENTE, Attendance.Status.ABSENT}
)


@transaction.atomic
def attendance_record(
    *,
    actor: Any,
    meeting: Meeting,
    ministry: Ministry,
    status: str,
    person: Any = None,
    represented_by: str = "",
    role_at_meeting: str = "",
) -> Attendance:
    """Record the attendance of an invited ministry (a ministry that was not invited is refused)."""
    _ensure_network_staff(actor)
    # Under the meeting's lock, as its save: a save removing the ministry from the invitations
    # (and its row), or inserting its « Invité » row, is seen whole here or waits for this
    # record. Without it the row was re-created for a ministry no longer invited, or inserted
    # twice (`attendance_unique`: an error page for the save). Its status and date are then
    # read as locked, not as the caller loaded them (a cancellation may have come in between).
    meeting = _lock_meeting(meeting) or meeting
    if not meeting.invited_ministries.filter(pk=ministry.pk).exists():
        raise ValidationError(
            "%(m)s n'est pas invité à cette réunion : ajoutez-le aux ministères invités avant "
            "d'enregistrer sa présence.",
            params={"m": str(ministry)},
            code="not_invited",
        )
    if status not in Attendance.Status.values:
        raise ValidationError({"status": "Statut de présence inconnu."})
    if status != Attendance.Status.INVITE and meeting.status in (
        Meeting.Status.ANNULEE,
        Meeting.Status.REPORTEE,
    ):
        raise ValidationError(
            {"status": "La réunion est annulée ou reportée : aucune présence ne s'y enregistre."}
        )
    if status in ATTENDED_STATUSES and meeting.date > timezone.localdate():
        raise ValidationError(
            {
                "status": (
                    f"La réunion du {meeting.date:%d/%m/%Y} n'a pas encore eu lieu : seule une "
                    "excuse peut être enregistrée d'avance."
                )
            }
        )
    if status == Attendance.Status.REPRESENTE and not represented_by.strip():
        raise ValidationError({"represented_by": "Indiquez qui représentait le ministère."})
    att, _ = Attendance.objects.get_or_create(
        meeting=meeting, ministry=ministry, defaults={"status": Attendance.Status.INVITE}
    )
    before = snapshot(att)
    att.status, att.person = status, person
    att.represented_by, att.role_at_meeting = represented_by, role_at_meeting
    _full_clean(att)
    att.save()
    audit_record(
        actor=actor,
        action="meeting.attendance",
        target=meeting,
        changes={"ministry": str(ministry), **diff(before, snapshot(att))},
        ministry_id=ministry.pk,
    )
    return att


def _minutes_conflict_message(latest: Minutes) -> str:
    """Who saved the version the editor has not read, and when, and what to do now."""
    who = str(latest.author) if latest.author_id else "un traitement automatique"
    when = timezone.localtime(latest.created_at)
    return (
        f"Le compte rendu a été modifié entre-temps (version {latest.version}, par {who} le "
        f"{when:%d/%m/%Y} à {when:%H:%M}) : votre version n'a pas été enregistrée. Relisez la "
        "nouvelle version avant de refaire vos changements."
    )


@transaction.atomic
def minutes_save(
    *,
    actor: Any,
    meeting: Meeting,
    body: str,
    status: str = Minutes.Status.BROUILLON,
    public: bool = False,
    summary: str = "",
    based_on: int | None = None,
) -> Minutes:
    """Add a new version of the minutes (script, iframe and javascript: links are refused).
    With `based_on` (the version the editor read, 0 for none), minutes saved by someone else
    since are not buried under a version written without them: the second editor is told."""
    _ensure_network_staff(actor)
    if not (body or "").strip():
        raise ValidationError({"body": "Le compte rendu est vide."})
    try:
        validate_safe_markdown(body)
        validate_safe_markdown(summary)
    except ValidationError as exc:
        raise ValidationError({"body": exc.messages}) from exc
    if status not in Minutes.Status.values:
        raise ValidationError({"status": "Statut de compte rendu inconnu."})
    _lock_meeting(meeting)  # one save at a time
    latest = Minutes.objects.filter(meeting=meeting).order_by("-version").first()
    last = latest.version if latest is not None else 0
    if based_on is not None and latest is not None and based_on != last:
        raise ValidationError({"body": _minutes_conflict_message(latest)}, code="concurrent_edit")
    minutes = Minutes(
        meeting=meeting,
        version=last + 1,
        body=body,
        status=status,
        public=public,
        summary=summary,
        author=actor if getattr(actor, "pk", None) else None,
        approved_at=timezone.localdate() if status == Minutes.Status.APPROUVE else None,
    )
    _full_clean(minutes)
    minutes.save()
    audit_record(
        actor=actor,
        action="meeting.minutes",
        target=meeting,
        changes={"version": minutes.version, "public": public, "status": status},
        ministry_id=meeting.ministry_id,
    )
    return minutes


@transaction.atomic
def decision_add(
    *,
    actor: Any,
    meeting: Meeting,
    text: str,
    scope: str = Decision.Scope.RESEAU,
    ministry_ids: list[int] | None = None,
) -> Decision:
    _ensure_network_staff(actor)
    if not (text or "").strip():
        raise ValidationError({"text": "Le texte de la décision est vide."})
    decision = Decision(meeting=meeting, text=text.strip(), scope=scope)
    _full_clean(decision)
    decision.save()
    if ministry_ids:
        decision.ministries.set(Ministry.objects.filter(pk__in=ministry_ids))
    audit_record(
        actor=actor,
        action="meeting.decision",
        target=meeting,
        changes={"decision": decision.text[:200]},
        ministry_id=meeting.ministry_id,
    )
    return decision


ITEM_FIELDS = [
    "description",
    "owner_person",
    "owner_label",
    "owner_ministry",
    "due_date",
    "status",
    "decision",
    "linked_roadmap_action",
]


@transaction.atomic
def action_item_save(
    *, actor: Any, meeting: Meeting, data: dict[str, Any], item: ActionItem | None = None
) -> ActionItem:
    """An action decided at a meeting: due on or after the meeting date; closing it dates it."""
    _ensure_network_staff(actor)
    creating = item is None
    item = item or ActionItem(
        meeting=meeting, created_by=actor if getattr(actor, "pk", None) else None
    )
    before = {} if creating else snapshot(item, ITEM_FIELDS)
    old_owner = item.owner_ministry_id
    for name in ITEM_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    if (
        item.owner_ministry_id
        and (creating or item.owner_ministry_id != old_owner)
        and not Ministry.objects.current().filter(pk=item.owner_ministry_id).exists()
    ):
        raise ValidationError(
            {
                "owner_ministry": (
                    f"{item.owner_ministry} n'existe plus : confiez l'action à un ministère "
                    "en vigueur."
                )
            }
        )
    if item.due_date and item.due_date < meeting.date:
        raise ValidationError(
            {
                "due_date": (
                    f"L'échéance ({item.due_date:%d/%m/%Y}) précède la réunion du "
                    f"{meeting.date:%d/%m/%Y} : choisissez une date postérieure."
                )
            }
        )
    if item.decision is not None and item.decision.meeting_id != meeting.pk:
        raise ValidationError(
            {"decision": "Cette décision n'a pas été prise lors de cette réunion."}
        )
    if item.status in (ActionItem.Status.FAITE, ActionItem.Status.ANNULEE):
        item.closed_at = item.closed_at or timezone.localdate()
    else:
        item.closed_at = None
    _full_clean(item)
    item.save()
    audit_record(
        actor=actor,
        action="action_item.created" if creating else "action_item.updated",
        target=item,
        changes=diff(before, snapshot(item, ITEM_FIELDS)),
        ministry_id=item.owner_ministry_id,
    )
    return item
