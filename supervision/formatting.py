"""Numbers written in Python for French pages (indicator values, chart descriptions).

French typography: a decimal comma (« 5,5 »), a narrow no-break space between thousands
(« 12 345 »), a no-break space before « % » and before a unit (« 67,5 % », « 3 ETP ») so the
number never ends a line alone, and a plural from 2 on (« 1,5 an », « 2 ans », « 0 jour »).
Templates use Django's localised filters (`floatformat`) instead.
"""

from __future__ import annotations

from typing import Any

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"
DASH = "—"


def _french(text: str) -> str:
    return text.replace(",", NARROW_NBSP).replace(".", ",")


def decimal(value: Any, places: int = 1, *, signed: bool = False) -> str:
    """`value` with exactly `places` decimals: decimal(5.46) == "5,5"."""
    sign = "+" if signed else ""
    # The `z` option: a value that rounds to zero reads « 0,0 », never « -0,0 ».
    return _french(f"{float(value):{sign}z,.{places}f}")


def number(value: Any, max_places: int = 2) -> str:
    """`value` with at most `max_places` decimals, trailing zeros dropped: "50", "2,5"."""
    text = _french(f"{float(value):,.{max_places}f}")
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return "0" if text == "-0" else text


def quantity(value: Any, singular: str, plural: str, places: int = 1) -> str:
    """`value` and its unit, agreed in French (plural from 2): quantity(5.46, "an", "ans") ==
    "5,5 ans"; whole numbers keep no decimals when `places` is 0."""
    agreed = plural if abs(round(float(value), places)) >= 2 else singular
    return f"{decimal(value, places)}{NBSP}{agreed}"


def percent(num: float, den: float) -> str:
    """num ÷ den as a whole percentage ("67 %"), or a dash when there is nothing to divide by."""
    return f"{100 * num / den:.0f}{NBSP}%" if den else DASH


def with_unit(text: str, unit: str) -> str:
    """An already formatted number followed by its unit, kept on the same line."""
    return f"{text}{NBSP}{unit}"
