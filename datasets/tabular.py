"""Read an uploaded spreadsheet (CSV or XLSX) safely, with French messages for every refusal.

Shared by every import of the portal (inventory, roadmaps). It knows nothing about columns: it
turns bytes into a header and numbered rows of strings, and refuses what it cannot read safely.

- CSV: comma, semicolon or tab (detected on the header line); UTF-8 with or without BOM, or
  Windows-1252 (the encoding Excel uses when it saves "CSV (séparateur : point-virgule)").
  UTF-16, binary content and files mixing encodings are refused.
- XLSX: the zip directory is inspected *before* openpyxl opens it: a file that is not a zip, a
  zip that is not a workbook, too many members or an uncompressed size above the limit
  (a "zip bomb" inflating to gigabytes) are refused. Python's zipfile never inflates a member
  beyond the size its directory declares, so checking the declared sizes is enough. openpyxl
  parses the XML through defusedxml (installed) and runs in read-only mode.
- Size: anything above `settings.IMPORT_MAX_BYTES` is refused before being read.

Rows are numbered as a spreadsheet shows them: the header is line 1, the first data row line 2.
Blank rows are skipped (their number is kept, so later lines keep their spreadsheet number).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

Row = tuple[int, list[str]]

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls) and other OLE compound files
UTF8_BOM = b"\xef\xbb\xbf"
MAX_COLUMNS = 200
MAX_ZIP_MEMBERS = 5_000
# The longest CSV cell read (Python's default limit, set again before each read: a library may
# have raised this process-wide setting). Far beyond any text of an entry (20,000 characters).
MAX_CSV_CELL = 131_072
# Telltales of UTF-8 text decoded as Windows-1252 ("Ã©" for "é", "â€™" for "’").
_MOJIBAKE = re.compile("Ã[\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e]|â€")


class FileRejected(ValidationError):
    """The file cannot be read at all (nothing of it is imported)."""


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def max_uncompressed_bytes() -> int:
    """What a workbook may inflate to: ten times the upload limit, at least 100 MB."""
    default = max(100 * 1024 * 1024, 10 * max_bytes())
    return int(getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", default))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} Mo" if size >= 1024 * 1024 else f"{size} octets"


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise FileRejected(
            _(
                "Le fichier pèse %(size)s, au-delà de la limite de %(limit)s. Découpez-le en "
                "plusieurs fichiers plus petits."
            )
            % {"size": _megabytes(size), "limit": _megabytes(limit)},
            code="too_large",
        )


def read_upload(uploaded: Any) -> bytes:
    """Bytes of a Django UploadedFile, refused *before* reading when it is above the limit."""
    size = getattr(uploaded, "size", None)
    if size is not None:
        check_size(int(size))
    chunks: list[bytes] = []
    total = 0
    for chunk in uploaded.chunks():
        total += len(chunk)
        check_size(total)
        chunks.append(chunk)
    return b"".join(chunks)


def detect_format(data: bytes, filename: str = "") -> str:
    """'xlsx', 'csv' or 'json' from the content first, the file name second."""
    name = filename.lower()
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise FileRejected(
            _(
                "Le format Excel 97-2003 (.xls) n'est pas pris en charge : enregistrez le "
                "classeur au format XLSX ou CSV."
            ),
            code="xls",
        )
    if name.endswith((".xlsx", ".xlsm")):
        raise FileRejected(
            _("Le fichier « %(name)s » n'est pas un classeur Excel (XLSX) valide.")
            % {"name": filename},
            code="not_xlsx",
        )
    if name.endswith(".json") or data.lstrip(UTF8_BOM + b" \t\r\n")[:1] in (b"{", b"["):
        return "json"
    return "csv"


# --- Text ---------------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name). UTF-8 (BOM or not) first, then Windows-1252."""
    if not data.strip():
        raise FileRejected(_("Le fichier est vide."), code="empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRejected(
            _(
                "Le fichier est encodé en UTF-16, qui n'est pas pris en charge : enregistrez-le "
                "en CSV UTF-8."
            ),
            code="encoding",
        )
    if b"\x00" in data[:65536]:
        raise FileRejected(
            _(
                "Le fichier contient des octets binaires : ce n'est pas un fichier texte CSV "
                "(ou son encodage n'est pas pris en charge). Enregistrez-le en CSV UTF-8."
            ),
            code="encoding",
        )
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _encoding_error() from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise _encoding_error() from exc
    if _MOJIBAKE.search(text):
        raise FileRejected(
            _(
                "L'encodage du fichier est incohérent (UTF-8 et Windows-1252 mélangés : des "
                "caractères comme « Ã© » apparaissent). Enregistrez-le en CSV UTF-8."
            ),
            code="encoding",
        )
    return text, "cp1252"


