"""E-mails about qualification proposals: sent by a task after commit, once, to the right people,
in French (datasets.notifications, datasets.tasks.notify_proposal_*)."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from administrators.models import Membership
from core.models import LegalGround
from datasets import proposals, tasks
from datasets.models import QualificationProposal
from datasets.validation import GroundInput, QualificationInput
from tests.datasets.factories import AssetFactory
from tests.datasets.proposal_helpers import (
    FORM,
    correspondent_of,
    login,
    propose,
    user_with,
    version_of,
)

pytestmark = pytest.mark.django_db

SITE = "https://reseau-amd.example.gouv.fr"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE + "/"


@pytest.fixture
def pending(correspondent_user, asset):
    return propose(correspondent_user, asset, comment="Prêt pour 2030")


def _recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


# --- Submission: the ministry's administrators ------------------------------------------------


def test_submission_tells_each_current_admin_of_the_ministry_once(
    amd_user, correspondent_user, other_ministry, ministry, pending
):
    second = user_with(Membership.Role.MINISTRY_ADMIN, ministry)
    user_with(Membership.Role.MINISTRY_ADMIN, other_ministry)  # another ministry's admin
    expired = user_with(Membership.Role.MINISTRY_ADMIN, ministry)
    Membership.objects.filter(user=expired).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    inactive = user_with(Membership.Role.MINISTRY_ADMIN, ministry)
    inactive.is_active = False
    inactive.save()
    user_with(Membership.Role.DINUM_STAFF)  # network staff: not told of every proposal
    user_with(Membership.Role.CORRESPONDENT, ministry)

    assert tasks.notify_proposal_submitted(pending.pk) == 2
    assert tasks.notify_proposal_submitted(pending.pk) == 0  # twice: still one mail each

    assert _recipients() == sorted([amd_user.email, second.email])
    assert all(len(message.to) == 1 for message in mail.outbox)  # no one sees the others
    pending.refresh_from_db()
    assert pending.submission_notified_at is not None


def test_submission_mail_is_in_french_with_the_entry_link(amd_user, correspondent_user, pending):
    tasks.notify_proposal_submitted(pending.pk)
    (message,) = mail.outbox
    assert message.subject == (
        "Proposition de qualification à valider : « Registre des associations »"
    )
    body = message.body
    assert f"{correspondent_user} propose une qualification" in body
    assert "« Registre des associations »" in body
    assert "Statut proposé : À publier" in body
    assert "Commentaire : « Prêt pour 2030 »" in body
    assert f"{SITE}/inventaire/{pending.asset_id}/\n" in body
    assert f"{SITE}/inventaire/propositions/" in body
    assert "L'équipe de l'administrateur général des données (DINUM)" in body


def test_submission_mail_never_shows_an_internal_justification(amd_user, correspondent_user, asset):
    ground = LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE")
    q = QualificationInput(
        status="NOT_COMMUNICABLE",
        grounds=[
            GroundInput(
                ground=ground, justification_internal="Adresses des plaignants", public_motive="x"
            )
        ],
    )
    proposal = propose(correspondent_user, asset, q)
    tasks.notify_proposal_submitted(proposal.pk)
    (message,) = mail.outbox
    assert "Statut proposé : Non communicable" in message.body
    assert "Adresses des plaignants" not in message.body


def test_no_submission_mail_without_an_admin_with_an_address(correspondent_user, pending):
    assert tasks.notify_proposal_submitted(pending.pk) == 0
    assert mail.outbox == []
    pending.refresh_from_db()
    assert pending.submission_notified_at is None  # nothing was sent: nothing recorded


def test_no_submission_mail_once_the_proposal_is_no_longer_pending(
    amd_user, correspondent_user, pending
):
    proposals.proposal_withdraw(actor=correspondent_user, proposal=pending)
    assert tasks.notify_proposal_submitted(pending.pk) == 0
    assert tasks.notify_proposal_submitted(123456789) == 0  # gone
    assert mail.outbox == []


def test_a_failed_send_releases_the_claim(amd_user, pending, monkeypatch):
    from datasets import notifications

    def broken(*args, **kwargs):
        raise ConnectionError("SMTP indisponible")

    monkeypatch.setattr(notifications, "send_plain", broken)
    with pytest.raises(ConnectionError):
        tasks.notify_proposal_submitted(pending.pk)
    pending.refresh_from_db()
    assert pending.submission_notified_at is None
    monkeypatch.undo()
    assert tasks.notify_proposal_submitted(pending.pk) == 1  # the retried task sends it


# --- Decision: the proposal's author ----------------------------------------------------------


def test_acceptance_tells_the_author_once(amd_user, correspondent_user, pending):
    proposals.proposal_accept(actor=amd_user, proposal=pending, comment="Bien vu")
    assert tasks.notify_proposal_decided(pending.pk) == 1
    assert tasks.notify_proposal_decided(pending.pk) == 0
    (message,) = mail.outbox
    assert message.to == [correspondent_user.email]
    assert (
        message.subject == "Proposition de qualification acceptée : « Registre des associations »"
    )
    assert f"a été acceptée par {amd_user}" in message.body
    assert "la qualification de l'entrée est à jour" in message.body
    assert "Commentaire : « Bien vu »" in message.body
    assert f"{SITE}/inventaire/{pending.asset_id}/" in message.body


def test_refusal_tells_the_author_the_reason(amd_user, correspondent_user, pending):
    proposals.proposal_reject(
        actor=amd_user, proposal=pending, reason="La date prévue est trop lointaine."
    )
    assert tasks.notify_proposal_decided(pending.pk) == 1
    assert tasks.notify_proposal_decided(pending.pk) == 0
    (message,) = mail.outbox
    assert message.to == [correspondent_user.email]
    assert message.subject == "Proposition de qualification refusée : « Registre des associations »"
    assert f"a été refusée par {amd_user}" in message.body
    assert "Motif du refus :\nLa date prévue est trop lointaine." in message.body
    assert "Vous pouvez proposer une nouvelle qualification" in message.body
    pending.refresh_from_db()
    assert pending.decision_notified_at is not None


def test_no_decision_mail_while_pending_withdrawn_or_without_author(
    amd_user, correspondent_user, asset, pending
):
    assert tasks.notify_proposal_decided(pending.pk) == 0  # not decided yet
    proposals.proposal_withdraw(actor=correspondent_user, proposal=pending)
    assert tasks.notify_proposal_decided(pending.pk) == 0  # withdrawn: nothing to tell
    again = propose(correspondent_user, asset, read_pending=0)
    proposals.proposal_reject(actor=amd_user, proposal=again, reason="Non.")
    correspondent_user.is_active = False
    correspondent_user.save()
    assert tasks.notify_proposal_decided(again.pk) == 0  # the account was closed
    QualificationProposal.objects.filter(pk=again.pk).update(proposed_by=None)
    assert tasks.notify_proposal_decided(again.pk) == 0  # the account was deleted
    assert mail.outbox == []


# --- After commit, never in the request, nothing on rollback ----------------------------------


def test_the_page_enqueues_the_mail_after_commit_only(
    amd_user, correspondent_user, asset, django_capture_on_commit_callbacks
):
    client = login(correspondent_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            f"/inventaire/{asset.pk}/qualification/", {**FORM, "version": version_of(asset)}
        )
        assert response.status_code == 302
        assert mail.outbox == []  # the request itself sends nothing
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the task runs (in-process in the tests)
    assert _recipients() == [amd_user.email]


def test_decisions_enqueue_the_mail_after_commit(
    amd_user, correspondent_user, pending, django_capture_on_commit_callbacks
):
    client = login(amd_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/inventaire/{pending.asset_id}/propositions/{pending.pk}/decision/",
            {"decision": "refuser", "decision-comment": "Motif précis."},
        )
    assert response.status_code == 302
    assert _recipients() == [correspondent_user.email]
    assert "Motif précis." in mail.outbox[0].body


def test_nothing_is_sent_when_the_transaction_rolls_back(
    amd_user, correspondent_user, asset, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        propose(correspondent_user, asset)
        raise RuntimeError("échec après la proposition")
    assert callbacks == []
    assert mail.outbox == []
    assert not QualificationProposal.objects.exists()


def test_a_title_with_a_line_break_gives_a_one_line_subject(amd_user, correspondent_user, asset):
    type(asset).objects.filter(pk=asset.pk).update(title="Registre\ndes associations")
    asset.refresh_from_db()
    proposal = propose(correspondent_user, asset)
    assert tasks.notify_proposal_submitted(proposal.pk) == 1
    assert mail.outbox[0].subject.endswith("« Registre des associations »")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_submission_once(amd_user, correspondent_user, organization):
    import time

    from django.conf import settings

    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL absent : pas de broker pour un vrai worker.")
    from celery.contrib.testing.worker import start_worker

    from network_portal.celery import app

    asset = AssetFactory(organization=organization, title="Registre des associations")
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        proposal = propose(correspondent_user, asset)  # commits: the task goes to the broker
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not mail.outbox:
            time.sleep(0.2)
    assert _recipients() == [amd_user.email]
    proposal.refresh_from_db()
    assert proposal.submission_notified_at is not None


# --- Weekly reminder of pending proposals (Celery beat) ---------------------------------------


def _age(proposal, days):
    QualificationProposal.objects.filter(pk=proposal.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_weekly_reminder_lists_a_ministrys_pending_proposals_to_its_admins_once(
    amd_user, correspondent_user, organization, other_organization
):
    old = propose(correspondent_user, AssetFactory(organization=organization, title="Ancienne"))
    _age(old, 9)
    propose(correspondent_user, AssetFactory(organization=organization, title="Récente"))
    # Another ministry's proposal, pending for long, but without any administrator: no mail.
    other = propose(
        correspondent_of(other_organization),
        AssetFactory(organization=other_organization, title="Ailleurs"),
    )
    _age(other, 30)
    mail.outbox.clear()
    assert tasks.remind_pending_proposals() == 1
    [message] = mail.outbox
    assert message.to == [amd_user.email]
    assert message.subject == "Rappel : 2 propositions de qualification en attente de validation"
    body = message.body
    # Every pending proposal of the ministry, oldest first, with its link; nothing else.
    assert body.index("« Ancienne »") < body.index("« Récente »")
    assert (
        f"{SITE}/inventaire/{old.asset_id}/" in body and f"{SITE}/inventaire/propositions/" in body
    )
    assert "Ailleurs" not in body
    # Once a week, whatever the number of runs or workers.
    assert tasks.remind_pending_proposals() == 0
    assert len(mail.outbox) == 1
    next_week = timezone.now() + datetime.timedelta(days=7)
    assert tasks.remind_pending_proposals(now=next_week) == 1


def test_no_reminder_while_every_proposal_is_recent_or_decided(
    amd_user, correspondent_user, organization
):
    recent = propose(correspondent_user, AssetFactory(organization=organization))
    _age(recent, 3)
    decided = propose(correspondent_user, AssetFactory(organization=organization))
    _age(decided, 20)
    proposals.proposal_reject(actor=amd_user, proposal=decided, reason="Non")
    mail.outbox.clear()
    assert tasks.remind_pending_proposals() == 0
    assert mail.outbox == []


def test_reminder_never_shows_an_internal_justification(amd_user, correspondent_user, asset):
    ground = LegalGround.objects.filter(regime="ABSOLU", requires_sub_reference=False).first()
    secret = "Justification interne à ne jamais envoyer"
    proposal = propose(
        correspondent_user,
        asset,
        QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[GroundInput(ground=ground, justification_internal=secret)],
        ),
    )
    _age(proposal, 8)
    mail.outbox.clear()
    assert tasks.remind_pending_proposals() == 1
    assert secret not in mail.outbox[0].body


def test_a_failed_reminder_is_sent_again_at_the_next_run(
    amd_user, correspondent_user, asset, monkeypatch
):
    from datasets import notifications

    _age(propose(correspondent_user, asset), 8)
    real = notifications.send_pending_reminder

    def broken(*args, **kwargs):
        raise ConnectionError("serveur de courriel injoignable")

    monkeypatch.setattr(notifications, "send_pending_reminder", broken)
    with pytest.raises(ConnectionError):
        tasks.remind_pending_proposals()
    monkeypatch.setattr(notifications, "send_pending_reminder", real)
    mail.outbox.clear()
    assert tasks.remind_pending_proposals() == 1


def test_the_reminder_is_in_the_beat_schedule():
    from core.schedules import collect_beat_schedule

    entry = collect_beat_schedule()["datasets-remind-pending-proposals"]
    assert entry["task"] == "datasets.remind_pending_proposals"
