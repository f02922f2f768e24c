"""Permission matrix of the account pages and the flat query count of the account page."""

import pytest
from django.utils.html import escape

from administrators.models import Membership
from core.models import ApiToken
from tests.conftest import make_token
from tests.factories import MembershipFactory, MinistryFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

SIGNED_IN = [
    "amd_client",
    "agd_client",
    "dinum_client",
    "correspondent_client",
    "trainer_client",
    "viewer_client",
    "plain_client",
]
# Network staff, ministry administrators, correspondents and trainers change things; viewers and
# accounts without a role only read, and so do their tokens.
MAY_WRITE = {"amd_client", "agd_client", "dinum_client", "correspondent_client", "trainer_client"}

PAGES = [
    "/accounts/",
    "/accounts/mot-de-passe/",
    "/accounts/logout/",
]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("client_fixture", ["anon_client", "api_client"])
def test_account_pages_send_anonymous_and_token_callers_to_login(request, client_fixture, url):
    """A token authenticates the REST API only; the HTML pages need a session."""
    client = request.getfixturevalue(client_fixture)
    response = client.get(url)
    if url == "/accounts/logout/":
        assert response.status_code == 302
        assert response["Location"] == "/"
    else:
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize("client_fixture", ["anon_client", "api_client"])
def test_token_creation_needs_a_session(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    before = ApiToken.objects.count()
    response = client.post("/accounts/jetons/", {"name": "Script", "validity": "30"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert ApiToken.objects.count() == before


@pytest.mark.parametrize("url", [*PAGES, "/accounts/login/", "/accounts/mot-de-passe/oublie/"])
@pytest.mark.parametrize("client_fixture", SIGNED_IN)
def test_account_pages_for_each_role(request, client_fixture, url):
    client = request.getfixturevalue(client_fixture)
    response = client.get(url)
    if url == "/accounts/login/":
        assert response.status_code == 302  # already signed in
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("client_fixture", SIGNED_IN)
def test_every_role_may_create_a_read_only_token(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    response = client.post("/accounts/jetons/", {"name": "Lecture", "validity": "30"})
    assert response.status_code == 200
    assert ApiToken.objects.filter(name="Lecture", can_write=False).count() == 1


@pytest.mark.parametrize("client_fixture", SIGNED_IN)
def test_write_tokens_follow_the_role(request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    response = client.post(
        "/accounts/jetons/", {"name": "Écriture", "validity": "30", "can_write": "on"}
    )
    created = ApiToken.objects.filter(name="Écriture", can_write=True).exists()
    if client_fixture in MAY_WRITE:
        assert response.status_code == 200
        assert created
    else:
        assert response.status_code == 400
        assert not created


@pytest.mark.parametrize("client_fixture", SIGNED_IN)
def test_nobody_revokes_someone_elses_token_from_the_account_page(
    request, client_fixture, ministry
):
    owner = MembershipFactory(ministry=ministry, role=Membership.Role.MINISTRY_ADMIN).user
    make_token(owner)
    token = ApiToken.objects.get(user=owner)
    client = request.getfixturevalue(client_fixture)
    assert client.post(f"/accounts/jetons/{token.pk}/revoquer/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_account_page_lists_roles_across_ministries_and_organisations(client, amd_user, ministry):
    culture = MinistryFactory(name="Ministère de la Culture")
    org = OrganizationFactory(ministry=culture, name="Direction générale des patrimoines")
    m = MembershipFactory(user=amd_user, ministry=culture, role=Membership.Role.CORRESPONDENT)
    m.organizations.add(org)
    client.force_login(amd_user)
    body = client.get("/accounts/").content.decode()
    assert "Administrateur ministériel des données" in body
    assert escape(ministry.name) in body
    assert "Correspondant" in body
    assert "Direction générale des patrimoines" in body


@pytest.mark.parametrize("tokens", [1, 10])
def test_account_page_query_count_is_flat(
    tokens, client, amd_user, ministry, django_assert_num_queries
):
    culture = MinistryFactory()
    for n in range(tokens):
        make_token(amd_user, can_write=bool(n % 2))
        m = MembershipFactory(
            user=amd_user,
            ministry=MinistryFactory() if n else culture,
            role=Membership.Role.CORRESPONDENT,
        )
        m.organizations.add(OrganizationFactory(ministry=m.ministry))
    client.force_login(amd_user)
    # session, user, roles (+ their organisations) for the scope, roles (+ organisations) for
    # the table, tokens.
    with django_assert_num_queries(7):
        response = client.get("/accounts/")
    assert response.status_code == 200
    assert response.content.decode().count("amd_") >= tokens
