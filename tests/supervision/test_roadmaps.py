"""Roadmap pages: permission matrix, action forms (bad inputs), CSV/XLSX import with dry run."""

from __future__ import annotations

import html
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.models import ImportJob
from supervision import services
from supervision.models import RoadmapAction
from tests.supervision.helpers import published_roadmap

CSV_OK = (
    "ref;titre;axe;type;echeance;statut;avancement;preuve;motif_abandon\n"
    "1.1;Publier l'inventaire;2.1;INVENTAIRE;2025-06-30;Réalisée;100;https://data.gouv.fr/x;\n"
    "1.2;Ouvrir les subventions;2.2;OUVERTURE_DONNEES;2026-T4;EN_COURS;30;;\n"
    "1.3;Comité de la donnée;4;GOUVERNANCE;31/12/2025;ABANDONNEE;0;;Remplacé par le CSN\n"
)


@pytest.fixture
def roadmap(ministry, roadmap_axes):
    return published_roadmap(ministry)


@pytest.fixture
def other_roadmap(other_ministry):
    return published_roadmap(other_ministry)


@pytest.mark.parametrize(
    ("client_name", "view_own", "edit_own", "view_other", "edit_other"),
    [
        ("anon_client", 302, 302, 302, 302),
        ("plain_client", 404, 404, 404, 404),
        ("correspondent_client", 200, 403, 404, 404),
        ("amd_client", 200, 200, 404, 404),
        ("viewer_client", 200, 403, 200, 403),
        ("dinum_client", 200, 200, 200, 200),
    ],
)
def test_roadmap_pages_permission_matrix(
    request, client_name, view_own, edit_own, view_other, edit_other, roadmap, other_roadmap
):
    client = request.getfixturevalue(client_name)
    for rm, view, edit in ((roadmap, view_own, edit_own), (other_roadmap, view_other, edit_other)):
        assert client.get(f"/supervision/feuilles-de-route/{rm.pk}/").status_code == view
        assert client.get(f"/supervision/feuilles-de-route/{rm.pk}/modifier/").status_code == edit
        assert (
            client.get(f"/supervision/feuilles-de-route/{rm.pk}/actions/nouvelle/").status_code
            == edit
        )
        assert client.get(f"/supervision/feuilles-de-route/{rm.pk}/import/").status_code == edit


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [("anon_client", 302), ("plain_client", 403), ("amd_client", 200), ("viewer_client", 200)],
)
def test_roadmap_list_permission(request, client_name, expected, roadmap, other_roadmap):
    response = request.getfixturevalue(client_name).get("/supervision/feuilles-de-route/")
    assert response.status_code == expected
    if client_name == "amd_client":
        html = response.content.decode()
        assert html.count("/supervision/feuilles-de-route/" + str(other_roadmap.pk) + "/") == 0


def test_action_form_refuses_done_without_evidence_in_french(amd_client, roadmap):
    response = amd_client.post(
        f"/supervision/feuilles-de-route/{roadmap.pk}/actions/nouvelle/",
        {
            "title": "Ouvrir",
            "status": "REALISEE",
            "progress_pct": 100,
            "origin": "FEUILLE_DE_ROUTE",
        },
    )
    assert response.status_code == 200
    assert "preuve de réalisation" in response.content.decode()
    assert not RoadmapAction.objects.exists()


