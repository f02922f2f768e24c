"""Inventory import of the spreadsheets administrators already keep: files as Excel, LibreOffice,
Google Sheets and catalogue.data.gouv.fr write them (separator directive, line ends, encodings,
several sheets, title rows, merged cells, date cells and the dates French users type)."""

from __future__ import annotations

import datetime
import io
import re
import zipfile

import openpyxl
import pytest

from datasets import importing
from datasets.models import DataAsset, ExtraFieldDefinition, ImportJob
from datasets.tabular import FileRejected, read_table
from tests.datasets.test_import import HEADER, analyse, apply, csv_bytes, row
from tests.datasets.test_import_review5 import _errors

NAMES = HEADER.split(",")
SHORT = "titre;description;nom_orga;date_maj"
DLP = "Direction des libertés publiques"


def workbook_bytes(workbook):
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def inventory_sheet(sheet, rows, *, above=()):
    for line in above:
        sheet.append(line)
    sheet.append(NAMES)
    for r in rows:
        sheet.append([r.get(n, "") for n in NAMES])


def refused(amd_user, ministry, data, filename):
    with pytest.raises(FileRejected) as caught:
        importing.import_job_create(actor=amd_user, ministry=ministry, filename=filename, data=data)
    assert ImportJob.objects.count() == 0
    return caught.value.messages[0]


# --- CSV -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("sep", [";", ","])
def test_excel_sep_directive_names_the_separator_and_is_no_line(
    amd_user, ministry, organization, sep
):
    data = f"sep={sep}\r\n".encode() + csv_bytes([row(), row("Deuxième")], sep=sep)
    job = analyse(amd_user, ministry, data)
    assert job.report["counts"]["created"] == 2
    # Excel hides the directive: the header is line 1, the data lines 2 and 3.
    assert [r["line"] for r in job.report["rows"]] == [2, 3]


@pytest.mark.django_db
def test_headers_in_other_case_accents_and_spaces_with_empty_trailing_columns_and_rows(
    amd_user, ministry, organization
):
    data = (
        "\ufeff Titre ;DESCRIPTION;Nom_Orga\u00a0;\u00a0Dernière  mise à jour;Mots clés;\r\n"
        f"Arbres;Inventaire;{DLP};2024-12-31;arbre;\r\n"
        ";;;;;\r\n"
        ";;;;;\r\n"
    ).encode()
    job = analyse(amd_user, ministry, data)
    assert job.report["columns"] == ["titre", "description", "nom_orga", "date_maj", "mots_cles"]
    assert job.report["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0}


@pytest.mark.django_db
def test_quoted_cells_with_line_breaks_separators_and_quotes_without_final_line_break(
    amd_user, ministry, organization
):
    data = (
        "titre;description;nom_orga\r\n"
        f'"Arbres; haies";"Ligne 1\r\nligne 2 ; « citée » ""ainsi""\nligne 3";{DLP}\r\n'
        f"Haies;Sans guillemets;{DLP}"
    ).encode()
    job = analyse(amd_user, ministry, data)
    assert [r["line"] for r in job.report["rows"]] == [2, 3]
    apply(job, amd_user)
    asset = DataAsset.objects.get(title="Arbres; haies")
    assert asset.description == 'Ligne 1\nligne 2 ; « citée » "ainsi"\nligne 3'
    assert DataAsset.objects.filter(title="Haies").exists()


@pytest.mark.django_db
def test_old_mac_line_ends_are_read_with_the_header_separator(amd_user, ministry, organization):
    # More commas in the cells than semicolons in the header: the separator is the header's.
    data = (
        "titre;description;nom_orga\r"
        f"Arbres;Haies, bosquets, forêts, parcs, jardins, vergers, prairies;{DLP}\r"
        f"Haies;Une, deux, trois;{DLP}\r"
    ).encode("cp1252")
    job = analyse(amd_user, ministry, data)
    assert job.report["counts"]["created"] == 2
    apply(job, amd_user)
    assert DataAsset.objects.get(title="Arbres").description.startswith("Haies, bosquets")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("encoding", "prefix"), [("cp1252", b""), ("utf-8", b"\xef\xbb\xbf")], ids=["cp1252", "bom"]
)
def test_typographic_characters_survive_both_encodings(
    amd_user, ministry, organization, encoding, prefix
):
    title = "« Œuvres » d’État à 5 € – cœur"
    job = analyse(amd_user, ministry, prefix + csv_bytes([row(title)], sep=";", encoding=encoding))
    assert job.report["counts"]["created"] == 1
    apply(job, amd_user)
    assert DataAsset.objects.get().title == title


