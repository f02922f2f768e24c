"""Pages of supervision: permission matrix, bad inputs, CSV, query counts."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from supervision import compliance, services
from supervision.models import ActionItem, Attendance, ComplianceSnapshot, Meeting, Minutes
from supervision.quarters import Quarter
from tests.factories import MandateFactory, MinistryFactory
from tests.supervision.helpers import CLIENTS, PUBLISHED_OK, busy_plenary, published_roadmap, states


@pytest.fixture
def meeting(db, ministry, other_ministry, agd_user):
    m = services.meeting_save(
        actor=agd_user,
        data={
            "meeting_type": Meeting.Type.PLENIERE_TRIMESTRIELLE,
            "title": "Plénière T1",
            "date": datetime.date(2026, 3, 12),
            "status": Meeting.Status.TENUE,
        },
        invited_ministry_ids=[ministry.pk, other_ministry.pk],
    )
    return m


@pytest.fixture
def sprint_other(db, other_ministry, agd_user):
    return services.meeting_save(
        actor=agd_user,
        data={
            "meeting_type": Meeting.Type.SPRINT_OPEN_DATA,
            "title": "Sprint Culture",
            "date": datetime.date(2026, 2, 1),
            "ministry": other_ministry,
        },
        invited_ministry_ids=[],
    )


def _status(request, client_name, method, url, data=None):
    client = request.getfixturevalue(client_name)
    response = getattr(client, method)(url, data or {})
    return response.status_code


@pytest.mark.parametrize(
    ("client_name", "expected"),
    list(zip(CLIENTS, [302, 403, 403, 403, 403, 200, 200, 200], strict=True)),
)
def test_dashboard_permission_matrix(request, client_name, expected, ministry):
    assert _status(request, client_name, "get", "/supervision/") == expected
    assert _status(request, client_name, "get", "/supervision/export.csv") == expected


@pytest.mark.parametrize(
    ("client_name", "own", "other"),
    [
        ("anon_client", 302, 302),
        ("plain_client", 404, 404),
        ("trainer_client", 404, 404),
        ("correspondent_client", 200, 404),
        ("amd_client", 200, 404),
        ("viewer_client", 200, 200),
        ("agd_client", 200, 200),
    ],
)
def test_ministry_drilldown_own_vs_other_ministry(
    request, client_name, own, other, ministry, other_ministry
):
    assert _status(request, client_name, "get", f"/supervision/ministeres/{ministry.code}/") == own
    assert (
        _status(request, client_name, "get", f"/supervision/ministeres/{other_ministry.code}/")
        == other
    )
    assert (
        _status(
            request,
            client_name,
            "get",
            f"/supervision/ministeres/{other_ministry.code}/criteres/O2/",
        )
        == other
    )


@pytest.mark.parametrize(
    ("client_name", "expected"),
    list(zip(CLIENTS, [302, 403, 403, 403, 403, 403, 302, 302], strict=True)),
)
def test_compute_is_for_network_staff_only(request, client_name, expected, ministry):
    status = _status(
        request,
        client_name,
        "post",
        "/supervision/calculer/",
        {"trimestre": Quarter.current().label},
    )
    assert status == expected
    assert ComplianceSnapshot.objects.exists() == (expected == 302 and client_name != "anon_client")


def test_compute_refuses_a_future_quarter_with_a_french_message(agd_client, ministry):
    future = Quarter.current().next()
    response = agd_client.post("/supervision/calculer/", {"trimestre": future.label}, follow=True)
    assert "pas commencé : son score ne peut pas être calculé" in response.content.decode()
    assert not ComplianceSnapshot.objects.exists()


@pytest.mark.parametrize(
    ("client_name", "list_status", "own_meeting", "other_sprint"),
    [
        ("anon_client", 302, 302, 302),
        ("plain_client", 403, 403, 403),
        ("trainer_client", 403, 403, 403),
        ("amd_client", 200, 200, 404),
        ("viewer_client", 200, 200, 200),
        ("agd_client", 200, 200, 200),
    ],
)
def test_meeting_pages_permission_matrix(
    request, client_name, list_status, own_meeting, other_sprint, meeting, sprint_other
):
    assert _status(request, client_name, "get", "/supervision/reunions/") == list_status
    assert (
        _status(request, client_name, "get", f"/supervision/reunions/{meeting.pk}/") == own_meeting
    )
    assert (
        _status(request, client_name, "get", f"/supervision/reunions/{sprint_other.pk}/")
        == other_sprint
    )


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [("amd_client", 403), ("viewer_client", 403), ("dinum_client", 302)],
)
def test_only_network_staff_records_attendance(request, client_name, expected, meeting, ministry):
    status = _status(
        request,
        client_name,
        "post",
        f"/supervision/reunions/{meeting.pk}/presence/",
        {"ministry": ministry.pk, "status": "PRESENT"},
    )
    assert status == expected
    att = Attendance.objects.get(meeting=meeting, ministry=ministry)
    assert (att.status == "PRESENT") == (expected == 302)


def test_attendance_for_a_ministry_not_invited_is_refused(agd_client, meeting):
    outsider = MinistryFactory()
    response = agd_client.post(
        f"/supervision/reunions/{meeting.pk}/presence/",
        {"ministry": outsider.pk, "status": "PRESENT"},
        follow=True,
    )
    assert "pas invité à cette réunion" in response.content.decode()
    assert not Attendance.objects.filter(ministry=outsider).exists()


@pytest.mark.parametrize(
    "body",
    [
        "Bonjour <script>alert(1)</script>",
        "<iframe src='https://exemple.fr'></iframe>",
        "[clic](javascript:alert(1))",
    ],
)
def test_unsafe_minutes_are_refused_and_nothing_is_written(agd_client, meeting, body):
    response = agd_client.post(
        f"/supervision/reunions/{meeting.pk}/compte-rendu/",
        {"body": body, "status": "BROUILLON"},
        follow=True,
    )
    assert "contenu interdit" in response.content.decode()
    assert not Minutes.objects.exists()


def test_action_item_due_before_its_meeting_is_refused(agd_client, meeting, ministry):
    response = agd_client.post(
        f"/supervision/reunions/{meeting.pk}/action/",
        {
            "description": "Publier la base",
            "due_date": "2026-03-01",
            "status": "OUVERTE",
            "owner_ministry": ministry.pk,
        },
        follow=True,
    )
    assert "précède la réunion" in response.content.decode()
    assert not ActionItem.objects.exists()


def test_meeting_page_shows_minutes_versions_rendered_safely(agd_user, agd_client, meeting):
    services.minutes_save(actor=agd_user, meeting=meeting, body="# Relevé\n\n**Décision** : ok")
    services.minutes_save(actor=agd_user, meeting=meeting, body="# Relevé v2", public=True)
    html = agd_client.get(f"/supervision/reunions/{meeting.pk}/").content.decode()
    assert "<h1>Relevé v2</h1>" in html and "Versions précédentes" in html


@pytest.mark.parametrize("client_name", ["anon_client", "plain_client", "amd_client"])
def test_transparency_page_is_public_and_shows_only_published_scores(
    request, client_name, agd_user, meeting, ministry
):
    last = Quarter.current().previous()
    services.snapshot_compute(actor=agd_user, quarter=last)
    services.minutes_save(actor=agd_user, meeting=meeting, body="Interne", public=False)
    client = request.getfixturevalue(client_name)
    html = client.get("/supervision/transparence/").content.decode()
    assert "Aucun score publié" in html and "Interne" not in html
    services.snapshot_publish(actor=agd_user, quarter=last)
    services.minutes_save(
        actor=agd_user, meeting=meeting, body="Relevé public", public=True, status="DIFFUSE"
    )
    html = client.get("/supervision/transparence/").content.decode()
    assert last.label in html and "Relevé public" in html
    csv_text = client.get("/supervision/transparence/scores.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("ministere;code;trimestre")
    assert ministry.code in csv_text


def test_dashboard_csv_neutralises_formula_cells(agd_client, agd_user):
    MinistryFactory(name='=HYPERLINK("http://x")', code="formule")
    services.snapshot_compute(actor=agd_user, quarter=Quarter.current())
    text = agd_client.get("/supervision/export.csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_dashboard_lists_ministries_without_titular_and_red_flags(
    agd_client, agd_user, ministry, other_ministry
):
    MandateFactory(ministry=ministry)
    services.snapshot_compute(actor=agd_user, quarter=Quarter.current())
    html = agd_client.get("/supervision/").content.decode()
    assert "Sans administrateur ministériel titulaire en fonction" in html
    assert "Aucun AMD titulaire en fonction depuis plus de 90 jours" in html


def test_indicators_page_shows_each_indicator_with_its_definition(agd_client, agd_user, ministry):
    MandateFactory(ministry=ministry)
    services.snapshot_compute(actor=agd_user, quarter=Quarter.current())
    html = agd_client.get("/supervision/indicateurs/").content.decode()
    for code in ("N1", "N5", "N6", "N7", "N9", "N10", "N11", "N20", "N21"):
        assert f'<tr id="{code}"><th scope="row">{code}</th>' in html
    assert "Ministères du périmètre avec un AMD titulaire en fonction" in html
    assert "1/1 (100\u00a0%)" in html  # N1
    text = agd_client.get("/supervision/indicateurs/export.csv").content.decode("utf-8-sig")
    assert text.splitlines()[0] == "code;indicateur;detail;valeur;cible;definition"


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [("anon_client", 302), ("amd_client", 403), ("viewer_client", 200), ("agd_client", 200)],
)
def test_indicators_permission_matrix(request, client_name, expected, ministry):
    assert _status(request, client_name, "get", "/supervision/indicateurs/") == expected


def test_criterion_drilldown_lists_failing_entries_first(agd_client, ministry, organization):
    from tests.supervision.helpers import asset, state

    good = asset(ministry, organization, title="Base conforme")
    bad = asset(ministry, organization, title="Base sans licence")
    state(ministry, asset_id=good.pk, **PUBLISHED_OK)
    state(ministry, asset_id=bad.pk, **{**PUBLISHED_OK, "licence_compliant": False})
    html = agd_client.get(f"/supervision/ministeres/{ministry.code}/criteres/Q1/").content.decode()
    assert html.index("Base sans licence") < html.index("Base conforme")


@pytest.mark.parametrize("ministries", [1, 5])
def test_dashboard_query_count_is_flat(ministries, agd_client, agd_user, django_assert_num_queries):
    for _ in range(ministries):
        m = MinistryFactory()
        MandateFactory(ministry=m)
        published_roadmap(m)
        states(m, 2, **PUBLISHED_OK)
    for q in Quarter.current().last(3):
        services.snapshot_compute(actor=agd_user, quarter=q)
    agd_client.get("/supervision/")  # warm the session and content types
    with django_assert_num_queries(10):
        assert agd_client.get("/supervision/").status_code == 200


@pytest.mark.parametrize("meetings", [1, 6])
def test_meeting_list_query_count_is_flat(
    meetings, agd_client, agd_user, ministry, django_assert_num_queries
):
    for i in range(meetings):
        services.meeting_save(
            actor=agd_user,
            data={
                "meeting_type": "ATELIER_THEMATIQUE",
                "title": f"Atelier {i}",
                "date": timezone.localdate(),
            },
            invited_ministry_ids=[ministry.pk],
        )
    agd_client.get("/supervision/reunions/")
    with django_assert_num_queries(5):
        assert agd_client.get("/supervision/reunions/").status_code == 200


@pytest.mark.parametrize("size", [1, 5])
def test_indicators_query_count_is_flat(size, agd_client, agd_user, django_assert_num_queries):
    for i in range(size):
        m = MinistryFactory()
        MandateFactory(ministry=m)
        published_roadmap(m)
        meeting = services.meeting_save(
            actor=agd_user,
            data={
                "meeting_type": "PLENIERE_TRIMESTRIELLE",
                "title": f"P{i}",
                "date": timezone.localdate(),
                "status": "TENUE",
            },
            invited_ministry_ids=[m.pk],
        )
        services.action_item_save(
            actor=agd_user,
            meeting=meeting,
            data={"description": "X", "due_date": timezone.localdate()},
        )
    services.snapshot_compute(actor=agd_user, quarter=Quarter.current())
    agd_client.get("/supervision/indicateurs/")
    # 12 + 1 for N10's publication lead times (entries published during the quarter: none
    # here, so no second query) + 11 for N12 to N19 (N12 1, N16 4, N17 3, N18 2, N19 1).
    with django_assert_num_queries(24):
        assert agd_client.get("/supervision/indicateurs/").status_code == 200


@pytest.mark.parametrize("size", [1, 6])
def test_ministry_drilldown_query_count_is_flat(
    size, agd_client, agd_user, ministry, django_assert_num_queries
):
    MandateFactory(ministry=ministry)
    roadmap = published_roadmap(ministry)
    q = Quarter.current()
    for i in range(size):
        services.action_save(
            actor=agd_user,
            roadmap=roadmap,
            data={"title": f"Action {i}", "due_date": datetime.date(2025, 1, 1)},
        )
        services.snapshot_compute(actor=agd_user, quarter=q, ministry_ids=[ministry.pk])
        q = q.previous()
    url = f"/supervision/ministeres/{ministry.code}/"
    agd_client.get(url)
    with django_assert_num_queries(14):
        assert agd_client.get(url).status_code == 200


def test_drilldown_shows_what_governance_criteria_rest_on(agd_client, ministry):
    MandateFactory(ministry=ministry, appointment_act_ref="NOR PRMX2112345A")
    html = agd_client.get(f"/supervision/ministeres/{ministry.code}/").content.decode()
    assert "NOR PRMX2112345A" in html and "provisoire" in html
    assert "G — Gouvernance" in html and "A — Algorithmes publics" in html


def test_meeting_created_and_edited_through_the_form(agd_client, ministry, other_ministry):
    response = agd_client.post(
        "/supervision/reunions/nouvelle/",
        {
            "meeting_type": "PLENIERE_TRIMESTRIELLE",
            "title": "Plénière de printemps",
            "date": "2026-04-10",
            "status": "PLANIFIEE",
            "invited": [ministry.pk, other_ministry.pk],
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert set(meeting.attendances.values_list("ministry_id", "status")) == {
        (ministry.pk, "INVITE"),
        (other_ministry.pk, "INVITE"),
    }
    response = agd_client.post(
        f"/supervision/reunions/{meeting.pk}/modifier/",
        {
            "meeting_type": "PLENIERE_TRIMESTRIELLE",
            "title": "Plénière de printemps",
            "date": "2026-04-10",
            "status": "TENUE",
            "invited": [ministry.pk],
        },
    )
    assert response.status_code == 302
    assert list(meeting.attendances.values_list("ministry_id", flat=True)) == [ministry.pk]


def test_meeting_form_refuses_a_sprint_without_ministry(agd_client):
    response = agd_client.post(
        "/supervision/reunions/nouvelle/",
        {
            "meeting_type": "SPRINT_OPEN_DATA",
            "title": "Sprint",
            "date": "2026-04-10",
            "status": "PLANIFIEE",
        },
    )
    assert response.status_code == 200 and "concerne un ministère" in response.content.decode()
    assert not Meeting.objects.exists()


def test_roadmap_created_through_the_form_for_own_ministry_only(
    amd_client, ministry, other_ministry
):
    data = {
        "title": "Feuille de route 2026-2028",
        "version": "1",
        "period_start": "2026-01-01",
        "period_end": "2028-12-31",
        "status": "PUBLIEE",
        "published_on": "2026-02-01",
        "url": "https://www.interieur.gouv.fr/donnees",
    }
    assert (
        amd_client.post(
            f"/supervision/feuilles-de-route/nouvelle/?ministere={other_ministry.code}", data
        ).status_code
        == 404
    )
    response = amd_client.post(
        f"/supervision/feuilles-de-route/nouvelle/?ministere={ministry.code}", data
    )
    assert response.status_code == 302
    from supervision.models import Roadmap

    assert Roadmap.objects.get().ministry == ministry


def test_ministry_csv_lists_every_criterion(amd_client, ministry):
    text = amd_client.get(f"/supervision/ministeres/{ministry.code}/export.csv").content.decode(
        "utf-8-sig"
    )
    lines = text.splitlines()
    assert lines[0].startswith("critere;axe;libelle;numerateur;denominateur")
    assert len(lines) == 1 + 21 and any(
        line.startswith("O5;") and ";oui;" in line for line in lines
    )


def test_criterion_drilldown_paginates_and_survives_a_page_past_the_end(agd_client, ministry):
    from supervision.selectors import criterion_entries

    states(ministry, 3, **PUBLISHED_OK)
    states(ministry, 2, **{**PUBLISHED_OK, "licence_compliant": False})
    page = criterion_entries(ministry, "Q1", timezone.now(), page=2, per_page=2)
    assert (page.total, page.pages, page.page) == (5, 3, 2)
    assert [
        r["ok"] for r in criterion_entries(ministry, "Q1", timezone.now(), per_page=2).rows
    ] == [False, False]
    back = criterion_entries(ministry, "Q1", timezone.now(), page=9, per_page=2)
    assert back.page == 1 and back.total == 5
    assert (
        agd_client.get(f"/supervision/ministeres/{ministry.code}/criteres/Q1/?page=x").status_code
        == 200
    )
    assert (
        agd_client.get(f"/supervision/ministeres/{ministry.code}/criteres/ZZ/").status_code == 404
    )


def test_transparency_composition_and_meetings_as_csv(anon_client, agd_user, meeting, ministry):
    MandateFactory(ministry=ministry)
    services.minutes_save(actor=agd_user, meeting=meeting, body="=1+1 interne", public=False)
    services.minutes_save(
        actor=agd_user,
        meeting=meeting,
        body="Relevé",
        summary="=cmd|' /C calc'!A0",
        public=True,
        status=Minutes.Status.DIFFUSE,
    )
    composition = anon_client.get("/supervision/transparence/composition.csv").content.decode(
        "utf-8-sig"
    )
    assert f"{ministry.code};oui" in composition
    meetings = anon_client.get("/supervision/transparence/reunions.csv").content.decode("utf-8-sig")
    assert "'=cmd" in meetings and "interne" not in meetings


@pytest.mark.parametrize("size", [1, 6])
def test_meeting_detail_query_count_is_flat(size, agd_client, agd_user, django_assert_num_queries):
    ministries = [MinistryFactory() for _ in range(size)]
    meeting = busy_plenary(agd_user, ministries)
    agd_client.get(f"/supervision/reunions/{meeting.pk}/")
    with django_assert_num_queries(13):
        assert agd_client.get(f"/supervision/reunions/{meeting.pk}/").status_code == 200


def test_drilldown_of_a_closed_quarter_without_snapshot_is_computed_as_of_its_end(
    agd_client, ministry
):
    last = Quarter.current().previous()
    html = agd_client.get(
        f"/supervision/ministeres/{ministry.code}/?trimestre={last.label}"
    ).content.decode()
    assert "provisoire" in html and last.end.strftime("%d/%m/%Y") in html
    assert not ComplianceSnapshot.objects.exists()


def test_drilldown_and_csv_list_criteria_in_the_order_of_the_method(agd_client, agd_user, ministry):
    services.snapshot_compute(actor=agd_user, quarter=Quarter.current())
    text = agd_client.get(f"/supervision/ministeres/{ministry.code}/export.csv").content.decode(
        "utf-8-sig"
    )
    codes = [line.split(";")[0] for line in text.splitlines()[1:]]
    assert codes == list(compliance.REGISTRY)
    html = agd_client.get(f"/supervision/ministeres/{ministry.code}/").content.decode()
    assert html.index("G1 — ") < html.index("O2 — ") < html.index("A3 — ")


def test_indicators_n2_to_n4_and_n8_from_mandates_and_sprints(agd_user, ministry, other_ministry):
    from supervision.selectors import network_indicators

    today = timezone.localdate()
    MandateFactory(
        ministry=ministry,
        appointment_date=today - datetime.timedelta(days=30),
        time_share_pct=50,
        team_size_etp=3,
    )
    MandateFactory(ministry=ministry, role="CORRESPONDANT_DIRECTION")
    MandateFactory(ministry=ministry, role="CORRESPONDANT_DIRECTION")
    MandateFactory(ministry=None, role="REFERENT_REGIONAL", region="84")
    services.meeting_save(
        actor=agd_user,
        data={
            "meeting_type": "SPRINT_OPEN_DATA",
            "title": "Sprint",
            "ministry": ministry,
            "date": today - datetime.timedelta(days=10),
            "status": "TENUE",
        },
    )
    by_code = {i.code: i for i in network_indicators(Quarter.current())}
    assert by_code["N2"].value == "médiane 2 par ministère"
    assert dict(by_code["N2"].details)["Régions couvertes"].startswith("1/18")
    assert by_code["N3"].value == "1 nomination(s) en 12 mois"
    assert by_code["N4"].value == "quotité médiane 50\u00a0%"
    assert by_code["N8"].value == "1/2 (50\u00a0%)"


def test_viewer_reads_the_dashboard_without_the_staff_buttons(viewer_client, agd_client, ministry):
    assert "Calculer les scores" not in viewer_client.get("/supervision/").content.decode()
    assert "Calculer les scores" in agd_client.get("/supervision/").content.decode()


@pytest.mark.parametrize(
    ("label", "message"), [("2026-T9", "Trimestre invalide"), ("2099-T1", "pas commencé")]
)
def test_bad_quarter_in_the_url_falls_back_to_the_current_quarter(
    agd_client, ministry, label, message
):
    html = agd_client.get(f"/supervision/?trimestre={label}").content.decode()
    assert message in html and f"— {Quarter.current().label}</h1>" in html


def test_transparency_shows_an_administrators_name_only_with_consent(
    anon_client, ministry, other_ministry
):
    from tests.factories import PersonFactory

    MandateFactory(
        ministry=ministry, person=PersonFactory(last_name="Discret", consent_directory=False)
    )
    MandateFactory(
        ministry=other_ministry, person=PersonFactory(last_name="Publié", consent_directory=True)
    )
    html = anon_client.get("/supervision/transparence/").content.decode()
    assert "Discret" not in html and "Désigné (nom non publié)" in html and "Publié" in html
    text = anon_client.get("/supervision/transparence/composition.csv").content.decode("utf-8-sig")
    assert "Discret" not in text and "Publié" in text


def test_draft_minutes_marked_public_stay_off_the_transparency_page(anon_client, agd_user, meeting):
    services.minutes_save(
        actor=agd_user, meeting=meeting, body="Relevé diffusé", public=True, status="DIFFUSE"
    )
    services.minutes_save(
        actor=agd_user, meeting=meeting, body="Brouillon confidentiel", public=True
    )
    html = anon_client.get("/supervision/transparence/").content.decode()
    text = anon_client.get("/supervision/transparence/reunions.csv").content.decode("utf-8-sig")
    assert "Relevé diffusé" in html and "Relevé diffusé" in text
    assert "Brouillon confidentiel" not in html and "Brouillon confidentiel" not in text


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def test_exports_transparency_and_criterion_pages_cost_the_same_at_1_and_6_rows(
    agd_client, agd_user, anon_client, ministry, organization
):
    from tests.supervision.helpers import asset, state

    last = Quarter.current().previous()

    def grow(n):
        for _ in range(n):
            m = MinistryFactory()
            MandateFactory(ministry=m, person__consent_directory=True)
            states(m, 1, **PUBLISHED_OK)
            entry = asset(ministry, organization)
            state(ministry, asset_id=entry.pk, **{**PUBLISHED_OK, "licence_compliant": False})
            meeting = services.meeting_save(
                actor=agd_user,
                data={"meeting_type": "ATELIER_THEMATIQUE", "title": "A", "date": last.start},
            )
            services.minutes_save(
                actor=agd_user, meeting=meeting, body="R", public=True, status="DIFFUSE"
            )
        services.snapshot_compute(actor=agd_user, quarter=last)
        services.snapshot_publish(actor=agd_user, quarter=last)

    staff = [
        f"/supervision/export.csv?trimestre={last.label}",
        f"/supervision/indicateurs/export.csv?trimestre={last.label}",
        f"/supervision/ministeres/{ministry.code}/export.csv?trimestre={last.label}",
        f"/supervision/ministeres/{ministry.code}/criteres/Q1/?trimestre={last.label}",
    ]
    public = [
        "/supervision/transparence/",
        "/supervision/transparence/scores.csv",
        "/supervision/transparence/composition.csv",
        "/supervision/transparence/reunions.csv",
    ]
    grow(1)
    _queries(agd_client, "/supervision/")  # warm the session and the content types
    small = {u: _queries(agd_client, u) for u in staff} | {
        u: _queries(anon_client, u) for u in public
    }
    grow(5)
    large = {u: _queries(agd_client, u) for u in staff} | {
        u: _queries(anon_client, u) for u in public
    }
    assert large == small


@pytest.mark.parametrize("page", ["99999999999999999999999", "-3", "abc"])
def test_criterion_drilldown_survives_an_absurd_page_number(agd_client, ministry, page):
    url = f"/supervision/ministeres/{ministry.code}/criteres/Q1/?page={page}"
    assert agd_client.get(url).status_code == 200


@pytest.mark.parametrize("label", ["0000-T1", "0001-T1", "1000-T2"])
def test_a_quarter_out_of_the_calendar_is_refused_in_french(agd_client, agd_user, label):
    from rest_framework.test import APIClient

    page = agd_client.get(f"/supervision/?trimestre={label}", follow=True)
    assert page.status_code == 200 and "Trimestre invalide" in page.content.decode()
    response = agd_client.post("/supervision/calculer/", {"trimestre": label}, follow=True)
    assert response.status_code == 200 and "Trimestre invalide" in response.content.decode()
    assert not ComplianceSnapshot.objects.exists()
    api = APIClient()
    api.force_authenticate(agd_user)
    answer = api.get(f"/api/v1/progress/?trimestre={label}")
    assert answer.status_code == 400 and "Trimestre invalide" in str(answer.json())
