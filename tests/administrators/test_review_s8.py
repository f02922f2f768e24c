"""Review of the network app (session 8): each test states a problem found by using the portal
as each role, and the behaviour now expected."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from administrators import services
from administrators.models import (
    DataAdministrator,
    Membership,
    Ministry,
    Organization,
    PoleMinisteriel,
)
from tests.administrators.test_review_session3 import _staff_client
from tests.factories import (
    MandateFactory,
    MembershipFactory,
    MinistryFactory,
    OrganizationFactory,
    PersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# --- ministries: successor cycles -----------------------------------------------------------


def test_a_successor_cycle_between_two_ministries_is_refused(agd_user, ministry, other_ministry):
    services.ministry_update(actor=agd_user, ministry=ministry, data={"successor": other_ministry})
    with pytest.raises(ValidationError) as exc:
        services.ministry_update(
            actor=agd_user, ministry=other_ministry, data={"successor": ministry}
        )
    assert "successor" in exc.value.message_dict
    assert "cycle" in exc.value.message_dict["successor"][0]
    other_ministry.refresh_from_db()
    assert other_ministry.successor_id is None


def test_a_longer_successor_cycle_is_refused_in_the_admin_too(ministry, other_ministry):
    third = MinistryFactory()
    Ministry.objects.filter(pk=ministry.pk).update(successor=other_ministry)
    Ministry.objects.filter(pk=other_ministry.pk).update(successor=third)
    third.successor = ministry
    with pytest.raises(ValidationError) as exc:
        third.full_clean()
    assert "successor" in exc.value.message_dict


# --- organisations: a cycle made from the admin ---------------------------------------------


def test_an_organisation_under_its_own_subdivision_is_refused_by_the_model(ministry):
    top = OrganizationFactory(ministry=ministry, name="Secrétariat général")
    child = OrganizationFactory(ministry=ministry, name="Service du numérique", parent=top)
    top.parent = child
    with pytest.raises(ValidationError) as exc:
        top.full_clean()
    assert "subdivisions" in exc.value.message_dict["parent"][0]


def test_an_organisation_moved_under_its_subdivision_in_the_admin_is_refused(amd_user, ministry):
    top = OrganizationFactory(ministry=ministry, name="Secrétariat général")
    child = OrganizationFactory(ministry=ministry, name="Service du numérique", parent=top)
    response = _staff_client(amd_user).post(
        f"/admin/administrators/organization/{top.pk}/change/",
        {"name": top.name, "kind": top.kind, "parent": child.pk},
    )
    assert response.status_code == 200
    assert "subdivisions" in response.content.decode()
    assert Organization.objects.get(pk=top.pk).parent_id is None


def test_an_organisation_moved_under_its_subdivision_by_the_service_is_refused(amd_user, ministry):
    top = OrganizationFactory(ministry=ministry, name="Secrétariat général")
    child = OrganizationFactory(ministry=ministry, name="Service du numérique", parent=top)
    with pytest.raises(ValidationError) as exc:
        services.organization_update(actor=amd_user, organization=top, data={"parent": child})
    assert "parent" in exc.value.message_dict
    assert Organization.objects.get(pk=top.pk).parent_id is None


# --- roles of accounts ----------------------------------------------------------------------


def test_a_network_role_cannot_be_held_twice(dinum_user):
    duplicate = Membership(user=dinum_user, role=Membership.Role.DINUM_STAFF)
    with pytest.raises(ValidationError):
        duplicate.full_clean()


def test_a_network_role_granted_twice_in_the_admin_is_refused(agd_user, dinum_user):
    client = _staff_client(agd_user)
    response = client.post(
        "/admin/administrators/membership/add/",
        {"user": dinum_user.pk, "role": "DINUM_STAFF", "ministry": "", "admin_kind": ""},
    )
    assert response.status_code == 200
    assert Membership.objects.filter(user=dinum_user, role="DINUM_STAFF").count() == 1


def test_a_network_role_granted_twice_by_the_service_is_refused_in_french(agd_user, dinum_user):
    with pytest.raises(ValidationError) as exc:
        services.membership_grant(actor=agd_user, user=dinum_user, role="DINUM_STAFF")
    assert exc.value.messages == ["Ce compte a déjà ce rôle dans ce périmètre."]
    assert Membership.objects.filter(user=dinum_user, role="DINUM_STAFF").count() == 1


def test_the_database_holds_a_network_role_once_even_when_two_grants_race(dinum_user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=dinum_user, role="DINUM_STAFF")


def test_the_last_chief_data_officer_cannot_be_revoked(agd_user):
    superuser = UserFactory(is_superuser=True)
    membership = Membership.objects.get(user=agd_user, role="CHIEF_DATA_OFFICER")
    with pytest.raises(ValidationError) as exc:
        services.membership_revoke(actor=superuser, membership=membership)
    assert "dernier" in exc.value.messages[0]
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_a_chief_data_officer_can_be_revoked_when_another_remains(agd_user):
    other = UserFactory()
    second = MembershipFactory(user=other, role="CHIEF_DATA_OFFICER", ministry=None)
    services.membership_revoke(actor=agd_user, membership=second)
    assert not Membership.objects.filter(pk=second.pk).exists()


def test_a_role_already_expired_is_not_granted(agd_user, ministry):
    user = UserFactory()
    with pytest.raises(ValidationError) as exc:
        services.membership_grant(
            actor=agd_user,
            user=user,
            role="VIEWER",
            ministry=ministry,
            valid_until=datetime.date(2020, 1, 1),
        )
    assert "valid_until" in exc.value.message_dict
    assert not Membership.objects.filter(user=user).exists()


def test_an_expired_chief_data_officer_does_not_count_as_the_one_remaining(agd_user):
    superuser = UserFactory(is_superuser=True)
    MembershipFactory(
        user=UserFactory(),
        role="CHIEF_DATA_OFFICER",
        ministry=None,
        valid_until=datetime.date(2020, 1, 1),
    )
    membership = Membership.objects.get(user=agd_user, role="CHIEF_DATA_OFFICER")
    with pytest.raises(ValidationError):
        services.membership_revoke(actor=superuser, membership=membership)


# --- mandates: the admin -------------------------------------------------------------------


def test_an_overlapping_titular_added_in_the_admin_gets_a_french_message(agd_user, ministry):
    MandateFactory(ministry=ministry, appointment_date=datetime.date(2021, 5, 15))
    person = PersonFactory()
    client = _staff_client(agd_user)
    response = client.post(
        "/admin/administrators/dataadministrator/add/",
        {
            "person": person.pk,
            "ministry": ministry.pk,
            "role": "AMD_TITULAIRE",
            "appointment_date": "2022-01-01",
            "end_date": "2022-12-31",
        },
    )
    assert response.status_code == 200
    assert "titulaire" in response.content.decode()
    assert DataAdministrator.objects.filter(ministry=ministry).count() == 1


# --- pages: a NUL character in a search ----------------------------------------------------


@pytest.mark.parametrize("params", [{"q": "a\x00b"}, {"ministere": "a\x00b"}])
def test_the_public_directory_reads_a_nul_character_without_failing(anon_client, params):
    response = anon_client.get("/annuaire/", params)
    assert response.status_code == 200


def test_a_ministry_page_reads_a_nul_character_in_its_search(amd_client, ministry):
    response = amd_client.get(f"/ministeres/{ministry.code}/", {"q": "a\x00b"})
    assert response.status_code == 200


def test_the_public_directory_still_finds_a_name_typed_around_a_control_character(
    anon_client, ministry
):
    MandateFactory(
        ministry=ministry, person=PersonFactory(last_name="Lovelace", consent_directory=True)
    )
    response = anon_client.get("/annuaire/", {"q": "Lovelace\x00"})
    assert response.status_code == 200
    assert "Lovelace" in response.content.decode()


# --- two people editing the same record --------------------------------------------------


def _loaded_at(response):
    return response.context["form"]["loaded_at"].value()


def test_a_ministry_saved_by_someone_else_since_the_form_was_opened_is_not_overwritten(
    amd_client, dinum_user, ministry
):
    url = f"/ministeres/{ministry.code}/modifier/"
    loaded_at = _loaded_at(amd_client.get(url))
    services.ministry_update(actor=dinum_user, ministry=ministry, data={"prada_name": "Mme A"})
    response = amd_client.post(url, {"prada_name": "M. B", "loaded_at": loaded_at})
    assert response.status_code == 200
    assert "modifié" in response.content.decode()
    ministry.refresh_from_db()
    assert ministry.prada_name == "Mme A"


def test_a_ministry_form_saves_when_nobody_changed_it(amd_client, ministry):
    url = f"/ministeres/{ministry.code}/modifier/"
    loaded_at = _loaded_at(amd_client.get(url))
    response = amd_client.post(url, {"prada_name": "M. B", "loaded_at": loaded_at})
    assert response.status_code == 302
    ministry.refresh_from_db()
    assert ministry.prada_name == "M. B"


def test_an_organisation_saved_by_someone_else_meanwhile_is_not_overwritten(
    amd_client, dinum_user, ministry, organization
):
    url = f"/ministeres/{ministry.code}/organisations/{organization.pk}/modifier/"
    loaded_at = _loaded_at(amd_client.get(url))
    services.organization_update(
        actor=dinum_user, organization=organization, data={"headcount_etp": 120}
    )
    response = amd_client.post(
        url,
        {"name": "Autre nom", "kind": organization.kind, "loaded_at": loaded_at},
    )
    assert response.status_code == 200
    assert "modifié" in response.content.decode()
    organization.refresh_from_db()
    assert (organization.name, organization.headcount_etp) == (
        "Direction des libertés publiques",
        120,
    )


def test_a_mandate_saved_by_someone_else_meanwhile_is_not_overwritten(
    agd_client, dinum_user, ministry
):
    mandate = MandateFactory(ministry=ministry)
    url = f"/ministeres/{ministry.code}/mandats/{mandate.pk}/modifier/"
    loaded_at = _loaded_at(agd_client.get(url))
    services.mandate_update(actor=dinum_user, mandate=mandate, data={"title_label": "AMDAC"})
    response = agd_client.post(
        url,
        {
            "role": "AMD_TITULAIRE",
            "appointment_date": "2021-05-15",
            "title_label": "Autre intitulé",
            "loaded_at": loaded_at,
        },
    )
    assert response.status_code == 200
    assert "modifié" in response.content.decode()
    mandate.refresh_from_db()
    assert mandate.title_label == "AMDAC"


def test_a_person_saved_by_someone_else_meanwhile_is_not_overwritten(
    agd_client, dinum_user, ministry
):
    mandate = MandateFactory(ministry=ministry)
    person = mandate.person
    url = f"/ministeres/{ministry.code}/mandats/{mandate.pk}/personne/"
    loaded_at = _loaded_at(agd_client.get(url))
    services.person_update(actor=dinum_user, person=person, data={"consent_directory": False})
    services.person_update(actor=dinum_user, person=person, data={"phone": "01 02 03 04 05"})
    response = agd_client.post(
        url,
        {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "consent_directory": "on",
            "loaded_at": loaded_at,
        },
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.phone == "01 02 03 04 05"
    assert person.consent_directory is False


def test_a_ministry_can_still_be_created_from_its_form(agd_client):
    response = agd_client.post(
        "/ministeres/nouveau/", {"code": "mer", "name": "Ministère de la Mer"}
    )
    assert response.status_code == 302, response.content.decode()
    assert Ministry.objects.filter(code="mer").exists()


def test_an_edit_form_carries_the_time_its_record_was_read(amd_client, ministry):
    page = amd_client.get(f"/ministeres/{ministry.code}/modifier/").content.decode()
    assert f'value="{ministry.updated_at.isoformat()}"' in page


# --- organisations: SIRET as people copy it ------------------------------------------------


def test_a_siret_written_with_spaces_is_stored_without_them(amd_client, ministry):
    response = amd_client.post(
        f"/ministeres/{ministry.code}/organisations/nouvelle/",
        {"name": "Direction du numérique", "kind": "ADMIN_CENTRALE", "siret": "130 025 265 00013"},
    )
    assert response.status_code == 302, response.content.decode()
    assert Organization.objects.get(name="Direction du numérique").siret == "13002526500013"


def test_a_siret_with_spaces_is_accepted_by_the_api(dinum_user, ministry):
    client = APIClient()
    client.force_authenticate(dinum_user)
    response = client.post(
        "/api/v1/organizations/",
        {
            "ministry": ministry.pk,
            "name": "Direction du numérique",
            "kind": "ADMIN_CENTRALE",
            "siret": "130 025 265 00013",
            "siren": "130 025 265",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["siret"] == "13002526500013"
    assert response.json()["siren"] == "130025265"


@pytest.mark.parametrize(
    ("siret", "message"),
    [
        ("130 025 265 00014", "clé de contrôle"),
        ("1300252650001", "14 chiffres"),
        ("130025265000134567", "14 chiffres"),
    ],
)
def test_a_wrong_siret_is_refused_in_french_and_nothing_is_written(
    amd_client, ministry, siret, message
):
    response = amd_client.post(
        f"/ministeres/{ministry.code}/organisations/nouvelle/",
        {"name": "Direction du numérique", "kind": "ADMIN_CENTRALE", "siret": siret},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Organization.objects.filter(name="Direction du numérique").exists()


def test_la_poste_establishments_follow_their_own_siret_rule(amd_user, ministry):
    org = services.organization_create(
        actor=amd_user,
        ministry=ministry,
        data={"name": "Bureau de poste", "siret": "356 000 000 00001"},
    )
    assert org.siret == "35600000000001"


# --- API filters: a bad value is a French 400, never a silently different answer --------------


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/ministries/?current=peut-etre", "current"),
        ("/api/v1/ministries/?in_ogp_scope=oui-non", "in_ogp_scope"),
        ("/api/v1/organizations/?root=abc", "root"),
        ("/api/v1/mandates/?current=abc", "current"),
        ("/api/v1/organizations/?ministry=1.5", "ministry"),
        ("/api/v1/organizations/?parent=2.5", "parent"),
        ("/api/v1/mandates/?ministry=1.5", "ministry"),
    ],
)
def test_an_api_filter_with_a_bad_value_answers_400_in_french(viewer_client, ministry, url, field):
    OrganizationFactory(ministry=ministry)
    response = viewer_client.get(url)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("current=true", 1), ("current=false", 1), ("current=1", 1), ("current=", 2)],
)
def test_a_boolean_api_filter_still_reads_true_false_and_empty(
    viewer_client, ministry, query, expected
):
    MandateFactory(ministry=ministry)
    MandateFactory(
        ministry=ministry,
        appointment_date=datetime.date(2015, 1, 1),
        end_date=datetime.date(2018, 1, 1),
    )
    response = viewer_client.get(f"/api/v1/mandates/?{query}")
    assert response.status_code == 200
    assert response.json()["count"] == expected


def test_a_whole_number_api_filter_still_finds_its_rows(viewer_client, ministry, other_ministry):
    OrganizationFactory(ministry=ministry)
    OrganizationFactory(ministry=other_ministry)
    response = viewer_client.get(f"/api/v1/organizations/?ministry={ministry.pk}")
    assert response.status_code == 200
    assert response.json()["count"] == 1


# --- public pages: the home page lists whom the directory lists --------------------------------


def test_the_home_page_does_not_name_a_person_the_directory_no_longer_lists(anon_client, ministry):
    person = PersonFactory(consent_directory=True, is_active=False, last_name="Partie")
    MandateFactory(ministry=ministry, person=person, appointment_date=datetime.date(2025, 2, 1))
    home = anon_client.get("/").content.decode()
    assert "Partie" not in home
    assert "non publié" in home
    assert "Partie" not in anon_client.get("/annuaire/").content.decode()


# --- API: a client can refuse to overwrite a record changed since it read it ----------------


def _api_targets(ministry):
    organization = OrganizationFactory(ministry=ministry)
    mandate = MandateFactory(ministry=ministry)
    return {
        "ministries": (ministry, {"prada_name": "M. B"}),
        "organizations": (organization, {"headcount_etp": 40}),
        "mandates": (mandate, {"title_label": "AMDAC"}),
    }


@pytest.mark.parametrize("endpoint", ["ministries", "organizations", "mandates"])
def test_an_api_update_over_a_change_made_since_it_was_read_is_refused_409(
    dinum_client, ministry, endpoint
):
    record, change = _api_targets(ministry)[endpoint]
    read = dinum_client.get(f"/api/v1/{endpoint}/{record.pk}/").json()["updated_at"]
    # Someone else saves the record meanwhile.
    type(record).objects.filter(pk=record.pk).update(updated_at=datetime.datetime.now(datetime.UTC))
    response = dinum_client.patch(
        f"/api/v1/{endpoint}/{record.pk}/", {**change, "expected_updated_at": read}, format="json"
    )
    assert response.status_code == 409, response.json()
    assert "modifiée" in response.json()["detail"]
    record.refresh_from_db()
    for name, value in change.items():
        assert getattr(record, name) != value


@pytest.mark.parametrize("endpoint", ["ministries", "organizations", "mandates"])
def test_an_api_update_with_the_time_it_read_saves_when_nothing_changed(
    dinum_client, ministry, endpoint
):
    record, change = _api_targets(ministry)[endpoint]
    read = dinum_client.get(f"/api/v1/{endpoint}/{record.pk}/").json()["updated_at"]
    response = dinum_client.patch(
        f"/api/v1/{endpoint}/{record.pk}/", {**change, "expected_updated_at": read}, format="json"
    )
    assert response.status_code == 200, response.json()
    record.refresh_from_db()
    for name, value in change.items():
        assert getattr(record, name) == value


# --- mandates: poles and reporting lines ---------------------------------------------------


def test_overlapping_titular_mandates_of_a_pole_are_refused_in_the_admin(agd_user):
    pole = PoleMinisteriel.objects.create(code="pole-social", name="Pôle social")
    MandateFactory(ministry=None, pole=pole, appointment_date=datetime.date(2021, 5, 15))
    response = _staff_client(agd_user).post(
        "/admin/administrators/dataadministrator/add/",
        {
            "person": PersonFactory().pk,
            "pole": pole.pk,
            "role": "AMD_TITULAIRE",
            "appointment_date": "2022-01-01",
            "end_date": "2022-12-31",
        },
    )
    assert response.status_code == 200
    assert "pôle" in response.content.decode()
    assert DataAdministrator.objects.filter(pole=pole).count() == 1


def test_a_reporting_line_that_loops_back_is_refused(dinum_user, ministry):
    titular = MandateFactory(ministry=ministry)
    deputy = MandateFactory(ministry=ministry, role="AMD_ADJOINT", reports_to=titular)
    with pytest.raises(ValidationError) as exc:
        services.mandate_update(actor=dinum_user, mandate=titular, data={"reports_to": deputy})
    assert "reports_to" in exc.value.message_dict
    titular.refresh_from_db()
    assert titular.reports_to_id is None


def test_the_last_chief_data_officer_role_cannot_be_changed_away_in_the_admin(agd_user):
    membership = Membership.objects.get(user=agd_user, role="CHIEF_DATA_OFFICER")
    response = _staff_client(agd_user).post(
        f"/admin/administrators/membership/{membership.pk}/change/",
        {"user": agd_user.pk, "role": "VIEWER", "ministry": "", "admin_kind": ""},
    )
    assert response.status_code == 200
    assert "dernier" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "CHIEF_DATA_OFFICER"


# --- roles: the admin's delete --------------------------------------------------------------


def _superuser_client():
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_the_admin_does_not_delete_the_last_chief_data_officer_role(agd_user):
    membership = Membership.objects.get(user=agd_user, role="CHIEF_DATA_OFFICER")
    client = _superuser_client()
    url = f"/admin/administrators/membership/{membership.pk}/delete/"
    page = client.get(url).content.decode()
    assert "dernier compte ayant le rôle d&#x27;administrateur général" in page
    client.post(url, {"post": "yes"})
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_the_admin_does_not_delete_a_selection_holding_every_chief_data_officer(agd_user):
    second = MembershipFactory(user=UserFactory(), role="CHIEF_DATA_OFFICER", ministry=None)
    first = Membership.objects.get(user=agd_user, role="CHIEF_DATA_OFFICER")
    client = _superuser_client()
    data = {"action": "delete_selected", "_selected_action": [first.pk, second.pk]}
    page = client.post("/admin/administrators/membership/", data).content.decode()
    assert "dernier compte" in page
    client.post("/admin/administrators/membership/", {**data, "post": "yes"})
    assert Membership.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    # One of the two may go: the other remains.
    client.post(f"/admin/administrators/membership/{second.pk}/delete/", {"post": "yes"})
    assert not Membership.objects.filter(pk=second.pk).exists()
    assert Membership.objects.filter(pk=first.pk).exists()


# --- migrations 0004-0005 over a database holding repeated network roles --------------------


@pytest.mark.django_db(transaction=True)
def test_the_migrations_keep_the_longest_lasting_of_repeated_network_roles():
    """On a database migrated before the constraint, an account holding a network role twice
    (an expired row, then a current one) keeps the current one, and the constraint is added in
    a migration of its own (PostgreSQL alters no table with deletions still to check)."""
    from django.core.management import call_command
    from django.db import connection

    user = UserFactory()
    call_command("migrate", "administrators", "0003", verbosity=0)
    try:
        with connection.cursor() as cursor:
            for valid_until in ("2025-01-01", None, "2024-06-30"):
                cursor.execute(
                    "INSERT INTO administrators_membership "
                    "(user_id, role, ministry_id, admin_kind, valid_until, created_at, updated_at) "
                    "VALUES (%s, 'CHIEF_DATA_OFFICER', NULL, '', %s, NOW(), NOW())",
                    [user.pk, valid_until],
                )
    finally:
        call_command("migrate", "administrators", verbosity=0)
    rows = list(Membership.objects.filter(user=user).values_list("role", "valid_until"))
    assert rows == [("CHIEF_DATA_OFFICER", None)]
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, role="CHIEF_DATA_OFFICER")


def test_an_expired_chief_data_officer_role_can_be_revoked_without_another_holder():
    """Removing an expired role loses no current holder: allowed even when nobody holds the
    role today (otherwise that account could be neither granted the role again nor rid of it)."""
    superuser = UserFactory(is_superuser=True)
    Membership.objects.filter(role="CHIEF_DATA_OFFICER").delete()
    expired = MembershipFactory(
        user=UserFactory(),
        role="CHIEF_DATA_OFFICER",
        ministry=None,
        valid_until=datetime.date.today() - datetime.timedelta(days=30),
    )
    services.membership_revoke(actor=superuser, membership=expired)
    assert not Membership.objects.filter(pk=expired.pk).exists()


def test_the_admin_does_not_delete_the_account_of_the_last_chief_data_officer(agd_user):
    client = _superuser_client()
    url = f"/admin/core/user/{agd_user.pk}/delete/"
    assert "dernier compte" in client.get(url).content.decode()
    client.post(url, {"post": "yes"})
    assert Membership.objects.filter(user=agd_user, role="CHIEF_DATA_OFFICER").exists()
