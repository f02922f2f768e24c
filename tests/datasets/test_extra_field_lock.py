"""A ministry's extra-field definition is locked like an entry: editing, retiring or restoring it
states the version read, and a stale one is refused in French (page 409, API 409) with nothing
written."""

import html

import pytest
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEntry
from datasets import services
from datasets.models import ExtraFieldDefinition
from tests.conftest import make_token
from tests.datasets.factories import ExtraFieldFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/datasets/extra-fields/"


@pytest.fixture
def write_token_client(amd_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(amd_user, can_write=True)}")
    return client


@pytest.fixture
def field(ministry):
    return ExtraFieldFactory(ministry=ministry, label="Sensibilité")


def _edit_url(field):
    return f"/inventaire/champs/{field.pk}/modifier/"


def _retire_url(field):
    return f"/inventaire/champs/{field.pk}/retirer/"


def _form(**over):
    return {"label": "Sensibilité des données", "help_text": "", "order": 0, **over}


def _field_audits(field):
    return AuditEntry.objects.filter(
        object_id=str(field.pk), action__startswith="extra_field."
    ).count()


def _changed_meanwhile(actor, field, label="Niveau de sensibilité"):
    """Another editor's save, through the service, after the page was read."""
    other = ExtraFieldDefinition.objects.get(pk=field.pk)
    services.extra_field_update(
        actor=actor, definition=other, label=label, expected_version=other.version
    )


# --- Edit page --------------------------------------------------------------------------------


def test_fresh_edit_saves_and_bumps_the_version(amd_client, field):
    assert 'name="version" value="1"' in amd_client.get(_edit_url(field)).content.decode()
    response = amd_client.post(_edit_url(field), _form(version=1))
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.label, field.version) == ("Sensibilité des données", 2)
    entry = AuditEntry.objects.get(action="extra_field.updated")
    assert entry.changes == {"label": ["Sensibilité", "Sensibilité des données"]}


def test_stale_edit_is_refused_in_french_and_writes_nothing(amd_client, dinum_user, field):
    _changed_meanwhile(dinum_user, field)
    audits = _field_audits(field)
    for posted in (_form(version=1), _form()):  # a form without a version is stale too
        response = amd_client.post(_edit_url(field), posted)
        assert response.status_code == 409
        body = html.unescape(response.content.decode())
        assert "Modification concurrente" in body
        assert f"Ce champ a été modifié par {dinum_user}" in body
        assert "vos modifications n'ont pas été enregistrées" in body
        assert "Sensibilité des données" in body  # the input is kept
    field.refresh_from_db()
    assert (field.label, field.version) == ("Niveau de sensibilité", 2)
    assert _field_audits(field) == audits


# --- Retire / restore from the list --------------------------------------------------------------


def test_list_carries_each_version_and_a_fresh_retire_bumps_it(amd_client, ministry, field):
    page = amd_client.get(f"/inventaire/champs/ministere/{ministry.pk}/").content.decode()
    assert 'name="version" value="1"' in page
    assert amd_client.post(_retire_url(field), {"version": 1}).status_code == 302
    field.refresh_from_db()
    assert field.retired_at is not None and field.version == 2
    assert AuditEntry.objects.filter(action="extra_field.retired").count() == 1
    response = amd_client.post(_retire_url(field), {"version": 2, "restore": "1"})
    assert response.status_code == 302
    field.refresh_from_db()
    assert field.retired_at is None and field.version == 3


def test_stale_retire_is_refused_and_shows_the_current_list(amd_client, dinum_user, field):
    _changed_meanwhile(dinum_user, field)
    for posted in ({"version": 1}, {}):
        response = amd_client.post(_retire_url(field), posted)
        assert response.status_code == 409
        body = html.unescape(response.content.decode())
        assert f"Ce champ a été modifié par {dinum_user}" in body
        assert "ci-dessous" not in body.split("Ce champ a été modifié")[1].split("</p>")[0]
        # The list is read again: its version is current, so the editor can retry at once.
        assert 'name="version" value="2"' in body and "Niveau de sensibilité" in body
    field.refresh_from_db()
    assert (field.retired_at, field.version) == (None, 2)
    assert not AuditEntry.objects.filter(action="extra_field.retired").exists()


def test_stale_restore_is_refused(amd_client, amd_user, dinum_user, field):
    services.extra_field_retire(actor=amd_user, definition=field, expected_version=1)
    _changed_meanwhile(dinum_user, field)  # version 3
    response = amd_client.post(_retire_url(field), {"version": 2, "restore": "1"})
    assert response.status_code == 409
    field.refresh_from_db()
    assert field.retired_at is not None and field.version == 3


# --- API ----------------------------------------------------------------------------------------


def test_api_shows_the_version_and_requires_it_to_change(amd_client, field):
    listed = amd_client.get(API).json()
    assert listed[0]["version"] == 1
    response = amd_client.patch(f"{API}{field.pk}/", {"label": "Nouveau"}, format="json")
    assert response.status_code == 400
    assert response.json()["version"] == ["Indiquez la version lue du champ (verrou optimiste)."]
    field.refresh_from_db()
    assert (field.label, field.version) == ("Sensibilité", 1)


