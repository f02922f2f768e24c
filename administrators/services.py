"""Writes of the network: ministries, organisations, people, mandates, roles of accounts.

Every service is atomic, re-checks the caller's rights (views, the API, the admin, shell scripts
and tasks all go through here), validates with French messages a person can act on, and records
who changed what (before/after) in the audit trail. The database constraints (partial unique
index and, on PostgreSQL, the exclusion constraint on titular mandates) are the last line of
defence: an `IntegrityError` they raise comes back as the same French `ValidationError`.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from administrators.models import DataAdministrator, Membership, Ministry, Organization, Person
from administrators.permissions import (
    ensure_can_create_ministry,
    ensure_can_edit_ministry_fields,
    ensure_can_manage_mandate,
    ensure_can_manage_memberships,
    ensure_can_manage_organizations,
)
from core.access import access_for, reset_access
from core.audit import audit_record, diff, snapshot
from core.concurrency import ensure_unchanged
from core.models import accounts_for_email, normalize_email
from core.validators import validate_public_url, validate_siren, validate_siret

# The writable fields of a ministry, in form order (forms and serializers use this too).
MINISTRY_FIELDS = (
    "code",
    "name",
    "short_name",
    "pole",
    "valid_from",
    "valid_to",
    "successor",
    "annuaire_id",
    "in_ogp_scope",
    "prada_name",
    "prada_email",
    "prada_act_ref",
    "prada_url",
    "dpo_name",
    "dpo_email",
    "dpo_cnil_notified",
    "data_webpage_url",
)
ORGANIZATION_FIELDS = frozenset(
    {
        "name",
        "parent",
        "kind",
        "siret",
        "siren",
        "id_alt",
        "legal_person_siren",
        "headcount_etp",
        "headcount_as_of",
        "datagouv_org_id",
    }
)
PERSON_FIELDS = frozenset(
    {"first_name", "last_name", "email", "phone", "job_title", "organization", "consent_directory"}
)
MANDATE_FIELDS = frozenset(
    {
        "role",
        "title_label",
        "perimeter",
        "region",
        "reports_to",
        "hierarchical_position",
        "appointment_date",
        "end_date",
        "appointment_act_type",
        "appointment_act_ref",
        "appointment_act_url",
        "mission_letter_url",
        "time_share_pct",
        "team_size_etp",
    }
)

TITULAR_TAKEN = (
    "Ce ministère a déjà un administrateur ministériel des données titulaire sur cette période"
    "{who}. Clôturez son mandat (date de fin antérieure à la nouvelle nomination) avant d'en "
    "nommer un autre."
)
POLE_TITULAR_TAKEN = (
    "Ce pôle a déjà un administrateur titulaire sur cette période{who}. Clôturez son mandat "
    "(date de fin antérieure à la nouvelle nomination) avant d'en nommer un autre."
)
END_BEFORE_START = "La date de fin ({end}) précède la date de nomination ({start})."

# Database constraint name → French message (the service checks first; this is the backstop).
_CONSTRAINT_MESSAGES = {
    "one_open_titular_per_ministry": TITULAR_TAKEN.format(who=""),
    "titular_mandates_do_not_overlap": TITULAR_TAKEN.format(who=""),
    "one_open_titular_per_pole": "Ce pôle a déjà un administrateur titulaire en fonction.",
    "mandate_end_after_start": "La date de fin précède la date de nomination.",
    "mandate_time_share_max_100": "La quotité ne peut pas dépasser 100 %.",
    "ministry_valid_to_after_valid_from": "La date de fin précède la date de début.",
    "organization_unique_name_in_parent": (
        "Une organisation de ce nom existe déjà au même endroit de l'organigramme."
    ),
    "membership_unique_role_per_ministry": "Ce compte a déjà ce rôle dans ce périmètre.",
    "administrators_ministry_code_key": "Ce code de ministère est déjà utilisé.",
    "administrators_person_email_key": "Une personne avec ce courriel existe déjà.",
}


def _integrity_error(exc: IntegrityError) -> ValidationError:
    text = str(exc)
    for name, message in _CONSTRAINT_MESSAGES.items():
        if name in text:
            return ValidationError(message, code="constraint")
    # SQLite names the columns, not the constraint.
    if "dataadministrator.ministry_id" in text:
        return ValidationError(_CONSTRAINT_MESSAGES["one_open_titular_per_ministry"])
    if "dataadministrator.pole_id" in text:
        return ValidationError(_CONSTRAINT_MESSAGES["one_open_titular_per_pole"])
    if "ministry.code" in text:
        return ValidationError(_CONSTRAINT_MESSAGES["administrators_ministry_code_key"])
    if "person.email" in text:
        return ValidationError(_CONSTRAINT_MESSAGES["administrators_person_email_key"])
    return ValidationError(
        "L'enregistrement contredit une règle de cohérence des données ; rien n'a été enregistré.",
        code="integrity",
    )


def _save(instance: models.Model) -> None:
    """Save inside a savepoint; a constraint violation becomes a French ValidationError."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise _integrity_error(exc) from exc


