"""Import of a file holding NUL or other binary bytes: a binary file (PDF, image, archive, .xls,
UTF-16 or UTF-32 text) is refused as a whole with what to do instead; a text CSV with a stray NUL
in a cell (old tools leave some) has that row rejected by the dry run, naming its line and
column, and the rest of the file planned and applied as usual."""

from __future__ import annotations

import gzip

import pytest
from django.core.exceptions import ValidationError

from datasets import importing
from datasets.models import AssetStateHistory, DataAsset, ExtraFieldDefinition, ImportJob
from datasets.tabular import FileRejected, looks_binary, read_table, wide_encoding
from datasets.tasks import confirm_import, import_apply
from supervision import importing as roadmap_importing
from supervision.models import RoadmapAction
from tests.datasets.test_import import HEADER, analyse, apply, csv_bytes, row
from tests.datasets.test_import_review5 import _errors, _row_of
from tests.supervision.helpers import published_roadmap
from trainings.csv_import import parse_measurements

pytestmark = pytest.mark.django_db

DLP = "Direction des libertés publiques"  # the `organization` fixture
NUL_IN_CELL = (
    "Ce texte contient un caractère de contrôle invisible (U+0000) non autorisé : retirez-le."
)
BINARY = "Le fichier contient des octets binaires : ce n'est pas un fichier texte CSV"


def _state():
    return (DataAsset.objects.count(), AssetStateHistory.objects.count())


def _refused(amd_user, ministry, data, filename="inventaire.csv") -> str:
    """The message refusing the file on the upload form (nothing stored, no job)."""
    with pytest.raises(FileRejected) as caught:
        importing.import_job_create(actor=amd_user, ministry=ministry, filename=filename, data=data)
    assert ImportJob.objects.count() == 0 and _state() == (0, 0)
    return " ".join(caught.value.messages)


# --- A text CSV with a stray NUL: its row is rejected, line and column named ------------------


@pytest.mark.parametrize("column", ["titre", "description", "nom_orga", "service"])
def test_a_stray_nul_rejects_its_row_naming_line_and_column_and_the_rest_is_imported(
    amd_user, ministry, organization, column
):
    bad = row("Deuxième jeu")
    bad[column] = bad[column][:4] + "\x00" + bad[column][4:]
    job = analyse(amd_user, ministry, csv_bytes([row(), bad, row("Troisième jeu")]))
    assert job.state == ImportJob.State.ANALYSED
    assert job.report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert _errors(job, 3) == [(column, NUL_IN_CELL)]
    assert "\x00" not in _row_of(job, 3)["title"]  # the report (jsonb) cannot hold a NUL
    assert _state() == (0, 0)  # a dry run writes nothing
    apply(job, amd_user)
    assert job.state == ImportJob.State.APPLIED
    assert job.report["written"] == {"created": 2, "updated": 0}
    assert sorted(DataAsset.objects.values_list("title", flat=True)) == [
        "Arbres vivants",
        "Troisième jeu",
    ]


def test_a_stray_nul_in_a_windows_1252_semicolon_file(amd_user, ministry, organization):
    data = csv_bytes(
        [row(), row("Été", description="Données\x00 brutes")], sep=";", encoding="cp1252"
    )
    job = analyse(amd_user, ministry, data)
    assert job.report["encoding"] == "cp1252"
    assert _errors(job, 3) == [("description", NUL_IN_CELL)]
    assert _row_of(job, 3)["title"] == "Été"  # the rest of the line still read as Windows-1252
    assert _row_of(job, 2)["action"] == "created"


def test_a_stray_nul_in_a_ministry_field_names_the_field(amd_user, ministry, organization):
    ExtraFieldDefinition.objects.create(
        ministry=ministry, code="note", label="Note libre", kind="TEXT"
    )
    data = f"titre,description,nom_orga,Note libre\nA,d,{DLP},ok\nB,d,{DLP},a\x00b\n".encode()
    job = analyse(amd_user, ministry, data)
    assert _errors(job, 3) == [("Note libre", NUL_IN_CELL)]
    assert _row_of(job, 2)["action"] == "created"