def test_action_form_creates_then_updates_with_history(amd_client, amd_user, roadmap):
    url = f"/supervision/feuilles-de-route/{roadmap.pk}/actions/nouvelle/"
    response = amd_client.post(
        url,
        {
            "title": "Ouvrir",
            "status": "A_LANCER",
            "progress_pct": 0,
            "origin": "FEUILLE_DE_ROUTE",
            "due_quarter": "2026-T2",
        },
    )
    assert response.status_code == 302
    action = RoadmapAction.objects.get()
    response = amd_client.post(
        f"/supervision/feuilles-de-route/{roadmap.pk}/actions/{action.pk}/",
        {
            "title": "Ouvrir",
            "status": "ABANDONNEE",
            "progress_pct": 0,
            "origin": "FEUILLE_DE_ROUTE",
            "due_date": "2026-06-30",
            "abandon_reason": "Données couvertes par le secret",
            "comment": "Arbitrage du comité",
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "ABANDONNEE"
    assert list(
        action.updates.values_list("new_status", flat=True).order_by("recorded_at", "id")
    ) == ["A_LANCER", "ABANDONNEE"]


def _upload(client, roadmap, content: bytes, name: str = "actions.csv"):
    return client.post(
        f"/supervision/feuilles-de-route/{roadmap.pk}/import/",
        {"file": SimpleUploadedFile(name, content)},
    )


def test_import_dry_run_writes_nothing_then_confirm_applies(amd_client, roadmap):
    response = _upload(amd_client, roadmap, CSV_OK.encode())
    html = response.content.decode()
    assert "3 action(s) à créer" in html and "Confirmer l'import" in html
    assert not RoadmapAction.objects.exists()
    job = ImportJob.objects.get(kind=ImportJob.Kind.ROADMAP)
    assert job.state == ImportJob.State.ANALYSED
    response = amd_client.post(
        f"/supervision/feuilles-de-route/{roadmap.pk}/import/", {"job": job.pk}
    )
    assert response.status_code == 302
    actions = {a.ref: a for a in RoadmapAction.objects.all()}
    assert (
        actions["1.1"].status == "REALISEE" and actions["1.2"].due_date.isoformat() == "2026-12-31"
    )
    assert actions["1.3"].abandon_reason == "Remplacé par le CSN"
    # Importing the same file again updates the same actions (keyed by ref).
    _upload(amd_client, roadmap, CSV_OK.encode())
    job = ImportJob.objects.filter(state=ImportJob.State.ANALYSED).get()
    assert job.report["update"] == 3 and job.report["create"] == 0


def test_import_with_bad_rows_reports_lines_and_refuses_confirmation(amd_client, roadmap):
    bad = CSV_OK + "2.1;Publier le code;9.9;CODE_SOURCE;2026-01-01;Réalisée;100;;\n"
    html = _upload(amd_client, roadmap, bad.encode()).content.decode()
    assert "Ligne 5" in html and "axe inconnu" in html and "Confirmer l&#x27;import" not in html
    job = ImportJob.objects.get()
    response = amd_client.post(
        f"/supervision/feuilles-de-route/{roadmap.pk}/import/", {"job": job.pk}, follow=True
    )
    assert "Rien n&#x27;a été importé" in response.content.decode()
    assert not RoadmapAction.objects.exists()


def test_import_reads_xlsx(amd_client, roadmap):
    book = openpyxl.Workbook()
    sheet = book.active
    for line in CSV_OK.strip().split("\n"):
        sheet.append(line.split(";"))
    buffer = io.BytesIO()
    book.save(buffer)
    html = _upload(amd_client, roadmap, buffer.getvalue(), "actions.xlsx").content.decode()
    assert "3 action(s) à créer" in html


def test_import_without_title_column_is_refused(amd_client, roadmap):
    html = _upload(amd_client, roadmap, b"ref;statut\n1;EN_COURS\n").content.decode()
    assert "titre" in html and not RoadmapAction.objects.exists()


def test_other_ministrys_import_job_cannot_be_confirmed(
    amd_client, amd_user, roadmap, other_roadmap
):
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.ROADMAP,
        ministry=other_roadmap.ministry,
        target_id=other_roadmap.pk,
        filename="x.csv",
        payload=CSV_OK.encode(),
        state=ImportJob.State.ANALYSED,
        report={"create": 3, "update": 0, "errors": []},
    )
    response = amd_client.post(
        f"/supervision/feuilles-de-route/{roadmap.pk}/import/", {"job": job.pk}
    )
    assert response.status_code == 404
    assert not RoadmapAction.objects.exists()


@pytest.mark.parametrize("size", [1, 8])
def test_roadmap_detail_query_count_is_flat(
    size, amd_client, amd_user, roadmap, django_assert_num_queries
):
    for i in range(size):
        action = services.action_save(actor=amd_user, roadmap=roadmap, data={"title": f"A{i}"})
        services.action_save(
            actor=amd_user, roadmap=roadmap, action=action, data={"status": "EN_COURS"}
        )
    amd_client.get(f"/supervision/feuilles-de-route/{roadmap.pk}/")
    with django_assert_num_queries(9):
        assert amd_client.get(f"/supervision/feuilles-de-route/{roadmap.pk}/").status_code == 200


def test_import_refuses_a_duplicate_action_number(amd_client, roadmap):
    dup = CSV_OK + "1.1;Publier l'inventaire (bis);2.1;INVENTAIRE;2025-06-30;EN_COURS;10;;\n"
    html = _upload(amd_client, roadmap, dup.encode()).content.decode()
    assert "en double (déjà ligne 2)" in html
    assert not RoadmapAction.objects.exists()


def test_roadmap_axes_follow_the_interministerial_template(roadmap_axes):
    assert (
        roadmap_axes["2.2"].label == "Ouvrir les données" and roadmap_axes["2.2"].parent.code == "2"
    )
    assert len(roadmap_axes) == 10


@pytest.mark.parametrize("size", [1, 5])
def test_roadmap_list_query_count_is_flat(
    size, dinum_client, dinum_user, django_assert_num_queries
):
    from tests.factories import MinistryFactory

    for _ in range(size):
        rm = published_roadmap(MinistryFactory())
        services.action_save(actor=dinum_user, roadmap=rm, data={"title": "A"})
    dinum_client.get("/supervision/feuilles-de-route/")
    with django_assert_num_queries(6):
        assert dinum_client.get("/supervision/feuilles-de-route/").status_code == 200


def test_import_upload_is_recorded_through_the_service_and_audited(amd_client, roadmap):
    from core.models import AuditEntry

    _upload(amd_client, roadmap, CSV_OK.encode())
    job = ImportJob.objects.get(kind=ImportJob.Kind.ROADMAP)
    entry = AuditEntry.objects.get(action="roadmap.import_analysed")
    assert entry.object_id == str(roadmap.pk) and entry.changes["job"] == job.pk


@pytest.mark.parametrize("job", ["abc", "999999", "1.5"])
def test_import_confirmation_with_a_bad_job_id_answers_404(amd_client, roadmap, job):
    url = f"/supervision/feuilles-de-route/{roadmap.pk}/import/"
    assert amd_client.post(url, {"job": job}).status_code == 404
    assert not RoadmapAction.objects.exists()


def test_the_action_form_explains_the_due_quarter(amd_client, roadmap):
    """Set in __init__, the hint never reached the page (django-dsfr had built the fields)."""
    page = amd_client.get(f"/supervision/feuilles-de-route/{roadmap.pk}/actions/nouvelle/")
    assert "Forme 2026-T3 ; l'échéance est alors le dernier jour du trimestre." in (
        html.unescape(page.content.decode())
    )