def _apply(instance: models.Model, data: Mapping[str, Any], allowed: Collection[str]) -> set[str]:
    """Set the allowed fields present in `data`; returns the names whose value changed."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(f"Champs non modifiables ici : {', '.join(sorted(unknown))}.")
    changed: set[str] = set()
    for name, value in data.items():
        field: Any = instance._meta.get_field(name)
        current = getattr(instance, field.attname if field.is_relation else name)
        new = value.pk if field.is_relation and isinstance(value, models.Model) else value
        if field.is_relation and new is not None and not isinstance(new, int):
            new = int(new)
        if current != new:
            changed.add(name)
        setattr(instance, field.attname if field.is_relation else name, new)
    return changed


def _validate_urls(instance: models.Model, names: Iterable[str]) -> None:
    errors: dict[str, list[ValidationError]] = {}
    for name in names:
        try:
            validate_public_url(getattr(instance, name) or "")
        except ValidationError as exc:
            errors.setdefault(name, []).append(exc)
    if errors:
        raise ValidationError(errors)


# --- ministries ---------------------------------------------------------------------------------


@transaction.atomic
def ministry_create(*, actor: Any, data: Mapping[str, Any]) -> Ministry:
    ensure_can_create_ministry(actor)
    ministry = Ministry(created_by=actor if getattr(actor, "pk", None) else None)
    _apply(ministry, data, MINISTRY_FIELDS)
    _validate_urls(ministry, ["prada_url", "data_webpage_url"])
    ministry.full_clean()
    _save(ministry)
    audit_record(
        actor=actor,
        action="ministry.created",
        target=ministry,
        changes=diff({}, snapshot(ministry)),
    )
    return ministry


@transaction.atomic
def ministry_update(
    *,
    actor: Any,
    ministry: Ministry,
    data: Mapping[str, Any],
    expected_updated_at: datetime.datetime | None = None,
) -> Ministry:
    ministry = Ministry.objects.select_for_update().get(pk=ministry.pk)
    before = snapshot(ministry)
    changed = _apply(ministry, data, MINISTRY_FIELDS)
    ensure_can_edit_ministry_fields(actor, ministry.pk, changed)
    ensure_unchanged(ministry, expected_updated_at, "Cette fiche", locked=True)
    if not changed:
        return ministry
    if ministry.successor_id == ministry.pk:
        raise ValidationError({"successor": "Un ministère ne peut pas se succéder à lui-même."})
    _validate_urls(ministry, ["prada_url", "data_webpage_url"])
    ministry.full_clean()
    _save(ministry)
    if changed & {"name", "short_name", "code"}:
        _names_changed()
    audit_record(
        actor=actor,
        action="ministry.updated",
        target=ministry,
        changes=diff(before, snapshot(ministry)),
    )
    return ministry


# --- organisations ------------------------------------------------------------------------------


def _check_organization(org: Organization) -> None:
    errors: dict[str, str] = {}
    for name, validator in (
        ("siret", validate_siret),
        ("siren", validate_siren),
        ("legal_person_siren", validate_siren),
    ):
        # As people copy them from the directory or a letterhead: « 130 025 265 00013 ».
        setattr(org, name, "".join((getattr(org, name) or "").split()))
        try:
            validator(getattr(org, name) or "")
        except ValidationError as exc:
            errors[name] = exc.messages[0]
    if org.siret and org.siren and not org.siret.startswith(org.siren):
        errors.setdefault("siren", "Le SIREN doit correspondre aux 9 premiers chiffres du SIRET.")
    if org.parent_id is not None:
        parent = Organization.objects.only("ministry_id", "parent_id").get(pk=org.parent_id)
        if parent.ministry_id != org.ministry_id:
            errors["parent"] = "L'organisation parente doit relever du même ministère."
    if errors:
        raise ValidationError(errors)


def _path_of(org: Organization) -> str:
    """ "Parent path / name": the organisation's place in the directory, shown on its page."""
    parent_path = None
    if org.parent_id:
        parent = Organization.objects.only("path", "name").get(pk=org.parent_id)
        parent_path = parent.path or parent.name
    return (f"{parent_path} / {org.name}" if parent_path else org.name)[:1000]


