"""Impact measurements (hand entry, CSV import all-or-nothing), events, and the selectors the
supervision dashboard reads (N16, N18, N19)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import UserFactory
from tests.trainings.factories import (
    CourseFactory,
    EventFactory,
    IndicatorFactory,
    RegistrationFactory,
    SessionFactory,
)
from trainings import selectors, services
from trainings.models import Audience, Event, ImpactIndicator, Measurement, quarter_bounds

pytestmark = pytest.mark.django_db


def _csv(text: str) -> bytes:
    return text.encode("utf-8")


def test_csv_import_creates_and_then_updates(dinum_user, ministry):
    IndicatorFactory(code="telechargements")
    IndicatorFactory(code="reutilisations", level=ImpactIndicator.Level.MINISTERE)
    content = _csv(
        "indicateur;trimestre;valeur;ministere;estimation;methode;justificatif\n"
        "telechargements;2024-T1;1 250,5;;non;API data.gouv.fr;https://www.data.gouv.fr/\n"
        f"reutilisations;2024-T1;12;{ministry.code};oui;;\n"
    )
    report = services.measurements_import(actor=dinum_user, content=content)
    assert report.ok, report.errors
    assert (report.created, report.updated) == (2, 0)
    m = Measurement.objects.get(indicator__code="telechargements")
    assert m.value == Decimal("1250.5") and m.period_end == datetime.date(2024, 3, 31)
    assert Measurement.objects.get(indicator__code="reutilisations").is_estimate
    again = services.measurements_import(actor=dinum_user, content=content.replace(b"12;", b"14;"))
    assert (again.created, again.updated) == (0, 2)
    assert Measurement.objects.get(indicator__code="reutilisations").value == 14


def test_csv_import_is_all_or_nothing_with_line_numbers(dinum_user):
    IndicatorFactory(code="telechargements")
    content = _csv(
        "indicateur,trimestre,valeur\n"
        "telechargements,2024-T1,10\n"
        "inconnu,2024-T2,10\n"
        "telechargements,2024-T5,abc\n"
        "telechargements,2024-T1,11\n"
    )
    report = services.measurements_import(actor=dinum_user, content=content)
    assert not report.ok
    text = "\n".join(report.errors)
    assert "Ligne 3 : indicateur inconnu « inconnu »" in text
    assert "Ligne 4 : trimestre invalide" in text and "valeur non numérique « abc »" in text
    assert "Ligne 5 : doublon de la ligne 2" in text
    assert not Measurement.objects.exists()


def test_csv_import_level_mismatch_rolls_everything_back(dinum_user):
    IndicatorFactory(code="reseau")
    IndicatorFactory(code="par-ministere", level=ImpactIndicator.Level.MINISTERE)
    content = _csv("indicateur;trimestre;valeur\nreseau;2024-T1;1\npar-ministere;2024-T1;2\n")
    report = services.measurements_import(actor=dinum_user, content=content)
    assert report.errors == ["Ligne 3 : Cet indicateur se mesure par ministère : indiquez-le."]
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "vide"),
        (b"indicateur;valeur\nx;1\n", "Colonnes obligatoires manquantes : trimestre"),
        (b"indicateur;trimestre;valeur;pirate\nx;2024-T1;1;2\n", "Colonnes inconnues : pirate"),
        (b"indicateur;trimestre;valeur\n", "aucune ligne"),
        (b"indicateur;trimestre;valeur;methode\nx;2024-T1;1;=HYPERLINK()\n", "formule"),
    ],
)
def test_csv_import_bad_files(dinum_user, content, message):
    IndicatorFactory(code="x")
    report = services.measurements_import(actor=dinum_user, content=content)
    assert not report.ok
    assert message in "\n".join(report.errors)
    assert not Measurement.objects.exists()


@pytest.mark.parametrize("label", ["0000-T1", "9999-T4"])
def test_csv_import_refuses_a_year_out_of_the_calendar_in_french(dinum_user, dinum_client, label):
    IndicatorFactory(code="x")
    report = services.measurements_import(
        actor=dinum_user, content=f"indicateur;trimestre;valeur\nx;{label};1\n".encode()
    )
    assert "Ligne 2 : trimestre invalide" in "\n".join(report.errors)
    assert "out of range" not in "\n".join(report.errors)
    assert not Measurement.objects.exists()


def test_csv_import_is_for_dinum_staff(amd_user):
    with pytest.raises(PermissionDenied):
        services.measurements_import(actor=amd_user, content=b"indicateur;trimestre;valeur\n")


def test_csv_import_page(dinum_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    IndicatorFactory(code="appels-api")
    upload = SimpleUploadedFile(
        "mesures.csv", b"indicateur;trimestre;valeur\nappels-api;2025-T3;99\n", "text/csv"
    )
    response = dinum_client.post("/formations/impact/import/", {"file": upload})
    assert response.status_code == 302
    assert Measurement.objects.get().value == 99
    bad = SimpleUploadedFile("m.csv", b"indicateur;trimestre;valeur\nnope;2025-T3;1\n", "text/csv")
    page = dinum_client.post("/formations/impact/import/", {"file": bad}).content.decode()
    assert "indicateur inconnu" in page and "pas été importé" in page


def test_measurement_by_hand_refuses_a_partial_quarter_and_duplicates(dinum_user):
    ind = IndicatorFactory()
    start, end = quarter_bounds(2025, 2)
    services.measurement_record(
        actor=dinum_user, indicator=ind, period_start=start, period_end=end, value=3
    )
    with pytest.raises(ValidationError, match="existe déjà"):
        services.measurement_record(
            actor=dinum_user, indicator=ind, period_start=start, period_end=end, value=4
        )
    with pytest.raises(ValidationError, match="trimestre civil"):
        services.measurement_record(
            actor=dinum_user, indicator=ind, period_start=start, period_end=start, value=4
        )
    assert Measurement.objects.count() == 1


def test_measurements_per_quarter_selector(dinum_user, ministry, other_ministry, amd_user):
    ind = IndicatorFactory(code="reuses", level=ImpactIndicator.Level.MINISTERE)
    for q, m in [(1, ministry), (2, ministry), (1, other_ministry)]:
        s, e = quarter_bounds(2024, q)
        services.measurement_record(
            actor=dinum_user, indicator=ind, period_start=s, period_end=e, value=q, ministry=m
        )
    mine = selectors.measurements_per_quarter(amd_user)
    assert [(v["quarter"], v["ministry_id"]) for v in mine["reuses"]] == [
        ("2024-T1", ministry.pk),
        ("2024-T2", ministry.pk),
    ]
    assert len(selectors.measurements_per_quarter(dinum_user)["reuses"]) == 3
    assert selectors.quarters_with_measurements(ministry.pk) == 2


def test_event_create_with_datasets_opened_as_result(dinum_user, ministry):
    event = services.event_create(
        actor=dinum_user,
        event_type=Event.EventType.HACKATHON,
        title="Hackathon des données culturelles",
        start=datetime.date(2024, 3, 14),
        participants_count=80,
        reuses_created=3,
        reuse_urls=["https://exemple.fr/app"],
        links=services.EventLinks(ministry_ids=[ministry.pk], opened_ids=[]),
    )
    assert list(event.ministries.all()) == [ministry]
    with pytest.raises(ValidationError, match="entrées d'inventaire"):
        services.event_update(
            actor=dinum_user, event=event, links=services.EventLinks(opened_ids=[999999])
        )
    with pytest.raises(ValidationError, match="http"):
        services.event_update(actor=dinum_user, event=event, reuse_urls=["javascript:alert(1)"])
    event.refresh_from_db()
    assert event.reuse_urls == ["https://exemple.fr/app"]


def test_event_is_for_dinum_staff(trainer_user):
    with pytest.raises(PermissionDenied):
        services.event_create(
            actor=trainer_user, event_type="HACKATHON", title="x", start=datetime.date(2024, 1, 1)
        )
    assert not Event.objects.exists()


def test_event_summary_counts_by_type():
    EventFactory(event_type="HACKATHON", participants_count=40, reuses_created=2)
    EventFactory(event_type="HACKATHON", participants_count=10)
    EventFactory(
        event_type="CONSULTATION_PUBLIQUE", contributions_count=160, participants_count=None
    )
    rows = {r["event_type"]: r for r in selectors.event_summary()}
    assert rows["HACKATHON"]["events"] == 2 and rows["HACKATHON"]["participants"] == 50
    assert rows["HACKATHON"]["reuses"] == 2
    assert rows["CONSULTATION_PUBLIQUE"]["contributions"] == 160
    assert rows["DATACAMP"]["events"] == 0


def test_officials_trained_per_ministry_and_audience(ministry, other_ministry):
    amd, dpo = Audience.objects.get(code="AMD"), Audience.objects.get(code="DPO")
    course = CourseFactory()
    course.audiences.set([amd, dpo])
    other_course = CourseFactory()
    other_course.audiences.set([dpo])
    official = UserFactory()
    RegistrationFactory(
        session=SessionFactory(course=course), user=official, ministry=ministry, attended=True
    )
    RegistrationFactory(
        session=SessionFactory(course=other_course), user=official, ministry=ministry, attended=True
    )
    RegistrationFactory(
        session=SessionFactory(course=course), ministry=other_ministry, attended=False
    )
    RegistrationFactory(
        session=SessionFactory(course=course), ministry=other_ministry, attended=True
    )
    per_ministry = {r["ministry_id"]: r for r in selectors.officials_trained_per_ministry()}
    assert per_ministry[ministry.pk]["officials"] == 1
    assert per_ministry[ministry.pk]["attendances"] == 2
    assert per_ministry[other_ministry.pk]["officials"] == 1
    per_audience = {r["code"]: r["officials"] for r in selectors.officials_trained_per_audience()}
    assert per_audience["AMD"] == 2 and per_audience["DPO"] == 2 and per_audience["DSI"] == 0
    summary = selectors.training_summary()
    assert summary.officials_trained == 2 and summary.attendances == 3


def test_ministries_with_events_for_sprints_and_reuser_events(ministry, other_ministry):
    EventFactory(event_type="SPRINT_OPEN_DATA", start=datetime.date(2025, 6, 1)).ministries.add(
        ministry
    )
    EventFactory(event_type="HACKATHON", start=datetime.date(2023, 1, 1)).ministries.add(
        other_ministry
    )
    since = datetime.date(2025, 1, 1)
    assert selectors.ministries_with_events(event_types=["SPRINT_OPEN_DATA"], since=since) == {
        ministry.pk
    }
    assert (
        selectors.ministries_with_events(event_types=selectors.REUSER_EVENT_TYPES, since=since)
        == set()
    )
    assert selectors.ministries_with_events(event_types=selectors.REUSER_EVENT_TYPES) == {
        other_ministry.pk
    }