@pytest.mark.django_db
def test_a_latin9_file_keeps_its_oe_and_euro_and_the_report_says_how_it_was_read(
    amd_user, ministry, organization
):
    """ISO-8859-15 (older Linux exports) differs from Windows-1252 on « œ Œ € »: read as
    Windows-1252, « Cœur » became « C½ur » and « 12 € » « 12 ¤ »."""
    title, description = "Cœur de l'Œuvre", "Coût moyen : 12 € par dossier."
    data = csv_bytes([row(title, description=description)], sep=";", encoding="iso-8859-15")
    assert "½".encode("cp1252") in data  # the byte of « œ » in Latin-9
    assert read_table(data).encoding == "iso-8859-15"
    job = analyse(amd_user, ministry, data)
    assert job.report["counts"]["created"] == 1, job.report["rows"]
    assert any("ISO-8859-15" in notice for notice in job.report["notices"])
    apply(job, amd_user)
    asset = DataAsset.objects.get()
    assert (asset.title, asset.description) == (title, description)


@pytest.mark.parametrize(
    "text", ["Mesure de ½ litre", "Relevés de l´école", "Taux ¼ – 1¼", "Fiche ¤ générale"]
)
def test_windows_1252_text_with_fractions_or_a_spacing_accent_stays_windows_1252(text):
    data = csv_bytes([row(text)], sep=";", encoding="cp1252")
    table = read_table(data)
    assert table.encoding == "cp1252"
    assert next(iter(table))[1][0] == text


def test_title_rows_above_the_header_of_a_csv_are_skipped_keeping_line_numbers():
    data = b"Inventaire 2024;;\r\n;;\r\ntitre;description;nom_orga\r\nA;B;C\r\n"
    table = read_table(data, "a.csv", is_header=lambda cells: cells[:1] == ["titre"])
    assert table.header == ["titre", "description", "nom_orga"]
    assert list(table) == [(4, ["A", "B", "C"])]
    assert "ligne 3" in table.notices[0]


def test_the_other_readers_keep_the_first_row_as_header():
    data = b"Inventaire 2024;;\r\ntitre;description;nom_orga\r\nA;B;C\r\n"
    assert read_table(data, "a.csv").header == ["Inventaire 2024"]


@pytest.mark.django_db
def test_a_middle_column_without_name_is_refused_naming_it(amd_user, ministry, organization):
    data = f"titre;;description\r\nA;;B;{DLP}\r\n".encode()
    message = refused(amd_user, ministry, data, "a.csv")
    assert "colonne n° 2 (B)" in message


# --- XLSX ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_inventory_sheet_is_read_after_a_notice_sheet_and_the_report_names_it(
    amd_user, ministry, organization
):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Mode d'emploi"
    workbook.active.append(["Remplissez une ligne par jeu de données."])
    lists = workbook.create_sheet("Listes")
    lists.append(["titre", "description"])  # a hidden sheet is never read
    lists.append(["x", "y"])
    lists.sheet_state = "hidden"
    inventory_sheet(workbook.create_sheet("Inventaire"), [row()])
    job = analyse(amd_user, ministry, workbook_bytes(workbook), "inventaire.xlsx")
    assert job.report["counts"]["created"] == 1
    assert any("« Inventaire »" in n and "3" in n for n in job.report["notices"])
    apply(job, amd_user)
    assert DataAsset.objects.get().title == "Arbres vivants"


@pytest.mark.django_db
def test_two_inventory_sheets_are_refused_naming_them(amd_user, ministry, organization):
    workbook = openpyxl.Workbook()
    workbook.active.title = "2023"
    inventory_sheet(workbook.active, [row()])
    inventory_sheet(workbook.create_sheet("2024"), [row()])
    message = refused(amd_user, ministry, workbook_bytes(workbook), "inventaire.xlsx")
    assert "plusieurs feuilles" in message and "« 2023 », « 2024 »" in message


@pytest.mark.django_db
def test_no_inventory_sheet_names_the_sheet_and_line_read(amd_user, ministry, organization):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["couleur", "taille"])
    workbook.active.append(["rouge", "grand"])
    message = refused(amd_user, ministry, workbook_bytes(workbook), "inventaire.xlsx")
    assert "« couleur »" in message and "ligne 1 de la feuille « Notes »" in message


