"""Inventory exports: CSV (Etalab schema, frictionless), XLSX, DCAT-AP (pyshacl), streaming,
formula neutralisation, round trip, scope (issue #3 §7)."""

from __future__ import annotations

import csv
import datetime
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings

from core.models import Licence
from datasets import importing
from datasets.models import DataAsset, Format, OpenByDefaultAssessment
from datasets.tasks import confirm_import, import_analyse, import_apply

SHARED = Path(settings.SHARED_DATA_DIR)


def make_asset(ministry, organization, title="Arbres vivants", **over):
    values = {
        "ministry": ministry,
        "organization": organization,
        "title": title,
        "description": "Données brutes de l'inventaire.",
        "keywords": ["arbre", "forêt"],
        "service": "Service de l'inventaire",
        "source_system": "Inventaire",
        "contact_service": "inventaire@exemple.gouv.fr",
        "contact_person": "jean.martin@exemple.gouv.fr",
        "first_published_at": datetime.date(2005, 1, 14),
        "last_updated_at": datetime.date(2019, 5, 28),
        "update_frequency": "ANNUELLE",
        "geo_coverage": "France métropolitaine",
        "url": "https://www.data.gouv.fr/fr/datasets/exemple/",
        "licence": Licence.objects.get(spdx_id="etalab-2.0"),
        "visibility": DataAsset.Visibility.PUBLISHED,
    }
    values.update(over)
    asset = DataAsset.objects.create(**values)
    csv_format, _ = Format.objects.get_or_create(
        name="CSV", defaults={"is_open": True, "machine_readable": True}
    )
    asset.formats.add(csv_format)
    OpenByDefaultAssessment.objects.create(asset=asset, ministry=ministry)
    return asset


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def assets(ministry, organization):
    organization.siret = "18006701900430"
    organization.save()
    return [
        make_asset(ministry, organization),
        make_asset(ministry, organization, '=HYPERLINK("http://x")', description="-2+3"),
        make_asset(ministry, organization, "Brouillon interne", visibility="DRAFT"),
    ]


@pytest.mark.django_db
def test_csv_export_streams_the_etalab_columns_in_order(amd_client, assets):
    response = amd_client.get("/inventaire/export.csv")
    assert response.status_code == 200
    assert response.streaming
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8"))))
    schema = json.loads((SHARED / "catalogue-schema" / "schema.json").read_text())
    assert rows[0] == [f["name"] for f in schema["fields"]]
    assert len(rows) == 4


@pytest.mark.django_db
def test_csv_export_neutralises_formulas(amd_client, assets):
    text = body(amd_client.get("/inventaire/export.csv")).decode("utf-8")
    rows = {r[0]: r for r in csv.reader(io.StringIO(text))}
    assert '\'=HYPERLINK("http://x")' in rows
    assert rows['\'=HYPERLINK("http://x")'][1] == "'-2+3"


@pytest.mark.django_db
def test_csv_export_validates_against_the_etalab_schema(amd_client, assets, tmp_path):
    from frictionless import Resource, Schema

    path = tmp_path / "export.csv"
    path.write_bytes(body(amd_client.get("/inventaire/export.csv")))
    descriptor = json.loads((SHARED / "catalogue-schema" / "schema.json").read_text())
    descriptor.pop("custom_checks", None)  # not Table Schema; the SIRET check is the portal's
    schema = Schema.from_descriptor(descriptor)
    report = Resource(path="export.csv", basepath=str(tmp_path), schema=schema).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


@pytest.mark.django_db
def test_round_trip_export_then_import_is_all_unchanged(amd_client, amd_user, ministry, assets):
    for extended in (False, True):
        data = body(amd_client.get("/inventaire/export.csv" + ("?etendu=1" if extended else "")))
        job = importing.import_job_create(
            actor=amd_user, ministry=ministry, filename="export.csv", data=data
        )
        import_analyse(job.pk)
        job.refresh_from_db()
        assert job.report["counts"] == {
            "created": 0,
            "updated": 0,
            "unchanged": 3,
            "rejected": 0,
        }, job.report["rows"]


