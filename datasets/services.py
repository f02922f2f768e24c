"""Writes of the inventory: entries, qualifications, bulk actions, extra fields, reference data.

Every function is `<noun>_<verb>(*, actor, ...)`, atomic, validated (`datasets.validation`),
audited (`core.audit`) and appends the compliance facts (`record_asset_state`). The ministry of an
entry always comes from its organisation (or the URL), never from the caller's payload.

Concurrent edits: an entry, its qualification, its reference-data designation and an extra-field
definition carry `version`. An update states the version it read and is written with
`UPDATE … WHERE id = %s AND version = %s`; when someone saved in between, nothing is written
and `ConcurrentEditError` says who changed it and when, so the second editor can reload without
losing the first editor's update.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone

from administrators.models import Ministry, Organization
from core.access import access_for
from core.audit import audit_bulk, audit_record, diff, history_for, snapshot
from core.concurrency import ConcurrentEditError, conflict_message
from core.models import AuditEntry, HvdCategory, LegalGround, Licence, NoAnonymisationCategory
from datasets import validation as v
from datasets.models import (
    AssessmentGround,
    AssessmentHistory,
    DataAsset,
    ExtraFieldDefinition,
    Format,
    OpenByDefaultAssessment,
    PersonalDataProcessing,
    ReferenceDataDesignation,
    SpdReferenceDataset,
)
from datasets.permissions import (
    can_create_in,
    can_qualify_asset,
    can_review_reference_data,
    ensure_can_edit_asset,
    ensure_can_manage_extra_fields,
    ensure_can_qualify_asset,
)

Status = OpenByDefaultAssessment.Status

# Fields an editor may set (model field names; FKs as instances, formats as Format objects).
EDITABLE_FIELDS: tuple[str, ...] = (
    "organization",
    "visibility",
    "title",
    "description",
    "keywords",
    "service",
    "source_system",
    "contact_service",
    "contact_person",
    "first_published_at",
    "last_updated_at",
    "update_frequency",
    "geo_coverage",
    "url",
    "licence",
    "asset_type",
    "acronym",
    "field_list",
    "collection_process",
    "sample_url",
    "volume",
    "in_rip",
    "contains_personal_data",
    "personal_data_categories",
    "processing",
    "sharing_mode",
    "internal_uses",
    "hvd_category",
    "datagouv_dataset_id",
    "criticality",
)
FK_MODELS: dict[str, type[Model]] = {
    "organization": Organization,
    "licence": Licence,
    "processing": PersonalDataProcessing,
    "hvd_category": HvdCategory,
}
AUDIT_EXCLUDE = {"version", "created_by", "id", "import_key"}


# --- Helpers -----------------------------------------------------------------------------------


def _attname(model: type[Model], name: str) -> str:
    return str(getattr(model._meta.get_field(name), "attname", name))


def _revert_conflict(what: str) -> str:
    return (
        f"{what} a été modifiée depuis la lecture de son historique : le retour à cette version "
        "n'a pas été fait. Relisez l'historique et la version actuelle, puis choisissez à "
        "nouveau celle à restaurer."
    )


def asset_snapshot(asset: DataAsset, formats: Iterable[Format] | None = None) -> dict[str, Any]:
    data = {k: val for k, val in snapshot(asset).items() if k not in AUDIT_EXCLUDE}
    fmts = formats if formats is not None else asset.formats.all()
    data["formats"] = sorted(f.name for f in fmts)
    return data


def _definitions(ministry_id: int) -> list[ExtraFieldDefinition]:
    return list(ExtraFieldDefinition.objects.filter(ministry_id=ministry_id))


def _check_lengths(errors: dict[str, list[str]], data: Mapping[str, Any]) -> None:
    for name, value in data.items():
        try:
            f = DataAsset._meta.get_field(name)
        except Exception:  # noqa: S112 - not a model field (formats, extra)
            continue
        max_length = getattr(f, "max_length", None)
        if max_length and isinstance(value, str) and len(value) > max_length:
            errors.setdefault(name, []).append(
                f"Ce texte ne doit pas dépasser {max_length} caractères."
            )


def _normalise(data: Mapping[str, Any]) -> dict[str, Any]:
    """Unknown keys refused; line breaks as LF (a browser sends CR LF, an XLSX gives LF back:
    the same text must compare equal after a round trip, as the import stores it); strings
    stripped but the long texts."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {k: ["Ce champ n'existe pas ou ne peut pas être modifié."] for k in sorted(unknown)}
        )
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = v.lf(value)
            if key not in ("description", "field_list", "collection_process"):
                value = value.strip()
        elif (
            key == "keywords"
            and isinstance(value, list | tuple)
            and all(isinstance(k, str) for k in value)
        ):
            # Once each, in their order, as the import reads them (`split_list`): a CSV export
            # re-imported then compares equal.
            value = list(dict.fromkeys(k.strip() for k in value if k.strip()))
        out[key] = value
    return out


def _apply_dates(data: dict[str, Any]) -> None:
    for name in ("first_published_at", "last_updated_at"):
        if name in data:
            data[name] = v.parse_date(data[name])


