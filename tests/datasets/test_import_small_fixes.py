"""Import messages found wrong by the QA pass: a formula with no computed value read as an
empty cell (« Ce champ est obligatoire »), words in an e-mail column read as several addresses."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from datasets.models import DataAsset, ImportJob
from datasets.tabular import FileRejected
from tests.datasets.test_import import HEADER, analyse, csv_bytes, row

pytestmark = pytest.mark.django_db


def _xlsx_with_formula() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    names = HEADER.split(",")
    sheet.append(names)
    values = [row().get(n, "") for n in names]
    values[names.index("description")] = '=CONCATENATE("Arbres ", "vivants")'
    sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)  # openpyxl computes nothing: the formula has no value
    return out.getvalue()


def test_a_formula_without_value_is_named_not_read_as_empty(amd_user, ministry, organization):
    """Refused on upload, as any unreadable file: no job, nothing written."""
    with pytest.raises(FileRejected) as refused:
        analyse(amd_user, ministry, _xlsx_with_formula(), "inventaire.xlsx")
    column = HEADER.split(",").index("description")
    cell = f"{chr(ord('A') + column)}2"
    assert (
        f"La cellule {cell} contient une formule sans valeur calculée" in refused.value.messages[0]
    )
    assert not DataAsset.objects.exists() and not ImportJob.objects.exists()


def test_a_formula_with_its_computed_value_is_read(amd_user, ministry, organization):
    """As a spreadsheet program saves it: the formula and its value (`<v>`)."""
    source = zipfile.ZipFile(io.BytesIO(_xlsx_with_formula()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(rb'<c r="([A-Z]+2)"><f>', rb'<c r="\1" t="str"><f>', body)
                body = body.replace(b"<v />", b"<v>Arbres vivants</v>")
            target.writestr(item, body)
    job = analyse(amd_user, ministry, out.getvalue(), "inventaire.xlsx")
    assert job.report["counts"]["created"] == 1


@pytest.mark.parametrize(
    ("contact", "kept", "message"),
    [
        ("a@exemple.gouv.fr; b@exemple.gouv.fr", "a@exemple.gouv.fr", "plusieurs adresses"),
        ("écrire à a@exemple.gouv.fr", "a@exemple.gouv.fr", "seule l'adresse"),
        ("Jean Dupont <jean@exemple.gouv.fr>", "jean@exemple.gouv.fr", "seule l'adresse"),
    ],
)
def test_the_addresses_of_an_email_cell(amd_user, ministry, organization, contact, kept, message):
    job = analyse(amd_user, ministry, csv_bytes([row(contact_service=contact)]))
    report = job.report["rows"][0]
    assert any(message in w and f"({kept})" in w for w in report["warnings"]), report
    assert report["action"] == "created"


def test_words_in_an_email_cell_are_one_invalid_address(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, csv_bytes([row(contact_service="pas un courriel")]))
    report = job.report["rows"][0]
    assert report["action"] == "rejected"
    assert not any("plusieurs adresses" in w for w in report["warnings"])


def _with_sheet(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = change(body)
            target.writestr(item, body)
    return out.getvalue()


def test_a_formula_whose_result_is_empty_text_is_no_uncomputed_formula(
    amd_user, ministry, organization
):
    """Review: =SI(A2="";"";A2) saved by a spreadsheet program is `t="str"` and `<v></v>`.
    Here in the description, which then reads as empty: the row says the field is required,
    the file itself is accepted."""

    def empty_text(body: bytes) -> bytes:
        body = re.sub(rb'<c r="([A-Z]+2)"><f>', rb'<c r="\1" t="str"><f>', body)
        return body.replace(b"<v />", b"<v></v>")

    job = analyse(amd_user, ministry, _with_sheet(_xlsx_with_formula(), empty_text), "i.xlsx")
    assert job.report["rows"][0]["action"] == "rejected"
    assert "obligatoire" in str(job.report["rows"][0]["errors"])


def test_a_formula_in_the_header_row_does_not_refuse_the_file(amd_user, ministry, organization):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    names = HEADER.split(",")
    sheet.append(names)
    sheet.append([row().get(n, "") for n in names])
    sheet.cell(row=1, column=len(names) + 1, value='=CONCATENATE("col", "onne")')
    out = io.BytesIO()
    workbook.save(out)
    job = analyse(amd_user, ministry, out.getvalue(), "inventaire.xlsx")  # no column name
    assert job.report["counts"]["created"] == 1
