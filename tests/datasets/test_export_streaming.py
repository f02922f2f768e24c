"""CSV export internals: the hand-written CSV lines match the csv module, and the rows read in
chunks keep each entry's formats, with a query count that does not grow with the entries (the
extended export adds one query per chunk, for the grounds)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from datasets import exporting
from datasets.models import ExtraFieldDefinition, Format
from tests.datasets.test_export import body, make_asset

TRICKY = [
    "",
    "simple",
    "virgule, dedans",
    'guillemet " dedans',
    '"entre guillemets"',
    "ligne\nsuivante",
    "retour\rchariot",
    "fin\r\n",
    "tab\tulation",
    "'=formule",
    " espaces ",
    "accents éàü — € \u2028 \x85",
    "point-virgule ; ici",
]


def csv_module_line(values: Sequence[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


@pytest.mark.parametrize("cell", TRICKY)
def test_csv_line_writes_each_cell_as_the_csv_module_does(cell):
    for values in ([cell], [cell, "b"], ["a", cell, cell], [None, cell, 12]):
        assert exporting.csv_line(values) == csv_module_line(values)


def export_text(client, path: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        text = body(client.get(path)).decode("utf-8")
    return text, len(queries.captured_queries)


@pytest.mark.django_db
def test_csv_export_across_chunks_keeps_formats_and_a_flat_query_count(
    amd_client, ministry, organization, monkeypatch
):
    monkeypatch.setattr(exporting, "CHUNK", 2)
    json_format, _ = Format.objects.get_or_create(name="JSON")
    pdf, _ = Format.objects.get_or_create(name="PDF")
    ExtraFieldDefinition.objects.create(
        ministry=ministry, code="volume", label="Volume", kind=ExtraFieldDefinition.Kind.TEXT
    )

    made: list[object] = []

    def add(count: int) -> None:
        for i in range(len(made), len(made) + count):
            asset = make_asset(ministry, organization, f"Entrée {i:02d}", extra={"volume": f"v{i}"})
            if i % 3 == 1:
                asset.formats.add(json_format)
            if i % 3 == 2:
                asset.formats.set([pdf])  # the CSV format taken off: PDF alone
            made.append(asset)

    add(3)
    path = f"/inventaire/export.csv?ministere={ministry.code}"
    _, few = export_text(amd_client, path)
    _, few_extended = export_text(amd_client, path + "&etendu=1")
    add(4)
    text, many = export_text(amd_client, path)
    extended, many_extended = export_text(amd_client, path + "&etendu=1")

    # 3 entries in 2 chunks of 2, then 7 in 4. PostgreSQL: the formats come with the rows
    # (elsewhere one query per chunk reads them); the extended export reads the grounds once
    # per chunk.
    per_chunk = 0 if connection.vendor == "postgresql" else 1
    assert many - few == 2 * per_chunk
    assert many_extended - few_extended == 2 * (1 + per_chunk)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 8
    expected = {0: "CSV", 1: "CSV,JSON", 2: "PDF"}
    formats = rows[0].index("format")
    for row in rows[1:]:
        number = int(row[0].split()[-1])
        assert row[formats] == expected[number % 3], row
    # The lines are the csv module's, cell for cell.
    assert text == "".join(csv_module_line(row) for row in rows)
    extended_rows = list(csv.reader(io.StringIO(extended)))
    assert extended_rows[0][-1] == "Volume"
    assert sorted(r[-1] for r in extended_rows[1:]) == [f"v{i}" for i in range(7)]
    assert [r[:17] for r in extended_rows] == rows
