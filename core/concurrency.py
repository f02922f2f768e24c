"""The second of two concurrent edits of a record: refused, told who saved first, nothing lost.

An edit page (or API call) carries when its record was read: the record's `updated_at` then
(`ReadAtField` on a form, `expected_updated_at_field()` in a serializer). The service locks the
row and refuses to save over a change made since (`ensure_unchanged`): a `ConcurrentEditError`
whose message names who changed it and when, from the audit trail (`conflict_message`). A page
shows it and keeps the refused input; the API answers 409 (`conflicts_as_409`).

Shared by every app that edits records in place (inventory, network, guides, trainings,
supervision): the same words, the same error code, the same HTTP status everywhere.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

from core.audit import history_for

CONCURRENT_EDIT = "concurrent_edit"
AUTOMATIC = "un import ou un traitement automatique"
THEN = (
    "vos modifications n'ont pas été enregistrées. Relisez la nouvelle version avant de refaire "
    "vos changements."
)
INCOMPLETE_FORM = "Le formulaire est incomplet : rechargez la page puis refaites vos changements."


class ConcurrentEditError(ValidationError):
    """The record changed since the caller read it (code `concurrent_edit`)."""

    def __init__(self, message: Any, code: str | None = CONCURRENT_EDIT, params: Any = None):
        super().__init__(message, code, params)


def conflict_message(
    target: Model,
    what: str = "Cette entrée",
    *,
    changed: str = "modifiée",
    actions: Sequence[str] = (),
) -> str:
    """Who changed `target` last and when (its audit trail, or only `actions` of it), and what
    to do now. `what`: « Cette session »; `changed`: the past participle agreeing with it."""
    history = history_for(target)
    if actions:
        history = history.filter(action__in=actions)
    last = history.first()
    if last is None:
        return f"{what} a été {changed} entre-temps : {THEN}"
    who = str(last.actor) if last.actor else AUTOMATIC
    when = timezone.localtime(last.created_at)
    return (
        f"{what} a été {changed} par {who} le {when:%d/%m/%Y} à {when:%H:%M} entre-temps : {THEN}"
    )


def ensure_unchanged(
    obj: Model,
    expected_updated_at: datetime.datetime | None,
    what: str,
    *,
    changed: str = "modifiée",
    locked: bool = False,
) -> None:
    """Refuse to save `obj` over a change made since the editor read it. `expected_updated_at`:
    its `updated_at` then (None: no check, e.g. a script's call that did not send it). The
    row is read again under lock, and stays locked until the end of the caller's transaction;
    `locked`: the caller has just read `obj` so (`select_for_update`), its `updated_at` is
    compared as it is."""
    if expected_updated_at is None or obj.pk is None:
        return
    if locked:
        current = obj.updated_at  # type: ignore[attr-defined]
    else:
        current = (
            type(obj)
            ._default_manager.select_for_update()
            .filter(pk=obj.pk)
            .values_list("updated_at", flat=True)
            .first()
        )
    if current is None or current == expected_updated_at:
        return
    raise ConcurrentEditError(conflict_message(obj, what, changed=changed))


class ReadAtField(forms.CharField):
    """When the editor read the record (its `updated_at`, ISO 8601), hidden in the form and
    cleaned to a datetime. Not `required`: a form posted without it (a script) saves unchecked;
    `required`: it asks to reload the page."""

    widget = forms.HiddenInput

    def __init__(self, *, required: bool = False, **kwargs: Any) -> None:
        super().__init__(required=required, **kwargs)
        self.error_messages["required"] = INCOMPLETE_FORM

    def to_python(self, value: Any) -> datetime.datetime | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return datetime.datetime.fromisoformat(text)
        except ValueError:
            raise forms.ValidationError(INCOMPLETE_FORM, code="invalid") from None


def read_at(instance: Any) -> str:
    """A saved record's `updated_at` as `ReadAtField` carries it ("" for a new record)."""
    return instance.updated_at.isoformat() if getattr(instance, "pk", None) else ""


def expected_updated_at_field(what: str = "l'enregistrement") -> serializers.DateTimeField:
    """The API's counterpart of `ReadAtField` (optional, write only, in the OpenAPI schema)."""
    return serializers.DateTimeField(
        write_only=True,
        required=False,
        help_text=(
            f"Modification : la valeur de `updated_at` lue. Si {what} a changé depuis, rien "
            "n'est enregistré (409)."
        ),
    )


class EditConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = CONCURRENT_EDIT
    default_detail = THEN


@contextmanager
def conflicts_as_409() -> Iterator[None]:
    """A save the service refused as a concurrent edit answers 409; any other refusal goes on
    (a refusal naming fields has no single code)."""
    try:
        yield
    except ValidationError as exc:
        if getattr(exc, "code", None) == CONCURRENT_EDIT:
            raise EditConflict(exc.messages[0]) from None
        raise
