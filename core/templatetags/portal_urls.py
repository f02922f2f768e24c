"""`{% fixed_url 'app:name' %}`: the address of a route without arguments, reversed once per
process (and script prefix) instead of at every render.

`{% url %}` costs ~25 µs a tag (a `reverse()` each time); the layout and the inventory list carry
some twenty of them, all without arguments, whose address never changes while the process runs:
~0.4 ms a list page. Routes with arguments keep `{% url %}`.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse

register = template.Library()


@lru_cache(maxsize=512)
def _reversed(name: str, prefix: str) -> str:
    return reverse(name)


@register.simple_tag
def fixed_url(name: str) -> str:
    return _reversed(name, get_script_prefix())
