"""Writes of trainings, events and impact measurements: atomic, validated, audited.

Registration and waitlist (issue #5):
- the session row is locked (`SELECT ... FOR UPDATE`) for the whole registration or
  cancellation, so that concurrent requests are served one after the other: with 20 seats and 50
  simultaneous requests, exactly 20 are seated and 30 waitlisted at positions 1..30 in the order
  the lock was obtained (SQLite, used by `make run`, serialises writers anyway);
- a cancellation of a seated official promotes the first of the waitlist (lowest position);
- the official's ministry is that of their account: the one ministry of their memberships, or
  chosen among them if they have several; an official without any portal role chooses it from
  the list of current ministries. It is stored on the registration (indicator N16 counts
  officials per ministry at the time of the training).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from administrators.models import Ministry, Person
from core.access import access_for
from core.audit import audit_record, diff, snapshot
from core.concurrency import ensure_unchanged
from core.models import User
from core.notifications import send_once
from core.permissions import ensure_network_staff
from datasets.models import DataAsset
from guides.models import Guide
from trainings.models import (
    Event,
    ImpactIndicator,
    Measurement,
    Registration,
    TrainingCourse,
    TrainingSession,
)
from trainings.permissions import ensure_can_edit_session, ensure_can_schedule

RegStatus = Registration.Status
SessionStatus = TrainingSession.Status
CLOSED_STATUSES = {SessionStatus.ANNULEE, SessionStatus.TENUE}

# --- courses ----------------------------------------------------------------------------------


def _check_course_title(course: TrainingCourse) -> None:
    """The title goes into the subject of the reminder e-mails: one line only."""
    if any(c in (course.title or "") for c in "\r\n\x00"):
        raise ValidationError(
            {"title": "L'intitulé de la formation tient sur une ligne (sans saut de ligne)."}
        )


def _check_guides(guide_ids: Iterable[int]) -> list[int]:
    """Only published guides are linked to a course: its page and the API are public."""
    ids = sorted({int(i) for i in guide_ids})
    published = set(
        Guide.objects.filter(pk__in=ids, published_version__isnull=False).values_list(
            "pk", flat=True
        )
    )
    if set(ids) - published:
        raise ValidationError(
            {"related_guides": "Seuls les guides publiés peuvent être associés à une formation."}
        )
    return ids


@transaction.atomic
def course_create(
    *,
    actor: Any,
    audience_ids: Iterable[int] = (),
    guide_ids: Iterable[int] = (),
    **fields: Any,
) -> TrainingCourse:
    ensure_can_schedule(actor)
    guides = _check_guides(guide_ids)
    course = TrainingCourse(created_by=actor, **fields)
    _check_course_title(course)
    course.full_clean()
    course.save()
    course.audiences.set(list(audience_ids))
    course.related_guides.set(guides)
    audit_record(
        actor=actor, action="training.course_created", target=course, changes=snapshot(course)
    )
    return course


@transaction.atomic
def course_update(
    *,
    actor: Any,
    course: TrainingCourse,
    audience_ids: Iterable[int] | None = None,
    guide_ids: Iterable[int] | None = None,
    **fields: Any,
) -> TrainingCourse:
    ensure_can_schedule(actor)
    guides = _check_guides(guide_ids) if guide_ids is not None else None
    before = snapshot(course)
    for name, value in fields.items():
        setattr(course, name, value)
    _check_course_title(course)
    course.full_clean()
    course.save()
    if audience_ids is not None:
        course.audiences.set(list(audience_ids))
    if guides is not None:
        course.related_guides.set(guides)
    audit_record(
        actor=actor,
        action="training.course_updated",
        target=course,
        changes=diff(before, snapshot(course)),
    )
    return course


# --- sessions ---------------------------------------------------------------------------------


def _check_trainers(trainer_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(i) for i in trainer_ids})
    if not ids:
        return ids
    allowed = set(
        User.objects.filter(
            pk__in=ids,
            memberships__role__in=["TRAINER", "DINUM_STAFF", "CHIEF_DATA_OFFICER"],
        ).values_list("pk", flat=True)
    )
    if set(ids) - allowed:
        raise ValidationError(
            {"trainers": "Seuls les comptes ayant le rôle de formateur peuvent animer une session."}
        )
    return ids


SESSION_FIELDS = {
    "course",
    "start",
    "end",
    "location",
    "visio_url",
    "capacity",
    "host_ministry",
    "status",
    "notes",
}


@transaction.atomic
def session_create(
    *, actor: Any, trainer_ids: Iterable[int] = (), **fields: Any
) -> TrainingSession:
    """A trainer schedules a session; they are one of its trainers."""
    ensure_can_schedule(actor)
    unknown = set(fields) - SESSION_FIELDS
    if unknown:
        raise ValidationError(f"Champs inconnus : {', '.join(sorted(unknown))}.")
    fields.setdefault("status", SessionStatus.OUVERTE)
    if fields["status"] not in {SessionStatus.PLANIFIEE, SessionStatus.OUVERTE}:
        raise ValidationError({"status": "Une nouvelle session est planifiée ou ouverte."})
    session = TrainingSession(created_by=actor, **fields)
    session.full_clean()
    if session.start <= timezone.now():
        raise ValidationError({"start": "Une nouvelle session doit commencer dans le futur."})
    session.save()
    ids = set(_check_trainers(trainer_ids))
    if access_for(actor).trainer:
        ids.add(actor.pk)
    session.trainers.set(sorted(ids))
    audit_record(
        actor=actor,
        action="training.session_created",
        target=session,
        changes={**snapshot(session), "trainers": sorted(ids)},
        ministry_id=session.host_ministry_id,
    )
    return session


@transaction.atomic
def session_update(
    *,
    actor: Any,
    session: TrainingSession,
    trainer_ids: Iterable[int] | None = None,
    expected_updated_at: datetime.datetime | None = None,
    **fields: Any,
) -> TrainingSession:
    """Only the session's trainers (and DINUM staff) change it. Raising the capacity promotes
    the waitlist; lowering it under the number of seated officials is refused. With
    `expected_updated_at` (when the caller read it), a session changed since is left as it is:
    the second of two trainers editing it at once is told, and the first one's save is kept."""
    ensure_can_edit_session(actor, session)
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    ensure_unchanged(session, expected_updated_at, "Cette session", locked=True)
    unknown = set(fields) - SESSION_FIELDS
    if unknown:
        raise ValidationError(f"Champs inconnus : {', '.join(sorted(unknown))}.")
    if "status" in fields and fields["status"] == SessionStatus.ANNULEE:
        raise ValidationError({"status": "Utilisez l'action « Annuler la session »."})
    if session.status == SessionStatus.ANNULEE:
        raise ValidationError("Cette session est annulée : elle ne peut plus être modifiée.")
    if session.status == SessionStatus.TENUE and fields.get("status", SessionStatus.TENUE) != (
        SessionStatus.TENUE
    ):
        raise ValidationError(
            {"status": "Cette session est tenue : ses inscriptions ne se rouvrent plus."}
        )
    before = snapshot(session)
    old_start = session.start
    for name, value in fields.items():
        setattr(session, name, value)
    if _to_the_minute(session.start) == _to_the_minute(old_start):
        # The pages give a start to the minute: the same minute is no move (seconds kept).
        session.start = old_start
    session.full_clean()
    now = timezone.now()
    if old_start > now and session.start != old_start and session.start <= now:
        raise ValidationError(
            {"start": "Une session à venir ne peut pas être déplacée dans le passé."}
        )
    seated = session.registrations.filter(status=RegStatus.INSCRIT).count()
    if session.capacity < seated:
        raise ValidationError(
            {
                "capacity": (
                    f"La capacité ne peut pas être inférieure au nombre d'inscrits ({seated})."
                )
            }
        )
    session.save()
    if session.start != old_start and session.start > now and old_start > now:
        # An upcoming session moved: its registrants are told, and the reminder given for the
        # old date does not count for the new one (a past session's dates corrected: nobody).
        session.registrations.exclude(status=RegStatus.ANNULE).update(reminded_at=None)
        from trainings.tasks import send_session_rescheduled

        send_session_rescheduled.delay_on_commit(session_id=session.pk)
    changes = diff(before, snapshot(session))
    if trainer_ids is not None:
        ids = _check_trainers(trainer_ids)
        if not ids:
            raise ValidationError({"trainers": "Une session doit garder au moins un formateur."})
        session.trainers.set(ids)
        changes["trainers"] = ids
    _promote_waitlist(session, actor=actor)
    audit_record(
        actor=actor,
        action="training.session_updated",
        target=session,
        changes=changes,
        ministry_id=session.host_ministry_id,
    )
    return session


