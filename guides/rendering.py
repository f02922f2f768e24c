"""Guide bodies as HTML with a table of contents built from their headings."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.utils.safestring import SafeString

from core.markdown import render_markdown

_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)</h\1>', re.S)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class TocEntry:
    level: int
    anchor: str
    title: str


def render_guide(body: str) -> tuple[SafeString, list[TocEntry]]:
    rendered = render_markdown(body, with_toc=True)
    toc = [
        TocEntry(int(level), anchor, html.unescape(_TAGS.sub("", inner)).strip())
        for level, anchor, inner in _HEADING.findall(rendered)
    ]
    return rendered, toc