def _repath_descendants(org: Organization) -> None:
    """After a rename or a move, the paths below follow: one read of the ministry's tree, one
    bulk update (the tree has no cycle: `_check_organization` refuses them)."""
    children: dict[int | None, list[Organization]] = {}
    for node in Organization.objects.filter(ministry_id=org.ministry_id).only(
        "pk", "name", "parent_id", "path"
    ):
        children.setdefault(node.parent_id, []).append(node)
    changed: list[Organization] = []
    stack = [(org.pk, org.path)]
    while stack:
        parent_id, parent_path = stack.pop()
        for child in children.get(parent_id, []):
            path = f"{parent_path} / {child.name}"[:1000]
            if child.path != path:
                child.path = path
                changed.append(child)
            stack.append((child.pk, path))
    Organization.objects.bulk_update(changed, ["path"], batch_size=500)


def _names_changed() -> None:
    """Inventory pages cache rows and facets that show ministry and organisation names: once a
    name changes, every cached count and row goes (on commit), as after a write of entries."""
    from datasets.selectors import bump_inventory_generation

    transaction.on_commit(bump_inventory_generation)


@transaction.atomic
def organization_create(*, actor: Any, ministry: Ministry, data: Mapping[str, Any]) -> Organization:
    ensure_can_manage_organizations(actor, ministry.pk)
    Ministry.objects.select_for_update().filter(pk=ministry.pk).exists()
    org = Organization(ministry=ministry, created_by=actor if getattr(actor, "pk", None) else None)
    _apply(org, data, ORGANIZATION_FIELDS)
    _check_organization(org)
    org.path = _path_of(org)
    org.full_clean()
    _save(org)
    audit_record(
        actor=actor,
        action="organization.created",
        target=org,
        changes=diff({}, snapshot(org)),
    )
    return org


@transaction.atomic
def organization_update(
    *,
    actor: Any,
    organization: Organization,
    data: Mapping[str, Any],
    expected_updated_at: datetime.datetime | None = None,
) -> Organization:
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    ensure_can_manage_organizations(actor, org.ministry_id)
    ensure_unchanged(org, expected_updated_at, "Cette fiche", locked=True)
    before = snapshot(org)
    changed = _apply(org, data, ORGANIZATION_FIELDS)
    if not changed:
        return org
    _check_organization(org)
    if changed & {"name", "parent"}:
        org.path = _path_of(org)
    org.full_clean()
    _save(org)
    if changed & {"name", "parent"}:
        _repath_descendants(org)
        _names_changed()
    audit_record(
        actor=actor,
        action="organization.updated",
        target=org,
        changes=diff(before, snapshot(org)),
    )
    return org


