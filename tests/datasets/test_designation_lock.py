"""A reference-data designation (DOMAIN §4.4) is locked like an entry: a save states the version
it read, and a stale one is refused in French without writing anything.

There is no designation endpoint in the REST API: the page is its only write path.
"""

import html

import pytest
from django.db.models import F

from core.models import AuditEntry
from datasets import services
from datasets import validation as v
from datasets.models import ReferenceDataDesignation
from tests.datasets.factories import AssetFactory
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

CANDIDATE = {"regime": "CANDIDATE", "status": "PROPOSED", "change_notice_days": 90}


@pytest.fixture
def asset(organization):
    return AssetFactory(organization=organization)


def _url(asset):
    return f"/inventaire/{asset.pk}/donnee-de-reference/"


def _designate(actor, asset, expected_version=None, **over):
    return services.reference_designate(
        actor=actor, asset=asset, data={**CANDIDATE, **over}, expected_version=expected_version
    )


def _reference_audits(asset):
    return AuditEntry.objects.filter(
        object_id=str(asset.pk), action__in=["reference.created", "reference.updated"]
    ).count()


def test_page_carries_the_version_it_shows(amd_client, amd_user, asset):
    assert 'name="version" value="0"' in amd_client.get(_url(asset)).content.decode()
    _designate(amd_user, asset)
    assert 'name="version" value="1"' in amd_client.get(_url(asset)).content.decode()


def test_fresh_saves_create_then_change_and_bump_the_version(amd_client, asset):
    response = amd_client.post(_url(asset), {**CANDIDATE, "version": 0})
    assert response.status_code == 302
    designation = ReferenceDataDesignation.objects.get(asset=asset)
    assert designation.version == 1
    response = amd_client.post(_url(asset), {**CANDIDATE, "decree_ref": "D-1", "version": 1})
    assert response.status_code == 302
    designation.refresh_from_db()
    assert (designation.version, designation.decree_ref) == (2, "D-1")
    entry = AuditEntry.objects.filter(action="reference.updated").get()
    assert entry.changes == {"reference": {"decree_ref": ["", "D-1"]}}


def test_stale_form_is_refused_in_french_and_writes_nothing(amd_client, amd_user, agd_user, asset):
    _designate(amd_user, asset)
    # DINUM saves after the administrator opened the page (version 1).
    _designate(agd_user, asset, status="UNDER_AGD_REVIEW")
    audits = _reference_audits(asset)
    response = amd_client.post(
        _url(asset), {**CANDIDATE, "criterion_frequent_reuse": "on", "version": 1}
    )
    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    assert "Modification concurrente" in body
    assert f"La désignation de cette entrée a été modifiée par {agd_user}" in body
    assert "vos modifications n'ont pas été enregistrées" in body
    designation = ReferenceDataDesignation.objects.get(asset=asset)
    assert (designation.version, designation.status, designation.criterion_frequent_reuse) == (
        2,
        "UNDER_AGD_REVIEW",
        False,
    )
    assert _reference_audits(asset) == audits


def test_form_that_saw_no_designation_cannot_overwrite_one_created_since(
    amd_client, agd_user, asset
):
    assert 'name="version" value="0"' in amd_client.get(_url(asset)).content.decode()
    _designate(agd_user, asset, decree_ref="Premier")
    for posted in ({**CANDIDATE, "version": 0}, CANDIDATE):  # without a version: read as none
        response = amd_client.post(_url(asset), {**posted, "decree_ref": "Second"})
        assert response.status_code == 409
    designation = ReferenceDataDesignation.objects.get(asset=asset)
    assert (designation.version, designation.decree_ref) == (1, "Premier")


def test_save_racing_another_is_refused_by_the_conditional_update(
    amd_user, agd_user, asset, monkeypatch
):
    _designate(amd_user, asset)
    real = v.check_url

    def saved_meanwhile(errors, name, value):
        # Someone else's save lands after this call read version 1.
        ReferenceDataDesignation.objects.filter(asset=asset).update(
            decree_ref="Autre", version=F("version") + 1
        )
        return real(errors, name, value)

    monkeypatch.setattr(v, "check_url", saved_meanwhile)
    with pytest.raises(services.ConcurrentEditError, match="modifiée"):
        _designate(amd_user, asset, decree_ref="Moi", expected_version=1)
    assert not AuditEntry.objects.filter(action="reference.updated").exists()


def test_designations_created_at_the_same_moment_refuse_the_second(
    amd_user, agd_user, asset, monkeypatch
):
    real = v.check_url

    def created_meanwhile(errors, name, value):
        ReferenceDataDesignation.objects.create(
            asset=asset, ministry_id=asset.ministry_id, regime="CANDIDATE", decree_ref="Autre"
        )
        return real(errors, name, value)

    monkeypatch.setattr(v, "check_url", created_meanwhile)
    with pytest.raises(services.ConcurrentEditError):
        _designate(amd_user, asset, decree_ref="Moi", expected_version=0)
    assert not AuditEntry.objects.filter(action="reference.created").exists()


def test_unchanged_save_writes_nothing_and_keeps_the_version(amd_user, asset):
    _designate(amd_user, asset)
    designation = _designate(amd_user, asset, expected_version=1)
    assert designation.version == 1
    assert not AuditEntry.objects.filter(action="reference.updated").exists()


def test_invalid_save_with_the_right_version_still_gets_its_own_message(amd_client, asset):
    response = amd_client.post(_url(asset), {**CANDIDATE, "change_notice_days": 30, "version": 0})
    assert response.status_code == 200
    assert "au moins 90 jours" in html.unescape(response.content.decode())
    assert not ReferenceDataDesignation.objects.filter(asset=asset).exists()


@pytest.mark.parametrize(
    ("client_name", "which", "expected"),
    [
        ("anon_client", "own", 302),
        ("plain_client", "own", 404),
        ("viewer_client", "other", 403),
        ("correspondent_client", "sibling", 403),
        ("amd_client", "other", 404),
        ("amd_client", "own", 302),
        ("agd_client", "other", 302),
    ],
)
def test_a_current_version_does_not_widen_who_may_save(
    request, client_name, which, expected, amd_user, organization, other_organization, ministry
):
    target = {
        "own": AssetFactory(organization=organization),
        "sibling": AssetFactory(organization=OrganizationFactory(ministry=ministry)),
        "other": AssetFactory(organization=other_organization, visibility="PUBLISHED"),
    }[which]
    response = request.getfixturevalue(client_name).post(_url(target), {**CANDIDATE, "version": 0})
    assert response.status_code == expected
    written = ReferenceDataDesignation.objects.filter(asset=target).exists()
    assert written is (expected == 302 and client_name != "anon_client")