def _validate_entry(
    *,
    ministry_id: int,
    data: dict[str, Any],
    partial: bool,
    extra: Mapping[str, Any] | None,
    previous_extra: Mapping[str, Any] | None,
    formats: Sequence[Format] | None,
    previous: DataAsset | None = None,
) -> dict[str, Any] | None:
    errors = v.validate_asset_fields(data, ministry_id=ministry_id, partial=partial)
    _check_lengths(errors, data)
    if "personal_data_categories" not in errors and (
        "personal_data_categories" in data or "contains_personal_data" in data
    ):
        # What the entry will hold: the values sent, or those it keeps.
        earlier = v.as_list(previous.personal_data_categories) if previous else []
        v.check_personal_data_categories(
            errors,
            data.get("personal_data_categories", earlier),
            contains=bool(
                data.get(
                    "contains_personal_data", previous.contains_personal_data if previous else False
                )
            ),
            earlier=earlier,
        )
    cleaned_extra: dict[str, Any] | None = None
    if extra is not None:
        cleaned_extra, extra_errors = v.validate_extra(
            extra, _definitions(ministry_id), previous=previous_extra or {}
        )
        errors.update(extra_errors)
    if formats is not None and any(not isinstance(f, Format) for f in formats):
        errors.setdefault("formats", []).append("Format inconnu.")
    if errors:
        raise ValidationError(errors)
    _apply_dates(data)
    return cleaned_extra


# --- Entries -----------------------------------------------------------------------------------


@transaction.atomic
def asset_create(
    *,
    actor: Any,
    data: Mapping[str, Any],
    formats: Sequence[Format] | None = None,
    extra: Mapping[str, Any] | None = None,
    ministry: Ministry | None = None,
    import_key: str = "",
    audit: bool = True,
) -> DataAsset:
    """Create an entry in its organisation's ministry (`ministry`, from the URL, must match)."""
    values = _normalise(data)
    organization = values.get("organization")
    if not isinstance(organization, Organization):
        raise ValidationError({"organization": ["Choisissez l'organisation productrice."]})
    if ministry is not None and organization.ministry_id != ministry.pk:
        raise ValidationError(
            {"organization": ["Cette organisation ne relève pas du ministère choisi."]}
        )
    ministry_id = organization.ministry_id
    if (
        not access_for(actor).can_view_ministry(ministry_id)
        and not access_for(actor).is_network_staff
    ):
        raise PermissionDenied("Vous ne pouvez pas créer d'entrée pour ce ministère.")
    if not can_create_in(actor, ministry_id, organization.pk):
        raise PermissionDenied("Vous ne pouvez pas créer d'entrée pour cette organisation.")
    cleaned_extra = _validate_entry(
        ministry_id=ministry_id,
        data=values,
        partial=False,
        extra=extra or {},
        previous_extra=None,
        formats=formats,
    )
    asset = DataAsset(
        ministry_id=ministry_id,
        created_by=actor if getattr(actor, "pk", None) else None,
        import_key=import_key,
        extra=cleaned_extra or {},
        **values,
    )
    asset.save()
    if formats:
        asset.formats.set(formats)
    OpenByDefaultAssessment.objects.create(asset=asset, ministry_id=ministry_id)
    if audit:
        after = asset_snapshot(asset, formats or [])
        audit_record(
            actor=actor,
            action="asset.created",
            target=asset,
            changes={k: [None, val] for k, val in after.items() if val not in (None, "", [], {})},
        )
    v.record_asset_state([asset])
    return asset


@transaction.atomic
def asset_update(
    *,
    actor: Any,
    asset: DataAsset,
    data: Mapping[str, Any],
    expected_version: int | None,
    formats: Sequence[Format] | None = None,
    extra: Mapping[str, Any] | None = None,
    action: str = "asset.updated",
    restore_extra: Mapping[str, Any] | None = None,
) -> DataAsset:
    """Change an entry if nobody saved it since `expected_version` (None: no check, for imports
    and reverts that hold the row lock)."""
    ensure_can_edit_asset(actor, asset)
    values = _normalise(data)
    new_org = values.get("organization")
    if new_org is not None and new_org.pk != asset.organization_id:
        if new_org.ministry_id != asset.ministry_id:
            raise ValidationError(
                {"organization": ["Cette organisation ne relève pas du ministère de l'entrée."]}
            )
        if not can_create_in(actor, asset.ministry_id, new_org.pk):
            raise PermissionDenied("Vous ne pouvez pas rattacher l'entrée à cette organisation.")
    cleaned_extra = _validate_entry(
        ministry_id=asset.ministry_id,
        data=values,
        partial=True,
        extra=extra,
        previous_extra=asset.extra,
        formats=formats,
        previous=asset,
    )
    old_formats = list(asset.formats.all())
    before = asset_snapshot(asset, old_formats)
    for key, value in values.items():
        setattr(asset, key, value)
    if cleaned_extra is not None:
        asset.extra = cleaned_extra
    if restore_extra is not None:  # a revert puts back stored values as they were
        cleaned_extra = asset.extra = dict(restore_extra)
    after = asset_snapshot(asset, formats if formats is not None else old_formats)
    changes = diff(before, after)
    if not changes:
        return asset
    _check_qualification_still_holds(
        asset, formats if formats is not None else old_formats, changes
    )
    now = timezone.now()
    columns: dict[str, Any] = {}
    for key in values:
        attname = _attname(DataAsset, key)
        columns[attname] = getattr(asset, attname)
    if cleaned_extra is not None:
        columns["extra"] = asset.extra
    qs = DataAsset.objects.filter(pk=asset.pk)
    if expected_version is not None:
        qs = qs.filter(version=expected_version)
    updated = qs.update(**columns, version=F("version") + 1, updated_at=now)
    if not updated:
        raise ConcurrentEditError(conflict_message(asset), code="concurrent_edit")
    asset.version = (expected_version if expected_version is not None else asset.version) + 1
    asset.updated_at = now
    if formats is not None and "formats" in changes:
        asset.formats.set(formats)
    audit_record(actor=actor, action=action, target=asset, changes=changes)
    v.record_asset_state([asset])
    return asset


