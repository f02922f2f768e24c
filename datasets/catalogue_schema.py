"""The Etalab "Catalogue de données" Table Schema (v0.3.0) and the portal's own columns.

One place states how a spreadsheet column maps to a `DataAsset` field, so the import and the
exports cannot disagree:

- the 17 Etalab columns in the schema's exact order (`ETALAB_COLUMNS`);
- the portal's optional qualification columns (`PORTAL_COLUMNS`), written by the extended
  export and read back by the import (a status that breaks a legal rule is refused there);
- header aliases: the schema's French titles ("Mots clés", "Date de mise à jour"…) and the
  names used by catalogue.data.gouv.fr's export are accepted (headers are compared once
  normalised: lower case, no accents, punctuation as "_");
- French labels of `freq_maj` ↔ `UpdateFrequency`; licence label ↔ `core.Licence` (matched on
  its identifier, name or one of its aliases).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from core.models import LegalGround, Licence
from datasets.models import AssetType, DataAsset, OpenByDefaultAssessment, UpdateFrequency

SCHEMA_VERSION = "0.3.0"


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    field: str  # DataAsset field, or a pseudo field handled by the import ("organization"…)
    required: bool = False  # required *value* in the Etalab schema


ETALAB_COLUMNS: tuple[Column, ...] = (
    Column("titre", "Titre", "title", True),
    Column("description", "Description", "description", True),
    Column("mots_cles", "Mots clés", "keywords", True),
    Column("nom_orga", "Organisation", "org_name", True),
    Column("siret_orga", "Numéro SIRET", "org_siret"),
    Column("id_alt_orga", "Identifiant alternatif", "org_id_alt"),
    Column("service", "Service", "service", True),
    Column("si", "Système d'information", "source_system"),
    Column("contact_service", "Contact service", "contact_service"),
    Column("contact_personne", "Contact", "contact_person", True),
    Column("date_pub", "Date de première publication", "first_published_at"),
    Column("date_maj", "Date de mise à jour", "last_updated_at"),
    Column("freq_maj", "Fréquence de mise à jour", "update_frequency"),
    Column("couv_geo", "Couverture géographique", "geo_coverage", True),
    Column("url", "URL", "url"),
    Column("format", "Format", "formats", True),
    Column("licence", "Licence", "licence"),
)
ETALAB_NAMES = tuple(c.name for c in ETALAB_COLUMNS)

# The portal's own columns (extended export, optional at import).
PORTAL_COLUMNS: tuple[Column, ...] = (
    Column("type", "Type", "asset_type"),
    Column("visibilite", "Visibilité", "visibility"),
    Column("acronyme", "Acronyme", "acronym"),
    Column("donnees_personnelles", "Données personnelles", "contains_personal_data"),
    Column("identifiant_datagouv", "Identifiant data.gouv.fr", "datagouv_dataset_id"),
    Column("processus_collecte", "Processus de collecte", "collection_process"),
    Column("statut_ouverture", "Statut d'ouverture", "q_status"),
    Column("fondement", "Fondement de l'obligation", "q_basis"),
    Column("motifs", "Motifs", "q_grounds"),
    Column("justification", "Justification", "q_justification"),
    Column("methode_occultation", "Méthode d'occultation", "q_occultation"),
    Column("date_publication_prevue", "Date de publication prévue", "q_planned_date"),
    Column("lien_publication", "Lien de publication", "q_published_url"),
)
PORTAL_NAMES = tuple(c.name for c in PORTAL_COLUMNS)
ALL_COLUMNS = {c.name: c for c in ETALAB_COLUMNS + PORTAL_COLUMNS}
QUALIFICATION_COLUMNS = frozenset(
    {
        "statut_ouverture",
        "fondement",
        "motifs",
        "justification",
        "methode_occultation",
        "date_publication_prevue",
        "lien_publication",
    }
)


_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
_LIST_SEPARATOR = re.compile(r"[,;]")


def normalise(text: str) -> str:
    """Lower case, no accents, runs of anything else than letters and digits as one space."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_ALPHANUMERIC.sub(" ", ascii_text).strip()


def header_key(text: str) -> str:
    return normalise(text).replace(" ", "_")


# Other spellings seen in catalogues (catalogue.data.gouv.fr export, hand-made spreadsheets).
_EXTRA_ALIASES = {
    "mots_clefs": "mots_cles",
    "mots_cle": "mots_cles",
    "keywords": "mots_cles",
    "organisation": "nom_orga",
    "producteur": "nom_orga",
    "siret": "siret_orga",
    "systeme_d_information": "si",
    "contact": "contact_personne",
    "date_de_publication": "date_pub",
    "derniere_mise_a_jour": "date_maj",
    "date_de_derniere_mise_a_jour": "date_maj",
    "frequence": "freq_maj",
    "frequence_de_mise_a_jour": "freq_maj",
    "couverture_geographique": "couv_geo",
    "lien": "url",
    "formats": "format",
    "statut": "statut_ouverture",
}


def _build_aliases() -> dict[str, str]:
    aliases = dict(_EXTRA_ALIASES)
    for column in ETALAB_COLUMNS + PORTAL_COLUMNS:
        aliases[column.name] = column.name
        aliases.setdefault(header_key(column.title), column.name)
    return aliases


