"""Read an uploaded spreadsheet (CSV or XLSX) safely, with French messages for every refusal.

Shared by every import of the portal (inventory, roadmaps). It knows nothing about columns: it
turns bytes into a header and numbered rows of strings, and refuses what it cannot read safely.

- CSV: comma, semicolon or tab (detected on the header line), or the separator named by a first
  line `sep=;` (Excel's directive, which Excel hides: the line after it is line 1); line ends
  CRLF, LF or CR alone (old Mac files); UTF-8 with or without BOM, or
  Windows-1252 (the encoding Excel uses when it saves "CSV (séparateur : point-virgule)").
  UTF-16 and UTF-32 (with or without BOM), binary files and files mixing encodings are refused,
  each with what to do instead (see `decode_text` for how a binary file is told from a text).
- A NUL character (U+0000) in a cell of a text CSV (old tools leave one now and then) refuses
  the file naming its line and column; a caller that refuses such cells row by row itself (the
  inventory import) asks for them with `read_table(..., keep_nul=True)`. PostgreSQL stores no
  NUL in a text, so no caller may let one through.
- XLSX: the zip directory is inspected *before* openpyxl opens it: a file that is not a zip, a
  zip that is not a workbook, too many members or an uncompressed size above the limit
  (a "zip bomb" inflating to gigabytes) are refused. Python's zipfile never inflates a member
  beyond the size its directory declares, so checking the declared sizes is enough. openpyxl
  parses the XML through defusedxml (installed) and runs in read-only mode.
- Size: anything above `settings.IMPORT_MAX_BYTES` is refused before being read.

- Which sheet, which row: without `is_header`, the first sheet and its first row. A caller that
  can tell a header row (`read_table(..., is_header=...)`) gets the visible sheet whose header
  it recognises, on row 1 or below a few title rows (`MAX_TITLE_ROWS`); two such sheets refuse
  the workbook, naming them. `Table.notices` says what was read (sheet, header line) and what
  was done (merged cells, hidden rows), for the report.
- XLSX cells: dates as ISO dates (a time of midnight dropped), whole numbers without « .0 »,
  booleans as « oui » / « non ». A cell holding a formula error (#N/A, #REF!…) refuses the file,
  naming it. Cells merged down one column (a value shown once for several rows) give their value
  to each row; cells merged across columns below the title rows refuse the file, naming them.

Rows are numbered as a spreadsheet shows them: the header is line 1 (or the line it is on below
title rows), the first data row the next one. Blank rows are skipped (their number is kept, so
later lines keep their spreadsheet number).
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

Row = tuple[int, list[str]]
# Whether a row (its cells, stripped) is the header row the caller expects.
HeaderTest = Callable[[list[str]], bool]

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls) and other OLE compound files
UTF8_BOM = b"\xef\xbb\xbf"
# What a file's first bytes say it is, when that is no table (a ".csv" name does not make a PDF
# a table). Zip and OLE files are dealt with above (XLSX_MAGIC, OLE_MAGIC).
_NOT_A_TABLE = (
    (b"%PDF-", "un document PDF"),
    (b"PK\x05\x06", "une archive ZIP"),  # an empty archive (a full one starts with XLSX_MAGIC)
    (b"PK\x07\x08", "une archive ZIP"),
    (b"\x1f\x8b", "une archive compressée (gzip)"),
    (b"7z\xbc\xaf\x27\x1c", "une archive 7-Zip"),
    (b"Rar!\x1a\x07", "une archive RAR"),
    (b"\x89PNG\r\n\x1a\n", "une image PNG"),
    (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF87a", "une image GIF"),
    (b"GIF89a", "une image GIF"),
)
# How much of a file is looked at to tell a binary file from a text (see `decode_text`).
SNIFF_BYTES = 65_536
# Runs of NULs making up this share of the sniffed bytes: a binary file, not a text with stray
# NULs (or a cell padded with them).
BINARY_NUL_SHARE = 0.10
_NUL_RUN = re.compile(b"\x00+")
# A text never holds, next to a NUL, this many different other control bytes; a binary does.
BINARY_CONTROL_KINDS = 3
# Control characters no cell may hold (as `validation.forbidden_character` says, minus what a
# text decoded from bytes cannot hold): checked here in the header, and for NUL in every cell.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
MAX_COLUMNS = 200
# Rows looked at for the header when the caller can recognise it (a title, a date and blank
# lines above the table are common in hand-kept spreadsheets).
MAX_TITLE_ROWS = 10
# Excel's first line naming the separator (« sep=; »), hidden by Excel when it opens the file.
_SEP_DIRECTIVE = re.compile(r"sep=([^\r\n])[ \t]*(?:\r\n|\r|\n|\Z)", re.IGNORECASE)
_LINE_END = re.compile(r"\r\n?|\n")
MAX_ZIP_MEMBERS = 5_000
# The longest CSV cell read (Python's default limit, set again before each read: a library may
# have raised this process-wide setting). Far beyond any text of an entry (20,000 characters).
MAX_CSV_CELL = 131_072
# Telltales of UTF-8 text decoded as Windows-1252 ("Ã©" for "é", "â€™" for "’").
_MOJIBAKE = re.compile("Ã[\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e]|â€")
# Telltales of ISO-8859-15 (Latin-9, older Linux and Unix exports) read as Windows-1252: the
# bytes of « œ Œ Ÿ » read as « ½ ¼ ¾ » inside a word (« c½ur », « ½uvre »), and that of « € » as
# « ¤ » beside an amount. A Windows-1252 file writes those letters and « € » with the bytes
# 0x80-0x9F, which Latin-9 never uses (`_WINDOWS_ONLY`). Latin-9's « š ž Š Ž » are left out:
# their bytes are « ¨ ¸ ¦ ´ » in Windows-1252, and « l´école » is typed with a real « ´ ».
_LATIN9_LETTER = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][½¼¾]|(?<![^\W\d_])[½¼][A-Za-zÀ-ÖØ-öø-ÿ]")
_LATIN9_EURO = re.compile(r"[0-9] ?¤|¤ ?[0-9]")
_WINDOWS_ONLY = re.compile(b"[\x80-\x9f]")


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
    for magic, kind in _NOT_A_TABLE:
        if data.startswith(magic):
            raise FileRejected(
                _(
                    "Ce fichier est %(kind)s, pas un tableau : importez le tableau lui-même, "
                    "enregistré en CSV UTF-8 ou en classeur Excel (XLSX)."
                )
                % {"kind": kind},
                code="binary",
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
    """(text, encoding name). UTF-8 (BOM or not) first, then Windows-1252, or ISO-8859-15
    (Latin-9) when the text reads as such and not as Windows-1252 (`_LATIN9_LETTER`).

    Refused first, each with what to do: UTF-16 and UTF-32 (`wide_encoding`) and binary files
    (`looks_binary`). A text with a few stray NULs is decoded with them: the caller says where
    they are (`read_table`)."""
    if not data.strip():
        raise FileRejected(_("Le fichier est vide."), code="empty")
    wide = wide_encoding(data)
    if wide == "UTF-16":
        raise FileRejected(
            _(
                "Le fichier est encodé en UTF-16 (ce que donne l'enregistrement « Texte "
                "Unicode » d'Excel), qui n'est pas pris en charge : enregistrez-le en CSV UTF-8 "
                "(dans Excel : Fichier > Enregistrer sous, type « CSV UTF-8 (délimité par des "
                "virgules) ») puis déposez ce fichier."
            ),
            code="encoding",
        )
    if wide == "UTF-32":
        raise FileRejected(
            _(
                "Le fichier est encodé en UTF-32, qui n'est pas pris en charge : enregistrez-le "
                "en CSV UTF-8 puis déposez ce fichier."
            ),
            code="encoding",
        )
    if looks_binary(data):
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
    if (_LATIN9_LETTER.search(text) or _LATIN9_EURO.search(text)) and not _WINDOWS_ONLY.search(
        data
    ):
        return data.decode("iso-8859-15"), "iso-8859-15"
    return text, "cp1252"


def wide_encoding(data: bytes) -> str | None:
    """'UTF-16' or 'UTF-32' when the file is in one of these encodings, else None.

    By its byte order mark, or without one by where its NULs fall: a header is made of Latin
    letters, which UTF-16 writes with a NUL every other byte, and UTF-32 with three NULs out of
    four bytes."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    head = data[:4096]
    head = head[: len(head) - len(head) % 4]
    if len(head) < 8 or b"\x00" not in head:
        return None

    def nuls(start: int, step: int) -> float:
        part = head[start::step]
        return part.count(b"\x00") / len(part)

    quarters = [nuls(k, 4) for k in range(4)]
    if (min(quarters[2:]) >= 0.9 and quarters[0] <= 0.05) or (
        min(quarters[:2]) >= 0.9 and quarters[3] <= 0.05
    ):
        return "UTF-32"
    even, odd = nuls(0, 2), nuls(1, 2)
    if (odd >= 0.7 and even <= 0.05) or (even >= 0.7 and odd <= 0.05):
        return "UTF-16"
    return None