@pytest.mark.django_db
def test_title_rows_above_the_header_are_skipped_and_lines_keep_their_number(
    amd_user, ministry, organization
):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    inventory_sheet(sheet, [row(), row("Deuxième")], above=[["Inventaire du ministère"], []])
    sheet.merge_cells("A1:F1")  # the title, centred over the table
    job = analyse(amd_user, ministry, workbook_bytes(workbook), "inventaire.xlsx")
    assert [r["line"] for r in job.report["rows"]] == [4, 5]
    assert any("ligne 3" in n for n in job.report["notices"])


@pytest.mark.django_db
def test_cells_of_spreadsheet_types_are_read_as_shown(amd_user, ministry, organization):
    ExtraFieldDefinition.objects.create(
        ministry=ministry, code="controle", label="Dernier contrôle", kind="DATE"
    )
    names = [*NAMES, "donnees_personnelles", "Dernier contrôle"]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(names)
    values = row(
        2016.0,  # a number typed in a text column: a whole float
        date_pub=datetime.date(2016, 3, 1),
        date_maj=datetime.datetime(2024, 12, 31, 17, 45),
        si=12.5,
    )
    values.update({"donnees_personnelles": True, "Dernier contrôle": datetime.date(2025, 1, 2)})
    sheet.append([values.get(n, "") for n in names])
    job = analyse(amd_user, ministry, workbook_bytes(workbook), "inventaire.xlsx")
    assert job.report["counts"]["created"] == 1, job.report["rows"]
    apply(job, amd_user)
    asset = DataAsset.objects.get()
    assert asset.title == "2016"
    assert asset.source_system == "12.5"
    assert asset.first_published_at == datetime.date(2016, 3, 1)
    assert asset.last_updated_at == datetime.date(2024, 12, 31)
    assert asset.contains_personal_data is True
    assert asset.extra == {"controle": "2025-01-02"}


@pytest.mark.django_db
def test_cells_merged_down_give_their_value_to_each_line(amd_user, ministry, organization):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    inventory_sheet(sheet, [row("A"), row("B", org=""), row("C", org="")])
    column = openpyxl.utils.get_column_letter(NAMES.index("nom_orga") + 1)
    sheet.merge_cells(f"{column}2:{column}4")
    job = analyse(amd_user, ministry, workbook_bytes(workbook), "inventaire.xlsx")
    assert job.report["counts"]["created"] == 3, job.report["rows"]
    assert any(f"{column}2:{column}4" in n for n in job.report["notices"])
    apply(job, amd_user)
    assert set(DataAsset.objects.values_list("organization", flat=True)) == {organization.pk}


@pytest.mark.django_db
def test_cells_merged_down_do_not_fill_a_default_organisation(amd_user, ministry, organization):
    # Without the merge, the empty cells would silently take the form's default organisation.
    other = type(organization).objects.create(
        ministry=ministry, name="Autre direction", kind=organization.kind
    )
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    inventory_sheet(sheet, [row("A", org="Autre direction"), row("B", org="")])
    column = openpyxl.utils.get_column_letter(NAMES.index("nom_orga") + 1)
    sheet.merge_cells(f"{column}2:{column}3")
    job = analyse(
        amd_user, ministry, workbook_bytes(workbook), "i.xlsx", default_organization=organization
    )
    apply(job, amd_user)
    assert set(DataAsset.objects.values_list("organization", flat=True)) == {other.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ("B2:C2", "Les cellules B2:C2 (à partir de la ligne 2) sont fusionnées sur plusieurs"),
        ("A1:B1", "Les cellules A1:B1 de l'en-tête (ligne 1) sont fusionnées"),
        ("A1:A2", "sur plusieurs lignes (A1:A2)"),
    ],
)
def test_cells_merged_across_columns_or_the_header_are_refused_naming_them(
    amd_user, ministry, organization, cells, expected
):
    workbook = openpyxl.Workbook()
    inventory_sheet(workbook.active, [row(), row("Deuxième")])
    workbook.active.merge_cells(cells)
    assert expected in refused(amd_user, ministry, workbook_bytes(workbook), "i.xlsx")


@pytest.mark.django_db
def test_hidden_rows_are_imported_and_the_report_says_so(amd_user, ministry, organization):
    workbook = openpyxl.Workbook()
    inventory_sheet(workbook.active, [row("A"), row("B"), row("C")])
    workbook.active.row_dimensions[3].hidden = True
    job = analyse(amd_user, ministry, workbook_bytes(workbook), "inventaire.xlsx")
    assert job.report["counts"]["created"] == 3
    assert any("masquées" in n and "(3)" in n for n in job.report["notices"])


