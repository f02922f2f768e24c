"""Guide bodies as HTML with a table of contents built from their headings."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from core.markdown import render_markdown

_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)</h\1>', re.S)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class TocEntry:
    level: int
    anchor: str
    title: str


_ANY_HEADING = re.compile(r"<(/?)h([1-5])\b")


def _demote(rendered: str) -> str:
    """The page title is the only <h1>: a body that uses # titles is shifted one level down."""
    if "<h1" not in rendered:
        return rendered
    return _ANY_HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}", rendered)


def render_guide(body: str) -> tuple[SafeString, list[TocEntry]]:
    rendered = mark_safe(_demote(render_markdown(body, with_toc=True)))  # noqa: S308 - nh3 output
    toc = [
        TocEntry(int(level), anchor, html.unescape(_TAGS.sub("", inner)).strip())
        for level, anchor, inner in _HEADING.findall(rendered)
    ]
    return rendered, toc