def looks_binary(data: bytes) -> bool:
    """Whether a file holding a NUL in its first `SNIFF_BYTES` is a binary file rather than a
    text with stray NULs. Binary when:

    - a NUL is among its first 4 bytes (no text starts so; many binary formats do);
    - or runs of NULs are at least `BINARY_NUL_SHARE` of those bytes, and of 1 KiB at least: a
      binary file scatters them (a table of integers, say), while a text's stray NULs come
      alone or as one run, the padding of a fixed-width cell some old tools leave (a run at the
      very end of a small file is not counted: it is a line of its own, refused with its
      number);
    - or they hold, besides NULs, `BINARY_CONTROL_KINDS` different other control bytes.

    A file without a NUL there is read as text (its other control characters, and a NUL further
    on, are refused where they are)."""
    head = data[:SNIFF_BYTES]
    if b"\x00" not in head:
        return False
    if b"\x00" in head[:4]:
        return True
    if len(data) <= SNIFF_BYTES:
        head = head.rstrip(b"\x00")
    # The share counts at least 1 KiB: a few NULs in a tiny text are not "many".
    if len(_NUL_RUN.findall(head)) >= BINARY_NUL_SHARE * max(len(head), 1024):
        return True
    others = set(head.translate(None, _NOT_CONTROL_BYTES)) - {0}
    return len(others) >= BINARY_CONTROL_KINDS


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
    for position, name in enumerate(cleaned, start=1):
        control = _CONTROL.search(name)
        if control is not None:
            raise FileRejected(
                _(
                    "La première ligne (l'en-tête des colonnes) contient un caractère de contrôle "
                    "invisible (U+%(code)04X) dans la colonne n° %(position)d (« %(name)s ») : "
                    "retirez-le puis déposez à nouveau le fichier."
                )
                % {
                    "code": ord(control.group()),
                    "position": position,
                    "name": _CONTROL.sub("\ufffd", name)[:60],
                },
                code="header",
            )
        key = name.lower()
        if not key:
            raise FileRejected(
                _(
                    "Une colonne de l'en-tête n'a pas de nom (colonne vide au milieu) : la "
                    "colonne n° %(position)d (%(letter)s). Nommez-la, ou supprimez-la si elle est "
                    "vide."
                )
                % {"position": position, "letter": column_letter(position)},
                code="header",
            )
        if key in seen:
            raise FileRejected(
                _("La colonne « %(name)s » apparaît deux fois dans l'en-tête.") % {"name": name},
                code="header",
            )
        seen.add(key)
    return cleaned