# --- people -------------------------------------------------------------------------------------


def _person_ministry_ids(person: Person) -> set[int]:
    return set(
        DataAdministrator.objects.filter(person=person, ministry__isnull=False).values_list(
            "ministry_id", flat=True
        )
    )


def ensure_can_edit_person(actor: Any, person: Person) -> None:
    access = access_for(actor)
    if access.is_network_staff:
        return
    if person.user_id is not None and person.user_id == getattr(actor, "pk", None):
        return
    # Every ministry where the person holds a mandate must be the caller's: naming another
    # ministry's administrator as one's own correspondent must not hand over their record
    # (e-mail, phone, consent to the public directory).
    ministries = _person_ministry_ids(person)
    if ministries and ministries <= set(access.admin_ministry_ids):
        return
    raise PermissionDenied(
        "Vous ne pouvez pas modifier la fiche de cette personne : elle détient aussi un mandat "
        "dans un autre ministère ; demandez à l'équipe DINUM."
        if ministries & set(access.admin_ministry_ids)
        else "Vous ne pouvez pas modifier la fiche de cette personne."
    )


def _check_person(person: Person) -> None:
    person.email = normalize_email(person.email)
    person.full_clean(exclude=["user"])


@transaction.atomic
def person_update(
    *,
    actor: Any,
    person: Person,
    data: Mapping[str, Any],
    expected_updated_at: datetime.datetime | None = None,
) -> Person:
    person = Person.objects.select_for_update().get(pk=person.pk)
    ensure_can_edit_person(actor, person)
    ensure_unchanged(person, expected_updated_at, "Cette fiche", locked=True)
    before = snapshot(person)
    if not _apply(person, data, PERSON_FIELDS):
        return person
    _check_person(person)
    _save(person)
    audit_record(
        actor=actor,
        action="person.updated",
        target=person,
        changes=diff(before, snapshot(person)),
    )
    return person


def _person_for_mandate(actor: Any, data: Mapping[str, Any]) -> Person:
    """The person named by `data["email"]`: reused when known (never modified here), else created."""
    email = normalize_email(data.get("email"))
    if not email:
        raise ValidationError({"email": "Indiquez le courriel de la personne."})
    # The record stored with this very address first (older rows may hold it in another case),
    # then the oldest: the same person whatever the order the database returns them in.
    found = Person.objects.filter(email__iexact=email).order_by("pk")
    existing = next(iter(accounts_for_email(found, email)), None)
    if existing is not None:
        return existing
    person = Person(created_by=actor if getattr(actor, "pk", None) else None)
    _apply(person, {**data, "email": email}, PERSON_FIELDS)
    _check_person(person)
    _save(person)
    audit_record(
        actor=actor,
        action="person.created",
        target=person,
        changes=diff({}, snapshot(person)),
    )
    return person


# --- mandates -----------------------------------------------------------------------------------


def _fmt(day: datetime.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "sans date de fin"


def titular_conflict(mandate: DataAdministrator) -> str | None:
    """Why `mandate` may not be recorded as its ministry's (or pole's) titular over its dates
    (another titular's mandate overlaps them), or None. The admin's form asks it too: for a
    pole, no database constraint covers mandates with an end date."""
    if mandate.role != DataAdministrator.Role.AMD_TITULAIRE or not mandate.appointment_date:
        return None
    titulars = DataAdministrator.objects.filter(role=DataAdministrator.Role.AMD_TITULAIRE)
    if mandate.ministry_id:
        titulars, message = titulars.filter(ministry_id=mandate.ministry_id), TITULAR_TAKEN
    elif mandate.pole_id:
        titulars, message = titulars.filter(pole_id=mandate.pole_id), POLE_TITULAR_TAKEN
    else:
        return None
    overlapping = titulars.exclude(pk=mandate.pk).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=mandate.appointment_date)
    )
    if mandate.end_date is not None:
        overlapping = overlapping.filter(appointment_date__lte=mandate.end_date)
    other = overlapping.select_related("person").order_by("appointment_date").first()
    if other is None:
        return None
    who = f" ({other.person}, nommé le {_fmt(other.appointment_date)}, {_fmt(other.end_date)})"
    return message.format(who=who)