@pytest.mark.django_db
def test_xlsx_export_is_a_workbook_with_extra_fields(amd_client, ministry, assets):
    from datasets.models import ExtraFieldDefinition

    ExtraFieldDefinition.objects.create(
        ministry=ministry, code="bureau", label="Bureau", kind="TEXT"
    )
    DataAsset.objects.filter(pk=assets[0].pk).update(extra={"bureau": "B2"})
    response = amd_client.get(f"/inventaire/export.xlsx?ministere={ministry.code}")
    assert response.status_code == 200 and response.streaming
    data = body(response)
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("titre", "description") and rows[0][-1] == "Bureau"
    assert len(rows) == 4
    assert "B2" in [r[-1] for r in rows]
    # Formula-like texts are text cells with Excel's quote prefix: shown as typed (no visible
    # apostrophe), never run, and no cell of the file is a formula.
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and 't="str"' not in sheet_xml
    full = openpyxl.load_workbook(io.BytesIO(data)).active
    triggered = [
        c
        for r in full.iter_rows()
        for c in r
        if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))
    ]
    assert {c.value for c in triggered} >= {'=HYPERLINK("http://x")', "-2+3"}
    assert all(c.data_type == "s" and c.quotePrefix for c in triggered)


@pytest.mark.django_db
def test_dcat_export_validates_against_dcat_ap_shacl(anon_client, assets):
    from pyshacl import validate
    from rdflib import Graph

    for url, fmt in (
        ("/inventaire/catalogue.ttl", "turtle"),
        ("/inventaire/catalogue.jsonld", "json-ld"),
    ):
        response = anon_client.get(url)
        assert response.status_code == 200
        graph = Graph().parse(data=response.content.decode("utf-8"), format=fmt)
        shapes = Graph().parse(SHARED / "dcat-ap-3.0.0" / "dcat-ap-SHACL.ttl", format="turtle")
        conforms, _, text = validate(graph, shacl_graph=shapes, advanced=True)
        assert conforms, text


@pytest.mark.django_db
def test_dcat_lists_published_entries_only_and_pages_with_hydra(anon_client, assets):
    from rdflib import Graph, Namespace, URIRef
    from rdflib.namespace import DCAT, RDF

    hydra = Namespace("http://www.w3.org/ns/hydra/core#")
    response = anon_client.get("/inventaire/catalogue.ttl?page_size=1")
    graph = Graph().parse(data=response.content.decode(), format="turtle")
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 1
    collection = next(graph.subjects(RDF.type, hydra.PagedCollection))
    assert int(next(graph.objects(collection, hydra.totalItems))) == 2  # the draft is not there
    next_page = next(graph.objects(collection, hydra.nextPage))
    assert next(graph.objects(collection, hydra.next)) == next_page  # PartialCollectionView too
    page2 = anon_client.get(str(next_page).replace("http://testserver", ""))
    graph2 = Graph().parse(data=page2.content.decode(), format="turtle")
    assert not list(graph2.objects(None, hydra.nextPage))
    titles = {
        str(t)
        for g in (graph, graph2)
        for t in g.objects(None, URIRef("http://purl.org/dc/terms/title"))
    }
    assert "Brouillon interne" not in titles


@pytest.mark.django_db
def test_export_of_another_ministry_is_404_and_drafts_stay_inside(
    other_ministry, other_organization, amd_client, assets
):
    make_asset(other_ministry, other_organization, "Brouillon d'ailleurs", visibility="DRAFT")
    assert (
        amd_client.get(f"/inventaire/export.csv?ministere={other_ministry.code}").status_code == 404
    )
    text = body(amd_client.get("/inventaire/export.csv")).decode()
    assert "Brouillon interne" in text and "Brouillon d'ailleurs" not in text


def _schema_report(data: bytes, tmp_path):
    from frictionless import Resource, Schema

    path = tmp_path / "export.csv"
    path.write_bytes(data)
    descriptor = json.loads((SHARED / "catalogue-schema" / "schema.json").read_text())
    descriptor.pop("custom_checks", None)
    schema = Schema.from_descriptor(descriptor)
    return Resource(path="export.csv", basepath=str(tmp_path), schema=schema).validate()