def column_letter(position: int) -> str:
    """A column's letter as a spreadsheet shows it (1 -> A, 27 -> AA)."""
    letters = ""
    while position > 0:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


@dataclass
class Table:
    """A header and its data rows. Iterable more than once (each pass re-reads the bytes).

    `header_line` is the header's line (1 unless title rows are above it); `sheet` the name of
    the sheet read, and `sheet_index` its rank; `merged` the columns (0-based) and lines of the
    cells merged down one column, whose first value each line gets; `notices` what the report
    should say of how the file was read; `date1904` whether the workbook counts its dates from
    1 January 1904 (Excel for Mac before 2011): openpyxl reads its date cells right, but a date
    whose cell lost its format comes as a bare serial number, to be read from that day."""

    header: list[str]
    format: str
    encoding: str
    delimiter: str
    _data: bytes | str
    header_line: int = 1
    sheet: str = ""
    sheet_index: int = 0
    merged: list[tuple[int, int, int]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    date1904: bool = False

    def __iter__(self) -> Iterator[Row]:
        start = self.header_line + 1
        if self.format == "xlsx":
            assert isinstance(self._data, bytes)
            rows: Iterator[tuple[Any, ...]] = itertools.islice(
                _xlsx_rows(self._data, self.sheet_index), self.header_line, None
            )
            if self.merged:
                rows = _fill_merged(rows, start, self.merged)
            yield from _numbered(rows, start)
        else:
            assert isinstance(self._data, str)
            csv.field_size_limit(MAX_CSV_CELL)
            reader = csv.reader(io.StringIO(self._data, newline=""), delimiter=self.delimiter)
            records = _Counted(reader)
            try:
                for _skipped in range(self.header_line):
                    next(records, None)
                yield from _numbered(records, start)
            except csv.Error as exc:
                raise _csv_error(exc, records.count + 1) from exc

    def count(self) -> int:
        return sum(1 for _ in self)


def _fill_merged(
    rows: Iterator[tuple[Any, ...]], start: int, merged: list[tuple[int, int, int]]
) -> Iterator[tuple[Any, ...]]:
    """The rows (the first one being line `start`), each cell of a range merged down one column
    holding the range's first value, as the spreadsheet shows it."""
    first: dict[int, list[tuple[int, int, int]]] = {}
    for column, top, bottom in merged:
        first.setdefault(top, []).append((column, top, bottom))
    active: list[tuple[int, int, Any]] = []  # column, last line, value
    for line, raw in enumerate(rows, start=start):
        cells = list(raw)
        active = [a for a in active if a[1] >= line]
        for column, _last, value in active:
            cells.extend([None] * (column + 1 - len(cells)))
            cells[column] = value
        for column, _top, bottom in first.get(line, ()):
            active.append((column, bottom, cells[column] if column < len(cells) else None))
        yield tuple(cells)


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


def _stray_nul(text: str, delimiter: str, header: list[str]) -> FileRejected:
    """The refusal of a text CSV holding a NUL, naming the line and column of the first one."""
    csv.field_size_limit(MAX_CSV_CELL)
    records = _Counted(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    try:
        for record in records:
            for index, cell in enumerate(record):
                if "\x00" in cell:
                    column = (
                        f"« {header[index]} »"
                        if index < len(header)
                        else _("n° %(n)d, au-delà de l'en-tête") % {"n": index + 1}
                    )
                    return FileRejected(
                        _(
                            "Le fichier contient un caractère nul (U+0000, invisible) à la "
                            "ligne %(line)d, colonne %(column)s : retirez-le puis déposez à "
                            "nouveau le fichier. Ce caractère vient souvent de l'export d'un "
                            "ancien logiciel."
                        )
                        % {"line": records.count, "column": column},
                        code="nul",
                    )
    except csv.Error as exc:
        return _csv_error(exc, records.count + 1)
    return FileRejected(  # not reached: every character of a CSV is in a cell
        _("Le fichier contient un caractère nul (U+0000) : retirez-le."), code="nul"
    )


def _numbered(rows: Any, start: int = 2) -> Iterator[Row]:
    for index, raw in enumerate(rows, start=start):
        cells = [_cell_text(v) for v in raw]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            yield index, cells


def read_table(
    data: bytes,
    filename: str = "",
    *,
    keep_nul: bool = False,
    is_header: HeaderTest | None = None,
) -> Table:
    """Open a CSV or XLSX file, check its header, and refuse it if it has no data row.

    A NUL in a cell of a CSV refuses the file, naming its line and column, unless `keep_nul`:
    the cell then comes as it is, and the caller must refuse it itself (the inventory import
    refuses its row, see `datasets.importing._clean_texts`).

    With `is_header`, the header is the first row it recognises among the first
    `MAX_TITLE_ROWS` (row 1 if none), and a workbook's sheet the visible one holding such a row
    (see `_choose_sheet`)."""
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
        table = _xlsx_table(data, is_header)
    else:
        table = _csv_table(data, is_header)
        if not keep_nul and "\x00" in table._data:
            assert isinstance(table._data, str)
            raise _stray_nul(table._data, table.delimiter, table.header)
    if table.header_line > 1:
        table.notices.insert(
            0,
            _(
                "L'en-tête des colonnes est lu à la ligne %(line)d : les lignes au-dessus (titre "
                "du tableau) ne sont pas importées."
            )
            % {"line": table.header_line},
        )
    if next(iter(table), None) is None:
        raise FileRejected(
            _("Le fichier ne contient que la ligne d'en-tête : aucune ligne de données."),
            code="header_only",
        )
    return table


def _header_row(rows: list[list[str]], is_header: HeaderTest | None) -> int | None:
    """The index of the header among the first rows: the first `is_header` recognises, the first
    row without `is_header`, None if it recognises none."""
    if is_header is None:
        return 0
    for index, cells in enumerate(rows[:MAX_TITLE_ROWS]):
        if any(cells) and is_header(cells):
            return index
    return None


def _csv_table(data: bytes, is_header: HeaderTest | None) -> Table:
    text, encoding = decode_text(data)
    text = text.lstrip("\ufeff")
    directive = _SEP_DIRECTIVE.match(text)
    if directive is not None:
        # Excel's « sep=; » line: it names the separator and is no line of the table.
        text = text[directive.end() :]
        delimiters = [directive.group(1)]
    else:
        first_line = _LINE_END.split(text, 1)[0]
        best = detect_delimiter(first_line)
        delimiters = [best, *(d for d in (";", ",", "\t") if d != best)]
    csv.field_size_limit(MAX_CSV_CELL)
    found: tuple[str, int, list[str]] | None = None
    for delimiter in delimiters:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        first_rows: list[list[str]] = []
        try:
            for record in itertools.islice(reader, MAX_TITLE_ROWS):
                first_rows.append([cell.strip() for cell in record])
        except csv.Error:
            pass  # a row below the header: refused with its line when the rows are read
        if not first_rows:
            if delimiter != delimiters[0]:
                continue
            raise FileRejected(_("L'en-tête du fichier CSV est illisible."), code="csv")
        index = _header_row(first_rows, is_header)
        if index is not None:
            found = (delimiter, index, first_rows[index])
            break
        if found is None:  # nothing recognised: the first separator's first row
            found = (delimiter, 0, first_rows[0])
    assert found is not None
    delimiter, index, header = found
    table = Table(_check_header(header), "csv", encoding, delimiter, text, header_line=index + 1)
    if encoding == "iso-8859-15":
        table.notices.append(
            _(
                "Fichier lu en ISO-8859-15 (Latin-9) : ses « œ », « Œ » et « € » ne s'y lisent "
                "pas autrement. Vérifiez-les dans le rapport ; au besoin, enregistrez le fichier "
                "en CSV UTF-8."
            )
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


# A formula cell: its reference, its other attributes, what follows the formula (a value or not).
_FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]+)([0-9]+)"([^>]*)>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(<v\s*/>|<v>[^<]*</v>)?'
)


