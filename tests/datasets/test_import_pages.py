"""Import and export pages and API endpoints: permission matrix, flat query counts, OpenAPI."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.models import DataAsset, ImportJob
from tests.datasets.test_export import body, make_asset
from tests.datasets.test_import import analyse, csv_bytes, row
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def own_job(amd_user, ministry, organization):
    return analyse(amd_user, ministry, csv_bytes([row()]))


@pytest.fixture
def other_job(other_ministry, other_organization):
    admin = UserFactory()
    MembershipFactory(user=admin, role="MINISTRY_ADMIN", ministry=other_ministry)
    return analyse(admin, other_ministry, csv_bytes([row(org=other_organization.name)]))


@pytest.fixture
def other_admin_client(other_ministry):
    from rest_framework.test import APIClient

    user = UserFactory()
    MembershipFactory(user=user, role="MINISTRY_ADMIN", ministry=other_ministry)
    client = APIClient()
    client.force_login(user)
    return client


CLIENTS = [
    ("anon_client", 302),
    ("plain_client", 403),
    ("trainer_client", 403),
    ("viewer_client", 403),
    ("correspondent_client", 403),
    ("amd_client", 200),
    ("agd_client", 200),
    ("dinum_client", 200),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("client_name", "expected"), CLIENTS)
def test_import_page_permission_matrix(request, client_name, expected, ministry):
    client = request.getfixturevalue(client_name)
    assert client.get("/inventaire/import/").status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("client_name", "job_name", "expected"),
    [
        ("anon_client", "own_job", 302),
        ("plain_client", "own_job", 403),
        ("correspondent_client", "own_job", 403),
        ("viewer_client", "own_job", 403),
        ("amd_client", "own_job", 200),
        ("amd_client", "other_job", 404),
        ("other_admin_client", "own_job", 404),
        ("agd_client", "own_job", 200),
        ("dinum_client", "other_job", 200),
    ],
)
def test_import_job_pages_permission_matrix(request, client_name, job_name, expected):
    client = request.getfixturevalue(client_name)
    job = request.getfixturevalue(job_name)
    assert client.get(f"/inventaire/import/{job.pk}/").status_code == expected
    assert client.get(f"/inventaire/import/{job.pk}/statut.json").status_code == expected
    confirm = client.post(f"/inventaire/import/{job.pk}/confirmer/")
    assert confirm.status_code == (302 if expected == 200 else expected)


@pytest.mark.django_db
def test_confirming_another_ministrys_import_writes_nothing(other_admin_client, own_job):
    assert other_admin_client.post(f"/inventaire/import/{own_job.pk}/confirmer/").status_code == 404
    own_job.refresh_from_db()
    assert own_job.state == ImportJob.State.ANALYSED and DataAsset.objects.count() == 0


@pytest.mark.django_db
def test_upload_analyse_confirm_through_the_pages(
    amd_client, ministry, organization, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("inventaire.csv", csv_bytes([row()]), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = amd_client.post(
            "/inventaire/import/", {"fichier": upload, "ministere": ministry.pk, "organisation": ""}
        )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    page = amd_client.get(response["Location"]).content.decode()
    assert "1 entrée(s) à créer" in page and "Confirmer l'import" in page
    status = amd_client.get(f"/inventaire/import/{job.pk}/statut.json").json()
    assert status == {
        "state": "ANALYSED",
        "state_label": "Analysé (à confirmer)",
        "done": 1,
        "total": 1,
        "pct": 100,
        "finished": True,
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert amd_client.post(f"/inventaire/import/{job.pk}/confirmer/").status_code == 302
    assert (
        "Résultat de l'import" in amd_client.get(f"/inventaire/import/{job.pk}/").content.decode()
    )
    assert DataAsset.objects.filter(title="Arbres vivants").exists()


@pytest.mark.django_db
def test_bad_upload_shows_the_french_message_and_stores_nothing(amd_client, ministry, settings):
    settings.IMPORT_MAX_BYTES = 100
    upload = SimpleUploadedFile("gros.csv", b"titre,description\r\n" + b"a,b\r\n" * 50)
    response = amd_client.post("/inventaire/import/", {"fichier": upload, "ministere": ministry.pk})
    assert response.status_code == 200
    assert "au-delà de la limite" in response.content.decode()
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_a_real_50_mb_upload_is_refused_on_the_page_with_default_settings(amd_client, ministry):
    # The issue's own bad input, posted as a browser would (Django spools it to a temporary
    # file; the size is refused before anything reads it).
    line = b"Arbres vivants,Donn\xc3\xa9es brutes de l'inventaire des arbres\r\n"
    body = b"titre,description\r\n" + line * (50 * 1024 * 1024 // len(line) + 1)
    upload = SimpleUploadedFile("inventaire-50-mo.csv", body, content_type="text/csv")
    response = amd_client.post("/inventaire/import/", {"fichier": upload, "ministere": ministry.pk})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Le fichier pèse 50 Mo, au-delà de la limite de 20 Mo" in text
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_upload_into_a_ministry_one_cannot_edit_is_refused(amd_client, other_ministry):
    upload = SimpleUploadedFile("inventaire.csv", csv_bytes([row()]))
    response = amd_client.post(
        "/inventaire/import/", {"fichier": upload, "ministere": other_ministry.pk}
    )
    assert response.status_code == 200  # the form refuses the choice
    assert ImportJob.objects.count() == 0


EXPORTS = ["/inventaire/export.csv", "/inventaire/export.csv?etendu=1", "/inventaire/export.xlsx"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", EXPORTS)
@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("anon_client", 302),
        ("plain_client", 403),
        ("trainer_client", 403),
        ("viewer_client", 200),
        ("correspondent_client", 200),
        ("amd_client", 200),
        ("agd_client", 200),
    ],
)
def test_export_pages_permission_matrix(request, client_name, expected, url, ministry):
    client = request.getfixturevalue(client_name)
    assert client.get(url).status_code == expected
    if client_name != "anon_client":
        assert client.get("/inventaire/export/").status_code == expected


API_EXPORTS = ["/api/v1/datasets/export.csv", "/api/v1/datasets/export.xlsx"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", API_EXPORTS)
@pytest.mark.parametrize(
    ("client_name", "scope", "expected"),
    [
        ("anon_client", "", 401),
        ("plain_client", "", 403),
        ("api_client", "", 200),
        ("api_client", "own", 200),
        ("api_client", "other", 404),
        ("network_api_client", "other", 200),
        ("amd_client", "other", 404),
    ],
)
def test_export_api_permission_matrix(
    request, client_name, scope, expected, url, ministry, other_ministry
):
    client = request.getfixturevalue(client_name)
    code = {"own": ministry.code, "other": other_ministry.code}.get(scope)
    response = client.get(url + (f"?ministere={code}" if code else ""))
    assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/inventaire/catalogue.jsonld",
        "/inventaire/catalogue.ttl",
        "/api/v1/datasets/export.jsonld",
        "/api/v1/datasets/export.ttl",
    ],
)
def test_dcat_catalogue_is_public(anon_client, url, ministry):
    assert anon_client.get(url).status_code == 200


@pytest.mark.django_db
def test_dcat_of_an_unknown_ministry_is_404(anon_client):
    assert anon_client.get("/inventaire/catalogue/inconnu.ttl").status_code == 404


@pytest.mark.django_db
def test_exports_are_in_the_openapi_schema(anon_client):
    schema = anon_client.get("/api/schema/").content.decode()
    for path in ("export.csv", "export.xlsx", "export.jsonld", "export.ttl"):
        assert f"/api/v1/datasets/{path}" in schema


# --- Flat query counts ---------------------------------------------------------------------------


def _count_queries(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/inventaire/export.csv",
        "/inventaire/export.csv?etendu=1",
        "/inventaire/export.xlsx",
        "/inventaire/catalogue.ttl",
        "/api/v1/datasets/export.csv",
    ],
)
def test_export_query_count_is_flat(amd_client, ministry, organization, url):
    def run():
        response = amd_client.get(url)
        assert response.status_code == 200
        if response.streaming:
            body(response)

    make_asset(ministry, organization, "Entrée 0")
    small = _count_queries(run)
    for i in range(1, 25):
        make_asset(ministry, organization, f"Entrée {i}")
    assert _count_queries(run) == small


@pytest.mark.django_db
def test_import_pages_query_count_is_flat(amd_user, amd_client, ministry, organization):
    def run(job):
        page = _count_queries(lambda: amd_client.get(f"/inventaire/import/{job.pk}/?lignes=toutes"))
        return page, _count_queries(lambda: amd_client.get("/inventaire/import/"))

    one = analyse(amd_user, ministry, csv_bytes([row()]))
    small = run(one)
    many = analyse(amd_user, ministry, csv_bytes([row(f"Titre {i}") for i in range(25)]))
    for _ in range(3):
        analyse(amd_user, ministry, csv_bytes([row()]))
    assert run(many) == small


@pytest.mark.django_db
def test_unknown_default_organisation_is_a_form_error(amd_client, ministry, organization):
    header = "titre,description,service"
    upload = SimpleUploadedFile("catalogue.csv", csv_bytes([row()], header=header))
    response = amd_client.post(
        "/inventaire/import/",
        {"fichier": upload, "ministere": ministry.pk, "organisation": "Direction fantôme"},
    )
    assert response.status_code == 200
    assert "introuvable dans le ministère" in response.content.decode()
    assert ImportJob.objects.count() == 0