def test_the_line_is_the_spreadsheet_line_after_a_cell_on_several_lines(
    amd_user, ministry, organization
):
    data = f'titre,description,nom_orga\nA,"sur\ndeux lignes",{DLP}\nB,d\x00,{DLP}\n'.encode()
    job = analyse(amd_user, ministry, data)
    assert _errors(job, 3) == [("description", NUL_IN_CELL)]


def test_many_stray_nuls_in_a_real_file_stay_row_errors(amd_user, ministry, organization):
    # 40 rows, 10 of them with a NUL (2 % of the bytes): a text, not a binary file.
    rows = [row(f"Jeu {i}", si="Inventaire\x00" if i % 4 == 0 else "Inventaire") for i in range(40)]
    job = analyse(amd_user, ministry, csv_bytes(rows))
    assert job.report["counts"]["rejected"] == 10 and job.report["counts"]["created"] == 30
    assert _errors(job, 2) == [("si", NUL_IN_CELL)]


def test_nul_padding_at_the_end_of_a_file_rejects_that_line_only(amd_user, ministry, organization):
    data = csv_bytes([row(), row("Deuxième jeu")]) + b"\x00" * 2000
    job = analyse(amd_user, ministry, data)
    assert job.report["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert _errors(job, 4) == [("titre", NUL_IN_CELL)]
    assert _row_of(job, 4)["title"] == "\ufffd" * 200  # a title is cut at 200


def test_a_nul_beyond_the_header_rejects_the_row_for_its_width(amd_user, ministry, organization):
    data = f"titre,description,nom_orga\nA,d,{DLP}\nB,d,{DLP},\x00\n".encode()
    job = analyse(amd_user, ministry, data)
    assert _errors(job, 3) == [("", "La ligne contient 4 valeurs pour 3 colonnes.")]


def test_every_row_with_a_nul_ends_the_dry_run_failed_with_nothing_written(
    amd_user, ministry, organization
):
    data = f"titre,description,nom_orga\nA\x00,d,{DLP}\nB,d\x00,{DLP}\n".encode()
    job = analyse(amd_user, ministry, data)
    assert job.state == ImportJob.State.FAILED
    assert "2 ligne(s) rejetée(s)" in job.error
    assert _state() == (0, 0)


def test_an_apply_recomputed_from_the_file_rejects_the_same_row(
    amd_user, ministry, organization, monkeypatch
):
    job = analyse(amd_user, ministry, csv_bytes([row(), row("B", service="Ser\x00vice")]))
    monkeypatch.setattr(importing, "stored_plan", lambda job: None)  # re-read the stored bytes
    apply(job, amd_user)
    assert job.state == ImportJob.State.APPLIED
    assert job.report["written"] == {"created": 1, "updated": 0}
    assert _errors(job, 3) == [("service", NUL_IN_CELL)]
    assert list(DataAsset.objects.values_list("title", flat=True)) == ["Arbres vivants"]


def test_a_failure_mid_apply_of_a_file_with_a_nul_row_writes_nothing(
    amd_user, ministry, organization, monkeypatch
):
    job = analyse(amd_user, ministry, csv_bytes([row(), row("B", si="S\x00I"), row("C")]))

    def boom(*args, **kwargs):
        raise RuntimeError("panne au milieu de l'import")

    monkeypatch.setattr("datasets.validation.record_asset_state", boom)
    assert confirm_import(job, amd_user)
    with pytest.raises(RuntimeError):
        import_apply(job.pk, amd_user.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and "rien n'a été écrit" in job.error
    assert _state() == (0, 0)


def test_a_nul_in_the_header_refuses_the_file_naming_the_column(amd_user, ministry, organization):
    data = f"titre,descr\x00iption,nom_orga\nA,d,{DLP}\n".encode()
    message = _refused(amd_user, ministry, data)
    assert message == (
        "La première ligne (l'en-tête des colonnes) contient un caractère de contrôle invisible "
        "(U+0000) dans la colonne n° 2 (« descr\ufffdiption ») : retirez-le puis déposez à "
        "nouveau le fichier."
    )


# --- Binary files: refused as a whole, saying what the file is --------------------------------


MAGIC_FILES = [
    (
        "pdf",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 9 >>\nstream\n\x00\x01\x02",
        "un document PDF",
    ),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "une image PNG"),
    ("jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "une image JPEG"),
    ("gif", b"GIF89a\x10\x00\x10\x00\x80\x00\x00", "une image GIF"),
    ("gzip", gzip.compress(csv_bytes([row()])), "une archive compressée (gzip)"),
    ("empty-zip", b"PK\x05\x06" + b"\x00" * 18, "une archive ZIP"),
    ("7z", b"7z\xbc\xaf\x27\x1c\x00\x04", "une archive 7-Zip"),
    ("rar", b"Rar!\x1a\x07\x01\x00", "une archive RAR"),
]


@pytest.mark.parametrize(
    ("data", "kind"), [m[1:] for m in MAGIC_FILES], ids=[m[0] for m in MAGIC_FILES]
)
def test_a_file_of_another_kind_named_csv_is_refused_naming_its_kind(
    amd_user, ministry, data, kind
):
    assert _refused(amd_user, ministry, data) == (
        f"Ce fichier est {kind}, pas un tableau : importez le tableau lui-même, enregistré en "
        "CSV UTF-8 ou en classeur Excel (XLSX)."
    )


def test_an_old_xls_workbook_renamed_csv_is_refused_as_xls(amd_user, ministry):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    assert "Excel 97-2003 (.xls)" in _refused(amd_user, ministry, data)


BINARY_FILES = [
    # A NUL among the first four bytes: no text starts so (here an ELF program's header).
    ("nul-in-first-bytes", b"\x7fEL\x00" + csv_bytes([row()])),
    # Many NULs: 10 % of the first 64 KiB or more (a table of 32-bit integers, say).
    ("many-nuls", (b"titre,description\r\n" + b"\x05\x00\x00\x00abc" * 300)),
    # A NUL and three other kinds of control bytes (compressed or encrypted data).
    ("control-bytes", b"titre,description\r\n\x00\x01\x02,\x03\r\n"),
]


@pytest.mark.parametrize("data", [b[1] for b in BINARY_FILES], ids=[b[0] for b in BINARY_FILES])
def test_a_binary_file_without_a_known_signature_is_refused_as_binary(
    amd_user, ministry, organization, data
):
    assert looks_binary(data)
    assert _refused(amd_user, ministry, data).startswith(BINARY)


def test_a_few_nuls_in_a_tiny_file_are_a_text_not_a_binary_file(amd_user, ministry, organization):
    data = f"titre,description,nom_orga\nA,d\x00\x00\x00\x00\x00\x00\x00\x00,{DLP}\n".encode()
    assert not looks_binary(data)  # 8 NULs in 50 bytes: counted against 1 KiB at least
    job = analyse(amd_user, ministry, data)
    assert _errors(job, 2) == [("description", NUL_IN_CELL)]


# --- UTF-16 and UTF-32: refused, saying how to save the file as CSV UTF-8 -----------------------

UTF16_MESSAGE = (
    "Le fichier est encodé en UTF-16 (ce que donne l'enregistrement « Texte Unicode » d'Excel), "
    "qui n'est pas pris en charge : enregistrez-le en CSV UTF-8 (dans Excel : Fichier > "
    "Enregistrer sous, type « CSV UTF-8 (délimité par des virgules) ») puis déposez ce fichier."
)
UTF32_MESSAGE = (
    "Le fichier est encodé en UTF-32, qui n'est pas pris en charge : enregistrez-le en CSV UTF-8 "
    "puis déposez ce fichier."
)


def _excel_unicode_text() -> bytes:
    """What Excel's « Texte Unicode (*.txt) » gives: UTF-16 LE with a BOM, tab-separated."""
    return "\ufeff".encode("utf-16-le") + csv_bytes([row()], sep="\t").decode().encode("utf-16-le")


WIDE_FILES = [
    ("excel-unicode-text", _excel_unicode_text(), "UTF-16"),
    ("utf-16-be-bom", b"\xfe\xff" + csv_bytes([row()]).decode().encode("utf-16-be"), "UTF-16"),
    ("utf-16-le-no-bom", csv_bytes([row()]).decode().encode("utf-16-le"), "UTF-16"),
    ("utf-16-be-no-bom", csv_bytes([row()]).decode().encode("utf-16-be"), "UTF-16"),
    ("utf-32-bom", csv_bytes([row()]).decode().encode("utf-32"), "UTF-32"),
    ("utf-32-le-no-bom", csv_bytes([row()]).decode().encode("utf-32-le"), "UTF-32"),
    ("utf-32-be-no-bom", csv_bytes([row()]).decode().encode("utf-32-be"), "UTF-32"),
]


@pytest.mark.parametrize(
    ("data", "encoding"), [w[1:] for w in WIDE_FILES], ids=[w[0] for w in WIDE_FILES]
)
def test_a_utf16_or_utf32_file_is_refused_saying_to_save_it_as_csv_utf8(
    amd_user, ministry, organization, data, encoding
):
    assert wide_encoding(data) == encoding
    expected = UTF16_MESSAGE if encoding == "UTF-16" else UTF32_MESSAGE
    assert _refused(amd_user, ministry, data, filename="inventaire.txt") == expected


def test_utf8_and_windows_1252_files_are_neither_wide_nor_binary():
    for data in (csv_bytes([row()]), csv_bytes([row()], encoding="cp1252"), HEADER.encode()):
        assert wide_encoding(data) is None and not looks_binary(data)


# --- Other imports (roadmaps, impact measurements): the whole file, line and column named ------


def test_the_shared_reader_refuses_a_stray_nul_naming_line_and_column():
    data = b'ref,titre,description\n1,A,"sur\ndeux lignes"\n2,B,d\n3,C,bad\x00\n'
    with pytest.raises(FileRejected) as caught:
        read_table(data, "feuille.csv")
    assert caught.value.messages == [
        "Le fichier contient un caractère nul (U+0000, invisible) à la ligne 4, colonne "
        "« description » : retirez-le puis déposez à nouveau le fichier. Ce caractère vient "
        "souvent de l'export d'un ancien logiciel."
    ]
    assert [cells for _, cells in read_table(data, "feuille.csv", keep_nul=True)][2] == [
        "3",
        "C",
        "bad\x00",
    ]


def test_the_shared_reader_names_a_column_beyond_the_header_and_a_nul_past_64_kb():
    beyond = b"ref,titre\n1,A\n2,B,\x00\n"
    with pytest.raises(FileRejected, match="ligne 3, colonne n° 3, au-delà de l'en-tête"):
        read_table(beyond)
    far = b"ref,titre\n1," + b"x" * 70_000 + b"\n2,\x00\n"
    with pytest.raises(FileRejected, match="ligne 3, colonne « titre »"):
        read_table(far)


def test_a_roadmap_import_with_a_stray_nul_fails_naming_it_and_writes_nothing(amd_user, ministry):
    roadmap = published_roadmap(ministry)
    data = "titre;description\nOuvrir les données;Publier\nFermer;Arch\x00iver\n".encode()
    with pytest.raises(ValidationError, match="à la ligne 3, colonne « description »"):
        roadmap_importing.roadmap_import_start(
            actor=amd_user, roadmap=roadmap, filename="feuille.csv", payload=data
        )
    job = ImportJob.objects.get(kind=ImportJob.Kind.ROADMAP)
    assert job.state == ImportJob.State.FAILED and "ligne 3" in job.error
    assert not RoadmapAction.objects.exists()


def test_impact_measurements_with_a_stray_nul_are_refused_naming_line_and_column():
    data = b"indicateur,trimestre,valeur\nREUT,2024-T1,1\x00\n"
    rows, errors = parse_measurements(data)
    assert rows == [] and len(errors) == 1
    assert "à la ligne 2, colonne « valeur »" in errors[0]


def test_a_cell_padded_with_nuls_in_a_small_file_rejects_its_row_only(
    amd_user, ministry, organization
):
    """Old fixed-width exports pad a cell with NULs: one run of 120 in a file of a few hundred
    bytes is a text (the review of session 6 found it refused whole as binary)."""
    data = csv_bytes([row(), row("Deuxième jeu", si="GESTION" + "\x00" * 120), row("Troisième")])
    data = data.decode().encode("cp1252")
    assert not looks_binary(data)
    job = analyse(amd_user, ministry, data)
    assert job.report["counts"]["rejected"] == 1 and job.report["counts"]["created"] == 2
    assert _errors(job, 3) == [("si", NUL_IN_CELL)]