def _to_the_minute(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(second=0, microsecond=0)


@transaction.atomic
def session_cancel(*, actor: Any, session: TrainingSession, reason: str = "") -> TrainingSession:
    ensure_can_edit_session(actor, session)
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if session.status == SessionStatus.ANNULEE:
        raise ValidationError("Cette session est déjà annulée.")
    if session.end <= timezone.now():
        raise ValidationError("Cette session est terminée : elle ne peut plus être annulée.")
    if session.registrations.filter(attended=True).exists():
        # Those present are trained (N16) and asked for their opinion: the session took place.
        raise ValidationError(
            "Des présences ont été notées : la session a eu lieu, elle ne peut plus être annulée."
        )
    session.status = SessionStatus.ANNULEE
    session.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="training.session_cancelled",
        target=session,
        changes={"status": [None, SessionStatus.ANNULEE], "reason": reason},
        ministry_id=session.host_ministry_id,
    )
    from trainings.tasks import send_session_cancelled

    send_session_cancelled.delay_on_commit(session_id=session.pk)
    return session


# --- registrations ----------------------------------------------------------------------------


def resolve_official_ministry(actor: Any, ministry_id: int | None) -> Ministry:
    """The ministry of the registering official (see the module docstring)."""
    own = sorted(access_for(actor).visible_ministry_ids)
    if len(own) == 1:
        return Ministry.objects.get(pk=own[0])
    if own:
        if ministry_id is None or int(ministry_id) not in own:
            raise ValidationError(
                {"ministry": "Choisissez votre ministère parmi ceux de votre compte."}
            )
        return Ministry.objects.get(pk=ministry_id)
    if ministry_id is None:
        raise ValidationError({"ministry": "Indiquez votre ministère de rattachement."})
    ministry = Ministry.objects.current().filter(pk=ministry_id).first()
    if ministry is None:
        raise ValidationError({"ministry": "Ce ministère n'existe pas ou n'est plus en fonction."})
    return ministry


