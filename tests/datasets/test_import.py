"""Inventory import: dry run, apply, idempotence, bad inputs (issue #3 §6)."""

from __future__ import annotations

import io
import json
import re
import zipfile

import openpyxl
import pytest

from datasets import importing
from datasets.models import (
    AssessmentHistory,
    AssetStateHistory,
    DataAsset,
    ExtraFieldDefinition,
    ImportJob,
    OpenByDefaultAssessment,
)
from datasets.tabular import FileRejected
from datasets.tasks import confirm_import, import_analyse, import_apply
from tests.factories import OrganizationFactory

HEADER = (
    "titre,description,mots_cles,nom_orga,siret_orga,id_alt_orga,service,si,contact_service,"
    "contact_personne,date_pub,date_maj,freq_maj,couv_geo,url,format,licence"
)
SIRET = "18006701900430"


def row(title="Arbres vivants", org="Direction des libertés publiques", **over):
    values = {
        "titre": title,
        "description": "Données brutes de l'inventaire.",
        "mots_cles": "arbre,forêt",
        "nom_orga": org,
        "siret_orga": "",
        "id_alt_orga": "",
        "service": "Service de l'inventaire",
        "si": "Inventaire",
        "contact_service": "inventaire@exemple.gouv.fr",
        "contact_personne": "jean.martin@exemple.gouv.fr",
        "date_pub": "2005-01-14",
        "date_maj": "2019-05-28",
        "freq_maj": "Annuelle",
        "couv_geo": "France métropolitaine",
        "url": "https://www.data.gouv.fr/fr/datasets/exemple/",
        "format": "CSV,XLSX",
        "licence": "Licence ouverte",
    }
    values.update(over)
    return values


def csv_bytes(rows, header=HEADER, sep=",", encoding="utf-8"):
    import csv

    out = io.StringIO()
    names = header.split(",")
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow(names)
    for r in rows:
        writer.writerow([r.get(n, "") for n in names])
    return out.getvalue().encode(encoding)


def analyse(amd_user, ministry, data, filename="inventaire.csv", default_organization=None):
    job = importing.import_job_create(
        actor=amd_user,
        ministry=ministry,
        filename=filename,
        data=data,
        default_organization=default_organization,
    )
    import_analyse(job.pk)
    job.refresh_from_db()
    return job


