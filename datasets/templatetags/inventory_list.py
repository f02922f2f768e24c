"""Tags of the inventory list page (datasets/list.html), written for speed.

The list shows 50 rows and up to ~130 facet checkboxes on every request: rendered node by node
by the template engine they cost most of the page's time (~2,000 nodes). The two loops are
built here with `format_html`, which escapes every value exactly as the template did, and the
entry link is derived from one `reverse()` instead of 50. `get_status_display()` is avoided too:
it rebuilds a hashable, translated copy of the choices on each call (~0.2 ms per row).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language

from datasets.models import OpenByDefaultAssessment

register = template.Library()


@cache
def _status_labels(language: str | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in OpenByDefaultAssessment.Status.choices}


@register.filter
def status_label(code: str) -> str:
    """French label of an openness status code (the code itself when unknown)."""
    return _status_labels(get_language()).get(code, code)


def _detail_url_template() -> tuple[str, str]:
    """The entry URL around its id, from one reverse() with a placeholder id."""
    marker = 987654321
    url = reverse("datasets:detail", args=[marker])
    before, _, after = url.partition(str(marker))
    return before, after


@register.simple_tag
def search_facet_sample() -> int:
    """How many of a broad search's most recent matches its facets describe."""
    from datasets.selectors import SEARCH_FACET_SAMPLE

    return SEARCH_FACET_SAMPLE


@register.simple_tag
def facet_fieldsets(facets: Sequence[Any]) -> SafeString:
    """One fieldset of checkboxes per facet that has values (ids f-<facet>-<value>)."""
    parts: list[str] = []
    for i, facet in enumerate(facets, start=1):
        if not facet.values:
            continue
        boxes = format_html_join(
            "",
            '<div class="fr-fieldset__element"><div class="fr-checkbox-group '
            'fr-checkbox-group--sm"><input type="checkbox" id="f-{}-{}" name="{}" value="{}"{}>'
            '<label class="fr-label" for="f-{}-{}">{} ({})</label></div></div>\n',
            (
                (i, j, facet.key, v.value, mark_safe(" checked") if v.selected else "", i, j)
                + (v.label, v.count)
                for j, v in enumerate(facet.values, start=1)
            ),
        )
        parts.append(
            format_html(
                '<fieldset class="fr-fieldset" id="facet-{}"><legend class="fr-fieldset__legend '
                'fr-text--sm fr-text--bold">{}</legend>\n{}</fieldset>\n',
                i,
                facet.label,
                boxes,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - every part comes from format_html


@register.simple_tag
def asset_rows(
    rows: Iterable[tuple[Any, Any]], *, selectable: bool, show_ministry: bool
) -> SafeString:
    """The table rows of the entries (selection box, link with highlights, organisation,
    openness status, date of last change). `rows`: (entry, highlights or None)."""
    before, after = _detail_url_template()
    labels = _status_labels(get_language())
    parts: list[str] = []
    for asset, mark in rows:
        select = (
            format_html(
                '<td><div class="fr-checkbox-group fr-checkbox-group--sm">'
                '<input type="checkbox" name="ids" value="{}" id="sel-{}">'
                '<label class="fr-label" for="sel-{}"><span class="fr-sr-only">'
                "Sélectionner « {} »</span></label></div></td>",
                asset.pk,
                asset.pk,
                asset.pk,
                asset.title,
            )
            if selectable
            else ""
        )
        assessment = getattr(asset, "assessment", None)
        parts.append(
            format_html(
                '<tr>{}<td><a href="{}{}{}">{}</a>{}{}</td><td>{}{}</td><td>{}</td><td>{}</td>'
                "</tr>\n",
                select,
                before,
                asset.pk,
                after,
                mark["title"] if mark else asset.title,
                mark_safe('<p class="fr-badge fr-badge--sm fr-badge--no-icon">Brouillon</p>')
                if asset.visibility == "DRAFT"
                else "",
                format_html('<p class="fr-text--xs fr-mb-0">{}</p>', mark["description"])
                if mark
                else "",
                asset.organization.name,
                format_html('<br><span class="fr-text--xs">{}</span>', asset.ministry)
                if show_ministry
                else "",
                labels.get(assessment.status, assessment.status) if assessment else "À qualifier",
                localtime(asset.updated_at).strftime("%d/%m/%Y"),
            )
        )
    return mark_safe("".join(parts))  # noqa: S308 - every part comes from format_html