QUALIFICATION_INPUTS = {"licence", "formats", "contains_personal_data"}


def _check_qualification_still_holds(
    asset: DataAsset, formats: Sequence[Format], changes: Mapping[str, Any]
) -> None:
    """Rules 4 and 5 read the entry's licence, formats and personal-data flag: a change of those
    must not leave the current qualification in breach (e.g. a published entry losing its
    licence). The entry must be requalified first."""
    if not QUALIFICATION_INPUTS & set(changes):
        return
    assessment = OpenByDefaultAssessment.objects.filter(asset_id=asset.pk).first()
    if assessment is None or assessment.status == Status.TO_ASSESS:
        return
    links = list(assessment.ground_links.select_related("ground"))
    result = v.validate_qualification(
        qualification_from_links(assessment, links), v.AssetContext.of(asset, formats)
    )
    if result.errors:
        label = assessment.get_status_display()
        raise ValidationError(
            {
                key if key in QUALIFICATION_INPUTS else "__all__": [
                    f"Qualification « {label} » : {message}" for message in messages
                ]
                for key, messages in result.errors.items()
            }
        )


@transaction.atomic
def asset_delete(*, actor: Any, asset: DataAsset, expected_version: int | None = None) -> None:
    ensure_can_edit_asset(actor, asset)
    if (
        expected_version is not None
        # Locked, so that an edit cannot slip in between this check and the delete.
        and not DataAsset.objects.select_for_update()
        .filter(pk=asset.pk, version=expected_version)
        .exists()
    ):
        raise ConcurrentEditError(conflict_message(asset), code="concurrent_edit")
    v.record_asset_state([asset], deleted=True)
    audit_record(
        actor=actor, action="asset.deleted", target=asset, changes={"title": [asset.title, None]}
    )
    asset.delete()


# --- Qualification -----------------------------------------------------------------------------


def qualification_state(
    assessment: OpenByDefaultAssessment, links: Iterable[AssessmentGround]
) -> dict[str, Any]:
    """The whole qualification as JSON (AssessmentHistory.data and audit)."""
    data = {
        k: val
        for k, val in snapshot(assessment).items()
        if k not in {"id", "asset", "ministry", "version", "created_by"}
    }
    data["grounds"] = [
        {
            "code": link.ground.code,
            "sub_reference": link.sub_reference,
            "justification_internal": link.justification_internal,
            "public_motive": link.public_motive,
        }
        for link in sorted(links, key=lambda link: link.ground.code)
    ]
    return data


def _assessment_for(asset: DataAsset) -> OpenByDefaultAssessment:
    assessment, _ = OpenByDefaultAssessment.objects.get_or_create(
        asset=asset, defaults={"ministry_id": asset.ministry_id}
    )
    return assessment


@transaction.atomic
def asset_qualify(
    *,
    actor: Any,
    asset: DataAsset,
    qualification: v.QualificationInput,
    expected_version: int | None = None,
    comment: str = "",
    action: str = "assessment.updated",
) -> tuple[OpenByDefaultAssessment, v.ValidationResult]:
    """Set the entry's current qualification (rules 1-7) and append it to the history.

    Returns the assessment and the validation result (warnings and suggestions to show).
    Network staff and the ministry's administrators only: a correspondent proposes
    (`datasets.proposals.proposal_submit`) and an administrator accepts.
    """
    ensure_can_qualify_asset(actor, asset)
    q = qualification
    result = v.validate_qualification(q, v.AssetContext.of(asset))
    result.raise_if_errors()
    assessment = _assessment_for(asset)
    old_links = list(assessment.ground_links.select_related("ground"))
    before = qualification_state(assessment, old_links)
    for name in v.QualificationInput.FIELDS:
        value = getattr(q, name)
        if name in ("planned_date", "published_at", "decided_at", "review_due"):
            value = v.parse_date(value)
        setattr(assessment, name, value if value is not None or name not in _STR_FIELDS else "")
    if (
        assessment.review_due is None
        and assessment.decided_at is not None
        and assessment.status not in OpenByDefaultAssessment.PUBLISHED_STATUSES
        and assessment.status != Status.TO_ASSESS
    ):
        assessment.review_due = _add_months(assessment.decided_at, 12)
    new_links = [
        AssessmentGround(
            assessment=assessment,
            ground=g.ground,
            sub_reference=g.sub_reference.strip(),
            justification_internal=g.justification_internal.strip(),
            public_motive=g.public_motive.strip(),
        )
        for g in q.grounds
    ]
    after = qualification_state(assessment, new_links)
    changes = diff(before, after)
    if not changes:
        if comment.strip():
            _comment_only(actor, asset, assessment, after, comment.strip(), expected_version)
        return assessment, result
    qs = OpenByDefaultAssessment.objects.filter(pk=assessment.pk)
    if expected_version is not None:
        qs = qs.filter(version=expected_version)
    attnames = [_attname(OpenByDefaultAssessment, n) for n in v.QualificationInput.FIELDS]
    columns = {a: getattr(assessment, a) for a in attnames}
    now = timezone.now()
    if not qs.update(**columns, version=F("version") + 1, updated_at=now):
        raise ConcurrentEditError(
            conflict_message(asset, "La qualification de cette entrée"), code="concurrent_edit"
        )
    assessment.version += 1
    assessment.ground_links.all().delete()
    AssessmentGround.objects.bulk_create(new_links)
    _history_row(actor, asset, assessment, after, comment)
    audit_record(actor=actor, action=action, target=asset, changes={"qualification": changes})
    v.record_asset_state([asset])
    return assessment, result


