"""Network indicators N12 to N19 (§7): reference data, algorithms, personal data, APIs,
trainings, guides, reuser events and impact, computed from real rows; the empty network; the
page, its CSV export, who may read them and the number of queries."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from datasets.models import (
    PersonalDataProcessing,
    ReferenceDataDesignation,
    SpdReferenceDataset,
)
from datasets.validation import record_asset_state
from supervision import services
from supervision.quarters import Quarter
from supervision.selectors import network_indicators
from tests.factories import MinistryFactory, OrganizationFactory
from tests.guides.factories import published_guide
from tests.supervision.helpers import asset, aware
from tests.trainings.factories import (
    CourseFactory,
    EventFactory,
    IndicatorFactory,
    RegistrationFactory,
    SessionFactory,
)
from trainings.models import Audience, Event, ImpactIndicator, Measurement, TrainingSession

NEW_CODES = ("N12", "N13", "N14", "N15", "N16", "N17", "N18", "N19")


def _by_code(quarter: Quarter | None = None):
    return {i.code: i for i in network_indicators(quarter or Quarter.current())}


_titles = itertools.count(1)


def _designation(ministry, organization, **fields):
    entry = asset(ministry, organization, title=f"Référentiel n° {next(_titles)}")
    return ReferenceDataDesignation.objects.create(asset=entry, ministry=ministry, **fields)


# --- N12 ---------------------------------------------------------------------------------------


def test_n12_counts_open_candidates_and_designations_under_agd_review(
    ministry, organization, agd_user
):
    cand, sect, spd = "CANDIDATE", "SECTORAL_REFERENTIAL", "SPD_R321_5"
    for status in ("PROPOSED", "PROPOSED", "UNDER_AGD_REVIEW", "SUBMITTED_FOR_DECREE"):
        _designation(ministry, organization, regime=cand, status=status)
    for status in ("REJECTED", "WITHDRAWN", "DESIGNATED"):  # out of the pipeline
        _designation(ministry, organization, regime=cand, status=status)
    _designation(ministry, organization, regime=sect, status="UNDER_AGD_REVIEW")
    # A designated SPD dataset last updated three years ago: twice its yearly frequency is over.
    yearly = SpdReferenceDataset.objects.filter(legal_frequency="YEARLY").first()
    assert yearly is not None
    old = _designation(ministry, organization, regime=spd, status="DESIGNATED", spd_dataset=yearly)
    old.asset.last_updated_at = timezone.localdate() - datetime.timedelta(days=3 * 365)
    old.asset.save(update_fields=["last_updated_at"])
    record_asset_state([old.asset])
    services.snapshot_compute(actor=agd_user, quarter=Quarter.current())

    n12 = _by_code()["N12"]
    assert n12.value == "4 candidate(s) · 2 en examen par l'AGD"
    details = dict(n12.details)
    assert details["Candidates proposées, pas encore examinées"] == "2"
    assert details["En examen par l'AGD (tous régimes)"] == "2"
    assert details["Soumises pour décret (tous régimes)"] == "1"
    assert details["Données de référence SPD désignées"] == "1"
    assert details["Données SPD en retard de plus de deux fois leur fréquence légale"] == "1"
    # Overlay R of the only producer: R1 3/8 (source and date, title, description), R2 0 (three
    # years late), R3 N/A (no availability measured), R4 0 → 10 × (3 × 0.375) ÷ 8 = 1.4.
    assert (
        details["Conformité SPD (surcouche R)"]
        == "1,4 / 10 en moyenne (1 ministère(s) producteur(s))"
    )
    assert "candidate" in n12.definition and "surcouche" in n12.definition


def test_n12_of_a_past_quarter_ignores_designations_created_after_it(ministry, organization):
    _designation(ministry, organization, regime="CANDIDATE", status="PROPOSED")
    past = _by_code(Quarter.current().previous())["N12"]
    assert past.value == "0 candidate(s) · 0 en examen par l'AGD"
    assert _by_code()["N12"].value == "1 candidate(s) · 0 en examen par l'AGD"


# --- N13, N15 ----------------------------------------------------------------------------------


def test_n13_and_n15_are_shown_as_not_measured_with_their_reason(db):
    by_code = _by_code()
    for code, model in (("N13", "AlgorithmEntry"), ("N15", "ApiExposure")):
        assert by_code[code].value == "non mesuré"
        assert model in dict(by_code[code].details)["Motif"]


# --- N14 ---------------------------------------------------------------------------------------


def test_n14_shares_of_linked_personal_data_entries_and_required_dpias_done(
    ministry, organization, other_ministry, agd_user
):
    def processing(m, **fields):
        return PersonalDataProcessing.objects.create(ministry=m, name="Traitement", **fields)

    in_record = processing(
        ministry, ropa_id="REG-12", on_cnil_mandatory_list=True, aipd_status="REALISEE"
    )
    not_in_record = processing(ministry, aipd_criteria_count=2, aipd_status="A_REALISER")
    processing(ministry, aipd_criteria_count=1)  # no DPIA required
    other = processing(
        other_ministry, ropa_id="REG-1", aipd_criteria_count=3, aipd_status="EN_COURS"
    )
    other_org = OrganizationFactory(ministry=other_ministry)
    entries = [
        asset(ministry, organization, contains_personal_data=True, processing=in_record),
        asset(ministry, organization, contains_personal_data=True, processing=in_record),
        asset(ministry, organization, contains_personal_data=True, processing=not_in_record),
        asset(ministry, organization, contains_personal_data=True),
        asset(other_ministry, other_org, contains_personal_data=True, processing=other),
        asset(ministry, organization),  # no personal data: outside the ratio
    ]
    record_asset_state(entries)
    services.snapshot_compute(actor=agd_user, quarter=Quarter.current())

    n14 = _by_code()["N14"]
    assert n14.value == "60\u00a0% des entrées à données personnelles rattachées au registre"
    details = dict(n14.details)
    assert details["Entrées rattachées au registre"] == "3/5"
    assert details["AIPD requises réalisées"] == "1/3 (33\u00a0%)"
    assert "pseudonymisation ne sont pas encore suivis" in n14.definition


def test_n14_without_a_snapshot_shows_a_dash(ministry, organization):
    record_asset_state([asset(ministry, organization, contains_personal_data=True)])
    n14 = _by_code()["N14"]
    assert n14.value.startswith("— ")
    assert dict(n14.details)["AIPD requises réalisées"] == "0/0 (—)"


# --- N16 ---------------------------------------------------------------------------------------


def test_n16_officials_trained_per_ministry_and_audience_sessions_and_satisfaction(
    ministry, other_ministry
):
    quarter = Quarter.current()
    course = CourseFactory()
    course.audiences.add(Audience.objects.get(code="AMD"))
    held = SessionFactory(
        course=course,
        start=aware(quarter.start, 9),
        end=aware(quarter.start, 12),
        status=TrainingSession.Status.TENUE,
    )
    second = SessionFactory(
        course=course,
        start=aware(quarter.start, 14),
        end=aware(quarter.start, 17),
        status=TrainingSession.Status.TENUE,
    )
    first = RegistrationFactory(session=held, ministry=ministry, attended=True, satisfaction=5)
    RegistrationFactory(session=second, user=first.user, ministry=ministry, attended=True)
    RegistrationFactory(session=held, ministry=other_ministry, attended=True, satisfaction=4)
    RegistrationFactory(session=held, ministry=other_ministry, attended=False)
    # A session of the previous quarter is not counted.
    before = SessionFactory(
        course=course,
        start=aware(quarter.previous().start, 9),
        end=aware(quarter.previous().start, 12),
        status=TrainingSession.Status.TENUE,
    )
    RegistrationFactory(session=before, ministry=ministry, attended=True, satisfaction=1)

    n16 = _by_code()["N16"]
    assert n16.value == "2 agent(s) formé(s)"
    details = dict(n16.details)
    assert details["Sessions tenues"] == "2"
    assert details["Présences"] == "3"
    assert details["Satisfaction moyenne"] == "4,5 / 5 (2 avis)"
    assert details["Public — Administrateurs ministériels des données"] == "2"
    assert details["Public — Délégués à la protection des données"] == "0"
    assert details[f"Ministère — {ministry.short_name}"] == "1"
    assert details[f"Ministère — {other_ministry.short_name}"] == "1"


# --- N17 ---------------------------------------------------------------------------------------


def test_n17_days_since_the_open_by_default_guide_was_last_published(db):
    guide = published_guide()
    published = timezone.now() - datetime.timedelta(days=100)
    guide.published_version.published_at = published
    guide.published_version.save(update_fields=["published_at"])

    n17 = _by_code()["N17"]
    assert n17.value == "100\u00a0jours"
    assert n17.target == "< 365 jours"
    details = dict(n17.details)
    assert details["Dernière publication"] == timezone.localtime(published).strftime("%d/%m/%Y")
    assert details["Cible atteinte"] == "oui"
    assert details["Guides à revoir"] == "0/1"


def test_n17_of_a_past_quarter_ignores_versions_published_after_it(db):
    published_guide()  # published now
    past = _by_code(Quarter.current().previous())["N17"]
    assert past.value == "aucune version publiée"
    assert dict(past.details)["Cible atteinte"] == "non"


# --- N18 ---------------------------------------------------------------------------------------


def test_n18_counts_the_quarters_reuser_events_only(ministry):
    start = Quarter.current().start
    hackathon = EventFactory(
        event_type=Event.EventType.HACKATHON,
        start=start,
        participants_count=40,
        contributions_count=12,
        reuses_created=3,
    )
    hackathon.datasets_opened_as_result.add(asset(ministry, OrganizationFactory(ministry=ministry)))
    EventFactory(
        event_type=Event.EventType.CONSULTATION_PUBLIQUE, start=start, participants_count=10
    )
    EventFactory(event_type=Event.EventType.WEBINAIRE, start=start, participants_count=300)
    EventFactory(
        event_type=Event.EventType.HACKATHON,
        start=Quarter.current().previous().start,
        participants_count=99,
    )

    n18 = _by_code()["N18"]
    assert n18.value == "2 événement(s)"
    details = dict(n18.details)
    assert details["Hackathon"] == "1"
    assert details["Consultation publique"] == "1"
    assert "Webinaire" not in details
    assert details["Participants"] == "50"
    assert details["Contributions"] == "12"
    assert details["Réutilisations créées"] == "3"
    assert details["Données ouvertes à la suite"] == "1"


# --- N19 ---------------------------------------------------------------------------------------


def _measure(indicator, quarter, value, **fields):
    return Measurement.objects.create(
        indicator=indicator,
        period_start=quarter.start,
        period_end=quarter.end,
        value=Decimal(value),
        collected_at=timezone.now(),
        **fields,
    )


def test_n19_latest_value_of_each_impact_indicator_and_its_trend(ministry, other_ministry):
    quarter = Quarter.current()
    prev = quarter.previous()
    downloads = IndicatorFactory(
        name="Téléchargements", unit="téléchargements", level=ImpactIndicator.Level.MINISTERE
    )
    _measure(downloads, prev, "1000", ministry=ministry)
    _measure(downloads, prev, "500", ministry=other_ministry)
    _measure(downloads, quarter, "1200", ministry=ministry)
    _measure(downloads, quarter, "600.5", ministry=other_ministry)
    reuses = IndicatorFactory(name="Réutilisations référencées")
    _measure(reuses, prev.previous(), "14")
    _measure(reuses, quarter, "9")
    _measure(reuses, quarter, "500", ministry=ministry)  # a narrower scope: not added
    ourdata = IndicatorFactory(name="Indice OURdata")
    _measure(ourdata, prev, "0.78")
    IndicatorFactory(name="Jamais mesuré")

    n19 = _by_code()["N19"]
    assert n19.value == "3 indicateur(s) mesuré(s)"
    assert n19.target == "tendance ↑"
    details = dict(n19.details)
    nb = "\u202f"
    assert details["Téléchargements"] == (
        f"1{nb}800,5\u00a0téléchargements ({quarter.label}), ↑ contre 1{nb}500 ({prev.label})"
        " — somme par ministère"
    )
    assert details["Réutilisations référencées"] == (
        f"9 ({quarter.label}), ↓ contre 14 ({prev.previous().label})"
    )
    assert details["Indice OURdata"] == f"0,78 ({prev.label})"
    assert "Jamais mesuré" not in details
    # A past quarter does not see later measurements.
    past = dict(_by_code(prev)["N19"].details)
    assert past["Téléchargements"].startswith(f"1{nb}500\u00a0téléchargements ({prev.label})")


# --- The empty network -------------------------------------------------------------------------


def test_empty_network_shows_dashes_and_never_divides_by_zero(db):
    by_code = _by_code()
    assert by_code["N12"].value == "0 candidate(s) · 0 en examen par l'AGD"
    assert by_code["N14"].value == "— des entrées à données personnelles rattachées au registre"
    assert dict(by_code["N14"].details)["AIPD requises réalisées"] == "0/0 (—)"
    assert by_code["N16"].value == "0 agent(s) formé(s)"
    assert dict(by_code["N16"].details)["Satisfaction moyenne"] == "—"
    assert by_code["N17"].value == "aucune version publiée"
    assert dict(by_code["N17"].details)["Dernière publication"] == "—"
    assert by_code["N18"].value == "0 événement(s)"
    assert by_code["N19"].value == "0 indicateur(s) mesuré(s)"
    assert by_code["N19"].details == []
    codes = list(by_code)
    assert codes == sorted(codes, key=lambda c: int(c[1:]))  # N1 … N21 in order
    assert set(NEW_CODES) <= set(codes)


# --- Page, CSV, permissions, queries -----------------------------------------------------------


def test_page_and_csv_show_the_new_indicators_with_their_definition(agd_client, ministry):
    EventFactory(event_type=Event.EventType.HACKATHON, start=Quarter.current().start)
    html = agd_client.get("/supervision/indicateurs/").content.decode()
    for code in NEW_CODES:
        assert f'<tr id="{code}"><th scope="row">{code}</th>' in html
    assert "Hackathons, consultations publiques, ateliers avec les réutilisateurs" in html
    text = agd_client.get("/supervision/indicateurs/export.csv").content.decode("utf-8-sig")
    lines = text.splitlines()
    assert any(
        line.startswith("N18;Mobilisation des réutilisateurs;;1 événement(s);") for line in lines
    )
    assert "N18;Mobilisation des réutilisateurs;Hackathon;1;;" in lines
    assert any(line.startswith("N13;Transparence des algorithmes;;non mesuré;") for line in lines)
    assert any(
        line.startswith("N17;Fraîcheur des guides;;aucune version publiée;< 365 jours;")
        for line in lines
    )


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("anon_client", 302),
        ("plain_client", 403),
        ("trainer_client", 403),
        ("amd_client", 403),
        ("viewer_client", 200),
        ("dinum_client", 200),
        ("agd_client", 200),
    ],
)
def test_csv_export_permission_matrix(request, client_name, expected, ministry):
    client = request.getfixturevalue(client_name)
    assert client.get("/supervision/indicateurs/export.csv").status_code == expected


def _network_of(size: int, agd_user) -> None:
    quarter = Quarter.current()
    course = CourseFactory()
    course.audiences.add(Audience.objects.get(code="AMD"))
    indicator = IndicatorFactory(level=ImpactIndicator.Level.MINISTERE)
    for i in range(size):
        m = MinistryFactory()
        org = OrganizationFactory(ministry=m)
        pdp = PersonalDataProcessing.objects.create(
            ministry=m, name="T", ropa_id=f"R{i}", aipd_criteria_count=2
        )
        entry = asset(m, org, contains_personal_data=True, processing=pdp)
        record_asset_state([entry])
        ReferenceDataDesignation.objects.create(
            asset=entry, ministry=m, regime="CANDIDATE", status="UNDER_AGD_REVIEW"
        )
        session = SessionFactory(
            course=course, start=aware(quarter.start, 9), end=aware(quarter.start, 12)
        )
        RegistrationFactory(session=session, ministry=m, attended=True, satisfaction=4)
        EventFactory(start=quarter.start).ministries.add(m)
        published_guide(guide__slug=f"guide-n-{i}")
        _measure(indicator, quarter, "10", ministry=m)
        _measure(IndicatorFactory(), quarter, "1")
    services.snapshot_compute(actor=agd_user, quarter=quarter)


@pytest.mark.parametrize("size", [1, 5])
def test_network_indicators_query_count_is_flat(size, agd_user, django_assert_num_queries):
    _network_of(size, agd_user)
    network_indicators(Quarter.current())  # warm anything cached
    # 9 for N1 to N11, N20, N21 (the page adds 4 of its own) + 11 for N12 to N19:
    # N12 1, N16 4 (training_summary 2, per ministry 1, per audience 1), N17 3, N18 2, N19 1.
    with django_assert_num_queries(20):
        indicators = network_indicators(Quarter.current())
    by_code = {i.code: i for i in indicators}
    assert by_code["N12"].value == f"{size} candidate(s) · {size} en examen par l'AGD"
    assert by_code["N16"].value == f"{size} agent(s) formé(s)"
    assert by_code["N18"].value == f"{size} événement(s)"
    assert by_code["N19"].value == f"{size + 1} indicateur(s) mesuré(s)"