def _refuse_if_closed(session: TrainingSession, now: datetime.datetime) -> None:
    if session.status == SessionStatus.ANNULEE:
        raise ValidationError("Cette session a été annulée : l'inscription n'est plus possible.")
    if session.start <= now or session.status == SessionStatus.TENUE:
        raise ValidationError(
            "Cette session a déjà commencé ou est passée : l'inscription n'est plus possible."
        )
    if session.status == SessionStatus.PLANIFIEE:
        raise ValidationError("Les inscriptions à cette session ne sont pas encore ouvertes.")


def _sync_full_status(session: TrainingSession) -> None:
    if session.status not in {SessionStatus.OUVERTE, SessionStatus.COMPLETE}:
        return
    seated = session.registrations.filter(status=RegStatus.INSCRIT).count()
    status = SessionStatus.COMPLETE if seated >= session.capacity else SessionStatus.OUVERTE
    if status != session.status:
        session.status = status
        # Not `updated_at`: it tells the trainers' edits apart (`session_update`), and a
        # registration is none of them.
        session.save(update_fields=["status"])


@transaction.atomic
def registration_create(
    *, actor: Any, session: TrainingSession, ministry_id: int | None = None
) -> Registration:
    """Register the signed-in official: a seat if one is free, else the end of the waitlist."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Connectez-vous pour vous inscrire.")
    ministry = resolve_official_ministry(actor, ministry_id)
    now = timezone.now()
    locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
    _refuse_if_closed(locked, now)
    existing = (
        Registration.objects.filter(session=locked, user_id=actor.pk)
        .exclude(status=RegStatus.ANNULE)
        .first()
    )
    if existing is not None:
        if existing.status == RegStatus.LISTE_ATTENTE:
            raise ValidationError("Vous êtes déjà sur la liste d'attente de cette session.")
        raise ValidationError("Vous êtes déjà inscrit à cette session.")
    seated = Registration.objects.filter(session=locked, status=RegStatus.INSCRIT).count()
    registration = Registration(
        session=locked,
        user=actor,
        person=Person.objects.filter(user_id=actor.pk).first(),
        ministry=ministry,
        registered_at=now,
        created_by=actor,
    )
    if seated < locked.capacity:
        registration.status = RegStatus.INSCRIT
    else:
        last = Registration.objects.filter(
            session=locked, status=RegStatus.LISTE_ATTENTE
        ).aggregate(m=Max("waitlist_position"))["m"]
        registration.status = RegStatus.LISTE_ATTENTE
        registration.waitlist_position = (last or 0) + 1
    registration.save()
    _sync_full_status(locked)
    audit_record(
        actor=actor,
        action="training.registered",
        target=registration,
        changes={
            "status": registration.status,
            "waitlist_position": registration.waitlist_position,
        },
    )
    return registration


def _promote_waitlist(session: TrainingSession, *, actor: Any) -> list[Registration]:
    """Seat waitlisted officials in order while seats are free (caller holds the session lock)."""
    from trainings.tasks import send_promotion_notice

    promoted: list[Registration] = []
    if session.status in CLOSED_STATUSES or session.start <= timezone.now():
        return promoted
    seated = session.registrations.filter(status=RegStatus.INSCRIT).count()
    free = session.capacity - seated
    if free > 0:
        now = timezone.now()
        for reg in (
            session.registrations.filter(status=RegStatus.LISTE_ATTENTE)
            .order_by("waitlist_position")
            .select_for_update()[:free]
        ):
            reg.status = RegStatus.INSCRIT
            reg.waitlist_position = None
            reg.promoted_at = now
            reg.save(update_fields=["status", "waitlist_position", "promoted_at", "updated_at"])
            audit_record(
                actor=actor,
                action="training.promoted",
                target=reg,
                changes={"status": [RegStatus.LISTE_ATTENTE, RegStatus.INSCRIT]},
            )
            send_promotion_notice.delay_on_commit(registration_id=reg.pk)
            promoted.append(reg)
    _sync_full_status(session)
    return promoted


@transaction.atomic
def registration_cancel(*, actor: Any, registration: Registration) -> Registration:
    """The official (or a trainer of the session, or DINUM staff) cancels; the first of the
    waitlist takes the freed seat. An official whose registration someone else cancelled is
    told by e-mail."""
    session = TrainingSession.objects.select_for_update().get(pk=registration.session_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.user_id != getattr(actor, "pk", None):
        ensure_can_edit_session(actor, session)
    if registration.status == RegStatus.ANNULE:
        raise ValidationError("Cette inscription est déjà annulée.")
    if session.start <= timezone.now():
        raise ValidationError("La session a commencé : l'inscription ne peut plus être annulée.")
    previous = registration.status
    registration.status = RegStatus.ANNULE
    registration.waitlist_position = None
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "waitlist_position", "cancelled_at", "updated_at"])
    audit_record(
        actor=actor,
        action="training.registration_cancelled",
        target=registration,
        changes={"status": [previous, RegStatus.ANNULE]},
    )
    if registration.user_id != getattr(actor, "pk", None):
        from trainings.tasks import send_registration_cancelled

        send_registration_cancelled.delay_on_commit(registration_id=registration.pk)
    if previous == RegStatus.INSCRIT:
        _promote_waitlist(session, actor=actor)
    return registration


@transaction.atomic
def attendance_mark(
    *,
    actor: Any,
    session: TrainingSession,
    present_ids: Iterable[int],
    read_present_ids: Iterable[int] | None = None,
) -> int:
    """The session's trainers record who came (every seated official: present or absent).
    With `read_present_ids` (who the sheet showed present when it was read), only the boxes
    the trainer changed are applied to officials already marked: two trainers saving sheets
    read at the same time keep each other's marks."""
    ensure_can_edit_session(actor, session)
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if session.status == SessionStatus.ANNULEE:
        raise ValidationError("Cette session a été annulée : pas de feuille de présence.")
    now = timezone.now()
    if session.start > now:
        raise ValidationError("La présence se note à partir du début de la session.")
    present = {int(i) for i in present_ids}
    seated = list(session.registrations.filter(status=RegStatus.INSCRIT))
    unknown = present - {r.pk for r in seated}
    if unknown:
        raise ValidationError("Certaines personnes cochées ne sont pas inscrites à cette session.")
    read = None if read_present_ids is None else {int(i) for i in read_present_ids}
    changed = []
    for reg in seated:
        value = reg.pk in present
        if read is not None and reg.attended is not None and value == (reg.pk in read):
            continue  # box left as read: keep the current mark, another trainer's maybe
        if reg.attended != value:
            changed.append((reg, {"attended": [reg.attended, value]}))
            reg.attended = value
            reg.completion = (
                Registration.Completion.COMPLET if value else Registration.Completion.NON_COMMENCE
            )
    Registration.objects.bulk_update([r for r, _ in changed], ["attended", "completion"])
    if session.end <= now and session.status != SessionStatus.TENUE:
        session.status = SessionStatus.TENUE
        session.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="training.attendance_marked",
        target=session,
        changes={"present": sorted(present), "changed": len(changed)},
        ministry_id=session.host_ministry_id,
    )
    return len(changed)