def _history_row(
    actor: Any,
    asset: DataAsset,
    assessment: OpenByDefaultAssessment,
    state: dict[str, Any],
    comment: str,
) -> None:
    """A row of the qualification's history: its state as saved, who, and the comment."""
    AssessmentHistory.objects.create(
        asset=asset,
        ministry_id_at=asset.ministry_id,
        actor=actor if getattr(actor, "pk", None) else None,
        status=assessment.status,
        obligation_basis=assessment.obligation_basis,
        data=state,
        comment=comment[:300],
    )


def _comment_only(
    actor: Any,
    asset: DataAsset,
    assessment: OpenByDefaultAssessment,
    state: dict[str, Any],
    comment: str,
    expected_version: int | None,
) -> None:
    """A comment (stripped) on an unchanged qualification: a row of its history (same state,
    the comment), audited; the qualification itself and its version stay as they are. Refused,
    as a change would be, when the qualification changed since the form was read."""
    current = (
        OpenByDefaultAssessment.objects.select_for_update()
        .filter(pk=assessment.pk)
        .values_list("version", flat=True)
        .first()
    )
    if expected_version is not None and current != expected_version:
        raise ConcurrentEditError(
            conflict_message(asset, "La qualification de cette entrée"), code="concurrent_edit"
        )
    _history_row(actor, asset, assessment, state, comment)
    audit_record(
        actor=actor,
        action="assessment.commented",
        target=asset,
        changes={"comment": [None, comment[:300]]},
    )


_STR_FIELDS = {
    "sectoral_reference",
    "occultation_method",
    "personal_data_reference",
    "published_url",
    "decided_by",
    "cada_avis_ref",
    "personal_data_basis",
}


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    return day


def qualification_from_state(data: Mapping[str, Any]) -> v.QualificationInput:
    """Rebuild a qualification from a history row's `data` (grounds by code)."""
    codes = [g["code"] for g in data.get("grounds", [])]
    grounds = {g.code: g for g in LegalGround.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in grounds]
    if missing:
        raise ValidationError(
            {
                "grounds": [
                    f"Motif(s) introuvable(s) dans la table de référence : {', '.join(missing)}."
                ]
            }
        )
    category = None
    if data.get("no_anonymisation_category"):
        category = NoAnonymisationCategory.objects.filter(
            pk=data["no_anonymisation_category"]
        ).first()
    kwargs: dict[str, Any] = {
        name: data.get(name)
        for name in v.QualificationInput.FIELDS
        if name != "no_anonymisation_category"
    }
    for name in _STR_FIELDS | {"status", "obligation_basis"}:
        kwargs[name] = kwargs.get(name) or ("" if name in _STR_FIELDS else None)
    kwargs["status"] = data.get("status") or Status.TO_ASSESS
    kwargs["obligation_basis"] = data.get("obligation_basis") or OpenByDefaultAssessment.Basis.NONE
    kwargs["personal_data_basis"] = (
        data.get("personal_data_basis") or OpenByDefaultAssessment.PersonalDataBasis.NOT_APPLICABLE
    )
    return v.QualificationInput(
        **kwargs,
        no_anonymisation_category=category,
        grounds=[
            v.GroundInput(
                ground=grounds[g["code"]],
                sub_reference=g.get("sub_reference", ""),
                justification_internal=g.get("justification_internal", ""),
                public_motive=g.get("public_motive", ""),
            )
            for g in data.get("grounds", [])
        ],
    )


# --- Revert ------------------------------------------------------------------------------------


def _state_after_entry(asset: DataAsset, entry: AuditEntry) -> dict[str, Any]:
    """Field values of the entry right after `entry`, by undoing every later change."""
    later = [
        e
        for e in history_for(asset)
        if (e.created_at, e.pk) > (entry.created_at, entry.pk) and e.action.startswith("asset.")
    ]
    state: dict[str, Any] = {}
    for e in later:  # newest first: the oldest "before" wins at the end
        for key, pair in (e.changes or {}).items():
            wanted = key in EDITABLE_FIELDS or key in ("formats", "extra")
            if wanted and isinstance(pair, list) and len(pair) == 2:
                state[key] = pair[0]
    return state


def _to_values(state: Mapping[str, Any]) -> tuple[dict[str, Any], list[Format] | None, Any]:
    values: dict[str, Any] = {}
    formats: list[Format] | None = None
    extra = None
    for key, value in state.items():
        if key == "formats":
            names = list(value or [])
            formats = list(Format.objects.filter(name__in=names))
        elif key == "extra":
            extra = value or {}
        elif key in FK_MODELS:
            if value and not str(value).isdigit():
                continue  # an old trail entry that kept a name, not an id: left as it is
            values[key] = (
                FK_MODELS[key]._default_manager.filter(pk=value).first() if value else None
            )
        elif key in ("first_published_at", "last_updated_at"):
            values[key] = v.parse_date(value)
        else:
            field: Any = DataAsset._meta.get_field(key)
            if value is None and not field.null:
                value = field.get_default()
            values[key] = value
    return values, formats, extra


