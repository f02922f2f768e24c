# ruff: noqa: S608 - SQL is assembled only from constants, int ids and date literals built here.
"""Reads of the supervision app: already scoped and joined, a constant number of queries."""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils import timezone

from administrators.models import DataAdministrator, Ministry
from administrators.selectors import ministry_display_order
from core.access import access_for
from supervision import compliance
from supervision import formatting as fmt
from supervision.models import (
    ActionItem,
    ActionStatus,
    Attendance,
    ComplianceSnapshot,
    Meeting,
    Minutes,
    Roadmap,
    RoadmapAction,
)
from supervision.quarters import Quarter

SNAPSHOT_LIGHT_FIELDS = (
    "id",
    "ministry_id",
    "year",
    "quarter",
    "score_total",
    "coverage",
    "band",
    "maturity_level",
    "red_flags",
    "computed_at",
    "published",
    "algorithm_version",
)


# --- Dashboard ---------------------------------------------------------------------------------


@dataclass
class DashboardRow:
    ministry: Ministry
    snapshot: ComplianceSnapshot | None
    trend: list[float | None]
    previous_score: float | None
    has_titular: bool
    spark: Any = None

    @property
    def delta(self) -> float | None:
        if (
            self.snapshot is None
            or self.snapshot.score_total is None
            or self.previous_score is None
        ):
            return None
        return round(float(self.snapshot.score_total) - self.previous_score, 1)


def ministries_for(user: Any) -> QuerySet[Ministry]:
    return Ministry.objects.current().for_user(user).in_display_order()


def dashboard_rows(
    user: Any, quarter: Quarter, span: int = 8
) -> tuple[list[Quarter], list[DashboardRow]]:
    """Every visible ministry with the quarter's snapshot and its trend over `span` quarters:
    three queries whatever the number of ministries and quarters (the trend reads scores only)."""
    quarters = quarter.last(span)
    titular = DataAdministrator.objects.current().filter(
        ministry_id=OuterRef("pk"), role=DataAdministrator.Role.AMD_TITULAIRE
    )
    ministries = list(ministries_for(user).annotate(has_titular=Exists(titular)))
    ids = [m.pk for m in ministries]
    first = quarters[0]
    trend_rows = (
        ComplianceSnapshot.objects.filter(ministry_id__in=ids)
        .filter(Q(year__gt=first.year) | Q(year=first.year, quarter__gte=first.quarter))
        .filter(Q(year__lt=quarter.year) | Q(year=quarter.year, quarter__lte=quarter.quarter))
        .values_list("ministry_id", "year", "quarter", "score_total")
    )
    scores: dict[tuple[int, int, int], float | None] = {
        (m, y, q): float(v) if v is not None else None for m, y, q, v in trend_rows
    }
    current = {
        s.ministry_id: s
        for s in ComplianceSnapshot.objects.filter(
            ministry_id__in=ids, year=quarter.year, quarter=quarter.quarter
        ).only(*SNAPSHOT_LIGHT_FIELDS)
    }
    rows = []
    prev = quarter.previous()
    for m in ministries:
        rows.append(
            DashboardRow(
                ministry=m,
                snapshot=current.get(m.pk),
                trend=[scores.get((m.pk, q.year, q.quarter)) for q in quarters],
                previous_score=scores.get((m.pk, prev.year, prev.quarter)),
                has_titular=m.has_titular,
            )
        )
    return quarters, rows


def snapshot_history(ministry: Ministry, span: int = 40) -> list[ComplianceSnapshot]:
    return list(
        ComplianceSnapshot.objects.filter(ministry=ministry)
        .only(*SNAPSHOT_LIGHT_FIELDS)
        .order_by("-year", "-quarter")[:span]
    )[::-1]


def snapshot_for(ministry: Ministry, quarter: Quarter) -> ComplianceSnapshot | None:
    return ComplianceSnapshot.objects.filter(
        ministry=ministry, year=quarter.year, quarter=quarter.quarter
    ).first()


def live_snapshot(ministry: Ministry, quarter: Quarter | None = None) -> ComplianceSnapshot:
    """A quarter computed on the fly, not stored (shown as provisional): the current quarter as
    of now, a closed one as of its last instant."""
    now = timezone.now()
    q = quarter or Quarter.of(timezone.localdate())
    closed = q.is_closed()
    as_of = q.end_datetime() if closed else now
    ev = compliance.evaluate([ministry.pk], as_of, closed=closed)[ministry.pk]
    return ComplianceSnapshot(
        ministry=ministry,
        year=q.year,
        quarter=q.quarter,
        as_of=as_of,
        score_total=ev.score.total,
        coverage=ev.score.coverage,
        band=ev.score.band,
        maturity_level=ev.maturity_level,
        score_by_axis=ev.score.by_axis,
        criteria_detail=ev.criteria_detail(),
        red_flags=ev.red_flags,
        computed_at=now,
        algorithm_version=compliance.ALGORITHM_VERSION,
    )


def ministry_evidence(ministry: Ministry, today: datetime.date) -> dict[str, Any]:
    """What lies behind the governance, RIP and DPIA criteria (G1-G3, I1, P2): three queries."""
    from datasets.models import PersonalDataProcessing, RIPPublication

    mandates = list(
        DataAdministrator.objects.filter(
            ministry=ministry,
            role=DataAdministrator.Role.AMD_TITULAIRE,
            appointment_date__lte=today,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today - datetime.timedelta(days=365)))
        .select_related("person")
        .order_by("-appointment_date")
    )
    rip = (
        RIPPublication.objects.filter(ministry=ministry, published_at__lte=today)
        .order_by("-published_at")
        .first()
    )
    required = Q(on_cnil_mandatory_list=True) | Q(aipd_criteria_count__gte=2)
    processings = list(
        PersonalDataProcessing.objects.filter(ministry=ministry)
        .filter(required)
        .order_by("name")[:50]
    )
    return {"mandates": mandates, "rip": rip, "processings": processings}


