"""N10: median delay from « à publier » to publication, read from the facts history."""

import datetime

import pytest

from supervision.quarters import Quarter
from supervision.selectors import network_indicators, publication_lead_times
from tests.supervision.helpers import aware, state

pytestmark = pytest.mark.django_db

Q = Quarter(2025, 2)


def test_lead_times_count_entries_first_published_in_the_quarter(ministry):
    # Planned on 1 March, published on 11 April: 41 days, inside 2025-T2.
    state(ministry, asset_id=1, at=aware(datetime.date(2025, 3, 1)), status="TO_PUBLISH")
    state(ministry, asset_id=1, at=aware(datetime.date(2025, 4, 11)), status="PUBLISHED")
    # Planned then published after occultation 10 days later, inside the quarter.
    state(
        ministry,
        asset_id=2,
        at=aware(datetime.date(2025, 5, 1)),
        status="TO_PUBLISH_AFTER_OCCULTATION",
    )
    state(
        ministry,
        asset_id=2,
        at=aware(datetime.date(2025, 5, 11)),
        status="PUBLISHED_AFTER_OCCULTATION",
    )
    # Published before the quarter (then edited inside it): not counted.
    state(ministry, asset_id=3, at=aware(datetime.date(2025, 1, 5)), status="TO_PUBLISH")
    state(ministry, asset_id=3, at=aware(datetime.date(2025, 2, 5)), status="PUBLISHED")
    state(ministry, asset_id=3, at=aware(datetime.date(2025, 5, 5)), status="PUBLISHED")
    # Published directly, never planned: no lead time to measure.
    state(ministry, asset_id=4, at=aware(datetime.date(2025, 4, 20)), status="PUBLISHED")
    # Published after the quarter: not counted.
    state(ministry, asset_id=5, at=aware(datetime.date(2025, 6, 1)), status="TO_PUBLISH")
    state(ministry, asset_id=5, at=aware(datetime.date(2025, 7, 2)), status="PUBLISHED")

    assert sorted(round(d) for d in publication_lead_times(Q)) == [10, 41]


def test_n10_shows_the_median_lead_time_with_its_definition(ministry):
    state(ministry, asset_id=1, at=aware(datetime.date(2025, 4, 1)), status="TO_PUBLISH")
    state(ministry, asset_id=1, at=aware(datetime.date(2025, 4, 21)), status="PUBLISHED")
    n10 = next(i for i in network_indicators(Q) if i.code == "N10")
    assert "délai médian" in n10.definition
    assert ("Délai médian « à publier » → publié", "20\u00a0jours (1\u00a0entrée)") in n10.details


@pytest.mark.parametrize("published_entries", [1, 3])
def test_lead_times_cost_two_queries_whatever_the_data(
    ministry, published_entries, django_assert_num_queries
):
    for asset in range(published_entries):
        state(ministry, asset_id=asset, at=aware(datetime.date(2025, 4, 1)), status="TO_PUBLISH")
        state(ministry, asset_id=asset, at=aware(datetime.date(2025, 4, 9)), status="PUBLISHED")
    with django_assert_num_queries(2):
        assert len(publication_lead_times(Q)) == published_entries


def test_lead_times_cost_one_query_when_nothing_was_published_in_the_quarter(
    ministry, django_assert_num_queries
):
    state(ministry, asset_id=1, at=aware(datetime.date(2025, 3, 1)), status="TO_PUBLISH")
    state(ministry, asset_id=1, at=aware(datetime.date(2025, 3, 9)), status="PUBLISHED")
    state(ministry, asset_id=2, at=aware(datetime.date(2025, 5, 1)), status="TO_PUBLISH")
    state(ministry, asset_id=2, at=aware(datetime.date(2025, 7, 9)), status="PUBLISHED")
    with django_assert_num_queries(1):
        assert publication_lead_times(Q) == []
