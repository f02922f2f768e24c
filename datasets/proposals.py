"""Qualification proposals: a correspondent proposes, an administrator decides (DOMAIN §4.18).

A correspondent edits the entries of their organisations, but their open-by-default
qualification is only a proposal (`QualificationProposal`): it is validated with the same rules
as a direct qualification (DOMAIN §5, `datasets.validation`), stored, and applied only when an
administrator of the entry's ministry, or DINUM staff, accepts it. Accepting goes through
`services.asset_qualify`, so the history, the audit trail, the compliance facts and the version
lock are exactly those of a direct qualification; a proposal whose qualification changed since
it was read (`based_on_version`) is refused rather than applied over someone else's update.

Writes are `proposal_<verb>(*, actor, ...)`, atomic and audited on the entry; the reads the pages
and the API start from (`QualificationProposal.objects.for_user`, `proposals_to_review`) follow.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from administrators.models import Membership
from core.access import access_for
from core.audit import audit_record, diff, history_for
from core.concurrency import conflict_message
from core.models import LegalGround, NoAnonymisationCategory
from datasets import services
from datasets import validation as v
from datasets.models import (
    AssessmentGround,
    AssessmentHistory,
    DataAsset,
    OpenByDefaultAssessment,
    QualificationProposal,
)
from datasets.permissions import (
    can_qualify_asset,
    can_review_proposals,
    ensure_can_edit_asset,
    ensure_can_view_asset,
)

Proposal = QualificationProposal
PStatus = QualificationProposal.Status
MAX_REASON = 2000
DATE_FIELDS = ("planned_date", "published_at", "decided_at", "review_due")


class StaleProposalError(services.ConcurrentEditError):
    """The qualification changed since the proposal was made: it cannot be applied as it is."""


# --- Helpers -----------------------------------------------------------------------------------


def _who(user: Any) -> str:
    return str(user) if user is not None else "un compte supprimé"


def _when(moment: datetime.datetime) -> str:
    local = timezone.localtime(moment)
    return f"le {local:%d/%m/%Y} à {local:%H:%M}"


def proposed_state(
    assessment: OpenByDefaultAssessment, qualification: v.QualificationInput
) -> dict[str, Any]:
    """The state `qualification` would give (the shape of `services.qualification_state`),
    computed on an unsaved copy of `assessment` as `services.asset_qualify` sets it."""
    copy = OpenByDefaultAssessment(
        pk=assessment.pk, asset_id=assessment.asset_id, ministry_id=assessment.ministry_id
    )
    for name in v.QualificationInput.FIELDS:
        value = getattr(qualification, name)
        if name in DATE_FIELDS:
            value = v.parse_date(value)
        elif value is None and name != "no_anonymisation_category":
            value = ""
        setattr(copy, name, value)
    links = [
        AssessmentGround(
            ground=g.ground,
            sub_reference=g.sub_reference.strip(),
            justification_internal=g.justification_internal.strip(),
            public_motive=g.public_motive.strip(),
        )
        for g in qualification.grounds
    ]
    return services.qualification_state(copy, links)


def _lock_assessment(asset: DataAsset) -> OpenByDefaultAssessment:
    assessment = (
        OpenByDefaultAssessment.objects.select_for_update(of=("self",))
        .select_related("no_anonymisation_category")
        .filter(asset_id=asset.pk)
        .first()
    )
    if assessment is None:
        OpenByDefaultAssessment.objects.get_or_create(
            asset=asset, defaults={"ministry_id": asset.ministry_id}
        )
        assessment = OpenByDefaultAssessment.objects.select_for_update().get(asset_id=asset.pk)
    return assessment


def _lock_proposal(actor: Any, proposal: QualificationProposal | int) -> QualificationProposal:
    """The proposal, locked, if `actor` may see its entry (404 otherwise)."""
    pk = proposal if isinstance(proposal, int) else proposal.pk
    locked = (
        QualificationProposal.objects.select_for_update(of=("self",))
        .select_related("asset", "asset__organization", "asset__licence", "proposed_by")
        .filter(pk=pk)
        .first()
    )
    if locked is None:
        raise Http404
    ensure_can_view_asset(actor, locked.asset)
    return locked


def _ensure_reviewer(actor: Any, proposal: QualificationProposal) -> None:
    if not can_review_proposals(actor, proposal.ministry_id):
        raise PermissionDenied(
            "Seuls les administrateurs ministériels du ministère et la DINUM valident ou "
            "refusent une proposition de qualification."
        )


def _ensure_pending(proposal: QualificationProposal) -> None:
    if proposal.status == PStatus.PENDING:
        return
    label = proposal.get_status_display().lower()
    if proposal.reviewed_at is not None and proposal.reviewed_by is not None:
        raise ValidationError(
            f"Cette proposition a déjà été traitée ({label} par {proposal.reviewed_by} "
            f"{_when(proposal.reviewed_at)}) : rechargez la page."
        )
    raise ValidationError(f"Cette proposition n'est plus en attente ({label}) : rechargez la page.")


QUALIFICATION_ACTIONS = ("assessment.updated", "assessment.reverted", "assessment.bulk_status")


def _stale_message(asset: DataAsset) -> str:
    last = history_for(asset).filter(action__in=QUALIFICATION_ACTIONS).first()
    by = f" par {_who(last.actor)} {_when(last.created_at)}" if last is not None else ""
    return (
        f"La qualification de cette entrée a été modifiée depuis cette proposition{by} : "
        "l'accepter écraserait cette modification, elle n'a donc pas été appliquée. Refusez-la "
        "en l'expliquant ; son auteur pourra en proposer une nouvelle à partir de la "
        "qualification actuelle."
    )


def _notify(event: str, proposal: QualificationProposal) -> None:
    """E-mail about `proposal` once the transaction commits, from a worker (never in the
    request; nothing when it rolls back)."""
    from datasets import tasks

    task = (
        tasks.notify_proposal_submitted if event == "submitted" else tasks.notify_proposal_decided
    )
    task.delay_on_commit(proposal.pk)


# --- Writes ------------------------------------------------------------------------------------


@transaction.atomic
def proposal_submit(
    *,
    actor: Any,
    asset: DataAsset,
    qualification: v.QualificationInput,
    based_on_version: int | None,
    read_pending: int | None = None,
    comment: str = "",
    unchanged_message: str = "",
) -> tuple[QualificationProposal, v.ValidationResult]:
    """Store `qualification` as the entry's pending proposal (nothing is applied).

    Validated like a direct qualification (same French messages, nothing written when refused).
    `based_on_version`: the version of the qualification the proposer read (None: no check).
    `read_pending`: the pending proposal the proposer's form started from (0: none) — it is
    superseded; when another one was submitted since, nothing is written. None (API): the
    caller's own pending proposal is superseded, someone else's is not.
    `unchanged_message`: the wording of the refusal for a caller that did not type the
    qualification (`proposal_submit_revert`).
    """
    ensure_can_edit_asset(actor, asset)
    if can_qualify_asset(actor, asset):
        raise ValidationError(
            "Vous pouvez qualifier cette entrée directement : une proposition n'a pas lieu d'être."
        )
    result = v.validate_qualification(qualification, v.AssetContext.of(asset))
    result.raise_if_errors()
    if len(comment) > 300:
        raise ValidationError({"comment": ["Le commentaire ne doit pas dépasser 300 caractères."]})
    assessment = _lock_assessment(asset)
    if based_on_version is not None and assessment.version != based_on_version:
        raise services.ConcurrentEditError(
            conflict_message(asset, "La qualification de cette entrée"),
            code="concurrent_edit",
        )
    links = list(assessment.ground_links.select_related("ground"))
    before = services.qualification_state(assessment, links)
    after = proposed_state(assessment, qualification)
    changes = diff(before, after)
    if not changes:
        raise ValidationError(
            unchanged_message
            or "Cette proposition ne change rien à la qualification actuelle : modifiez au moins "
            "un champ."
        )
    pending = (
        QualificationProposal.objects.select_for_update(of=("self",))
        .select_related("proposed_by")
        .filter(asset_id=asset.pk, status=PStatus.PENDING)
        .first()
    )
    now = timezone.now()
    if pending is not None:
        mine = pending.proposed_by_id == getattr(actor, "pk", None)
        if (read_pending is None and not mine) or (
            read_pending is not None and read_pending != pending.pk
        ):
            raise services.ConcurrentEditError(
                f"Une proposition de {_who(pending.proposed_by)} ({_when(pending.created_at)}) est "
                "en attente de validation pour cette entrée : rechargez la page pour partir de "
                "celle-ci ; votre proposition n'a pas été enregistrée.",
                code="concurrent_edit",
            )
        pending.status = PStatus.SUPERSEDED
        pending.reviewed_at = now
        pending.save(update_fields=["status", "reviewed_at", "updated_at"])
    elif read_pending:
        raise services.ConcurrentEditError(
            "La proposition en attente a été traitée entre-temps : rechargez la page pour voir "
            "la qualification actuelle ; votre proposition n'a pas été enregistrée.",
            code="concurrent_edit",
        )
    try:
        with transaction.atomic():
            proposal = QualificationProposal.objects.create(
                asset=asset,
                ministry_id=asset.ministry_id,
                proposed_by=actor if getattr(actor, "pk", None) else None,
                created_by=actor if getattr(actor, "pk", None) else None,
                state=after,
                comment=comment.strip(),
                based_on_version=assessment.version,
            )
    except IntegrityError:  # another proposal became pending at the same moment
        raise services.ConcurrentEditError(
            "Une autre proposition vient d'être déposée pour cette entrée : rechargez la page.",
            code="concurrent_edit",
        ) from None
    audit_record(
        actor=actor,
        action="assessment.proposed",
        target=asset,
        changes={"qualification": changes},
    )
    _notify("submitted", proposal)
    return proposal, result


def proposal_submit_revert(
    *,
    actor: Any,
    asset: DataAsset,
    history_id: int | None,
    based_on_version: int | None,
    read_pending: int | None = None,
) -> tuple[QualificationProposal, v.ValidationResult]:
    """Propose to go back to a qualification the entry had (a row of its history): what
    `services.asset_revert` does for an administrator, as a proposal (same rules as
    `proposal_submit`: validation, version read, pending proposal superseded)."""
    ensure_can_edit_asset(actor, asset)
    row = (
        AssessmentHistory.objects.filter(pk=history_id, asset_id=asset.pk).first()
        if history_id
        else None
    )
    if row is None:
        raise ValidationError(
            "Cette version de la qualification n'existe pas pour cette entrée : rechargez la "
            "page ; rien n'a été proposé."
        )
    when = f"{timezone.localtime(row.recorded_at):%d/%m/%Y à %H:%M}"
    return proposal_submit(
        actor=actor,
        asset=asset,
        qualification=services.qualification_from_state(row.data),
        based_on_version=based_on_version,
        read_pending=read_pending,
        comment=f"Retour à la version du {when}",
        unchanged_message=(
            f"La version du {when} est identique à la qualification actuelle : il n'y a rien "
            "à proposer."
        ),
    )


@transaction.atomic
def proposal_accept(
    *, actor: Any, proposal: QualificationProposal | int, comment: str = ""
) -> tuple[QualificationProposal, v.ValidationResult]:
    """Apply a pending proposal through `services.asset_qualify` (same history, audit, facts and
    version lock as a direct qualification). Refused when the qualification changed since."""
    locked = _lock_proposal(actor, proposal)
    _ensure_reviewer(actor, locked)
    _ensure_pending(locked)
    comment = comment.strip()
    if len(comment) > MAX_REASON:
        raise ValidationError(
            {"review_comment": [f"Le commentaire ne doit pas dépasser {MAX_REASON} caractères."]}
        )
    asset = locked.asset
    assessment = _lock_assessment(asset)
    if assessment.version != locked.based_on_version:
        raise StaleProposalError(_stale_message(asset), code="stale_proposal")
    history_comment = f"Proposition de {_who(locked.proposed_by)} acceptée"
    if comment:
        history_comment += f" : {comment}"
    _, result = services.asset_qualify(
        actor=actor,
        asset=asset,
        qualification=services.qualification_from_state(locked.state),
        expected_version=locked.based_on_version,
        comment=history_comment,
    )
    _decide(locked, actor, PStatus.ACCEPTED, comment)
    audit_record(
        actor=actor,
        action="assessment.proposal_accepted",
        target=asset,
        changes={"proposition": [_who(locked.proposed_by), "acceptée"]},
    )
    _notify("decided", locked)
    return locked, result


def _decide(proposal: QualificationProposal, actor: Any, status: str, comment: str) -> None:
    """Record a reviewer's decision on a (locked, pending) proposal."""
    proposal.status = status
    proposal.reviewed_by = actor
    proposal.reviewed_at = timezone.now()
    proposal.review_comment = comment
    proposal.save(
        update_fields=["status", "reviewed_by", "reviewed_at", "review_comment", "updated_at"]
    )


