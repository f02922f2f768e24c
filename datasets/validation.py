"""Validation of inventory entries and of their open-by-default qualification (DOMAIN §5, 1-7).

Pure functions: they read the objects they are given and never write. Services, forms, the REST
API and the spreadsheet import all call them, so a rule is stated once and every entry point
answers with the same French message, keyed by field name.

`record_asset_state` is the one writer here: it appends the `AssetStateHistory` rows that the
compliance engine reads. Every write of an entry or of its qualification calls it (single edit,
bulk action, import, delete with `deleted=True`).

Semantics of the facts recorded (read by `supervision`):
- `catalogue_complete`: `missing_catalogue_fields(...)` is empty (criterion I2);
- `has_valid_ground`: the grounds satisfy the status's ground rule (rules 1-3). For statuses that
  need no ground it is True when at least one active ground is attached, False otherwise;
- `has_justification`: at least one ground and every ground carries an internal justification;
- `licence_compliant`: a licence is set and it is decree-listed or homologated (Q1);
- `open_machine_readable`: at least one format is both open and machine-readable (Q2);
- `ropa_linked`: the entry is linked to a processing that has an id in the record (P1);
- `annex1_metadata`, `reference_*`, `spd_dataset_ref`, `process_info_published`: overlay R
  (§6.3): how many of the 8 metadata of the arrêté of 14 June 2017 the entry carries, and its
  reference-data designation as it stood (the designation service records a row too).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.models import LegalGround, Licence, NoAnonymisationCategory, PersonalDataCategory
from core.validators import validate_public_url
from datasets.models import (
    AssessmentGround,
    AssetStateHistory,
    AssetType,
    Criticality,
    DataAsset,
    ExtraFieldDefinition,
    Format,
    InternalUse,
    OpenByDefaultAssessment,
    ReferenceDataDesignation,
    SharingMode,
    UpdateFrequency,
)

if TYPE_CHECKING:
    from administrators.models import Organization

Status = OpenByDefaultAssessment.Status
Basis = OpenByDefaultAssessment.Basis
PDBasis = OpenByDefaultAssessment.PersonalDataBasis
Regime = LegalGround.Regime

Errors = dict[str, list[str]]


def _add(errors: Errors, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


@dataclass
class ValidationResult:
    """Errors block a save; warnings and suggestions are shown but do not."""

    errors: Errors = field(default_factory=dict)
    warnings: Errors = field(default_factory=dict)
    suggestions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, key: str, message: str) -> None:
        _add(self.errors, key, message)

    def warn(self, key: str, message: str) -> None:
        _add(self.warnings, key, message)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


# --- Values ------------------------------------------------------------------------------


_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_FRENCH_DATE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})\Z")


def parse_date(value: Any) -> datetime.date | None:
    """A date from a date, a datetime or an ISO / French (JJ/MM/AAAA) string; ValueError if bad."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    # The two common shapes without strptime (10x cheaper: the import parses thousands); an
    # impossible date (31/02) falls through to strptime, which refuses it the same way.
    match = _ISO_DATE.match(text)
    if match:
        with contextlib.suppress(ValueError):
            return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    else:
        match = _FRENCH_DATE.match(text)
        if match:
            with contextlib.suppress(ValueError):
                return datetime.date(int(match[3]), int(match[2]), int(match[1]))
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def check_url(errors: Errors, key: str, value: Any) -> None:
    if not value:
        return
    try:
        validate_public_url(str(value))
    except ValidationError as exc:
        for message in exc.messages:
            _add(errors, key, message)


def check_email(errors: Errors, key: str, value: Any) -> None:
    if not value:
        return
    if not _email_ok(str(value).strip()):
        _add(errors, key, f"L'adresse électronique « {str(value)[:80]} » n'est pas valide.")


@functools.lru_cache(maxsize=1024)
def _email_ok(text: str) -> bool:
    """Django's check, remembered: an inventory file repeats a few contact addresses."""
    try:
        validate_email(text)
    except ValidationError:
        return False
    return True


def check_date(errors: Errors, key: str, value: Any) -> datetime.date | None:
    try:
        return parse_date(value)
    except (ValueError, TypeError):
        _add(
            errors,
            key,
            f"La date « {str(value)[:40]} » n'est pas valide (attendu : AAAA-MM-JJ ou JJ/MM/AAAA).",
        )
        return None


# What no text of the portal may hold: characters below U+0020 other than tab, line feed and
# carriage return (NUL, BEL, escape…: invisible, refused by PostgreSQL or by XML), and lone
# surrogates (halves of a character, which a JSON "\ud800" can carry but no UTF-8 text can).
# One regular expression per text: the import checks every cell of every row with it.
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _utc_today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


_LINE_BREAKS = re.compile(r"\r\n?")


def lf(text: str) -> str:
    """`text` with LF for every line break (CR LF from a browser, CR): the form every text is
    stored in, so that a text exported and read back (an XLSX gives LF) compares equal."""
    return _LINE_BREAKS.sub("\n", text) if "\r" in text else text


