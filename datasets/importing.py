"""Import of an inventory spreadsheet: a dry run (`import_analyse`) then an atomic apply.

Sources (`read_source`): CSV or XLSX with the Etalab catalogue columns (or catalogue.data.gouv.fr's
export columns, plus one column per ministry-specific field matched on its label or code, plus
the portal's qualification columns), or the 2016 State inventory `bases.json`.

Every row goes through `datasets.validation` (the same rules as the forms and the API) and is
classified: created, updated, unchanged or rejected (line, column, French reason). First, each
text of the row gets line feeds for its line breaks, and is refused if it holds a control
character or a lone surrogate (`_clean_texts`): what the dry run accepts, the database takes.
Nothing is guessed: an organisation is matched by SIRET, then by identifier, then by its exact
normalised name within the ministry; anything else is reported as unmatched and the row is
rejected. The import never changes an organisation (reference data): a SIRET, identifier or name
of the file that differs from the directory's is reported as a warning on its row
(`organisation_warnings`).
A ministry-specific column absent from the file changes nothing on existing entries, but a new
entry must carry every mandatory one (`_extra_values`).

Idempotence: an entry is recognised by `DataAsset.import_key`, a stable hash of the normalised
title and the organisation (computed too for entries created in the interface), and only the
columns present in the file are compared. The same file imported twice changes nothing.

The dry run keeps its normalised rows in the job with a digest of everything they were computed
from; the apply, inside one transaction, writes them if that digest is unchanged, and otherwise
re-reads the stored bytes and recomputes the plan (what was analysed has changed since). It then
writes in bulk: entries, formats, qualifications,
grounds, qualification history, audit entries and the compliance facts (`record_asset_state`).
An error anywhere rolls everything back. Rejected rows are never written: the confirmation page
says how many will be left aside. A dry run with nothing to create or update needs no
confirmation: the job ends at once (`closed_without_apply`).
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import gc
import hashlib
import itertools
import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.db.models.base import DEFERRED, ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from administrators.models import Ministry, Organization
from core.access import access_for
from core.models import AuditEntry, LegalGround, Licence
from core.validators import validate_siret
from datasets import catalogue_schema as cs
from datasets import validation as v
from datasets.models import (
    AssessmentGround,
    AssessmentHistory,
    AssetStateHistory,
    AssetType,
    DataAsset,
    ExtraFieldDefinition,
    Format,
    ImportJob,
    OpenByDefaultAssessment,
)
from datasets.tabular import MAX_TITLE_ROWS, FileRejected, detect_format, read_table

REPORT_MAX_ROWS = 10_000
PROGRESS_EVERY = 500  # rows, at most, between two progress reports
PROGRESS_REPORTS = 20  # reports over a file (more above PROGRESS_REPORTS x PROGRESS_EVERY rows)
BASES_JSON_DESCRIPTION = (
    "Base de données recensée par la cartographie des données de l'État (2016)."
)
_MINISTRY_PHRASE = re.compile(r"du (Minist[èe]re [^.]+)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_EMAIL_SEPARATOR = re.compile(r"[,;\s]")
_EMAIL_SEPARATORS = re.compile(r"[,;\s]+")
# A character that `_clean_texts` looks at: a carriage return (a line break, written as a line
# feed) or one that `validation.forbidden_character` refuses. One search over the whole row
# finds none in almost every row.
_SUSPECT_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\ud800-\udfff]")

ProgressFn = Callable[[int, int], None]

# Dates as spreadsheets write them (see `import_date`).
_DATE_WITH_TIME = re.compile(
    r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4})[T ]"
    r"[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?\Z"
)
_YEAR_FIRST = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})\Z")
_DAY_FIRST = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4}|[0-9]{2})\Z")
# An Excel date serial number (days since 30/12/1899) of 1927 to 2173: five digits, an
# optional time of day as a fraction. A year alone (« 2016 ») is no serial: refused.
_EXCEL_SERIAL = re.compile(r"([1-9][0-9]{4})(?:[.,][0-9]+)?\Z")
EXCEL_EPOCH = datetime.date(1899, 12, 30)
# The day 0 of workbooks in the 1904 date system (Excel for Mac before 2011, `Table.date1904`):
# the same serial number is four years and a day later there.
EXCEL_1904_EPOCH = datetime.date(1904, 1, 1)
# A two-digit year is read as Excel and LibreOffice read it: 00 to 29 are 2000 to 2029, 30 to
# 99 are 1930 to 1999.
TWO_DIGIT_YEAR_PIVOT = 30
_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


# --- Keys ----------------------------------------------------------------------------------------


def import_key(title: str, organization_id: int) -> str:
    """Stable identity of an entry for imports: normalised title (`validation.title_identity`:
    every letter and digit, Latin or not) + organisation."""
    return _key(v.title_identity(title), organization_id)


def _key(identity: str, organization_id: int) -> str:
    raw = f"{organization_id}|{identity}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# --- Sources ---------------------------------------------------------------------------------------


@dataclass
class SourceRow:
    line: int
    cells: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)
    org_candidates: list[str] | None = None  # bases.json: every listed manager, in order
    ministry_hint: str = ""  # bases.json: the ministry named in the comment
    error: str = ""
    error_column: str = ""


@dataclass
class Source:
    format: str
    columns: list[str]
    extra_codes: list[str]
    rows: Callable[[], Iterator[SourceRow]]
    encoding: str = ""
    line_label: str = "ligne"
    notices: list[str] = field(default_factory=list)  # how the file was read (`Table.notices`)
    excel_epoch: datetime.date = EXCEL_EPOCH  # day 0 of its bare date serial numbers


def _reject(message: str, code: str = "columns") -> FileRejected:
    return FileRejected(message, code=code)


def read_source(
    data: bytes,
    filename: str,
    ministry: Ministry,
    *,
    has_default_organization: bool = False,
    definitions: Sequence[ExtraFieldDefinition] | None = None,
) -> Source:
    """Open the file and map its header; raise FileRejected for anything that is not importable."""
    if not data.strip():
        raise FileRejected("Le fichier est vide.", code="empty")
    if detect_format(data, filename) == "json":
        return _bases_json_source(data)
    # A stray NUL in a cell (old tools leave some) rejects its row only, naming the column, like
    # any other control character (`_clean_texts`); a binary file is refused by `read_table`.
    table = read_table(data, filename, keep_nul=True, is_header=_is_inventory_header)
    defs = list(definitions) if definitions is not None else _definitions(ministry.pk)
    by_label = {cs.normalise(d.label): d for d in defs}
    by_code = {cs.normalise(d.code): d for d in defs}
    mapping: list[tuple[str, str]] = []  # ("col", name) or ("extra", code)
    unknown: list[str] = []
    for header in table.header:
        column = cs.column_for_header(header)
        if column is not None:
            if ("col", column) in mapping:
                raise _reject(f"Les colonnes « {header} » et « {column} » désignent le même champ.")
            mapping.append(("col", column))
            continue
        # An exported label that looked like a formula comes back prefixed with '.
        key = cs.normalise(unneutralise(header))
        definition = by_label.get(key) or by_code.get(key)
        if definition is not None:
            mapping.append(("extra", definition.code))
            continue
        unknown.append(header)
    if unknown:
        names = ", ".join(f"« {u[:60]} »" for u in unknown[:10])
        sheet = f" de la feuille « {table.sheet[:40]} »" if table.format == "xlsx" else ""
        raise _reject(
            f"Colonne(s) inconnue(s) : {names} (en-tête lu à la ligne {table.header_line}"
            f"{sheet}). Les colonnes acceptées sont celles du schéma Catalogue de données "
            f"d'Etalab ({', '.join(cs.ETALAB_NAMES)}), les colonnes de qualification du portail "
            "et les champs propres au ministère (par leur libellé). L'en-tête doit être sur une "
            f"des {MAX_TITLE_ROWS} premières lignes et contenir au moins les colonnes titre et "
            "description."
        )
    present = [name for kind, name in mapping if kind == "col"]
    missing = [c for c in ("titre", "description") if c not in present]
    if missing:
        raise _reject(
            f"Colonne(s) obligatoire(s) absente(s) : {', '.join(missing)}. La première ligne "
            "doit contenir les noms des colonnes du schéma Catalogue de données.",
            code="missing_columns",
        )
    if (
        not {"nom_orga", "siret_orga", "id_alt_orga"} & set(present)
        and not has_default_organization
    ):
        raise _reject(
            "Le fichier n'indique pas l'organisation productrice (colonne nom_orga ou "
            "siret_orga) : choisissez-la dans le formulaire d'import.",
            code="missing_columns",
        )
    width = len(table.header)
    columns = [(i, name) for i, (kind, name) in enumerate(mapping) if kind == "col"]
    extras = [(i, name) for i, (kind, name) in enumerate(mapping) if kind == "extra"]

    def rows() -> Iterator[SourceRow]:
        for line, cells in table:
            count = len(cells)  # trailing empty cells are dropped by the reader
            row = SourceRow(
                line=line,
                cells={name: unneutralise(cells[i]) for i, name in columns if i < count},
                extra={name: unneutralise(cells[i]) for i, name in extras if i < count},
            )
            if count > width:
                row.error = f"La ligne contient {count} valeurs pour {width} colonnes."
            yield row

    return Source(
        format=table.format,
        columns=present,
        extra_codes=[name for kind, name in mapping if kind == "extra"],
        rows=rows,
        encoding=table.encoding,
        notices=list(table.notices),
        excel_epoch=EXCEL_1904_EPOCH if table.date1904 else EXCEL_EPOCH,
    )


def _is_inventory_header(cells: list[str]) -> bool:
    """Whether a row is an inventory's header: it names the two mandatory columns (title rows
    above it, « Inventaire 2024 », do not)."""
    return {"titre", "description"} <= {cs.column_for_header(cell) for cell in cells if cell}


def unneutralise(value: str) -> str:
    """Undo `core.csv_safety.safe_cell` (the exports prefix a formula-like cell with ')."""
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return value[1:]
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k} : {_text(v)}" for k, v in value.items())
    return str(value).strip()


class _JsonObject(dict[str, Any]):
    """A JSON object that also keeps its keys as the file lists them, repeated ones included
    (a dict keeps the last of two equal keys, silently)."""

    pairs: list[tuple[str, Any]]