@transaction.atomic
def satisfaction_submit(
    *, actor: Any, registration: Registration, satisfaction: int, feedback: str = ""
) -> Registration:
    """Survey after the session: only the attendee, only once, only after the end."""
    registration = (
        Registration.objects.select_for_update().select_related("session").get(pk=registration.pk)
    )
    if registration.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("Seul le participant répond à son questionnaire de satisfaction.")
    if registration.session.end > timezone.now():
        raise ValidationError("Le questionnaire de satisfaction s'ouvre à la fin de la session.")
    if registration.status != RegStatus.INSCRIT or not registration.attended:
        raise ValidationError(
            "Seules les personnes présentes à la session peuvent répondre au questionnaire."
        )
    if registration.satisfaction is not None:
        raise ValidationError("Vous avez déjà répondu à ce questionnaire.")
    try:
        value = int(satisfaction)
    except (TypeError, ValueError):
        raise ValidationError({"satisfaction": "La satisfaction se note de 1 à 5."}) from None
    if not 1 <= value <= 5:
        raise ValidationError({"satisfaction": "La satisfaction se note de 1 à 5."})
    if len(feedback or "") > 5000:
        raise ValidationError({"feedback": "Le commentaire ne doit pas dépasser 5 000 caractères."})
    registration.satisfaction = value
    registration.feedback = (feedback or "").strip()
    registration.feedback_at = timezone.now()
    registration.save(update_fields=["satisfaction", "feedback", "feedback_at", "updated_at"])
    audit_record(
        actor=actor,
        action="training.satisfaction",
        target=registration,
        changes={"satisfaction": value},
    )
    return registration


