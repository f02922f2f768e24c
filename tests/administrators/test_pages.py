"""Pages of the network: permission matrix, bad inputs through the forms, audit, directory."""

import datetime

import pytest
from django.test import Client

from administrators.models import DataAdministrator, Ministry, Organization
from core.models import AuditEntry
from tests.factories import MandateFactory, OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db

CLIENTS = [
    "anon_client",
    "plain_client",
    "amd_client",
    "correspondent_client",
    "viewer_client",
    "trainer_client",
    "agd_client",
    "dinum_client",
]


@pytest.fixture
def records(ministry, organization):
    titular = MandateFactory(ministry=ministry)
    correspondent = MandateFactory(ministry=ministry, role="CORRESPONDANT_DIRECTION")
    return {"titular": titular, "correspondent": correspondent, "org": organization}


def _url(template, ministry, records):
    return template.format(
        code=ministry.code,
        org=records["org"].pk,
        titular=records["titular"].pk,
        corr=records["correspondent"].pk,
    )


# Expected GET status per role, for the caller's own ministry (`ministry`). 302 = to the login
# page (anonymous) or, for "mon ministère", to the one ministry of the caller.
# Columns: anon, plain, amd, correspondent, viewer (network), trainer, agd, dinum.
MATRIX = [
    ("/", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/annuaire/", [200, 200, 200, 200, 200, 200, 200, 200]),
    ("/ministeres/", [302, 200, 200, 200, 200, 200, 200, 200]),
    ("/mon-ministere/", [302, 200, 302, 302, 200, 200, 200, 200]),
    ("/ministeres/nouveau/", [302, 403, 403, 403, 403, 403, 200, 200]),
    ("/ministeres/{code}/", [302, 404, 200, 200, 200, 404, 200, 200]),
    ("/ministeres/{code}/modifier/", [302, 404, 200, 403, 403, 404, 200, 200]),
    ("/ministeres/{code}/roles/", [302, 404, 403, 403, 403, 404, 200, 200]),
    ("/ministeres/{code}/organisations/{org}/", [302, 404, 200, 200, 200, 404, 200, 200]),
    ("/ministeres/{code}/organisations/nouvelle/", [302, 404, 200, 403, 403, 404, 200, 200]),
    (
        "/ministeres/{code}/organisations/{org}/modifier/",
        [302, 404, 200, 403, 403, 404, 200, 200],
    ),
    ("/ministeres/{code}/mandats/{titular}/", [302, 404, 200, 200, 200, 404, 200, 200]),
    ("/ministeres/{code}/mandats/nouveau/", [302, 404, 200, 403, 403, 404, 200, 200]),
    ("/ministeres/{code}/mandats/{titular}/modifier/", [302, 404, 403, 403, 403, 404, 200, 200]),
    ("/ministeres/{code}/mandats/{corr}/modifier/", [302, 404, 200, 403, 403, 404, 200, 200]),
    ("/ministeres/{code}/mandats/{corr}/personne/", [302, 404, 200, 403, 403, 404, 200, 200]),
    ("/reseau/roles/", [302, 403, 403, 403, 403, 403, 200, 200]),
]


@pytest.mark.parametrize(("template", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
def test_page_permission_matrix_own_ministry(request, records, ministry, template, expected):
    """One test per page, every role in it (the roles' fixtures are built once per page)."""
    url = _url(template, ministry, records)
    got = {}
    for name in CLIENTS:
        response = request.getfixturevalue(name).get(url)
        got[name] = response.status_code
        if response.status_code == 302 and name == "anon_client":
            assert response["Location"].startswith("/accounts/login/")
    assert got == dict(zip(CLIENTS, expected, strict=True))


OTHER_MINISTRY_PAGES = [t for t, _ in MATRIX if "{code}" in t]


@pytest.mark.parametrize("template", OTHER_MINISTRY_PAGES)
@pytest.mark.parametrize("client_name", ["amd_client", "correspondent_client"])
def test_another_ministrys_pages_answer_404(request, other_ministry, template, client_name):
    client = request.getfixturevalue(client_name)
    other = {
        "org": OrganizationFactory(ministry=other_ministry),
        "titular": MandateFactory(ministry=other_ministry),
        "correspondent": MandateFactory(ministry=other_ministry, role="CORRESPONDANT_DIRECTION"),
    }
    assert client.get(_url(template, other_ministry, other)).status_code == 404


def test_record_of_another_ministry_under_my_ministry_url_answers_404(
    amd_client, ministry, other_ministry
):
    foreign = OrganizationFactory(ministry=other_ministry)
    foreign_mandate = MandateFactory(ministry=other_ministry)
    assert (
        amd_client.get(f"/ministeres/{ministry.code}/organisations/{foreign.pk}/").status_code
        == 404
    )
    assert (
        amd_client.get(f"/ministeres/{ministry.code}/mandats/{foreign_mandate.pk}/").status_code
        == 404
    )


def test_ministry_viewer_sees_only_their_ministry(ministry, other_ministry, ministry_viewer_user):
    client = Client()
    client.force_login(ministry_viewer_user)
    assert client.get(f"/ministeres/{ministry.code}/").status_code == 200
    assert client.get(f"/ministeres/{other_ministry.code}/").status_code == 404
    assert client.get(f"/ministeres/{ministry.code}/modifier/").status_code == 403


def test_my_ministry_redirects_an_administrator_to_their_ministry(amd_client, ministry):
    response = amd_client.get("/mon-ministere/")
    assert response["Location"] == f"/ministeres/{ministry.code}/"


def test_ministry_list_links_only_the_visible_ministries(amd_client, ministry, other_ministry):
    page = amd_client.get("/ministeres/").content.decode()
    assert f'href="/ministeres/{ministry.code}/"' in page
    assert f'href="/ministeres/{other_ministry.code}/"' not in page
    assert other_ministry.name in page  # listed, not linked


# --- writes through the forms -----------------------------------------------------------------


def test_ministry_id_in_the_body_is_ignored(amd_client, ministry, other_ministry):
    response = amd_client.post(
        f"/ministeres/{ministry.code}/organisations/nouvelle/",
        {"name": "Mission données", "kind": "ADMIN_CENTRALE", "ministry": other_ministry.pk},
    )
    assert response.status_code == 302
    org = Organization.objects.get(name="Mission données")
    assert org.ministry == ministry


def test_parent_from_another_ministry_in_the_body_is_refused(
    amd_client, ministry, other_organization
):
    response = amd_client.post(
        f"/ministeres/{ministry.code}/organisations/nouvelle/",
        {"name": "Intrus", "kind": "AUTRE", "parent": other_organization.pk},
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Organization.objects.filter(name="Intrus").exists()


def test_malformed_siret_shows_a_french_error(amd_client, ministry):
    response = amd_client.post(
        f"/ministeres/{ministry.code}/organisations/nouvelle/",
        {"name": "Service SIRET", "kind": "AUTRE", "siret": "12345678901234"},
    )
    assert response.status_code == 200
    assert "clé de contrôle incorrecte" in response.content.decode()
    assert not Organization.objects.filter(name="Service SIRET").exists()


def test_second_titular_through_the_form_is_refused(dinum_client, ministry, records):
    before = DataAdministrator.objects.count()
    response = dinum_client.post(
        f"/ministeres/{ministry.code}/mandats/nouveau/",
        {
            "role": "AMD_TITULAIRE",
            "appointment_date": "2025-01-01",
            "email": "second@exemple.gouv.fr",
            "first_name": "Second",
            "last_name": "Titulaire",
        },
    )
    assert response.status_code == 200
    assert "déjà un administrateur ministériel des données titulaire" in response.content.decode()
    assert DataAdministrator.objects.count() == before


def test_amd_records_a_correspondent_through_the_form(amd_client, ministry, organization):
    response = amd_client.post(
        f"/ministeres/{ministry.code}/mandats/nouveau/",
        {
            "role": "CORRESPONDANT_DIRECTION",
            "appointment_date": "2025-01-01",
            "perimeter_organizations": [organization.pk],
            "email": "corr@exemple.gouv.fr",
            "first_name": "Lou",
            "last_name": "Correspondant",
        },
    )
    assert response.status_code == 302
    mandate = DataAdministrator.objects.get(person__email="corr@exemple.gouv.fr")
    assert mandate.ministry == ministry


def test_amd_cannot_post_a_titular_through_the_form(amd_client, ministry):
    response = amd_client.post(
        f"/ministeres/{ministry.code}/mandats/nouveau/",
        {
            "role": "AMD_TITULAIRE",
            "appointment_date": "2025-01-01",
            "email": "x@exemple.gouv.fr",
            "first_name": "X",
            "last_name": "Y",
        },
    )
    assert response.status_code == 200  # the choice is not offered: form error
    assert not DataAdministrator.objects.filter(role="AMD_TITULAIRE").exists()


def test_end_date_before_start_through_the_form_is_refused(dinum_client, ministry, records):
    mandate = records["titular"]
    response = dinum_client.post(
        f"/ministeres/{ministry.code}/mandats/{mandate.pk}/clore/",
        {"end_date": "2020-01-01"},
        follow=True,
    )
    assert "précède la date de nomination" in response.content.decode()
    mandate.refresh_from_db()
    assert mandate.end_date is None


def test_forged_csrf_token_is_refused(amd_user, ministry):
    client = Client(enforce_csrf_checks=True)
    client.force_login(amd_user)
    response = client.post(
        f"/ministeres/{ministry.code}/modifier/",
        {"prada_name": "Pirate", "csrfmiddlewaretoken": "forged"},
    )
    assert response.status_code == 403
    ministry.refresh_from_db()
    assert ministry.prada_name == ""


def test_amd_edits_contacts_and_the_change_shows_on_the_ministry_page(amd_client, ministry):
    response = amd_client.post(
        f"/ministeres/{ministry.code}/modifier/",
        {"prada_name": "Camille PRADA", "prada_email": "prada@interieur.gouv.fr"},
    )
    assert response.status_code == 302
    page = amd_client.get(f"/ministeres/{ministry.code}/").content.decode()
    assert "Historique des modifications" in page
    assert "Modification du ministère" in page
    assert "PRADA — courriel" in page and "prada@interieur.gouv.fr" in page
    entry = AuditEntry.objects.get(action="ministry.updated")
    assert entry.changes["prada_name"] == ["", "Camille PRADA"]


def test_amd_cannot_change_the_ministry_code_through_the_form(amd_client, ministry):
    amd_client.post(f"/ministeres/{ministry.code}/modifier/", {"code": "pirate", "prada_name": "A"})
    ministry.refresh_from_db()
    assert ministry.code == "interieur"  # not a field of their form


def test_organisation_and_mandate_pages_show_their_history(dinum_client, ministry, records):
    org = records["org"]
    dinum_client.post(
        f"/ministeres/{ministry.code}/organisations/{org.pk}/modifier/",
        {"name": org.name, "kind": "EPA", "headcount_etp": "120"},
    )
    page = dinum_client.get(f"/ministeres/{ministry.code}/organisations/{org.pk}/").content.decode()
    assert "Modification de l&#x27;organisation" in page and "120" in page
    mandate = records["titular"]
    dinum_client.post(
        f"/ministeres/{ministry.code}/mandats/{mandate.pk}/clore/", {"end_date": "2025-12-31"}
    )
    page = dinum_client.get(f"/ministeres/{ministry.code}/mandats/{mandate.pk}/").content.decode()
    assert "Clôture du mandat" in page and "2025-12-31" in page


def test_dinum_grants_a_role_from_the_ministry_roles_page(dinum_client, ministry, plain_user):
    response = dinum_client.post(
        f"/ministeres/{ministry.code}/roles/",
        {"email": plain_user.email, "role": "VIEWER"},
    )
    assert response.status_code == 302
    assert plain_user.memberships.filter(role="VIEWER", ministry=ministry).exists()


def test_unknown_account_email_is_refused_on_the_roles_page(dinum_client, ministry):
    response = dinum_client.post(
        f"/ministeres/{ministry.code}/roles/",
        {"email": "inconnu@exemple.gouv.fr", "role": "VIEWER"},
    )
    assert "Aucun compte n&#x27;existe avec ce courriel" in response.content.decode()


# --- public directory ---------------------------------------------------------------------------


def test_public_directory_shows_only_consenting_people_and_no_contact(anon_client, ministry):
    yes = PersonFactory(last_name="Publiée", consent_directory=True, phone="0102030405")
    no = PersonFactory(last_name="Discrète", consent_directory=False)
    MandateFactory(ministry=ministry, person=yes)
    MandateFactory(ministry=ministry, person=no, role="AMD_ADJOINT")
    page = anon_client.get("/annuaire/").content.decode()
    assert "Publiée" in page
    assert "Discrète" not in page
    assert yes.email not in page and "0102030405" not in page


def test_public_directory_leaves_out_ended_mandates(anon_client, ministry):
    gone = PersonFactory(last_name="Partie", consent_directory=True)
    MandateFactory(
        ministry=ministry,
        person=gone,
        appointment_date=datetime.date(2019, 1, 1),
        end_date=datetime.date(2020, 1, 1),
    )
    assert "Partie" not in anon_client.get("/annuaire/").content.decode()


def test_public_directory_filters_by_ministry(anon_client, ministry, other_ministry):
    MandateFactory(ministry=ministry, person=PersonFactory(last_name="Ici", consent_directory=True))
    MandateFactory(
        ministry=other_ministry, person=PersonFactory(last_name="Ailleurs", consent_directory=True)
    )
    page = anon_client.get(f"/annuaire/?ministere={ministry.code}").content.decode()
    assert "Ici" in page and "Ailleurs" not in page


def test_home_hides_the_name_of_a_person_who_did_not_consent(anon_client, ministry, other_ministry):
    MandateFactory(ministry=ministry, person=PersonFactory(last_name="Secret"))
    MandateFactory(
        ministry=other_ministry, person=PersonFactory(last_name="Affiché", consent_directory=True)
    )
    page = anon_client.get("/").content.decode()
    assert "Secret" not in page and "Affiché" in page
    assert "2 / 2" in page


def test_home_counts_a_titular_appointed_in_the_future_as_not_yet_current(client, ministry):
    MandateFactory(
        ministry=ministry, appointment_date=datetime.date.today() + datetime.timedelta(days=30)
    )
    assert "0 / 1" in client.get("/").content.decode()


def test_closed_ministry_is_not_counted(client, ministry, other_ministry):
    Ministry.objects.filter(pk=other_ministry.pk).update(valid_to=datetime.date(2020, 1, 1))
    MandateFactory(ministry=ministry)
    assert "1 / 1" in client.get("/").content.decode()


# POST on the forms: same rights as GET; a refused POST writes nothing.
# Columns: anon, plain, amd, correspondent, viewer (network), trainer, agd, dinum.
POST_MATRIX = [
    ("/ministeres/{code}/modifier/", {"prada_name": "Nouveau nom"}, [302, 404, 302, 403, 403, 404]),
    (
        "/ministeres/{code}/organisations/nouvelle/",
        {"name": "Nouveau service", "kind": "AUTRE"},
        [302, 404, 302, 403, 403, 404],
    ),
]


@pytest.mark.parametrize(("template", "payload", "expected"), POST_MATRIX)
def test_post_permission_matrix(request, ministry, template, payload, expected):
    got, writers = {}, []
    for name in CLIENTS[:6]:
        before = AuditEntry.objects.count()
        got[name] = (
            request.getfixturevalue(name)
            .post(template.format(code=ministry.code), payload)
            .status_code
        )
        if AuditEntry.objects.count() > before:
            writers.append(name)
    assert got == dict(zip(CLIENTS[:6], expected, strict=True))
    assert writers == ["amd_client"]


def test_my_ministry_offers_a_choice_when_there_are_several(amd_user, ministry, other_ministry):
    from tests.factories import MembershipFactory

    MembershipFactory(user=amd_user, role="CORRESPONDENT", ministry=other_ministry)
    client = Client()
    client.force_login(amd_user)
    page = client.get("/mon-ministere/").content.decode()
    assert f'href="/ministeres/{ministry.code}/"' in page
    assert f'href="/ministeres/{other_ministry.code}/"' in page


# --- Django admin, scoped by role -------------------------------------------------------------


def test_admin_shows_a_ministry_administrator_only_their_organisations(
    amd_user, organization, other_organization
):
    amd_user.is_staff = True
    amd_user.save()
    client = Client()
    client.force_login(amd_user)
    page = client.get("/admin/administrators/organization/").content.decode()
    assert organization.name in page and other_organization.name not in page
    foreign = client.get(f"/admin/administrators/organization/{other_organization.pk}/change/")
    assert foreign.status_code in (302, 404)  # the admin's "does not exist" answer
    assert client.get("/admin/administrators/dataadministrator/").status_code == 403
    assert client.get("/admin/administrators/ministry/").status_code == 403


def test_admin_refuses_a_ministry_administrator_a_parent_from_another_ministry(
    amd_user, ministry, organization, other_organization
):
    amd_user.is_staff = True
    amd_user.save()
    client = Client()
    client.force_login(amd_user)
    response = client.post(
        f"/admin/administrators/organization/{organization.pk}/change/",
        {"name": organization.name, "kind": "ADMIN_CENTRALE", "parent": other_organization.pk},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "doit relever du même ministère" in response.content.decode()
    organization.refresh_from_db()
    assert organization.parent_id is None


def test_admin_change_by_network_staff_is_audited(dinum_user, ministry):
    dinum_user.is_staff = True
    dinum_user.save()
    client = Client()
    client.force_login(dinum_user)
    response = client.post(
        f"/admin/administrators/ministry/{ministry.pk}/change/",
        {
            "code": ministry.code,
            "name": ministry.name,
            "short_name": ministry.short_name,
            "in_ogp_scope": "on",
            "dpo_name": "DPO via l'admin",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="ministry.updated")
    assert entry.changes["dpo_name"] == ["", "DPO via l'admin"] and entry.actor == dinum_user


def test_roles_page_shows_who_granted_and_revoked_what(dinum_client, ministry, plain_user):
    dinum_client.post(
        f"/ministeres/{ministry.code}/roles/", {"email": plain_user.email, "role": "VIEWER"}
    )
    membership = plain_user.memberships.get()
    dinum_client.post(f"/reseau/roles/{membership.pk}/retirer/")
    page = dinum_client.get(f"/ministeres/{ministry.code}/roles/").content.decode()
    assert "Attribution d&#x27;un rôle" in page and "Retrait d&#x27;un rôle" in page
    assert f"{plain_user} — Lecteur" in page
