"""`{% fixed_url %}` gives what `{% url %}` gives, reversed once per process and prefix."""

from django.template import engines
from django.urls import reverse, set_script_prefix

from core.templatetags.portal_urls import _reversed


def _render(source: str) -> str:
    return engines["django"].from_string("{% load portal_urls %}" + source).render({})


def test_the_same_address_as_url():
    for name in ("datasets:list", "datasets:create", "core:sitemap", "swagger-ui"):
        assert _render(f"{{% fixed_url '{name}' %}}") == reverse(name)


def test_an_address_under_another_script_prefix():
    try:
        set_script_prefix("/portail/")
        assert _render("{% fixed_url 'datasets:list' %}") == "/portail/inventaire/"
    finally:
        set_script_prefix("/")
    assert _render("{% fixed_url 'datasets:list' %}") == "/inventaire/"
    assert _reversed.cache_info().currsize >= 2