@pytest.mark.django_db
def test_a_formula_error_is_refused_naming_its_cell(amd_user, ministry, organization):
    workbook = openpyxl.Workbook()
    inventory_sheet(workbook.active, [row(), row("Deuxième")])
    data = workbook_bytes(workbook)
    # As a spreadsheet saves a failed lookup: the formula and its error value.
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(
                    rb'<c r="G3"[^>]*>.*?</c>',
                    b'<c r="G3" t="e"><f>VLOOKUP(A3,Listes!A:B,2,0)</f><v>#N/A</v></c>',
                    content,
                )
            target.writestr(item, content)
    message = refused(amd_user, ministry, out.getvalue(), "inventaire.xlsx")
    assert "G3 (ligne 3, colonne G)" in message and "« #N/A »" in message


# --- Dates ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dates_as_french_users_type_them(amd_user, ministry, organization):
    rows = [
        row("Française", date_maj="31/12/2024"),
        row("Iso", date_maj="2024-12-31"),
        row("Courte", date_maj="31/12/24"),
        row("Courte ancienne", date_maj="1/2/98"),
        row("Série Excel", date_maj="45657"),
        row("Avec heure", date_maj="31/12/2024 17:45"),
    ]
    job = analyse(amd_user, ministry, csv_bytes(rows))
    assert job.report["counts"]["created"] == 6, job.report["rows"]
    warnings = {r["title"]: r["warnings"] for r in job.report["rows"]}
    assert warnings["Française"] == warnings["Iso"] == warnings["Avec heure"] == []
    assert warnings["Courte"] == [
        "date_maj : « 31/12/24 » : année sur deux chiffres, comprise comme 2024 (le 31/12/2024)."
    ]
    assert "comprise comme 1998" in warnings["Courte ancienne"][0]
    assert "numéro de série de date Excel : le 31/12/2024" in warnings["Série Excel"][0]
    apply(job, amd_user)
    dates = dict(DataAsset.objects.values_list("title", "last_updated_at"))
    assert dates["Courte ancienne"] == datetime.date(1998, 2, 1)
    assert {d for t, d in dates.items() if t != "Courte ancienne"} == {datetime.date(2024, 12, 31)}