def forbidden_character(text: str) -> str | None:
    """The French message refusing `text` if it holds a character no text may hold (see
    `_FORBIDDEN_CHARS`), naming the first one; None if it holds none."""
    match = _FORBIDDEN_CHARS.search(text)
    if match is None:
        return None
    code = ord(match.group())
    if 0xD800 <= code <= 0xDFFF:
        return (
            f"Ce texte contient un caractère invalide (U+{code:04X}, moitié d'un caractère "
            "Unicode) : retirez-le."
        )
    return (
        f"Ce texte contient un caractère de contrôle invisible (U+{code:04X}) non autorisé : "
        "retirez-le."
    )


def replace_forbidden(text: str) -> str:
    """`text` with each forbidden character shown as U+FFFD (to quote it in a message)."""
    return _FORBIDDEN_CHARS.sub("\ufffd", text)


def check_text(errors: Errors, key: str, value: Any) -> bool:
    """Refuse a text (or a list of texts) holding a forbidden character; True if it was."""
    if isinstance(value, str):
        message = forbidden_character(value)
    elif isinstance(value, list | tuple):
        message = next(
            (m for item in value if isinstance(item, str) and (m := forbidden_character(item))),
            None,
        )
    else:
        return False
    if message is None:
        return False
    _add(errors, key, message)
    return True


# The identity of a title, for the import (`datasets.importing.import_key`): case, accents,
# punctuation and spacing aside, every letter and digit kept, Latin or not.
_NOT_WORD = re.compile(r"[\W_]+")
_NON_ASCII_SYMBOL = re.compile(r"[^\w\x00-\x7f]")
_LATIN_MARKS = re.compile(r"[\u0300-\u036f]+")  # the accents of Latin letters, decomposed


def title_identity(title: str) -> str:
    """`title` in lower case, without accents, each run of anything else than letters and
    digits as one space ("" when it has neither). Non-ASCII punctuation is dropped and ASCII
    punctuation becomes a space, as `catalogue_schema.normalise` does for Latin titles, so an
    entry keeps its identity; but « 日本語 » and « 中文 » stay two titles."""
    if not title.isascii():
        title = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", title))
        if not title.isascii():  # other scripts, other marks, or punctuation: the general case
            bare = "".join([c for c in title if not unicodedata.combining(c)])
            return _NOT_WORD.sub(" ", _NON_ASCII_SYMBOL.sub("", bare.casefold())).strip()
    return _NOT_WORD.sub(" ", title.lower()).strip()


# --- Extra (ministry-specific) fields ------------------------------------------------------

_TRUE = {"oui", "o", "yes", "y", "true", "vrai", "1", "x"}
_FALSE = {"non", "n", "no", "false", "faux", "0"}


MAX_NUMBER_DIGITS = 15  # what a float keeps exactly; far beyond any inventory figure


def clean_extra_value(definition: ExtraFieldDefinition, raw: Any) -> Any:
    """The stored (JSON) value of `raw` for this typed field; ValueError with a French message."""
    kind = ExtraFieldDefinition.Kind
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, dict | list):  # JSON from the API: a value, never a structure
        raise ValueError("Une valeur simple est attendue (texte, nombre, date ou oui / non).")
    if definition.kind == kind.TEXT:
        text = str(raw)
        if len(text) > 2000:
            raise ValueError("Le texte ne doit pas dépasser 2 000 caractères.")
        message = forbidden_character(text)
        if message is not None:
            raise ValueError(message)
        return text
    if definition.kind == kind.CHOICE:
        text = str(raw).strip()
        allowed = [str(c) for c in definition.choices or []]
        if text not in allowed:
            raise ValueError(f"« {text[:60]} » n'est pas un choix possible ({', '.join(allowed)}).")
        return text
    if definition.kind == kind.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"« {str(raw)[:40]} » n'est pas une réponse oui / non.")
    if definition.kind == kind.DATE:
        try:
            parsed = parse_date(raw)
        except (ValueError, TypeError):
            raise ValueError(f"La date « {str(raw)[:40]} » n'est pas valide.") from None
        return parsed.isoformat() if parsed else None
    if definition.kind == kind.NUMBER:
        if isinstance(raw, bool):
            raise ValueError("Un nombre est attendu.")
        if isinstance(raw, int | float):
            number = Decimal(str(raw))
        else:
            try:
                number = Decimal(str(raw).strip().replace(" ", "").replace(",", "."))
            except InvalidOperation:
                raise ValueError(f"« {str(raw)[:40]} » n'est pas un nombre.") from None
        if not number.is_finite():
            raise ValueError(f"« {str(raw)[:40]} » n'est pas un nombre.")
        # Checked on the exponent before any conversion: int(Decimal("1e1000000000")) would
        # build a billion-digit integer (minutes of CPU for a 12-character input).
        if number and not -MAX_NUMBER_DIGITS <= number.adjusted() < MAX_NUMBER_DIGITS:
            raise ValueError(
                f"« {str(raw)[:40]} » est hors limites ({MAX_NUMBER_DIGITS} chiffres au plus "
                "avant ou après la virgule)."
            )
        return int(number) if number == number.to_integral_value() else float(number)
    raise ValueError("Type de champ inconnu.")


