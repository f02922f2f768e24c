"""Review of the trainings app (session 9): calendar files built from awkward old data."""

import pytest
from icalendar import Calendar

from tests.trainings.factories import CourseFactory, SessionFactory
from trainings import calendar

pytestmark = pytest.mark.django_db

# Old rows may hold what today's forms refuse: a line break in a title, Windows line ends.
TITLE = "Données ouvertes\r\nlicences, API; chemins C:\\partage"
OBJECTIVES = "Savoir publier ;\nchoisir une licence, \\ documenter"
NOTES = "Salle 4\rbadge à l'accueil, pièce d'identité"
LOCATION = "DINUM; 20 avenue de Ségur, Paris\n7e"


def _awkward_session():
    course = CourseFactory(title=TITLE, objectives=OBJECTIVES)
    return SessionFactory(course=course, notes=NOTES, location=LOCATION)


def _logical_lines(body: bytes) -> list[str]:
    """Check the physical lines of an iCalendar stream, then unfold them (RFC 5545 §3.1)."""
    assert body.endswith(b"\r\n")
    physical = body[:-2].split(b"\r\n")
    for line in physical:
        assert b"\r" not in line and b"\n" not in line, line  # no raw line break in a property
        assert len(line) <= 75, line  # folded at 75 octets
        line.decode("utf-8")  # a fold never splits a UTF-8 sequence
    return body.replace(b"\r\n ", b"").decode("utf-8").split("\r\n")[:-1]


def _value(lines: list[str], name: str) -> str:
    found = [line.split(":", 1)[1] for line in lines if line.split(":", 1)[0] == name]
    assert len(found) == 1, (name, found)
    return found[0]


ESCAPED_TITLE = "Données ouvertes\\nlicences\\, API\\; chemins C:\\\\partage"


def test_session_file_escapes_every_text_value_of_an_awkward_course():
    session = _awkward_session()

    lines = _logical_lines(calendar.session_ics(session))

    assert _value(lines, "X-WR-CALNAME") == f"Formation : {ESCAPED_TITLE}"
    assert _value(lines, "SUMMARY") == f"Formation : {ESCAPED_TITLE}"
    assert _value(lines, "LOCATION") == "DINUM\\; 20 avenue de Ségur\\, Paris\\n7e"
    description = _value(lines, "DESCRIPTION")
    assert description.startswith(
        "Savoir publier \\;\\nchoisir une licence\\, \\\\ documenter\\n\\n"
        "Salle 4\\nbadge à l'accueil\\, pièce d'identité\\n\\n"
    )


def test_session_file_reads_back_to_the_original_texts():
    session = _awkward_session()

    cal = Calendar.from_ical(calendar.session_ics(session))
    (event,) = cal.walk("VEVENT")

    assert str(event["SUMMARY"]) == "Formation : " + TITLE.replace("\r\n", "\n")
    assert str(event["LOCATION"]) == LOCATION
    assert str(event["DESCRIPTION"]).startswith(OBJECTIVES + "\n\nSalle 4\nbadge")


def test_feed_escapes_the_awkward_course_of_each_session():
    sessions = [_awkward_session(), SessionFactory()]

    lines = _logical_lines(calendar.sessions_feed(sessions))

    assert _value(lines, "X-WR-CALNAME") == "Formations du réseau des administrateurs des données"
    summaries = [line for line in lines if line.startswith("SUMMARY:")]
    assert f"SUMMARY:Formation : {ESCAPED_TITLE}" in summaries
    assert len(summaries) == 2


def test_long_course_title_is_folded_at_75_octets_in_the_calendar_name():
    session = SessionFactory(course=CourseFactory(title="Réutilisation, é" * 15))

    lines = _logical_lines(calendar.session_ics(session))

    assert _value(lines, "X-WR-CALNAME") == "Formation : " + "Réutilisation\\, é" * 15


def test_session_file_page_serves_an_awkward_old_course_instead_of_failing(client):
    session = _awkward_session()

    response = client.get(f"/formations/sessions/{session.pk}/session.ics")

    assert response.status_code == 200
    lines = _logical_lines(response.content)
    assert _value(lines, "X-WR-CALNAME") == f"Formation : {ESCAPED_TITLE}"
