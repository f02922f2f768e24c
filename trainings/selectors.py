"""Reads of trainings, events and impact measurements, with their joins and the caller's scope.

The supervision dashboard reads indicator N16 (`officials_trained_per_ministry`,
`officials_trained_per_audience`, `training_summary`), N18 (`event_summary`) and N19
(`measurement_totals`; `measurements_per_quarter` for the impact page) from here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from administrators.models import Ministry
from administrators.selectors import ministry_display_order
from core.access import access_for
from core.models import User
from datasets.models import DataAsset
from guides.models import Guide
from trainings.models import (
    Audience,
    Event,
    ImpactIndicator,
    Measurement,
    Registration,
    TrainingCourse,
    TrainingSession,
    quarter_label,
)

# --- catalogue and sessions -------------------------------------------------------------------


def published_guides() -> QuerySet[Guide]:
    """The guides a course may point to (its page and the API are public: no draft)."""
    return Guide.objects.filter(published_version__isnull=False).order_by("title")


def course_queryset(user: Any = None) -> QuerySet[TrainingCourse]:
    qs = TrainingCourse.objects.prefetch_related(
        Prefetch("audiences", queryset=Audience.objects.order_by("order", "code")),
        Prefetch("related_guides", queryset=published_guides()),
    )
    if not access_for(user).is_network_staff:
        qs = qs.filter(is_active=True)
    return qs.order_by("title")


def session_queryset(user: Any = None) -> QuerySet[TrainingSession]:
    """Sessions with their course, host ministry, trainers and seat counts (public)."""
    qs = (
        TrainingSession.objects.select_related("course", "host_ministry")
        .prefetch_related("trainers")
        .annotate(
            seats_taken=Count(
                "registrations", filter=Q(registrations__status=Registration.Status.INSCRIT)
            ),
            waitlist_count=Count(
                "registrations",
                filter=Q(registrations__status=Registration.Status.LISTE_ATTENTE),
            ),
        )
    )
    if user is not None and getattr(user, "is_authenticated", False):
        qs = qs.annotate(
            my_registration_status=Registration.objects.filter(
                session=OuterRef("pk"), user_id=user.pk
            )
            .exclude(status=Registration.Status.ANNULE)
            .values("status")[:1]
        )
    return qs.order_by("start", "id")


def upcoming_sessions(
    user: Any = None, *, now: datetime.datetime | None = None
) -> QuerySet[TrainingSession]:
    now = now or timezone.now()
    return (
        session_queryset(user).filter(end__gte=now).exclude(status=TrainingSession.Status.ANNULEE)
    )


def session_get(user: Any, pk: int) -> TrainingSession:
    session = session_queryset(user).filter(pk=pk).first()
    if session is None:
        raise Http404("Session introuvable.")
    return session


def trainer_sessions(user: Any) -> QuerySet[TrainingSession]:
    """ "Mes sessions": the sessions the user trains, newest first."""
    return session_queryset(user).filter(trainers=user).order_by("-start", "-id")


def trainer_accounts() -> QuerySet[User]:
    """Accounts that may run a session (trainers and DINUM staff): the only choices offered
    for a session's trainers, so no form or API page lists every account of the portal."""
    return (
        User.objects.filter(
            memberships__role__in=["TRAINER", "DINUM_STAFF", "CHIEF_DATA_OFFICER"], is_active=True
        )
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


def registration_queryset(user: Any) -> QuerySet[Registration]:
    """Registrations the caller may see: their own; those of the sessions they train; those of
    their ministry's officials (ministry administrators); all for network staff and viewers."""
    access = access_for(user)
    qs = Registration.objects.select_related(
        "session", "session__course", "user", "ministry", "person"
    )
    if not access.authenticated:
        return qs.none()
    if access.sees_all_ministries:
        return qs
    trained = TrainingSession.objects.filter(trainers=user).values("pk")
    return qs.filter(
        Q(user_id=user.pk)
        | Q(session_id__in=trained)
        | Q(ministry_id__in=access.admin_ministry_ids)
    )


def my_registrations(user: Any) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(user_id=user.pk)
        .select_related("session", "session__course", "ministry")
        .order_by("-session__start", "-id")
    )


def session_registrations(session: TrainingSession) -> QuerySet[Registration]:
    """Every registration of one session (for its trainers), seated first, then the waitlist."""
    return (
        Registration.objects.filter(session=session)
        .select_related("user", "ministry", "person")
        .order_by("status", "waitlist_position", "registered_at", "id")
    )


def waitlist_rank(registration: Registration) -> int | None:
    """Current rank on the waitlist (1 = next to be promoted)."""
    if registration.status != Registration.Status.LISTE_ATTENTE:
        return None
    return (
        Registration.objects.filter(
            session_id=registration.session_id,
            status=Registration.Status.LISTE_ATTENTE,
            waitlist_position__lt=registration.waitlist_position,
        ).count()
        + 1
    )