def _reporting_line(mandate_id: int | None, limit: int = 50) -> list[int]:
    """Ids of `mandate_id` and of the mandates it reports to, up the line (a bounded walk)."""
    line: list[int] = []
    while mandate_id is not None and len(line) < limit:
        line.append(mandate_id)
        mandate_id = (
            DataAdministrator.objects.filter(pk=mandate_id)
            .values_list("reports_to_id", flat=True)
            .first()
        )
    return line


def _check_mandate(mandate: DataAdministrator, organizations: list[Organization] | None) -> None:
    if (
        mandate.end_date
        and mandate.appointment_date
        and mandate.end_date < mandate.appointment_date
    ):
        raise ValidationError(
            {
                "end_date": END_BEFORE_START.format(
                    end=_fmt(mandate.end_date), start=_fmt(mandate.appointment_date)
                )
            }
        )
    if mandate.time_share_pct is not None and mandate.time_share_pct > 100:
        raise ValidationError({"time_share_pct": "La quotité ne peut pas dépasser 100 %."})
    _validate_urls(mandate, ["appointment_act_url", "mission_letter_url"])
    if organizations:
        foreign = [o.name for o in organizations if o.ministry_id != mandate.ministry_id]
        if foreign:
            raise ValidationError(
                {
                    "perimeter_organizations": "Ces organisations ne relèvent pas du ministère du "
                    f"mandat : {', '.join(foreign[:5])}."
                }
            )
    if mandate.reports_to_id is not None:
        boss = (
            DataAdministrator.objects.only("ministry_id").filter(pk=mandate.reports_to_id).first()
        )
        if boss is None or boss.ministry_id != mandate.ministry_id or boss.pk == mandate.pk:
            raise ValidationError(
                {
                    "reports_to": "Le supérieur désigné doit détenir un mandat dans le même ministère."
                }
            )
        if mandate.pk is not None and mandate.pk in _reporting_line(mandate.reports_to_id):
            raise ValidationError(
                {
                    "reports_to": "Le supérieur désigné rend déjà compte, directement ou non, à "
                    "ce mandat : la chaîne formerait une boucle."
                }
            )
    if mandate.role == DataAdministrator.Role.AMD_TITULAIRE and mandate.ministry_id:
        # Serialise appointments per ministry: two concurrent requests wait on this row lock,
        # so the second one sees the first one's mandate and is refused with this message.
        Ministry.objects.select_for_update().filter(pk=mandate.ministry_id).exists()
        conflict = titular_conflict(mandate)
        if conflict:
            raise ValidationError(conflict, code="titular_taken")
    mandate.full_clean(
        exclude=["person", "ministry", "pole", "reports_to"], validate_constraints=False
    )


def _audit_m2m(before: list[int], after: list[int]) -> dict[str, list[Any]]:
    return (
        {}
        if sorted(before) == sorted(after)
        else {"perimeter_organizations": [sorted(before), sorted(after)]}
    )


