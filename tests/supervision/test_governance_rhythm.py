"""Indicator N6 (§7): steering committees (COPIL) held ÷ planned, 6 a year (one per two-month
period), from 1 January to the quarter's end (or to today in the current quarter)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from supervision.models import Meeting
from supervision.quarters import Quarter
from supervision.selectors import copil_planned_by, network_indicators

D = datetime.date
NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("day", "planned"),
    [
        (D(2025, 1, 15), 0),
        (D(2025, 2, 27), 0),
        (D(2025, 2, 28), 1),  # January-February is over
        (D(2025, 3, 31), 1),  # end of T1
        (D(2025, 4, 30), 2),
        (D(2025, 6, 30), 3),  # end of T2
        (D(2025, 9, 30), 4),  # end of T3
        (D(2025, 11, 29), 5),
        (D(2025, 12, 31), 6),  # end of T4: the 6 of the year, never 8
        (D(2028, 2, 28), 0),  # leap year: February ends on the 29th
        (D(2028, 2, 29), 1),
    ],
)
def test_copils_planned_are_the_two_month_periods_ended_since_january(day, planned):
    assert copil_planned_by(day) == planned


def _copils(*days: datetime.date, status: str = "TENUE") -> None:
    for day in days:
        Meeting.objects.create(
            meeting_type=Meeting.Type.COPIL_BIMESTRIEL, title="COPIL", date=day, status=status
        )


@pytest.mark.django_db
def test_n6_of_a_closed_fourth_quarter_expects_six_copils():
    _copils(D(2025, 2, 10))
    _copils(D(2025, 4, 10), status="ANNULEE")
    assert next(i for i in network_indicators(Quarter(2025, 4)) if i.code == "N6").value == (
        f"COPIL 1/6 (17{NBSP}%)"
    )
    _copils(D(2025, 4, 11), D(2025, 6, 10), D(2025, 8, 10), D(2025, 10, 10), D(2025, 12, 10))
    n6 = {i.code: i for i in network_indicators(Quarter(2025, 4))}["N6"]
    assert n6.value == f"COPIL 6/6 (100{NBSP}%)"
    assert "6 par an" in n6.definition


@pytest.mark.django_db
def test_n6_of_the_current_quarter_expects_the_periods_ended_so_far():
    today = timezone.localdate()
    quarter = Quarter.of(today)
    n6 = {i.code: i for i in network_indicators(quarter)}["N6"]
    planned = copil_planned_by(today)
    assert planned <= 6
    if planned:
        assert n6.value.startswith(f"COPIL 0/{planned} ")
    else:
        assert n6.value == "COPIL 0 (aucun prévu à ce jour)"


@pytest.mark.django_db
def test_n6_in_january_says_none_is_planned_yet(monkeypatch):
    """Review: « COPIL 0/0 (—) » before the first two-month period ends."""
    from supervision import selectors

    monkeypatch.setattr(selectors.timezone, "localdate", lambda *a: D(2026, 1, 20))
    _copils(D(2026, 1, 15))
    n6 = {i.code: i for i in network_indicators(Quarter(2026, 1))}["N6"]
    assert n6.value == "COPIL 1 (aucun prévu à ce jour)"