@transaction.atomic
def proposal_reject(
    *, actor: Any, proposal: QualificationProposal | int, reason: str
) -> QualificationProposal:
    """Refuse a pending proposal; the reason (required) is shown to its author."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {
                "review_comment": [
                    "Indiquez le motif du refus : l'auteur de la proposition le verra."
                ]
            }
        )
    if len(reason) > MAX_REASON:
        raise ValidationError(
            {"review_comment": [f"Le motif ne doit pas dépasser {MAX_REASON} caractères."]}
        )
    locked = _lock_proposal(actor, proposal)
    _ensure_reviewer(actor, locked)
    _ensure_pending(locked)
    _decide(locked, actor, PStatus.REJECTED, reason)
    audit_record(
        actor=actor,
        action="assessment.proposal_rejected",
        target=locked.asset,
        changes={"motif du refus": [None, reason]},
    )
    _notify("decided", locked)
    return locked


@transaction.atomic
def proposal_withdraw(
    *, actor: Any, proposal: QualificationProposal | int
) -> QualificationProposal:
    """The author takes back their pending proposal."""
    locked = _lock_proposal(actor, proposal)
    if locked.proposed_by_id is None or locked.proposed_by_id != getattr(actor, "pk", None):
        raise PermissionDenied("Seul l'auteur d'une proposition peut la retirer.")
    _ensure_pending(locked)
    locked.status = PStatus.WITHDRAWN
    locked.reviewed_at = timezone.now()
    locked.save(update_fields=["status", "reviewed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="assessment.proposal_withdrawn",
        target=locked.asset,
        changes={"proposition": ["en attente", "retirée"]},
    )
    return locked


# --- Reads -------------------------------------------------------------------------------------


def proposals_for_user(user: Any) -> QuerySet[QualificationProposal]:
    """Proposals the caller may see: those of the ministries they administer (DINUM: all), their
    own, and those on the entries of their organisations (correspondents)."""
    access = access_for(user)
    qs = QualificationProposal.objects.all()
    if access.is_network_staff:
        return qs
    if not access.authenticated:
        return qs.none()
    return qs.filter(
        Q(ministry_id__in=access.admin_ministry_ids)
        | Q(proposed_by_id=user.pk)
        | Q(
            ministry_id__in=access.correspondent_ministry_ids,
            asset__organization_id__in=access.correspondent_org_ids,
        )
    )


def with_related(qs: QuerySet[QualificationProposal]) -> QuerySet[QualificationProposal]:
    return qs.select_related(
        "asset", "asset__organization", "ministry", "proposed_by", "reviewed_by"
    )


def proposals_to_review(user: Any) -> QuerySet[QualificationProposal]:
    """Pending proposals of the ministries the caller administers (DINUM staff: all), oldest
    first, with what the list shows."""
    access = access_for(user)
    qs = QualificationProposal.objects.filter(status=PStatus.PENDING)
    if not access.is_network_staff:
        qs = qs.filter(ministry_id__in=access.admin_ministry_ids)
    return with_related(qs).order_by("created_at", "id")


def entry_proposals(asset: DataAsset, limit: int = 5) -> list[QualificationProposal]:
    """The entry's latest proposals (pending one included), newest first, in one query."""
    return list(
        QualificationProposal.objects.filter(asset_id=asset.pk)
        .select_related("proposed_by", "reviewed_by")
        .order_by("-created_at", "-id")[:limit]
    )