@transaction.atomic
def asset_revert(
    *,
    actor: Any,
    asset: DataAsset,
    audit_entry_id: int | None = None,
    history_id: int | None = None,
    expected_version: int | None = None,
) -> DataAsset:
    """Go back to the entry as it was right after an audit entry, or to a saved qualification.

    `expected_version`: the version of the entry (or of its qualification, with `history_id`)
    the caller read when choosing the version to go back to. A save made since then is not
    overwritten: the revert is refused (None: no check, for callers holding the row lock)."""
    ensure_can_edit_asset(actor, asset)
    locked = DataAsset.objects.select_for_update().get(pk=asset.pk)
    if history_id is not None:
        row = AssessmentHistory.objects.filter(pk=history_id, asset=locked).first()
        if row is None:
            raise ValidationError(
                "Cette version de la qualification n'existe pas pour cette entrée."
            )
        # The qualification form does not lock the entry: the qualification's row is locked
        # here, so a save either committed before this read (refused below) or waits and then
        # finds the version moved (refused by asset_qualify).
        before = (
            OpenByDefaultAssessment.objects.select_for_update()
            .filter(asset=locked)
            .values_list("version", flat=True)
            .first()
        )
        if expected_version is not None and before != expected_version:
            raise ConcurrentEditError(
                _revert_conflict("La qualification de cette entrée"), code="concurrent_edit"
            )
        assessment, _ = asset_qualify(
            actor=actor,
            asset=locked,
            qualification=qualification_from_state(row.data),
            expected_version=expected_version,
            comment=f"Retour à la version du {timezone.localtime(row.recorded_at):%d/%m/%Y %H:%M}",
            action="assessment.reverted",
        )
        if assessment.version == before:
            raise ValidationError(
                "La qualification est déjà celle de cette version : rien n'a été modifié."
            )
        return locked
    entry = history_for(locked).filter(pk=audit_entry_id).first() if audit_entry_id else None
    if entry is None:
        raise ValidationError("Cette version n'existe pas pour cette entrée.")
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentEditError(_revert_conflict("Cette entrée"), code="concurrent_edit")
    state = _state_after_entry(locked, entry)
    if not state:  # no later change of the entry: it is in that state already
        raise ValidationError(
            "L'entrée est déjà dans l'état de cette version : rien n'a été modifié."
        )
    values, formats, extra = _to_values(state)
    if "organization" in values and values["organization"] is None:
        values.pop("organization")
    # The stored extra values are restored as they were (retired fields included).
    return asset_update(
        actor=actor,
        asset=locked,
        data=values,
        expected_version=None,
        formats=formats,
        restore_extra=extra,
        action="asset.reverted",
    )


# --- Bulk actions ------------------------------------------------------------------------------


def _bulk_assets(actor: Any, asset_ids: Sequence[int]) -> list[DataAsset]:
    assets = list(
        DataAsset.objects.for_user(actor)
        .filter(pk__in=list(asset_ids))
        .select_related(
            "organization", "licence", "assessment", "assessment__no_anonymisation_category"
        )
        .prefetch_related("formats", "assessment__ground_links__ground")
        .select_for_update(of=("self",))
    )
    if not asset_ids:
        raise ValidationError("Sélectionnez au moins une entrée.")
    if not assets:
        raise ValidationError("Ces entrées n'existent pas ou ne vous sont pas visibles.")
    if len(assets) != len(set(asset_ids)):
        raise ValidationError(
            "Certaines entrées sélectionnées n'existent pas ou ne vous sont pas visibles."
        )
    refused = [
        a.title
        for a in assets
        if not access_for(actor).can_edit_in_organization(a.ministry_id, a.organization_id)
    ]
    if refused:
        raise PermissionDenied(
            "Vous ne pouvez pas modifier ces entrées : " + ", ".join(t[:60] for t in refused[:5])
        )
    return assets