def ministries_for_registration(user: Any) -> QuerySet[Ministry]:
    """The ministries an official may declare: those of their memberships if they have any,
    otherwise every current ministry (officials without a portal role choose their own)."""
    own = access_for(user).visible_ministry_ids
    if own:
        return Ministry.objects.filter(pk__in=own).in_display_order()
    return Ministry.objects.current().in_display_order()


# --- indicator N16 ----------------------------------------------------------------------------


def _attended(start: datetime.date | None, end: datetime.date | None) -> Q:
    q = Q(attended=True)
    if start:
        q &= Q(session__start__date__gte=start)
    if end:
        q &= Q(session__start__date__lte=end)
    return q


def officials_trained_per_ministry(
    *, start: datetime.date | None = None, end: datetime.date | None = None
) -> list[dict[str, Any]]:
    """N16: distinct officials who attended at least one session, per ministry (ministry
    recorded at registration time), with the number of attendances. One query."""
    rows = (
        Registration.objects.filter(_attended(start, end))
        .values("ministry_id", "ministry__name", "ministry__short_name")
        .annotate(officials=Count("user_id", distinct=True), attendances=Count("id"))
        .order_by(*ministry_display_order("ministry__"))
    )
    return [
        {
            "ministry_id": r["ministry_id"],
            "ministry": r["ministry__short_name"] or r["ministry__name"],
            "officials": r["officials"],
            "attendances": r["attendances"],
        }
        for r in rows
    ]


def officials_trained_per_audience(
    *, start: datetime.date | None = None, end: datetime.date | None = None
) -> list[dict[str, Any]]:
    """N16: distinct officials who attended a course aimed at each audience (a course with
    several audiences counts for each of them). One query; audiences with nobody show 0."""
    prefix = "courses__sessions__registrations__"
    flt = Q(**{f"{prefix}attended": True})
    if start:
        flt &= Q(**{"courses__sessions__start__date__gte": start})
    if end:
        flt &= Q(**{"courses__sessions__start__date__lte": end})
    rows = Audience.objects.annotate(
        officials=Count(f"{prefix}user", filter=flt, distinct=True)
    ).order_by("order", "code")
    return [{"code": a.code, "audience": a.label, "officials": a.officials} for a in rows]


@dataclass(frozen=True)
class TrainingSummary:
    sessions_held: int
    sessions_planned: int
    officials_trained: int
    attendances: int
    mean_satisfaction: Decimal | None
    answers: int