HEADER_ALIASES = _build_aliases()


def column_for_header(header: str) -> str | None:
    """The canonical column name of a spreadsheet header, or None if it is not a known one."""
    return HEADER_ALIASES.get(header_key(header))


# --- Update frequency ------------------------------------------------------------------------

_FREQUENCY_SYNONYMS = {
    "en continu": UpdateFrequency.TEMPS_REEL,
    "continue": UpdateFrequency.TEMPS_REEL,
    "temps reel": UpdateFrequency.TEMPS_REEL,
    "quotidien": UpdateFrequency.QUOTIDIENNE,
    "journaliere": UpdateFrequency.QUOTIDIENNE,
    "hebdomadaire": UpdateFrequency.HEBDOMADAIRE,
    "mensuel": UpdateFrequency.MENSUELLE,
    "trimestriel": UpdateFrequency.TRIMESTRIELLE,
    "semestriel": UpdateFrequency.SEMESTRIELLE,
    "annuel": UpdateFrequency.ANNUELLE,
    "ponctuelle": UpdateFrequency.IRREGULIERE,
    "irreguliere": UpdateFrequency.IRREGULIERE,
    "aucune": UpdateFrequency.JAMAIS,
    "non planifiee": UpdateFrequency.JAMAIS,
}


def _frequency_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in UpdateFrequency.choices:
        table[normalise(str(label))] = value
        table[normalise(value)] = value
    for key, value in _FREQUENCY_SYNONYMS.items():
        table.setdefault(key, value)
    return table


_FREQUENCIES = _frequency_table()


def parse_frequency(text: str) -> tuple[str, bool]:
    """(UpdateFrequency value, exact?) of a French label; ValueError if nothing fits.

    A label that *starts* with a known one ("Annuelle ou plusieurs fois par an") is read as
    that one and flagged inexact, so the import can report how it was understood."""
    key = normalise(text)
    if not key:
        return "", True
    if key in _FREQUENCIES:
        return _FREQUENCIES[key], True
    for known in sorted(_FREQUENCIES, key=len, reverse=True):
        if key.startswith(known + " "):
            return _FREQUENCIES[known], False
    raise ValueError(text)


def frequency_label(value: str) -> str:
    return str(UpdateFrequency(value).label) if value in UpdateFrequency.values else ""


def frequency_choices_text() -> str:
    return ", ".join(str(label) for _, label in UpdateFrequency.choices)


# --- Licences --------------------------------------------------------------------------------


class LicenceIndex:
    """Normalised identifier, name and aliases of every licence → Licence."""

    def __init__(self, licences: Iterable[Licence] | None = None) -> None:
        self.by_key: dict[str, Licence] = {}
        for licence in licences if licences is not None else Licence.objects.all():
            for label in [licence.spdx_id, licence.name, *(licence.aliases or [])]:
                if label:
                    self.by_key.setdefault(normalise(str(label)), licence)

    def find(self, text: str) -> Licence | None:
        return self.by_key.get(normalise(text))


def licence_label(licence: Licence | None) -> str:
    return licence.name if licence is not None else ""


# --- Formats ---------------------------------------------------------------------------------

# Flags given to a format that an import names and the portal does not know yet.
OPEN_MACHINE_READABLE_FORMATS = frozenset(
    {"CSV", "JSON", "GEOJSON", "XML", "RDF", "TTL", "JSON-LD", "ODS", "PARQUET", "GPKG", "SHP"}
)
OPEN_FORMATS = OPEN_MACHINE_READABLE_FORMATS | frozenset({"ODT", "TXT", "HTML"})


def split_list(text: str) -> list[str]:
    """Keywords and formats are separated by commas (semicolons accepted); blanks dropped."""
    parts = _LIST_SEPARATOR.split(text or "")
    out: list[str] = []
    for part in parts:
        item = part.strip()
        if item and item not in out:
            out.append(item)
    return out


def format_key(name: str) -> str:
    return name.strip().upper()


def join_list(items: Iterable[str]) -> str:
    return ",".join(items)


# --- Qualification vocabularies ----------------------------------------------------------------

Status = OpenByDefaultAssessment.Status
Basis = OpenByDefaultAssessment.Basis


def _choice_table(choices: Iterable[tuple[str, object]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in choices:
        table[normalise(str(label))] = value
        table[normalise(value)] = value
    return table


STATUS_TABLE = _choice_table(Status.choices)
BASIS_TABLE = _choice_table(Basis.choices)
OCCULTATION_TABLE = _choice_table(OpenByDefaultAssessment.OccultationMethod.choices)
ASSET_TYPE_TABLE = _choice_table(AssetType.choices)
VISIBILITY_TABLE = _choice_table(DataAsset.Visibility.choices)


def parse_choice(table: dict[str, str], text: str) -> str:
    key = normalise(text)
    if not key:
        return ""
    if key not in table:
        raise ValueError(text)
    return table[key]


def ground_codes(grounds: Iterable[LegalGround]) -> str:
    return ",".join(sorted(g.code for g in grounds))


# --- Export header -----------------------------------------------------------------------------


def etalab_header() -> list[str]:
    return list(ETALAB_NAMES)


def extended_header(extra_labels: Iterable[str]) -> list[str]:
    return [*ETALAB_NAMES, *PORTAL_NAMES, *extra_labels]