@pytest.mark.django_db
def test_bare_serial_dates_of_a_1904_workbook_are_counted_from_1904(
    amd_user, ministry, organization
):
    """Excel for Mac before 2011 counts from 1 January 1904: a date cell that lost its format
    there holds 1,462 days fewer than the same date in a Windows workbook."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    ExtraFieldDefinition.objects.create(
        ministry=ministry, code="controle", label="Dernier contrôle", kind="DATE"
    )
    names = [*NAMES, "Dernier contrôle"]
    workbook = openpyxl.Workbook()
    workbook.epoch = CALENDAR_MAC_1904
    sheet = workbook.active
    sheet.append(names)
    bare = row("Sans format", date_maj=44195, date_pub=44195.75)
    bare["Dernier contrôle"] = 44196
    formatted = row("Avec format", date_maj=datetime.date(2024, 12, 31))
    for values in (bare, formatted):
        sheet.append([values.get(n, "") for n in names])
    data = workbook_bytes(workbook)
    assert b'date1904="1"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml")
    job = analyse(amd_user, ministry, data, "inventaire-mac.xlsx")
    assert job.report["counts"]["created"] == 2, job.report["rows"]
    warnings = {r["title"]: r["warnings"] for r in job.report["rows"]}
    assert "numéro de série de date Excel : le 31/12/2024" in warnings["Sans format"][0]
    assert warnings["Avec format"] == []
    apply(job, amd_user)
    assets = {a.title: a for a in DataAsset.objects.all()}
    assert assets["Sans format"].last_updated_at == datetime.date(2024, 12, 31)
    assert assets["Sans format"].first_published_at == datetime.date(2024, 12, 31)
    assert assets["Sans format"].extra == {"controle": "2025-01-01"}
    assert assets["Avec format"].last_updated_at == datetime.date(2024, 12, 31)


@pytest.mark.django_db
def test_a_windows_workbook_keeps_counting_serial_dates_from_1899(amd_user, ministry, organization):
    workbook = openpyxl.Workbook()
    inventory_sheet(workbook.active, [row("Sans format", date_maj=45657)])
    job = analyse(amd_user, ministry, workbook_bytes(workbook), "inventaire.xlsx")
    apply(job, amd_user)
    assert DataAsset.objects.get().last_updated_at == datetime.date(2024, 12, 31)


@pytest.mark.django_db
def test_impossible_dates_are_refused_with_line_column_and_reason(amd_user, ministry, organization):
    rows = [
        row("Février", date_maj="31/02/2024"),
        row("Américaine", date_pub="12/31/2024"),
        row("Année seule", date_maj="2016"),
        row("Courte impossible", date_maj="30/02/24"),
        row("Bon"),
    ]
    job = analyse(amd_user, ministry, csv_bytes(rows))
    assert job.report["counts"]["rejected"] == 4
    assert _errors(job, 2) == [
        ("date_maj", "La date « 31/02/2024 » n'est pas valide : février 2024 compte 29 jours.")
    ]
    ((column, message),) = _errors(job, 3)
    assert column == "date_pub" and "pas de mois n° 31" in message and "JJ/MM/AAAA" in message
    ((column, message),) = _errors(job, 4)
    assert column == "date_maj" and "« 2016 » n'est pas valide" in message
    assert _errors(job, 5) == [
        ("date_maj", "La date « 30/02/24 » n'est pas valide : février 2024 compte 29 jours.")
    ]
    apply(job, amd_user)
    assert list(DataAsset.objects.values_list("title", flat=True)) == ["Bon"]


@pytest.mark.django_db
def test_a_planned_publication_date_is_read_the_same_way(amd_user, ministry, organization):
    header = f"{HEADER},statut_ouverture,date_publication_prevue"
    rows = [row(statut_ouverture="À publier", date_publication_prevue="31/02/2099")]
    job = analyse(amd_user, ministry, csv_bytes(rows, header=header))
    assert (
        "date_publication_prevue",
        "La date « 31/02/2099 » n'est pas valide : février 2099 compte 28 jours.",
    ) in _errors(job, 2)


@pytest.mark.django_db
def test_the_import_page_tells_which_sheet_and_line_were_read(
    amd_user, amd_client, ministry, organization
):
    """The dry run's page says how the file was read (sheet, header line), escaped."""
    workbook = openpyxl.Workbook()
    workbook.active.title = "Mode d'emploi"
    workbook.active.append(["Remplissez une ligne par jeu de données."])
    inventory_sheet(workbook.create_sheet("<b>Inventaire"), [row()], above=[["Cartographie 2026"]])
    job = analyse(amd_user, ministry, workbook_bytes(workbook), "inventaire.xlsx")
    assert job.report["notices"]
    html = amd_client.get(f"/inventaire/import/{job.pk}/").content.decode()
    assert "Lecture du fichier" in html
    for notice in job.report["notices"]:
        assert re.sub(r"[&<>\"']", "", notice)[:20] in re.sub(r"&[a-z#0-9]+;", "", html)
    assert "&lt;b&gt;Inventaire" in html
    assert "<b>Inventaire" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("title", ["Date de dernière mise à jour", "Dernière mise à jour"])
def test_a_hand_typed_last_update_header_is_the_last_update_column(
    amd_user, ministry, organization, title
):
    data = (
        f"titre;description;nom_orga;{title}\r\n"
        f"Arbres vivants;Inventaire des arbres;{organization.name};2024-03-01\r\n"
    ).encode()
    job = analyse(amd_user, ministry, data)
    assert job.report["counts"]["created"] == 1, job.report
    apply(job, amd_user)
    assert DataAsset.objects.get().last_updated_at == datetime.date(2024, 3, 1)


@pytest.mark.django_db
def test_the_import_page_names_the_listed_rows_and_counts_in_french(
    amd_user, amd_client, ministry, organization
):
    data = (
        f"{SHORT}\r\n"
        f"Arbres vivants;Inventaire des arbres;{organization.name};2024-03-01\r\n"
        f"Arbres morts;Inventaire des souches;{organization.name};31/02/2024\r\n"
    ).encode()
    job = analyse(amd_user, ministry, data)
    page = amd_client.get(f"/inventaire/import/{job.pk}/").content.decode()
    assert "La ligne rejetée sera laissée de côté." in page
    assert "Lignes à examiner : 1 ligne</caption>" in page
    assert 'aria-current="page">Lignes à examiner</a>' in page
    assert '<a href="/inventaire/">Inventaire</a>' in page.replace(
        ' class="fr-breadcrumb__link"', ""
    )
