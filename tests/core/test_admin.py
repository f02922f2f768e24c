"""The Django admin of core: DINUM staff manage accounts and tokens without being able to
raise their own rights, take over an account or forge a token; every change is audited."""

import pytest

from core.models import ApiToken, AuditEntry, User
from tests.conftest import make_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _user_form(user, **extra):
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        **extra,
    }


def test_dinum_staff_cannot_make_an_account_superuser_in_the_admin(staff_admin, dinum_user):
    staff_admin.post(
        f"/admin/core/user/{dinum_user.pk}/change/",
        _user_form(dinum_user, is_staff="on", is_superuser="on"),
    )
    dinum_user.refresh_from_db()
    assert not dinum_user.is_superuser


def test_dinum_staff_cannot_set_another_accounts_password_in_the_admin(staff_admin, agd_user):
    url = f"/admin/core/user/{agd_user.pk}/password/"
    response = staff_admin.post(
        url, {"password1": "Pr1se-de-contrôle!", "password2": "Pr1se-de-contrôle!"}
    )
    assert response.status_code == 403
    agd_user.refresh_from_db()
    assert not agd_user.check_password("Pr1se-de-contrôle!")


def test_dinum_staff_cannot_change_a_superuser_in_the_admin(staff_admin):
    boss = UserFactory(is_superuser=True, is_staff=True)
    staff_admin.post(
        f"/admin/core/user/{boss.pk}/change/", _user_form(boss, is_staff="on", email="x@y.fr")
    )
    boss.refresh_from_db()
    assert boss.email != "x@y.fr"


def test_account_change_in_the_admin_is_audited(staff_admin):
    agent = UserFactory(last_name="Avant")
    response = staff_admin.post(
        f"/admin/core/user/{agent.pk}/change/", _user_form(agent, last_name="Après")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = AuditEntry.objects.get(action="user.updated")
    assert entry.changes["last_name"] == ["Avant", "Après"]


def test_a_token_cannot_be_handed_to_another_account_or_granted_write_in_the_admin(
    staff_admin, dinum_user, agd_user
):
    make_token(dinum_user, can_write=False)
    token = ApiToken.objects.get(user=dinum_user)
    staff_admin.post(
        f"/admin/core/apitoken/{token.pk}/change/",
        {"name": token.name, "user": agd_user.pk, "can_write": "on"},
    )
    token.refresh_from_db()
    assert token.user_id == dinum_user.pk and not token.can_write
    assert staff_admin.get("/admin/core/apitoken/add/").status_code == 403


def test_a_leaked_token_is_revoked_from_the_admin_through_the_service(staff_admin, amd_user):
    make_token(amd_user, can_write=False)
    token = ApiToken.objects.get(user=amd_user)
    staff_admin.post(
        "/admin/core/apitoken/",
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="api_token.revoked").exists()
    assert User.objects.filter(pk=amd_user.pk).exists()


def test_reference_table_and_guide_changes_in_the_admin_are_audited(staff_admin):
    from core.models import LegalReference
    from tests.guides.factories import GuideFactory

    ref = LegalReference.objects.create(code="TEST_ADMIN", text_name="CRPA", article="L300-2")
    response = staff_admin.post(
        f"/admin/core/legalreference/{ref.pk}/change/",
        {"code": ref.code, "text_name": "CRPA", "article": "L300-2", "excerpt": "Nouveau"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    guide = GuideFactory(title="Avant")
    response = staff_admin.post(
        f"/admin/guides/guide/{guide.pk}/change/",
        {
            "slug": guide.slug,
            "title": "Après",
            "theme": guide.theme,
            "summary": "",
            "guideversion_set-TOTAL_FORMS": "0",
            "guideversion_set-INITIAL_FORMS": "0",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert (
        AuditEntry.objects.get(action="legalreference.updated").changes["excerpt"][1] == "Nouveau"
    )
    assert AuditEntry.objects.get(action="guide.updated").changes["title"] == ["Avant", "Après"]


def test_dinum_staff_cannot_grant_the_chief_data_officer_role_in_the_admin(staff_admin, dinum_user):
    from administrators.models import Membership

    staff_admin.post(
        "/admin/administrators/membership/add/",
        {"user": dinum_user.pk, "role": "CHIEF_DATA_OFFICER", "admin_kind": ""},
    )
    assert not Membership.objects.filter(role="CHIEF_DATA_OFFICER").exists()


def test_dinum_staff_cannot_change_the_chief_data_officers_account_in_the_admin(
    staff_admin, agd_user
):
    """Changing its e-mail and asking for a password reset would hand the account over."""
    staff_admin.post(
        f"/admin/core/user/{agd_user.pk}/change/", _user_form(agd_user, email="moi@dinum.gouv.fr")
    )
    agd_user.refresh_from_db()
    assert agd_user.email != "moi@dinum.gouv.fr"
