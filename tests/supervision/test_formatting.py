"""Numbers written in Python on French pages: decimal comma, no-break space before « % » and
units, plural from 2 (supervision.formatting), and the indicators that use it."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from supervision import charts
from supervision import formatting as fmt
from supervision.models import RoadmapAction
from supervision.quarters import Quarter
from supervision.selectors import network_indicators
from tests.factories import MandateFactory, MinistryFactory
from tests.supervision.helpers import published_roadmap

NBSP = "\u00a0"
D = datetime.date


@pytest.mark.parametrize(
    ("value", "places", "signed", "expected"),
    [
        (5.46, 1, False, "5,5"),
        (67.5, 1, False, "67,5"),
        (Decimal("12345.678"), 2, False, "12\u202f345,68"),
        (1.25, 1, True, "+1,2"),
        (-0.44, 1, True, "-0,4"),
        (121, 0, False, "121"),
    ],
)
def test_decimal_uses_a_comma_and_narrow_spaces_between_thousands(value, places, signed, expected):
    assert fmt.decimal(value, places, signed=signed) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(50, "50"), (2.5, "2,5"), (0.78, "0,78"), (1800.5, "1\u202f800,5"), (1500, "1\u202f500")],
)
def test_number_drops_trailing_zeros(value, expected):
    assert fmt.number(value) == expected


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (0, 0, f"0{NBSP}an"),
        (1.54, 1, f"1,5{NBSP}an"),
        (1.96, 1, f"2,0{NBSP}ans"),  # plural as shown, not as computed
        (5.46, 1, f"5,5{NBSP}ans"),
        (2, 0, f"2{NBSP}ans"),
    ],
)
def test_quantity_agrees_its_unit_in_french(value, places, expected):
    assert fmt.quantity(value, "an", "ans", places) == expected


def test_percent_has_a_no_break_space_and_a_dash_for_nothing():
    assert fmt.percent(2, 3) == f"67{NBSP}%"
    assert fmt.percent(0, 0) == "—"


def test_chart_descriptions_read_french_numbers():
    spark = charts.sparkline([45.25, None, 80.0], title="Score")
    assert "<desc>45,2 ; — ; 80,0</desc>" in spark
    line = charts.line_chart(["2026-T1", "2026-T2"], [45.5, None], title="Score")
    assert "<desc>2026-T1 : 45,5 ; 2026-T2 : —</desc>" in line


@pytest.mark.django_db
def test_n3_n4_and_n9_read_french_numbers():
    quarter = Quarter(2025, 2)  # read as of 30 June 2025
    # Mean tenure (2020-01-01 → 2025-06-30: 5.49 years), median time share 67.5 %, median team
    # 2.25 ETP.
    MandateFactory(appointment_date=D(2020, 1, 1), time_share_pct=60, team_size_etp=2)
    MandateFactory(appointment_date=D(2020, 1, 1), time_share_pct=75, team_size_etp=Decimal("2.5"))
    ministry: Any = MinistryFactory(in_ogp_scope=True)
    roadmap = published_roadmap(ministry)
    RoadmapAction.objects.create(
        roadmap=roadmap,
        ministry=ministry,
        title="Action",
        status="EN_COURS",
        due_date=D(2024, 12, 12),  # 200 days late: 2.2 quarters
    )
    by_code = {i.code: i for i in network_indicators(quarter)}
    assert dict(by_code["N3"].details)["Ancienneté moyenne"] == f"5,5{NBSP}ans"
    assert by_code["N4"].value == f"quotité médiane 67,5{NBSP}%"
    assert dict(by_code["N4"].details)["Équipe médiane"] == f"2,25{NBSP}ETP"
    assert dict(by_code["N9"].details)["Glissement moyen"] == f"2,2{NBSP}trimestres"
    for indicator in by_code.values():  # no English decimal point left in any figure
        for text in [indicator.value, *(v for _, v in indicator.details)]:
            assert not any(
                a.isdigit() and b == "." and c.isdigit()
                for a, b, c in zip(text, text[1:], text[2:], strict=False)
            ), (indicator.code, text)


def test_a_value_rounding_to_zero_has_no_minus_sign():
    """Review: « -0,0 » for a mean variation of -0.04."""
    from supervision.formatting import decimal

    assert decimal(-0.04) == "0,0"
    assert decimal(-0.04, signed=True) == "+0,0"
    assert decimal(-1.26) == "-1,3"
