"""Markdown rendering and validation for user-written bodies (minutes, guides, descriptions).

Bodies with <script>, <iframe>, event handlers or javascript:/data: links are refused with a
message (`validate_safe_markdown`); whatever is stored is still rendered through an allow-list
sanitiser (nh3), so nothing executable ever reaches a page.
"""

from __future__ import annotations

import re
from html import unescape

import markdown as md
import nh3
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
    "h1": {"id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_FORBIDDEN = [
    (re.compile(r"<\s*script", re.I), "balise <script>"),
    (re.compile(r"<\s*iframe", re.I), "balise <iframe>"),
    (re.compile(r"<\s*(object|embed|form|style|link|meta)\b", re.I), "balise interdite"),
    (re.compile(r"\bon[a-z]+\s*=", re.I), "attribut d'événement (onclick, onerror…)"),
]
_SCHEME_WHAT = "lien javascript:, vbscript: ou data:"
# A scheme as a link target: the word itself (not « metadata: »), its colon and the target right
# after it (« data:text/html… »). French typography's « open data : les… » (a space after the
# colon) is prose.
_SCHEME = re.compile(r"(?<![a-z0-9_])(javascript|vbscript|data)\s*:(?=\S)", re.I)
# Hidden by spaces or control characters (« java script: », « javascript: alert »): checked in
# the text without them. Not data:, whose prose uses would then collide (« Data : … »).
_HIDDEN_SCHEME = re.compile(r"(javascript|vbscript):", re.I)


def _squeezed(text: str) -> str:
    """The text without spaces and control characters, when it mentions a script at all."""
    return re.sub(r"[\x00-\x20]+", "", text) if "script" in text.lower() else ""


def _has_scheme(text: str) -> bool:
    return bool(_SCHEME.search(text) or _HIDDEN_SCHEME.search(_squeezed(text)))


def validate_safe_markdown(text: str) -> None:
    """Refuse what would be markup or a script link once rendered (defence in depth: the
    rendering keeps http, https and mailto links only, `render_markdown`)."""
    if not text:
        return
    squeezed = _squeezed(text)
    found = next(
        (what for pattern, what in _FORBIDDEN if pattern.search(text) or pattern.search(squeezed)),
        None,
    )
    if found is None and (_has_scheme(text) or ("&" in text and _has_scheme(unescape(text)))):
        # Written with character references too (« javascript&#58; », « &#106;avascript: »):
        # a browser reads them so in a link. Only the schemes are checked in the decoded text:
        # « &lt;script&gt; » is how a guide shows the tag as text.
        found = _SCHEME_WHAT
    if found is not None:
        raise ValidationError(
            _("Le texte contient un contenu interdit (%(what)s). Retirez-le puis enregistrez.")
            % {"what": found},
            code="unsafe_markdown",
        )


def render_markdown(text: str, *, with_toc: bool = False) -> SafeString:
    extensions = ["tables", "sane_lists", "fenced_code"]
    if with_toc:
        extensions.append("toc")
    html = md.markdown(text or "", extensions=extensions, output_format="html")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 above
