"""Audit trail: who changed what, when, with the value before and after each field."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.models import AuditEntry


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Concrete field values of `instance` as JSON-friendly data (FKs as ids)."""
    names = set(fields) if fields is not None else None
    data: dict[str, Any] = {}
    for f in instance._meta.concrete_fields:
        if names is not None and f.name not in names:
            continue
        if f.name in {"created_at", "updated_at"}:
            continue
        data[f.name] = _plain(getattr(instance, f.attname))
    return data


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed."""
    keys = set(before) | set(after)
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(keys)
        if _plain(before.get(k)) != _plain(after.get(k))
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    ministry_id: int | None = None,
) -> AuditEntry:
    if ministry_id is None:
        ministry_id = getattr(target, "ministry_id", None)
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(target),
        object_id=str(target.pk),
        object_repr=str(target)[:300],
        ministry_id=ministry_id,
        changes=_plain(changes or {}),
    )


def audit_bulk(
    *, actor: Any, action: str, targets: Iterable[tuple[models.Model, dict[str, Any]]]
) -> int:
    """One entry per target in a single INSERT (bulk actions are audited like single edits)."""
    rows = []
    for target, changes in targets:
        rows.append(
            AuditEntry(
                actor=actor if getattr(actor, "pk", None) else None,
                action=action,
                content_type=ContentType.objects.get_for_model(target),
                object_id=str(target.pk),
                object_repr=str(target)[:300],
                ministry_id=getattr(target, "ministry_id", None),
                changes=_plain(changes),
            )
        )
    AuditEntry.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def history_for(target: models.Model) -> models.QuerySet[AuditEntry]:
    return (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(target), object_id=str(target.pk)
        )
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
