"""Review of the impact measurements under concurrency: two imports, or two recordings by hand,
that create the same value (one indicator, one quarter, the network or one ministry) end
without an error page and without a half-written import.

Each race is played deterministically: the first writer is stopped right after it has looked
the value up and validated it (through a wrapper of `Measurement.full_clean`), the second runs
in a thread on its own connection until it has committed or waits for a lock the first one
holds (`pg_blocking_pids`), then the first one goes on. No sleep decides the order.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.concurrency import Rival
from tests.trainings.factories import IndicatorFactory
from trainings import services
from trainings.models import ImpactIndicator, Measurement, quarter_bounds

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="verrous de PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _rival_after_first_validation(monkeypatch: pytest.MonkeyPatch, rival: Rival) -> list[str]:
    """At the first writer's first `full_clean` (its value looked up and found new), let the
    rival run until it is done or blocked; the returned list receives which."""
    real = Measurement.full_clean
    me = threading.get_ident()
    outcome: list[str] = []

    def full_clean(self: Measurement, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        if threading.get_ident() == me and not outcome:
            outcome.append(rival.run_until_done_or_blocked())

    monkeypatch.setattr(Measurement, "full_clean", full_clean)
    return outcome


def _file(*lines: str) -> bytes:
    return ("indicateur;trimestre;valeur;ministere\n" + "".join(f"{x}\n" for x in lines)).encode()


@pytest.mark.parametrize("level", ["reseau", "ministere"])
def test_two_imports_creating_the_same_value_at_once_both_succeed(
    monkeypatch, dinum_user, ministry, level
):
    """Before, the second to write broke `measurement_unique_network` (or `_ministry`) and the
    import page answered 500; now the second waits for the first, then updates its row, as a
    re-import does."""
    if level == "reseau":
        IndicatorFactory(code="telechargements")
        where = ""
    else:
        IndicatorFactory(code="telechargements", level=ImpactIndicator.Level.MINISTERE)
        where = ministry.code
    rival = Rival(
        lambda: services.measurements_import(
            actor=dinum_user, content=_file(f"telechargements;2025-T1;20;{where}")
        )
    )
    outcome = _rival_after_first_validation(monkeypatch, rival)

    mine = services.measurements_import(
        actor=dinum_user, content=_file(f"telechargements;2025-T1;10;{where}")
    )

    theirs = rival.finish()
    assert outcome == ["blocked"]
    assert mine.ok and theirs.ok, (mine.errors, theirs.errors)
    assert (mine.created, mine.updated) == (1, 0)
    assert (theirs.created, theirs.updated) == (0, 1)
    kept = Measurement.objects.get()
    assert kept.value == Decimal(20)  # the later import's value, as if it had been re-run
    assert kept.ministry_id == (ministry.pk if where else None)


def test_imports_listing_the_same_indicators_in_opposite_orders_do_not_deadlock(
    monkeypatch, dinum_user
):
    """Each import locks its indicators in one order (pk), whatever the order of its lines:
    the second waits for the whole first import, and neither is rolled back as a deadlock."""
    IndicatorFactory(code="a")
    IndicatorFactory(code="b")
    rival = Rival(
        lambda: services.measurements_import(
            actor=dinum_user, content=_file("b;2025-T2;2;", "a;2025-T2;2;")
        )
    )
    outcome = _rival_after_first_validation(monkeypatch, rival)

    mine = services.measurements_import(
        actor=dinum_user, content=_file("a;2025-T2;1;", "b;2025-T2;1;")
    )

    theirs = rival.finish()
    assert outcome == ["blocked"]
    assert (mine.created, mine.updated, mine.errors) == (2, 0, [])
    assert (theirs.created, theirs.updated, theirs.errors) == (0, 2, [])
    assert sorted(Measurement.objects.values_list("indicator__code", "value")) == [
        ("a", Decimal(2)),
        ("b", Decimal(2)),
    ]


def test_an_import_with_a_bad_line_run_beside_another_writes_nothing(monkeypatch, dinum_user):
    """The rival's file has a bad line after the shared value: it waits, then is refused as a
    whole (all or nothing still holds), and the first import's value stays."""
    IndicatorFactory(code="a")
    IndicatorFactory(code="par-ministere", level=ImpactIndicator.Level.MINISTERE)
    rival = Rival(
        lambda: services.measurements_import(
            actor=dinum_user, content=_file("a;2025-T3;2;", "par-ministere;2025-T3;2;")
        )
    )
    outcome = _rival_after_first_validation(monkeypatch, rival)

    mine = services.measurements_import(actor=dinum_user, content=_file("a;2025-T3;1;"))

    theirs = rival.finish()
    assert outcome == ["blocked"]
    assert mine.ok and (mine.created, mine.updated) == (1, 0)
    assert theirs.errors == ["Ligne 3 : Cet indicateur se mesure par ministère : indiquez-le."]
    assert (theirs.created, theirs.updated) == (0, 0)
    assert list(Measurement.objects.values_list("indicator__code", "value")) == [("a", Decimal(1))]


def test_two_recordings_by_hand_of_the_same_value_refuse_the_second_in_french(
    monkeypatch, dinum_user, ministry
):
    """Two people (or the page and the API) record the same quarter: before, the second broke
    `measurement_unique_ministry` (500); now it waits, then gets the constraint's message, as
    a recording made after the first one does."""
    indicator = IndicatorFactory(level=ImpactIndicator.Level.MINISTERE)
    start, end = quarter_bounds(2025, 1)

    def record(value: int) -> Measurement:
        return services.measurement_record(
            actor=dinum_user,
            indicator=indicator,
            period_start=start,
            period_end=end,
            value=Decimal(value),
            ministry=ministry,
        )

    rival = Rival(lambda: record(20))
    outcome = _rival_after_first_validation(monkeypatch, rival)

    mine = record(10)

    with pytest.raises(ValidationError, match="Une valeur existe déjà pour cet indicateur"):
        rival.finish()
    assert outcome == ["blocked"]
    assert Measurement.objects.get().pk == mine.pk and mine.value == 10
