"""The inventory's pagination, built in Python, is django-dsfr's markup (plus the DSFR's
disabled marking of links that lead nowhere)."""

import re

import pytest
from django.core.paginator import Paginator
from django.template import engines
from django.test import RequestFactory
from django.utils import translation


def _normalised(html: str) -> str:
    html = re.sub(r"\s+", " ", html).strip()
    html = re.sub(r"\s*>\s*", ">", html)
    html = re.sub(r"\s*<\s*", "<", html)
    return re.sub(r'"\s+(?=[a-z-]+=)', '" ', html)


@pytest.mark.parametrize("number", [1, 2, 7, 12])
@pytest.mark.parametrize(
    "query", ["", "q=%C3%A9lus+%3Cb%3E&status=TO_ASSESS&status=PUBLISHED", "page=3&organization=4"]
)
def test_the_markup_is_that_of_dsfr_pagination(number, query):
    request = RequestFactory().get(f"/inventaire/?{query}")
    page = Paginator(range(600), 50).get_page(number)
    engine = engines["django"]
    with translation.override("fr"):
        theirs = engine.from_string("{% load dsfr_tags %}{% dsfr_pagination page_obj %}").render(
            {"page_obj": page}, request
        )
        ours = engine.from_string(
            "{% load inventory_list %}{% inventory_pagination page_obj %}"
        ).render({"page_obj": page}, request)
    # The same markup, but for the DSFR's documented marking of a link that leads nowhere
    # (first/previous on page 1, next/last on the last page), which django-dsfr omits.
    disabled = ' aria-disabled="true" role="link"'
    expected_disabled = (2 if number == 1 else 0) + (2 if number == 12 else 0)
    assert ours.count(disabled) == expected_disabled
    assert _normalised(ours.replace(disabled, "")) == _normalised(theirs)
    assert "Page suivante" in ours
    assert "<b>" not in ours