@transaction.atomic
def mandate_create(
    *,
    actor: Any,
    ministry: Ministry | None,
    data: Mapping[str, Any],
    person: Person | None = None,
    person_data: Mapping[str, Any] | None = None,
    perimeter_organizations: Iterable[Organization] | None = None,
) -> DataAdministrator:
    role = str(data.get("role") or "")
    if role not in DataAdministrator.Role.values:
        raise ValidationError({"role": "Choisissez le rôle du mandat."})
    ensure_can_manage_mandate(actor, ministry.pk if ministry else None, role)
    if ministry is None and role != DataAdministrator.Role.AGD_TEAM:
        raise ValidationError({"ministry": "Indiquez le ministère du mandat."})
    if person is None:
        person = _person_for_mandate(actor, person_data or {})
    mandate = DataAdministrator(
        person=person,
        ministry=ministry,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _apply(mandate, data, MANDATE_FIELDS)
    orgs = list(perimeter_organizations or [])
    _check_mandate(mandate, orgs)
    _save(mandate)
    if orgs:
        mandate.perimeter_organizations.set(orgs)
    changes = diff({}, snapshot(mandate))
    changes.update(_audit_m2m([], [o.pk for o in orgs]))
    audit_record(actor=actor, action="mandate.created", target=mandate, changes=changes)
    return mandate


@transaction.atomic
def mandate_update(
    *,
    actor: Any,
    mandate: DataAdministrator,
    data: Mapping[str, Any],
    perimeter_organizations: Iterable[Organization] | None = None,
    expected_updated_at: datetime.datetime | None = None,
) -> DataAdministrator:
    mandate = DataAdministrator.objects.select_for_update().get(pk=mandate.pk)
    ensure_can_manage_mandate(actor, mandate.ministry_id, mandate.role)
    ensure_unchanged(mandate, expected_updated_at, "Cette fiche", locked=True)
    before = snapshot(mandate)
    before_orgs = list(mandate.perimeter_organizations.values_list("pk", flat=True))
    changed = _apply(mandate, data, MANDATE_FIELDS)
    if "role" in changed:  # the new role must be one the caller may record, too
        ensure_can_manage_mandate(actor, mandate.ministry_id, mandate.role)
    orgs = list(perimeter_organizations) if perimeter_organizations is not None else None
    _check_mandate(mandate, orgs)
    _save(mandate)
    if orgs is not None:
        mandate.perimeter_organizations.set(orgs)
    changes = diff(before, snapshot(mandate))
    if orgs is not None:
        changes.update(_audit_m2m(before_orgs, [o.pk for o in orgs]))
    if changes:
        audit_record(actor=actor, action="mandate.updated", target=mandate, changes=changes)
    return mandate


@transaction.atomic
def mandate_end(
    *, actor: Any, mandate: DataAdministrator, end_date: datetime.date
) -> DataAdministrator:
    mandate = DataAdministrator.objects.select_for_update().get(pk=mandate.pk)
    ensure_can_manage_mandate(actor, mandate.ministry_id, mandate.role)
    if end_date is None:
        raise ValidationError({"end_date": "Indiquez la date de fin du mandat."})
    if end_date < mandate.appointment_date:
        raise ValidationError(
            {
                "end_date": END_BEFORE_START.format(
                    end=_fmt(end_date), start=_fmt(mandate.appointment_date)
                )
            }
        )
    before = snapshot(mandate)
    mandate.end_date = end_date
    _save(mandate)
    audit_record(
        actor=actor,
        action="mandate.ended",
        target=mandate,
        changes=diff(before, snapshot(mandate)),
    )
    return mandate


# --- roles of user accounts ---------------------------------------------------------------------


@transaction.atomic
def membership_grant(
    *,
    actor: Any,
    user: Any,
    role: str,
    ministry: Ministry | None = None,
    admin_kind: str = "",
    organizations: Iterable[Organization] = (),
    valid_until: datetime.date | None = None,
) -> Membership:
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Choisissez un rôle."})
    ensure_can_manage_memberships(actor, role)
    orgs = list(organizations)
    errors: dict[str, str] = {}
    if role in {"MINISTRY_ADMIN", "CORRESPONDENT"} and ministry is None:
        errors["ministry"] = "Ce rôle s'exerce dans un ministère : indiquez-le."
    if role in {"CHIEF_DATA_OFFICER", "DINUM_STAFF", "TRAINER"} and ministry is not None:
        errors["ministry"] = "Ce rôle s'exerce sur tout le réseau : ne choisissez pas de ministère."
    if role != "MINISTRY_ADMIN" and admin_kind:
        errors["admin_kind"] = "La qualité ne concerne que les administrateurs ministériels."
    if role == "MINISTRY_ADMIN" and not admin_kind:
        errors["admin_kind"] = "Indiquez la qualité : titulaire, adjoint ou délégué."
    if valid_until is not None and valid_until < timezone.localdate():
        errors["valid_until"] = (
            f"Cette date ({_fmt(valid_until)}) est passée : le rôle serait déjà expiré."
        )
    if orgs and role != "CORRESPONDENT":
        errors["organizations"] = "Seuls les correspondants sont rattachés à des organisations."
    if ministry is not None and any(o.ministry_id != ministry.pk for o in orgs):
        errors["organizations"] = "Ces organisations doivent relever du ministère choisi."
    if errors:
        raise ValidationError(errors)
    if Membership.objects.filter(user=user, role=role, ministry=ministry).exists():
        raise ValidationError(_CONSTRAINT_MESSAGES["membership_unique_role_per_ministry"])
    membership = Membership(
        user=user,
        role=role,
        ministry=ministry,
        admin_kind=admin_kind,
        valid_until=valid_until,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _save(membership)
    if orgs:
        membership.organizations.set(orgs)
    reset_access(user)
    changes = diff({}, snapshot(membership))
    if orgs:
        changes["organizations"] = [[], sorted(o.pk for o in orgs)]
    audit_record(
        actor=actor,
        action="membership.granted",
        target=membership,
        changes=changes,
        ministry_id=ministry.pk if ministry else None,
    )
    return membership


def last_chief_data_officer(membership: Membership) -> str | None:
    """Why the chief data officer role of `membership` may not go (no other current holder would
    remain), or None. Other holders' rows are locked: two removals at once must not both count
    on each other. The admin's form asks it too, for a role changed away. A role already
    expired may always go: no current holder is lost."""
    if membership.valid_until is not None and membership.valid_until < timezone.localdate():
        return None
    others = (
        Membership.objects.select_for_update()
        .filter(role=Membership.Role.CHIEF_DATA_OFFICER)
        .exclude(pk=membership.pk)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate()))
    )
    if list(others.values_list("pk", flat=True)):
        return None
    return (
        "C'est le dernier compte ayant le rôle d'administrateur général des données : "
        "attribuez-le d'abord à son successeur avant de le retirer."
    )