@transaction.atomic
def assets_bulk_set_status(
    *, actor: Any, asset_ids: Sequence[int], status: str, planned_date: Any = None
) -> int:
    """Change the qualification status of several entries; all or nothing, each audited."""
    if status not in Status.values:
        raise ValidationError({"status": ["Statut inconnu."]})
    assets = _bulk_assets(actor, asset_ids)
    refused = [a.title for a in assets if not can_qualify_asset(actor, a)]
    if refused:
        raise PermissionDenied(
            "Aucune entrée n'a été modifiée : un correspondant propose la qualification entrée par "
            "entrée et un administrateur ministériel la valide ("
            + ", ".join(f"« {t[:60]} »" for t in refused[:5])
            + ")."
        )
    failures: list[str] = []
    history: list[AssessmentHistory] = []
    audits: list[tuple[Model, dict[str, Any]]] = []
    to_update: list[OpenByDefaultAssessment] = []
    for asset in assets:
        assessment = asset.assessment
        links = list(assessment.ground_links.all())
        before = qualification_state(assessment, links)
        q = qualification_from_links(assessment, links)
        q.status = status
        if planned_date and status in OpenByDefaultAssessment.TO_PUBLISH_STATUSES:
            q.planned_date = planned_date
        result = v.validate_qualification(q, v.AssetContext.of(asset, list(asset.formats.all())))
        if not result.ok:
            messages = " ".join(
                m if m.rstrip().endswith((".", "!", "?")) else f"{m}."
                for ms in result.errors.values()
                for m in ms
            )
            failures.append(f"« {asset.title[:60]} » : {messages}")
            continue
        assessment.status = status
        assessment.planned_date = v.parse_date(q.planned_date)
        after = qualification_state(assessment, links)
        changes = diff(before, after)
        if not changes:
            continue
        to_update.append(assessment)
        history.append(
            AssessmentHistory(
                asset=asset,
                ministry_id_at=asset.ministry_id,
                actor=actor if getattr(actor, "pk", None) else None,
                status=status,
                obligation_basis=assessment.obligation_basis,
                data=after,
                comment="Action groupée",
            )
        )
        audits.append((asset, {"qualification": changes}))
    if failures:
        raise ValidationError(
            [
                f"Aucune entrée n'a été modifiée : {len(failures)} entrée(s) ne respectent pas les règles."
            ]
            + failures[:20]
        )
    # The entries are locked, not their qualifications: one saved since they were read would be
    # overwritten with what was read. Lock them and compare versions before writing.
    read = {a.pk: a.version for a in to_update}
    current = dict(
        OpenByDefaultAssessment.objects.select_for_update()
        .filter(pk__in=list(read))
        .values_list("pk", "version")
    )
    stale = [pk for pk, version in read.items() if current.get(pk) != version]
    if stale:
        raise ValidationError(
            f"Aucune entrée n'a été modifiée : la qualification de {len(stale)} entrée(s) a été "
            "modifiée entre-temps. Rechargez la liste puis recommencez."
        )
    now = timezone.now()
    for a in to_update:
        a.updated_at = now
    OpenByDefaultAssessment.objects.bulk_update(to_update, ["status", "planned_date", "updated_at"])
    OpenByDefaultAssessment.objects.filter(pk__in=[a.pk for a in to_update]).update(
        version=F("version") + 1
    )
    AssessmentHistory.objects.bulk_create(history)
    audit_bulk(actor=actor, action="assessment.bulk_status", targets=audits)
    v.record_asset_state([a.pk for a, _ in audits])
    return len(to_update)


def qualification_from_links(
    assessment: OpenByDefaultAssessment, links: Iterable[AssessmentGround]
) -> v.QualificationInput:
    kwargs = {name: getattr(assessment, name) for name in v.QualificationInput.FIELDS}
    return v.QualificationInput(
        **kwargs,
        grounds=[
            v.GroundInput(
                ground=link.ground,
                sub_reference=link.sub_reference,
                justification_internal=link.justification_internal,
                public_motive=link.public_motive,
            )
            for link in links
        ],
    )


@transaction.atomic
def assets_bulk_assign_organization(
    *, actor: Any, asset_ids: Sequence[int], organization: Organization
) -> int:
    assets = _bulk_assets(actor, asset_ids)
    wrong = [a.title for a in assets if a.ministry_id != organization.ministry_id]
    if wrong:
        raise ValidationError(
            "Aucune entrée n'a été modifiée : l'organisation choisie ne relève pas du ministère de "
            + ", ".join(f"« {t[:60]} »" for t in wrong[:5])
            + "."
        )
    if not can_create_in(actor, organization.ministry_id, organization.pk):
        raise PermissionDenied("Vous ne pouvez pas rattacher d'entrées à cette organisation.")
    changed = [a for a in assets if a.organization_id != organization.pk]
    audits = [(a, {"organization": [a.organization_id, organization.pk]}) for a in changed]
    DataAsset.objects.filter(pk__in=[a.pk for a in changed]).update(
        organization=organization, version=F("version") + 1, updated_at=timezone.now()
    )
    audit_bulk(actor=actor, action="asset.bulk_organization", targets=audits)
    v.record_asset_state([a.pk for a in changed])
    return len(changed)


@transaction.atomic
def assets_bulk_set_visibility(*, actor: Any, asset_ids: Sequence[int], visibility: str) -> int:
    if visibility not in DataAsset.Visibility.values:
        raise ValidationError({"visibility": ["Visibilité inconnue."]})
    assets = _bulk_assets(actor, asset_ids)
    changed = [a for a in assets if a.visibility != visibility]
    audits = [(a, {"visibility": [a.visibility, visibility]}) for a in changed]
    DataAsset.objects.filter(pk__in=[a.pk for a in changed]).update(
        visibility=visibility, version=F("version") + 1, updated_at=timezone.now()
    )
    audit_bulk(actor=actor, action="asset.bulk_visibility", targets=audits)
    v.record_asset_state([a.pk for a in changed])
    return len(changed)


# --- Extra-field definitions -------------------------------------------------------------------


def _clean_choices(kind: str, choices: Any) -> list[str]:
    if kind != ExtraFieldDefinition.Kind.CHOICE:
        return []
    if isinstance(choices, str):
        choices = [c.strip() for c in choices.replace("\r", "").split("\n")]
    items = [str(c).strip() for c in (choices or []) if str(c).strip()]
    if not items:
        raise ValidationError({"choices": ["Indiquez au moins un choix (un par ligne)."]})
    if len(set(items)) != len(items):
        raise ValidationError({"choices": ["Chaque choix ne doit figurer qu'une fois."]})
    if any(len(c) > 200 for c in items):
        raise ValidationError({"choices": ["Un choix ne doit pas dépasser 200 caractères."]})
    return items