def _uncomputed(attributes: bytes, value: bytes | None) -> bool:
    """No value computed: no `<v>`, or an empty one that is no text result (`t="str"`: a
    formula whose result is "", as a spreadsheet program saves =SI(A2="";"";A2))."""
    if value is None:
        return True
    empty = value.startswith(b"<v") and (value.endswith(b"/>") or value == b"<v></v>")
    return empty and b't="str"' not in attributes


# A cell holding a formula error (« #N/A », « #REF! »…): `t="e"`, its formula, then the error.
_ERROR_CELL = re.compile(
    rb'<c r="([A-Z]+)([0-9]+)"[^>]*?\st="e"[^>]*>\s*(?:<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*)?'
    rb"<v>([^<]*)</v>"
)
_MERGED_RANGE = re.compile(rb'<mergeCell ref="([A-Z]+)([0-9]+):([A-Z]+)([0-9]+)"')
_HIDDEN_ROW = re.compile(rb'<row r="([0-9]+)"[^>]*?\shidden="(?:1|true)"')
# The hidden lines a notice lists (then « … »).
NOTICE_MAX_LINES = 20


def _sheet_xml(data: bytes, member: str) -> bytes:
    if not member:
        return b""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            return archive.read(member.lstrip("/"))
        except KeyError:
            return b""


