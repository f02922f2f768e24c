"""E-mails to officials (French, plain text, with the session's .ics attached)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.notifications import absolute_url, send_plain
from trainings.calendar import session_ics
from trainings.models import Registration, TrainingSession


def _when(session: TrainingSession) -> str:
    start = timezone.localtime(session.start)
    end = timezone.localtime(session.end)
    return f"le {date_format(start, 'l j F Y')} de {start:%H:%M} à {end:%H:%M}"


def _where(session: TrainingSession, *, with_visio: bool = True) -> str:
    parts = []
    if session.location:
        parts.append(f"Lieu : {session.location}")
    if session.visio_url and with_visio:
        parts.append(f"Visioconférence : {session.visio_url}")
    elif session.visio_url:
        parts.append("Le lien de visioconférence est communiqué aux inscrits.")
    return "\n".join(parts)


def _send(
    to: str,
    subject: str,
    body: str,
    session: TrainingSession | None = None,
    *,
    with_visio: bool = True,
) -> None:
    attachments = []
    if session is not None:
        ics = session_ics(session, with_visio=with_visio)
        attachments.append((f"session-{session.pk}.ics", ics, "text/calendar"))
    send_plain(to, subject, body, attachments)


def _url(session: TrainingSession) -> str:
    return absolute_url(session.get_absolute_url())


def send_reminder(registration: Registration) -> None:
    session = registration.session
    _send(
        registration.user.email,
        f"Rappel : formation « {session.course.title} » {_when(session)}",
        (
            "Bonjour,\n\n"
            f"Vous êtes inscrit à la formation « {session.course.title} », {_when(session)}.\n"
            f"{_where(session)}\n\n"
            "Si vous ne pouvez plus venir, annulez votre inscription pour libérer votre place :\n"
            f"{_url(session)}"
        ),
        session,
    )


def send_promotion(registration: Registration) -> None:
    session = registration.session
    _send(
        registration.user.email,
        f"Une place s'est libérée : formation « {session.course.title} »",
        (
            "Bonjour,\n\n"
            "Une place s'est libérée : vous passez de la liste d'attente à la liste des inscrits "
            f"de la formation « {session.course.title} », {_when(session)}.\n"
            f"{_where(session)}\n\n"
            f"Détails et annulation : {_url(session)}"
        ),
        session,
    )


def send_rescheduled(registration: Registration) -> None:
    session = registration.session
    # The video link goes to seated officials only (as on the session's page).
    seated = registration.status == Registration.Status.INSCRIT
    place = "vous êtes inscrit" if seated else "vous êtes sur la liste d'attente"
    _send(
        registration.user.email,
        f"Session déplacée : formation « {session.course.title} »",
        (
            "Bonjour,\n\n"
            f"La session de la formation « {session.course.title} » à laquelle {place} "
            f"change de date : elle aura lieu {_when(session)}.\n"
            f"{_where(session, with_visio=seated)}\n\n"
            "Si vous ne pouvez pas venir à cette date, annulez votre inscription pour libérer "
            f"votre place :\n{_url(session)}"
        ),
        session,
        with_visio=seated,
    )


def send_cancellation(registration: Registration) -> None:
    session = registration.session
    _send(
        registration.user.email,
        f"Session annulée : formation « {session.course.title} »",
        (
            "Bonjour,\n\n"
            f"La session de la formation « {session.course.title} » prévue {_when(session)} "
            "est annulée. Consultez le calendrier des formations pour choisir une autre date :\n"
            f"{absolute_url('/formations/')}"
        ),
        # The cancelled event (same UID) takes the session out of the official's calendar.
        session,
        with_visio=registration.status == Registration.Status.INSCRIT,
    )


def send_registration_cancelled(registration: Registration) -> None:
    session = registration.session
    _send(
        registration.user.email,
        f"Inscription annulée : formation « {session.course.title} »",
        (
            "Bonjour,\n\n"
            f"Votre inscription à la formation « {session.course.title} », {_when(session)}, "
            "a été annulée par un formateur de la session ou par l'équipe DINUM. "
            "Consultez le calendrier des formations pour vous inscrire à une autre date :\n"
            f"{absolute_url('/formations/')}"
        ),
    )


def send_survey_invitation(registration: Registration) -> None:
    session = registration.session
    url = absolute_url(reverse("trainings:satisfaction", args=[registration.pk]))
    _send(
        registration.user.email,
        f"Votre avis sur la formation « {session.course.title} »",
        (
            "Bonjour,\n\n"
            f"Merci d'avoir participé à la formation « {session.course.title} ». "
            "Deux minutes pour nous dire ce que vous en avez pensé ?\n"
            f"{url}"
        ),
    )
