"""Review: every export path neutralises formulas, headers included (extra-field labels)."""

import csv
import io

import pytest
from openpyxl import load_workbook

from datasets.importing import read_source
from tests.datasets.factories import AssetFactory, ExtraFieldFactory

pytestmark = pytest.mark.django_db

LABEL = '=HYPERLINK("http://x";"clic")'


def test_extended_csv_header_neutralises_an_extra_field_label_and_reimports(amd_client, ministry):
    ExtraFieldFactory(ministry=ministry, code="lien", label=LABEL)
    AssetFactory(organization__ministry=ministry)
    data = b"".join(amd_client.get(f"/inventaire/export.csv?ministere={ministry.code}&etendu=1"))
    header = next(csv.reader(io.StringIO(data.decode())))
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in header)
    assert "'" + LABEL in header
    # The neutralised label still maps back to its field when the file is imported again.
    source = read_source(data, "export.csv", ministry)
    assert "lien" in source.extra_codes


def test_xlsx_header_never_holds_a_formula_from_an_extra_field_label(amd_client, ministry):
    ExtraFieldFactory(ministry=ministry, label="=1+1")
    AssetFactory(organization__ministry=ministry)
    data = b"".join(amd_client.get(f"/inventaire/export.xlsx?ministere={ministry.code}"))
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "=1+1" not in header
    assert "'=1+1" in header
