"""Writes of guides: create, edit drafts, move versions through the workflow. Atomic, audited,
reserved to DINUM staff (checked here too, so that admin, shell and API are safe)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from core.audit import audit_record, diff, snapshot
from core.concurrency import ensure_unchanged
from core.models import LegalReference, Licence
from core.permissions import ensure_network_staff
from guides.models import Guide, GuideVersion

Status = GuideVersion.Status
RESERVED_SLUGS = frozenset({"nouveau"})


def _set_references(version: GuideVersion, reference_ids: Iterable[int] | None) -> None:
    if reference_ids is None:
        return
    ids = sorted({int(i) for i in reference_ids})
    found = list(LegalReference.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if len(found) != len(ids):
        raise ValidationError(
            {"legal_references": "Une des références juridiques choisies n'existe pas."}
        )
    version.legal_references.set(found)


def _default_licence() -> Licence | None:
    return Licence.objects.filter(spdx_id="etalab-2.0").first()


@transaction.atomic
def guide_create(
    *,
    actor: Any,
    title: str,
    theme: str,
    body: str,
    slug: str = "",
    summary: str = "",
    version: str = "0.1.0",
    changelog: str = "",
    legal_reference_ids: Iterable[int] | None = None,
    owner_id: int | None = None,
    licence: Licence | None = None,
    review_due: Any = None,
) -> Guide:
    """A new guide with its first draft version."""
    ensure_network_staff(actor)
    slug = slug or slugify(title)[:120]
    if not slug:
        raise ValidationError(
            {"slug": "Indiquez une adresse : le titre n'a ni lettre ni chiffre pour la former."}
        )
    if slug in RESERVED_SLUGS:
        raise ValidationError({"slug": "Cette adresse est réservée : choisissez-en une autre."})
    if Guide.objects.filter(slug=slug).exists():
        raise ValidationError(
            {"slug": "Un guide utilise déjà cette adresse : choisissez-en une autre."}
        )
    guide = Guide(
        slug=slug,
        title=title,
        theme=theme,
        summary=summary,
        owner_id=owner_id,
        licence=licence or _default_licence(),
        created_by=actor,
    )
    guide.full_clean(exclude=["published_version"])
    guide.save()
    audit_record(actor=actor, action="guide.created", target=guide, changes=snapshot(guide))
    guide_version_create(
        actor=actor,
        guide=guide,
        version=version,
        body=body,
        changelog=changelog,
        legal_reference_ids=legal_reference_ids,
        review_due=review_due,
    )
    return guide


@transaction.atomic
def guide_update(*, actor: Any, guide: Guide, **fields: Any) -> Guide:
    ensure_network_staff(actor)
    allowed = {"title", "summary", "theme", "owner_id", "licence"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Champs non modifiables : {', '.join(sorted(unknown))}.")
    before = snapshot(guide)
    for name, value in fields.items():
        setattr(guide, name, value)
    guide.full_clean(exclude=["published_version", "slug"])
    guide.save()
    audit_record(
        actor=actor, action="guide.updated", target=guide, changes=diff(before, snapshot(guide))
    )
    return guide


@transaction.atomic
def guide_version_create(
    *,
    actor: Any,
    guide: Guide,
    version: str,
    body: str,
    changelog: str = "",
    legal_reference_ids: Iterable[int] | None = None,
    review_due: Any = None,
) -> GuideVersion:
    """A new draft; its number must be above every existing version of the guide."""
    ensure_network_staff(actor)
    Guide.objects.select_for_update().filter(pk=guide.pk).first()
    try:
        key = GuideVersion.key_for(version)
    except ValidationError as exc:
        raise ValidationError({"version": exc.messages}) from None
    latest = GuideVersion.objects.filter(guide=guide).order_by("-version_key").first()
    if latest is not None and key <= latest.version_key:
        raise ValidationError(
            {
                "version": (
                    f"La nouvelle version doit être supérieure à la dernière ({latest.version})."
                )
            }
        )
    obj = GuideVersion(
        guide=guide,
        version=version,
        body=body,
        changelog=changelog,
        review_due=review_due,
        created_by=actor,
    )
    obj.full_clean()
    obj.save()
    _set_references(obj, legal_reference_ids)
    audit_record(actor=actor, action="guide.version_created", target=obj, changes=snapshot(obj))
    return obj


@transaction.atomic
def guide_version_update(
    *,
    actor: Any,
    version: GuideVersion,
    legal_reference_ids: Iterable[int] | None = None,
    expected_updated_at: datetime.datetime | None = None,
    **fields: Any,
) -> GuideVersion:
    """Change a draft or a version in review. With `expected_updated_at` (when the caller read
    it), a version changed since is left as it is: the second of two editors is told, and the
    first one's text is not lost."""
    ensure_network_staff(actor)
    version = GuideVersion.objects.select_for_update().get(pk=version.pk)
    ensure_unchanged(version, expected_updated_at, "Cette version", locked=True)
    if not version.is_editable:
        raise ValidationError(
            "Une version publiée ou archivée ne se modifie plus : créez une nouvelle version."
        )
    allowed = {"body", "changelog", "review_due"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Champs non modifiables : {', '.join(sorted(unknown))}.")
    before = snapshot(version)
    before_refs = sorted(version.legal_references.values_list("pk", flat=True))
    for name, value in fields.items():
        setattr(version, name, value)
    version.full_clean()
    version.save()
    _set_references(version, legal_reference_ids)
    changes = diff(before, snapshot(version))
    if legal_reference_ids is not None:
        after_refs = sorted({int(i) for i in legal_reference_ids})
        if after_refs != before_refs:
            changes["legal_references"] = [before_refs, after_refs]
    audit_record(actor=actor, action="guide.version_updated", target=version, changes=changes)
    return version


@transaction.atomic
def guide_version_transition(*, actor: Any, version: GuideVersion, to_status: str) -> GuideVersion:
    """Move a version through the workflow. Publishing archives the previous published version
    and records who approved it and when. A draft or review overtaken by a newer published
    version (it can never be published) may only be archived; it stays out of public view
    (`selectors.PUBLIC_VERSIONS`: it was never in force)."""
    ensure_network_staff(actor)
    guide = (
        Guide.objects.select_for_update(of=("self",))
        .select_related("published_version")
        .get(pk=version.guide_id)
    )
    version = GuideVersion.objects.select_for_update().get(pk=version.pk)
    current = version.status
    in_force = guide.published_version
    if to_status not in Status.values:
        raise ValidationError({"status": "Statut inconnu."})
    if current == Status.PUBLIEE and to_status == Status.ARCHIVEE:
        raise ValidationError(
            {
                "status": (
                    "C'est la version en vigueur du guide : publiez une nouvelle version, "
                    "celle-ci sera alors archivée."
                )
            }
        )
    superseded = version.is_superseded_by(in_force)
    if superseded and in_force is not None and to_status != Status.ARCHIVEE:
        raise ValidationError(
            {
                "status": (
                    f"Une version plus récente ({in_force.version}) est déjà publiée : "
                    "cette version ne peut plus qu'être archivée."
                )
            }
        )
    if version.is_editable and to_status == Status.ARCHIVEE and not superseded:
        raise ValidationError(
            {
                "status": (
                    "Cette version peut encore être publiée : seule une version dépassée par "
                    "une version publiée plus récente s'archive à la main."
                )
            }
        )
    if to_status not in version.allowed_moves(in_force):
        raise ValidationError(
            {
                "status": (
                    f"Impossible de passer une version « {Status(current).label} » "
                    f"au statut « {Status(to_status).label} »."
                )
            }
        )
    before = snapshot(version)
    now = timezone.now()
    if to_status == Status.PUBLIEE:
        if not version.body.strip():
            raise ValidationError({"body": "Une version vide ne peut pas être publiée."})
        if not version.changelog.strip():
            raise ValidationError(
                {"changelog": "Indiquez les nouveautés de la version avant de la publier."}
            )
        previous = GuideVersion.objects.filter(guide=guide, status=Status.PUBLIEE).first()
        if previous is not None:
            if previous.version_key > version.version_key:
                raise ValidationError(
                    {"status": (f"Une version plus récente ({previous.version}) est déjà publiée.")}
                )
            previous.status = Status.ARCHIVEE
            previous.save(update_fields=["status", "updated_at"])
            audit_record(
                actor=actor,
                action="guide.version_archived",
                target=previous,
                changes={"status": [Status.PUBLIEE, Status.ARCHIVEE]},
            )
        version.status = Status.PUBLIEE
        version.published_at = now
        version.approved_by = actor
        version.save()
        guide.published_version = version
        guide.save(update_fields=["published_version", "updated_at"])
    else:
        version.status = to_status
        version.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=f"guide.version_{to_status.lower()}",
        target=version,
        changes=diff(before, snapshot(version)),
    )
    return version
