"""Tags of the inventory list page (datasets/list.html), written for speed.

The list shows 50 rows and up to ~130 facet checkboxes on every request: rendered node by node
by the template engine they cost most of the page's time (~2,000 nodes). The two loops are
built here in Python, each value escaped as the template did (`conditional_escape`), and the
entry link is derived from one `reverse()` instead of 50. `get_status_display()` is avoided too:
it rebuilds a hashable, translated copy of the choices on each call (~0.2 ms per row).
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Container, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone
from django.utils.translation import get_language, gettext

from datasets.models import OpenByDefaultAssessment

register = template.Library()


@cache
def _status_labels(language: str | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in OpenByDefaultAssessment.Status.choices}


@register.filter
def status_label(code: str) -> str:
    """French label of an openness status code (the code itself when unknown)."""
    return _status_labels(get_language()).get(code, code)


@register.filter
def approximately(value: int) -> str:
    """An estimated count rounded to two significant digits, with French digit grouping
    (15 226 -> "15 000", 8 412 -> "8 400")."""
    n = int(value)
    if n < 100:
        return str(n)
    rounded = round(n, 2 - len(str(n)))
    return f"{rounded:,}".replace(",", "\u202f")


def _url_template(name: str) -> tuple[str, str]:
    """The URL `name` of an entry around its id, escaped: from one reverse() with a placeholder
    id instead of one per row."""
    marker = 987654321
    url = reverse(name, args=[marker])
    before, _, after = url.partition(str(marker))
    return _e(before), _e(after)


@register.simple_tag
def search_facet_sample() -> int:
    """How many of a broad search's most recent matches its facets describe."""
    from datasets.selectors import SEARCH_FACET_SAMPLE

    return SEARCH_FACET_SAMPLE


_TO_ESCAPE = re.compile("[&<>\"']")