# --- reminders (Celery beat) ------------------------------------------------------------------

REMINDER_WINDOW = datetime.timedelta(days=2)


def reminders_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Ids of seated registrations whose session starts within two days and that were never
    reminded (whatever the session's status but cancelled: registrations closed again, or a
    session full, still take place)."""
    now = now or timezone.now()
    return list(
        Registration.objects.filter(
            status=RegStatus.INSCRIT,
            reminded_at__isnull=True,
            session__start__gt=now,
            session__start__lte=now + REMINDER_WINDOW,
        )
        .exclude(session__status=SessionStatus.ANNULEE)
        .order_by("id")
        .values_list("pk", flat=True)
    )


def reminder_send(*, registration_id: int, now: datetime.datetime | None = None) -> bool:
    """Send one reminder, at most once: the row is claimed by a conditional UPDATE before the
    mail goes out (two workers cannot both claim it); a failed send releases the claim."""
    from trainings import notifications

    row = Registration.objects.filter(pk=registration_id, status=RegStatus.INSCRIT).exclude(
        session__status=SessionStatus.ANNULEE
    )
    sent, _ = send_once(
        row, "reminded_at", lambda: notifications.send_reminder(registration_of(row)), now
    )
    return sent


def reminders_send_due(*, now: datetime.datetime | None = None) -> int:
    return sum(reminder_send(registration_id=pk, now=now) for pk in reminders_due(now=now))


SURVEY_WINDOW = datetime.timedelta(days=7)


def survey_invitations_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Attendees of sessions that ended within the last seven days, not yet invited and who
    have not answered."""
    now = now or timezone.now()
    return list(
        Registration.objects.filter(
            status=RegStatus.INSCRIT,
            attended=True,
            satisfaction__isnull=True,
            survey_invited_at__isnull=True,
            session__end__lte=now,
            session__end__gt=now - SURVEY_WINDOW,
        )
        .order_by("id")
        .values_list("pk", flat=True)
    )


