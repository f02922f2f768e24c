"""`{% proposals_link %}`: the inventory page's link to « Propositions à valider ».

Read from the caller's scope only (already computed for the page): no query, so the list page
keeps its query count. Shown to those who review proposals (administrators, DINUM staff) and to
correspondents (their own proposals).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.access import access_for
from datasets.permissions import can_review_proposals

register = template.Library()


@register.simple_tag(takes_context=True)
def proposals_link(context: dict[str, Any]) -> SafeString | str:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return ""
    if can_review_proposals(user):
        label = "Propositions à valider"
    elif access_for(user).correspondent_org_ids:
        label = "Mes propositions"
    else:
        return ""
    return format_html(
        '<li><a class="fr-btn fr-btn--tertiary" href="{}">{}</a></li>',
        reverse("datasets:proposals"),
        label,
    )