def _refuse_uncomputed_formulas(xml: bytes, header_line: int = 1) -> None:
    """Refuse a sheet whose formulas hold no computed value (a file written by a program that
    does not compute, as openpyxl itself), naming the first such cell of the data rows: read
    as empty, they would be reported as « Ce champ est obligatoire »."""
    if b"<f" not in xml:
        return
    for found in _FORMULA_CELL.finditer(xml):
        column, row, attributes, value = found.groups()
        if int(row) > header_line and _uncomputed(attributes, value):
            raise FileRejected(
                _(
                    "La cellule %(cell)s contient une formule sans valeur calculée : ouvrez le "
                    "classeur dans un tableur et enregistrez-le (les formules sont alors "
                    "calculées), ou collez les valeurs seules."
                )
                % {"cell": (column + row).decode()},
                code="uncomputed_formula",
            )


def _refuse_formula_errors(xml: bytes, header_line: int) -> None:
    """Refuse a sheet showing a formula error (#N/A, #REF!…) in a data row, naming the first:
    read as a text, « #N/A » would be imported as the entry's value."""
    if b't="e"' not in xml:
        return
    for found in _ERROR_CELL.finditer(xml):
        column, row, value = found.groups()
        if int(row) > header_line:
            raise FileRejected(
                _(
                    "La cellule %(cell)s (ligne %(line)s, colonne %(column)s) affiche l'erreur de "
                    "formule « %(error)s » : corrigez la formule ou remplacez-la par la valeur "
                    "voulue, puis déposez à nouveau le fichier."
                )
                % {
                    "cell": (column + row).decode(),
                    "line": row.decode(),
                    "column": column.decode(),
                    "error": value.decode("utf-8", "replace")[:20],
                },
                code="formula_error",
            )


