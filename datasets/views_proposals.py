"""Pages of the qualification proposals (DOMAIN §4.18; services in `datasets.proposals`).

- a correspondent's « Qualifier » page stores a proposal instead of the qualification
  (`proposal_form`, called by `views.asset_qualify`);
- the entry page shows the pending proposal with its changes, and the latest decisions
  (`entry_context`); an administrator of the ministry (or DINUM staff) accepts or refuses it
  there (`proposal_decide`), its author may withdraw it (`proposal_withdraw`); a correspondent
  proposes to go back to a qualification of the entry's history (`proposal_revert`);
- « Propositions à valider » (`proposal_list`) lists the pending proposals of the ministries
  the caller administers; a correspondent sees their own proposals there.

Another ministry's proposal answers 404 (its entry is not visible); one the caller may see but
not decide answers 403.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from dsfr.forms import DsfrBaseForm

from core.access import access_for
from core.validators import whole_number
from datasets import proposals, selectors, services
from datasets.forms import QualificationForm, attach_errors, keep_after_conflict
from datasets.models import DataAsset, OpenByDefaultAssessment, QualificationProposal
from datasets.permissions import (
    can_edit_asset,
    can_qualify_asset,
    can_review_proposals,
    ensure_can_edit_asset,
)
from datasets.qualification_pages import (
    announce,
    crumbs,
    qualification_input,
    size_suggestion,
    with_prefill,
    wizard_explanation,
)
from datasets.validation import QualificationInput

PAGE_SIZE = 50
PStatus = QualificationProposal.Status


class ProposalDecisionForm(DsfrBaseForm):
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        help_text="Obligatoire pour refuser : l'auteur de la proposition le recevra.",
        max_length=proposals.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _int(raw: Any) -> int | None:
    text = str(raw or "").strip()
    return whole_number(text)


# --- The correspondent's qualification page --------------------------------------------------


def _initial_from_state(state: dict[str, Any], version: int) -> dict[str, Any]:
    """The form's initial values from a proposal (internal justifications left out: the
    correspondent does not see them)."""
    initial: dict[str, Any] = {name: state.get(name) for name in QualificationInput.FIELDS}
    initial["version"] = version
    for i, ground in enumerate(state.get("grounds") or []):
        initial[f"ground_{i}"] = ground.get("code")
        initial[f"sub_reference_{i}"] = ground.get("sub_reference", "")
        initial[f"public_motive_{i}"] = ground.get("public_motive", "")
    return initial


def _with_hidden_justifications(
    rows: list[dict[str, Any]],
    pending: QualificationProposal | None,
    assessment: OpenByDefaultAssessment,
) -> list[dict[str, Any]]:
    """A ground kept without a justification keeps the one recorded (in the pending proposal
    the form started from, else in the qualification), which the correspondent never sees."""
    recorded = {
        link.ground.code: link.justification_internal for link in assessment.ground_links.all()
    }
    if pending is not None:
        recorded.update(
            {
                str(g.get("code")): str(g.get("justification_internal") or "")
                for g in pending.state.get("grounds") or []
            }
        )
    for row in rows:
        if not row["justification_internal"].strip():
            row["justification_internal"] = recorded.get(row["ground"].code, "")
    return rows


def proposal_form(request: HttpRequest, asset: DataAsset) -> HttpResponse:
    """« Qualifier » for a correspondent: the same form and rules, stored as a proposal."""
    assessment = asset.assessment
    pending = proposals.pending_for(asset)
    existing = (
        len(pending.state.get("grounds") or []) if pending else len(assessment.ground_links.all())
    )
    rows = min(20, max(3, existing + 1))
    conflict = ""
    if request.method == "POST":
        form = QualificationForm(
            request.POST,
            rows=min(20, max(1, _int(request.POST.get("rows")) or rows)),
            show_internal=False,
        )
        if form.is_valid():
            cd = form.cleaned_data
            grounds = _with_hidden_justifications(form.grounds_input(), pending, assessment)
            q = qualification_input(cd, grounds)
            try:
                _, result = proposals.proposal_submit(
                    actor=request.user,
                    asset=asset,
                    qualification=q,
                    based_on_version=cd.get("version") or 0,
                    read_pending=_int(request.POST.get("pending")) or 0,
                    comment=cd.get("comment") or "",
                )
            except services.ConcurrentEditError as exc:
                conflict = exc.messages[0]
                keep_after_conflict(
                    form,
                    OpenByDefaultAssessment.objects.values_list("version", flat=True).get(
                        asset_id=asset.pk
                    ),
                )
            except ValidationError as exc:
                attach_errors(
                    form,
                    exc,
                    # A rule about the grounds is read next to the first ground's row.
                    {"licence": "status", "formats": "status", "grounds": "ground_0"},
                )
            else:
                announce(request, result)
                messages.success(
                    request,
                    "Votre proposition de qualification a été enregistrée : elle s'appliquera "
                    "quand un administrateur ministériel l'aura validée.",
                )
                return redirect("datasets:detail", pk=asset.pk)
    else:
        if pending is not None:
            initial = _initial_from_state(pending.state, assessment.version)
        else:
            initial = {
                k: val
                for k, val in QualificationForm.initial_for(assessment).items()
                if not k.startswith("justification_")
            }
        form = QualificationForm(
            initial=with_prefill(request, initial), rows=rows, show_internal=False
        )
    return render(
        request,
        "datasets/qualification_form.html",
        {
            "title": f"Proposer une qualification pour « {asset.title[:80]} »",
            "breadcrumb_data": crumbs(
                (asset.title[:80], reverse("datasets:detail", args=[asset.pk])),
                ("Proposition de qualification", ""),
            ),
            "form": form,
            "asset": asset,
            "conflict": conflict,
            "suggestion": size_suggestion(asset),
            "explanation": wizard_explanation(request),
            "proposing": True,
            "pending": pending,
        },
        status=409 if conflict else 200,
    )


# --- The entry page --------------------------------------------------------------------------


def entry_context(user: Any, asset: DataAsset, show_internal: bool) -> dict[str, Any]:
    """What the entry page shows of the proposals (one query, none for read-only readers)."""
    may_qualify = can_qualify_asset(user, asset)
    if not can_edit_asset(user, asset):
        return {"can_qualify": False, "proposals": None}
    latest = proposals.entry_proposals(asset)
    pending = next((p for p in latest if p.status == PStatus.PENDING), None)
    assessment = getattr(asset, "assessment", None)
    panel: dict[str, Any] = {
        "pending": pending,
        "recent": [p for p in latest if p.status != PStatus.PENDING],
        "may_review": can_review_proposals(user, asset.ministry_id),
        "may_withdraw": pending is not None and pending.proposed_by_id == user.pk,
        "form": ProposalDecisionForm(prefix="decision"),
    }
    if pending is not None:
        panel["rows"] = proposals.diff_rows(
            proposals.current_state(assessment), pending.state, show_internal=show_internal
        )
        panel["stale"] = assessment is not None and assessment.version != pending.based_on_version
    return {"can_qualify": may_qualify, "proposals": panel}


@login_required
@require_POST
def proposal_decide(request: HttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    asset = selectors.asset_for_update(request.user, pk)
    proposal = QualificationProposal.objects.filter(pk=proposal_id, asset_id=asset.pk).first()
    if proposal is None:
        raise Http404
    if not can_review_proposals(request.user, asset.ministry_id):
        raise PermissionDenied(
            "Seuls les administrateurs ministériels du ministère et la DINUM valident ou "
            "refusent une proposition de qualification."
        )
    form = ProposalDecisionForm(request.POST, prefix="decision")
    decision = request.POST.get("decision")
    if decision not in ("accepter", "refuser") or not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        if decision not in ("accepter", "refuser"):
            messages.error(request, "Choisissez d'accepter ou de refuser la proposition.")
        return redirect("datasets:detail", pk=asset.pk)
    comment = form.cleaned_data.get("comment") or ""
    try:
        if decision == "accepter":
            _, result = proposals.proposal_accept(
                actor=request.user, proposal=proposal, comment=comment
            )
            for messages_ in result.warnings.values():
                for message in messages_:
                    messages.warning(request, message)
            messages.success(
                request, "La proposition a été acceptée : la qualification est à jour."
            )
        else:
            proposals.proposal_reject(actor=request.user, proposal=proposal, reason=comment)
            messages.success(request, "La proposition a été refusée ; son auteur verra le motif.")
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("datasets:detail", pk=asset.pk)


@login_required
@require_POST
def proposal_withdraw(request: HttpRequest, pk: int, proposal_id: int) -> HttpResponse:
    asset = selectors.asset_for_update(request.user, pk)
    proposal = QualificationProposal.objects.filter(pk=proposal_id, asset_id=asset.pk).first()
    if proposal is None:
        raise Http404
    try:
        proposals.proposal_withdraw(actor=request.user, proposal=proposal)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Votre proposition a été retirée.")
    return redirect("datasets:detail", pk=asset.pk)


@login_required
@require_POST
def proposal_revert(request: HttpRequest, pk: int, history_id: int) -> HttpResponse:
    """« Proposer de revenir à cette version » (a correspondent, on the entry's history)."""
    asset = selectors.asset_for_update(request.user, pk)
    ensure_can_edit_asset(request.user, asset)
    version = _int(request.POST.get("version"))
    if version is None:
        messages.error(
            request,
            "La version de la qualification que vous avez lue manque : rechargez la page ; rien "
            "n'a été proposé.",
        )
        return redirect("datasets:detail", pk=asset.pk)
    try:
        proposals.proposal_submit_revert(
            actor=request.user,
            asset=asset,
            history_id=history_id,
            based_on_version=version,
            read_pending=_int(request.POST.get("pending")) or 0,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            "Votre proposition de revenir à cette version a été enregistrée : elle s'appliquera "
            "quand un administrateur ministériel l'aura validée.",
        )
    return redirect("datasets:detail", pk=asset.pk)


# --- « Propositions à valider » --------------------------------------------------------------


@login_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    reviewer = can_review_proposals(request.user)
    if not reviewer and not access.correspondent_org_ids:
        raise PermissionDenied(
            "Cette page est réservée aux administrateurs ministériels, à la DINUM et aux "
            "correspondants."
        )
    decided = request.GET.get("etat") == "traitees"
    if reviewer and not decided:
        qs = proposals.proposals_to_review(request.user)
        title = "Propositions à valider"
    elif reviewer:
        qs = proposals.with_related(
            proposals.proposals_for_user(request.user).exclude(status=PStatus.PENDING)
        ).order_by("-reviewed_at", "-id")
        title = "Propositions traitées"
    else:
        qs = proposals.with_related(
            QualificationProposal.objects.filter(proposed_by_id=request.user.pk)
        ).order_by("-created_at", "-id")
        title = "Mes propositions de qualification"
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "proposal": p,
            "status": proposals.CHOICES["status"].get(str(p.state.get("status")), "—"),
        }
        for p in page.object_list
    ]
    return render(
        request,
        "datasets/proposals/list.html",
        {
            "title": title,
            "breadcrumb_data": crumbs(("Propositions de qualification", "")),
            "page": page,
            "rows": rows,
            "reviewer": reviewer,
            "decided": decided,
        },
    )