def apply(job, user):
    if job.report.get("nothing_to_apply"):
        # Nothing to create or update: the dry run closed the job, there is nothing to confirm.
        assert job.state in (ImportJob.State.APPLIED, ImportJob.State.FAILED)
        assert not confirm_import(job, user)
        return job
    assert confirm_import(job, user)
    import_apply(job.pk, user.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def imported(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, csv_bytes([row(), row("Deuxième jeu")]))
    return apply(job, amd_user)


@pytest.mark.django_db
def test_dry_run_reports_created_rows_and_writes_nothing(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, csv_bytes([row(), row("Deuxième jeu")]))
    assert job.state == ImportJob.State.ANALYSED
    assert job.report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    assert [r["line"] for r in job.report["rows"]] == [2, 3]
    assert DataAsset.objects.count() == 0
    assert job.progress_done == job.progress_total == 2


@pytest.mark.django_db
def test_apply_creates_entries_with_all_columns(imported, ministry, organization):
    assert imported.state == ImportJob.State.APPLIED
    asset = DataAsset.objects.get(title="Arbres vivants")
    assert asset.ministry == ministry and asset.organization == organization
    assert asset.keywords == ["arbre", "forêt"]
    assert asset.update_frequency == "ANNUELLE"
    assert asset.last_updated_at.isoformat() == "2019-05-28"
    assert asset.licence.spdx_id == "etalab-2.0"
    assert sorted(f.name for f in asset.formats.all()) == ["CSV", "XLSX"]
    assert asset.import_key
    assert OpenByDefaultAssessment.objects.filter(asset=asset, status="TO_ASSESS").exists()
    assert AssetStateHistory.objects.filter(asset_id_ref=asset.pk).count() == 1


@pytest.mark.django_db
def test_same_file_again_is_all_unchanged_and_writes_nothing(imported, amd_user, ministry):
    before = (DataAsset.objects.count(), AssetStateHistory.objects.count())
    job = analyse(amd_user, ministry, csv_bytes([row(), row("Deuxième jeu")]))
    assert job.report["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    apply(job, amd_user)
    assert (DataAsset.objects.count(), AssetStateHistory.objects.count()) == before


@pytest.mark.django_db
def test_changed_value_is_an_update_with_the_changed_column(imported, amd_user, ministry):
    job = analyse(
        amd_user, ministry, csv_bytes([row(couv_geo="France entière"), row("Deuxième jeu")])
    )
    assert job.report["counts"]["updated"] == 1
    updated = [r for r in job.report["rows"] if r["action"] == "updated"][0]
    assert updated["changes"] == ["couv_geo"]
    apply(job, amd_user)
    asset = DataAsset.objects.get(title="Arbres vivants")
    assert asset.geo_coverage == "France entière"
    assert asset.version == 2


# --- Formats and encodings -----------------------------------------------------------------------


@pytest.mark.django_db
def test_semicolon_windows_1252_csv_is_read(amd_user, ministry, organization):
    data = csv_bytes([row("Été indien")], sep=";", encoding="cp1252")
    job = analyse(amd_user, ministry, data)
    assert job.report["encoding"] == "cp1252"
    assert job.report["counts"]["created"] == 1
    assert job.report["rows"][0]["title"] == "Été indien"


@pytest.mark.django_db
def test_utf8_bom_csv_is_read(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, b"\xef\xbb\xbf" + csv_bytes([row()]))
    assert job.report["counts"]["created"] == 1


def xlsx_bytes(rows, header=HEADER):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    names = header.split(",")
    sheet.append(names)
    for r in rows:
        sheet.append([r.get(n, "") for n in names])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.django_db
def test_xlsx_is_imported_like_csv(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, xlsx_bytes([row(), row("Deuxième")]), "inventaire.xlsx")
    assert job.report["format"] == "xlsx"
    assert job.report["counts"]["created"] == 2


@pytest.mark.django_db
def test_catalogue_export_columns_with_french_dates_and_extra_field(
    amd_user, ministry, organization
):
    ExtraFieldDefinition.objects.create(
        ministry=ministry,
        code="sensibilite",
        label="Sensibilité",
        kind="CHOICE",
        choices=["Faible", "Forte"],
    )
    header = (
        "titre,description,service,couv_geo,format,si,contact_service,contact_personne,freq_maj,"
        "date_maj,url,licence,mots_cles,Sensibilité"
    )
    data = csv_bytes(
        [
            row(date_maj="28/05/2019", **{"Sensibilité": "Forte"}),
            row("Autre", **{"Sensibilité": "Nulle"}),
        ],
        header=header,
    )
    with pytest.raises(FileRejected, match="organisation productrice"):
        analyse(amd_user, ministry, data)
    job = analyse(amd_user, ministry, data, default_organization=organization)
    assert job.report["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    rejected = job.report["rows"][1]
    assert rejected["errors"][0]["column"] == "Sensibilité"
    assert "n'est pas un choix possible" in rejected["errors"][0]["message"]
    apply(job, amd_user)
    asset = DataAsset.objects.get()
    assert asset.last_updated_at.isoformat() == "2019-05-28"
    assert asset.extra == {"sensibilite": "Forte"}


@pytest.mark.django_db
def test_bases_json_matches_managers_and_reports_the_unmatched(amd_user, ministry, organization):
    OrganizationFactory(ministry=ministry, name="Direction de la recherche")
    bases = {
        "Répertoire Adeli": {
            "description": "État civil et activités",
            "gestionnaire": "Direction de la recherche",
            "commentaire": " Cette base Infrastructures fait partie de la catégorie "
            "Infrastructures du Ministère de l'Intérieur.",
            "datasets": ["repertoire-adeli"],
        },
        "Registre partagé": {
            "gestionnaire": ["Université de Nulle Part", "direction des LIBERTÉS publiques"],
        },
        "Base orpheline": {"description": "x", "gestionnaire": "Agence inconnue"},
    }
    job = analyse(amd_user, ministry, json.dumps(bases).encode(), "bases.json")
    assert job.report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert job.report["unmatched_organisations"] == [{"name": "Agence inconnue", "count": 1}]
    apply(job, amd_user)
    adeli = DataAsset.objects.get(title="Répertoire Adeli")
    assert adeli.keywords == ["Infrastructures"]
    assert adeli.url == "https://www.data.gouv.fr/fr/datasets/repertoire-adeli/"
    assert DataAsset.objects.get(title="Registre partagé").organization == organization


# --- Bad inputs: the whole file is refused, nothing is stored -------------------------------------


BAD_FILES = [
    ("vide.csv", b"", "Le fichier est vide"),
    ("entete.csv", HEADER.encode() + b"\r\n", "que la ligne d'en-tête"),
    (
        "manque.csv",
        b"titre,mots_cles,nom_orga\r\nA,b,c\r\n",
        "obligatoire(s) absente(s) : description",
    ),
    (
        "inconnue.csv",
        (HEADER + ",couleur").encode() + b"\r\n" + b"a,b" + b",x" * 16 + b"\r\n",
        "inconnue(s) : « couleur »",
    ),
    ("utf16.csv", HEADER.encode("utf-16"), "UTF-16"),
    ("melange.csv", ("titre,description\r\nÃ©té," + "\xe9").encode("latin-1"), "incohérent"),
    ("binaire.csv", b"titre,description\r\n\x00\x01\x02,\x03\r\n", "octets binaires"),
    ("pas-un-classeur.xlsx", b"ceci n'est pas un classeur", "pas un classeur Excel"),
    ("vieux.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "97-2003"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "data", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_is_refused_with_a_french_message(
    amd_user, ministry, organization, name, data, message
):
    with pytest.raises(FileRejected, match=re.escape(message)):
        importing.import_job_create(actor=amd_user, ministry=ministry, filename=name, data=data)
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_a_zip_that_is_not_a_workbook_is_refused(amd_user, ministry):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(FileRejected, match="xl/workbook.xml"):
        importing.import_job_create(
            actor=amd_user, ministry=ministry, filename="a.xlsx", data=out.getvalue()
        )


def _declare_size(data: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size a zip's central directory declares for `member`."""
    buf = bytearray(data)
    needle = member.encode()
    start = buf.find(b"PK\x01\x02")
    while start != -1:
        name_len = int.from_bytes(buf[start + 28 : start + 30], "little")
        name = bytes(buf[start + 46 : start + 46 + name_len])
        if name == needle:
            buf[start + 24 : start + 28] = size.to_bytes(4, "little")
        start = buf.find(b"PK\x01\x02", start + 4)
    return bytes(buf)


@pytest.mark.django_db
def test_a_workbook_declaring_gigabytes_is_refused_before_opening(amd_user, ministry, organization):
    data = _declare_size(xlsx_bytes([row()]), "xl/worksheets/sheet1.xml", 4_000_000_000)
    with pytest.raises(FileRejected, match="se décompresse en 3815 Mo"):
        importing.import_job_create(
            actor=amd_user, ministry=ministry, filename="bombe.xlsx", data=data
        )


@pytest.mark.django_db
def test_a_workbook_really_inflating_beyond_the_limit_is_refused(amd_user, ministry, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1024 * 1024
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (3 * 1024 * 1024))
    assert len(out.getvalue()) < 20_000
    with pytest.raises(FileRejected, match="refusé par sécurité"):
        importing.import_job_create(
            actor=amd_user, ministry=ministry, filename="b.xlsx", data=out.getvalue()
        )


class _BigUpload:
    size = 50 * 1024 * 1024

    def chunks(self):  # pragma: no cover - must never be read
        raise AssertionError("le fichier ne doit pas être lu")


def test_a_50_mb_file_is_refused_before_being_read():
    from datasets.tabular import read_upload

    with pytest.raises(FileRejected, match="pèse 50 Mo, au-delà de la limite de 20 Mo"):
        read_upload(_BigUpload())


# --- Bad rows: rejected with line, column and reason ----------------------------------------------


def _errors(job, line):
    found = [r for r in job.report["rows"] if r["line"] == line][0]
    assert found["action"] == "rejected"
    return {(e["column"], e["message"]) for e in found["errors"]}


@pytest.mark.django_db
def test_invalid_values_are_rejected_with_line_column_and_reason(amd_user, ministry, organization):
    rows = [
        row("Date", date_maj="31/02/2020"),
        row("Courriel", contact_personne="pas-une-adresse"),
        row("Lien", url="javascript:alert(1)"),
        row("Siret", siret_orga="12345678901234"),
        row("Fréquence", freq_maj="De temps en temps"),
        row("Licence", licence="Licence maison"),
        row("Bon"),
    ]
    job = analyse(amd_user, ministry, csv_bytes(rows))
    assert job.report["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 6}
    assert any(c == "date_maj" and "n'est pas valide" in m for c, m in _errors(job, 2))
    assert any(c == "contact_personne" and "n'est pas valide" in m for c, m in _errors(job, 3))
    assert any(c == "url" and "http" in m for c, m in _errors(job, 4))
    assert any(c == "siret_orga" and "clé de contrôle" in m for c, m in _errors(job, 5))
    assert any(c == "freq_maj" for c, _ in _errors(job, 6))
    assert any(c == "licence" for c, _ in _errors(job, 7))
    apply(job, amd_user)
    assert list(DataAsset.objects.values_list("title", flat=True)) == ["Bon"]


@pytest.mark.django_db
def test_duplicated_rows_are_rejected(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, csv_bytes([row(), row("  ARBRES   vivants ")]))
    assert job.report["counts"]["rejected"] == 1
    assert any("Ligne en double" in m and "ligne 2" in m for _, m in _errors(job, 3))


@pytest.mark.django_db
def test_html_and_script_are_stored_as_text_and_shown_escaped(
    amd_user, amd_client, ministry, organization
):
    title = "<script>alert('x')</script><b>gras</b>"
    job = analyse(amd_user, ministry, csv_bytes([row(title)]))
    page = amd_client.get(f"/inventaire/import/{job.pk}/?lignes=toutes").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    apply(job, amd_user)
    assert DataAsset.objects.get().title == title


@pytest.mark.django_db
def test_rows_of_another_ministry_are_rejected(
    amd_user, ministry, organization, other_organization
):
    other_organization.siret = "18006701900430"
    other_organization.save()
    rows = [
        row("Par le nom", org=other_organization.name),
        row("Par le SIRET", org="", siret_orga="18006701900430"),
    ]
    job = analyse(amd_user, ministry, csv_bytes(rows))
    assert job.report["counts"]["rejected"] == 2
    assert any("autre ministère" in m for _, m in _errors(job, 2))
    assert any(c == "siret_orga" and "autre ministère" in m for c, m in _errors(job, 3))
    assert job.report["unmatched_organisations"] == []


@pytest.mark.django_db
def test_unmatched_organisations_are_reported_never_guessed(amd_user, ministry, organization):
    rows = [row("A", org="Direction des libertés"), row("B", org="Direction des libertés")]
    job = analyse(amd_user, ministry, csv_bytes(rows))
    assert job.report["counts"]["rejected"] == 2
    assert job.report["unmatched_organisations"] == [{"name": "Direction des libertés", "count": 2}]


QUAL_HEADER = HEADER + ",statut_ouverture,motifs,justification,date_publication_prevue"


@pytest.mark.django_db
def test_a_status_contradicting_the_legal_rules_is_rejected(amd_user, ministry, organization):
    rows = [
        row("Sans motif", statut_ouverture="Non communicable"),
        row(
            "Avec motif",
            statut_ouverture="Non communicable",
            motifs="L311_6_1_VIE_PRIVEE",
            justification="Contient des dossiers individuels.",
        ),
        row("Sans date", statut_ouverture="À publier"),
        row("Motif inconnu", statut_ouverture="NOT_COMMUNICABLE", motifs="L999"),
    ]
    job = analyse(amd_user, ministry, csv_bytes(rows, header=QUAL_HEADER))
    assert job.report["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 3}
    assert any(c == "motifs" and "Non communicable" in m for c, m in _errors(job, 2))
    assert any(c == "date_publication_prevue" for c, _ in _errors(job, 4))
    assert any(c == "motifs" and "inconnu" in m for c, m in _errors(job, 5))
    apply(job, amd_user)
    assessment = OpenByDefaultAssessment.objects.get(asset__title="Avec motif")
    assert assessment.status == "NOT_COMMUNICABLE"
    assert [g.ground.code for g in assessment.ground_links.all()] == ["L311_6_1_VIE_PRIVEE"]
    assert AssessmentHistory.objects.filter(asset=assessment.asset).count() == 1
    # the same file again: nothing changes, no new history
    job2 = analyse(amd_user, ministry, csv_bytes(rows, header=QUAL_HEADER))
    assert job2.report["counts"]["unchanged"] == 1
    assert job2.report["counts"]["created"] == 0
    assert AssessmentHistory.objects.count() == 1


# --- Jobs: atomic, idempotent, safe to run twice ----------------------------------------------------


@pytest.mark.django_db
def test_analyse_twice_is_harmless(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, csv_bytes([row()]))
    report = job.report
    import_analyse(job.pk)
    job.refresh_from_db()
    assert job.report == report and job.state == ImportJob.State.ANALYSED


@pytest.mark.django_db
def test_apply_twice_is_a_no_op(amd_user, ministry, organization):
    job = apply(analyse(amd_user, ministry, csv_bytes([row()])), amd_user)
    counts = (DataAsset.objects.count(), AssetStateHistory.objects.count())
    import_apply(job.pk, amd_user.pk)
    assert not confirm_import(job, amd_user)
    assert (DataAsset.objects.count(), AssetStateHistory.objects.count()) == counts


@pytest.mark.django_db
def test_failure_mid_apply_leaves_nothing_written(amd_user, ministry, organization, monkeypatch):
    job = analyse(amd_user, ministry, csv_bytes([row(), row("Deuxième")]))

    def boom(*args, **kwargs):
        raise RuntimeError("panne au milieu de l'import")

    monkeypatch.setattr("datasets.validation.record_asset_state", boom)
    assert confirm_import(job, amd_user)
    with pytest.raises(RuntimeError):
        import_apply(job.pk, amd_user.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert "rien n'a été écrit" in job.error
    assert DataAsset.objects.count() == 0
    assert OpenByDefaultAssessment.objects.count() == 0


@pytest.mark.django_db
def test_changes_made_after_the_dry_run_are_taken_into_account(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, csv_bytes([row()]))
    first = apply(analyse(amd_user, ministry, csv_bytes([row()])), amd_user)
    assert first.report["written"] == {"created": 1, "updated": 0}
    apply(job, amd_user)  # recomputed at apply time: the entry now exists
    job.refresh_from_db()
    assert job.report["counts"]["unchanged"] == 1
    assert DataAsset.objects.count() == 1


@pytest.mark.django_db
def test_compliance_facts_written_by_the_import_match_the_entry(amd_user, ministry, organization):
    from datasets import validation

    rows = [
        row(),
        row("Qualifiée", statut_ouverture="Publié", lien_publication="https://www.data.gouv.fr/x/"),
    ]
    apply(
        analyse(
            amd_user,
            ministry,
            csv_bytes(rows, header=HEADER + ",statut_ouverture,lien_publication"),
        ),
        amd_user,
    )
    fields = [
        f.name
        for f in AssetStateHistory._meta.concrete_fields
        if f.name not in ("id", "recorded_at")
    ]
    for asset in DataAsset.objects.all():
        written = AssetStateHistory.objects.get(asset_id_ref=asset.pk)
        expected = validation.state_row(asset)
        assert {f: getattr(written, f) for f in fields} == {f: getattr(expected, f) for f in fields}
    assert (
        AssetStateHistory.objects.get(
            asset_id_ref=DataAsset.objects.get(title="Qualifiée").pk
        ).status
        == "PUBLISHED"
    )


@pytest.mark.django_db
def test_special_characters_survive_the_bulk_insert(amd_user, ministry, organization):
    text = 'Ligne 1\nLigne\t2 C:\\chemin\\N "guillemets" \\t fin'
    apply(analyse(amd_user, ministry, csv_bytes([row(description=text, si="")])), amd_user)
    asset = DataAsset.objects.get()
    assert asset.description == text
    assert asset.source_system == ""
    assert asset.keywords == ["arbre", "forêt"]


@pytest.mark.django_db
def test_analysis_reports_progress_every_n_rows(amd_user, ministry, organization, monkeypatch):
    seen = []
    monkeypatch.setattr(importing, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(importing, "PROGRESS_REPORTS", 2)
    original = importing.job_progress

    def spy(job_id):
        update = original(job_id)

        def record(done, total):
            seen.append((done, total))
            update(done, total)

        return record

    monkeypatch.setattr(importing, "job_progress", spy)
    job = analyse(amd_user, ministry, csv_bytes([row(f"Titre {i}") for i in range(5)]))
    assert seen == [(2, 5), (4, 5)]
    assert (job.progress_done, job.progress_total, job.progress_pct) == (5, 5, 100)


def _declare_local_and_central_size(data: bytes, member: str, size: int) -> bytes:
    buf = bytearray(_declare_size(data, member, size))
    needle = member.encode()
    start = buf.find(b"PK\x03\x04")
    while start != -1:
        name_len = int.from_bytes(buf[start + 26 : start + 28], "little")
        if bytes(buf[start + 30 : start + 30 + name_len]) == needle:
            buf[start + 22 : start + 26] = size.to_bytes(4, "little")
        start = buf.find(b"PK\x03\x04", start + 4)
    return bytes(buf)


@pytest.mark.django_db
def test_a_workbook_lying_about_its_sizes_is_refused_not_inflated(amd_user, ministry, organization):
    data = _declare_local_and_central_size(
        xlsx_bytes([row(f"Titre {i}") for i in range(50)]), "xl/worksheets/sheet1.xml", 200
    )
    with pytest.raises(FileRejected, match="XLSX"):
        importing.import_job_create(actor=amd_user, ministry=ministry, filename="x.xlsx", data=data)
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_bases_json_naming_a_base_twice_rejects_the_second_and_keeps_the_first(
    amd_user, ministry, organization
):
    # json.loads would keep the last of two equal keys without a word: the import must say so.
    text = (
        '{"Base A": {"description": "Première", "gestionnaire": "%s"},'
        ' "Base B": {"description": "Autre", "gestionnaire": "%s"},'
        ' "Base A": {"description": "Seconde", "gestionnaire": "%s"}}'
    ) % ((organization.name,) * 3)
    job = analyse(amd_user, ministry, text.encode(), "bases.json")
    assert job.report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    # Its only error: no false "organisation missing" about an entry that names its manager.
    [(_, message)] = _errors(job, 3)
    assert "figure déjà à l'entrée n°1" in message and "« Base A »" in message
    apply(job, amd_user)
    assert DataAsset.objects.get(title="Base A").description == "Première"
    assert DataAsset.objects.count() == 2