def test_api_fresh_patch_saves_and_bumps_the_version(amd_client, field):
    response = amd_client.patch(
        f"{API}{field.pk}/", {"label": "Nouveau", "version": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["label"], response.json()["version"]) == ("Nouveau", 2)
    field.refresh_from_db()
    assert (field.label, field.version) == ("Nouveau", 2)


def test_api_stale_patch_answers_409_in_french_and_writes_nothing(amd_client, dinum_user, field):
    _changed_meanwhile(dinum_user, field)
    audits = _field_audits(field)
    response = amd_client.patch(
        f"{API}{field.pk}/", {"label": "Nouveau", "version": 1}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith(f"Ce champ a été modifié par {dinum_user} le ")
    field.refresh_from_db()
    assert (field.label, field.version) == ("Niveau de sensibilité", 2)
    assert _field_audits(field) == audits


def test_api_restore_and_change_in_one_patch(amd_client, ministry):
    field = ExtraFieldFactory(ministry=ministry, retired_at=timezone.now())
    stale = amd_client.patch(
        f"{API}{field.pk}/", {"retired_at": None, "label": "Revenu", "version": 0}, format="json"
    )
    assert stale.status_code == 409
    field.refresh_from_db()
    assert field.retired_at is not None and field.version == 1
    response = amd_client.patch(
        f"{API}{field.pk}/", {"retired_at": None, "label": "Revenu", "version": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["is_active"] is True
    field.refresh_from_db()
    assert (field.retired_at, field.label, field.version) == (None, "Revenu", 3)


def test_api_delete_checks_a_version_when_given(amd_client, dinum_user, field):
    _changed_meanwhile(dinum_user, field)
    assert amd_client.delete(f"{API}{field.pk}/?version=1").status_code == 409
    field.refresh_from_db()
    assert field.retired_at is None
    assert amd_client.delete(f"{API}{field.pk}/?version=2").status_code == 204
    field.refresh_from_db()
    assert field.retired_at is not None and field.version == 3


# --- Service ------------------------------------------------------------------------------------


def test_update_racing_another_is_refused_by_the_conditional_update(
    amd_user, ministry, monkeypatch
):
    field = ExtraFieldFactory(ministry=ministry, kind="CHOICE", choices=["A", "B"])
    real = services._clean_choices

    def saved_meanwhile(kind, choices):
        # Someone else's save lands after this call checked version 1.
        ExtraFieldDefinition.objects.filter(pk=field.pk).update(version=F("version") + 1)
        return real(kind, choices)

    monkeypatch.setattr(services, "_clean_choices", saved_meanwhile)
    with pytest.raises(services.ConcurrentEditError, match="modifié"):
        services.extra_field_update(
            actor=amd_user, definition=field, choices=["A", "B", "C"], expected_version=1
        )
    assert not AuditEntry.objects.filter(action="extra_field.updated").exists()


def test_unchanged_save_writes_nothing_and_keeps_the_version(amd_user, field):
    services.extra_field_update(
        actor=amd_user, definition=field, label="Sensibilité", expected_version=1
    )
    field.refresh_from_db()
    assert field.version == 1
    assert not AuditEntry.objects.filter(action="extra_field.updated").exists()


# --- Permission scoping is unchanged ----------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "mine", "expected"),
    [
        ("anon_client", True, 302),
        ("plain_client", True, 404),
        ("correspondent_client", True, 403),
        ("viewer_client", False, 403),
        ("amd_client", False, 404),
        ("amd_client", True, 302),
        ("dinum_client", False, 302),
    ],
)
def test_a_current_version_does_not_widen_who_may_edit_or_retire(
    request, client_name, mine, expected, ministry, other_ministry
):
    field = ExtraFieldFactory(ministry=ministry if mine else other_ministry, label="Avant")
    client = request.getfixturevalue(client_name)
    assert client.post(_edit_url(field), _form(label="Après", version=1)).status_code == expected
    field.refresh_from_db()
    assert client.post(_retire_url(field), {"version": field.version}).status_code == expected
    field.refresh_from_db()
    allowed = expected == 302 and client_name != "anon_client"
    assert (field.label == "Après") is allowed
    assert (field.retired_at is not None) is allowed


@pytest.mark.parametrize(
    ("client_name", "mine", "expected"),
    [
        ("anon_client", True, 401),
        ("api_client", True, 403),
        ("correspondent_client", True, 403),
        ("viewer_client", False, 403),
        ("amd_client", False, 404),
        ("amd_client", True, 200),
        ("write_token_client", True, 200),
    ],
)
def test_api_current_version_does_not_widen_who_may_patch(
    request, client_name, mine, expected, ministry, other_ministry
):
    field = ExtraFieldFactory(ministry=ministry if mine else other_ministry, label="Avant")
    response = request.getfixturevalue(client_name).patch(
        f"{API}{field.pk}/", {"label": "Après", "version": 1}, format="json"
    )
    assert response.status_code == expected
    field.refresh_from_db()
    assert (field.label == "Après") is (expected == 200)