@pytest.mark.django_db
def test_conforming_csv_keeps_only_complete_entries_and_validates(
    amd_client, amd_user, ministry, organization, assets, tmp_path
):
    # Entries as the 2016 inventory gives them: no service, contact, coverage, keywords or
    # format. The full export keeps them (and so does not validate); the conforming one does.
    bases = {
        "Répertoire des bases": {"description": "Base de 2016", "gestionnaire": organization.name},
        "Registre ancien": {"gestionnaire": organization.name},
    }
    job = importing.import_job_create(
        actor=amd_user, ministry=ministry, filename="bases.json", data=json.dumps(bases).encode()
    )
    import_analyse(job.pk)
    job.refresh_from_db()
    assert confirm_import(job, amd_user)
    import_apply(job.pk, amd_user.pk)
    assert DataAsset.objects.filter(title="Registre ancien").exists()
    # One more that misses a single required column: the format.
    make_asset(ministry, organization, "Sans format").formats.clear()

    full = body(amd_client.get("/inventaire/export.csv"))
    titles = [r[0] for r in csv.reader(io.StringIO(full.decode("utf-8")))][1:]
    assert {"Répertoire des bases", "Registre ancien", "Sans format"} <= set(titles)
    assert not _schema_report(full, tmp_path).valid

    response = amd_client.get("/inventaire/export.csv?conforme=1")
    assert "-conforme.csv" in response["Content-Disposition"]
    conforming = body(response)
    rows = list(csv.reader(io.StringIO(conforming.decode("utf-8"))))
    # Published entries only: the draft is complete but stays out of a file for data.gouv.fr.
    assert sorted(r[0] for r in rows[1:]) == sorted(["Arbres vivants", '\'=HYPERLINK("http://x")'])
    report = _schema_report(conforming, tmp_path)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    api = amd_client.get("/api/v1/datasets/export.csv?conforme=true")
    assert b"".join(api.streaming_content) == conforming
    # "0", "false", "non" mean no on the page as in the API.
    for no in ("0", "false", "non", "off", "no", "N"):
        page = body(amd_client.get(f"/inventaire/export.csv?conforme={no}"))
        api = b"".join(
            amd_client.get(f"/api/v1/datasets/export.csv?conforme={no}").streaming_content
        )
        assert page == api == full


REQUIRED_VALUES = {
    "titre": None,  # required by the entry itself: cannot be emptied
    "description": None,
    "mots_cles": {"keywords": []},
    "nom_orga": None,  # an entry always has its organisation
    "service": {"service": ""},
    "contact_personne": {"contact_person": ""},
    "couv_geo": {"geo_coverage": ""},
    "format": "formats",
}


@pytest.mark.django_db
@pytest.mark.parametrize("column", [c for c, v in REQUIRED_VALUES.items() if v is not None])
def test_conforming_csv_leaves_out_an_entry_missing_any_one_required_column(
    amd_client, ministry, organization, column
):
    make_asset(ministry, organization, "Complète")
    emptied = REQUIRED_VALUES[column]
    if emptied == "formats":
        make_asset(ministry, organization, "Incomplète").formats.clear()
    else:
        make_asset(ministry, organization, "Incomplète", **emptied)
    rows = list(
        csv.reader(io.StringIO(body(amd_client.get("/inventaire/export.csv?conforme=1")).decode()))
    )
    assert [r[0] for r in rows[1:]] == ["Complète"]


def test_every_required_schema_column_has_a_completeness_condition():
    from datasets import exporting

    schema = json.loads((SHARED / "catalogue-schema" / "schema.json").read_text())
    required = {f["name"] for f in schema["fields"] if (f.get("constraints") or {}).get("required")}
    assert set(exporting.SCHEMA_REQUIREMENTS) == required