def _json_object(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject(pairs)
    obj.pairs = pairs
    return obj


def _pairs(bases: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The keys and values of a bases.json object in file order, repeated keys included."""
    return bases.pairs if isinstance(bases, _JsonObject) else list(bases.items())


def bases_json_rows(bases: Mapping[str, Any]) -> Iterator[SourceRow]:
    """The 2016 inventory as source rows (the entry's rank in the file is its "line").

    A base named twice in the file (`_JsonObject.pairs`) is rejected the second time, with the
    rank of the first: which of the two is right is the administrator's call, not the import's."""
    first_seen: dict[str, int] = {}
    for index, (name, base) in enumerate(_pairs(bases), start=1):
        if name in first_seen:
            yield SourceRow(
                line=index,
                cells={"titre": str(name)},
                error=(
                    f"La base « {name} » figure déjà à l'entrée n°{first_seen[name]} du fichier : "
                    "gardez une seule des deux."
                ),
            )
            continue
        first_seen[name] = index
        if not isinstance(base, dict):
            yield SourceRow(line=index, cells={"titre": str(name)}, error="Entrée illisible.")
            continue
        lists = {key: _text_list(base.get(key)) for key in _BASES_JSON_LISTS}
        wrong = next((key for key, value in lists.items() if value is None), None)
        if wrong is not None:
            yield SourceRow(
                line=index,
                cells={"titre": str(name)},
                error=_BASES_JSON_LISTS[wrong],
                error_column=wrong,
            )
            continue
        managers, datasets = lists["gestionnaire"] or [], lists["datasets"] or []
        comment = _text(base.get("commentaire"))
        description = _text(base.get("description")) or comment or BASES_JSON_DESCRIPTION
        category = re.search(r"fait partie de la catégorie (.+?) du Minist", comment)
        process = []
        for label, key in (("Alimentation", "alimentation"), ("Accès", "acces")):
            if base.get(key):
                process.append(f"{label} : {_text(base[key])}")
        if base.get("textes"):
            process.append(f"Textes : {_text(base['textes'])}")
        url = _text(base.get("lien") or base.get("url"))
        if not url and datasets:
            url = f"https://www.data.gouv.fr/fr/datasets/{datasets[0]}/"
        cells = {
            "titre": str(name).strip(),
            "description": description,
            "nom_orga": managers[0].strip() if managers else "",
            "url": url,
            "acronyme": _text(base.get("acronyme")),
            "mots_cles": category.group(1).strip() if category else "",
            "processus_collecte": "\n".join(process),
            "identifiant_datagouv": datasets[0] if datasets else "",
            "type": AssetType.BASE_DE_DONNEES,
        }
        hint = _MINISTRY_PHRASE.search(comment)
        yield SourceRow(
            line=index,
            cells=cells,
            org_candidates=[m.strip() for m in managers if m.strip()],
            ministry_hint=hint.group(1).strip() if hint else "",
        )


# The bases.json keys that name one thing or several, and what a value of another type is told.
_BASES_JSON_LISTS = {
    "gestionnaire": "« gestionnaire » doit être le nom de l'organisation (un texte) ou une liste "
    "de noms.",
    "datasets": "« datasets » doit être l'identifiant d'un jeu de données de data.gouv.fr (un "
    "texte) ou une liste d'identifiants.",
}


def _text_list(value: Any) -> list[str] | None:
    """A bases.json value that names one thing or several (« gestionnaire », « datasets »): a
    text or a list of texts (the 2016 file has both), as a list; None for anything else."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [item for item in value if item.strip()]
    return None


BASES_JSON_COLUMNS = [
    "titre",
    "description",
    "nom_orga",
    "url",
    "acronyme",
    "mots_cles",
    "processus_collecte",
    "identifiant_datagouv",
    "type",
]


MAX_JSON_DEPTH = 20  # nested objects and lists; bases.json has 4 (base, « textes », list)


def _json_too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether objects and lists nest deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = (b for _, b in _pairs(item))
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _bases_json_source(data: bytes) -> Source:
    too_deep = FileRejected(
        f"Le fichier JSON imbrique plus de {MAX_JSON_DEPTH} niveaux d'objets ou de listes : ce "
        "n'est pas un fichier bases.json de la cartographie 2016.",
        code="json",
    )
    try:
        bases = json.loads(data.decode("utf-8-sig"), object_pairs_hook=_json_object)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileRejected(
            "Le fichier JSON est illisible (il doit être encodé en UTF-8 et bien formé).",
            code="json",
        ) from exc
    except RecursionError as exc:  # thousands of nested lists: the decoder gives up
        raise too_deep from exc
    if _json_too_deep(bases):
        raise too_deep
    if not isinstance(bases, dict) or not bases:
        raise FileRejected(
            "Le fichier JSON doit être un objet dont chaque clé est le nom d'une base (format "
            "de la cartographie 2016, bases.json).",
            code="json",
        )
    if not all(isinstance(b, dict) for _, b in _pairs(bases)):
        raise FileRejected(
            "Le fichier JSON n'a pas la forme de bases.json : chaque base doit être un objet.",
            code="json",
        )
    return Source(
        format="json",
        columns=list(BASES_JSON_COLUMNS),
        extra_codes=[],
        rows=lambda: bases_json_rows(bases),
        encoding="utf-8",
        line_label="entrée n°",
    )


# --- Organisations -------------------------------------------------------------------------------


class OrganizationIndex:
    """The ministry's organisations by SIRET, alternative id and normalised name, plus the other
    ministries' names and SIRETs (to say "another ministry" rather than "unknown")."""

    def __init__(self, ministry: Ministry) -> None:
        self.ministry = ministry
        own = list(
            Organization.objects.filter(ministry=ministry).only(
                "id", "name", "siret", "id_alt", "ministry_id", "headcount_etp", "kind"
            )
        )
        self.by_siret = {o.siret: o for o in own if o.siret}
        self.by_id_alt = {o.id_alt.strip().lower(): o for o in own if o.id_alt}
        self.by_name: dict[str, list[Organization]] = {}
        for o in own:
            self.by_name.setdefault(cs.normalise(o.name), []).append(o)
        self.by_id = {o.pk: o for o in own}
        self._others: tuple[set[str], set[str]] | None = None
        self.ministry_name = cs.normalise(ministry.name)

    def _other_ministries(self) -> tuple[set[str], set[str]]:
        if self._others is None:
            sirets: set[str] = set()
            names: set[str] = set()
            qs = Organization.objects.exclude(ministry=self.ministry).values_list("name", "siret")
            for name, siret in qs.iterator(chunk_size=5000):
                names.add(cs.normalise(name))
                if siret:
                    sirets.add(siret)
            self._others = (sirets, names)
        return self._others

    def elsewhere(self, *, siret: str = "", name: str = "") -> bool:
        sirets, names = self._other_ministries()
        return bool((siret and siret in sirets) or (name and cs.normalise(name) in names))


@dataclass
class OrgResult:
    organization: Organization | None = None
    column: str = "nom_orga"
    error: str = ""
    unmatched_name: str = ""


def resolve_organization(
    row: SourceRow, index: OrganizationIndex, default: Organization | None
) -> OrgResult:
    siret = _SPACES.sub("", row.cells.get("siret_orga", ""))
    id_alt = row.cells.get("id_alt_orga", "").strip()
    name = row.cells.get("nom_orga", "").strip()
    if siret:
        try:
            validate_siret(siret)
        except ValidationError as exc:
            return OrgResult(column="siret_orga", error=" ".join(exc.messages))
        if siret in index.by_siret:
            return OrgResult(index.by_siret[siret], "siret_orga")
        if index.elsewhere(siret=siret):
            return OrgResult(
                column="siret_orga",
                error=f"Le SIRET {siret} est celui d'une organisation d'un autre ministère : "
                "cette ligne ne peut pas être importée dans ce ministère.",
            )
    if id_alt and id_alt.lower() in index.by_id_alt:
        return OrgResult(index.by_id_alt[id_alt.lower()], "id_alt_orga")
    candidates = row.org_candidates if row.org_candidates is not None else ([name] if name else [])
    for candidate in candidates:
        matches = index.by_name.get(cs.normalise(candidate), [])
        if len(matches) == 1:
            return OrgResult(matches[0])
        if len(matches) > 1:
            return OrgResult(
                error=f"Plusieurs organisations du ministère s'appellent « {candidate[:120]} » : "
                "indiquez son SIRET (colonne siret_orga) pour les distinguer."
            )
    if not candidates and not siret and not id_alt:
        if default is not None:
            return OrgResult(default)
        return OrgResult(error="L'organisation productrice n'est pas indiquée (colonne nom_orga).")
    if any(index.elsewhere(name=c) for c in candidates) or (
        row.ministry_hint and cs.normalise(row.ministry_hint) != index.ministry_name
    ):
        shown = candidates[0] if candidates else siret
        return OrgResult(
            error=f"L'organisation « {shown[:120]} » relève d'un autre ministère : cette ligne ne "
            "peut pas être importée dans ce ministère."
        )
    shown = candidates[0] if candidates else (siret or id_alt)
    return OrgResult(
        column="siret_orga" if siret and not candidates else "nom_orga",
        error=f"Organisation « {shown[:120]} » introuvable dans le ministère : elle n'est pas "
        "rapprochée automatiquement. Vérifiez son nom exact ou son SIRET dans l'annuaire du "
        "portail, ou faites-la ajouter, puis importez à nouveau.",
        unmatched_name=shown,
    )


def organisation_warnings(
    row: SourceRow, organization: Organization, *, matched_by: str = "nom_orga"
) -> list[str]:
    """What the row says of its organisation (SIRET, alternative id, and its name when it was
    matched by one of those) that the portal does not hold. Organisations are reference data,
    kept in the directory: the import never changes them, but it says so rather than drop the
    file's values without a word (the export shows the portal's)."""
    warnings = []
    name = organization.name[:120]  # as shown in a message
    given = row.cells.get("nom_orga", "").strip()
    if (
        matched_by != "nom_orga"
        and given
        and cs.normalise(given) != cs.normalise(organization.name)
    ):
        warnings.append(
            f"nom_orga : « {given[:120]} » du fichier ignoré : la ligne est rattachée par son "
            f"{'SIRET' if matched_by == 'siret_orga' else 'identifiant'} à l'organisation "
            f"« {name} » du portail."
        )
    siret = _SPACES.sub("", row.cells.get("siret_orga", ""))
    if siret and siret != (organization.siret or ""):
        held = f"a le SIRET {organization.siret}" if organization.siret else "n'a pas de SIRET"
        warnings.append(
            f"siret_orga : SIRET {siret[:20]} du fichier ignoré : l'organisation « {name} » "
            f"{held} dans le portail (l'import ne modifie pas les organisations ; corrigez "
            "l'annuaire si besoin)."
        )
    id_alt = row.cells.get("id_alt_orga", "").strip()
    stored = (organization.id_alt or "").strip()
    if id_alt and id_alt.lower() != stored.lower():
        held = (
            f"a l'identifiant « {stored[:60]} »" if stored else "n'a pas d'identifiant alternatif"
        )
        warnings.append(
            f"id_alt_orga : identifiant « {id_alt[:60]} » du fichier ignoré : l'organisation "
            f"« {name} » {held} dans le portail (l'import ne modifie pas les organisations ; "
            "corrigez l'annuaire si besoin)."
        )
    return warnings


# --- Plan -----------------------------------------------------------------------------------------

COLUMN_OF_FIELD = {c.field: c.name for c in cs.ETALAB_COLUMNS + cs.PORTAL_COLUMNS}
COLUMN_OF_FIELD.update({"organization": "nom_orga", "contact": "contact_personne"})
TEXT_FIELDS = (
    "title",
    "description",
    "service",
    "source_system",
    "geo_coverage",
    "url",
    "acronym",
    "datagouv_dataset_id",
    "collection_process",
    "contact_service",
    "contact_person",
)
QUALIFICATION_FIELDS = (
    "status",
    "obligation_basis",
    "occultation_method",
    "planned_date",
    "published_url",
)
_BOOL_TRUE = {"oui", "o", "true", "vrai", "1", "x", "yes"}
_BOOL_FALSE = {"non", "n", "false", "faux", "0", "no", ""}


@dataclass
class RowPlan:
    line: int
    title: str
    action: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    asset: DataAsset | None = None
    organization: Organization | None = None
    key: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    formats: list[str] | None = None
    extra: dict[str, Any] | None = None
    qualification: v.QualificationInput | None = None
    qualification_changed: bool = False
    current_formats: list[str] = field(default_factory=list)
    asset_id: int | None = None  # the matched entry when `asset` is not loaded (stored plan)

    def error(self, column: str, message: str) -> None:
        self.errors.append((column, message))


@dataclass
class Plan:
    ministry: Ministry
    source: Source
    rows: list[RowPlan] = field(default_factory=list)
    unmatched: Counter[str] = field(default_factory=Counter)
    new_formats: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        counter = Counter(r.action for r in self.rows)
        return {a: counter.get(a, 0) for a in ("created", "updated", "unchanged", "rejected")}


def _definitions(ministry_id: int) -> list[ExtraFieldDefinition]:
    return list(ExtraFieldDefinition.objects.filter(ministry_id=ministry_id))


class _Context:
    """Everything a plan needs, loaded once (a handful of queries whatever the row count)."""

    def __init__(self, ministry: Ministry, source: Source) -> None:
        self.ministry = ministry
        self.orgs = OrganizationIndex(ministry)
        self.licences = cs.LicenceIndex()
        self.formats = {cs.format_key(f.name): f for f in Format.objects.all()}
        self.definitions = _definitions(ministry.pk)
        self.grounds = {g.code: g for g in LegalGround.objects.all()}
        self.needs_assessment = bool(cs.QUALIFICATION_COLUMNS & set(source.columns))
        self.excel_epoch = source.excel_epoch
        self.formats_by_id = {f.pk: f for f in self.formats.values()}
        # Identity of every entry of the ministry (cheap tuples); full rows only for matches.
        # The key of an entry's current title first, then the key it was imported with (its
        # title may have changed since, or the key was computed by an earlier version of
        # `import_key`): an entry is never found by another one's stored key.
        self.key_to_id: dict[str, int] = {}
        rows = DataAsset.objects.filter(ministry=ministry).values_list(
            "pk", "title", "organization_id", "import_key"
        )
        stored: list[tuple[str, int]] = []
        for pk, title, organization_id, key in rows.iterator(chunk_size=5000):
            self.key_to_id.setdefault(import_key(title, organization_id), pk)
            if key:
                stored.append((key, pk))
        for key, pk in stored:
            self.key_to_id.setdefault(key, pk)
        self.assets: dict[int, DataAsset] = {}
        self.asset_formats: dict[int, list[Format]] = {}

    def load(self, ids: Sequence[int]) -> None:
        """Load the matched entries (with their formats, and qualification when needed)."""
        ids = sorted(set(ids) - set(self.assets))
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            qs = DataAsset.objects.filter(pk__in=chunk).select_related("licence")
            if self.needs_assessment:
                qs = qs.select_related("assessment").prefetch_related(
                    "assessment__ground_links__ground"
                )
            self.assets.update((a.pk, a) for a in qs)
            through = DataAsset.formats.through.objects.filter(dataasset_id__in=chunk)
            for asset_id, format_id in through.values_list("dataasset_id", "format_id"):
                fmt = self.formats_by_id.get(format_id)
                if fmt is not None:
                    self.asset_formats.setdefault(asset_id, []).append(fmt)


def _format_objects(names: Sequence[str], ctx: _Context) -> list[Format]:
    out = []
    for name in names:
        key = cs.format_key(name)
        fmt = ctx.formats.get(key)
        if fmt is None:
            fmt = Format(
                name=name.strip()[:50],
                is_open=key in cs.OPEN_FORMATS,
                machine_readable=key in cs.OPEN_MACHINE_READABLE_FORMATS,
            )
        out.append(fmt)
    return out


@dataclass
class ImportDate:
    """A date cell as the import reads it (`import_date`): the value handed to the validation
    (ISO when the cell is understood, else the cell itself, which the validation refuses), what
    the row's report says of how it was read, or why the date does not exist."""

    value: str
    warning: str = ""
    error: str = ""


def import_date(raw: str, excel_epoch: datetime.date = EXCEL_EPOCH) -> ImportDate:
    """Read a date cell as French users and their spreadsheets write it.

    - 2024-12-31, 31/12/2024 (also 31-12-2024, 31.12.2024, 2024/12/31, and one-digit day or
      month), with a time of day or not (dropped: the fields are dates);
    - 31/12/24: two-digit year, read as Excel and LibreOffice do (`TWO_DIGIT_YEAR_PIVOT`), and
      the report says which year was understood;
    - 45657: an Excel date serial number (a date cell whose date format was lost), converted
      from the workbook's day 0 (`excel_epoch`), and the report says so.

    A date of one of these shapes that does not exist (31/02/2024, 12/31/2024) is refused,
    saying why. Anything else is left to the validation, which refuses it."""
    text = raw.strip()
    if not text:
        return ImportDate("")
    with_time = _DATE_WITH_TIME.match(text)
    if with_time:
        text = with_time.group(1)
    serial = _EXCEL_SERIAL.match(text)
    if serial:
        day = excel_epoch + datetime.timedelta(days=int(serial.group(1)))
        return ImportDate(
            day.isoformat(),
            warning=f"« {raw.strip()[:40]} » est lu comme un numéro de série de date Excel : le "
            f"{day:%d/%m/%Y}.",
        )
    year_first = _YEAR_FIRST.match(text)
    day_first = _DAY_FIRST.match(text) if year_first is None else None
    if year_first:
        year, month, day_number = (int(part) for part in year_first.groups())
    elif day_first:
        day_number, month, year = (int(part) for part in day_first.groups())
    else:
        return ImportDate(text)
    warning = ""
    if day_first and len(day_first.group(3)) == 2:
        year += 2000 if year < TWO_DIGIT_YEAR_PIVOT else 1900
        warning = f"« {raw.strip()[:40]} » : année sur deux chiffres, comprise comme {year}"
    shown = f"« {raw.strip()[:40]} »"
    if not 1 <= month <= 12:
        return ImportDate(
            text,
            error=f"La date {shown} n'est pas valide : il n'y a pas de mois n° {month} (attendu : "
            "JJ/MM/AAAA, le jour avant le mois, ou AAAA-MM-JJ).",
        )
    last = calendar.monthrange(year, month)[1] if year >= 1 else 31
    if not 1 <= day_number <= last:
        return ImportDate(
            text,
            error=f"La date {shown} n'est pas valide : {_MONTHS[month - 1]} {year} compte {last} "
            "jours.",
        )
    if year < 1:
        return ImportDate(text)  # left to the validation (« antérieure à 1800 »)
    day = datetime.date(year, month, day_number)
    if warning:
        warning += f" (le {day:%d/%m/%Y})."
    return ImportDate(day.isoformat(), warning=warning)


def _read_date(plan: RowPlan, ctx: _Context, column: str, raw: str) -> str | None:
    """A date cell of the row for the validation (`import_date`), None when refused here."""
    read = import_date(raw, ctx.excel_epoch)
    if read.error:
        plan.error(column, read.error)
        return None
    if read.warning:
        plan.warnings.append(f"{column} : {read.warning}")
    return read.value


def _parse_values(row: SourceRow, plan: RowPlan, ctx: _Context, columns: set[str]) -> None:
    cells = row.cells
    values = plan.values
    for name in TEXT_FIELDS:
        column = COLUMN_OF_FIELD[name]
        if column in columns:
            text = cells.get(column, "")
            values[name] = text if name in ("description", "collection_process") else text.strip()
    for name in ("contact_service", "contact_person"):
        if name in values and _EMAIL_SEPARATOR.search(values[name].strip()):
            # « Jean Dupont <jean@x.fr> »: the address without its angle brackets.
            parts = [e.strip("<>()\"'") for e in _EMAIL_SEPARATORS.split(values[name]) if e]
            parts = [e for e in parts if e]
            # The parts with an @ are addresses, the others words around them (« a@x.fr et
            # b@y.fr »); words alone (« pas un courriel ») stay one invalid address, refused as
            # such by the validation.
            emails = [e for e in parts if "@" in e]
            if len(parts) > 1 and emails:
                values[name] = emails[0]
                plan.warnings.append(
                    f"{COLUMN_OF_FIELD[name]} : plusieurs adresses ; seule la première "
                    f"({emails[0][:80]}) est conservée."
                    if len(emails) > 1
                    else f"{COLUMN_OF_FIELD[name]} : seule l'adresse ({emails[0][:80]}) est "
                    "conservée, sans le texte qui l'entoure."
                )
    if "mots_cles" in columns:
        values["keywords"] = cs.split_list(cells.get("mots_cles", ""))
    for name, column in (("first_published_at", "date_pub"), ("last_updated_at", "date_maj")):
        if column in columns:
            date = _read_date(plan, ctx, column, cells.get(column, ""))
            if date is not None:
                values[name] = date
    if "freq_maj" in columns:
        raw = cells.get("freq_maj", "")
        try:
            frequency, exact = cs.parse_frequency(raw)
            values["update_frequency"] = frequency
            if not exact:
                plan.warnings.append(
                    f"freq_maj : « {raw[:60]} » est compris comme « {cs.frequency_label(frequency)} »."
                )
        except ValueError:
            plan.error(
                "freq_maj",
                f"Fréquence « {raw[:60]} » inconnue. Valeurs possibles : {cs.frequency_choices_text()}.",
            )
    if "licence" in columns:
        raw = cells.get("licence", "").strip()
        licence = ctx.licences.find(raw) if raw else None
        if raw and licence is None:
            plan.error(
                "licence",
                f"Licence « {raw[:80]} » inconnue : indiquez une licence de la liste du portail "
                "(par exemple « Licence Ouverte » ou « ODbL »).",
            )
        values["licence"] = licence
    if "format" in columns:
        # One format once, whatever its case (« CSV,csv »): formats are compared by
        # `cs.format_key`, an entry holds each once.
        formats: dict[str, str] = {}
        for name in cs.split_list(cells.get("format", "")):
            formats.setdefault(cs.format_key(name), name)
        plan.formats = list(formats.values())
        for name in plan.formats:
            if len(name) > 50:
                plan.error("format", f"Le format « {name[:60]}… » dépasse 50 caractères.")
    if "type" in columns:
        raw = cells.get("type", "")
        try:
            values["asset_type"] = (
                cs.parse_choice(cs.ASSET_TYPE_TABLE, raw) or AssetType.BASE_DE_DONNEES
            )
        except ValueError:
            plan.error("type", f"Type « {raw[:60]} » inconnu.")
    if "visibilite" in columns:
        raw = cells.get("visibilite", "")
        try:
            values["visibility"] = (
                cs.parse_choice(cs.VISIBILITY_TABLE, raw) or DataAsset.Visibility.DRAFT
            )
        except ValueError:
            plan.error("visibilite", f"« {raw[:60]} » : indiquez Brouillon ou Publiée.")
    if "donnees_personnelles" in columns:
        raw = cells.get("donnees_personnelles", "").strip().lower()
        if raw in _BOOL_TRUE:
            values["contains_personal_data"] = True
        elif raw in _BOOL_FALSE:
            values["contains_personal_data"] = False
        else:
            plan.error("donnees_personnelles", f"« {raw[:40]} » : répondez oui ou non.")


def _qualification(
    row: SourceRow, plan: RowPlan, ctx: _Context, columns: set[str], existing: DataAsset | None
) -> None:
    present = cs.QUALIFICATION_COLUMNS & columns
    if not present:
        return
    cells = row.cells
    assessment = getattr(existing, "assessment", None) if existing is not None else None
    links = list(assessment.ground_links.all()) if assessment is not None else []
    q = v.QualificationInput()
    if assessment is not None:
        for name in v.QualificationInput.FIELDS:
            setattr(q, name, getattr(assessment, name))
        q.grounds = [
            v.GroundInput(k.ground, k.sub_reference, k.justification_internal, k.public_motive)
            for k in links
        ]
    for column, attr, table in (
        ("statut_ouverture", "status", cs.STATUS_TABLE),
        ("fondement", "obligation_basis", cs.BASIS_TABLE),
        ("methode_occultation", "occultation_method", cs.OCCULTATION_TABLE),
    ):
        if column in present:
            raw = cells.get(column, "")
            try:
                parsed = cs.parse_choice(table, raw)
            except ValueError:
                plan.error(column, f"« {raw[:60]} » n'est pas une valeur possible.")
                continue
            default = {"status": v.Status.TO_ASSESS, "obligation_basis": v.Basis.NONE}.get(attr, "")
            setattr(q, attr, parsed or default)
    if "date_publication_prevue" in present:
        raw = cells.get("date_publication_prevue", "").strip()
        date = _read_date(plan, ctx, "date_publication_prevue", raw)
        try:
            if date is not None:
                q.planned_date = v.parse_date(date)
        except ValueError:
            plan.error("date_publication_prevue", f"La date « {raw[:40]} » n'est pas valide.")
    if "lien_publication" in present:
        q.published_url = cells.get("lien_publication", "").strip()
    if "motifs" in present or "justification" in present:
        old = {g.ground.code: g for g in q.grounds}
        codes = cs.split_list(cells.get("motifs", "")) if "motifs" in present else list(old)
        justification = (
            cells.get("justification", "").strip() if "justification" in present else None
        )
        # The exports put one "justification" cell per entry: the distinct texts joined with
        # " / " (blank for a reader who may not see them). That cell, or a blank one, keeps each
        # ground's own recorded text; any other text replaces them.
        distinct: list[str] = []
        for g in sorted(old.values(), key=lambda g: g.ground.code):  # the exports' order
            text = v.lf(g.justification_internal.strip())
            if text and text not in distinct:
                distinct.append(text)
        if justification is not None and justification in ("", " / ".join(distinct)):
            justification = None
        grounds = []
        for code in codes:
            ground = ctx.grounds.get(code.strip().upper()) or ctx.grounds.get(code.strip())
            if ground is None:
                plan.error(
                    "motifs",
                    f"Motif « {code[:60]} » inconnu (indiquez son code, ex. L311_6_1_VIE_PRIVEE).",
                )
                continue
            previous = old.get(ground.code)
            grounds.append(
                v.GroundInput(
                    ground,
                    previous.sub_reference if previous else "",
                    justification
                    if justification is not None
                    else (previous.justification_internal if previous else ""),
                    previous.public_motive if previous else "",
                )
            )
        q.grounds = grounds
    plan.qualification = q
    before = _qualification_tuple(assessment, links)
    after = (
        q.status,
        q.obligation_basis,
        q.occultation_method or "",
        v.parse_date(q.planned_date) if not plan.errors else None,
        q.published_url or "",
        tuple(sorted((g.ground.code, v.lf(g.justification_internal)) for g in q.grounds)),
    )
    plan.qualification_changed = before != after


def _qualification_tuple(
    assessment: OpenByDefaultAssessment | None, links: Sequence[AssessmentGround]
) -> tuple[Any, ...]:
    if assessment is None:
        return (v.Status.TO_ASSESS, v.Basis.NONE, "", None, "", ())
    return (
        assessment.status,
        assessment.obligation_basis,
        assessment.occultation_method or "",
        assessment.planned_date,
        assessment.published_url or "",
        tuple(sorted((k.ground.code, v.lf(k.justification_internal)) for k in links)),
    )


_MAX_LENGTH = {
    f.name: f.max_length for f in DataAsset._meta.concrete_fields if getattr(f, "max_length", None)
}


def _max_lengths(plan: RowPlan) -> None:
    for name, value in plan.values.items():
        limit = _MAX_LENGTH.get(name)
        if limit and isinstance(value, str) and len(value) > limit:
            plan.error(COLUMN_OF_FIELD.get(name, name), f"Ce texte dépasse {limit} caractères.")


def _same(current: Any, value: Any) -> bool:
    """Whether a stored value and the file's are the same. Texts are compared line breaks
    aside: the import writes \\n (`_clean_texts`), the forms may have stored \\r\\n."""
    if not isinstance(value, str):
        return bool(current == value)
    current = current or ""
    return bool(current == value or (isinstance(current, str) and v.lf(current) == value))


def _compare(plan: RowPlan, asset: DataAsset) -> list[str]:
    changed: list[str] = []
    for name, value in plan.values.items():
        current = getattr(asset, name)
        if name == "licence":
            if (value.pk if value else None) != asset.licence_id:
                changed.append("licence")
        elif name in ("first_published_at", "last_updated_at"):
            if v.parse_date(value) != current:
                changed.append(COLUMN_OF_FIELD[name])
        elif not _same(current, value):
            changed.append(COLUMN_OF_FIELD.get(name, name))
    if plan.formats is not None:
        current_formats = sorted(cs.format_key(n) for n in plan.current_formats)
        if sorted(cs.format_key(n) for n in plan.formats) != current_formats:
            changed.append("format")
    if plan.extra is not None and plan.extra != (asset.extra or {}):
        for code in sorted(set(plan.extra) | set(asset.extra or {})):
            if not _same((asset.extra or {}).get(code), plan.extra.get(code)):
                changed.append(code)
    if plan.qualification_changed:
        changed.append("qualification")
    return changed


def build_plan(
    ministry: Ministry,
    source: Source,
    *,
    default_organization: Organization | None = None,
    progress: ProgressFn | None = None,
    total: int = 0,
) -> Plan:
    ctx = _Context(ministry, source)
    plan = Plan(ministry=ministry, source=source)
    columns = set(source.columns)
    seen: dict[str, int] = {}
    new_formats: dict[str, str] = {}  # format key -> the name the first row writes it with
    step = progress_step(total)
    # First pass: organisations, values and identity of every row.
    parsed: list[tuple[SourceRow, RowPlan]] = []
    labels = {d.code: d.label for d in ctx.definitions}
    for row in source.rows():
        rp = RowPlan(line=row.line, title="")
        plan.rows.append(rp)
        clean = _clean_texts(row, rp, labels)
        rp.title = row.cells.get("titre", "").strip()[:200]
        if not clean or row.error:
            # Unreadable as a row (or a repeated base), or a text no entry may hold: nothing
            # more to say about it. What the report quotes of it loses the forbidden characters.
            if row.error:
                rp.error(row.error_column, v.replace_forbidden(row.error))
            rp.title = v.replace_forbidden(rp.title)
            rp.action = "rejected"
            continue
        parsed.append((row, rp))
        org = resolve_organization(row, ctx.orgs, default_organization)
        if org.error:
            rp.error(org.column, org.error)
            if org.unmatched_name:
                plan.unmatched[org.unmatched_name] += 1
        rp.organization = org.organization
        if org.organization is not None:
            rp.warnings.extend(organisation_warnings(row, org.organization, matched_by=org.column))
        _parse_values(row, rp, ctx, columns)
        # A title without a letter or a digit has no identity (« !!! », « ??? »): it matches
        # nothing and `validate_asset_fields` rejects it.
        identity = v.title_identity(row.cells.get("titre", ""))
        if rp.organization is not None and identity:
            rp.key = _key(identity, rp.organization.pk)
            if rp.key in seen:
                rp.error(
                    "titre",
                    f"Ligne en double : même titre et même organisation que la ligne {seen[rp.key]}.",
                )
            else:
                seen[rp.key] = row.line
    ctx.load([ctx.key_to_id[rp.key] for _, rp in parsed if rp.key in ctx.key_to_id])
    # Second pass: validation against the entry it would create or change.
    for count, (row, rp) in enumerate(parsed, start=1):
        existing: DataAsset | None = None
        if rp.key in ctx.key_to_id:
            existing = ctx.assets.get(ctx.key_to_id[rp.key])
        rp.asset = existing
        if existing is not None:
            rp.current_formats = [f.name for f in ctx.asset_formats.get(existing.pk, [])]
        unfilled = _extra_values(row, rp, ctx, source, existing)
        data = dict(rp.values)
        data["organization"] = rp.organization
        if existing is None:
            data.setdefault("asset_type", AssetType.BASE_DE_DONNEES)
        if rp.organization is not None:
            for key, messages in v.validate_asset_fields(
                data, ministry_id=ministry.pk, partial=existing is not None
            ).items():
                for message in messages:
                    rp.error(COLUMN_OF_FIELD.get(key, key), message)
        if (
            existing is not None
            and data.get("contains_personal_data") is False
            and existing.personal_data_categories
        ):
            # As the form and the API: categories only for an entry holding personal data (the
            # file carries no categories, so they cannot be removed from here).
            rp.error(
                "donnees_personnelles",
                "L'entrée déclare des catégories de données personnelles : retirez-les dans sa "
                "fiche avant d'indiquer « non » ici.",
            )
        _max_lengths(rp)
        _qualification(row, rp, ctx, columns, existing)
        if rp.qualification is not None and not rp.errors:
            licence = rp.values.get("licence", existing.licence if existing else None)
            if rp.formats is not None:
                formats = _format_objects(rp.formats, ctx)
            else:
                formats = list(ctx.asset_formats.get(existing.pk, [])) if existing else []
            personal = rp.values.get(
                "contains_personal_data", existing.contains_personal_data if existing else False
            )
            result = v.validate_qualification(
                rp.qualification,
                v.AssetContext(
                    licence=licence,
                    formats=formats,
                    contains_personal_data=personal,
                    organization=rp.organization,
                ),
            )
            for key, messages in result.errors.items():
                for message in messages:
                    rp.error(COLUMN_OF_FIELD.get(key, _Q_COLUMN.get(key, key)), message)
            for messages in result.warnings.values():
                rp.warnings.extend(messages)
        if not rp.errors and existing is not None:
            rp.changes = _compare(rp, existing)
            # A mandatory field the entry has never had, left empty: it changes nothing, so a
            # row that changes nothing else stays unchanged (with a reminder); a row that does
            # change the entry must fill it, like the entry form (see `_extra_values`).
            for label in unfilled:
                if rp.changes:
                    rp.error(
                        label,
                        "Ce champ est obligatoire : renseignez-le pour modifier cette entrée, "
                        "qui n'a pas encore de valeur.",
                    )
                else:
                    rp.warnings.append(
                        f"{label} : champ obligatoire que cette entrée n'a pas encore ; "
                        "à renseigner lors de sa prochaine modification."
                    )
        if rp.errors:
            rp.action = "rejected"
            rp.changes = []
        elif existing is None:
            rp.action = "created"
        else:
            rp.action = "updated" if rp.changes else "unchanged"
        # Formats the portal does not know yet, from the rows that will write them only (a
        # rejected row writes nothing; an unchanged one keeps the formats it has).
        if rp.formats and (rp.action == "created" or "format" in rp.changes):
            for name in rp.formats:
                key = cs.format_key(name)
                if key not in ctx.formats:
                    new_formats.setdefault(key, name.strip()[:50])
        if progress is not None and count % step == 0:
            progress(count, total)
    plan.new_formats = set(new_formats.values())
    return plan


def _clean_texts(row: SourceRow, rp: RowPlan, labels: Mapping[str, str]) -> bool:
    """Normalise the line breaks of every text of the row (\\r\\n and \\r become \\n: what a
    spreadsheet gives back of an exported text, so a re-import changes nothing) and reject each
    column holding a character no text may hold (`validation.forbidden_character`), as the forms
    and the API do. False if the row is rejected."""
    texts = [*row.cells.values(), *row.extra.values(), *(row.org_candidates or ())]
    if _SUSPECT_CHARS.search("\n".join(texts)) is None:
        return True
    ok = True
    for cells, named in ((row.cells, None), (row.extra, labels)):
        for column, text in cells.items():
            if "\r" in text:
                text = cells[column] = v.lf(text)
            message = v.forbidden_character(text)
            if message is not None:
                rp.error(named.get(column, column) if named is not None else column, message)
                ok = False
    for candidate in row.org_candidates or ():
        message = v.forbidden_character(candidate)
        if message is not None and ok:  # the first one is the nom_orga cell, already reported
            rp.error("nom_orga", message)
            ok = False
    return ok


def progress_step(total: int) -> int:
    """Rows between two progress reports: about PROGRESS_REPORTS of them whatever the size (a
    406-row file moves by 5 %), at most every PROGRESS_EVERY rows (each report is a write)."""
    return max(1, min(PROGRESS_EVERY, total // PROGRESS_REPORTS))


def _extra_values(
    row: SourceRow, rp: RowPlan, ctx: _Context, source: Source, existing: DataAsset | None
) -> list[str]:
    """The row's ministry-specific fields (`rp.extra`), checked as the forms and the API check
    them, with one rule of its own for the mandatory ones:

    - a column absent from the file changes nothing: an existing entry keeps its stored value
      (like an API update without `extra`), but a new entry must carry every mandatory value,
      so it is rejected and the message asks for the column;
    - a column present but empty is « no value »: rejected for a new entry, and for an existing
      one that has a value (it would erase it). For an existing entry that never had one (the
      field became mandatory after it was made), the row is checked against the rest of the
      file: returned here (labels), the caller rejects the row if it changes the entry and
      otherwise reports it unchanged with a reminder.
    """
    present = set(source.extra_codes)
    active = [d for d in ctx.definitions if d.is_active]
    checked = (
        ctx.definitions if existing is None else [d for d in ctx.definitions if d.code in present]
    )
    previous = (existing.extra or {}) if existing is not None else {}
    given = {c: row.extra.get(c, "") for c in source.extra_codes}
    refused: set[str] = set()  # date cells refused here, saying why (`import_date`)
    for d in ctx.definitions:
        if d.kind == ExtraFieldDefinition.Kind.DATE and d.code in given:
            read = import_date(given[d.code], ctx.excel_epoch)
            if read.error:
                rp.error(d.label, read.error)
                refused.add(d.code)
            else:
                given[d.code] = read.value
                if read.warning:
                    rp.warnings.append(f"{d.label} : {read.warning}")
    cleaned, errors = v.validate_extra(
        given,
        checked,
        previous=previous,
        labelled=False,
        check_required=False,
    )
    for key, messages in errors.items():
        code = key.split(".", 1)[-1]
        if code in refused:
            continue
        definition = next((d for d in ctx.definitions if d.code == code), None)
        for message in messages:
            rp.error(definition.label if definition is not None else code, message)
    unfilled: list[str] = []
    for d in active:
        if not d.required or cleaned.get(d.code) not in (None, "") or f"extra.{d.code}" in errors:
            continue
        if d.code not in present:
            if existing is None:
                rp.error(d.label, _absent_required_message(source))
            continue
        if existing is None:
            rp.error(d.label, "Ce champ est obligatoire.")
        elif previous.get(d.code) not in (None, ""):
            rp.error(
                d.label,
                "Ce champ est obligatoire : la cellule vide effacerait la valeur enregistrée "
                f"(« {str(previous[d.code])[:60]} »).",
            )
        else:
            unfilled.append(d.label)
    if present or existing is None:
        rp.extra = cleaned
    return unfilled


def _absent_required_message(source: Source) -> str:
    if source.format == "json":
        return (
            "Ce champ est obligatoire pour créer une entrée, et un fichier bases.json ne peut pas "
            "le porter : importez plutôt un CSV ou un XLSX avec cette colonne, renseignée."
        )
    return (
        "Ce champ est obligatoire pour créer une entrée, et le fichier n'a pas cette colonne : "
        "ajoutez-la et renseignez-la."
    )


_Q_COLUMN = {
    "status": "statut_ouverture",
    "obligation_basis": "fondement",
    "grounds": "motifs",
    "occultation_method": "methode_occultation",
    "planned_date": "date_publication_prevue",
    "published_url": "lien_publication",
    "personal_data_basis": "donnees_personnelles",
    "formats": "format",
}


# --- Report -----------------------------------------------------------------------------------------


def plan_report(plan: Plan, *, applied: bool = False) -> dict[str, Any]:
    rows = []
    for rp in plan.rows[:REPORT_MAX_ROWS]:
        rows.append(
            {
                "line": rp.line,
                "action": rp.action,
                "title": rp.title,
                "errors": [{"column": c, "message": m} for c, m in rp.errors],
                "warnings": rp.warnings,
                "changes": rp.changes,
                "asset_id": rp.asset.pk if rp.asset is not None else rp.asset_id,
            }
        )
    return {
        "format": plan.source.format,
        "encoding": plan.source.encoding,
        "line_label": plan.source.line_label,
        "columns": plan.source.columns,
        "extra_fields": plan.source.extra_codes,
        "counts": plan.counts(),
        "total": len(plan.rows),
        "rows": rows,
        "truncated": len(plan.rows) > REPORT_MAX_ROWS,
        "unmatched_organisations": [
            {"name": name, "count": count} for name, count in plan.unmatched.most_common()
        ],
        "new_formats": sorted(plan.new_formats),
        "notices": plan.source.notices,
        "applied": applied,
    }


# --- Apply ----------------------------------------------------------------------------------------


def _assessment_fields(q: v.QualificationInput) -> dict[str, Any]:
    return {
        "status": q.status,
        "obligation_basis": q.obligation_basis,
        "occultation_method": q.occultation_method or "",
        "planned_date": v.parse_date(q.planned_date),
        "published_url": q.published_url or "",
    }


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _audit_value(value: Any) -> Any:
    """JSON-friendly value for the audit trail (cheap: the import writes thousands of rows)."""
    if value.__class__ in _PLAIN or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Model):  # ids, like services.asset_snapshot: a revert reads them back
        return value.pk
    if isinstance(value, list):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


@transaction.atomic
def apply_plan(plan: Plan, *, actor: Any, progress: ProgressFn | None = None) -> dict[str, int]:
    """Write the plan's created and updated rows in bulk. Must run in a transaction (it is one)."""
    ministry = plan.ministry
    if not access_for(actor).can_edit_ministry(ministry.pk) and actor is not None:
        raise PermissionDenied("Vous ne pouvez pas importer dans l'inventaire de ce ministère.")
    now = timezone.now()
    actor_obj = actor if getattr(actor, "pk", None) else None
    todo = [r for r in plan.rows if r.action in ("created", "updated")]
    # Formats the portal does not know yet, named by the rows that write formats (those of
    # `plan.new_formats`, which the dry run listed).
    known = {cs.format_key(f.name): f for f in Format.objects.all()}
    missing = {}
    for rp in todo:
        if rp.action == "updated" and "format" not in rp.changes:
            continue
        for name in rp.formats or []:
            key = cs.format_key(name)
            if key not in known and key not in missing:
                missing[key] = Format(
                    name=name.strip()[:50],
                    is_open=key in cs.OPEN_FORMATS,
                    machine_readable=key in cs.OPEN_MACHINE_READABLE_FORMATS,
                )
    if missing:
        Format.objects.bulk_create(list(missing.values()), ignore_conflicts=True)
        known = {cs.format_key(f.name): f for f in Format.objects.all()}

    created_rows = [r for r in todo if r.action == "created"]
    updated_rows = [r for r in todo if r.action == "updated"]
    _lock_unchanged_since_plan(updated_rows)
    done = 0

    # --- created -------------------------------------------------------------------------
    actor_id = actor_obj.pk if actor_obj is not None else None
    creations: list[dict[str, Any]] = []
    licences: list[Any] = []
    for rp in created_rows:
        assert rp.organization is not None
        row = dict(rp.values)
        for name in ("first_published_at", "last_updated_at"):
            if name in row:
                row[name] = v.parse_date(row[name])
        licence = row.pop("licence", None)
        licences.append(licence)
        if "licence" in rp.values:
            row["licence_id"] = licence.pk if licence is not None else None
        row["organization_id"] = rp.organization.pk
        row["import_key"] = rp.key
        row["extra"] = rp.extra or {}
        creations.append(row)
    new_assets, shared = new_instances(
        DataAsset,
        creations,
        ministry_id=ministry.pk,
        created_by_id=actor_id,
        created_at=now,
        updated_at=now,
    )
    # The relations known without a query (a new entry has no processing).
    licence_field = DataAsset._meta.get_field("licence")
    processing_field = DataAsset._meta.get_field("processing")
    for asset, licence in zip(new_assets, licences, strict=True):
        licence_field.set_cached_value(asset, licence)
        processing_field.set_cached_value(asset, None)
    # Each entry's qualification, and the compliance fact of an entry without one, are made
    # while PostgreSQL writes the entries (the other facts wait for the qualifications).
    build_assessment = InstanceBuilder(
        OpenByDefaultAssessment,
        {"asset_id"}
        | (
            set(_assessment_fields(v.QualificationInput()))
            if any(rp.qualification for rp in created_rows)
            else set()
        ),
        ministry_id=ministry.pk,
        created_by_id=actor_id,
    )
    assessments: list[OpenByDefaultAssessment] = []
    facts: list[tuple[Any, ...] | None] = []
    pending = iter(created_rows)
    # Their keys now (PostgreSQL): the fact reads the qualification's grounds, which needs one.
    assessment_ids = iter(
        _reserve_ids(OpenByDefaultAssessment, len(created_rows))
        if created_rows and connection.vendor == "postgresql"
        else ()
    )

    step = progress_step(len(todo))

    def describe(asset: DataAsset) -> None:
        # Progress while the new entries are sent (the bulk of the time for a large file).
        if progress is not None and assessments and len(assessments) % step == 0:
            progress(len(assessments), len(todo))
        rp = next(pending)
        rp.asset = asset
        fields = _assessment_fields(rp.qualification) if rp.qualification else {}
        assessment = build_assessment({"asset_id": asset.pk, **fields})
        assessment.pk = next(assessment_ids, None)
        assessments.append(assessment)
        early = rp.qualification is None and assessment.pk is not None
        facts.append(fact(rp, asset, assessment, []) if early else None)

    # A new entry's fact (`state_row`'s values, as a tuple of `fact_columns`), from what is in
    # memory: no processing, no designation yet. The same time, ministry and (not) deleted for
    # all: written once (`insert_tuples(shared=…)`).
    fact_shared = {"recorded_at": now, "ministry_id_at": ministry.pk, "deleted": False}
    fact_columns = [
        f.attname
        for f in AssetStateHistory._meta.concrete_fields
        if not f.primary_key and f.attname not in fact_shared
    ]

    def fact(
        rp: RowPlan,
        asset: DataAsset,
        assessment: OpenByDefaultAssessment,
        ground_links: list[AssessmentGround],
    ) -> tuple[Any, ...]:
        values = v.state_values(
            asset,
            assessment=assessment,
            formats=[known[cs.format_key(n)] for n in rp.formats or []],
            links=ground_links,
            licence=rp.values.get("licence"),
            processing=None,
            designation=None,
            deleted=False,
            recorded_at=now,
        )
        return tuple([values[name] for name in fact_columns])

    fast_insert(DataAsset, new_assets, shared=shared, each=describe)
    through = DataAsset.formats.through
    links: set[tuple[int, int]] = set()
    for rp, asset in zip(created_rows, new_assets, strict=True):
        for name in rp.formats or []:
            links.add((asset.pk, known[cs.format_key(name)].pk))
    fast_insert(OpenByDefaultAssessment, assessments, shared=build_assessment.shared)
    done += len(created_rows)
    if progress:
        progress(done, len(todo))

    # --- updated -------------------------------------------------------------------------
    changed_fields: set[str] = set()
    audits: list[tuple[DataAsset, dict[str, Any]]] = []
    for rp in updated_rows:
        assert rp.asset is not None
        asset = rp.asset
        changes: dict[str, Any] = {}
        for name, value in rp.values.items():
            if name in ("first_published_at", "last_updated_at"):
                value = v.parse_date(value)
            current = getattr(asset, name)
            if not _same(current, value):
                changes[name] = [_audit_value(current), _audit_value(value)]
                setattr(asset, name, value)
                changed_fields.add(DataAsset._meta.get_field(name).name)
        if rp.extra is not None and rp.extra != asset.extra:
            changes["extra"] = [asset.extra, rp.extra]
            asset.extra = rp.extra
            changed_fields.add("extra")
        if rp.formats is not None and "format" in rp.changes:
            changes["formats"] = [sorted(rp.current_formats), sorted(rp.formats)]
        asset.import_key = rp.key
        asset.version += 1
        asset.updated_at = now
        if rp.qualification_changed:
            changes["qualification"] = ["", "modifiée par import"]
        audits.append((asset, changes))
    if updated_rows:
        DataAsset.objects.bulk_update(
            [r.asset for r in updated_rows if r.asset is not None],
            sorted(changed_fields | {"import_key", "version", "updated_at"}),
            batch_size=1000,
        )
        refresh = [r for r in updated_rows if r.formats is not None and "format" in r.changes]
        through.objects.filter(dataasset_id__in=[r.asset.pk for r in refresh]).delete()  # type: ignore[union-attr]
        for rp in refresh:
            for name in rp.formats or []:
                links.add((rp.asset.pk, known[cs.format_key(name)].pk))  # type: ignore[union-attr]
    insert_tuples(
        through,
        ["dataasset_id", "format_id"],
        sorted(links),
    )

    # --- qualifications --------------------------------------------------------------------
    qualified = [
        r
        for r in todo
        if r.qualification is not None and (r.action == "created" or r.qualification_changed)
    ]
    final = _write_qualifications(qualified, ministry, actor_obj, now) if qualified else {}

    # --- audit + facts ---------------------------------------------------------------------
    # Compliance facts: created entries are described from what is in memory (no reload);
    # updated ones are reloaded by `record_asset_state` (their qualification may not be loaded).

    def created_changes(rp: RowPlan, index: int) -> dict[str, Any]:
        """The audit of a created entry; its compliance fact is made on the way if the
        qualification it waited for is now written."""
        asset = new_assets[index]
        if facts[index] is None:
            facts[index] = fact(rp, asset, *final.get(asset.pk, (assessments[index], [])))
        after = {
            name: [None, _audit_value(value)]
            for name, value in rp.values.items()
            if value not in (None, "", [], {})
        }
        after["organization"] = [None, rp.organization.pk if rp.organization else None]
        if rp.formats:
            after["formats"] = [None, sorted(rp.formats)]
        if rp.extra:
            after["extra"] = [None, rp.extra]
        return after

    content_type = ContentType.objects.get_for_model(DataAsset)
    insert_tuples(
        AuditEntry,
        ["action", "object_id", "object_repr", "changes"],
        # A generator: each entry is described (audit and fact) while PostgreSQL writes the
        # previous ones.
        itertools.chain(
            (
                ("asset.created", str(asset.pk), asset.title[:300], created_changes(rp, i))
                for i, (rp, asset) in enumerate(zip(created_rows, new_assets, strict=True))
            ),
            (
                ("asset.updated", str(asset.pk), asset.title[:300], changes)
                for asset, changes in audits
            ),
        ),
        # Every entry of the plan belongs to its ministry (matched among the ministry's own).
        shared={
            "actor_id": actor_id,
            "content_type_id": content_type.pk,
            "ministry_id": ministry.pk,
            "created_at": now,
        },
    )
    written = [f for f in facts if f is not None]
    assert len(written) == len(created_rows)  # the generator above was read to its end
    insert_tuples(AssetStateHistory, fact_columns, written, shared=fact_shared)
    v.record_asset_state([r.asset.pk for r in updated_rows if r.asset is not None], recorded_at=now)
    if progress:
        progress(len(todo), len(todo))
    return {"created": len(created_rows), "updated": len(updated_rows)}


def _lock_unchanged_since_plan(rows: Sequence[RowPlan]) -> None:
    """Lock the entries the plan updates and check nobody saved them since they were read: the
    bulk update writes whole columns from what was read, so a concurrent edit would be lost."""
    read = {r.asset.pk: r.asset.version for r in rows if r.asset is not None}
    if not read:
        return
    current: dict[int, int] = {}
    ids = sorted(read)
    for start in range(0, len(ids), 5000):
        current.update(
            DataAsset.objects.select_for_update()
            .filter(pk__in=ids[start : start + 5000])
            .values_list("pk", "version")
        )
    stale = [pk for pk, version in read.items() if current.get(pk) != version]
    if stale:
        raise ValidationError(
            f"{len(stale)} entrée(s) ont été modifiées ou supprimées pendant l'import : rien n'a "
            "été enregistré. Relancez l'import ; son analyse partira des nouvelles valeurs."
        )


def _write_qualifications(
    rows: Sequence[RowPlan], ministry: Ministry, actor: Any, now: Any
) -> dict[int, tuple[OpenByDefaultAssessment, list[AssessmentGround]]]:
    from datasets.services import qualification_state

    asset_ids = [r.asset.pk for r in rows if r.asset is not None]
    current = {
        a.asset_id: a for a in OpenByDefaultAssessment.objects.filter(asset_id__in=asset_ids)
    }
    to_create = []
    to_update = []
    for rp in rows:
        assert rp.asset is not None and rp.qualification is not None
        fields = _assessment_fields(rp.qualification)
        assessment = current.get(rp.asset.pk)
        if assessment is None:
            assessment = OpenByDefaultAssessment(asset=rp.asset, ministry=ministry, **fields)
            to_create.append(assessment)
        else:
            for name, value in fields.items():
                setattr(assessment, name, value)
            assessment.version += 1
            assessment.updated_at = now
            to_update.append(assessment)
        current[rp.asset.pk] = assessment
    OpenByDefaultAssessment.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        OpenByDefaultAssessment.objects.bulk_update(
            to_update,
            [*_assessment_fields(v.QualificationInput()).keys(), "version", "updated_at"],
            batch_size=1000,
        )
    ids = [current[r.asset.pk].pk for r in rows if r.asset is not None]
    AssessmentGround.objects.filter(assessment_id__in=ids).delete()
    links = []
    history = []
    final: dict[int, tuple[OpenByDefaultAssessment, list[AssessmentGround]]] = {}
    for rp in rows:
        assert rp.asset is not None and rp.qualification is not None
        assessment = current[rp.asset.pk]
        row_links = [
            AssessmentGround(
                assessment=assessment,
                ground=g.ground,
                sub_reference=g.sub_reference,
                justification_internal=g.justification_internal,
                public_motive=g.public_motive,
            )
            for g in rp.qualification.grounds
        ]
        links.extend(row_links)
        final[rp.asset.pk] = (assessment, row_links)
        history.append(
            AssessmentHistory(
                asset=rp.asset,
                ministry_id_at=ministry.pk,
                recorded_at=now,
                actor=actor,
                status=assessment.status,
                obligation_basis=assessment.obligation_basis,
                data=qualification_state(assessment, row_links),
                comment="Import",
            )
        )
    AssessmentGround.objects.bulk_create(links, batch_size=2000)
    AssessmentHistory.objects.bulk_create(history, batch_size=1000)
    return final


# --- Bulk insertion ------------------------------------------------------------------------------


_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
# One encoder for every JSON value (json.dumps with an option builds a new encoder per call).
_json_text = json.JSONEncoder(ensure_ascii=False).encode


def _copy_text(value: Any) -> str:
    """A value in COPY's text format (NULL as \\N; backslash, tab and line breaks escaped)."""
    if value.__class__ is str:
        text = value
    elif value is None:
        return "\\N"
    elif isinstance(value, bool):
        return "t" if value else "f"
    elif isinstance(value, int):
        return str(value)
    elif isinstance(value, dict | list):
        if not value:
            return "{}" if isinstance(value, dict) else "[]"
        text = _json_text(value)
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    else:
        text = str(value)
    if _COPY_SPECIAL.search(text):
        text = _COPY_SPECIAL.sub(lambda m: _COPY_ESCAPES[m.group(0)], text)
    return text


class _Stream:
    """What COPY FROM STDIN reads: lines made as the server asks for them, so that Python
    prepares the next rows while PostgreSQL writes the previous ones (and the whole text is
    never held in memory)."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines

    def read(self, size: int = -1) -> str:
        return "".join(itertools.islice(self.lines, 250))


def _copy(table: str, columns: Sequence[str], shared: Sequence[Any], lines: Iterator[str]) -> None:
    """COPY rows into `table`: `columns` name the `shared` values (the same for every row,
    serialised once) then the values each line of `lines` holds (already in COPY's format)."""
    head = "".join(_copy_text(value) + "\t" for value in shared)
    names = ", ".join(f'"{column}"' for column in columns)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f'COPY "{table}" ({names}) FROM STDIN',
            _Stream(f"{head}{line}\n" for line in lines),
            size=65536,
        )


def insert_tuples(
    model: type[Any],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    shared: Mapping[str, Any] | None = None,
) -> None:
    """INSERT plain value tuples (attnames as columns; the id comes from the table's default),
    plus the `shared` attname → value that every row has. PostgreSQL: one COPY, no model
    instance; elsewhere: bulk_create. `rows` may be a generator (read once, as COPY goes)."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return
    rows = itertools.chain([first], iterator)
    shared = dict(shared or {})
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**shared, **dict(zip(columns, row, strict=True))) for row in rows],
            batch_size=1000,
        )
        return
    names = {f.attname: f.column for f in model._meta.concrete_fields}
    _copy(
        model._meta.db_table,
        [names[c] for c in [*shared, *columns]],
        list(shared.values()),
        ("\t".join([_copy_text(v) for v in row]) for row in rows),
    )


def _reserve_ids(model: type[Any], count: int) -> list[int]:
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def fast_insert(
    model: type[Any],
    objs: Sequence[Any],
    *,
    shared: Sequence[str] = (),
    each: Callable[[Any], None] | None = None,
) -> None:
    """INSERT many instances. On PostgreSQL, ids are reserved from the sequence and the rows are
    sent with COPY (Django's bulk_create spends most of its time preparing values one by one);
    elsewhere, bulk_create. The objects get their primary key either way. `shared`: attnames
    the caller guarantees equal on every object (serialised once, from the first). Timestamps
    left empty (auto_now, auto_now_add) get one time for the whole batch. `each(obj)`: called
    for every object, in order, once it has its key (on PostgreSQL while the rows are sent, so
    that work is done while the server writes)."""
    if not objs:
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated]
    stamp = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            attname = f.attname
            for obj in objs:
                if obj.__dict__.get(attname) is None:
                    setattr(obj, attname, stamp)
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=1000)
        if each is not None:
            for obj in objs:
                each(obj)
        return
    keyless = [obj for obj in objs if obj.pk is None]  # the others had theirs reserved
    for obj, pk in zip(keyless, _reserve_ids(model, len(keyless)) if keyless else (), strict=True):
        obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = "default"
    first = objs[0].__dict__
    same = [f for f in fields if f.attname in shared and f is not meta.pk]
    own = [f.attname for f in fields if f not in same]
    _copy(
        meta.db_table,
        [f.column for f in same] + [f.column for f in fields if f not in same],
        [first.get(f.attname) for f in same],
        (_line(obj, own, each) for obj in objs),
    )


def _line(obj: Any, attnames: Sequence[str], each: Callable[[Any], None] | None) -> str:
    values = obj.__dict__
    line = "\t".join([_copy_text(values.get(a)) for a in attnames])
    if each is not None:
        each(obj)
    return line


class InstanceBuilder:
    """Unsaved instances of `model` from mappings of attname → value (only the attnames in
    `varying`), over `common` and the fields' defaults; `shared`: the attnames every instance
    built shares (for `fast_insert(shared=…)`).

    The defaults are resolved once (on a template); a field whose default is a callable (a
    list, a dict…) gets its own value per instance. Each instance is then what `model(*values)`
    builds, without its per-field descriptor calls when nothing can tell the difference (no
    init signal receiver, plain field attributes): for thousands of rows, 3x cheaper."""

    def __init__(self, model: type[Any], varying: Iterable[str], **common: Any) -> None:
        fields = model._meta.concrete_fields
        varying = set(varying)
        template = model(**common)
        self.model = model
        self.position = {f.attname: i for i, f in enumerate(fields)}
        self.base = [DEFERRED if f.generated else template.__dict__.get(f.attname) for f in fields]
        self.fresh = [
            (i, f)
            for i, f in enumerate(fields)
            if f.has_default() and callable(f.default) and f.attname not in varying
        ]
        self.plain = (
            not pre_init.has_listeners(model)
            and not post_init.has_listeners(model)
            and all(
                type(model.__dict__.get(f.attname))
                in (DeferredAttribute, ForeignKeyDeferredAttribute)
                for f in fields
            )
        )
        self.attnames = [f.attname for f in fields]
        self.shared = [
            f.attname
            for f in fields
            if not f.primary_key
            and f.attname not in varying
            and not (f.has_default() and callable(f.default))
        ]

    def __call__(self, row: Mapping[str, Any]) -> Any:
        args = self.base.copy()
        for i, f in self.fresh:
            args[i] = f.get_default()
        for name, value in row.items():
            args[self.position[name]] = value
        if not self.plain:
            return self.model(*args)
        obj = object.__new__(self.model)
        obj._state = ModelState()
        obj.__dict__.update(
            [
                (name, value)
                for name, value in zip(self.attnames, args, strict=True)
                if value is not DEFERRED
            ]
        )
        return obj


def new_instances(
    model: type[Any], rows: Sequence[Mapping[str, Any]], **common: Any
) -> tuple[list[Any], list[str]]:
    """`InstanceBuilder` over `rows`: the instances and the attnames they all share."""
    build = InstanceBuilder(model, {name for row in rows for name in row}, **common)
    return [build(row) for row in rows], build.shared


# --- The dry run's plan, kept for the apply ------------------------------------------------------
#
# The dry run stores its normalised rows in the job (`ImportJob.normalised_plan`, JSON compressed
# with zlib: web and worker may be different machines) with a digest of everything the plan was
# computed from:
# the file, the chosen organisation, the day (dates are checked against it), the ministry's
# organisations and extra-field definitions, the licences, formats and legal grounds, the
# identity and version of every entry of the ministry, and the full rows (formats, qualification,
# grounds) of the entries the file matched. The apply recomputes that digest inside its
# transaction: equal, it writes the stored rows without reading and validating the file again;
# different (or no stored plan, or another version of this code), it recomputes the plan as
# before. Either way the entries it updates are locked and their version checked before writing
# (`_lock_unchanged_since_plan`).

PLAN_FORMAT = 1


def _inputs_digest(job: ImportJob, ministry: Ministry, asset_ids: Iterable[int]) -> str:
    digest = hashlib.sha256()

    def feed(label: str, rows: Iterable[Any]) -> None:
        digest.update(f"\n[{label}]".encode())
        for row in rows:
            digest.update(repr(row).encode())
            digest.update(b"\n")

    feed(
        "job",
        [
            PLAN_FORMAT,
            hashlib.sha256(bytes(job.payload)).hexdigest(),
            job.filename,
            job.target_id,
            timezone.localdate().isoformat(),
            ministry.pk,
            ministry.name,
        ],
    )
    feed(
        "organisations",
        Organization.objects.filter(ministry=ministry)
        .order_by("pk")
        .values_list("pk", "name", "siret", "id_alt", "ministry_id", "headcount_etp", "kind"),
    )
    feed(
        "definitions",
        ExtraFieldDefinition.objects.filter(ministry=ministry).order_by("pk").values_list(),
    )
    feed("licences", Licence.objects.order_by("pk").values_list())
    feed("formats", Format.objects.order_by("pk").values_list())
    feed("grounds", LegalGround.objects.order_by("pk").values_list())
    feed(
        "entries",
        DataAsset.objects.filter(ministry=ministry)
        .order_by("pk")
        .values_list("pk", "title", "organization_id", "import_key", "version")
        .iterator(chunk_size=5000),
    )
    ids = sorted(set(asset_ids))
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        feed("matched", DataAsset.objects.filter(pk__in=chunk).order_by("pk").values_list())
        feed(
            "matched formats",
            DataAsset.formats.through.objects.filter(dataasset_id__in=chunk)
            .order_by("dataasset_id", "format_id")
            .values_list("dataasset_id", "format_id"),
        )
        feed(
            "matched qualifications",
            OpenByDefaultAssessment.objects.filter(asset_id__in=chunk).order_by("pk").values_list(),
        )
        feed(
            "matched grounds",
            AssessmentGround.objects.filter(assessment__asset_id__in=chunk)
            .order_by("pk")
            .values_list(),
        )
    return digest.hexdigest()


def _row_data(rp: RowPlan) -> dict[str, Any]:
    row: dict[str, Any] = {"line": rp.line, "title": rp.title, "action": rp.action}
    if rp.errors:
        row["errors"] = [list(error) for error in rp.errors]
    if rp.warnings:
        row["warnings"] = rp.warnings
    if rp.changes:
        row["changes"] = rp.changes
    if rp.asset is not None:
        row["asset"] = rp.asset.pk
    if rp.action not in ("created", "updated"):
        return row
    assert rp.organization is not None
    values = dict(rp.values)
    if "licence" in values:
        values["licence"] = values["licence"].pk if values["licence"] is not None else None
    row.update(
        organization=rp.organization.pk,
        key=rp.key,
        values=values,
        formats=rp.formats,
        extra=rp.extra,
        qualification_changed=rp.qualification_changed,
        current_formats=rp.current_formats,
    )
    q = rp.qualification
    if q is not None:
        planned = v.parse_date(q.planned_date)
        row["qualification"] = [
            q.status,
            q.obligation_basis,
            q.occultation_method,
            planned.isoformat() if planned is not None else None,
            q.published_url,
            [
                [g.ground.code, g.sub_reference, g.justification_internal, g.public_motive]
                for g in q.grounds
            ],
        ]
    return row


def store_plan(job: ImportJob, plan: Plan) -> None:
    """Keep the dry run's normalised plan in the job for the apply (see above). A plan holding a
    value that JSON does not carry as it is is not kept (the apply then recomputes it)."""
    data = {
        "format": PLAN_FORMAT,
        "digest": _inputs_digest(job, plan.ministry, [r.asset.pk for r in plan.rows if r.asset]),
        "source": {
            "format": plan.source.format,
            "columns": plan.source.columns,
            "extra_codes": plan.source.extra_codes,
            "encoding": plan.source.encoding,
            "line_label": plan.source.line_label,
            "notices": plan.source.notices,
        },
        "unmatched": list(plan.unmatched.items()),
        "new_formats": sorted(plan.new_formats),
        "rows": [_row_data(rp) for rp in plan.rows],
    }
    try:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        stored = b""
    else:  # compressed here, cheaper than by the database (several MB for 5,000 rows)
        stored = zlib.compress(text.encode("utf-8"), 1)
    # Not on a job cancelled meanwhile (its file is dropped, so is what was read from it).
    ImportJob.objects.filter(pk=job.pk).exclude(state=ImportJob.State.CANCELLED).update(
        normalised_plan=stored
    )
    job.normalised_plan = stored


def stored_plan(job: ImportJob) -> Plan | None:
    """The dry run's plan if nothing it was computed from changed since, else None."""
    if not job.normalised_plan:
        return None
    data = json.loads(zlib.decompress(job.normalised_plan))
    if data.get("format") != PLAN_FORMAT:
        return None
    ministry = job.ministry
    rows = data["rows"]
    if _inputs_digest(job, ministry, [r["asset"] for r in rows if "asset" in r]) != data["digest"]:
        return None
    todo = [r for r in rows if r["action"] in ("created", "updated")]
    updated_ids = sorted(r["asset"] for r in todo if r["action"] == "updated")
    assets: dict[int, DataAsset] = {}
    for start in range(0, len(updated_ids), 2000):
        assets.update(
            (a.pk, a)
            for a in DataAsset.objects.filter(
                pk__in=updated_ids[start : start + 2000]
            ).select_related("licence")
        )
    organizations = Organization.objects.in_bulk({r["organization"] for r in todo})
    licences = Licence.objects.in_bulk(
        {r["values"]["licence"] for r in todo if r["values"].get("licence") is not None}
    )
    grounds = (
        {g.code: g for g in LegalGround.objects.all()}
        if any("qualification" in r for r in todo)
        else {}
    )
    source = data["source"]
    plan = Plan(
        ministry=ministry,
        source=Source(
            format=source["format"],
            columns=source["columns"],
            extra_codes=source["extra_codes"],
            rows=lambda: iter(()),
            encoding=source["encoding"],
            line_label=source["line_label"],
            notices=source.get("notices", []),
        ),
        unmatched=Counter(dict(data["unmatched"])),
        new_formats=set(data["new_formats"]),
    )
    if set(updated_ids) - set(assets) or {r["organization"] for r in todo} - set(organizations):
        return None  # deleted since the digest was read: recompute (and report) as before
    for row in rows:
        rp = RowPlan(
            line=row["line"],
            title=row["title"],
            action=row["action"],
            errors=[(column, message) for column, message in row.get("errors", ())],
            warnings=row.get("warnings", []),
            changes=row.get("changes", []),
            asset_id=row.get("asset"),
        )
        plan.rows.append(rp)
        if rp.action not in ("created", "updated"):
            continue
        rp.asset = assets[row["asset"]] if rp.action == "updated" else None
        rp.organization = organizations[row["organization"]]
        rp.key = row["key"]
        rp.values = row["values"]
        if "licence" in rp.values:
            rp.values["licence"] = licences.get(rp.values["licence"])
        rp.formats = row["formats"]
        rp.extra = row["extra"]
        rp.qualification_changed = row["qualification_changed"]
        rp.current_formats = row["current_formats"]
        if "qualification" in row:
            status, basis, occultation, planned, url, links = row["qualification"]
            rp.qualification = v.QualificationInput(
                status=status,
                obligation_basis=basis,
                occultation_method=occultation,
                planned_date=v.parse_date(planned),
                published_url=url,
                grounds=[v.GroundInput(grounds[code], *texts) for code, *texts in links],
            )
    return plan


# --- Jobs -------------------------------------------------------------------------------------------


def _job_source(job: ImportJob) -> Source:
    return read_source(
        bytes(job.payload),
        job.filename,
        job.ministry,
        has_default_organization=job.target_id is not None,
    )


def _default_organization(job: ImportJob) -> Organization | None:
    if job.target_id is None:
        return None
    return Organization.objects.filter(pk=job.target_id, ministry_id=job.ministry_id).first()


def job_progress(job_id: int) -> Callable[[int, int], None]:
    def update(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(progress_done=done, progress_total=total)

    return update


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """A dry run or an apply makes tens of thousands of objects that live until it ends: the
    cyclic garbage collector would walk them again and again (a third of the apply's time for
    5,000 rows). It is paused meanwhile, then resumed; what is cyclic is collected as usual then."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def analyse_job(job: ImportJob) -> dict[str, Any]:
    """The dry run: classify every row, store the report. Writes only the job (its progress and
    its normalised plan, see `store_plan`)."""
    with _collector_paused():
        return _analyse_job(job)


def _analyse_job(job: ImportJob) -> dict[str, Any]:
    source = _job_source(job)
    total = sum(1 for _ in source.rows())
    ImportJob.objects.filter(pk=job.pk).update(progress_done=0, progress_total=total)
    plan = build_plan(
        job.ministry,
        source,
        default_organization=_default_organization(job),
        progress=job_progress(job.pk),
        total=total,
    )
    report = plan_report(plan)
    if not nothing_to_apply(report):
        store_plan(job, plan)
    return report


def nothing_to_apply(report: Mapping[str, Any]) -> bool:
    """Whether a dry run found no entry to create or update: there is nothing to confirm."""
    counts = report.get("counts", {})
    return not (counts.get("created", 0) or counts.get("updated", 0))


def closed_without_apply(report: dict[str, Any]) -> tuple[str, str]:
    """The final state (and error) of a job whose dry run found nothing to write, which needs
    no confirmation: « Importé » when the inventory already holds what the file describes (some
    rows unchanged), « Échec » when every row is rejected. The report says so (`nothing_to_apply`)
    and is shown as the import's result."""
    report["applied"] = True
    report["nothing_to_apply"] = True
    report["written"] = {"created": 0, "updated": 0}
    counts = report.get("counts", {})
    if counts.get("unchanged", 0):
        return ImportJob.State.APPLIED, ""
    rejected = counts.get("rejected", 0)
    return (
        ImportJob.State.FAILED,
        f"Aucune ligne du fichier ne peut être importée : {rejected} ligne(s) rejetée(s), "
        "détaillées ci-dessous. Corrigez le fichier puis déposez-le à nouveau.",
    )


def apply_job(job: ImportJob, *, actor: Any, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Write the plan (atomic: the caller's transaction). The dry run's normalised plan is used
    when nothing it was computed from has changed since (`stored_plan`); otherwise the plan is
    recomputed from the stored bytes and what the database holds now."""
    with _collector_paused():
        return _apply_job(job, actor=actor, progress=progress)


def _apply_job(job: ImportJob, *, actor: Any, progress: ProgressFn | None) -> dict[str, Any]:
    plan = stored_plan(job)
    if plan is None:
        source = _job_source(job)
        plan = build_plan(job.ministry, source, default_organization=_default_organization(job))
    written = apply_plan(plan, actor=actor, progress=progress)
    report = plan_report(plan, applied=True)
    report["written"] = written
    return report


def import_job_create(
    *,
    actor: Any,
    ministry: Ministry,
    filename: str,
    data: bytes,
    default_organization: Organization | None = None,
) -> ImportJob:
    """Check the file's structure at once (so a bad file is refused on the form, nothing stored),
    then store it in the database for the worker."""
    access = access_for(actor)
    if not access.can_edit_ministry(ministry.pk):
        raise PermissionDenied("Vous ne pouvez pas importer dans l'inventaire de ce ministère.")
    if default_organization is not None and default_organization.ministry_id != ministry.pk:
        raise ValidationError(
            {"organization": ["Cette organisation ne relève pas du ministère choisi."]}
        )
    read_source(data, filename, ministry, has_default_organization=default_organization is not None)
    return ImportJob.objects.create(
        kind=ImportJob.Kind.INVENTORY,
        ministry=ministry,
        target_id=default_organization.pk if default_organization is not None else None,
        filename=v.replace_forbidden(filename)[:255],
        payload=data,
        size=len(data),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
