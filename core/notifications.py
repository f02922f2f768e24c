"""E-mails of the portal to its users (French, plain text), sent by Celery tasks only.

Every app's notices go through here:
- `absolute_url(path)`: a link for an e-mail, on the portal's public address (`SITE_URL`);
- `send_plain(to, subject, body)`: one message per recipient (no one sees the others'
  addresses), signed by the network's team, with optional attachments;
- `send_once(row, field, send)`: "at most once" — the notice is claimed by a conditional
  UPDATE of its `*_notified_at` column before it goes out (a second run, or a second worker,
  finds it taken); a failed send releases the claim so that the retried task sends it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import QuerySet
from django.utils import timezone

SIGNATURE = "L'équipe de l'administrateur général des données (DINUM)"

# (file name, content, MIME type)
Attachment = tuple[str, Any, str]

T = TypeVar("T")


def absolute_url(path: str) -> str:
    """`path` ("/inventaire/12/") on the portal's public address."""
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def send_plain(
    to: str | Iterable[str],
    subject: str,
    body: str,
    attachments: Sequence[Attachment] = (),
) -> int:
    """Send `body` (the signature is added) to each address, in its own message; returns how
    many were sent."""
    recipients = [to] if isinstance(to, str) else list(dict.fromkeys(to))
    text = f"{body.rstrip()}\n\n{SIGNATURE}"
    messages = []
    for address in recipients:
        if not address:
            continue
        message = EmailMessage(
            subject=subject, body=text, to=[address], from_email=settings.DEFAULT_FROM_EMAIL
        )
        for name, content, mimetype in attachments:
            message.attach(name, content, mimetype)
        messages.append(message)
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0


def send_once(
    row: QuerySet[Any],
    field: str,
    send: Callable[[], T],
    now: datetime.datetime | None = None,
) -> tuple[bool, T | None]:
    """Claim the notice `field` (a nullable timestamp) of the one row `row` selects, then call
    `send`. (False, None) when it was already claimed, or the row is gone or no longer matches:
    nothing is sent. A `send` that fails releases the claim and raises."""
    pk = row.filter(**{f"{field}__isnull": True}).values_list("pk", flat=True).first()
    if pk is None:
        return False, None
    manager = row.model._default_manager
    if not manager.filter(pk=pk, **{f"{field}__isnull": True}).update(
        **{field: now or timezone.now()}
    ):
        return False, None
    try:
        return True, send()
    except Exception:
        manager.filter(pk=pk).update(**{field: None})
        raise