@pytest.mark.django_db
def test_exporting_the_list_results_keeps_its_search_and_filters(
    amd_client, ministry, organization, other_ministry, other_organization, assets
):
    # Another ministry's entry: outside an administrator's scope, which no filter widens.
    make_asset(other_ministry, other_organization, "Arbres d'ailleurs")
    page = amd_client.get("/inventaire/", {"q": "vivants", "organization": organization.pk})
    text = page.content.decode()
    assert "Exporter ces résultats" in text
    link = f"/inventaire/export.csv?q=vivants&amp;organization={organization.pk}"
    assert link in text
    response = amd_client.get(
        "/inventaire/export.csv", {"q": "vivants", "organization": organization.pk}
    )
    assert "-selection.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8"))))
    assert [r[0] for r in rows[1:]] == ["Arbres vivants"]
    # The same filters through the API and the XLSX export; a draft of the caller's ministry
    # is exported (the scope is unchanged), another ministry's entry never.
    api = amd_client.get("/api/v1/datasets/export.csv", {"visibility": "DRAFT"})
    titles = [r[0] for r in csv.reader(io.StringIO(b"".join(api.streaming_content).decode()))]
    assert titles[1:] == ["Brouillon interne"]
    workbook = openpyxl.load_workbook(
        io.BytesIO(body(amd_client.get("/inventaire/export.xlsx", {"status": "PUBLISHED"})))
    )
    assert workbook.active.max_row == 1  # header only: nothing is published here
    widened = amd_client.get("/inventaire/export.csv", {"ministry": other_ministry.pk})
    assert list(csv.reader(io.StringIO(body(widened).decode())))[1:] == []
    # Junk in the filters is ignored by the pages' exports, as on the list page; the API's
    # answers 400 naming the parameter (its client must know a filter was not applied), as
    # its list does. Never a 500.
    junk = {"organization": "abc", "q": "\x00'", "extra.<b>": "1", "status": "NIMPORTE"}
    for url in ("/inventaire/export.csv", "/inventaire/export.xlsx"):
        response = amd_client.get(url, junk)
        assert response.status_code == 200, url
        b"".join(response.streaming_content)
    for url in ("/api/v1/datasets/export.csv", "/api/v1/datasets/export.xlsx"):
        response = amd_client.get(url, junk)
        assert response.status_code == 400, url
        assert {"organization", "status"} <= set(response.json()), response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 5])
def test_filtered_export_query_count_is_flat(
    size, amd_client, ministry, organization, django_assert_num_queries
):
    for i in range(size):
        make_asset(ministry, organization, f"Arbres {i}")
    amd_client.get("/inventaire/")
    # The 8th: the administrator's only ministry, which names the file and gives its fields.
    with django_assert_num_queries(8):
        response = amd_client.get("/inventaire/export.csv", {"q": "arbres", "status": "TO_ASSESS"})
        rows = list(csv.reader(io.StringIO(body(response).decode())))
    assert len(rows) == size + 1


@pytest.mark.django_db
def test_a_selection_exported_from_the_list_keeps_its_ministrys_own_fields(
    amd_client, agd_client, ministry, organization, other_ministry
):
    from tests.datasets.factories import ExtraFieldFactory

    ExtraFieldFactory(ministry=ministry, code="suivi", label="Suivi interne")
    ExtraFieldFactory(ministry=other_ministry, code="secret", label="Champ d'un autre")
    make_asset(ministry, organization, "Suivie", extra={"suivi": "Fait"})
    # The administrator's only ministry, without `ministere`: its fields are in the file.
    response = amd_client.get("/inventaire/export.csv", {"etendu": "1", "extra.suivi": "Fait"})
    rows = list(csv.reader(io.StringIO(body(response).decode())))
    assert rows[0][-1] == "Suivi interne" and rows[1][-1] == "Fait"
    assert f"inventaire-{ministry.code}-" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(
        io.BytesIO(body(amd_client.get("/inventaire/export.xlsx", {"extra.suivi": "Fait"})))
    ).active
    assert sheet.cell(1, sheet.max_column).value == "Suivi interne"
    # A filter on a ministry the caller cannot see names none of its fields.
    other = body(
        amd_client.get("/inventaire/export.csv", {"etendu": "1", "ministry": other_ministry.pk})
    )
    assert "Champ d'un autre" not in other.decode()
    # Network staff filtering on one ministry get that ministry's fields.
    staff = body(agd_client.get("/inventaire/export.csv", {"etendu": "1", "ministry": ministry.pk}))
    assert "Suivi interne" in staff.decode().splitlines()[0]