def _after_colon(text: str) -> str:
    """`text` to follow « Label : » (its first letter in lower case, unless it is an acronym)."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def extra_required_message(definition: ExtraFieldDefinition) -> str:
    """The message of a mandatory ministry-specific field left empty, naming it once."""
    return f"Le champ « {definition.label} » est obligatoire."


def validate_extra(
    values: Mapping[str, Any],
    definitions: Iterable[ExtraFieldDefinition],
    *,
    previous: Mapping[str, Any] | None = None,
    labelled: bool = True,
    check_required: bool = True,
) -> tuple[dict[str, Any], Errors]:
    """Clean `values` against the ministry's active definitions.

    Keys of retired definitions (and unknown keys already stored in `previous`) are kept as they
    were: retiring a field never loses a value. A key that matches no definition and was not
    stored before is refused.

    Errors are keyed `extra.<code>`. Each message names the field once: by its label
    (`labelled`, for the API and the services, whose key is only the code), or not at all for a
    caller that shows the label next to it (the import report's column). `check_required`:
    whether an active mandatory field left without a value is an error here (the import states
    its own rule, see `datasets.importing`).
    """
    errors: Errors = {}
    defs = {d.code: d for d in definitions}
    result: dict[str, Any] = dict(previous or {})
    for code, raw in values.items():
        definition = defs.get(code)
        if definition is None:
            if previous is not None and code in previous:
                continue  # unknown now but stored before: keep it untouched
            _add(
                errors, f"extra.{code}", f"Le champ « {code} » n'est pas défini pour ce ministère."
            )
            continue
        if not definition.is_active:
            continue  # retired: the stored value stays as it was
        try:
            cleaned = clean_extra_value(definition, raw)
        except ValueError as exc:
            message = str(exc)
            if labelled:
                message = f"{definition.label} : {_after_colon(message)}"
            _add(errors, f"extra.{code}", message)
            continue
        if cleaned is None:
            result.pop(code, None)
        else:
            result[code] = cleaned
    if check_required:
        for definition in defs.values():
            if (
                definition.is_active
                and definition.required
                and result.get(definition.code) in (None, "")
                and f"extra.{definition.code}" not in errors
            ):
                _add(
                    errors,
                    f"extra.{definition.code}",
                    extra_required_message(definition) if labelled else "Ce champ est obligatoire.",
                )
    return result, errors


# --- Entry fields ----------------------------------------------------------------------------

TEXT_LIMITS = {
    "title": 500,
    "service": 300,
    "source_system": 300,
    "geo_coverage": 300,
    "acronym": 100,
    "volume": 200,
    "datagouv_dataset_id": 100,
    # Free texts: bounded so that the search index (a PostgreSQL tsvector, 1 MB at most) can
    # always be built; far beyond any real description.
    "description": 20_000,
    "field_list": 50_000,
    "collection_process": 20_000,
}
MAX_LIST_ITEMS = 100  # keywords, personal data categories
CHOICE_FIELDS: dict[str, Any] = {
    "update_frequency": UpdateFrequency,
    "asset_type": AssetType,
    "sharing_mode": SharingMode,
    "criticality": Criticality,
    "visibility": DataAsset.Visibility,
}
# The values of each, read once (`Choices.values` builds a new list at every access).
_CHOICE_VALUES = {name: tuple(choices.values) for name, choices in CHOICE_FIELDS.items()}


def validate_asset_fields(
    data: Mapping[str, Any],
    *,
    ministry_id: int,
    partial: bool = False,
) -> Errors:
    """Field-level checks of an entry's values (model field names; FK values as instances).

    HTML or script in a text field is accepted and stored as text: templates always escape it.
    Control characters (other than tabs and line breaks) and lone surrogates are refused in
    every text (`forbidden_character`), and a title needs a letter or a digit.
    """
    errors: Errors = {}

    def present(name: str) -> bool:
        return name in data

    for name in ("title", "description"):
        if (present(name) or not partial) and not str(data.get(name) or "").strip():
            _add(errors, name, "Ce champ est obligatoire.")
    for name, limit in TEXT_LIMITS.items():
        value = data.get(name)
        if value and len(str(value)) > limit:
            _add(errors, name, f"Ce texte ne doit pas dépasser {limit} caractères.")
    # Every text (and list of texts: keywords, personal data categories), whatever its field:
    # one search over all of them (the import checks thousands of rows), then field by field.
    texts: list[str] = []
    for value in data.values():
        if value.__class__ is str:
            texts.append(value)
        elif isinstance(value, list | tuple):
            texts.extend(item for item in value if isinstance(item, str))
    refused: set[str] = set()
    if _FORBIDDEN_CHARS.search("\n".join(texts)) is not None:
        refused = {name for name, value in data.items() if check_text(errors, name, value)}
    title = data.get("title")
    if (
        isinstance(title, str)
        and title.strip()
        and "title" not in refused
        and not title_identity(title)
    ):
        _add(
            errors,
            "title",
            "Le titre doit contenir au moins une lettre ou un chiffre (une entrée est reconnue "
            "par son titre).",
        )
    for name in ("url", "sample_url"):
        if name not in refused:
            check_url(errors, name, data.get(name))
    for name in ("contact_service", "contact_person"):
        if name not in refused:
            check_email(errors, name, data.get(name))
    for name in ("first_published_at", "last_updated_at"):
        if present(name):
            parsed = check_date(errors, name, data.get(name))
            # The local date is within a day of the UTC one: only a date past a year from now
            # needs it (reading the current time zone costs more than the rest of the checks).
            if (
                parsed
                and parsed > _utc_today() + datetime.timedelta(days=365)
                and parsed > timezone.localdate() + datetime.timedelta(days=366)
            ):
                _add(errors, name, "Cette date est trop loin dans le futur.")
            if parsed and parsed.year < 1800:
                _add(errors, name, "Cette date est invalide (antérieure à 1800).")
    for name, allowed in _CHOICE_VALUES.items():
        value = data.get(name)
        if value and value not in allowed:
            _add(errors, name, f"« {str(value)[:40]} » n'est pas une valeur possible.")
    if (present("asset_type") or not partial) and not data.get("asset_type"):
        _add(errors, "asset_type", "Ce champ est obligatoire.")
    keywords = data.get("keywords")
    if keywords is not None:
        if not isinstance(keywords, list | tuple) or not all(isinstance(k, str) for k in keywords):
            _add(errors, "keywords", "Les mots-clés doivent être une liste de textes.")
        elif any(len(k) > 100 for k in keywords):
            _add(errors, "keywords", "Un mot-clé ne doit pas dépasser 100 caractères.")
        elif len(keywords) > MAX_LIST_ITEMS:
            _add(errors, "keywords", f"Indiquez au plus {MAX_LIST_ITEMS} mots-clés.")
    uses = data.get("internal_uses")
    if uses is not None:
        bad = (
            [u for u in uses if u not in InternalUse.values]
            if isinstance(uses, list | tuple)
            else [uses]
        )
        if bad:
            _add(
                errors, "internal_uses", f"Usage(s) inconnu(s) : {', '.join(map(str, bad))[:120]}."
            )
    organization = data.get("organization")
    if organization is None and not partial:
        _add(errors, "organization", "Choisissez l'organisation productrice.")
    elif organization is not None and organization.ministry_id != ministry_id:
        _add(errors, "organization", "Cette organisation ne relève pas du ministère de l'entrée.")
    processing = data.get("processing")
    if processing is not None and processing.ministry_id != ministry_id:
        _add(errors, "processing", "Ce traitement ne relève pas du ministère de l'entrée.")
    if data.get("contains_personal_data") and "personal_data_categories" in data:
        cats = data.get("personal_data_categories")
        if cats is not None and not isinstance(cats, list | tuple):
            _add(errors, "personal_data_categories", "Une liste de catégories est attendue.")
    cats = data.get("personal_data_categories")
    if isinstance(cats, list | tuple) and (
        len(cats) > MAX_LIST_ITEMS or any(len(str(c)) > 200 for c in cats)
    ):
        _add(
            errors,
            "personal_data_categories",
            f"Indiquez au plus {MAX_LIST_ITEMS} catégories de 200 caractères au plus.",
        )
    return errors


def as_list(value: Any) -> list[Any]:
    """A stored list value as a list: a lone text (stored by hand, or before a field held a
    list) is one item, not its characters; nothing is an empty list."""
    if isinstance(value, list | tuple):
        return list(value)
    return [value] if value not in (None, "") else []


def check_personal_data_categories(
    errors: Errors, categories: Any, *, contains: bool, earlier: Sequence[str] = ()
) -> None:
    """Codes of the reference table (core.PersonalDataCategory, active rows), declared only for
    an entry that holds personal data. A value the entry already holds is kept as it is (a text
    stored before the table existed, or a category retired since): it is no new declaration."""
    if not isinstance(categories, list | tuple) or not categories:
        return
    if not contains:
        _add(
            errors,
            "personal_data_categories",
            "Des catégories de données personnelles ne se déclarent que pour une entrée qui en "
            "contient : cochez « Contient des données personnelles » ou retirez les catégories.",
        )
        return
    new = [c for c in categories if c not in earlier]
    if not new:
        return
    known = set(
        PersonalDataCategory.objects.filter(
            active=True, code__in=[str(c) for c in new]
        ).values_list("code", flat=True)
    )
    unknown = [str(c) for c in new if c not in known]
    if unknown:
        _add(
            errors,
            "personal_data_categories",
            f"Catégorie(s) inconnue(s) : {', '.join(unknown)[:200]}. Indiquez les codes de la "
            "table des catégories de données personnelles (IDENTIFICATION, SANTE, NIR…).",
        )


# --- Qualification ---------------------------------------------------------------------------


@dataclass
class GroundInput:
    ground: LegalGround
    sub_reference: str = ""
    justification_internal: str = ""
    public_motive: str = ""


@dataclass
class QualificationInput:
    status: str = Status.TO_ASSESS
    obligation_basis: str = Basis.NONE
    sectoral_reference: str = ""
    grounds: Sequence[GroundInput] = ()
    occultation_method: str = ""
    personal_data_basis: str = PDBasis.NOT_APPLICABLE
    no_anonymisation_category: NoAnonymisationCategory | None = None
    personal_data_reference: str = ""
    planned_date: Any = None
    published_url: str = ""
    published_at: Any = None
    decided_by: str = ""
    decided_at: Any = None
    cada_avis_ref: str = ""
    review_due: Any = None

    FIELDS = (
        "status",
        "obligation_basis",
        "sectoral_reference",
        "occultation_method",
        "personal_data_basis",
        "no_anonymisation_category",
        "personal_data_reference",
        "planned_date",
        "published_url",
        "published_at",
        "decided_by",
        "decided_at",
        "cada_avis_ref",
        "review_due",
    )


@dataclass
class AssetContext:
    """What the qualification rules need to know about the entry."""

    licence: Licence | None = None
    formats: Sequence[Format] = ()
    contains_personal_data: bool = False
    organization: Organization | None = None

    @classmethod
    def of(cls, asset: DataAsset, formats: Sequence[Format] | None = None) -> AssetContext:
        return cls(
            licence=asset.licence,
            formats=list(formats) if formats is not None else list(asset.formats.all()),
            contains_personal_data=asset.contains_personal_data,
            organization=asset.organization,
        )


def _barring(ground: LegalGround) -> bool:
    return ground.regime in {Regime.ABSOLU, Regime.INTERESSE} or ground.code.startswith("L312_1_2_")


def ground_rule_satisfied(status: str, grounds: Sequence[LegalGround]) -> bool:
    """Rules 1-3 on the grounds alone (justification aside)."""
    active = [g for g in grounds if g.active]
    if status == Status.NOT_COMMUNICABLE:
        return any(_barring(g) for g in active)
    if status == Status.OUT_OF_SCOPE:
        return any(g.regime == Regime.SCOPE for g in active)
    if status in OpenByDefaultAssessment.OCCULTATION_STATUSES:
        return any(g.regime in {Regime.ABSOLU, Regime.INTERESSE} and g.occultable for g in active)
    return bool(active)


def validate_qualification(q: QualificationInput, ctx: AssetContext) -> ValidationResult:
    """DOMAIN §5 rules 1-7 plus field checks; French messages keyed by field."""
    r = ValidationResult()
    if q.status not in Status.values:
        r.error("status", f"« {str(q.status)[:40]} » n'est pas un statut possible.")
        return r
    if q.obligation_basis not in Basis.values:
        r.error(
            "obligation_basis",
            f"« {str(q.obligation_basis)[:40]} » n'est pas un fondement possible.",
        )
    if (
        q.occultation_method
        and q.occultation_method not in OpenByDefaultAssessment.OccultationMethod.values
    ):
        r.error("occultation_method", "Cette méthode d'occultation n'existe pas.")
    if q.personal_data_basis and q.personal_data_basis not in PDBasis.values:
        r.error("personal_data_basis", "Ce fondement n'existe pas.")
    for name in ("planned_date", "published_at", "decided_at", "review_due"):
        check_date(r.errors, name, getattr(q, name))
    for name in ("sectoral_reference", "personal_data_reference", "decided_by", "cada_avis_ref"):
        check_text(r.errors, name, getattr(q, name))
    for link in q.grounds:
        check_text(
            r.errors,
            "grounds",
            [link.sub_reference, link.justification_internal, link.public_motive],
        )
    if not check_text(r.errors, "published_url", q.published_url):
        check_url(r.errors, "published_url", q.published_url)
    if q.obligation_basis == Basis.SECTORAL_LAW and not q.sectoral_reference.strip():
        r.error(
            "sectoral_reference",
            "Indiquez la référence du texte sectoriel qui impose la publication.",
        )

    grounds = [g.ground for g in q.grounds]
    seen: set[int] = set()
    for link in q.grounds:
        g = link.ground
        if g.pk in seen:
            r.error("grounds", f"Le motif « {g.label[:80]} » est indiqué deux fois.")
        seen.add(g.pk)
        if not g.active:
            r.error(
                "grounds",
                f"Le motif « {g.label[:80]} » n'est plus en vigueur : choisissez-en un autre.",
            )
        if g.requires_sub_reference and not link.sub_reference.strip():
            r.error(
                "grounds",
                f"Le motif « {g.label[:80]} » exige une précision "
                "(par exemple : secret statistique, secret fiscal).",
            )
        if len(link.public_motive) > 300:
            r.error("grounds", "Le motif public ne doit pas dépasser 300 caractères.")

    status = q.status
    # Rule 1
    if status == Status.NOT_COMMUNICABLE:
        if not any(_barring(g) for g in grounds):
            r.error(
                "grounds",
                "Un statut « Non communicable » exige au moins un motif de secret (L311-5 ou "
                "L311-6) ou un motif L312-1-2.",
            )
        if not q.grounds or any(not link.justification_internal.strip() for link in q.grounds):
            r.error(
                "grounds",
                "Un statut « Non communicable » exige une justification pour chaque motif "
                "invoqué (appréciée au regard du contenu du document).",
            )
    # Rule 2
    if status == Status.OUT_OF_SCOPE and not any(g.regime == Regime.SCOPE for g in grounds):
        r.error(
            "grounds",
            "Un statut « Hors obligation » exige au moins un motif d'exclusion du champ "
            "(document inachevé, déjà diffusé, seuil de 50 agents, non électronique, archives).",
        )
    # Rule 3
    if status in OpenByDefaultAssessment.OCCULTATION_STATUSES:
        if not any(g.regime in {Regime.ABSOLU, Regime.INTERESSE} for g in grounds):
            r.error(
                "grounds", "Une publication après occultation exige le motif de secret occulté."
            )
        for g in grounds:
            if not g.occultable:
                r.error(
                    "grounds",
                    f"Le motif « {g.label[:80]} » signifie que l'occultation est impossible : il "
                    "ne peut "
                    "pas justifier une publication après occultation.",
                )
        if not q.occultation_method:
            r.error("occultation_method", "Indiquez la méthode d'occultation.")
    # Rule 4
    if status in OpenByDefaultAssessment.TO_PUBLISH_STATUSES:
        planned = safe_date(q.planned_date)
        if q.planned_date in (None, ""):
            r.error("planned_date", "Indiquez la date de publication prévue.")
        elif planned and planned < timezone.localdate():
            r.warn(
                "planned_date",
                "La date de publication prévue est dépassée : l'entrée est en retard.",
            )
    if status in OpenByDefaultAssessment.PUBLISHED_STATUSES:
        if not q.published_url:
            r.error("published_url", "Indiquez le lien de publication.")
        if ctx.licence is None:
            r.error("licence", "Une entrée publiée doit indiquer sa licence de réutilisation.")
        if not any(f.is_open for f in ctx.formats):
            r.error(
                "formats", "Une entrée publiée doit être diffusée dans au moins un format ouvert."
            )
        elif not any(f.is_open and f.machine_readable for f in ctx.formats):
            r.warn(
                "formats", "Aucun format n'est à la fois ouvert et lisible par machine (L300-4)."
            )
        # Rule 6
        if ctx.licence is not None and not ctx.licence.is_compliant:
            r.warn(
                "licence",
                f"La licence « {ctx.licence.name} » n'est ni inscrite au décret (D323-2-1) ni "
                "homologuée : une administration ne peut l'utiliser sans homologation (L323-2).",
            )
    # Rule 5
    published_like = status in OpenByDefaultAssessment.PUBLISHED_STATUSES
    if (
        ctx.contains_personal_data
        and published_like
        and (not q.personal_data_basis or q.personal_data_basis == PDBasis.NOT_APPLICABLE)
    ):
        r.error(
            "personal_data_basis",
            "Une entrée publiée contenant des données personnelles doit indiquer le fondement de "
            "leur publication (anonymisation, catégorie D312-1-3, disposition législative ou "
            "accord des personnes) — article L312-1-2.",
        )
    if (
        ctx.contains_personal_data
        and status in OpenByDefaultAssessment.TO_PUBLISH_STATUSES
        and q.personal_data_basis in ("", PDBasis.NOT_APPLICABLE)
    ):
        r.warn(
            "personal_data_basis",
            "Avant publication, indiquez le fondement de la publication des données personnelles.",
        )
    if q.personal_data_basis == PDBasis.D312_1_3_CATEGORY and q.no_anonymisation_category is None:
        r.error("no_anonymisation_category", "Choisissez la catégorie de l'article D312-1-3.")
    if q.personal_data_basis in (PDBasis.LEGISLATIVE_PROVISION, PDBasis.CONSENT) and not (
        q.personal_data_reference.strip()
    ):
        r.error(
            "personal_data_reference",
            "Indiquez la référence du texte ou de l'accord des personnes.",
        )
    # Rule 7
    org = ctx.organization
    if (
        org is not None
        and not org.subject_l312_1_1
        and q.obligation_basis != Basis.VOLUNTARY_L312_1
        and status != Status.OUT_OF_SCOPE
    ):
        r.suggestions.append(
            f"L'organisation « {org.name} » compte moins de 50 agents (ETP) : elle n'est pas "
            "soumise à l'obligation de publication (D312-1-1-1). Statut suggéré : « Hors "
            "obligation » avec le motif SCOPE_L312_1_1_SEUIL, sauf publication volontaire (L312-1)."
        )
    _coherence(r, q, status, grounds)
    # Justifications missing on other statuses: a warning (criterion O4 counts them)
    restricted = status in OpenByDefaultAssessment.RESTRICTED_STATUSES
    unjustified = any(not link.justification_internal.strip() for link in q.grounds)
    if status != Status.NOT_COMMUNICABLE and restricted and unjustified:
        r.warn("grounds", "Chaque motif devrait être justifié (critère O4 du score).")
    return r


def _coherence(
    r: ValidationResult, q: QualificationInput, status: str, grounds: list[LegalGround]
) -> None:
    """Choices that contradict the status without breaking a rule of §5: said, not refused
    (an entry moving from one status to the next keeps its earlier dates and links for a
    while), except a review planned before the decision it reviews."""
    if q.occultation_method and status not in OpenByDefaultAssessment.OCCULTATION_STATUSES:
        r.warn(
            "occultation_method",
            "Une méthode d'occultation n'a de sens que pour une publication après occultation : "
            "changez de statut ou retirez-la.",
        )
    full_publication = {Status.TO_PUBLISH, Status.PUBLISHED}
    secrets = [g for g in grounds if g.regime in {Regime.ABSOLU, Regime.INTERESSE}]
    if status in full_publication and secrets:
        r.warn(
            "grounds",
            f"Le motif « {secrets[0].label[:80]} » protège un secret : il contredit une "
            "publication intégrale. Choisissez une publication après occultation, ou « Non "
            "communicable ».",
        )
    closed = {Status.NOT_COMMUNICABLE, Status.OUT_OF_SCOPE}
    if status in closed and (q.planned_date not in (None, "") or q.published_url):
        r.warn(
            "status",
            "Une date de publication prévue ou un lien de publication ne vont pas avec un statut "
            "qui exclut la publication : retirez-les, ou changez de statut.",
        )
    decided, review = safe_date(q.decided_at), safe_date(q.review_due)
    if decided and review and review < decided:
        r.error(
            "review_due",
            f"Le réexamen ({review:%d/%m/%Y}) ne peut précéder la décision ({decided:%d/%m/%Y}).",
        )


def safe_date(value: Any) -> datetime.date | None:
    """`parse_date`, None instead of an error (a date already stored, read back)."""
    try:
        return parse_date(value)
    except (ValueError, TypeError):
        return None


def suggested_qualification(organization: Organization | None) -> dict[str, str] | None:
    """Rule 7: the basis to suggest for a producer under the threshold, or None."""
    if organization is not None and not organization.subject_l312_1_1:
        return {"status": Status.OUT_OF_SCOPE, "ground": "SCOPE_L312_1_1_SEUIL"}
    return None


# --- Catalogue completeness (criterion I2) ---------------------------------------------------

CATALOGUE_FIELD_LABELS = {
    "title": "titre",
    "description": "description",
    "keywords": "mots-clés",
    "organization": "organisation productrice",
    "service": "service producteur",
    "contact": "contact",
    "last_updated_at": "date de dernière mise à jour",
    "update_frequency": "fréquence de mise à jour",
    "geo_coverage": "couverture géographique",
    "formats": "formats",
    "asset_type": "type",
    "first_published_at": "date de publication",
    "url": "lien",
    "licence": "licence",
    "processing": "traitement (registre RGPD)",
}


def missing_catalogue_fields(
    asset: DataAsset, *, formats: Sequence[Format] | None = None, status: str | None = None
) -> list[str]:
    """Required catalogue fields (DOMAIN §4.3 ✔) that the entry lacks, as field keys."""
    fmts = list(formats) if formats is not None else list(asset.formats.all())
    if status is None:
        assessment = getattr(asset, "assessment", None) if _has_assessment(asset) else None
        status = assessment.status if assessment else Status.TO_ASSESS
    missing: list[str] = []
    for name in (
        "title",
        "description",
        "service",
        "geo_coverage",
        "update_frequency",
        "asset_type",
    ):
        if not str(getattr(asset, name) or "").strip():
            missing.append(name)
    if not asset.keywords:
        missing.append("keywords")
    if not asset.organization_id:
        missing.append("organization")
    if not (asset.contact_service or asset.contact_person):
        missing.append("contact")
    if asset.last_updated_at is None:
        missing.append("last_updated_at")
    if not fmts:
        missing.append("formats")
    if status in OpenByDefaultAssessment.PUBLISHED_STATUSES:
        if asset.first_published_at is None:
            missing.append("first_published_at")
        if not asset.url:
            missing.append("url")
        if asset.licence_id is None:
            missing.append("licence")
    if asset.contains_personal_data and asset.processing_id is None:
        missing.append("processing")
    return missing


def catalogue_complete(asset: DataAsset, **kwargs: Any) -> bool:
    return not missing_catalogue_fields(asset, **kwargs)


# --- The 8 mandatory metadata of a reference dataset (overlay R, criterion R1) ----------------

# Arrêté du 14 juin 2017, annex 1°, in its order, and the entry fields that carry each one:
# 1. source and date of last update -> producing organisation (always set) and `last_updated_at`
# 2. title -> `title`               3. description -> `description`
# 4. release frequency -> `update_frequency`   5. format -> at least one of `formats`
# 6. geographic coverage -> `geo_coverage`     7. reuse licence -> `licence`
# 8. keywords -> `keywords`
ANNEX1_METADATA = {
    "source_and_date": "source et date de dernière mise à jour",
    "title": "titre",
    "description": "description",
    "update_frequency": "fréquence de mise à jour",
    "formats": "format",
    "geo_coverage": "couverture géographique",
    "licence": "licence de réutilisation",
    "keywords": "mots-clés",
}


def missing_annex1_metadata(
    asset: DataAsset, *, formats: Sequence[Format] | None = None
) -> list[str]:
    """Keys of `ANNEX1_METADATA` the entry lacks (R1 counts the 8 minus these)."""
    fmts = list(formats) if formats is not None else list(asset.formats.all())
    present = {
        "source_and_date": bool(asset.organization_id) and asset.last_updated_at is not None,
        "title": bool(str(asset.title or "").strip()),
        "description": bool(str(asset.description or "").strip()),
        "update_frequency": bool(asset.update_frequency),
        "formats": bool(fmts),
        "geo_coverage": bool(str(asset.geo_coverage or "").strip()),
        "licence": asset.licence_id is not None,
        "keywords": bool(asset.keywords),
    }
    return [key for key in ANNEX1_METADATA if not present[key]]


def _loaded_designation(asset: DataAsset) -> ReferenceDataDesignation | None:
    """The entry's designation when it was loaded with it (`select_related`), else None: an
    entry created by the import has none, and no query is spent finding that out."""
    descriptor = DataAsset.reference_designation
    if not descriptor.is_cached(asset):
        return None
    cached = descriptor.related.get_cached_value(asset, default=None)
    return cached if isinstance(cached, ReferenceDataDesignation) else None


def _has_assessment(asset: DataAsset) -> bool:
    try:
        asset.assessment  # noqa: B018
    except OpenByDefaultAssessment.DoesNotExist:
        return False
    return True


# --- Facts for compliance --------------------------------------------------------------------


def state_row(
    asset: DataAsset, *, deleted: bool = False, recorded_at: Any = None
) -> AssetStateHistory:
    """The `AssetStateHistory` row describing `asset` now (needs formats, assessment, grounds,
    licence, processing and the reference-data designation loaded to stay cheap — see
    `record_asset_state`; a designation that was not loaded counts as none)."""
    assessment = asset.assessment if _has_assessment(asset) else None
    return AssetStateHistory(
        **state_values(
            asset,
            assessment=assessment,
            formats=list(asset.formats.all()),
            links=list(assessment.ground_links.all()) if assessment is not None else [],
            licence=asset.licence,
            processing=asset.processing,
            designation=_loaded_designation(asset),
            deleted=deleted,
            recorded_at=recorded_at or timezone.now(),
        )
    )


def state_values(
    asset: DataAsset,
    *,
    assessment: OpenByDefaultAssessment | None,
    formats: Sequence[Format],
    links: Sequence[AssessmentGround],
    licence: Any,
    processing: Any,
    designation: ReferenceDataDesignation | None,
    deleted: bool,
    recorded_at: Any,
) -> dict[str, Any]:
    """The field values of `state_row`'s fact, from relations the caller passes (no descriptor,
    no query, no model instance: the import describes thousands of new entries with it)."""
    status = assessment.status if assessment else Status.TO_ASSESS
    grounds = [link.ground for link in links]
    return {
        "asset_id_ref": asset.pk,
        "ministry_id_at": asset.ministry_id,
        "recorded_at": recorded_at,
        "deleted": deleted,
        "status": status,
        "obligation_basis": assessment.obligation_basis if assessment else Basis.NONE,
        "planned_date": assessment.planned_date if assessment else None,
        "catalogue_complete": not missing_catalogue_fields(asset, formats=formats, status=status),
        "has_valid_ground": ground_rule_satisfied(status, grounds),
        "has_justification": bool(links)
        and all(link.justification_internal.strip() for link in links),
        "licence_compliant": licence is not None and licence.is_compliant,
        "open_machine_readable": any(f.is_open and f.machine_readable for f in formats),
        "last_updated_at": asset.last_updated_at,
        "update_frequency": asset.update_frequency or "",
        "contains_personal_data": asset.contains_personal_data,
        "personal_data_basis": (assessment.personal_data_basis if assessment else "") or "",
        "ropa_linked": processing is not None and bool(processing.ropa_id),
        "annex1_metadata": len(ANNEX1_METADATA)
        - len(missing_annex1_metadata(asset, formats=formats)),
        "reference_regime": designation.regime if designation else "",
        "reference_status": designation.status if designation else "",
        "spd_dataset_ref": designation.spd_dataset_id if designation else None,
        "process_info_published": bool(designation and designation.process_info_url),
    }


def record_asset_state(
    assets: Iterable[DataAsset | int], *, deleted: bool = False, recorded_at: Any = None
) -> int:
    """Append one `AssetStateHistory` row per entry (reloaded with its relations in a few
    queries, whatever the number of entries). Call it inside the transaction that writes, and
    before the delete when `deleted=True`."""
    from datasets.selectors import bump_inventory_generation

    ids = [a if isinstance(a, int) else a.pk for a in assets]
    if not ids:
        # Callers that wrote entries in bulk without naming them: every cached count goes.
        transaction.on_commit(bump_inventory_generation)
        return 0
    when = recorded_at or timezone.now()
    rows: list[AssetStateHistory] = []
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        qs = (
            DataAsset.objects.filter(pk__in=chunk)
            .select_related("licence", "processing", "assessment", "reference_designation")
            .prefetch_related("formats", "assessment__ground_links__ground")
        )
        rows.extend(state_row(a, deleted=deleted, recorded_at=when) for a in qs)
    AssetStateHistory.objects.bulk_create(rows, batch_size=1000)
    # Cached counts of these ministries become stale once this transaction commits.
    ministries = {row.ministry_id_at for row in rows}
    transaction.on_commit(lambda: bump_inventory_generation(ministries))
    return len(rows)
