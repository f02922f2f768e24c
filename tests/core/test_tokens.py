"""API tokens: created and revoked through core.services (audited), hashed, read-only by default;
token authentication of the REST API (unknown, revoked, expired, malformed, read-only, throttled)."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import ApiToken, AuditEntry
from core.services import MAX_ACTIVE_TOKENS_PER_USER, token_create, token_revoke
from core.throttling import TokenRateThrottle
from tests.conftest import make_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API_URL = "/api/v1/ministries/"


def token_client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- services ---------------------------------------------------------------------------


def test_token_create_is_read_only_by_default_stored_hashed_and_audited(amd_user):
    token, key = token_create(actor=amd_user, name="Tableau de bord")
    assert not token.can_write
    assert key.startswith(f"amd_{token.key_id}_")
    secret = key.split("_", 2)[2]
    assert secret not in token.secret_hash
    assert token.matches(secret)
    entry = AuditEntry.objects.get(action="api_token.created", object_id=str(token.pk))
    assert entry.actor == amd_user
    assert entry.changes["can_write"] is False
    assert secret not in str(entry.changes)


def test_token_with_write_access_for_a_write_role(amd_user):
    token, _ = token_create(actor=amd_user, name="Synchronisation", can_write=True)
    assert token.can_write


@pytest.mark.parametrize("user_fixture", ["viewer_user", "ministry_viewer_user", "plain_user"])
def test_token_with_write_access_is_refused_without_a_write_role(request, user_fixture):
    user = request.getfixturevalue(user_fixture)
    with pytest.raises(ValidationError) as error:
        token_create(actor=user, name="Synchronisation", can_write=True)
    assert "Vos rôles ne permettent que la lecture" in str(error.value)
    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.filter(action="api_token.created").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Donnez un nom au jeton"),
        ("   ", "Donnez un nom au jeton"),
        ("x" * 101, "100 caractères"),
    ],
)
def test_token_create_refuses_a_bad_name(amd_user, name, message):
    with pytest.raises(ValidationError) as error:
        token_create(actor=amd_user, name=name)
    assert message in str(error.value)
    assert not ApiToken.objects.exists()


def test_token_create_refuses_a_duplicate_active_name_and_a_past_expiry(amd_user):
    token_create(actor=amd_user, name="Script")
    with pytest.raises(ValidationError) as error:
        token_create(
            actor=amd_user, name="script", expires_at=timezone.now() - datetime.timedelta(days=1)
        )
    assert "déjà un jeton actif portant ce nom" in str(error.value)
    assert "dans le futur" in str(error.value)
    assert ApiToken.objects.count() == 1


def test_token_create_stops_at_the_active_token_limit(amd_user):
    for n in range(MAX_ACTIVE_TOKENS_PER_USER):
        make_token(amd_user) if n else token_create(actor=amd_user, name="premier")
    with pytest.raises(ValidationError) as error:
        token_create(actor=amd_user, name="de trop")
    assert "révoquez ceux qui ne servent plus" in str(error.value)
    token_revoke(actor=amd_user, token=ApiToken.objects.filter(user=amd_user).first())
    token_create(actor=amd_user, name="de trop")


def test_token_revoke_by_owner_is_audited(amd_user):
    token, _ = token_create(actor=amd_user, name="Script")
    token_revoke(actor=amd_user, token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="api_token.revoked", object_id=str(token.pk)).exists()


def test_token_revoke_twice_is_refused(amd_user):
    token, _ = token_create(actor=amd_user, name="Script")
    token_revoke(actor=amd_user, token=token)
    with pytest.raises(ValidationError, match="déjà révoqué"):
        token_revoke(actor=amd_user, token=token)


def test_token_revoke_by_someone_else_is_refused(amd_user, viewer_user):
    token, _ = token_create(actor=amd_user, name="Script")
    with pytest.raises(PermissionDenied):
        token_revoke(actor=viewer_user, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_network_staff_may_revoke_a_leaked_token(amd_user, dinum_user):
    token, _ = token_create(actor=amd_user, name="Script")
    token_revoke(actor=dinum_user, token=token)
    assert AuditEntry.objects.get(action="api_token.revoked").actor == dinum_user


# --- account page ------------------------------------------------------------------------


def test_created_key_is_shown_once_and_works(amd_client, amd_user):
    response = amd_client.post("/accounts/jetons/", {"name": "Tableau de bord", "validity": "90"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = re.search(r'value="(amd_[0-9a-f]+_[^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=amd_user)
    assert token.name == "Tableau de bord"
    assert not token.can_write
    assert (token.expires_at - timezone.now()).days in (89, 90)
    assert key not in token.secret_hash
    assert token_client(key).get(API_URL).status_code == 200

    page = amd_client.get("/accounts/").content.decode()
    assert "Tableau de bord" in page
    assert key not in page
    assert f"amd_{token.key_id}_…" in page


def test_write_checkbox_is_disabled_for_read_only_roles_and_a_forged_post_is_refused(
    viewer_client, viewer_user
):
    page = viewer_client.get("/accounts/").content.decode()
    assert re.search(r'<input[^>]*name="can_write"[^>]*disabled', page)
    response = viewer_client.post(
        "/accounts/jetons/", {"name": "Script", "validity": "30", "can_write": "on"}
    )
    assert response.status_code == 400
    assert "Vos rôles ne permettent que la lecture" in response.content.decode()
    assert not ApiToken.objects.filter(user=viewer_user).exists()


def test_token_form_refuses_an_unknown_validity(amd_client, amd_user):
    response = amd_client.post("/accounts/jetons/", {"name": "Script", "validity": "9999"})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_from_the_account_page(amd_client, amd_user):
    key = make_token(amd_user)
    token = ApiToken.objects.get(user=amd_user)
    response = amd_client.post(f"/accounts/jetons/{token.pk}/revoquer/", follow=True)
    assert "est révoqué" in response.content.decode()
    assert token_client(key).get(API_URL).status_code == 401


def test_revoking_someone_elses_token_answers_404(amd_client, viewer_user):
    make_token(viewer_user)
    token = ApiToken.objects.get(user=viewer_user)
    assert amd_client.post(f"/accounts/jetons/{token.pk}/revoquer/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_post(amd_client, amd_user):
    make_token(amd_user)
    token = ApiToken.objects.get(user=amd_user)
    assert amd_client.get(f"/accounts/jetons/{token.pk}/revoquer/").status_code == 405


# --- token authentication ----------------------------------------------------------------


def test_valid_token_reads_and_records_its_use(amd_user):
    key = make_token(amd_user)
    assert token_client(key).get(API_URL).status_code == 200
    assert ApiToken.objects.get(user=amd_user).last_used_at is not None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Token amd_000000000000_inconnu", "Jeton inconnu."),
        ("Token n-importe-quoi", "Jeton invalide."),
        ("Token xyz_abc_def", "Jeton invalide."),
        ("Token", "En-tête d'authentification mal formé."),
        ("Token deux morceaux", "En-tête d'authentification mal formé."),
        ("Bearer amd_000000000000_inconnu", "Jeton inconnu."),
    ],
)
def test_bad_token_answers_401_in_french(db, header, message):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(API_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == message
    assert response["WWW-Authenticate"] == 'Token realm="api"'


def test_wrong_secret_of_an_existing_token_answers_401(amd_user):
    key = make_token(amd_user)
    forged = key.rsplit("_", 1)[0] + "_" + "A" * 43
    response = token_client(forged).get(API_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton inconnu."


def test_revoked_token_answers_401(amd_user):
    key = make_token(amd_user)
    ApiToken.objects.update(revoked_at=timezone.now())
    response = token_client(key).get(API_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "Ce jeton a été révoqué."


def test_expired_token_answers_401(amd_user):
    key = make_token(amd_user)
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = token_client(key).get(API_URL)
    assert response.status_code == 401
    assert response.json()["detail"] == "Ce jeton a expiré."


def test_token_of_a_deactivated_account_answers_401(amd_user):
    key = make_token(amd_user)
    amd_user.is_active = False
    amd_user.save()
    assert token_client(key).get(API_URL).status_code == 401


def test_read_only_token_cannot_write(dinum_user):
    response = token_client(make_token(dinum_user)).post(API_URL, {}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Ce jeton ne permet que la lecture."


def test_write_token_passes_the_token_check(dinum_user):
    response = token_client(make_token(dinum_user, can_write=True)).post(API_URL, {}, format="json")
    # Past authentication and the token scope: the (empty) body is what is refused.
    assert response.status_code == 400


def test_tokens_are_throttled_per_token_in_the_shared_cache(amd_user, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min", "anon": "60/min"})
    first, second = make_token(amd_user), make_token(amd_user)
    statuses = [token_client(first).get(API_URL).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = token_client(first).get(API_URL)
    assert throttled.status_code == 429
    assert throttled.json()["detail"].startswith("Requête ralentie")
    assert throttled.has_header("Retry-After")
    # The history lives in the shared cache (Redis in production), seen by every process.
    first_pk = ApiToken.objects.get(key_id=first.split("_")[1]).pk
    assert len(cache.get(f"throttle_token_{first_pk}")) == 3
    # Another token has its own budget.
    assert token_client(second).get(API_URL).status_code == 200


def test_session_user_is_not_token_throttled(amd_client, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "1/min", "anon": "60/min"})
    assert [amd_client.get(API_URL).status_code for _ in range(3)] == [200, 200, 200]


def test_make_token_helper_builds_a_user_token():
    user = UserFactory()
    key = make_token(user)
    assert ApiToken.objects.get(user=user).matches(key.split("_", 2)[2])


def _api_routes():
    """Every route of /api/v1/ (router lists, details and custom actions), params filled in."""
    import re

    from django.urls import get_resolver

    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    out = []

    def walk(patterns, prefix):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, prefix + str(p.pattern))
            else:
                route = prefix + str(p.pattern)
                if "\\.(?P<format>" in route:
                    continue
                route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route).lstrip("^").rstrip("$")
                route = re.sub(r"<[^>]+>", "1", route)
                out.append("/api/v1/" + route)

    walk(api.url_patterns, "")
    return sorted(set(out))


def test_read_only_token_of_network_staff_can_write_nowhere_in_the_api(dinum_user):
    from core.models import AuditEntry

    routes = _api_routes()
    assert len(routes) > 20
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(dinum_user, can_write=False)}")
    allowed = []
    for url in routes:
        for method in ("post", "put", "patch", "delete"):
            status = getattr(client, method)(url, {}, format="json").status_code
            if status not in (403, 405):
                allowed.append((method, url, status))
    assert allowed == []
    assert not AuditEntry.objects.exists()