def survey_invitation_send(*, registration_id: int, now: datetime.datetime | None = None) -> bool:
    """Invite one attendee to the satisfaction survey, once (claimed before sending)."""
    from trainings import notifications

    row = Registration.objects.filter(pk=registration_id, satisfaction__isnull=True)
    sent, _ = send_once(
        row,
        "survey_invited_at",
        lambda: notifications.send_survey_invitation(registration_of(row)),
        now,
    )
    return sent


def registration_of(row: QuerySet[Registration]) -> Registration:
    """The one registration `row` selects, with what the e-mails show."""
    return row.select_related("session", "session__course", "user").get()


def survey_invitations_send_due(*, now: datetime.datetime | None = None) -> int:
    return sum(
        survey_invitation_send(registration_id=pk, now=now)
        for pk in survey_invitations_due(now=now)
    )


# --- events -----------------------------------------------------------------------------------

EVENT_FIELDS = {
    "event_type",
    "title",
    "description",
    "start",
    "end",
    "organizer_org",
    "organizer_name",
    "participants_count",
    "reuser_orgs_count",
    "contributions_count",
    "synthesis_url",
    "outputs",
    "reuses_created",
    "reuse_urls",
    "international_body",
    "source_url",
}


def _asset_ids(ids: Iterable[int] | None, what: str) -> list[int] | None:
    if ids is None:
        return None
    wanted = sorted({int(i) for i in ids})
    found = set(DataAsset.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if set(wanted) - found:
        raise ValidationError({what: "Une des entrées d'inventaire choisies n'existe pas."})
    return wanted


@dataclass
class EventLinks:
    ministry_ids: Iterable[int] | None = None
    dataset_ids: Iterable[int] | None = None
    opened_ids: Iterable[int] | None = None


def _apply_links(event: Event, links: EventLinks) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if links.ministry_ids is not None:
        ids = sorted({int(i) for i in links.ministry_ids})
        if Ministry.objects.filter(pk__in=ids).count() != len(ids):
            raise ValidationError({"ministries": "Un des ministères choisis n'existe pas."})
        event.ministries.set(ids)
        changes["ministries"] = ids
    datasets = _asset_ids(links.dataset_ids, "datasets")
    if datasets is not None:
        event.datasets.set(datasets)
        changes["datasets"] = datasets
    opened = _asset_ids(links.opened_ids, "datasets_opened_as_result")
    if opened is not None:
        event.datasets_opened_as_result.set(opened)
        changes["datasets_opened_as_result"] = opened
    return changes


@transaction.atomic
def event_create(*, actor: Any, links: EventLinks | None = None, **fields: Any) -> Event:
    ensure_network_staff(actor)
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise ValidationError(f"Champs inconnus : {', '.join(sorted(unknown))}.")
    event = Event(created_by=actor, **fields)
    event.full_clean()
    event.save()
    changes = {**snapshot(event), **_apply_links(event, links or EventLinks())}
    audit_record(actor=actor, action="event.created", target=event, changes=changes)
    return event


@transaction.atomic
def event_update(
    *, actor: Any, event: Event, links: EventLinks | None = None, **fields: Any
) -> Event:
    ensure_network_staff(actor)
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise ValidationError(f"Champs inconnus : {', '.join(sorted(unknown))}.")
    before = snapshot(event)
    for name, value in fields.items():
        setattr(event, name, value)
    event.full_clean()
    event.save()
    changes = {**diff(before, snapshot(event)), **_apply_links(event, links or EventLinks())}
    audit_record(actor=actor, action="event.updated", target=event, changes=changes)
    return event


# --- impact indicators ------------------------------------------------------------------------


@transaction.atomic
def indicator_create(*, actor: Any, **fields: Any) -> ImpactIndicator:
    ensure_network_staff(actor)
    indicator = ImpactIndicator(created_by=actor, **fields)
    indicator.full_clean()
    indicator.save()
    audit_record(
        actor=actor,
        action="impact.indicator_created",
        target=indicator,
        changes=snapshot(indicator),
    )
    return indicator


@transaction.atomic
def indicator_update(*, actor: Any, indicator: ImpactIndicator, **fields: Any) -> ImpactIndicator:
    ensure_network_staff(actor)
    before = snapshot(indicator)
    level = fields.get("level", indicator.level)
    if level != indicator.level and indicator.measurements.exists():
        # Its values are per network, ministry or entry: another level would contradict them.
        raise ValidationError(
            {"level": "Cet indicateur a déjà des mesures : son niveau ne peut plus changer."}
        )
    for name, value in fields.items():
        setattr(indicator, name, value)
    indicator.full_clean()
    indicator.save()
    audit_record(
        actor=actor,
        action="impact.indicator_updated",
        target=indicator,
        changes=diff(before, snapshot(indicator)),
    )
    return indicator


def _check_measurement_level(m: Measurement) -> None:
    level = m.indicator.level
    if level == ImpactIndicator.Level.MINISTERE and m.ministry_id is None:
        raise ValidationError({"ministry": "Cet indicateur se mesure par ministère : indiquez-le."})
    if level == ImpactIndicator.Level.ACTIF and m.asset_id is None:
        raise ValidationError(
            {"asset": "Cet indicateur se mesure par jeu de données : indiquez-le."}
        )
    if level == ImpactIndicator.Level.RESEAU and (m.ministry_id or m.asset_id):
        raise ValidationError(
            {
                "ministry": "Cet indicateur se mesure pour tout le réseau : ne choisissez pas de ministère."
            }
        )
    if m.asset_id and m.ministry_id is None:
        m.ministry_id = m.asset.ministry_id if m.asset else None
    if m.asset_id and m.asset and m.ministry_id != m.asset.ministry_id:
        raise ValidationError({"asset": "Ce jeu de données relève d'un autre ministère."})


@transaction.atomic
def measurement_record(
    *,
    actor: Any,
    indicator: ImpactIndicator,
    period_start: datetime.date,
    period_end: datetime.date,
    value: Decimal,
    ministry: Ministry | None = None,
    asset: DataAsset | None = None,
    method_note: str = "",
    evidence_url: str = "",
    is_estimate: bool = False,
    collected_at: datetime.datetime | None = None,
) -> Measurement:
    """Record one value by hand (a value already recorded for that quarter is refused)."""
    ensure_network_staff(actor)
    # The indicator's lock makes `full_clean` see a value another recording or an import has
    # just written (READ COMMITTED), so the second is refused by the constraint's message
    # instead of failing on the unique index (500).
    _indicators_lock([indicator.pk])
    m = Measurement(
        indicator=indicator,
        period_start=period_start,
        period_end=period_end,
        value=value,
        ministry=ministry,
        asset=asset,
        method_note=method_note,
        evidence_url=evidence_url,
        is_estimate=is_estimate,
        collected_at=collected_at or timezone.now(),
        created_by=actor,
    )
    _check_measurement_level(m)
    m.full_clean()
    m.save()
    audit_record(actor=actor, action="impact.measurement_recorded", target=m, changes=snapshot(m))
    return m


def _indicators_lock(indicator_ids: Iterable[int]) -> None:
    """Lock the indicators' rows, in pk order (two writers never wait for each other in a
    cycle), until the transaction ends: the writers of measurements take it before looking up
    the values they create, so two of them on the same indicator run one after the other and
    the second finds what the first wrote. Chosen over a savepoint and a retry on
    IntegrityError: an import writes many rows and must stay all or nothing; a lock keeps it
    one plain transaction. NO KEY: the indicator itself is not changed."""
    list(
        ImpactIndicator.objects.select_for_update(no_key=True)
        .filter(pk__in=set(indicator_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def measurements_import(
    *, actor: Any, content: bytes, filename: str = "mesures.csv"
) -> ImportReport:
    """Import measurements from a CSV file, all or nothing: any bad line and nothing is written;
    the report lists every problem with its line number. An existing value for the same
    indicator, quarter and ministry is replaced (the import may be re-run)."""
    from trainings.csv_import import parse_measurements

    ensure_network_staff(actor)
    rows, errors = parse_measurements(content, filename)
    report = ImportReport(errors=errors)
    if errors:
        return report
    try:
        with transaction.atomic():
            _indicators_lock(row["indicator"].pk for _, row in rows)
            for line, row in rows:
                existing = Measurement.objects.filter(
                    indicator=row["indicator"],
                    period_start=row["period_start"],
                    ministry=row["ministry"],
                    asset__isnull=True,
                ).first()
                m = existing or Measurement(
                    indicator=row["indicator"], ministry=row["ministry"], created_by=actor
                )
                before = snapshot(m) if existing else {}
                m.period_start = row["period_start"]
                m.period_end = row["period_end"]
                m.value = row["value"]
                m.is_estimate = row["is_estimate"]
                m.method_note = row["method_note"]
                m.evidence_url = row["evidence_url"]
                m.collected_at = timezone.now()
                try:
                    _check_measurement_level(m)
                    m.full_clean()
                except ValidationError as exc:
                    report.errors.extend(f"Ligne {line} : {msg}" for msg in exc.messages)
                    continue
                m.save()
                if existing:
                    report.updated += 1
                else:
                    report.created += 1
                audit_record(
                    actor=actor,
                    action="impact.measurement_imported",
                    target=m,
                    changes=diff(before, snapshot(m)),
                )
            if report.errors:
                raise _Rollback
    except _Rollback:
        report.created = report.updated = 0
    return report


class _Rollback(Exception):
    pass