# --- Entries behind a number ------------------------------------------------------------------


@dataclass
class EvidencePage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


MAX_EVIDENCE_PAGE = 100_000  # far beyond any ministry's inventory (50 entries a page)


def criterion_entries(
    ministry: Ministry, code: str, as_of: datetime.datetime, page: int = 1, per_page: int = 50
) -> EvidencePage:
    """The inventory entries in a criterion's denominator as of `as_of`, those that fail it first,
    with whether each counts in the numerator. Titles come from the live inventory."""
    from datasets.models import DataAsset

    today = timezone.localtime(as_of).date()
    den, num = compliance.ASSET_CONDITIONS[code](today)
    page = min(max(1, int(page)), MAX_EVIDENCE_PAGE)  # OFFSET must stay a valid bigint
    latest = compliance.latest_states_sql([ministry.pk])
    sql = (
        f"WITH latest AS ({latest}) SELECT asset_id_ref, CASE WHEN ({num}) THEN 1 ELSE 0 END "
        f"AS ok, status, recorded_at, COUNT(*) OVER () AS total FROM latest WHERE NOT deleted "
        f"AND ministry_id_at = {int(ministry.pk)} AND ({den}) ORDER BY ok, asset_id_ref "
        f"LIMIT {int(per_page)} OFFSET {max(0, int(page) - 1) * int(per_page)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of])
        raw = cursor.fetchall()
    total = int(raw[0][4]) if raw else 0
    pages = max(1, -(-total // per_page))
    if not raw and page > 1:  # past the end: back to the first page
        return criterion_entries(ministry, code, as_of, page=1, per_page=per_page)
    titles: dict[int, dict[str, Any]] = {
        a["pk"]: dict(a)
        for a in DataAsset.objects.filter(pk__in=[r[0] for r in raw]).values(
            "pk", "title", "organization__name"
        )
    }
    rows = [
        {
            "asset_id": r[0],
            "ok": bool(r[1]),
            "status": r[2],
            "recorded_at": r[3],
            "title": titles.get(r[0], {}).get("title", "(entrée supprimée depuis)"),
            "organization": titles.get(r[0], {}).get("organization__name", ""),
            "exists": r[0] in titles,
        }
        for r in raw
    ]
    return EvidencePage(rows=rows, total=total, page=page, pages=pages)


def due_actions(ministry: Ministry, today: datetime.date) -> QuerySet[RoadmapAction]:
    return (
        RoadmapAction.objects.filter(ministry=ministry, due_date__lte=today)
        .select_related("roadmap", "axis")
        .order_by("status", "due_date")
    )


def late_actions(ministry_ids: list[int] | None = None) -> QuerySet[RoadmapAction]:
    today = timezone.localdate()
    qs = RoadmapAction.objects.filter(due_date__lt=today).exclude(
        status__in=[ActionStatus.REALISEE, ActionStatus.ABANDONNEE]
    )
    if ministry_ids is not None:
        qs = qs.filter(ministry_id__in=ministry_ids)
    return qs.select_related("roadmap", "ministry").order_by("due_date")


# --- Meetings ---------------------------------------------------------------------------------


def network_ministry_ids() -> list[int]:
    """The ministries the network's plenaries invite: those in force today and in the scope of
    the FR0034 commitment (N1's denominator). One query."""
    return list(Ministry.objects.in_network().order_by("pk").values_list("pk", flat=True))


def meetings_for(user: Any) -> QuerySet[Meeting]:
    access = access_for(user)
    qs = Meeting.objects.all()
    if not access.sees_all_ministries:
        qs = qs.filter(Q(ministry__isnull=True) | Q(ministry_id__in=access.visible_ministry_ids))
    return qs.select_related("ministry").annotate(
        n_invited=Count("attendances", distinct=True),
        n_present=Count(
            "attendances",
            filter=Q(
                attendances__status__in=[Attendance.Status.PRESENT, Attendance.Status.REPRESENTE]
            ),
            distinct=True,
        ),
    )


def meeting_detail(user: Any, pk: int) -> Meeting | None:
    access = access_for(user)
    qs = Meeting.objects.filter(pk=pk)
    if not access.sees_all_ministries:
        qs = qs.filter(Q(ministry__isnull=True) | Q(ministry_id__in=access.visible_ministry_ids))
    return (
        qs.select_related("ministry", "organizer")
        .prefetch_related(
            "agenda_items",
            Prefetch(
                "attendances",
                queryset=Attendance.objects.select_related("ministry", "person").order_by(
                    *ministry_display_order("ministry__")
                ),
            ),
            "minutes",
            "decisions__ministries",
            Prefetch(
                "action_items",
                queryset=ActionItem.objects.select_related("owner_ministry", "owner_person"),
            ),
        )
        .first()
    )


def ministry_attendance(ministry: Ministry, limit: int = 10) -> list[Attendance]:
    return list(
        Attendance.objects.filter(ministry=ministry)
        .select_related("meeting")
        .order_by("-meeting__date")[:limit]
    )


def overdue_action_items(ministry_ids: list[int] | None = None) -> QuerySet[ActionItem]:
    qs = ActionItem.objects.overdue()
    if ministry_ids is not None:
        qs = qs.filter(owner_ministry_id__in=ministry_ids)
    return qs.select_related("meeting", "owner_ministry")


# --- Roadmaps ---------------------------------------------------------------------------------


def roadmaps_for(user: Any) -> QuerySet[Any]:
    return (
        Roadmap.objects.for_user(user)
        .select_related("ministry")
        .annotate(
            n_actions=Count("actions"),
            n_done=Count("actions", filter=Q(actions__status=ActionStatus.REALISEE)),
            n_late=Count(
                "actions",
                filter=Q(actions__due_date__lt=timezone.localdate())
                & ~Q(actions__status__in=[ActionStatus.REALISEE, ActionStatus.ABANDONNEE]),
            ),
        )
        .order_by(*ministry_display_order("ministry__"), "-period_start")
    )


def roadmap_actions(roadmap: Roadmap) -> QuerySet[RoadmapAction]:
    return (
        roadmap.actions.select_related("axis", "owner_org")
        .prefetch_related("updates__author", "linked_assets")
        .order_by("ref", "id")
    )


# --- Transparency -----------------------------------------------------------------------------


def public_minutes() -> list[Minutes]:
    """The latest public version of each meeting's minutes that has left the draft stage
    (a draft marked public is not published until it is circulated or approved)."""
    rows = (
        Minutes.objects.filter(public=True)
        .exclude(status=Minutes.Status.BROUILLON)
        .select_related("meeting")
        .order_by("meeting_id", "-version")
    )
    seen: set[int] = set()
    out = []
    for m in rows:
        if m.meeting_id not in seen:
            seen.add(m.meeting_id)
            out.append(m)
    return sorted(out, key=lambda m: m.meeting.date, reverse=True)


def network_composition() -> list[dict[str, Any]]:
    """Ministries with their current titular administrator (named only if listed in the public
    directory: with consent, and still active)."""
    mandates = (
        DataAdministrator.objects.current()
        .filter(role=DataAdministrator.Role.AMD_TITULAIRE, ministry__isnull=False)
        .select_related("person", "ministry")
    )
    by_ministry = {m.ministry_id: m for m in mandates}
    out = []
    for ministry in Ministry.objects.in_network().in_display_order():
        mandate = by_ministry.get(ministry.pk)
        named = mandate is not None and mandate.person.listed_in_directory
        out.append(
            {
                "ministry": ministry,
                "has_titular": mandate is not None,
                "name": str(mandate.person) if mandate and named else "",
                "title": mandate.title_label if mandate else "",
                "since": mandate.appointment_date if mandate else None,
            }
        )
    return out


def published_count(quarter: Quarter) -> int:
    """How many of the quarter's scores are published on the transparency page."""
    return ComplianceSnapshot.objects.filter(
        year=quarter.year, quarter=quarter.quarter, published=True
    ).count()


def published_snapshots() -> list[ComplianceSnapshot]:
    return list(
        ComplianceSnapshot.objects.filter(published=True)
        .select_related("ministry")
        .only(
            *SNAPSHOT_LIGHT_FIELDS,
            "ministry__name",
            "ministry__short_name",
            "ministry__code",
            "score_by_axis",
        )
        .order_by("-year", "-quarter", *ministry_display_order("ministry__"))
    )


# --- Network indicators (§7) ------------------------------------------------------------------


@dataclass
class Indicator:
    code: str
    name: str
    definition: str
    value: str
    target: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)


PUBLISHED_STATUSES = ("PUBLISHED", "PUBLISHED_AFTER_OCCULTATION")
TO_PUBLISH_STATUSES = ("TO_PUBLISH", "TO_PUBLISH_AFTER_OCCULTATION")


def publication_lead_times(quarter: Quarter) -> list[float]:
    """Days from an entry's first « à publier » status to its first publication, for the entries
    first published during `quarter` (N10), read from the compliance-facts history.

    An entry first published during the quarter has a published row in it: the first query lists
    those entries, the second one reads their history only (first publication after the
    quarter's start, first « à publier » before it) rather than grouping every entry ever
    published. Two queries, one when nothing was published during the quarter. The entries go
    to the second query as a list, not a subquery: the planner then knows how many there are and
    never probes the history once per entry through an index that does not start with the
    entry (on a recent quarter not yet analysed it would estimate one entry and could take
    seconds)."""
    from datasets.models import AssetStateHistory

    start = quarter.previous().end_datetime()
    end = quarter.end_datetime()
    published_in_quarter = list(
        AssetStateHistory.objects.filter(
            status__in=PUBLISHED_STATUSES, recorded_at__gt=start, recorded_at__lte=end
        )
        .order_by()
        .values_list("asset_id_ref", flat=True)
        .distinct()
    )
    if not published_in_quarter:
        return []
    rows = (
        AssetStateHistory.objects.filter(
            asset_id_ref__in=published_in_quarter,
            status__in=PUBLISHED_STATUSES + TO_PUBLISH_STATUSES,
            recorded_at__lte=end,
        )
        .values("asset_id_ref")
        .annotate(
            first=Min("recorded_at", filter=Q(status__in=PUBLISHED_STATUSES)),
            planned=Min("recorded_at", filter=Q(status__in=TO_PUBLISH_STATUSES)),
        )
        # First published during the quarter (not before), and planned before that.
        .filter(first__gt=start, planned__lt=F("first"))
        .order_by()
        .values_list("first", "planned")
    )
    return [(first - planned).total_seconds() / 86400 for first, planned in rows]


COPIL_PER_YEAR = 6  # N6: bimonthly steering committees (DOMAIN §4.12, §7)


def copil_planned_by(day: datetime.date) -> int:
    """N6: the COPILs planned from 1 January to `day`, one per two-month period (January and
    February, March and April...) that has ended by then. At the end of T1, T2, T3 and T4:
    1, 3, 4 and 6 (6 × 3/12 = 1.5 rounded down, and so on): a period still running, whose
    COPIL may be held in its second month, is not counted yet, so a network on schedule never
    shows below 100 %; for the current quarter, `day` is today."""
    months = 12 // COPIL_PER_YEAR
    months_ended = day.month - 1 + (1 if (day + datetime.timedelta(days=1)).day == 1 else 0)
    return months_ended // months


def network_indicators(quarter: Quarter) -> list[Indicator]:
    today = min(quarter.end, timezone.localdate())
    out: list[Indicator] = []

    # N1 -- coverage at the quarter's end. The ministries in scope, each with whether it has a
    # titular AMD (N1) and a current published roadmap (N9), are read once for N1, N8 and N9.
    titular = DataAdministrator.objects.filter(
        ministry_id=OuterRef("pk"),
        role=DataAdministrator.Role.AMD_TITULAIRE,
        appointment_date__lte=today,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
    current_roadmap = Roadmap.objects.filter(
        ministry_id=OuterRef("pk"),
        status=Roadmap.Status.PUBLIEE,
        published_on__lte=today,
        period_end__gte=today,
    )
    in_scope = list(
        Ministry.objects.filter(in_ogp_scope=True)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .annotate(covered=Exists(titular), with_rm=Exists(current_roadmap))
        .values_list("pk", "covered", "with_rm")
    )
    scope_ids = {pk for pk, _, _ in in_scope}
    n1 = {"total": len(in_scope), "covered": sum(1 for _, covered, _ in in_scope if covered)}
    out.append(
        Indicator(
            "N1",
            "Couverture du réseau",
            "Ministères du périmètre avec un AMD titulaire en fonction ÷ ministères du périmètre.",
            f"{n1['covered']}/{n1['total']} ({fmt.percent(n1['covered'], n1['total'])})",
            "100 % (12/16 en fin de plan OGP 2018-2020)",
        )
    )

    # N2, N3, N4 -- depth, stability and commitment of the network (one query on mandates)
    out.extend(_network_people_indicators(today))

    # N5 -- plenary participation over the quarter's plenaries that took place: a cancelled or
    # postponed one, or one still to come, has invitations but no attendance yet.
    plenaries = Attendance.objects.filter(
        meeting__meeting_type=Meeting.Type.PLENIERE_TRIMESTRIELLE,
        meeting__date__range=(quarter.start, today),
    ).exclude(meeting__status__in=[Meeting.Status.ANNULEE, Meeting.Status.REPORTEE])
    n5 = plenaries.aggregate(
        invited=Count("pk"),
        present=Count(
            "pk", filter=Q(status__in=[Attendance.Status.PRESENT, Attendance.Status.REPRESENTE])
        ),
    )
    out.append(
        Indicator(
            "N5",
            "Participation aux plénières",
            "Σ ministères présents ou représentés ÷ Σ ministères invités, sur les plénières "
            "trimestrielles du trimestre qui ont eu lieu (ni annulées, ni reportées, ni à venir).",
            f"{n5['present']}/{n5['invited']} ({fmt.percent(n5['present'], n5['invited'])})",
            "≥ 80 %",
        )
    )

    # N6 -- governance rhythm over the year to date, and N8's open-data sprints over the last
    # 12 months (the ministries in scope that held one): one query on the meetings.
    year_start = datetime.date(quarter.year, 1, 1)
    year_ago = today - datetime.timedelta(days=365)
    held = Q(date__range=(year_start, quarter.end), status=Meeting.Status.TENUE)
    sprints = Q(
        meeting_type=Meeting.Type.SPRINT_OPEN_DATA,
        date__gt=year_ago,
        date__lte=today,
        ministry__isnull=False,
    ) & ~Q(status=Meeting.Status.ANNULEE)
    n6 = Meeting.objects.filter(held | sprints).aggregate(
        copil=Count("pk", filter=held & Q(meeting_type=Meeting.Type.COPIL_BIMESTRIEL)),
        plen=Count("pk", filter=held & Q(meeting_type=Meeting.Type.PLENIERE_TRIMESTRIELLE)),
        ateliers=Count("pk", filter=held & Q(meeting_type=Meeting.Type.ATELIER_THEMATIQUE)),
        with_sprint=Count("ministry", distinct=True, filter=sprints & Q(ministry__in=scope_ids)),
    )
    expected_copil = copil_planned_by(today)
    out.append(
        Indicator(
            "N6",
            "Rythme de la gouvernance",
            "Comités de pilotage tenus ÷ prévus (6 par an : un par bimestre achevé), plénières "
            "tenues (4 par an), ateliers thématiques tenus, depuis le début de l'année.",
            f"COPIL {n6['copil']}/{expected_copil} ({fmt.percent(n6['copil'], expected_copil)})"
            if expected_copil
            # January and February: no two-month period has ended yet.
            else f"COPIL {n6['copil']} (aucun prévu à ce jour)",
            "100 %",
            [
                ("Plénières tenues", f"{n6['plen']}/{quarter.quarter}"),
                ("Ateliers tenus", str(n6["ateliers"])),
            ],
        )
    )

    # N7 -- follow-through of action items: one query, counted by (status, due date, meeting
    # date), which is all the counts and the median age need.
    n7 = {"due": 0, "on_time": 0, "overdue": 0}
    open_ages: list[int] = []
    for status, due_date, meeting_date, n, closed_in_time in (
        ActionItem.objects.filter(meeting__date__lte=today)
        .values("status", "due_date", "meeting__date")
        .annotate(n=Count("pk"), closed_in_time=Count("pk", filter=Q(closed_at__lte=F("due_date"))))
        .order_by()
        .values_list("status", "due_date", "meeting__date", "n", "closed_in_time")
    ):
        is_due = due_date is not None and due_date <= today
        if is_due and status != ActionItem.Status.ANNULEE:
            n7["due"] += n
        if is_due and status == ActionItem.Status.FAITE:
            n7["on_time"] += closed_in_time
        if status in ActionItem.OPEN_STATUSES:
            if due_date is not None and due_date < today:
                n7["overdue"] += n
            open_ages.extend([(today - meeting_date).days] * n)
    on_time = n7["on_time"]
    median_age = statistics.median(open_ages) if open_ages else None
    out.append(
        Indicator(
            "N7",
            "Suivi des décisions",
            "Actions de suivi closes à l'échéance ÷ actions échues (hors annulées) ; nombre d'actions "
            "en retard ; âge médian des actions ouvertes.",
            f"{fmt.percent(on_time, n7['due'])} à l'heure",
            "≥ 80 %",
            [
                ("Actions en retard", str(n7["overdue"])),
                (
                    "Âge médian des actions ouvertes",
                    fmt.with_unit(fmt.decimal(median_age, 0), "j")
                    if median_age is not None
                    else "—",
                ),
            ],
        )
    )

    # N8 -- open-data sprints over the last 12 months (counted with N6 above)
    with_sprint = n6["with_sprint"]
    out.append(
        Indicator(
            "N8",
            "Sprints open data",
            "Ministères du périmètre ayant tenu au moins un sprint open data dans les 12 derniers "
            "mois ÷ ministères du périmètre (FR0034 : un sprint par ministère).",
            f"{with_sprint}/{len(scope_ids)} ({fmt.percent(with_sprint, len(scope_ids))})",
            "100 %",
        )
    )

    # N9 -- roadmaps
    n9m = {"total": len(in_scope), "with_rm": sum(1 for _, _, with_rm in in_scope if with_rm)}
    closed = [ActionStatus.REALISEE, ActionStatus.ABANDONNEE]
    # One query, counted by (status, due date): the counts and the slippage of the late ones.
    n9a = {"total": 0, "done": 0, "late": 0}
    late_days = 0
    for action_status, action_due, n in (
        RoadmapAction.objects.values("status", "due_date")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "due_date", "n")
    ):
        n9a["total"] += n
        if action_status == ActionStatus.REALISEE:
            n9a["done"] += n
        if action_due is not None and action_due < today and action_status not in closed:
            n9a["late"] += n
            late_days += (today - action_due).days * n
    slippage = late_days / n9a["late"] / 91.3 if n9a["late"] else 0
    out.append(
        Indicator(
            "N9",
            "Feuilles de route : couverture et exécution",
            "Part des ministères ayant une feuille de route publiée en vigueur ; part des actions "
            "réalisées et en retard sur tout le réseau ; glissement moyen des actions en retard "
            "(en trimestres).",
            f"{n9m['with_rm']}/{n9m['total']} ministères ({fmt.percent(n9m['with_rm'], n9m['total'])})",
            "",
            [
                (
                    "Actions réalisées",
                    f"{n9a['done']}/{n9a['total']} ({fmt.percent(n9a['done'], n9a['total'])})",
                ),
                ("Actions en retard", f"{n9a['late']} ({fmt.percent(n9a['late'], n9a['total'])})"),
                ("Glissement moyen", fmt.quantity(slippage, "trimestre", "trimestres")),
            ],
        )
    )

    # N10, N11, N20, N21 -- from the quarter's snapshots (and the previous quarter's)
    snaps = list(
        ComplianceSnapshot.objects.filter(year=quarter.year, quarter=quarter.quarter)
        .only("ministry_id", "score_total", "band", "maturity_level", "red_flags", "facts")
        # N14 reads criteria P1 and P2 of the same rows: only those two keys leave the database.
        .annotate(
            p1=KeyTransform("P1", "criteria_detail"),
            p2=KeyTransform("P2", "criteria_detail"),
            # N12 reads overlay R's share of the same rows (§6.3; absent when R did not apply).
            r_score=KeyTransform(
                "r_points", KeyTransform(compliance.OVERLAY_AXIS, "score_by_axis")
            ),
        )
    )
    prev = quarter.previous()
    prev_scores: dict[int, Any] = {
        s["ministry_id"]: s["score_total"]
        for s in ComplianceSnapshot.objects.filter(year=prev.year, quarter=prev.quarter).values(
            "ministry_id", "score_total"
        )
    }
    facts: dict[str, int] = {}
    for s in snaps:
        for k, v in (s.facts or {}).items():
            facts[k] = facts.get(k, 0) + int(v or 0)
    assets = facts.get("assets", 0)
    lead_times = publication_lead_times(quarter)
    out.append(
        Indicator(
            "N10",
            "Inventaire",
            "Nombre d'entrées de l'inventaire ; part qualifiée (statut autre que « à qualifier ») ; "
            "part publiée (d'après les instantanés du trimestre) ; délai médian entre le statut "
            "« à publier » et la publication, pour les entrées publiées pendant le trimestre.",
            f"{assets} entrées",
            "",
            [
                ("Qualifiées", fmt.percent(facts.get("qualified", 0), assets)),
                ("Publiées", fmt.percent(facts.get("published", 0), assets)),
                (
                    "Délai médian « à publier » → publié",
                    f"{fmt.quantity(statistics.median(lead_times), 'jour', 'jours', 0)} "
                    f"({fmt.quantity(len(lead_times), 'entrée', 'entrées', 0)})"
                    if lead_times
                    else "—",
                ),
            ],
        )
    )
    basis_labels = {
        "L312_1_1_1_COMMUNICATED": "1° documents communiqués",
        "L312_1_1_2_RIP": "2° RIP",
        "L312_1_1_3_DATABASES": "3° bases de données",
        "L312_1_1_4_PUBLIC_INTEREST": "4° données d'intérêt",
        "L321_4_REFERENCE_DATA": "L321-4",
    }
    pub = sum(facts.get(f"published:{b}", 0) for b in basis_labels)
    topub = sum(facts.get(f"to_publish:{b}", 0) for b in basis_labels)
    out.append(
        Indicator(
            "N11",
            "Résultat de l'ouverture par défaut",
            "Σ publiées ÷ Σ (publiées + à publier), par fondement L312-1-1 1° à 4° (et L321-4).",
            fmt.percent(pub, pub + topub),
            "",
            [
                (
                    label,
                    fmt.percent(
                        facts.get(f"published:{b}", 0),
                        facts.get(f"published:{b}", 0) + facts.get(f"to_publish:{b}", 0),
                    ),
                )
                for b, label in basis_labels.items()
            ],
        )
    )
    out.extend(_pipeline_indicators(quarter, snaps))
    scores = [float(s.score_total) for s in snaps if s.score_total is not None]
    deltas = [
        float(s.score_total) - float(prev_scores[s.ministry_id])
        for s in snaps
        if s.score_total is not None and prev_scores.get(s.ministry_id) is not None
    ]
    bands = {code: sum(1 for s in snaps if s.band == code) for code in compliance.BAND_CODES}
    out.append(
        Indicator(
            "N20",
            "Distribution de la conformité",
            "Score moyen et médian ; nombre de ministères par niveau ; variation moyenne sur un "
            "trimestre ; nombre d'alertes.",
            f"moyenne {fmt.decimal(statistics.mean(scores))} / médiane "
            f"{fmt.decimal(statistics.median(scores))}"
            if scores
            else "aucun score calculé",
            "",
            [(compliance.band_label(code), str(n)) for code, n in bands.items()]
            + [
                (
                    "Variation moyenne",
                    fmt.decimal(statistics.mean(deltas), signed=True) if deltas else "—",
                ),
                ("Alertes", str(sum(len(s.red_flags or []) for s in snaps))),
            ],
        )
    )
    levels = [sum(1 for s in snaps if s.maturity_level == lvl) for lvl in range(5)]
    out.append(
        Indicator(
            "N21",
            "Niveaux de maturité",
            "Répartition des ministères entre L0 (absent), L1 (désigné), L2 (organisé), L3 (ouvert) "
            "et L4 (piloté par l'impact) ; le premier niveau non atteint plafonne le ministère.",
            " · ".join(f"L{i} : {n}" for i, n in enumerate(levels)),
            "",
            [(f"L{i} — {MATURITY_LABELS[i]}", str(n)) for i, n in enumerate(levels)],
        )
    )
    return out


MATURITY_LABELS = ["Absent", "Désigné", "Organisé", "Ouvert", "Piloté par l'impact"]

REGIONS_COUNT = 18  # INSEE regions (13 in metropolitan France + 5 overseas)


def _network_people_indicators(today: datetime.date) -> list[Indicator]:
    """N2 (depth), N3 (stability), N4 (commitment) from the mandates: one query."""
    role = DataAdministrator.Role
    rows = list(
        DataAdministrator.objects.filter(appointment_date__lte=today).values_list(
            "ministry_id",
            "role",
            "region",
            "appointment_date",
            "end_date",
            "time_share_pct",
            "team_size_etp",
        )
    )
    current = [r for r in rows if r[4] is None or r[4] >= today]
    depth: dict[int, int] = {}
    for ministry_id, r_role, *_ in current:
        if ministry_id and r_role in (
            role.AMD_DELEGUE,
            role.AMD_ADJOINT,
            role.CORRESPONDANT_DIRECTION,
        ):
            depth[ministry_id] = depth.get(ministry_id, 0) + 1
    titular_ministries = {r[0] for r in current if r[1] == role.AMD_TITULAIRE and r[0]}
    per_ministry = [depth.get(m, 0) for m in titular_ministries]
    regions = {r[2] for r in current if r[1] == role.REFERENT_REGIONAL and r[2]}
    year_ago = today - datetime.timedelta(days=365)
    titulars = [r for r in rows if r[1] == role.AMD_TITULAIRE]
    changes = sum(1 for r in titulars if r[3] > year_ago)
    tenures = [((r[4] or today) - r[3]).days / 365.25 for r in titulars]
    shares = [r[5] for r in current if r[1] == role.AMD_TITULAIRE and r[5] is not None]
    teams = [float(r[6]) for r in current if r[1] == role.AMD_TITULAIRE and r[6] is not None]
    return [
        Indicator(
            "N2",
            "Profondeur du réseau",
            "Nombre médian de délégués, adjoints et correspondants par ministère doté d'un AMD ; "
            "référents régionaux ÷ régions.",
            f"médiane {fmt.number(statistics.median(per_ministry))} par ministère"
            if per_ministry
            else "—",
            "≥ 1 correspondant par direction générale ; 100 % des régions",
            [
                (
                    "Régions couvertes",
                    f"{len(regions)}/{REGIONS_COUNT} ({fmt.percent(len(regions), REGIONS_COUNT)})",
                )
            ],
        ),
        Indicator(
            "N3",
            "Stabilité",
            "Nominations d'AMD titulaires au cours des 4 derniers trimestres ; ancienneté moyenne "
            "des mandats de titulaire.",
            f"{changes} nomination(s) en 12 mois",
            "",
            [
                (
                    "Ancienneté moyenne",
                    fmt.quantity(statistics.mean(tenures), "an", "ans") if tenures else "—",
                )
            ],
        ),
        Indicator(
            "N4",
            "Engagement dans la fonction",
            "Quotité médiane consacrée à la fonction et taille médiane de l'équipe des AMD "
            "titulaires en fonction.",
            f"quotité médiane {fmt.with_unit(fmt.number(statistics.median(shares)), '%')}"
            if shares
            else "quotité non renseignée",
            "",
            [
                (
                    "Équipe médiane",
                    fmt.with_unit(fmt.number(statistics.median(teams)), "ETP") if teams else "—",
                )
            ],
        ),
    ]


# --- N12 to N19: reference data, personal data, trainings, guides, events, impact -------------

NOT_MEASURED = "non mesuré"


def _pipeline_indicators(quarter: Quarter, snaps: Sequence[ComplianceSnapshot]) -> list[Indicator]:
    """N12 to N19 in code order. Each one reads the selector of the app that owns its records
    (trainings, guides) or one grouped query: a fixed number of queries whatever the data."""
    # The instant the quarter's figures are read at: its end, or now for the current quarter.
    as_of = min(quarter.end_datetime(), timezone.now())
    return [
        _reference_data_indicator(as_of, snaps),
        Indicator(
            "N13",
            "Transparence des algorithmes",
            "Algorithmes principaux inscrits au registre et publiés ; part des fiches portant la "
            "mention explicite sur les décisions individuelles.",
            NOT_MEASURED,
            "",
            [
                (
                    "Motif",
                    "le registre des algorithmes publics n'est pas encore tenu dans le portail "
                    "(aucune fiche AlgorithmEntry), comme pour les critères A1 à A3.",
                )
            ],
        ),
        _personal_data_indicator(snaps),
        Indicator(
            "N15",
            "API",
            "API en production ; part respectant leur niveau de service ; appels mensuels.",
            NOT_MEASURED,
            "",
            [
                (
                    "Motif",
                    "les API des ministères ne sont pas encore recensées dans le portail (aucune "
                    "fiche ApiExposure). Les appels d'API saisis comme indicateurs d'impact "
                    "figurent en N19.",
                )
            ],
        ),
        _training_indicator(quarter, as_of),
        _guide_indicator(as_of),
        _reuser_indicator(quarter),
        _impact_indicator(quarter),
    ]


def _reference_data_indicator(
    as_of: datetime.datetime, snaps: Sequence[ComplianceSnapshot]
) -> Indicator:
    """N12, one query. The model has no « candidate » status: DOMAIN's « CANDIDATE designations »
    is read as the designations whose regime is CANDIDATE and whose status is still open
    (PROPOSED, UNDER_AGD_REVIEW or SUBMITTED_FOR_DECREE; a designated, rejected or withdrawn one
    has left the pipeline); « under AGD review » is the status UNDER_AGD_REVIEW, whatever the
    regime (a sectoral referential may be reviewed too), so it may overlap the first count.
    Statuses carry no history: a past quarter shows the current status of the designations
    created by its end. The SPD part reads the quarter's snapshots: the « SPD out of date » red
    flags and overlay R (§6.3), averaged over the ministries it applied to."""
    from datasets.models import ReferenceDataDesignation as Designation

    status, regime = Designation.Status, Designation.Regime
    open_statuses = [status.PROPOSED, status.UNDER_AGD_REVIEW, status.SUBMITTED_FOR_DECREE]
    candidate = Q(regime=regime.CANDIDATE)
    counts = Designation.objects.filter(created_at__lte=as_of).aggregate(
        candidates=Count("pk", filter=candidate & Q(status__in=open_statuses)),
        proposed=Count("pk", filter=candidate & Q(status=status.PROPOSED)),
        review=Count("pk", filter=Q(status=status.UNDER_AGD_REVIEW)),
        decree=Count("pk", filter=Q(status=status.SUBMITTED_FOR_DECREE)),
        spd=Count("pk", filter=Q(regime=regime.SPD_R321_5, status=status.DESIGNATED)),
    )
    outdated = sum(
        int(f.get("count") or 0)
        for s in snaps
        for f in (s.red_flags or [])
        if f.get("code") == "spd_outdated"
    )
    r_scores = [float(r) for s in snaps if (r := getattr(s, "r_score", None)) is not None]
    overlay = (
        f"{fmt.decimal(statistics.mean(r_scores))} / 10 en moyenne ({len(r_scores)} ministère(s) "
        "producteur(s))"
        if r_scores
        else "aucun ministère producteur de données de référence désignées"
    )
    return Indicator(
        "N12",
        "Filière des données de référence",
        "Désignations candidates (régime « candidate », statut proposée, en examen par l'AGD ou "
        "soumise pour décret) ; désignations en examen par l'AGD, tous régimes ; données de "
        "référence du service public de la donnée (R321-5) désignées et en retard de mise à "
        "jour d'après les instantanés du trimestre, et surcouche R de conformité des "
        "producteurs SPD (sur 10, moyenne des ministères auxquels elle s'applique). Les "
        "statuts sont ceux du jour.",
        f"{counts['candidates']} candidate(s) · {counts['review']} en examen par l'AGD",
        "",
        [
            ("Candidates proposées, pas encore examinées", str(counts["proposed"])),
            ("En examen par l'AGD (tous régimes)", str(counts["review"])),
            ("Soumises pour décret (tous régimes)", str(counts["decree"])),
            ("Données de référence SPD désignées", str(counts["spd"])),
            ("Données SPD en retard de plus de deux fois leur fréquence légale", str(outdated)),
            ("Conformité SPD (surcouche R)", overlay),
        ],
    )


def _criterion_sum(snaps: Sequence[ComplianceSnapshot], key: str) -> tuple[int, int]:
    """Σ numerator and Σ denominator of one criterion over the snapshots (N/A counts 0 / 0)."""
    num = den = 0.0
    for s in snaps:
        row = getattr(s, key, None) or {}
        num += float(row.get("numerator") or 0)
        den += float(row.get("denominator") or 0)
    return round(num), round(den)


def _personal_data_indicator(snaps: Sequence[ComplianceSnapshot]) -> Indicator:
    """N14 from criteria P1 and P2 of the quarter's snapshots (no query of its own): the same
    counts as the compliance score, as of the quarter's end (P1 reads the personal-data flag and
    the processing link of each entry from its history; P2 the processings' DPIA status)."""
    p1_num, p1_den = _criterion_sum(snaps, "p1")
    p2_num, p2_den = _criterion_sum(snaps, "p2")
    return Indicator(
        "N14",
        "Hygiène des données personnelles",
        "Entrées contenant des données personnelles rattachées à un traitement inscrit au "
        "registre RGPD ÷ entrées contenant des données personnelles (critère P1) ; AIPD "
        "réalisées ÷ AIPD requises (critère P2), d'après les instantanés du trimestre. Les "
        "projets d'anonymisation et de pseudonymisation ne sont pas encore suivis dans le "
        "portail : ils ne sont pas comptés.",
        f"{fmt.percent(p1_num, p1_den)} des entrées à données personnelles rattachées au registre",
        "",
        [
            ("Entrées rattachées au registre", f"{p1_num}/{p1_den}"),
            ("AIPD requises réalisées", f"{p2_num}/{p2_den} ({fmt.percent(p2_num, p2_den)})"),
        ],
    )


def _training_indicator(quarter: Quarter, as_of: datetime.datetime) -> Indicator:
    """N16 over the sessions that started during the quarter (trainings selectors, 4 queries)."""
    from trainings import selectors as trainings

    window = {"start": quarter.start, "end": quarter.end}
    summary = trainings.training_summary(**window, now=as_of)
    per_audience = trainings.officials_trained_per_audience(**window)
    per_ministry = trainings.officials_trained_per_ministry(**window)
    satisfaction = (
        f"{fmt.decimal(summary.mean_satisfaction)} / 5 ({summary.answers} avis)"
        if summary.mean_satisfaction is not None
        else "—"
    )
    return Indicator(
        "N16",
        "Formation",
        "Agents formés (présents à au moins une session commencée pendant le trimestre), par "
        "ministère et par public ; sessions tenues ; satisfaction moyenne des présents qui ont "
        "répondu au questionnaire.",
        f"{summary.officials_trained} agent(s) formé(s)",
        "",
        [
            ("Sessions tenues", str(summary.sessions_held)),
            ("Présences", str(summary.attendances)),
            ("Satisfaction moyenne", satisfaction),
        ]
        + [(f"Public — {a['audience']}", str(a["officials"])) for a in per_audience]
        + [(f"Ministère — {m['ministry']}", str(m["officials"])) for m in per_ministry],
    )


def _guide_indicator(as_of: datetime.datetime) -> Indicator:
    """N17 from the guides selector (3 queries)."""
    from guides.selectors import guide_freshness

    fresh = guide_freshness(now=as_of)
    days = fresh.days_since_last_publication
    last = fresh.open_by_default_last_published
    return Indicator(
        "N17",
        "Fraîcheur des guides",
        "Jours écoulés depuis la dernière version publiée du guide de l'ouverture par défaut, "
        "à la fin du trimestre ; guides publiés dont une référence juridique a changé depuis "
        "leur publication (état du jour).",
        fmt.quantity(days, "jour", "jours", 0) if days is not None else "aucune version publiée",
        "< 365 jours",
        [
            (
                "Dernière publication",
                timezone.localtime(last).strftime("%d/%m/%Y") if last else "—",
            ),
            ("Cible atteinte", "oui" if fresh.is_fresh else "non"),
            ("Guides à revoir", f"{fresh.guides_to_review}/{fresh.published_guides}"),
        ],
    )


def _reuser_indicator(quarter: Quarter) -> Indicator:
    """N18 over the reuser events (hackathons, consultations, reuser workshops, datacamps) that
    started during the quarter (trainings selector, 2 queries)."""
    from trainings import selectors as trainings

    rows = [
        r
        for r in trainings.event_summary(start=quarter.start, end=quarter.end)
        if r["event_type"] in trainings.REUSER_EVENT_TYPES
    ]
    events = sum(r["events"] for r in rows)
    return Indicator(
        "N18",
        "Mobilisation des réutilisateurs",
        "Hackathons, consultations publiques, ateliers avec les réutilisateurs et datacamps "
        "commencés pendant le trimestre ; participants, contributions, réutilisations créées et "
        "données ouvertes à leur suite.",
        f"{events} événement(s)",
        "",
        [(r["label"], str(r["events"])) for r in rows]
        + [
            ("Participants", str(sum(r["participants"] for r in rows))),
            ("Contributions", str(sum(r["contributions"] for r in rows))),
            ("Réutilisations créées", str(sum(r["reuses"] for r in rows))),
            ("Données ouvertes à la suite", str(sum(r["datasets_opened"] for r in rows))),
        ],
    )


IMPACT_LOOKBACK_YEARS = 3  # enough to compare two values of a yearly index (OURdata, ODM)
SCOPE_ORDER = ("RESEAU", "MINISTERE", "ACTIF")


def _impact_indicator(quarter: Quarter) -> Indicator:
    """N19 from the impact measurements (trainings selector, 1 query). For each indicator the
    broadest scope measured is kept (the network value, else the sum over ministries, else over
    entries) so nothing is counted twice; its last quarter measured up to this one is compared
    with the quarter measured before it. Several periods inside one quarter (monthly values) are
    added: right for flows (downloads, calls), which is what the monthly indicators measure."""
    from trainings import selectors as trainings

    since = datetime.date(quarter.year - IMPACT_LOOKBACK_YEARS, quarter.start.month, 1)
    rows = trainings.measurement_totals(since=since, until=quarter.end)
    by_code: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = by_code.setdefault(r["code"], {"name": r["name"], "unit": r["unit"], "rows": []})
        entry["rows"].append(r)
    details: list[tuple[str, str]] = []
    for entry in by_code.values():
        scope = min((r["scope"] for r in entry["rows"]), key=SCOPE_ORDER.index)
        per_quarter: dict[Quarter, Any] = {}
        for r in entry["rows"]:
            if r["scope"] == scope:
                q = Quarter.of(r["period_start"])
                per_quarter[q] = per_quarter.get(q, 0) + r["total"]
        latest, *earlier = sorted(per_quarter, reverse=True)
        shown = fmt.number(per_quarter[latest])
        text = f"{fmt.with_unit(shown, entry['unit']) if entry['unit'] else shown} ({latest.label})"
        if earlier:
            before = per_quarter[earlier[0]]
            arrow = (
                "↑"
                if per_quarter[latest] > before
                else "↓"
                if per_quarter[latest] < before
                else "="
            )
            text += f", {arrow} contre {fmt.number(before)} ({earlier[0].label})"
        if scope != "RESEAU":
            text += " — somme par ministère" if scope == "MINISTERE" else " — somme par entrée"
        details.append((entry["name"], text))
    return Indicator(
        "N19",
        "Impact",
        "Dernière valeur de chaque indicateur d'impact (téléchargements et appels d'API des "
        "données des ministères, réutilisations référencées sur data.gouv.fr, indices OCDE "
        "OURdata et data.europa.eu…) mesurée jusqu'à la fin du trimestre, et son évolution "
        "depuis la mesure précédente ; valeur du réseau, sinon somme des ministères ou des "
        "entrées ; les valeurs mensuelles d'un trimestre sont additionnées. Mesures des trois "
        "dernières années.",
        f"{len(by_code)} indicateur(s) mesuré(s)",
        "tendance ↑",
        details,
    )
