"""Celery entry points of the inventory (ids only, safe to run twice, acks_late): the import,
and the e-mails about qualification proposals (`notify_proposal_*`, sent at most once each).

- `import_analyse(job_id)`: the dry run. Runs when the job is UPLOADED (or ANALYSING again after
  a lost worker); does nothing once the job is analysed, applied, failed or cancelled. A dry run
  that finds nothing to create or update ends the job at once (nothing to confirm): APPLIED when
  some rows are already in the inventory as the file describes them, FAILED when all are
  rejected (`importing.closed_without_apply`).
- `import_apply(job_id, actor_id)`: the web process moves the job from ANALYSED to APPLYING
  when the administrator confirms; the task locks the job row, returns at once unless it is
  still APPLYING, and writes everything and the APPLIED state in the same transaction. A worker
  lost mid-way leaves nothing written and the job APPLYING, so the redelivered task runs again;
  a second call after success is a no-op.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from administrators.models import Ministry
from core.models import User
from core.notifications import send_once
from datasets.importing import analyse_job, apply_job, closed_without_apply, nothing_to_apply
from datasets.models import ImportJob, QualificationProposal
from datasets.validation import replace_forbidden

logger = logging.getLogger(__name__)

State = ImportJob.State


def progress_cache_key(job_id: int) -> str:
    return f"import-progress:{job_id}"


def _messages(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def import_analyse(job_id: int) -> None:
    claimed = ImportJob.objects.filter(
        pk=job_id, state__in=[State.UPLOADED, State.ANALYSING]
    ).update(state=State.ANALYSING, error="")
    if not claimed:
        return
    job = ImportJob.objects.select_related("ministry").filter(pk=job_id).first()
    if job is None:  # deleted in the meantime: nothing left to analyse
        return
    # Everything up to the final write of the report is inside the try: whatever fails, the
    # job ends FAILED with a French message, never left ANALYSING.
    try:
        report = analyse_job(job)
        total = report["total"]
        outcome: dict[str, Any] = {"state": State.ANALYSED}
        if nothing_to_apply(report):  # nothing to confirm: the job ends here, its file dropped
            state, error = closed_without_apply(report)
            outcome = {
                "state": state,
                "error": error,
                "finished_at": timezone.now(),
                "payload": b"",
                "normalised_plan": b"",
            }
        with transaction.atomic():  # a savepoint: a refused write leaves the connection usable
            ImportJob.objects.filter(pk=job_id, state=State.ANALYSING).update(
                report=report, progress_done=total, progress_total=total, **outcome
            )
    except ValidationError as exc:
        _fail(job_id, _messages(exc), state=State.ANALYSING)
    except Exception:
        logger.exception("Analyse de l'import %s en échec", job_id)
        _fail(
            job_id,
            "L'analyse a échoué à cause d'une erreur interne ; rien n'a été importé.",
            state=State.ANALYSING,
        )
        raise


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def import_apply(job_id: int, actor_id: int | None = None) -> None:
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    key = progress_cache_key(job_id)

    def progress(done: int, total: int) -> None:
        cache.set(key, [done, total], timeout=3600)

    failure = ""
    try:
        with transaction.atomic():
            job = (
                ImportJob.objects.select_for_update()
                .select_related("ministry")
                .filter(pk=job_id)
                .first()
            )
            if job is None or job.state != State.APPLYING:
                return
            # One apply at a time per ministry: two files creating the same entries in parallel
            # would otherwise both see them as new.
            Ministry.objects.select_for_update().filter(pk=job.ministry_id).first()
            report = apply_job(job, actor=actor, progress=progress)
            job.state = State.APPLIED
            job.report = report
            job.progress_done = job.progress_total = report["total"]
            job.finished_at = timezone.now()
            job.payload = b""  # the file is no longer needed: the report says what was done
            job.normalised_plan = b""
            job.save(
                update_fields=[
                    "payload",
                    "normalised_plan",
                    "state",
                    "report",
                    "progress_done",
                    "progress_total",
                    "finished_at",
                    "updated_at",
                ]
            )
    except ValidationError as exc:
        failure = _messages(exc)
    except PermissionDenied as exc:  # the account lost its rights between confirm and apply
        failure = str(exc) or "Vous ne pouvez plus importer dans l'inventaire de ce ministère."
    except Exception:
        logger.exception("Import %s en échec", job_id)
        failure = "L'import a échoué à cause d'une erreur interne ; rien n'a été écrit."
        _fail(job_id, failure)
        raise
    finally:
        cache.delete(key)
    if failure:
        _fail(job_id, failure)


def _fail(job_id: int, message: str, *, state: str = State.APPLYING) -> None:
    """Ends a job still in `state` as failed. A failed job is never resumed (a new upload is
    needed): the file is not kept."""
    ImportJob.objects.filter(pk=job_id, state=state).update(
        state=State.FAILED,
        error=replace_forbidden(message),
        finished_at=timezone.now(),
        payload=b"",
        normalised_plan=b"",
    )


def enqueue_analyse(job: ImportJob) -> None:
    import_analyse.delay_on_commit(job.pk)


def confirm_import(job: ImportJob, actor: Any) -> bool:
    """ANALYSED → APPLYING (once) and enqueue the apply; False if it was not awaiting it."""
    moved = ImportJob.objects.filter(pk=job.pk, state=State.ANALYSED).update(
        state=State.APPLYING, progress_done=0
    )
    if moved:
        import_apply.delay_on_commit(job.pk, getattr(actor, "pk", None))
    return bool(moved)


# Uploads analysed but never confirmed keep their file in the database; after this many days
# the file is dropped and the job cancelled (the dry-run report stays readable).
STALE_IMPORT_DAYS = settings.STALE_IMPORT_DAYS


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def purge_stale_imports(days: int = STALE_IMPORT_DAYS) -> int:
    """Cancel imports left unconfirmed for `days` days and drop their stored file. Idempotent."""
    cutoff = timezone.now() - datetime.timedelta(days=days)
    return ImportJob.objects.filter(
        state__in=[State.UPLOADED, State.ANALYSED], updated_at__lt=cutoff
    ).update(state=State.CANCELLED, finished_at=timezone.now(), payload=b"", normalised_plan=b"")


# --- Qualification proposal notices (DOMAIN §4.18) ---------------------------------------------


@shared_task(
    name="datasets.notify_proposal_submitted",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def notify_proposal_submitted(proposal_id: int) -> int:
    """Tell the ministry's administrators that a proposal waits for them, once. Nothing when
    the proposal is gone or no longer pending (withdrawn, replaced or decided meanwhile), or
    when the ministry has no administrator with an e-mail address."""
    from datasets import notifications, proposals

    row = QualificationProposal.objects.filter(
        pk=proposal_id, status=QualificationProposal.Status.PENDING
    )
    proposal = row.select_related("asset", "asset__organization", "proposed_by").first()
    if proposal is None or proposal.submission_notified_at is not None:
        return 0
    recipients = proposals.reviewer_emails(proposal.ministry_id)
    if not recipients:
        return 0
    _, sent = send_once(
        row, "submission_notified_at", lambda: notifications.send_submitted(proposal, recipients)
    )
    return sent or 0


@shared_task(
    name="datasets.notify_proposal_decided",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def notify_proposal_decided(proposal_id: int) -> int:
    """Tell the author that their proposal was accepted or refused (with the reason), once."""
    from datasets import notifications

    row = QualificationProposal.objects.filter(
        pk=proposal_id,
        status__in=[QualificationProposal.Status.ACCEPTED, QualificationProposal.Status.REJECTED],
    )
    proposal = row.select_related(
        "asset", "asset__organization", "proposed_by", "reviewed_by"
    ).first()
    if proposal is None or proposal.decision_notified_at is not None:
        return 0
    author = proposal.proposed_by
    if author is None or not author.is_active or not author.email:
        return 0
    _, sent = send_once(
        row, "decision_notified_at", lambda: notifications.send_decided(proposal, author.email)
    )
    return sent or 0


REMINDER_AFTER_DAYS = 7


@shared_task(
    name="datasets.remind_pending_proposals",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def remind_pending_proposals(now: datetime.datetime | None = None) -> int:
    """Once a week (Celery beat): to the administrators of each ministry with a proposal
    pending for more than REMINDER_AFTER_DAYS days, the list of its pending proposals. Returns
    the number of e-mails sent.

    At most one reminder per ministry and ISO week, whatever the number of workers or runs: the
    week is claimed in the shared cache before sending (`cache.add` is atomic in Redis) and
    released if the send fails."""
    from datasets import notifications, proposals

    now = now or timezone.now()
    year, week, _ = timezone.localdate(now).isocalendar()
    threshold = now - datetime.timedelta(days=REMINDER_AFTER_DAYS)
    by_ministry: dict[int, list[QualificationProposal]] = {}
    for proposal in (
        QualificationProposal.objects.filter(status=QualificationProposal.Status.PENDING)
        .select_related("asset", "asset__organization", "proposed_by")
        .order_by("created_at", "pk")
    ):
        by_ministry.setdefault(proposal.ministry_id, []).append(proposal)
    sent = 0
    for ministry_id, rows in sorted(by_ministry.items()):
        if rows[0].created_at > threshold:  # oldest first: none waits for a week yet
            continue
        recipients = proposals.reviewer_emails(ministry_id)
        if not recipients:
            continue
        claim = f"datasets:proposal-reminder:{ministry_id}:{year}-W{week:02d}"
        if not cache.add(claim, 1, timeout=8 * 24 * 3600):
            continue  # already sent this week
        try:
            sent += notifications.send_pending_reminder(rows, REMINDER_AFTER_DAYS, recipients)
        except Exception:
            cache.delete(claim)  # a failed send leaves the week to the next run
            raise
    return sent
