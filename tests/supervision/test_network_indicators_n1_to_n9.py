"""Network indicators N1, N7 and N9 (§7) on a past quarter: coverage, follow-through of action
items and roadmap execution, from real rows, several of them alike (the selector reads them
counted by status and dates, so each one must still count once)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from supervision.models import ActionItem, Meeting, RoadmapAction
from supervision.quarters import Quarter
from supervision.selectors import network_indicators
from tests.factories import MandateFactory, MinistryFactory
from tests.supervision.helpers import published_roadmap

pytestmark = pytest.mark.django_db

Q = Quarter(2025, 2)  # its indicators are read as of 30 June 2025
D = datetime.date


def _by_code() -> dict[str, Any]:
    return {i.code: i for i in network_indicators(Q)}


def _meeting(day: datetime.date) -> Meeting:
    return Meeting.objects.create(
        meeting_type=Meeting.Type.COPIL_BIMESTRIEL, title="COPIL", date=day, status="TENUE"
    )


def _items(meeting: Meeting, count: int, **fields: Any) -> None:
    for _ in range(count):
        ActionItem.objects.create(meeting=meeting, description="Action", **fields)


def test_n1_and_n9_count_ministries_in_scope_with_a_titular_and_a_current_roadmap():
    covered = MinistryFactory(in_ogp_scope=True)
    MandateFactory(ministry=covered, appointment_date=D(2024, 1, 1))
    published_roadmap(covered)
    published_roadmap(MinistryFactory(in_ogp_scope=True))
    MinistryFactory(in_ogp_scope=True)
    ended = MinistryFactory(in_ogp_scope=True)
    MandateFactory(ministry=ended, appointment_date=D(2023, 1, 1), end_date=D(2025, 3, 1))
    out_of_scope = MinistryFactory(in_ogp_scope=False)
    MandateFactory(ministry=out_of_scope, appointment_date=D(2024, 1, 1))
    published_roadmap(out_of_scope)
    by_code = _by_code()
    assert by_code["N1"].value == "1/4 (25\u00a0%)"
    assert by_code["N9"].value == "2/4 ministères (50\u00a0%)"


def test_n7_counts_each_action_item_once_and_the_median_age_of_open_ones():
    march, june = _meeting(D(2025, 3, 1)), _meeting(D(2025, 6, 10))
    _items(march, 2, due_date=D(2025, 4, 1), status="FAITE", closed_at=D(2025, 3, 20))
    _items(march, 1, due_date=D(2025, 4, 1), status="FAITE", closed_at=D(2025, 4, 15))
    _items(march, 1, due_date=D(2025, 4, 1), status="ANNULEE")
    _items(march, 2, due_date=D(2025, 5, 1), status="OUVERTE")  # overdue, 121 days old
    _items(june, 1, due_date=D(2025, 8, 1), status="EN_COURS")  # not due yet, 20 days old
    _items(_meeting(D(2025, 7, 5)), 3, due_date=D(2025, 5, 1), status="OUVERTE")  # after Q
    n7 = _by_code()["N7"]
    assert n7.value == "40\u00a0% à l'heure"  # 2 closed by their due date out of 5 due
    assert dict(n7.details) == {
        "Actions en retard": "2",
        "Âge médian des actions ouvertes": "121\u00a0j",
    }


def test_n9_counts_each_roadmap_action_once_and_the_slippage_of_late_ones():
    ministry: Any = MinistryFactory(in_ogp_scope=True)
    roadmap = published_roadmap(ministry)

    def actions(count: int, status: str, due: datetime.date | None) -> None:
        for _ in range(count):
            RoadmapAction.objects.create(
                roadmap=roadmap,
                ministry=ministry,
                title="Action",
                status=status,
                due_date=due,
                evidence_url="https://www.data.gouv.fr/" if status == "REALISEE" else "",
                abandon_reason="Abandonnée." if status == "ABANDONNEE" else "",
            )

    actions(2, "REALISEE", D(2025, 3, 31))
    actions(2, "EN_COURS", D(2025, 5, 31))  # 30 days late each
    actions(1, "A_LANCER", D(2025, 4, 30))  # 61 days late
    actions(1, "ABANDONNEE", D(2025, 1, 1))
    actions(1, "A_LANCER", D(2025, 8, 1))
    actions(1, "REPORTEE", None)
    details = dict(_by_code()["N9"].details)
    assert details["Actions réalisées"] == "2/8 (25\u00a0%)"
    assert details["Actions en retard"] == "3 (38\u00a0%)"
    assert details["Glissement moyen"] == "0,4\u00a0trimestre"  # (30 + 30 + 61) / 3 / 91.3


def test_n6_and_n8_count_meetings_held_and_ministries_in_scope_with_a_sprint():
    sprinter = MinistryFactory(in_ogp_scope=True)
    MinistryFactory(in_ogp_scope=True)  # in scope, no sprint
    outside = MinistryFactory(in_ogp_scope=False)
    cancelled_only = MinistryFactory(in_ogp_scope=True)
    old_only = MinistryFactory(in_ogp_scope=True)

    def meeting(kind: str, day: datetime.date, status: str = "TENUE", **fields: Any) -> None:
        Meeting.objects.create(meeting_type=kind, title="R", date=day, status=status, **fields)

    sprint = Meeting.Type.SPRINT_OPEN_DATA
    meeting(sprint, D(2025, 2, 1), ministry=sprinter)
    meeting(sprint, D(2025, 5, 1), ministry=sprinter)  # the same ministry counts once
    meeting(sprint, D(2025, 5, 1), ministry=outside)
    meeting(sprint, D(2025, 5, 1), status="ANNULEE", ministry=cancelled_only)
    meeting(sprint, D(2024, 6, 1), ministry=old_only)  # more than 12 months before 30 June
    meeting(sprint, D(2025, 7, 1), ministry=old_only)  # after the quarter
    meeting(Meeting.Type.COPIL_BIMESTRIEL, D(2025, 1, 20))
    meeting(Meeting.Type.COPIL_BIMESTRIEL, D(2025, 3, 20))
    meeting(Meeting.Type.COPIL_BIMESTRIEL, D(2025, 5, 20), status="ANNULEE")
    meeting(Meeting.Type.COPIL_BIMESTRIEL, D(2024, 11, 20))  # last year
    meeting(Meeting.Type.PLENIERE_TRIMESTRIELLE, D(2025, 4, 2))
    meeting(Meeting.Type.ATELIER_THEMATIQUE, D(2025, 6, 2))
    meeting(Meeting.Type.ATELIER_THEMATIQUE, D(2025, 8, 2))  # after the quarter
    by_code = _by_code()
    # 3 COPILs planned by 30 June: January-February, March-April, May-June.
    assert by_code["N6"].value == "COPIL 2/3 (67\u00a0%)"
    assert dict(by_code["N6"].details) == {"Plénières tenues": "1/2", "Ateliers tenus": "1"}
    assert by_code["N8"].value == "1/4 (25\u00a0%)"