def training_summary(
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> TrainingSummary:
    """N16 headline figures: sessions held (ended, not cancelled), officials trained, mean
    satisfaction of the attendees who answered. Two queries."""
    now = now or timezone.now()
    sessions = TrainingSession.objects.exclude(status=TrainingSession.Status.ANNULEE)
    if start:
        sessions = sessions.filter(start__date__gte=start)
    if end:
        sessions = sessions.filter(start__date__lte=end)
    counts = sessions.aggregate(
        held=Count("id", filter=Q(end__lt=now) | Q(status=TrainingSession.Status.TENUE)),
        planned=Count("id", filter=Q(end__gte=now) & ~Q(status=TrainingSession.Status.TENUE)),
    )
    regs = Registration.objects.filter(_attended(start, end)).aggregate(
        officials=Count("user_id", distinct=True),
        attendances=Count("id"),
        mean_score=Avg("satisfaction"),
        answers=Count("id", filter=Q(satisfaction__isnull=False)),
    )
    mean = regs["mean_score"]
    return TrainingSummary(
        sessions_held=counts["held"],
        sessions_planned=counts["planned"],
        officials_trained=regs["officials"],
        attendances=regs["attendances"],
        mean_satisfaction=Decimal(str(round(mean, 2))) if mean is not None else None,
        answers=regs["answers"],
    )


# --- events (N18) -----------------------------------------------------------------------------


def event_queryset(user: Any = None) -> QuerySet[Event]:
    """Events are public; the linked inventory entries are filtered by the caller's scope."""
    assets = DataAsset.objects.for_user(user).only("id", "title", "ministry_id")  # type: ignore[attr-defined]
    return (
        Event.objects.select_related("organizer_org")
        .prefetch_related(
            Prefetch("ministries", queryset=Ministry.objects.in_display_order()),
            Prefetch("datasets", queryset=assets),
            Prefetch("datasets_opened_as_result", queryset=assets),
        )
        .order_by("-start", "id")
    )


def event_get(user: Any, pk: int) -> Event:
    event = event_queryset(user).filter(pk=pk).first()
    if event is None:
        raise Http404("Événement introuvable.")
    return event


def event_summary(
    *, start: datetime.date | None = None, end: datetime.date | None = None
) -> list[dict[str, Any]]:
    """N18 per event type: number of events, participants, contributions, reuses created and
    inventory entries opened as a result. Two queries."""
    qs = Event.objects.all()
    if start:
        qs = qs.filter(start__gte=start)
    if end:
        qs = qs.filter(start__lte=end)
    rows: dict[str, dict[str, Any]] = {
        r["event_type"]: dict(r)
        for r in qs.values("event_type").annotate(
            events=Count("id"),
            participants=Sum("participants_count"),
            contributions=Sum("contributions_count"),
            reuses=Sum("reuses_created"),
        )
    }
    opened = dict(
        qs.values("event_type")
        .annotate(opened=Count("datasets_opened_as_result", distinct=True))
        .values_list("event_type", "opened")
    )
    out: list[dict[str, Any]] = []
    for code, label in Event.EventType.choices:
        r: dict[str, Any] = rows.get(code, {})
        out.append(
            {
                "event_type": code,
                "label": str(label),
                "events": r.get("events", 0),
                "participants": r.get("participants") or 0,
                "contributions": r.get("contributions") or 0,
                "reuses": r.get("reuses") or 0,
                "datasets_opened": opened.get(code, 0),
            }
        )
    return out


def ministries_with_events(
    *, event_types: list[str] | None = None, since: datetime.date | None = None
) -> set[int]:
    """Ids of the ministries linked to at least one event of these types since a date (N8 with
    SPRINT_OPEN_DATA; maturity level L4 with the reuser event types). One query."""
    qs = Event.objects.filter(ministries__isnull=False)
    if event_types:
        qs = qs.filter(event_type__in=event_types)
    if since:
        qs = qs.filter(start__gte=since)
    return set(qs.values_list("ministries__id", flat=True).distinct())


REUSER_EVENT_TYPES = sorted(Event.REUSER_TYPES)


# --- impact indicators (N19) ------------------------------------------------------------------


def indicator_queryset() -> QuerySet[ImpactIndicator]:
    return ImpactIndicator.objects.annotate(
        measurement_count=Count("measurements"),
        has_values=Exists(Measurement.objects.filter(indicator=OuterRef("pk"))),
    ).order_by("code")


def measurement_queryset(user: Any) -> QuerySet[Measurement]:
    return (
        Measurement.objects.for_user(user)  # type: ignore[attr-defined]
        .select_related("indicator", "ministry", "asset")
        .order_by("indicator__code", "period_start", *ministry_display_order("ministry__"), "id")
    )


def measurements_per_quarter(
    user: Any,
    *,
    indicator_codes: list[str] | None = None,
    ministry_id: int | None = None,
    network_only: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """N19 for the dashboard: {indicator code: [{quarter, period_start, value, ministry_id,
    is_estimate}, ...]} in time order, within the caller's scope. One query."""
    qs = measurement_queryset(user)
    if indicator_codes:
        qs = qs.filter(indicator__code__in=indicator_codes)
    if network_only:
        qs = qs.filter(ministry__isnull=True, asset__isnull=True)
    elif ministry_id is not None:
        qs = qs.filter(ministry_id=ministry_id)
    out: dict[str, list[dict[str, Any]]] = {}
    for m in qs:
        out.setdefault(m.indicator.code, []).append(
            {
                "quarter": quarter_label(m.period_start),
                "period_start": m.period_start,
                "value": m.value,
                "ministry_id": m.ministry_id,
                "ministry": str(m.ministry) if m.ministry else "",
                "asset_id": m.asset_id,
                "is_estimate": m.is_estimate,
            }
        )
    return out


def measurement_totals(*, since: datetime.date, until: datetime.date) -> list[dict[str, Any]]:
    """N19 for the network dashboard: the sum and number of the values of each impact indicator
    per period start and per scope (`RESEAU`, `MINISTERE`, `ACTIF`), for the periods starting
    between `since` and `until`. One grouped query whose size grows with the indicators and the
    periods, never with the ministries or the entries measured (network-wide: for callers who
    see every ministry)."""
    scope = Case(
        When(asset__isnull=False, then=Value(ImpactIndicator.Level.ACTIF.value)),
        When(ministry__isnull=False, then=Value(ImpactIndicator.Level.MINISTERE.value)),
        default=Value(ImpactIndicator.Level.RESEAU.value),
        output_field=CharField(),
    )
    rows = (
        Measurement.objects.filter(period_start__gte=since, period_start__lte=until)
        .annotate(scope=scope)
        .values(
            "indicator__code",
            "indicator__name",
            "indicator__unit",
            "indicator__direction",
            "period_start",
            "scope",
        )
        .annotate(total=Sum("value"), count=Count("id"))
        .order_by("indicator__code", "period_start", "scope")
    )
    return [
        {
            "code": r["indicator__code"],
            "name": r["indicator__name"],
            "unit": r["indicator__unit"],
            "direction": r["indicator__direction"],
            "period_start": r["period_start"],
            "scope": r["scope"],
            "total": r["total"],
            "count": r["count"],
        }
        for r in rows
    ]


def quarters_with_measurements(ministry_id: int, *, since: datetime.date | None = None) -> int:
    """How many distinct quarters have at least one measurement for the ministry (maturity L4)."""
    qs = Measurement.objects.filter(ministry_id=ministry_id)
    if since:
        qs = qs.filter(period_start__gte=since)
    return qs.values("period_start").distinct().count()
