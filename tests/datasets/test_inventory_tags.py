"""The inventory list's hand-built tags escape and format as Django would."""

import datetime
import zoneinfo

import pytest
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime, override

from datasets import selectors
from datasets.templatetags.inventory_list import _day, _e


@pytest.mark.parametrize(
    "value",
    [
        "Direction des libertés publiques",
        '<script>alert("x")</script>',
        "Systèmes d'information & réseaux",
        "a > b",
        "",
        0,
        12345,
        True,
        None,
        mark_safe("<mark>élus</mark>"),
    ],
)
def test_escaping_is_that_of_django(value):
    assert _e(value) == str(conditional_escape(value))


def test_the_day_is_that_of_localtime_in_the_current_zone():
    moment = datetime.datetime(2026, 3, 31, 23, 30, tzinfo=datetime.UTC)
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    with override(paris):
        assert _day(moment, paris) == localtime(moment).strftime("%d/%m/%Y") == "01/04/2026"


def test_cached_facets_come_back_identical():
    facets = [
        selectors.Facet(
            "organization",
            "Organisation",
            [
                selectors.FacetValue("12", "DGEF", 3, True),
                selectors.FacetValue("4", "DLP", 1, False),
            ],
        ),
        selectors.Facet("status", "Statut d'ouverture", []),
    ]
    assert selectors._unpacked(selectors._packed(facets)) == facets


@pytest.mark.django_db
def test_the_wizard_prefill_reads_its_grounds_in_one_query(django_assert_num_queries):
    from django.test import RequestFactory

    from core.models import LegalGround
    from datasets.qualification_pages import prefill

    codes = list(LegalGround.objects.order_by("code").values_list("code", flat=True)[:7])
    asked = ["INCONNU", *codes, "AUTRE-INCONNU"]
    request = RequestFactory().get("/", {"ground": asked, "status": "NOT_COMMUNICABLE"})
    with django_assert_num_queries(1):
        initial = prefill(request)
    assert [initial[f"ground_{i}"] for i in range(5)] == codes[:5]
    assert "ground_5" not in initial and initial["status"] == "NOT_COMMUNICABLE"
