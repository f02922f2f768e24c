"""Review of the guides (session 9): a draft overtaken by a newer published version."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEntry
from guides import selectors, services
from guides.models import GuideVersion
from tests.guides.factories import published_guide

pytestmark = pytest.mark.django_db

S = GuideVersion.Status


def _publish(actor, version):
    services.guide_version_transition(actor=actor, version=version, to_status=S.EN_RELECTURE)
    return services.guide_version_transition(actor=actor, version=version, to_status=S.PUBLIEE)


def _superseded(actor, *, status=S.BROUILLON):
    """1.0.0 in force; 1.1.0 drafted (or sent to review); then 1.2.0 drafted and published:
    1.1.0 can never be published (an older version than the one in force)."""
    guide = published_guide()
    old = services.guide_version_create(
        actor=actor, guide=guide, version="1.1.0", body="Brouillon abandonné.", changelog="A."
    )
    if status == S.EN_RELECTURE:
        services.guide_version_transition(actor=actor, version=old, to_status=S.EN_RELECTURE)
    newer = services.guide_version_create(
        actor=actor, guide=guide, version="1.2.0", body="Texte en vigueur.", changelog="B."
    )
    _publish(actor, newer)
    old.refresh_from_db()
    guide.refresh_from_db()
    return guide, old


@pytest.mark.parametrize("status", [S.BROUILLON, S.EN_RELECTURE])
def test_a_superseded_draft_is_archived_and_journalled(dinum_user, status):
    guide, old = _superseded(dinum_user, status=status)
    assert old.status == status

    services.guide_version_transition(actor=dinum_user, version=old, to_status=S.ARCHIVEE)

    old.refresh_from_db()
    guide.refresh_from_db()
    assert old.status == S.ARCHIVEE and old.published_at is None
    assert guide.published_version.version == "1.2.0"
    entry = AuditEntry.objects.get(action="guide.version_archivee", object_id=str(old.pk))
    assert entry.actor == dinum_user
    assert entry.changes["status"] == [status, S.ARCHIVEE]
    assert selectors.action_label(entry.action) == "Version archivée"


def test_a_draft_that_can_still_be_published_is_not_archived(dinum_user):
    """1.0.0 was published after 1.1.0 was drafted, but 1.1.0 is newer: it is the next one."""
    guide = published_guide(version="0.9.0")
    v100 = services.guide_version_create(
        actor=dinum_user, guide=guide, version="1.0.0", body="Texte.", changelog="A."
    )
    draft = services.guide_version_create(
        actor=dinum_user, guide=guide, version="1.1.0", body="Suite.", changelog="B."
    )
    _publish(dinum_user, v100)

    with pytest.raises(ValidationError, match="peut encore être publiée"):
        services.guide_version_transition(actor=dinum_user, version=draft, to_status=S.ARCHIVEE)
    draft.refresh_from_db()
    assert draft.status == S.BROUILLON
    assert not AuditEntry.objects.filter(action="guide.version_archivee").exists()


def test_a_draft_of_a_guide_never_published_is_not_archived(dinum_user):
    from tests.guides.factories import VersionFactory

    draft = VersionFactory()
    with pytest.raises(ValidationError, match="peut encore être publiée"):
        services.guide_version_transition(actor=dinum_user, version=draft, to_status=S.ARCHIVEE)


@pytest.mark.parametrize("to_status", [S.EN_RELECTURE, S.PUBLIEE])
def test_a_superseded_draft_can_only_be_archived(dinum_user, to_status):
    _, old = _superseded(
        dinum_user, status=S.BROUILLON if to_status == S.EN_RELECTURE else S.EN_RELECTURE
    )
    before = old.status

    with pytest.raises(ValidationError, match=r"plus récente \(1\.2\.0\).*archivée"):
        services.guide_version_transition(actor=dinum_user, version=old, to_status=to_status)
    old.refresh_from_db()
    assert old.status == before


def test_only_network_staff_archive_a_superseded_draft(dinum_user, amd_user):
    _, old = _superseded(dinum_user)

    with pytest.raises(PermissionDenied):
        services.guide_version_transition(actor=amd_user, version=old, to_status=S.ARCHIVEE)
    old.refresh_from_db()
    assert old.status == S.BROUILLON


def test_an_archived_draft_stays_hidden_from_the_public(dinum_user, anon_client, dinum_client):
    """Archived versions are public because they were once in force; a draft never was."""
    guide, old = _superseded(dinum_user)
    services.guide_version_transition(actor=dinum_user, version=old, to_status=S.ARCHIVEE)

    assert [v.version for v in selectors.version_queryset(None, guide)] == ["1.2.0", "1.0.0"]
    assert anon_client.get(f"/guides/{guide.slug}/versions/1.1.0/").status_code == 404
    assert anon_client.get(f"/guides/{guide.slug}/versions/1.0.0/").status_code == 200
    assert anon_client.get(f"/api/v1/guide-versions/{old.pk}/").status_code == 404
    public = anon_client.get(f"/api/v1/guides/{guide.slug}/versions/").json()
    assert [v["version"] for v in public] == ["1.2.0", "1.0.0"]
    history = anon_client.get(f"/guides/{guide.slug}/historique/").content.decode()
    assert "Version 1.1.0" not in history
    # The editors still read it.
    assert dinum_client.get(f"/guides/{guide.slug}/versions/1.1.0/").status_code == 200


def test_history_page_offers_to_archive_a_superseded_draft_and_does_it(dinum_user, dinum_client):
    guide, old = _superseded(dinum_user)
    url = f"/guides/{guide.slug}/historique/"

    history = dinum_client.get(url).content.decode()
    assert "Archiver la version 1.1.0" in history
    assert "Envoyer en relecture la version 1.1.0" not in history
    assert "Archiver la version 1.2.0" not in history  # the version in force

    response = dinum_client.post(
        f"/guides/{guide.slug}/versions/1.1.0/statut/", {"status": "ARCHIVEE"}, follow=True
    )
    assert "La version 1.1.0 est désormais « Archivée »" in response.content.decode()
    old.refresh_from_db()
    assert old.status == S.ARCHIVEE


def test_history_page_does_not_offer_to_archive_a_draft_still_to_publish(dinum_user, dinum_client):
    guide = published_guide()
    services.guide_version_create(
        actor=dinum_user, guide=guide, version="1.1.0", body="Suite.", changelog="B."
    )

    history = dinum_client.get(f"/guides/{guide.slug}/historique/").content.decode()
    assert "Envoyer en relecture la version 1.1.0" in history
    assert "Archiver la version" not in history


def test_api_archives_a_superseded_draft(dinum_user, dinum_client):
    _, old = _superseded(dinum_user)

    response = dinum_client.post(
        f"/api/v1/guide-versions/{old.pk}/transition/", {"status": "ARCHIVEE"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ARCHIVEE"