def reviewer_emails(ministry_id: int) -> list[str]:
    """E-mail addresses of the ministry's current administrators (active accounts, role not
    expired), told when a proposal waits for them."""
    today = timezone.localdate()
    return list(
        Membership.objects.filter(
            role=Membership.Role.MINISTRY_ADMIN,
            ministry_id=ministry_id,
            user__is_active=True,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
        .distinct()
    )


def pending_for(asset: DataAsset) -> QualificationProposal | None:
    return (
        QualificationProposal.objects.filter(asset_id=asset.pk, status=PStatus.PENDING)
        .select_related("proposed_by")
        .first()
    )


# --- Display -----------------------------------------------------------------------------------

FIELD_LABELS: dict[str, str] = {
    f.name: str(getattr(f, "verbose_name", f.name))
    for f in OpenByDefaultAssessment._meta.get_fields()
    if hasattr(f, "verbose_name")
}
FIELD_LABELS["grounds"] = "motifs"
CHOICES: dict[str, dict[str, str]] = {
    "status": {str(k): str(val) for k, val in OpenByDefaultAssessment.Status.choices},
    "obligation_basis": {str(k): str(val) for k, val in OpenByDefaultAssessment.Basis.choices},
    "occultation_method": {
        str(k): str(val) for k, val in OpenByDefaultAssessment.OccultationMethod.choices
    },
    "personal_data_basis": {
        str(k): str(val) for k, val in OpenByDefaultAssessment.PersonalDataBasis.choices
    },
}


def _show_value(
    name: str, value: Any, show_internal: bool, ground_labels: Mapping[str, str] | None = None
) -> str:
    if value in (None, "", [], {}):
        return "—"
    if name in CHOICES:
        return CHOICES[name].get(str(value), str(value))
    if name in DATE_FIELDS:
        try:
            day = v.parse_date(value)
        except (TypeError, ValueError):
            return str(value)
        return day.strftime("%d/%m/%Y") if day else "—"
    if name == "no_anonymisation_category":
        category = NoAnonymisationCategory.objects.filter(pk=value).first()
        return str(category) if category is not None else str(value)
    if name == "grounds":
        return " ; ".join(_show_ground(g, show_internal, ground_labels or {}) for g in value)
    return str(value)


def _show_ground(ground: Mapping[str, Any], show_internal: bool, labels: Mapping[str, str]) -> str:
    """The ground's label from the reference table (its code when the table no longer has it)."""
    code = str(ground.get("code", ""))
    parts = [labels.get(code, code)]
    details = [
        f"précision : {ground['sub_reference']}" if ground.get("sub_reference") else "",
        f"motif public : {ground['public_motive']}" if ground.get("public_motive") else "",
        f"justification : {ground['justification_internal']}"
        if show_internal and ground.get("justification_internal")
        else "",
    ]
    details = [d for d in details if d]
    if details:
        parts.append(f"({', '.join(details)})")
    return " ".join(parts)


def _scrub_grounds(grounds: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{k: val for k, val in g.items() if k != "justification_internal"} for g in grounds]


def diff_rows(
    before: Mapping[str, Any], after: Mapping[str, Any], *, show_internal: bool
) -> list[tuple[str, str, str]]:
    """(label, before, after) of each field the proposal changes, for the pages. Internal
    justifications are left out unless the reader may see them (a change to one alone is
    then not shown either)."""
    b, a = dict(before), dict(after)
    if not show_internal:
        b["grounds"] = _scrub_grounds(b.get("grounds") or [])
        a["grounds"] = _scrub_grounds(a.get("grounds") or [])
    changes = diff(b, a)
    labels: dict[str, str] = {}
    if "grounds" in changes:  # one query for the grounds of both sides
        codes = {str(g.get("code", "")) for side in changes["grounds"] for g in side or []}
        labels = dict(LegalGround.objects.filter(code__in=codes).values_list("code", "label"))
    return [
        (
            FIELD_LABELS.get(name, name),
            _show_value(name, pair[0], show_internal, labels),
            _show_value(name, pair[1], show_internal, labels),
        )
        for name, pair in changes.items()
    ]


def public_state(state: Mapping[str, Any], show_internal: bool) -> dict[str, Any]:
    """`state` without internal justifications for a reader who may not see them."""
    if show_internal:
        return dict(state)
    return {**state, "grounds": _scrub_grounds(state.get("grounds") or [])}


def current_state(assessment: OpenByDefaultAssessment | None) -> dict[str, Any]:
    """The qualification as it stands (links as already loaded on `assessment`)."""
    if assessment is None:
        return {}
    links: Sequence[AssessmentGround] = list(assessment.ground_links.all())
    return services.qualification_state(assessment, links)
