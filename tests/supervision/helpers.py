"""Test helpers of the supervision app: history rows, inventory entries, roadmaps."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.utils import timezone

from datasets.models import AssetStateHistory, DataAsset
from supervision.models import Roadmap

_ids = itertools.count(1_000_000)

PUBLISHED_OK: dict[str, Any] = {
    "status": "PUBLISHED",
    "obligation_basis": "L312_1_1_3_DATABASES",
    "catalogue_complete": True,
    "licence_compliant": True,
    "open_machine_readable": True,
    "update_frequency": "ANNUELLE",
}


def aware(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(
        day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone()
    )


def state(
    ministry: Any, *, asset_id: int | None = None, at: datetime.datetime | None = None, **facts: Any
) -> AssetStateHistory:
    """One history row (the facts of one entry as of `at`)."""
    values = {"status": "TO_ASSESS", "obligation_basis": "NONE"}
    values.update(facts)
    return AssetStateHistory.objects.create(
        asset_id_ref=asset_id if asset_id is not None else next(_ids),
        ministry_id_at=ministry.pk,
        recorded_at=at or timezone.now() - datetime.timedelta(minutes=5),
        **values,
    )


def states(ministry: Any, count: int, **facts: Any) -> list[AssetStateHistory]:
    return [state(ministry, **facts) for _ in range(count)]


def asset(ministry: Any, organization: Any, **fields: Any) -> DataAsset:
    values = {"title": "Base nationale des exemples", "description": "Exemple."}
    values.update(fields)
    return DataAsset.objects.create(ministry=ministry, organization=organization, **values)


def published_roadmap(ministry: Any, **fields: Any) -> Roadmap:
    values = {
        "title": "Feuille de route données, algorithmes et codes sources",
        "period_start": datetime.date(2024, 1, 1),
        "period_end": datetime.date(2030, 12, 31),
        "status": Roadmap.Status.PUBLIEE,
        "published_on": datetime.date(2024, 1, 15),
        "url": "https://www.numerique.gouv.fr/feuille-de-route",
    }
    values.update(fields)
    return Roadmap.objects.create(ministry=ministry, **values)


def held_copil(actor: Any, *ministries: Any) -> Any:
    """A steering committee held on 12 March 2026, inviting `ministries`."""
    from supervision import services
    from supervision.models import Meeting

    return services.meeting_save(
        actor=actor,
        data={
            "meeting_type": Meeting.Type.COPIL_BIMESTRIEL,
            "title": "COPIL de mars",
            "date": datetime.date(2026, 3, 12),
            "status": Meeting.Status.TENUE,
        },
        invited_ministry_ids=[m.pk for m in ministries],
    )


# Every kind of caller of the supervision pages, for their permission matrices.
CLIENTS = [
    "anon_client",
    "plain_client",
    "trainer_client",
    "correspondent_client",
    "amd_client",
    "viewer_client",
    "dinum_client",
    "agd_client",
]


def busy_plenary(actor: Any, ministries: list[Any]) -> Any:
    """A plenary of 10 January 2026 with, for each ministry, its invitation, its presence, a
    follow-up action, a decision and a version of the minutes (a query count's data)."""
    from supervision import services

    meeting = services.meeting_save(
        actor=actor,
        data={
            "meeting_type": "PLENIERE_TRIMESTRIELLE",
            "title": "P",
            "date": datetime.date(2026, 1, 10),
        },
        invited_ministry_ids=[m.pk for m in ministries],
    )
    for m in ministries:
        services.attendance_record(actor=actor, meeting=meeting, ministry=m, status="PRESENT")
        services.action_item_save(
            actor=actor,
            meeting=meeting,
            data={"description": "X", "due_date": datetime.date(2026, 2, 1), "owner_ministry": m},
        )
        services.decision_add(actor=actor, meeting=meeting, text="D", ministry_ids=[m.pk])
        services.minutes_save(actor=actor, meeting=meeting, body="v")
    return meeting