LAST_CHIEF_PROTECTION = (
    "le dernier compte ayant le rôle d'administrateur général des données : attribuez-le "
    "d'abord à son successeur"
)


def removes_every_chief_data_officer(memberships: QuerySet[Membership]) -> bool:
    """Whether deleting `memberships` (the admin: a selection of roles, or the roles of the
    accounts deleted) would leave no current chief data officer."""
    current = Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate())
    holders = Membership.objects.filter(current, role=Membership.Role.CHIEF_DATA_OFFICER)
    return holders.exists() and not holders.exclude(pk__in=memberships.values("pk")).exists()


@transaction.atomic
def membership_revoke(*, actor: Any, membership: Membership) -> None:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    ensure_can_manage_memberships(actor, membership.role)
    if (
        membership.user_id == getattr(actor, "pk", None)
        and membership.role in Membership.NETWORK_ROLES
    ):
        raise ValidationError("Vous ne pouvez pas retirer votre propre rôle d'équipe réseau.")
    if membership.role == Membership.Role.CHIEF_DATA_OFFICER:
        message = last_chief_data_officer(membership)
        if message:
            raise ValidationError(message)
    audit_record(
        actor=actor,
        action="membership.revoked",
        target=membership,
        changes=diff(snapshot(membership), {}),
        ministry_id=membership.ministry_id,
    )
    membership.delete()
