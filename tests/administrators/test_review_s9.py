"""Review of the administrators app (session 9): people entered in the Django admin."""

import pytest

from administrators import selectors
from administrators.models import Person
from tests.factories import OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db


def _person_form(**extra):
    return {
        "first_name": "Claude",
        "last_name": "Martin",
        "email": "claude.martin@culture.gouv.fr",
        "phone": "",
        "job_title": "",
        "organization": "",
        "user": "",
        "is_active": "on",
        **extra,
    }


def test_person_created_in_the_admin_has_its_email_lowercased_and_stripped(staff_admin):
    response = staff_admin.post(
        "/admin/administrators/person/add/",
        _person_form(email="  Claude.Martin@Culture.GOUV.fr "),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Person.objects.get().email == "claude.martin@culture.gouv.fr"


@pytest.mark.parametrize(
    "stored", ["claude.martin@culture.gouv.fr", "Claude.Martin@Culture.gouv.fr"]
)
def test_admin_refuses_a_second_person_with_an_email_in_another_case(staff_admin, stored):
    PersonFactory(email=stored)

    response = staff_admin.post(
        "/admin/administrators/person/add/", _person_form(email="CLAUDE.Martin@culture.gouv.fr")
    )

    assert response.status_code == 200
    assert "Une autre personne est déjà enregistrée avec ce courriel" in (response.content.decode())
    assert Person.objects.filter(email__iexact=stored).count() == 1


def test_admin_refuses_to_give_a_person_the_email_of_another_in_another_case(staff_admin):
    PersonFactory(email="claude.martin@culture.gouv.fr")
    other = PersonFactory(email="dominique.petit@culture.gouv.fr")

    response = staff_admin.post(
        f"/admin/administrators/person/{other.pk}/change/",
        _person_form(
            first_name=other.first_name,
            last_name=other.last_name,
            email="Claude.Martin@culture.gouv.fr",
        ),
    )

    assert response.status_code == 200
    assert "Une autre personne est déjà enregistrée avec ce courriel" in (response.content.decode())
    other.refresh_from_db()
    assert other.email == "dominique.petit@culture.gouv.fr"


def test_person_changed_in_the_admin_keeps_its_own_email_in_another_case(staff_admin):
    person = PersonFactory(email="Claude.Martin@Culture.gouv.fr")  # an old row

    response = staff_admin.post(
        f"/admin/administrators/person/{person.pk}/change/",
        _person_form(
            first_name=person.first_name,
            last_name=person.last_name,
            email="CLAUDE.MARTIN@culture.gouv.fr",
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    person.refresh_from_db()
    assert person.email == "claude.martin@culture.gouv.fr"


def test_either_person_of_an_older_pair_differing_in_case_stays_editable(staff_admin):
    older = PersonFactory(email="Claude.Martin@culture.gouv.fr")
    PersonFactory(email="claude.martin@culture.gouv.fr")

    response = staff_admin.post(
        f"/admin/administrators/person/{older.pk}/change/",
        _person_form(last_name="Martin-Ancien", email=older.email),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    older.refresh_from_db()
    assert (older.last_name, older.email) == ("Martin-Ancien", "Claude.Martin@culture.gouv.fr")


# --- the ministry page's organisation search: a SIRET written in groups -----------------------


SIRET = "13002526500013"


@pytest.mark.parametrize(
    "typed",
    [
        SIRET,
        "130 025 265 00013",  # as on a letterhead
        "130\u00a0025\u00a0265\u00a000013",  # no-break spaces, as copied from a web page
        "130\u202f025\u202f265\u202f00013",  # narrow no-break spaces (French typography)
        " 130 025 265 ",  # the start of it
    ],
)
def test_ministry_organizations_finds_a_siret_typed_with_spaces(ministry, typed):
    wanted = OrganizationFactory(ministry=ministry, siret=SIRET, name="Direction du numérique")
    OrganizationFactory(ministry=ministry, siret="11000201100044", name="Autre direction")

    assert list(selectors.ministry_organizations(ministry, search=typed)) == [wanted]


def test_ministry_organizations_does_not_find_another_ministrys_siret(ministry, other_ministry):
    OrganizationFactory(ministry=other_ministry, siret=SIRET)

    assert not selectors.ministry_organizations(ministry, search="130 025 265 00013").exists()


def test_ministry_organizations_still_finds_a_name_with_spaces(ministry):
    wanted = OrganizationFactory(ministry=ministry, siret=SIRET, name="Direction du numérique")

    assert list(selectors.ministry_organizations(ministry, search="du numé")) == [wanted]


def test_ministry_page_lists_the_organisation_of_a_siret_typed_with_no_break_spaces(
    amd_client, ministry
):
    OrganizationFactory(ministry=ministry, siret=SIRET, name="Direction du numérique")
    OrganizationFactory(ministry=ministry, siret="11000201100044", name="Autre direction")

    response = amd_client.get(
        f"/ministeres/{ministry.code}/", {"q": "130\u00a0025\u00a0265\u00a000013"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Direction du numérique" in page
    assert "Autre direction" not in page


# --- Older rows whose addresses differ only in case ------------------------------------------


def _grant_form(ministry, email):
    from administrators.forms import MembershipGrantForm

    return MembershipGrantForm(
        {"email": email, "role": "VIEWER", "admin_kind": "", "valid_until": ""}, ministry=ministry
    )


def test_a_role_goes_to_the_account_stored_with_the_address_as_typed_in_lower_case(ministry):
    from core.models import User

    older = User.objects.create_user(email="x@example.org")
    User.objects.filter(pk=older.pk).update(email="Claude.Martin@culture.gouv.fr")
    exact = User.objects.create_user(email="claude.martin@culture.gouv.fr")
    form = _grant_form(ministry, "CLAUDE.Martin@culture.gouv.fr")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == exact


def test_a_role_is_refused_when_two_older_accounts_differ_only_in_case(ministry):
    from core.models import User

    for stored in ("Claude.Martin@culture.gouv.fr", "claude.MARTIN@culture.gouv.fr"):
        user = User.objects.create_user(email=f"tmp{len(stored)}{stored[0]}@example.org")
        User.objects.filter(pk=user.pk).update(email=stored)
    form = _grant_form(ministry, "claude.martin@culture.gouv.fr")
    assert not form.is_valid()
    assert "Plusieurs comptes ont ce courriel à la casse près" in form.errors["email"][0]


def test_a_mandate_reuses_the_person_stored_with_the_address_in_lower_case(ministry, dinum_user):
    from administrators.services import _person_for_mandate

    PersonFactory(email="Claude.Martin@culture.gouv.fr")  # older row, another case
    exact = PersonFactory(email="claude.martin@culture.gouv.fr")
    found = _person_for_mandate(dinum_user, {"email": " Claude.MARTIN@culture.gouv.fr"})
    assert found == exact
    assert Person.objects.count() == 2