def _encoding_error() -> FileRejected:
    return FileRejected(
        _(
            "L'encodage du fichier n'est pas reconnu : enregistrez-le en CSV UTF-8 (ou "
            "Windows-1252)."
        ),
        code="encoding",
    )


def detect_delimiter(header_line: str) -> str:
    """The separator that splits the header line into the most columns (, ; or tab)."""
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


# --- Table --------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value.__class__ is str:  # every CSV cell: the one case worth a shortcut
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _check_header(header: list[str]) -> list[str]:
    cleaned = [h.strip().lstrip("\ufeff").strip() for h in header]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    if not cleaned:
        raise FileRejected(_("La première ligne (l'en-tête des colonnes) est vide."), code="header")
    if len(cleaned) > MAX_COLUMNS:
        raise FileRejected(
            _("Le fichier compte %(n)d colonnes ; au plus %(max)d sont acceptées.")
            % {"n": len(cleaned), "max": MAX_COLUMNS},
            code="columns",
        )
    seen: set[str] = set()
    for name in cleaned:
        key = name.lower()
        if not key:
            raise FileRejected(
                _("Une colonne de l'en-tête n'a pas de nom (colonne vide au milieu)."),
                code="header",
            )
        if key in seen:
            raise FileRejected(
                _("La colonne « %(name)s » apparaît deux fois dans l'en-tête.") % {"name": name},
                code="header",
            )
        seen.add(key)
    return cleaned


@dataclass
class Table:
    """A header and its data rows. Iterable more than once (each pass re-reads the bytes)."""

    header: list[str]
    format: str
    encoding: str
    delimiter: str
    _data: bytes | str

    def __iter__(self) -> Iterator[Row]:
        if self.format == "xlsx":
            assert isinstance(self._data, bytes)
            rows = _xlsx_rows(self._data)
            next(rows, None)  # header
            yield from _numbered(rows)
        else:
            assert isinstance(self._data, str)
            csv.field_size_limit(MAX_CSV_CELL)
            reader = csv.reader(io.StringIO(self._data, newline=""), delimiter=self.delimiter)
            records = _Counted(reader)
            try:
                next(records, None)
                yield from _numbered(records)
            except csv.Error as exc:
                raise _csv_error(exc, records.count + 1) from exc

    def count(self) -> int:
        return sum(1 for _ in self)


class _Counted:
    """The rows of a CSV reader, counted (the spreadsheet's line of a row that cannot be read is
    the count plus one; the reader's own `line_num` counts the line breaks inside cells too)."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.count = 0

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> list[str]:
        row: list[str] = next(self.reader)
        self.count += 1
        return row


def _csv_error(exc: csv.Error, line: int) -> FileRejected:
    """A French refusal for what Python's csv module could not read (its messages are English)."""
    if "field larger than field limit" in str(exc):
        return FileRejected(
            _(
                "Le fichier CSV est illisible à la ligne %(line)d : une cellule y dépasse "
                "%(limit)s caractères, au-delà de la limite. Raccourcissez-la, ou vérifiez "
                "qu'un guillemet n'y est pas resté ouvert (le reste du fichier serait alors lu "
                "comme une seule cellule)."
            )
            % {"line": line, "limit": f"{MAX_CSV_CELL:_}".replace("_", "\u00a0")},
            code="csv",
        )
    return FileRejected(
        _(
            "Le fichier CSV est mal formé à la ligne %(line)d (guillemet mal placé ou non "
            "refermé ?) : corrigez-la puis déposez à nouveau le fichier."
        )
        % {"line": line},
        code="csv",
    )