def _merged_down(xml: bytes, header_line: int) -> tuple[list[tuple[int, int, int]], list[str]]:
    """The ranges merged down one column below the header ((column, first line, last line)),
    whose first value each line gets, and the references of these ranges. Any other merged range
    that reaches the header or the data refuses the sheet, naming it: which column its value
    belongs to, or which row is the header, is not for the import to guess."""
    down: list[tuple[int, int, int]] = []
    names: list[str] = []
    if b"<mergeCell " not in xml:
        return down, names
    for found in _MERGED_RANGE.finditer(xml):
        first_col, top, last_col, bottom = (part.decode() for part in found.groups())
        top_line, bottom_line = int(top), int(bottom)
        reference = f"{first_col}{top}:{last_col}{bottom}"
        if bottom_line < header_line:
            continue  # a title above the table
        if top_line <= header_line:
            if top_line == bottom_line == header_line:
                raise FileRejected(
                    _(
                        "Les cellules %(cells)s de l'en-tête (ligne %(line)d) sont fusionnées : "
                        "défusionnez-les et donnez à chaque colonne son propre nom."
                    )
                    % {"cells": reference, "line": header_line},
                    code="merged_cells",
                )
            raise FileRejected(
                _(
                    "L'en-tête des colonnes (ligne %(line)d) a des cellules fusionnées sur "
                    "plusieurs lignes (%(cells)s) : l'en-tête doit tenir sur une seule ligne, "
                    "un nom par colonne. Défusionnez ces cellules."
                )
                % {"cells": reference, "line": header_line},
                code="merged_cells",
            )
        if first_col != last_col:
            raise FileRejected(
                _(
                    "Les cellules %(cells)s (à partir de la ligne %(line)d) sont fusionnées sur "
                    "plusieurs colonnes : défusionnez-les et placez la valeur dans sa colonne."
                )
                % {"cells": reference, "line": top_line},
                code="merged_cells",
            )
        down.append((_column_number(first_col) - 1, top_line, bottom_line))
        names.append(reference)
    return down, names


def _hidden_lines(xml: bytes, header_line: int) -> list[int]:
    if b"hidden=" not in xml:
        return []
    return [int(r) for r in _HIDDEN_ROW.findall(xml) if int(r) > header_line]


def _open_workbook(data: bytes) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise FileRejected(
            _("Le classeur Excel (XLSX) est illisible : %(error)s.")
            % {"error": type(exc).__name__},
            code="not_xlsx",
        ) from exc


def _damaged(exc: Exception) -> FileRejected:
    return FileRejected(
        _("Le classeur Excel (XLSX) est endommagé : %(error)s.") % {"error": type(exc).__name__},
        code="not_xlsx",
    )


class _Sheet(NamedTuple):
    rank: int
    name: str
    header_line: int
    member: str  # the worksheet's member in the zip
    sheets: int  # in the workbook
    date1904: bool  # the workbook's date system (see `Table`)


