"""What the two qualification pages share: the administrator's « Qualifier » form
(datasets.views) and the correspondent's proposal form (datasets.views_proposals), which are the
same form under the same rules, one applied at once, the other stored for validation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.urls import reverse

from core.models import LegalGround
from datasets import wizard
from datasets.models import DataAsset
from datasets.validation import GroundInput, QualificationInput, ValidationResult

# Form fields the wizard's answers replace (« prefill »): its grounds and their details.
_PREFILLED_PREFIXES = ("ground_", "sub_reference_", "justification_", "public_motive_")


def crumbs(*items: tuple[str, str]) -> dict[str, Any]:
    """The breadcrumb of an inventory page: « Inventaire », then (title, url) pairs, the last
    one being the current page."""
    links = [{"url": url, "title": title} for title, url in items[:-1]]
    return {
        "links": [{"url": reverse("datasets:list"), "title": "Inventaire"}, *links],
        "current": items[-1][0],
    }


def blank(name: str) -> Any:
    """The empty value of a qualification field left out of the form."""
    if name in (
        "planned_date",
        "published_at",
        "decided_at",
        "review_due",
        "no_anonymisation_category",
    ):
        return None
    return ""


def qualification_input(
    cleaned: Mapping[str, Any], grounds: Iterable[Mapping[str, Any]]
) -> QualificationInput:
    """The qualification a valid form describes, with its grounds."""
    values: dict[str, Any] = {
        name: (cleaned.get(name) if cleaned.get(name) is not None else blank(name))
        for name in QualificationInput.FIELDS
    }
    return QualificationInput(**values, grounds=[GroundInput(**g) for g in grounds])


def prefill(request: HttpRequest) -> dict[str, Any]:
    """Initial values the qualification wizard passes in the query string (known grounds only,
    five at most)."""
    g = request.GET
    initial: dict[str, Any] = {}
    for name in ("status", "occultation_method", "personal_data_basis"):
        if g.get(name):
            initial[name] = g[name]
    asked = g.getlist("ground")
    known = set(LegalGround.objects.filter(code__in=asked).values_list("code", flat=True))
    codes = [c for c in asked if c in known][:5]
    for i, code in enumerate(codes):
        initial[f"ground_{i}"] = code
    return initial


def with_prefill(request: HttpRequest, initial: dict[str, Any]) -> dict[str, Any]:
    """`initial`, where the wizard's answers (if any) replace the grounds."""
    if request.GET.get("prefill"):
        initial = {k: v for k, v in initial.items() if not k.startswith(_PREFILLED_PREFIXES)}
        initial.update(prefill(request))
    return initial


def wizard_explanation(request: HttpRequest) -> str:
    """Why the wizard suggested the status it passes in (shown above the form)."""
    answers = wizard.clean_answers(
        {k[2:]: str(request.GET.get(k)) for k in request.GET if k.startswith("a_")}
    )
    if not answers:
        return ""
    _, outcome = wizard.next_step(answers)
    return outcome.explanation if outcome is not None else ""


def size_suggestion(asset: DataAsset) -> str | None:
    """Rule 7 of DOMAIN §5: a producer under 50 agents is suggested « Hors obligation »."""
    if asset.organization.subject_l312_1_1:
        return None
    return (
        f"« {asset.organization.name} » compte moins de 50 agents : statut suggéré « Hors "
        "obligation » (motif SCOPE_L312_1_1_SEUIL), sauf publication volontaire."
    )


def announce(request: HttpRequest, result: ValidationResult) -> None:
    """The warnings and suggestions of a saved qualification, as page messages."""
    for warnings in result.warnings.values():
        for message in warnings:
            messages.warning(request, message)
    for message in result.suggestions:
        messages.info(request, message)