@transaction.atomic
def extra_field_create(
    *,
    actor: Any,
    ministry: Ministry,
    code: str,
    label: str,
    kind: str,
    choices: Any = None,
    help_text: str = "",
    required: bool = False,
    order: int = 0,
) -> ExtraFieldDefinition:
    ensure_can_manage_extra_fields(actor, ministry.pk)
    errors: dict[str, list[str]] = {}
    from django.core.validators import validate_slug

    try:
        validate_slug(code)
        if "--" in code:  # an SQL comment marker: the ORM refuses it in the list's filters
            raise ValidationError("--")
    except ValidationError:
        errors["code"] = [
            "Le code ne peut contenir que des lettres, chiffres, tirets (pas deux de suite) et « _ »."
        ]
    if not label.strip():
        errors["label"] = ["Ce champ est obligatoire."]
    if kind not in ExtraFieldDefinition.Kind.values:
        errors["kind"] = ["Type inconnu."]
    if ExtraFieldDefinition.objects.filter(ministry=ministry, code=code).exists():
        errors["code"] = [f"Le code « {code} » est déjà utilisé pour ce ministère."]
    if errors:
        raise ValidationError(errors)
    definition = ExtraFieldDefinition(
        ministry=ministry,
        code=code,
        label=label.strip(),
        kind=kind,
        choices=_clean_choices(kind, choices),
        help_text=help_text.strip(),
        required=required,
        order=order,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        with transaction.atomic():
            definition.save()
    except IntegrityError:
        raise ValidationError({"code": [f"Le code « {code} » est déjà utilisé."]}) from None
    audit_record(
        actor=actor,
        action="extra_field.created",
        target=definition,
        changes={"code": [None, code], "label": [None, label], "kind": [None, kind]},
    )
    return definition


def _field_snapshot(definition: ExtraFieldDefinition) -> dict[str, Any]:
    return {k: val for k, val in snapshot(definition).items() if k != "version"}


def _field_conflict(definition: ExtraFieldDefinition) -> ConcurrentEditError:
    return ConcurrentEditError(
        conflict_message(definition, "Ce champ", changed="modifié"), code="concurrent_edit"
    )


def _field_write(
    definition: ExtraFieldDefinition,
    expected_version: int | None,
    fields: Sequence[str],
) -> None:
    """`UPDATE … WHERE id = %s AND version = %s` of `fields`, as for an entry."""
    qs = ExtraFieldDefinition.objects.filter(pk=definition.pk)
    if expected_version is not None:
        qs = qs.filter(version=expected_version)
    now = timezone.now()
    columns = {name: getattr(definition, name) for name in fields}
    if not qs.update(**columns, version=F("version") + 1, updated_at=now):
        raise _field_conflict(definition)
    base = expected_version if expected_version is not None else definition.version
    definition.version = base + 1
    definition.updated_at = now


@transaction.atomic
def extra_field_update(
    *,
    actor: Any,
    definition: ExtraFieldDefinition,
    label: str | None = None,
    choices: Any = None,
    help_text: str | None = None,
    required: bool | None = None,
    order: int | None = None,
    expected_version: int | None = None,
) -> ExtraFieldDefinition:
    """The code and the type are fixed once created: values already stored keep their meaning.

    Like an entry, a definition is changed only by whoever read its current `expected_version`
    (None: no check); otherwise nothing is written and `ConcurrentEditError` says who changed it.
    """
    ensure_can_manage_extra_fields(actor, definition.ministry_id)
    if expected_version is not None and definition.version != expected_version:
        raise _field_conflict(definition)
    before = _field_snapshot(definition)
    if label is not None:
        if not label.strip():
            raise ValidationError({"label": ["Ce champ est obligatoire."]})
        definition.label = label.strip()
    if choices is not None:
        definition.choices = _clean_choices(definition.kind, choices)
    if help_text is not None:
        definition.help_text = help_text.strip()
    if required is not None:
        definition.required = required
    if order is not None:
        definition.order = order
    changes = diff(before, _field_snapshot(definition))
    if not changes:
        return definition
    _field_write(
        definition, expected_version, ("label", "choices", "help_text", "required", "order")
    )
    audit_record(actor=actor, action="extra_field.updated", target=definition, changes=changes)
    return definition


@transaction.atomic
def extra_field_retire(
    *,
    actor: Any,
    definition: ExtraFieldDefinition,
    restore: bool = False,
    expected_version: int | None = None,
) -> ExtraFieldDefinition:
    """Retire (or restore) a field: it leaves forms and filters; stored values are kept.

    Refused without writing when the field changed since `expected_version` (None: no check)."""
    ensure_can_manage_extra_fields(actor, definition.ministry_id)
    if expected_version is not None and definition.version != expected_version:
        raise _field_conflict(definition)
    before = definition.retired_at
    after = None if restore else (before or timezone.now())
    if after == before:
        return definition
    definition.retired_at = after
    _field_write(definition, expected_version, ("retired_at",))
    audit_record(
        actor=actor,
        action="extra_field.restored" if restore else "extra_field.retired",
        target=definition,
        changes={"retired_at": [before, definition.retired_at]},
    )
    return definition


# --- Reference data (DOMAIN §4.4) --------------------------------------------------------------

REVIEW_STATUSES = {
    ReferenceDataDesignation.Status.UNDER_AGD_REVIEW,
    ReferenceDataDesignation.Status.SUBMITTED_FOR_DECREE,
    ReferenceDataDesignation.Status.DESIGNATED,
    ReferenceDataDesignation.Status.REJECTED,
}
DESIGNATION_FIELDS = (
    "regime",
    "spd_dataset",
    "criterion_common_reference",
    "criterion_common_reference_text",
    "criterion_frequent_reuse",
    "criterion_frequent_reuse_evidence",
    "criterion_high_quality_needed",
    "criterion_high_quality_text",
    "status",
    "decree_ref",
    "sla_download_availability_pct",
    "sla_api_availability_pct",
    "process_info_url",
    "change_notice_days",
)


def _designation_snapshot(designation: ReferenceDataDesignation) -> dict[str, Any]:
    return {k: val for k, val in snapshot(designation).items() if k != "version"}


def _designation_conflict(asset: DataAsset) -> ConcurrentEditError:
    return ConcurrentEditError(
        conflict_message(
            asset,
            "La désignation de cette entrée",
            actions=("reference.created", "reference.updated"),
        ),
        code="concurrent_edit",
    )


@transaction.atomic
def reference_designate(
    *,
    actor: Any,
    asset: DataAsset,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> ReferenceDataDesignation:
    """Designate an entry as SPD reference data, a candidate or a sectoral referential.

    `expected_version` is the version of the designation the caller read (0: the entry had none;
    None: no check). When someone saved or created it since, nothing is written and
    `ConcurrentEditError` says who and when, as for an entry.
    """
    ensure_can_edit_asset(actor, asset)
    unknown = set(data) - set(DESIGNATION_FIELDS)
    if unknown:
        raise ValidationError({k: ["Ce champ n'existe pas."] for k in unknown})
    designation = ReferenceDataDesignation.objects.filter(asset=asset).first()
    created = designation is None
    if expected_version is not None and expected_version != (
        0 if designation is None else designation.version
    ):
        raise _designation_conflict(asset)
    if designation is None:
        designation = ReferenceDataDesignation(
            asset=asset,
            ministry_id=asset.ministry_id,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
    before = {} if created else _designation_snapshot(designation)
    old_status = designation.status
    for key, value in data.items():
        setattr(designation, key, value)
    errors: dict[str, list[str]] = {}
    Regime = ReferenceDataDesignation.Regime
    if designation.regime not in Regime.values:
        errors["regime"] = ["Choisissez le régime."]
    if designation.regime == Regime.SPD_R321_5 and designation.spd_dataset_id is None:
        errors["spd_dataset"] = [
            "Une donnée de référence officielle doit être l'une des neuf bases de l'article R321-5."
        ]
    if designation.regime != Regime.SPD_R321_5 and designation.spd_dataset_id is not None:
        errors["spd_dataset"] = [
            "Seule une donnée de référence officielle (R321-5) cite une base du SPD."
        ]
    if designation.status not in ReferenceDataDesignation.Status.values:
        errors["status"] = ["Statut inconnu."]
    elif (
        old_status in REVIEW_STATUSES
        and not created
        and not can_review_reference_data(actor)
        and diff(before, _designation_snapshot(designation))
    ):
        # Once DINUM has taken it up, the ministry neither edits nor withdraws it behind DINUM.
        errors["status"] = [
            "Cette désignation est instruite par l'équipe de l'administrateur général des "
            "données : elle seule peut la modifier."
        ]
    elif (
        (designation.status != old_status or created)
        and designation.status in REVIEW_STATUSES
        and not can_review_reference_data(actor)
    ):
        errors["status"] = [
            "Seule l'équipe de l'administrateur général des données fait avancer l'instruction "
            "(examen, décret, désignation, rejet)."
        ]
    if designation.change_notice_days is not None and designation.change_notice_days < 90:
        errors["change_notice_days"] = [
            "Le préavis avant un changement de structure est d'au moins 90 jours (arrêté du 14 juin 2017)."
        ]
    for name in ("sla_download_availability_pct", "sla_api_availability_pct"):
        value = getattr(designation, name)
        if value is not None and not (0 <= float(value) <= 100):
            errors[name] = ["Un pourcentage entre 0 et 100 est attendu."]
    v.check_url(errors, "process_info_url", designation.process_info_url)
    if errors:
        raise ValidationError(errors)
    if created:
        try:
            with transaction.atomic():
                designation.save()
        except IntegrityError:  # someone designated the entry at the same moment
            raise _designation_conflict(asset) from None
        changes = diff(before, _designation_snapshot(designation))
    else:
        changes = diff(before, _designation_snapshot(designation))
        if not changes:
            return designation
        qs = ReferenceDataDesignation.objects.filter(pk=designation.pk)
        if expected_version is not None:
            qs = qs.filter(version=expected_version)
        attnames = [_attname(ReferenceDataDesignation, key) for key in data]
        columns = {a: getattr(designation, a) for a in attnames}
        now = timezone.now()
        if not qs.update(**columns, version=F("version") + 1, updated_at=now):
            raise _designation_conflict(asset)
        base = expected_version if expected_version is not None else designation.version
        designation.version = base + 1
        designation.updated_at = now
    # The designation is a fact of overlay R (supervision §6.3): closed quarters read it back.
    v.record_asset_state([asset])
    audit_record(
        actor=actor,
        action="reference.created" if created else "reference.updated",
        target=asset,
        changes={"reference": changes},
    )
    return designation


def spd_datasets() -> list[SpdReferenceDataset]:
    return list(SpdReferenceDataset.objects.all())
