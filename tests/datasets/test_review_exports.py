"""Review: every export path neutralises formulas, headers included (extra-field labels)."""

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook

from datasets import importing
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
    # A text cell with Excel's quote prefix: shown as typed, never a formula.
    sheet = load_workbook(io.BytesIO(data)).active
    label = next(c for c in sheet[1] if c.value == "=1+1")
    assert label.data_type == "s" and label.quotePrefix
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml


def _qualify_with_two_justifications(amd_user, asset):
    from core.models import LegalGround
    from datasets import services
    from datasets.validation import GroundInput, QualificationInput

    grounds = LegalGround.objects.filter(regime="ABSOLU").order_by("code")[:2]
    services.asset_qualify(
        actor=amd_user,
        asset=asset,
        qualification=QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(ground=g, justification_internal=f"Justification {i}")
                for i, g in enumerate(grounds)
            ],
        ),
    )


def _analyse(amd_user, ministry, data):
    from datasets.tasks import import_analyse

    job = importing.import_job_create(
        actor=amd_user, ministry=ministry, filename="export.csv", data=data
    )
    import_analyse(job.pk)
    job.refresh_from_db()
    return job.report["counts"]


def test_extended_export_of_distinct_justifications_reimports_unchanged(
    amd_client, amd_user, ministry
):
    asset = AssetFactory(organization__ministry=ministry)
    _qualify_with_two_justifications(amd_user, asset)
    data = b"".join(amd_client.get(f"/inventaire/export.csv?ministere={ministry.code}&etendu=1"))
    assert "Justification 0 / Justification 1" in data.decode()
    assert _analyse(amd_user, ministry, data)["unchanged"] == 1


def test_extended_export_made_without_internal_justifications_never_erases_them(
    amd_user, ministry, organization, correspondent_client
):
    asset = AssetFactory(organization=organization)
    _qualify_with_two_justifications(amd_user, asset)
    data = b"".join(
        correspondent_client.get(f"/inventaire/export.csv?ministere={ministry.code}&etendu=1")
    )
    assert "Justification 0" not in data.decode()
    assert _analyse(amd_user, ministry, data)["unchanged"] == 1
