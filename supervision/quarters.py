"""Calendar quarters ("2026-T3"): bounds, parsing, the current and the previous quarter."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

# The years a quarter label may name: the network's records start in the 2010s; anything else is
# a typo (and year 0 or 10000 would not even be a date).
MIN_YEAR, MAX_YEAR = 2000, 2099
_LABEL = re.compile(r"^\s*(\d{4})\s*-?\s*T([1-4])\s*$", re.I)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    @classmethod
    def of(cls, day: datetime.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def current(cls) -> Quarter:
        return cls.of(timezone.localdate())

    @classmethod
    def parse(cls, label: str) -> Quarter:
        match = _LABEL.match(label or "")
        if not match:
            raise ValidationError(
                "Trimestre invalide : « %(label)s ». Utilisez la forme 2026-T3.",
                params={"label": label},
                code="invalid_quarter",
            )
        year = int(match.group(1))
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValidationError(
                "Trimestre invalide : « %(label)s ». L'année doit être comprise entre "
                "%(min)s et %(max)s.",
                params={"label": label, "min": MIN_YEAR, "max": MAX_YEAR},
                code="invalid_quarter",
            )
        return cls(year, int(match.group(2)))

    @property
    def label(self) -> str:
        return f"{self.year}-T{self.quarter}"

    @property
    def display(self) -> str:
        """The ouverture.data.gouv.fr form: "T3 2026"."""
        return f"T{self.quarter} {self.year}"

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 3 * (self.quarter - 1) + 1, 1)

    @property
    def end(self) -> datetime.date:
        return self.next().start - datetime.timedelta(days=1)

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.quarter == 4 else Quarter(self.year, self.quarter + 1)
        )

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.quarter == 1 else Quarter(self.year, self.quarter - 1)
        )

    def end_datetime(self) -> datetime.datetime:
        """The last instant of the quarter in the portal's time zone."""
        tz = timezone.get_current_timezone()
        return datetime.datetime.combine(self.end, datetime.time.max).replace(tzinfo=tz)

    def is_closed(self, today: datetime.date | None = None) -> bool:
        return self.end < (today or timezone.localdate())

    def is_future(self, today: datetime.date | None = None) -> bool:
        return self.start > (today or timezone.localdate())

    def last(self, count: int) -> list[Quarter]:
        """This quarter and the `count - 1` before it, oldest first."""
        out = [self]
        while len(out) < count:
            out.append(out[-1].previous())
        return list(reversed(out))

    def __str__(self) -> str:
        return self.label
