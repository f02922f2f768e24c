"""iCalendar files: one per session, and the feed of upcoming sessions (RFC 5545)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, vText
from icalendar import Event as IcsEvent

from trainings.models import TrainingSession

PRODID = "-//DINUM//Portail du reseau des AMD//FR"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # X-WR-CALNAME is no property icalendar knows: given a plain str it writes the value as is,
    # so a course title holding a line break, « , », « ; » or « \ » would break the file.
    # As TEXT (RFC 5545 §3.3.11) it is escaped like SUMMARY, then folded.
    cal.add("x-wr-calname", vText(name))
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    return cal


def _event(session: TrainingSession, *, with_visio: bool) -> IcsEvent:
    ev = IcsEvent()
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0]
    ev.add("uid", f"session-{session.pk}@{host}")
    ev.add("dtstamp", timezone.now())
    # In UTC (« Z »): a TZID would need its VTIMEZONE (RFC 5545 §3.2.19); clients show the
    # time in their own zone, summer or winter time included.
    ev.add("dtstart", session.start.astimezone(datetime.UTC))
    ev.add("dtend", session.end.astimezone(datetime.UTC))
    ev.add("summary", f"Formation : {session.course.title}")
    url = settings.SITE_URL.rstrip("/") + session.get_absolute_url()
    lines = [session.course.objectives or "", session.notes or ""]
    if session.visio_url and with_visio:
        lines.append(f"Visioconférence : {session.visio_url}")
    elif session.visio_url:
        lines.append("Le lien de visioconférence est communiqué aux inscrits.")
    lines.append(url)
    ev.add("description", "\n\n".join(line for line in lines if line))
    ev.add(
        "location",
        session.location or (session.visio_url if with_visio else "Visioconférence"),
    )
    ev.add("url", url)
    cancelled = session.status == TrainingSession.Status.ANNULEE
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    ev.add("last-modified", session.updated_at)
    return ev


def session_ics(session: TrainingSession, *, with_visio: bool = True) -> bytes:
    cal = _calendar(f"Formation : {session.course.title}")
    cal.add_component(_event(session, with_visio=with_visio))
    return cal.to_ical()


def sessions_feed(sessions: Iterable[TrainingSession]) -> bytes:
    """The public feed: no video-conference links (they go to the seated officials only)."""
    cal = _calendar("Formations du réseau des administrateurs des données")
    for session in sessions:
        cal.add_component(_event(session, with_visio=False))
    return cal.to_ical()