def _numbered(rows: Any) -> Iterator[Row]:
    for index, raw in enumerate(rows, start=2):
        cells = [_cell_text(v) for v in raw]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            yield index, cells


def read_table(data: bytes, filename: str = "") -> Table:
    """Open a CSV or XLSX file, check its header, and refuse it if it has no data row."""
    check_size(len(data))
    if not data.strip():
        raise FileRejected(_("Le fichier est vide."), code="empty")
    kind = detect_format(data, filename)
    if kind == "json":
        raise FileRejected(
            _("Le fichier « %(name)s » n'est pas un tableau CSV ou XLSX.") % {"name": filename},
            code="format",
        )
    if kind == "xlsx":
        check_xlsx_archive(data)
        rows = _xlsx_rows(data)
        first = next(rows, None)
        header = [_cell_text(v) for v in first] if first else []
        if not any(header):
            raise FileRejected(_("Le classeur est vide."), code="empty")
        table = Table(_check_header(header), "xlsx", "", "", data)
    else:
        text, encoding = decode_text(data)
        first_line = text.lstrip("\ufeff").split("\n", 1)[0]
        delimiter = detect_delimiter(first_line)
        csv.field_size_limit(MAX_CSV_CELL)
        try:
            header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except (StopIteration, csv.Error) as exc:
            raise FileRejected(_("L'en-tête du fichier CSV est illisible."), code="csv") from exc
        table = Table(_check_header(header), "csv", encoding, delimiter, text)
    if next(iter(table), None) is None:
        raise FileRejected(
            _("Le fichier ne contient que la ligne d'en-tête : aucune ligne de données."),
            code="header_only",
        )
    return table


# --- XLSX ---------------------------------------------------------------------------------


def check_xlsx_archive(data: bytes) -> None:
    """Refuse what is not a workbook, or would inflate beyond the limit, before opening it."""
    not_xlsx = FileRejected(
        _("Le fichier n'est pas un classeur Excel (XLSX) valide."), code="not_xlsx"
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise not_xlsx from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise not_xlsx
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise FileRejected(
                _(
                    "L'archive n'est pas un classeur Excel (XLSX) : il y manque le classeur "
                    "(xl/workbook.xml). Un document Word ou une archive ZIP ne peut pas être "
                    "importé."
                ),
                code="not_xlsx",
            )
        total = sum(m.file_size for m in members)
        limit = max_uncompressed_bytes()
        if total > limit:
            raise FileRejected(
                _(
                    "Le classeur se décompresse en %(size)s, au-delà de la limite de %(limit)s : "
                    "il est refusé par sécurité."
                )
                % {"size": _megabytes(total), "limit": _megabytes(limit)},
                code="zip_bomb",
            )
        if any(m.flag_bits & 0x1 for m in members):
            raise FileRejected(
                _("Le classeur est protégé par un mot de passe : enregistrez-le sans protection."),
                code="encrypted",
            )


def _xlsx_rows(data: bytes) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise FileRejected(
            _("Le classeur Excel (XLSX) est illisible : %(error)s.")
            % {"error": type(exc).__name__},
            code="not_xlsx",
        ) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        try:
            yield from sheet.iter_rows(values_only=True)
        except Exception as exc:  # a member whose zip entry lies about its size, broken XML…
            raise FileRejected(
                _("Le classeur Excel (XLSX) est endommagé : %(error)s.")
                % {"error": type(exc).__name__},
                code="not_xlsx",
            ) from exc
    finally:
        workbook.close()
