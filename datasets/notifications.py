"""E-mails about qualification proposals (French, plain text; sent by `datasets.tasks` only).

- a proposal is submitted: the administrators of the entry's ministry are told what to review;
- it is accepted or refused: its author is told, with the reason of a refusal;
- once a week, the administrators of a ministry whose proposals wait for more than a week get
  the list of everything pending (`send_pending_reminder`).
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


REMINDER_LIST_LIMIT = 30


def send_pending_reminder(
    pending: Sequence[QualificationProposal], waiting_days: int, recipients: Sequence[str]
) -> int:
    """To a ministry's administrators: the proposals still waiting for a decision (oldest
    first), when some wait for more than `waiting_days` days."""
    shown = list(pending[:REMINDER_LIST_LIMIT])
    lines = []
    for proposal in shown:
        proposer = str(proposal.proposed_by) if proposal.proposed_by else "un correspondant"
        lines.append(
            f"- « {' '.join(proposal.asset.title.split())} » ({proposal.asset.organization.name}) : "
            f"statut proposé « {_status(proposal)} » par {proposer} le {_day(proposal.created_at)}\n"
            f"  {_entry_url(proposal)}"
        )
    more = len(pending) - len(shown)
    if more > 0:
        lines.append(f"- et {more} autre{'s' if more > 1 else ''}")
    count = len(pending)
    if count == 1:
        subject = "Rappel : 1 proposition de qualification en attente de validation"
        intro = (
            "Une proposition de qualification de votre ministère attend une décision depuis "
            f"plus de {waiting_days} jours. Elle ne s'appliquera qu'une fois acceptée par un "
            "administrateur ministériel des données :"
        )
    else:
        subject = f"Rappel : {count} propositions de qualification en attente de validation"
        intro = (
            f"{count} propositions de qualification de votre ministère attendent une décision, "
            f"dont au moins une depuis plus de {waiting_days} jours. Elles ne s'appliqueront "
            "qu'une fois acceptées par un administrateur ministériel des données :"
        )
    return send_plain(
        recipients,
        subject,
        (
            f"Bonjour,\n\n{intro}\n\n"
            + "\n".join(lines)
            + "\n\nToutes les propositions en attente, pour les accepter ou les refuser (motif "
            f"obligatoire) :\n{absolute_url(reverse('datasets:proposals'))}\n\n"
            "Ce rappel est envoyé une fois par semaine tant que des propositions attendent."
        ),
    )