def _e(value: Any) -> str:
    """`conditional_escape` without its lazy-string wrapper (same output, a fraction of the cost
    over ~1,000 values a page): safe strings as they are, anything else HTML-escaped. Most
    values (counts, ids, names) have nothing to escape: one regular-expression test then."""
    if type(value) is int:
        return str(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    text = str(value)
    if _TO_ESCAPE.search(text) is None:
        return text
    return html.escape(text)


@register.simple_tag
def facet_fieldsets(facets: Sequence[Any]) -> SafeString:
    """One fieldset of checkboxes per facet that has values (ids f-<facet>-<value>)."""
    parts: list[str] = []
    for i, facet in enumerate(facets, start=1):
        if not facet.values:
            continue
        name = _e(facet.key)
        parts.append(
            f'<fieldset class="fr-fieldset" id="facet-{i}"><legend class="fr-fieldset__legend '
            f'fr-text--sm fr-text--bold">{_e(facet.label)}</legend>\n'
        )
        for j, v in enumerate(facet.values, start=1):
            checked = " checked" if v.selected else ""
            parts.append(
                '<div class="fr-fieldset__element"><div class="fr-checkbox-group '
                f'fr-checkbox-group--sm"><input type="checkbox" id="f-{i}-{j}" name="{name}" '
                f'value="{_e(v.value)}"{checked}><label class="fr-label" for="f-{i}-{j}">'
                f"{_e(v.label)} ({_e(v.count)})</label></div></div>\n"
            )
        parts.append("</fieldset>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped by _e


@register.simple_tag
def facet_hidden_inputs(facets: Sequence[Any]) -> SafeString:
    """The selected facet values as hidden inputs (the search form keeps the filters)."""
    return mark_safe(  # noqa: S308 - every value is escaped by _e
        "".join(
            f'<input type="hidden" name="{_e(facet.key)}" value="{_e(v.value)}">'
            for facet in facets
            for v in facet.values
            if v.selected
        )
    )


@cache
def _bulk_fixed_fields(language: str | None, qualify: bool) -> str:
    """The action, status and date fields of the bulk form, as the form renders them: they
    depend on nothing but the code (and the language), so each process renders them once.
    Without `qualify` (correspondents, who only propose qualifications one entry at a time),
    no status action."""
    return _bulk_fields(qualify, None)


def _bulk_fields(qualify: bool, values: Mapping[str, str] | None) -> str:
    """The same fields, holding `values` (a refused action shown again) when given."""
    from administrators.models import Organization
    from datasets.forms import BulkActionForm

    form = BulkActionForm(organizations=Organization.objects.none(), initial=values or {})
    names: tuple[str, ...] = ("action", "status", "planned_date")
    if not qualify:
        action: Any = form.fields["action"]
        action.choices = [c for c in action.choices if c[0] != "status"]
        names = ("action",)
    return "".join(
        f'<div class="fr-fieldset__element">{form[name].as_field_group()}</div>' for name in names
    )


@register.simple_tag
def bulk_action_fields(
    organizations: Iterable[tuple[int, str]] | None,
    qualify: bool = True,
    values: Mapping[str, str] | None = None,
) -> SafeString:
    """The fields of the bulk form. `organizations`: (id, name) of the organisations a
    selection can be attached to, or None when the list spans several ministries. `qualify`:
    whether the caller may change openness statuses directly. `values`: those of a refused
    action, shown again."""
    parts = [
        _bulk_fields(bool(qualify), values)
        if values
        else _bulk_fixed_fields(get_language(), bool(qualify))
    ]
    chosen = str((values or {}).get("organization", ""))
    if organizations is None:
        parts.append(
            '<p class="fr-fieldset__element fr-hint-text">Pour rattacher des entrées à une '
            "organisation, filtrez d'abord sur un ministère.</p>"
        )
    else:
        options = "".join(
            f'<option value="{int(pk)}"{" selected" if str(pk) == chosen else ""}>'
            f"{_e(name)}</option>"
            for pk, name in organizations
        )
        parts.append(
            '<div class="fr-fieldset__element"><div class="fr-select-group">'
            '<label for="id_organization" class="fr-label">Organisation (Optionnel)</label>'
            '<select name="organization" class="fr-select" id="id_organization">'
            f'<option value=""{"" if chosen else " selected"}>---------</option>{options}'
            "</select></div></div>"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped by _e


def _day(moment: datetime.datetime, zone: Any) -> str:
    """dd/mm/yyyy in the current time zone (`localtime(...).strftime`, without its lookups)."""
    local = moment.astimezone(zone)
    return f"{local.day:02d}/{local.month:02d}/{local.year}"


@register.simple_tag
def asset_rows(
    rows: Iterable[tuple[Mapping[str, Any], Any]],
    *,
    selectable: bool,
    show_ministry: bool,
    selected: Container[int] = (),
) -> SafeString:
    """The table rows of the entries (selection box, link with highlights, organisation,
    openness status, date of last change). `rows`: (entry as the dict of
    `selectors.LIST_ROW_FIELDS`, highlights or None); `selected`: ids whose box is ticked (the
    selection of a refused bulk action)."""
    before, after = _url_template("datasets:detail")
    labels = _status_labels(get_language())
    draft = '<p class="fr-badge fr-badge--sm fr-badge--no-icon">Brouillon</p>'
    zone = get_current_timezone()
    parts: list[str] = []
    for row, mark in rows:
        pk = int(row["pk"])
        title = _e(row["title"])
        select = (
            '<td><div class="fr-checkbox-group fr-checkbox-group--sm">'
            f'<input type="checkbox" name="ids" value="{pk}" id="sel-{pk}"'
            f"{' checked' if pk in selected else ''}>"
            f'<label class="fr-label" for="sel-{pk}"><span class="fr-sr-only">'
            f"Sélectionner « {title} »</span></label></div></td>"
            if selectable
            else ""
        )
        shown = _e(mark["title"]) if mark else title
        summary = f'<p class="fr-text--xs fr-mb-0">{_e(mark["description"])}</p>' if mark else ""
        ministry = (
            '<br><span class="fr-text--xs">'
            f"{_e(row['ministry__short_name'] or row['ministry__name'])}</span>"
            if show_ministry
            else ""
        )
        code = row["assessment__status"]
        status = labels.get(code, code) if code else "À qualifier"
        parts.append(
            f'<tr>{select}<td><a href="{before}{pk}{after}">{shown}</a>'
            f"{draft if row['visibility'] == 'DRAFT' else ''}{summary}</td>"
            f"<td>{_e(row['organization__name'])}{ministry}</td><td>{_e(status)}</td>"
            f"<td>{_day(row['updated_at'], zone)}</td></tr>\n"
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped by _e


@register.simple_tag
def public_rows(rows: Iterable[tuple[Mapping[str, Any], Any]], *, searched: bool) -> SafeString:
    """The table rows of the public catalogue (datasets/public_catalogue.html): the entry's link
    to its public page (with highlights), its organisation, its ministry, the date of its last
    change. `rows`: (entry as the dict of `public_catalogue.ROW_FIELDS`, highlights or None).
    Built here for the reason `asset_rows` is: ~6 ms of template nodes a page."""
    before, after = _url_template("datasets:public_entry")
    zone = get_current_timezone()
    parts: list[str] = []
    for row, mark in rows:
        shown = _e(mark["title"]) if mark else _e(row["title"])
        summary = (
            f'<p class="fr-text--xs fr-mb-0">{_e(mark["description"])}</p>'
            if mark and mark["description"]
            else ""
        )
        ministry = row["ministry__short_name"] or row["ministry__name"]
        parts.append(
            f'<tr><td><a href="{before}{int(row["pk"])}{after}">{shown}</a>{summary}</td>'
            f"<td>{_e(row['organization__name'])}</td><td>{_e(ministry)}</td>"
            f"<td>{_day(row['updated_at'], zone)}</td></tr>\n"
        )
    if not parts:
        empty = (
            "Aucune entrée publiée ne correspond à votre recherche."
            if searched
            else "Aucune entrée publiée pour l'instant."
        )
        parts.append(f'<tr><td colspan="4">{empty}</td></tr>\n')
    return mark_safe("".join(parts))  # noqa: S308 - every value is escaped by _e


@register.simple_tag(takes_context=True)
def inventory_pagination(context: Mapping[str, Any], page_obj: Any) -> SafeString:
    """`{% dsfr_pagination page_obj %}`'s markup (django-dsfr's dsfr/pagination.html, checked
    by a test), built here: its template costs ~0.5 ms a page, mostly in six
    `url_remplace_params` calls that each copy the query string."""
    query = context["request"].GET.copy()

    def href(number: int) -> str:
        query["page"] = str(number)
        return f' href="?{_e(query.urlencode())}"'

    # A link with nowhere to go is marked disabled, as the DSFR's pagination documents
    # (django-dsfr's template leaves it out, and axe then measures its greyed-out contrast).
    disabled = ' aria-disabled="true" role="link"'
    number, last = page_obj.number, page_obj.paginator.num_pages
    first_href = href(1) if page_obj.has_previous() else disabled
    prev_href = href(page_obj.previous_page_number()) if page_obj.has_previous() else disabled
    next_href = href(page_obj.next_page_number()) if page_obj.has_next() else disabled
    last_href = href(last) if page_obj.has_next() else disabled
    return mark_safe(  # noqa: S308 - the query string is escaped by _e, the rest is ours
        f'<nav role="navigation" class="fr-pagination" aria-label="{_e(gettext("Pagination"))}">'
        '<ul class="fr-pagination__list">'
        f'<li><a class="fr-pagination__link fr-pagination__link--first"{first_href}>'
        f"{_e(gettext('First page'))}</a></li>"
        '<li><a class="fr-pagination__link fr-pagination__link--prev '
        f'fr-pagination__link--lg-label"{prev_href}>{_e(gettext("Previous page"))}</a></li>'
        # django-dsfr's title here reads its "Page" label outside the loop that defines it.
        f'<li><a class="fr-pagination__link" aria-current="page" title=" {number} / {last}"'
        f"{href(number)}>{number} / {last}</a></li>"
        '<li><a class="fr-pagination__link fr-pagination__link--next '
        f'fr-pagination__link--lg-label"{next_href}>{_e(gettext("Next page"))}</a></li>'
        f'<li><a class="fr-pagination__link fr-pagination__link--last"{last_href}>'
        f"{_e(gettext('Last page'))}</a></li>"
        "</ul></nav>"
    )
