"""E-mails about qualification proposals (French, plain text; sent by `datasets.tasks` only).

- a proposal is submitted: the administrators of the entry's ministry are told what to review;
- it is accepted or refused: its author is told, with the reason of a refusal.
Internal justifications never appear in them (a correspondent does not see them).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.urls import reverse
from django.utils import timezone

from core.notifications import absolute_url, send_plain
from datasets.models import OpenByDefaultAssessment, QualificationProposal


def _entry_url(proposal: QualificationProposal) -> str:
    return absolute_url(reverse("datasets:detail", args=[proposal.asset_id]))


def _status(proposal: QualificationProposal) -> str:
    code = str(proposal.state.get("status") or "")
    labels = dict(OpenByDefaultAssessment.Status.choices)
    return str(labels.get(code, code or "—"))


def _day(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y à %H:%M}"


def _title(proposal: QualificationProposal) -> str:
    """The entry's title for a subject line (one line: a header cannot hold a line break)."""
    title = " ".join(proposal.asset.title.split())
    return title if len(title) <= 120 else title[:119] + "…"


def send_submitted(proposal: QualificationProposal, recipients: Sequence[str]) -> int:
    """To the ministry's administrators: a proposal waits for their decision."""
    proposer = str(proposal.proposed_by) if proposal.proposed_by else "Un correspondant"
    comment = f"Commentaire : « {proposal.comment} »\n" if proposal.comment else ""
    return send_plain(
        recipients,
        f"Proposition de qualification à valider : « {_title(proposal)} »",
        (
            "Bonjour,\n\n"
            f"{proposer} propose une qualification pour l'entrée « {proposal.asset.title} » "
            f"de l'inventaire ({proposal.asset.organization.name}), le {_day(proposal.created_at)}.\n"
            f"Statut proposé : {_status(proposal)}\n"
            f"{comment}\n"
            "Elle ne s'appliquera qu'une fois acceptée par un administrateur ministériel des "
            "données. Consultez-la pour l'accepter ou la refuser (motif obligatoire) :\n"
            f"{_entry_url(proposal)}\n\n"
            "Toutes les propositions en attente de votre ministère :\n"
            f"{absolute_url(reverse('datasets:proposals'))}"
        ),
    )


def send_decided(proposal: QualificationProposal, recipient: str) -> int:
    """To the proposal's author: it was accepted (and applied) or refused (with the reason)."""
    reviewer = str(proposal.reviewed_by) if proposal.reviewed_by else "un administrateur"
    when = _day(proposal.reviewed_at or timezone.now())
    intro = (
        f"Votre proposition de qualification de l'entrée « {proposal.asset.title} » "
        f"(déposée le {_day(proposal.created_at)}, statut proposé : {_status(proposal)})"
    )
    if proposal.status == QualificationProposal.Status.ACCEPTED:
        comment = (
            f"Commentaire : « {proposal.review_comment} »\n\n" if proposal.review_comment else ""
        )
        return send_plain(
            recipient,
            f"Proposition de qualification acceptée : « {_title(proposal)} »",
            (
                "Bonjour,\n\n"
                f"{intro} a été acceptée par {reviewer} le {when} : la qualification de "
                "l'entrée est à jour.\n\n"
                f"{comment}"
                f"Voir l'entrée :\n{_entry_url(proposal)}"
            ),
        )
    return send_plain(
        recipient,
        f"Proposition de qualification refusée : « {_title(proposal)} »",
        (
            "Bonjour,\n\n"
            f"{intro} a été refusée par {reviewer} le {when}.\n\n"
            f"Motif du refus :\n{proposal.review_comment}\n\n"
            "Vous pouvez proposer une nouvelle qualification depuis la page de l'entrée :\n"
            f"{_entry_url(proposal)}"
        ),
    )
