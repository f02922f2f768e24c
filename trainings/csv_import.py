"""Reading a CSV of impact measurements (one value per line), with French messages per line.

Columns (header required; CSV or XLSX as read by `datasets.tabular`):
`indicateur` (code), `trimestre` (e.g. `2024-T1`), `valeur` (decimal, comma or dot; thousands
may be separated by spaces, no-break ones included), optional `ministere` (ministry code),
`estimation` (oui/non), `methode`, `justificatif` (URL).
Bad input is reported, never guessed: unknown indicator or ministry, malformed quarter or value,
duplicate lines, missing columns, and whatever `read_table` refuses (empty, too big, bad encoding, unsafe XLSX), formulas
(=, +, -, @) in text.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from administrators.models import Ministry
from datasets.tabular import FileRejected, read_table
from trainings.models import ImpactIndicator, quarter_bounds

MAX_ROWS = 10_000
REQUIRED = ("indicateur", "trimestre", "valeur")
OPTIONAL = ("ministere", "estimation", "methode", "justificatif")
MIN_YEAR, MAX_YEAR = 2000, 2099  # the same years as supervision's quarter labels
QUARTER_RE = re.compile(r"^(\d{4})\s*-?\s*[TtQq]([1-4])$")
TRUE = {"oui", "o", "1", "true", "vrai", "x"}
FALSE = {"", "non", "n", "0", "false", "faux"}


def parse_quarter(text: str) -> tuple[Any, Any]:
    match = QUARTER_RE.match((text or "").strip())
    if not match or not MIN_YEAR <= int(match.group(1)) <= MAX_YEAR:
        raise ValueError(
            f"trimestre invalide (forme attendue : 2024-T1, année de {MIN_YEAR} à {MAX_YEAR})"
        )
    return quarter_bounds(int(match.group(1)), int(match.group(2)))


def parse_measurements(
    content: bytes, filename: str = "mesures.csv"
) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """Return ([(line number, row)], errors). Rows carry model objects and typed values.
    The file is opened by `datasets.tabular.read_table` (size, encoding, XLSX safety)."""
    try:
        table = read_table(content, filename)
    except FileRejected as exc:
        return [], list(exc.messages)
    header = [h.strip().lower() for h in table.header]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [f"Colonnes obligatoires manquantes : {', '.join(missing)}."]
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        return [], [f"Colonnes inconnues : {', '.join(unknown)}."]
    indicators = {i.code: i for i in ImpactIndicator.objects.all()}
    ministries = {m.code: m for m in Ministry.objects.all()}
    url_ok = URLValidator(schemes=["http", "https"])
    rows: list[tuple[int, dict[str, Any]]] = []
    errors: list[str] = []
    seen: dict[tuple[Any, ...], int] = {}
    try:
        numbered = list(table)
    except FileRejected as exc:
        return [], list(exc.messages)
    if len(numbered) > MAX_ROWS:
        return [], [f"Le fichier dépasse {MAX_ROWS} lignes de données."]
    for index, raw in numbered:
        if len(raw) > len(header):
            errors.append(f"Ligne {index} : trop de valeurs par rapport à l'en-tête.")
            continue
        cells = dict(zip(header, raw + [""] * (len(header) - len(raw)), strict=True))
        problems: list[str] = []
        for key in ("methode",):
            if cells.get(key, "").startswith(("=", "+", "-", "@")):
                problems.append(f"la colonne « {key} » commence par une formule")
        indicator = indicators.get(cells["indicateur"])
        if indicator is None:
            problems.append(f"indicateur inconnu « {cells['indicateur']} »")
        try:
            start, end = parse_quarter(cells["trimestre"])
        except (ValueError, ValidationError) as exc:
            problems.append(str(exc) if isinstance(exc, ValueError) else "trimestre invalide")
            start = end = None
        try:
            # Thousands separated by any space (Excel and LibreOffice write a no-break one).
            value = Decimal(re.sub(r"\s", "", cells["valeur"]).replace(",", "."))
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"valeur non numérique « {cells['valeur']} »")
            value = None
        ministry = None
        if cells.get("ministere"):
            ministry = ministries.get(cells["ministere"])
            if ministry is None:
                problems.append(f"ministère inconnu « {cells['ministere']} »")
        flag = cells.get("estimation", "").lower()
        if flag not in TRUE | FALSE:
            problems.append("la colonne « estimation » attend oui ou non")
        evidence = cells.get("justificatif", "")
        if evidence:
            try:
                url_ok(evidence)
            except ValidationError:
                problems.append("le justificatif doit être une adresse http(s)")
        if problems:
            errors.append(f"Ligne {index} : " + " ; ".join(problems) + ".")
            continue
        dedup = (indicator.pk if indicator else None, start, ministry.pk if ministry else None)
        if dedup in seen:
            errors.append(f"Ligne {index} : doublon de la ligne {seen[dedup]}.")
            continue
        seen[dedup] = index
        rows.append(
            (
                index,
                {
                    "indicator": indicator,
                    "period_start": start,
                    "period_end": end,
                    "value": value,
                    "ministry": ministry,
                    "is_estimate": flag in TRUE,
                    "method_note": cells.get("methode", ""),
                    "evidence_url": evidence,
                },
            )
        )
    if not rows and not errors:
        errors.append("Le fichier ne contient aucune ligne de données.")
    return rows, errors
