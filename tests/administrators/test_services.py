"""Services of the network: validation in French, rights re-checked, atomic, audited."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from administrators import services
from administrators.models import DataAdministrator, Membership, Ministry, Organization, Person
from core.models import AuditEntry
from tests.factories import (
    MandateFactory,
    MembershipFactory,
    OrganizationFactory,
    PersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def _luhn_complete(prefix: str) -> str:
    """A valid SIRET/SIREN: `prefix` followed by the one check digit that satisfies Luhn."""
    for digit in "0123456789":
        candidate = prefix + digit
        total = 0
        for i, c in enumerate(reversed(candidate)):
            v = int(c) * (2 if i % 2 else 1)
            total += v - 9 if v > 9 else v
        if total % 10 == 0:
            return candidate
    raise AssertionError


VALID_SIRET = _luhn_complete("1300252650001")


def _counts():
    return (
        DataAdministrator.objects.count(),
        Person.objects.count(),
        Organization.objects.count(),
        AuditEntry.objects.count(),
    )


def _titular_data(**extra):
    return {"role": "AMD_TITULAIRE", "appointment_date": D(2024, 1, 1), **extra}


# --- mandates: at most one current titular ---------------------------------------------------


def test_second_current_titular_is_refused_in_french_and_nothing_is_written(dinum_user, ministry):
    MandateFactory(ministry=ministry, person=PersonFactory(last_name="Martin"))
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.mandate_create(
            actor=dinum_user,
            ministry=ministry,
            data=_titular_data(),
            person_data={"email": "nouvelle@exemple.gouv.fr", "first_name": "A", "last_name": "B"},
        )
    message = " ".join(exc.value.messages)
    assert "déjà un administrateur ministériel des données titulaire" in message
    assert "Martin" in message
    assert _counts() == before  # not even the new person


def test_titular_overlapping_a_closed_mandate_is_refused(dinum_user, ministry):
    MandateFactory(ministry=ministry, appointment_date=D(2020, 1, 1), end_date=D(2024, 6, 30))
    with pytest.raises(ValidationError, match="déjà un administrateur"):
        services.mandate_create(
            actor=dinum_user,
            ministry=ministry,
            data=_titular_data(appointment_date=D(2024, 6, 30)),
            person=PersonFactory(),
        )


def test_titular_after_the_previous_one_ended_is_accepted_and_audited(dinum_user, ministry):
    old = MandateFactory(ministry=ministry, appointment_date=D(2020, 1, 1))
    services.mandate_end(actor=dinum_user, mandate=old, end_date=D(2023, 12, 31))
    new = services.mandate_create(
        actor=dinum_user, ministry=ministry, data=_titular_data(), person=PersonFactory()
    )
    assert new.is_current
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["mandate.ended", "mandate.created"]
    ended = AuditEntry.objects.get(action="mandate.ended")
    assert ended.changes["end_date"] == [None, "2023-12-31"]
    assert ended.actor == dinum_user and ended.ministry_id == ministry.pk


def test_titular_in_another_ministry_does_not_block(dinum_user, ministry, other_ministry):
    MandateFactory(ministry=other_ministry)
    mandate = services.mandate_create(
        actor=dinum_user, ministry=ministry, data=_titular_data(), person=PersonFactory()
    )
    assert mandate.ministry == ministry


def test_database_constraint_violation_comes_back_as_the_french_message(ministry):
    MandateFactory(ministry=ministry)
    duplicate = DataAdministrator(
        person=PersonFactory(),
        ministry=ministry,
        role="AMD_TITULAIRE",
        appointment_date=D(2025, 1, 1),
    )
    with pytest.raises(ValidationError, match="déjà un administrateur ministériel"):
        services._save(duplicate)  # the service check bypassed: the database still refuses
    assert DataAdministrator.objects.filter(ministry=ministry).count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraint: PostgreSQL only"
)
def test_exclusion_constraint_violation_comes_back_as_the_french_message(ministry):
    MandateFactory(ministry=ministry, appointment_date=D(2020, 1, 1), end_date=D(2030, 1, 1))
    overlapping = DataAdministrator(
        person=PersonFactory(),
        ministry=ministry,
        role="AMD_TITULAIRE",
        appointment_date=D(2025, 1, 1),
        end_date=D(2026, 1, 1),
    )
    with pytest.raises(ValidationError, match="déjà un administrateur ministériel"):
        services._save(overlapping)


def test_end_date_before_appointment_is_refused(dinum_user, ministry):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.mandate_create(
            actor=dinum_user,
            ministry=ministry,
            data=_titular_data(end_date=D(2023, 1, 1)),
            person=PersonFactory(),
        )
    assert "La date de fin (01/01/2023) précède la date de nomination (01/01/2024)" in str(
        exc.value
    )
    assert _counts()[0] == before[0]


def test_ending_a_mandate_before_it_started_is_refused_and_leaves_it_open(dinum_user, ministry):
    mandate = MandateFactory(ministry=ministry, appointment_date=D(2021, 5, 15))
    with pytest.raises(ValidationError, match="précède la date de nomination"):
        services.mandate_end(actor=dinum_user, mandate=mandate, end_date=D(2021, 5, 14))
    mandate.refresh_from_db()
    assert mandate.end_date is None
    assert not AuditEntry.objects.exists()


def test_perimeter_organisations_must_belong_to_the_ministry(
    dinum_user, ministry, other_organization
):
    with pytest.raises(ValidationError, match="ne relèvent pas du ministère"):
        services.mandate_create(
            actor=dinum_user,
            ministry=ministry,
            data={"role": "CORRESPONDANT_DIRECTION", "appointment_date": D(2024, 1, 1)},
            person=PersonFactory(),
            perimeter_organizations=[other_organization],
        )
    assert not DataAdministrator.objects.exists()


def test_ministry_admin_records_correspondents_of_their_ministry(amd_user, ministry, organization):
    mandate = services.mandate_create(
        actor=amd_user,
        ministry=ministry,
        data={"role": "CORRESPONDANT_DIRECTION", "appointment_date": D(2024, 1, 1)},
        person_data={"email": "Corr@Exemple.gouv.fr", "first_name": "Lina", "last_name": "Roux"},
        perimeter_organizations=[organization],
    )
    assert mandate.person.email == "corr@exemple.gouv.fr"
    assert list(mandate.perimeter_organizations.all()) == [organization]
    created = AuditEntry.objects.get(action="mandate.created")
    assert created.changes["perimeter_organizations"] == [[], [organization.pk]]


def test_ministry_admin_may_not_appoint_a_titular(amd_user, ministry):
    with pytest.raises(PermissionDenied):
        services.mandate_create(
            actor=amd_user, ministry=ministry, data=_titular_data(), person=PersonFactory()
        )


def test_ministry_admin_may_not_turn_a_correspondent_into_a_titular(amd_user, ministry):
    mandate = MandateFactory(ministry=ministry, role="CORRESPONDANT_DIRECTION")
    with pytest.raises(PermissionDenied):
        services.mandate_update(actor=amd_user, mandate=mandate, data={"role": "AMD_TITULAIRE"})
    mandate.refresh_from_db()
    assert mandate.role == "CORRESPONDANT_DIRECTION"


def test_admin_of_another_ministry_gets_404_from_the_service(amd_user, other_ministry):
    with pytest.raises(Http404):
        services.mandate_create(
            actor=amd_user,
            ministry=other_ministry,
            data={"role": "CORRESPONDANT_DIRECTION", "appointment_date": D(2024, 1, 1)},
            person=PersonFactory(),
        )


def test_correspondent_may_not_record_mandates(correspondent_user, ministry):
    with pytest.raises(PermissionDenied):
        services.mandate_create(
            actor=correspondent_user,
            ministry=ministry,
            data={"role": "CORRESPONDANT_DIRECTION", "appointment_date": D(2024, 1, 1)},
            person=PersonFactory(),
        )


# --- organisations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("siret", "message"),
    [
        ("1234567890123", "exactement 14 chiffres"),
        ("1300252650001A", "exactement 14 chiffres"),
        (VALID_SIRET[:-1] + str((int(VALID_SIRET[-1]) + 1) % 10), "clé de contrôle incorrecte"),
    ],
)
def test_malformed_siret_is_refused_and_nothing_is_written(amd_user, ministry, siret, message):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        services.organization_create(
            actor=amd_user, ministry=ministry, data={"name": "Service test", "siret": siret}
        )
    assert message in " ".join(exc.value.message_dict["siret"])
    assert _counts() == before


def test_valid_siret_is_accepted_and_the_creation_audited(amd_user, ministry, organization):
    org = services.organization_create(
        actor=amd_user,
        ministry=ministry,
        data={"name": "Bureau des données", "siret": VALID_SIRET, "parent": organization},
    )
    assert org.ministry == ministry and org.parent == organization
    assert org.path.endswith(" / Bureau des données")
    entry = AuditEntry.objects.get(action="organization.created")
    assert entry.changes["siret"] == [None, VALID_SIRET]


def test_parent_in_another_ministry_is_refused(amd_user, ministry, other_organization):
    with pytest.raises(ValidationError, match="même ministère"):
        services.organization_create(
            actor=amd_user, ministry=ministry, data={"name": "X", "parent": other_organization}
        )
    assert not Organization.objects.filter(name="X").exists()


def test_organisation_cannot_become_its_own_descendant(amd_user, ministry, organization):
    child = OrganizationFactory(ministry=ministry, parent=organization)
    with pytest.raises(ValidationError, match="elle-même"):
        services.organization_update(
            actor=amd_user, organization=organization, data={"parent": child}
        )


def test_siren_must_match_the_siret(amd_user, ministry):
    with pytest.raises(ValidationError, match="9 premiers chiffres"):
        services.organization_create(
            actor=amd_user,
            ministry=ministry,
            data={"name": "Y", "siret": VALID_SIRET, "siren": _luhn_complete("12345678")},
        )


def test_correspondent_may_not_change_organisations(correspondent_user, organization):
    with pytest.raises(PermissionDenied):
        services.organization_update(
            actor=correspondent_user, organization=organization, data={"name": "Renommée"}
        )


def test_organisation_update_records_before_and_after(amd_user, organization):
    services.organization_update(
        actor=amd_user, organization=organization, data={"headcount_etp": 42}
    )
    entry = AuditEntry.objects.get(action="organization.updated")
    assert entry.changes == {"headcount_etp": [None, 42]}


# --- ministries -------------------------------------------------------------------------------


def test_ministry_admin_edits_contacts_and_the_change_is_audited(amd_user, ministry):
    services.ministry_update(
        actor=amd_user, ministry=ministry, data={"prada_email": "prada@interieur.gouv.fr"}
    )
    entry = AuditEntry.objects.get(action="ministry.updated")
    assert entry.changes == {"prada_email": ["", "prada@interieur.gouv.fr"]}
    assert entry.actor == amd_user and entry.ministry_id == ministry.pk


def test_ministry_admin_may_not_change_the_identity(amd_user, ministry):
    with pytest.raises(PermissionDenied, match="identité"):
        services.ministry_update(actor=amd_user, ministry=ministry, data={"code": "autre"})
    ministry.refresh_from_db()
    assert ministry.code == "interieur"


def test_admin_of_another_ministry_gets_404_on_its_contacts(amd_user, other_ministry):
    with pytest.raises(Http404):
        services.ministry_update(actor=amd_user, ministry=other_ministry, data={"dpo_name": "X"})


def test_ministry_creation_is_for_network_staff(amd_user, dinum_user):
    data = {"code": "numerique", "name": "Ministère du Numérique"}
    with pytest.raises(PermissionDenied):
        services.ministry_create(actor=amd_user, data=data)
    ministry = services.ministry_create(actor=dinum_user, data=data)
    assert AuditEntry.objects.filter(action="ministry.created", object_id=str(ministry.pk)).exists()


def test_duplicate_ministry_code_is_refused_in_french(dinum_user, ministry):
    with pytest.raises(ValidationError) as exc:
        services.ministry_create(actor=dinum_user, data={"code": "interieur", "name": "Doublon"})
    assert "existe déjà" in " ".join(exc.value.messages)
    assert Ministry.objects.filter(code="interieur").count() == 1


def test_ministry_end_before_start_is_refused(dinum_user, ministry):
    with pytest.raises(ValidationError, match="précède"):
        services.ministry_update(
            actor=dinum_user,
            ministry=ministry,
            data={"valid_from": D(2020, 1, 1), "valid_to": D(2019, 1, 1)},
        )


def test_javascript_link_is_refused(dinum_user, ministry):
    with pytest.raises(ValidationError, match="http"):
        services.ministry_update(
            actor=dinum_user, ministry=ministry, data={"prada_url": "javascript:alert(1)"}
        )


# --- people -----------------------------------------------------------------------------------


def test_ministry_admin_updates_consent_of_a_person_of_their_ministry(amd_user, ministry):
    mandate = MandateFactory(ministry=ministry)
    services.person_update(actor=amd_user, person=mandate.person, data={"consent_directory": True})
    mandate.person.refresh_from_db()
    assert mandate.person.consent_directory
    assert AuditEntry.objects.get(action="person.updated").changes == {
        "consent_directory": [False, True]
    }


def test_admin_may_not_edit_a_person_of_another_ministry(amd_user, other_ministry):
    mandate = MandateFactory(ministry=other_ministry)
    with pytest.raises(PermissionDenied):
        services.person_update(actor=amd_user, person=mandate.person, data={"last_name": "X"})


def test_admin_may_not_take_over_another_ministrys_person_by_naming_them_correspondent(
    amd_user, ministry, other_ministry
):
    titular = MandateFactory(ministry=other_ministry, person__phone="01 02 03 04 05")
    services.mandate_create(
        actor=amd_user,
        ministry=ministry,
        data={"role": "CORRESPONDANT_DIRECTION", "appointment_date": datetime.date(2024, 1, 1)},
        person_data={"email": titular.person.email},
    )
    with pytest.raises(PermissionDenied):
        services.person_update(
            actor=amd_user, person=titular.person, data={"consent_directory": True}
        )
    titular.person.refresh_from_db()
    assert not titular.person.consent_directory


# --- roles of accounts ------------------------------------------------------------------------


def test_dinum_staff_grants_and_revokes_a_correspondent_role(dinum_user, ministry, organization):
    user = UserFactory()
    membership = services.membership_grant(
        actor=dinum_user,
        user=user,
        role="CORRESPONDENT",
        ministry=ministry,
        organizations=[organization],
    )
    assert list(membership.organizations.all()) == [organization]
    services.membership_revoke(actor=dinum_user, membership=membership)
    assert not Membership.objects.filter(user=user).exists()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["membership.granted", "membership.revoked"]


def test_ministry_admin_may_not_grant_roles(amd_user, ministry):
    with pytest.raises(PermissionDenied):
        services.membership_grant(
            actor=amd_user, user=UserFactory(), role="VIEWER", ministry=ministry
        )


def test_only_the_chief_data_officer_grants_that_role(dinum_user, agd_user):
    with pytest.raises(PermissionDenied):
        services.membership_grant(actor=dinum_user, user=UserFactory(), role="CHIEF_DATA_OFFICER")
    services.membership_grant(actor=agd_user, user=UserFactory(), role="CHIEF_DATA_OFFICER")


def test_role_needing_a_ministry_is_refused_without_one(dinum_user):
    with pytest.raises(ValidationError, match="indiquez-le"):
        services.membership_grant(
            actor=dinum_user, user=UserFactory(), role="MINISTRY_ADMIN", admin_kind="TITULAIRE"
        )


def test_duplicate_role_is_refused(dinum_user, amd_user, ministry):
    with pytest.raises(ValidationError, match="déjà ce rôle"):
        services.membership_grant(
            actor=dinum_user,
            user=amd_user,
            role="MINISTRY_ADMIN",
            ministry=ministry,
            admin_kind="TITULAIRE",
        )


def test_staff_may_not_revoke_their_own_network_role(dinum_user):
    membership = Membership.objects.get(user=dinum_user)
    with pytest.raises(ValidationError, match="propre rôle"):
        services.membership_revoke(actor=dinum_user, membership=membership)


def test_correspondent_organisations_must_be_in_the_ministry(
    dinum_user, ministry, other_organization
):
    with pytest.raises(ValidationError, match="ministère choisi"):
        services.membership_grant(
            actor=dinum_user,
            user=UserFactory(),
            role="CORRESPONDENT",
            ministry=ministry,
            organizations=[other_organization],
        )
    assert not Membership.objects.filter(role="CORRESPONDENT").exists()


def test_membership_factory_roles_are_visible_to_the_access_layer(ministry):
    membership = MembershipFactory(ministry=ministry)
    from core.access import access_for

    assert access_for(membership.user).can_edit_ministry(ministry.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writes")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_titular_appointments_one_wins_the_other_gets_the_french_message(
    dinum_user, ministry
):
    """Two requests at the same time: one is recorded, the other is refused with the French
    message (whether the row lock on the ministry or the database index catches it), never a
    raw IntegrityError or a second titular. (Data migrations' rows are restored afterwards.)"""
    import threading

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def appoint(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.mandate_create(
                actor=dinum_user,
                ministry=ministry,
                data=_titular_data(),
                person_data={
                    "email": f"concurrent{n}@exemple.gouv.fr",
                    "first_name": "C",
                    "last_name": str(n),
                },
            )
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append("refused" if "déjà un administrateur" in str(exc) else repr(exc))
        except Exception as exc:  # noqa: BLE001 - any other outcome fails the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=appoint, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"]
    assert DataAdministrator.objects.filter(ministry=ministry, role="AMD_TITULAIRE").count() == 1
