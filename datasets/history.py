"""An entry's change history as its page and the API show it: who, when, which fields, before
and after, from the audit trail (`core.audit`).

What a caller sees of it, here once for both the page and the API:
- the history is the entry's ministry's (and DINUM's): a reader who sees the entry only because
  it is published (a network viewer) sees no history, which holds values from before publication;
- the proposals' trail (proposed, accepted, refused with its reason, withdrawn) is shown to those
  who see the proposals (`can_edit_asset`), not to read-only readers;
- internal justifications of the grounds are left out for callers who may not read them
  (`permissions.can_see_internal_justification`).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from django.db.models import DateField, DateTimeField
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.timezone import localtime

from core.access import access_for
from core.audit import history_for
from core.models import AuditEntry, LegalGround
from core.validators import whole_number
from datasets.models import (
    DataAsset,
    ExtraFieldDefinition,
    InternalUse,
    OpenByDefaultAssessment,
    ReferenceDataDesignation,
)
from datasets.permissions import can_edit_asset
from datasets.validation import safe_date

FIELD_LABELS: dict[str, str] = {
    f.name: str(getattr(f, "verbose_name", f.name))
    for f in DataAsset._meta.get_fields()
    if hasattr(f, "verbose_name")
}
FIELD_LABELS.update(
    {"formats": "formats", "extra": "champs propres au ministère", "comment": "commentaire"}
)
QUALIF_LABELS: dict[str, str] = {
    f.name: str(getattr(f, "verbose_name", f.name))
    for f in OpenByDefaultAssessment._meta.get_fields()
    if hasattr(f, "verbose_name")
}
QUALIF_LABELS["grounds"] = "motifs"
REFERENCE_LABELS: dict[str, str] = {
    f.name: str(getattr(f, "verbose_name", f.name))
    for f in ReferenceDataDesignation._meta.get_fields()
    if hasattr(f, "verbose_name")
}
NESTED_LABELS = {"qualification": QUALIF_LABELS, "reference": REFERENCE_LABELS}
PROPOSAL_ACTIONS = frozenset(
    {
        "assessment.proposed",
        "assessment.proposal_accepted",
        "assessment.proposal_rejected",
        "assessment.proposal_withdrawn",
    }
)
ACTION_LABELS = {
    "asset.created": "Création",
    "asset.updated": "Modification",
    "asset.reverted": "Retour à une version antérieure",
    "asset.bulk_organization": "Action groupée : organisation",
    "asset.bulk_visibility": "Action groupée : visibilité",
    "asset.imported": "Import",
    "assessment.updated": "Qualification",
    "assessment.reverted": "Qualification : retour à une version antérieure",
    "assessment.commented": "Qualification : commentaire",
    "assessment.bulk_status": "Action groupée : statut",
    "assessment.proposed": "Proposition de qualification",
    "assessment.proposal_accepted": "Proposition de qualification acceptée",
    "assessment.proposal_rejected": "Proposition de qualification refusée",
    "assessment.proposal_withdrawn": "Proposition de qualification retirée",
    "reference.created": "Donnée de référence",
    "reference.updated": "Donnée de référence",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def may_read(user: Any, asset: DataAsset) -> bool:
    """Whether `user` reads the entry's history: its ministry's members and DINUM staff."""
    access = access_for(user)
    return access.is_network_staff or asset.ministry_id in access.visible_ministry_ids


def entries_for(user: Any, asset: DataAsset, limit: int = 100) -> list[AuditEntry]:
    """The latest `limit` changes of `asset` that `user` may read, newest first (see the
    module's docstring): none, without a query, for a reader outside the entry's ministry."""
    if not may_read(user, asset):
        return []
    entries = list(history_for(asset)[:limit])
    if can_edit_asset(user, asset):
        return entries
    return [e for e in entries if e.action not in PROPOSAL_ACTIONS]


def revertible(entry: AuditEntry) -> bool:
    """Whether the entry can go back to its state right after this change (entry changes; a
    qualification goes back through its own history)."""
    return entry.action.startswith("asset.") and entry.action != "asset.deleted"


def scrub(value: Any, show_internal: bool) -> Any:
    """`value` without any internal justification, unless the caller may read them."""
    if show_internal:
        return value
    if isinstance(value, list):
        return [scrub(v, show_internal) for v in value]
    if isinstance(value, dict):
        return {
            k: scrub(v, show_internal) for k, v in value.items() if k != "justification_internal"
        }
    return value


def changes_of(entry: AuditEntry, show_internal: bool) -> list[tuple[str, str, Any, Any]]:
    """(field, label, before, after) of each field the change touched; a qualification's
    fields are named `qualification.<field>`, a reference designation's `reference.<field>`."""
    out: list[tuple[str, str, Any, Any]] = []
    for key, pair in (entry.changes or {}).items():
        if isinstance(pair, dict):  # nested: {"qualification": {field: [before, after]}}
            labels: dict[str, str] = NESTED_LABELS.get(key, {})
            for sub, sub_pair in pair.items():
                if isinstance(sub_pair, list) and len(sub_pair) == 2:
                    out.append(
                        (
                            f"{key}.{sub}",
                            labels.get(str(sub), str(sub)),
                            scrub(sub_pair[0], show_internal),
                            scrub(sub_pair[1], show_internal),
                        )
                    )
        elif isinstance(pair, list) and len(pair) == 2:
            out.append((key, FIELD_LABELS.get(key, key), pair[0], pair[1]))
    return out


# --- Values as the entry page shows them ------------------------------------------------------
# The audit trail keeps values as stored (codes, ids, ISO dates), which the API returns as they
# are; the page shows them as its forms name them: labels of choices, names of related rows
# (one query per related table on the page, whatever the number of changes), French dates.

_MODELS: tuple[tuple[str, Any], ...] = (
    ("", DataAsset),
    ("qualification.", OpenByDefaultAssessment),
    ("reference.", ReferenceDataDesignation),
)


@cache
def _field_kinds() -> dict[str, Any]:
    """{history key: the model field it records}, for the fields of the three models."""
    return {
        prefix + f.name: f
        for prefix, model in _MODELS
        for f in model._meta.concrete_fields
        if not f.primary_key
    } | {
        prefix + f.attname: f
        for prefix, model in _MODELS
        for f in model._meta.concrete_fields
        if f.is_relation
    }


# JSON lists whose items are codes of a choice list.
_LIST_CHOICES: dict[str, Any] = {"internal_uses": InternalUse}


def _related_names(
    changes: list[tuple[str, Any]], ministry_id: int | None = None
) -> dict[tuple[Any, str], str]:
    """{(related model, str(id)): its name} of every related id in `changes`, one query per
    related table; the ministry's own fields by code (`ExtraFieldDefinition`, code)."""
    kinds = _field_kinds()
    wanted: dict[Any, set[str]] = {}
    codes: set[str] = set()
    extra_codes: set[str] = set()
    for key, value in changes:
        field = kinds.get(key)
        if field is not None and field.is_relation and value not in (None, ""):
            wanted.setdefault(field.related_model, set()).add(str(value))
        elif key == "qualification.grounds" and isinstance(value, list):
            codes |= {str(g.get("code")) for g in value if isinstance(g, dict)}
        elif key == "extra" and isinstance(value, dict):
            extra_codes |= set(value)
    names = {
        (model, str(obj.pk)): str(obj)
        for model, ids in wanted.items()
        for obj in model._default_manager.filter(
            pk__in=[n for n in map(whole_number, ids) if n is not None]
        )
    }
    if extra_codes and ministry_id is not None:
        rows = ExtraFieldDefinition.objects.filter(ministry_id=ministry_id, code__in=extra_codes)
        for code, label, kind in rows.values_list("code", "label", "kind"):
            names[(ExtraFieldDefinition, code)] = label
            names[(ExtraFieldDefinition.Kind, code)] = kind
    if codes:
        for code, label in LegalGround.objects.filter(code__in=codes).values_list("code", "label"):
            names[(LegalGround, code)] = label
    return names


def plain(value: Any) -> str:
    """A stored value in words: « — » when empty, lists and mappings joined, oui/non."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        # « ; » between numbers: « 1,5 ; 2 », not « 1,5, 2 ».
        numeric = any(
            isinstance(v, int | float | Decimal) and v is not True and v is not False for v in value
        )
        return (" ; " if numeric else ", ").join(plain(v) for v in value)
    if isinstance(value, dict):
        return " ; ".join(f"{k} : {plain(v)}" for k, v in value.items())
    if value is True:
        return "oui"
    if value is False:
        return "non"
    if isinstance(value, int | float | Decimal):
        return french_number(value)
    return str(value)


def french_number(value: int | float | Decimal) -> str:
    """French: a decimal comma, thousands apart from five digits on (« 12 500,5 », but « 2016 »,
    a year), at most six decimals (« 0,3 », not the float's « 0,30000000000000004 »)."""
    number: int | float | Decimal = value
    if isinstance(number, float):
        number = round(number, 6)
        if number == int(number) and abs(number) < 1e15:
            number = int(number)
    grouped = abs(float(number)) >= 10_000
    return number_format(number, force_grouping=grouped, use_l10n=True)


def extra_shown(kind: Any, value: Any) -> str:
    """A value of a ministry's own field in words: a date in French, numbers as `plain`."""
    day = safe_date(value) if kind == ExtraFieldDefinition.Kind.DATE else None
    return day.strftime("%d/%m/%Y") if day else plain(value)


def _ground(value: Any, names: dict[tuple[Any, str], str]) -> str:
    if not isinstance(value, dict):
        return plain(value)
    code = str(value.get("code", ""))
    text = names.get((LegalGround, code), code)
    if value.get("sub_reference"):
        text += f" ({value['sub_reference']})"
    if value.get("public_motive"):
        text += f" — motif public : {value['public_motive']}"
    if value.get("justification_internal"):
        text += f" — justification interne : {value['justification_internal']}"
    return text


def _extra(values: dict[str, Any], names: dict[tuple[Any, str], str]) -> str:
    """The ministry's own fields by their label, dates in French, yes/no."""
    parts = []
    for code, value in values.items():
        label = names.get((ExtraFieldDefinition, code), code)
        kind = names.get((ExtraFieldDefinition.Kind, code))
        parts.append(f"{label} : {extra_shown(kind, value)}")
    return " ; ".join(parts)


def shown(key: str, value: Any, names: dict[tuple[Any, str], str]) -> str:
    """`value` of the history key `key` as the page shows it."""
    if value in (None, "", [], {}):
        return "—"
    if key == "qualification.grounds" and isinstance(value, list):
        return " ; ".join(_ground(v, names) for v in value)
    if key == "extra" and isinstance(value, dict):
        return _extra(value, names)
    if key in _LIST_CHOICES and isinstance(value, list):
        labels = {str(k): str(v) for k, v in _LIST_CHOICES[key].choices}
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    field = _field_kinds().get(key)
    if field is None:
        return plain(value)
    if field.is_relation:
        return names.get((field.related_model, str(value)), str(value))
    if field.choices:
        labels = {str(k): str(v) for k, v in field.flatchoices}
        if isinstance(value, list):
            return ", ".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if isinstance(value, str) and isinstance(field, DateTimeField):
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        return localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else value
    if isinstance(value, str) and isinstance(field, DateField):
        day = safe_date(value)
        return day.strftime("%d/%m/%Y") if day else value
    return plain(value)


def page_rows(
    entries: list[AuditEntry], show_internal: bool, ministry_id: int | None = None
) -> list[dict[str, Any]]:
    """The entry page's history: each change's label and its (field label, before, after).
    `ministry_id`: the entry's, whose own fields are named by their label."""
    parsed = [(entry, changes_of(entry, show_internal)) for entry in entries]
    names = _related_names(
        [
            (key, v)
            for _, changes in parsed
            for key, _, before, after in changes
            for v in (before, after)
        ],
        ministry_id,
    )
    return [
        {
            "entry": entry,
            "label": action_label(entry.action),
            "changes": [
                (label, shown(key, before, names), shown(key, after, names))
                for key, label, before, after in changes
            ],
            "revertible": revertible(entry),
        }
        for entry, changes in parsed
    ]