def _choose_sheet(data: bytes, is_header: HeaderTest | None) -> _Sheet:
    """The sheet to read.

    Without `is_header`: the first sheet, its first row. With it: the visible sheet whose header
    it recognises (hidden sheets, such as the lists behind drop-down menus, are not read); two
    of them refuse the workbook, naming them (which one is the inventory is the user's call);
    none: the first visible sheet, its first row (its columns are then reported unknown)."""
    workbook = _open_workbook(data)
    try:
        sheets = list(workbook.worksheets)
        if not sheets:
            raise FileRejected(_("Le classeur est vide."), code="empty")
        date1904 = workbook.epoch.year == 1904

        def chosen(rank: int, line: int) -> _Sheet:
            sheet = sheets[rank]
            member = getattr(sheet, "_worksheet_path", "")
            return _Sheet(rank, sheet.title, line, member, len(sheets), date1904)

        if is_header is None:
            return chosen(0, 1)
        found: list[tuple[int, str, int]] = []
        first_visible: int | None = None
        for rank, sheet in enumerate(sheets):
            if getattr(sheet, "sheet_state", "visible") != "visible":
                continue
            if first_visible is None:
                first_visible = rank
            try:
                rows = [
                    [_cell_text(value) for value in row]
                    for row in sheet.iter_rows(max_row=MAX_TITLE_ROWS, values_only=True)
                ]
            except Exception as exc:  # a member whose zip entry lies about its size, broken XML…
                raise _damaged(exc) from exc
            index = _header_row(rows, is_header)
            if index is not None:
                found.append((rank, sheet.title, index + 1))
        if len(found) > 1:
            raise FileRejected(
                _(
                    "Le classeur contient plusieurs feuilles ayant les colonnes de l'inventaire "
                    "(%(names)s) : une seule est importée. Enregistrez la feuille à importer "
                    "dans un classeur à part (ou supprimez les autres), puis déposez-le."
                )
                % {"names": ", ".join(f"« {name[:40]} »" for _rank, name, _line in found[:10])},
                code="sheets",
            )
        if found:
            return chosen(found[0][0], found[0][2])
        return chosen(first_visible if first_visible is not None else 0, 1)
    finally:
        workbook.close()


def _xlsx_table(data: bytes, is_header: HeaderTest | None) -> Table:
    rank, name, header_line, member, count, date1904 = _choose_sheet(data, is_header)
    xml = _sheet_xml(data, member)
    _refuse_uncomputed_formulas(xml, header_line)
    rows = _xlsx_rows(data, rank)
    header: list[str] = []
    for first in itertools.islice(rows, header_line):
        header = [_cell_text(v) for v in first] if first else []
    rows.close()
    if not any(header):
        raise FileRejected(_("Le classeur est vide."), code="empty")
    if is_header is None:  # the first sheet, read as it is (as every caller did before)
        return Table(_check_header(header), "xlsx", "", "", data, sheet=name, date1904=date1904)
    merged, merged_names = _merged_down(xml, header_line)  # a merged header: said first
    table = Table(
        _check_header(header),
        "xlsx",
        "",
        "",
        data,
        header_line,
        name,
        rank,
        merged,
        date1904=date1904,
    )
    _refuse_formula_errors(xml, header_line)
    if count > 1:
        table.notices.append(
            _(
                "Feuille importée : « %(name)s » (le classeur en compte %(count)d ; les autres ne sont pas lues)."
            )
            % {"name": name, "count": count}
        )
    if merged_names:
        table.notices.append(
            _(
                "Cellules fusionnées (%(cells)s) : leur valeur est reprise sur chacune de leurs "
                "lignes."
            )
            % {"cells": ", ".join(merged_names[:10]) + (" …" if len(merged_names) > 10 else "")}
        )
    hidden = _hidden_lines(xml, header_line)
    if hidden:
        shown = ", ".join(str(n) for n in hidden[:NOTICE_MAX_LINES])
        table.notices.append(
            _(
                "Lignes masquées dans le classeur (%(lines)s) : elles sont importées comme les "
                "autres."
            )
            % {"lines": shown + (" …" if len(hidden) > NOTICE_MAX_LINES else "")}
        )
    return table


def _xlsx_rows(data: bytes, rank: int = 0) -> Generator[tuple[Any, ...], None, None]:
    workbook = _open_workbook(data)
    try:
        if rank >= len(workbook.worksheets):
            return
        sheet = workbook.worksheets[rank]
        try:
            yield from sheet.iter_rows(values_only=True)
        except Exception as exc:  # a member whose zip entry lies about its size, broken XML…
            raise _damaged(exc) from exc
    finally:
        workbook.close()
