"""« Proposer de revenir à cette version »: a correspondent no longer reverts a qualification, they
propose the earlier one (proposals.proposal_submit_revert, views_proposals.proposal_revert)."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from core.models import AuditEntry, LegalGround
from datasets import proposals, services
from datasets.models import AssessmentHistory, OpenByDefaultAssessment, QualificationProposal
from datasets.validation import GroundInput, QualificationInput
from tests.datasets.factories import AssetFactory
from tests.datasets.proposal_helpers import (
    correspondent_of,
    propose,
    to_publish,
    version_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(amd_user, asset):
    """Two qualifications by the administrator: (the earlier history row, the current one)."""
    ground = LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE")
    services.asset_qualify(
        actor=amd_user,
        asset=asset,
        qualification=QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(
                    ground=ground, justification_internal="Adresses", public_motive="Vie privée"
                )
            ],
        ),
    )
    earlier = AssessmentHistory.objects.get(asset=asset)
    services.asset_qualify(actor=amd_user, asset=asset, qualification=to_publish())
    current = AssessmentHistory.objects.filter(asset=asset).latest("recorded_at", "id")
    return earlier, current


def _url(asset, row) -> str:
    return f"/inventaire/{asset.pk}/qualification/versions/{row.pk}/proposer/"


def _post(client, asset, row, **data):
    data.setdefault("version", version_of(asset))
    data.setdefault("pending", 0)
    return client.post(_url(asset, row), data)


def _messages(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


def _written() -> tuple[int, int, int]:
    return (
        QualificationProposal.objects.count(),
        AuditEntry.objects.count(),
        AssessmentHistory.objects.count(),
    )


# --- Permission matrix ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_name", "status", "proposed"),
    [
        ("anon_client", 302, False),  # to the login page
        ("other_amd_client", 404, False),
        ("ministry_viewer_client", 403, False),
        ("sibling_correspondent_client", 403, False),
        ("correspondent_client", 302, True),
        ("amd_client", 302, False),  # qualifies directly: told so, nothing proposed
        ("dinum_client", 302, False),
    ],
)
def test_propose_revert_matrix(request, client_name, status, proposed, asset, versions):
    earlier, _ = versions
    before = version_of(asset)
    response = _post(request.getfixturevalue(client_name), asset, earlier)
    assert response.status_code == status
    if client_name == "anon_client":
        assert "/accounts/login/" in response.url
    assert QualificationProposal.objects.exists() is proposed
    assert version_of(asset) == before  # a proposal never changes the qualification
    if client_name in ("amd_client", "dinum_client"):
        assert "Vous pouvez qualifier cette entrée directement" in _messages(response)


def test_correspondent_can_no_longer_revert_the_qualification(
    correspondent_client, asset, versions
):
    earlier, _ = versions
    before = version_of(asset)
    response = correspondent_client.post(
        f"/inventaire/{asset.pk}/qualification/versions/{earlier.pk}/revenir/"
    )
    assert response.status_code == 403
    assert version_of(asset) == before
    assert not QualificationProposal.objects.exists()


def test_get_is_not_allowed(correspondent_client, asset, versions):
    assert correspondent_client.get(_url(asset, versions[0])).status_code == 405


# --- The entry page ---------------------------------------------------------------------------


def test_correspondent_sees_propose_instead_of_revert(correspondent_client, asset, versions):
    earlier, current = versions
    body = correspondent_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert "Proposer de revenir à cette version" in body
    assert _url(asset, earlier) in body
    assert _url(asset, current) not in body  # the current version: nothing to propose
    assert f"/qualification/versions/{earlier.pk}/revenir/" not in body
    assert f'name="version" value="{version_of(asset)}"' in body


def test_administrator_still_reverts_directly(amd_client, asset, versions):
    earlier, _ = versions
    body = amd_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert f"/qualification/versions/{earlier.pk}/revenir/" in body
    assert "Proposer de revenir" not in body


@pytest.mark.parametrize("client_name", ["ministry_viewer_client", "sibling_correspondent_client"])
def test_readers_see_neither_button(request, client_name, asset, versions):
    body = request.getfixturevalue(client_name).get(f"/inventaire/{asset.pk}/").content.decode()
    assert "Proposer de revenir" not in body
    assert "Revenir à cette version" not in body


def test_page_offers_to_supersede_the_pending_proposal_it_shows(
    correspondent_user, correspondent_client, asset, versions
):
    other = correspondent_of(asset.organization)
    pending = propose(other, asset, to_publish(datetime.date(2033, 1, 1)))
    body = correspondent_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert f'name="pending" value="{pending.pk}"' in body


# --- What is proposed -------------------------------------------------------------------------


def test_the_proposal_is_the_earlier_qualification(
    correspondent_user, correspondent_client, amd_user, asset, versions
):
    earlier, _ = versions
    response = _post(correspondent_client, asset, earlier)
    assert response.status_code == 302
    assert "Votre proposition de revenir à cette version a été enregistrée" in _messages(response)
    proposal = QualificationProposal.objects.get()
    assert proposal.status == QualificationProposal.Status.PENDING
    assert proposal.proposed_by == correspondent_user
    assert proposal.based_on_version == version_of(asset)
    assert proposal.state["status"] == "NOT_COMMUNICABLE"
    # the justification the correspondent never saw is kept, as a revert would
    assert proposal.state["grounds"][0]["justification_internal"] == "Adresses"
    when = timezone.localtime(earlier.recorded_at)
    assert proposal.comment == f"Retour à la version du {when:%d/%m/%Y à %H:%M}"
    assert AuditEntry.objects.filter(action="assessment.proposed").count() == 1
    assert OpenByDefaultAssessment.objects.get(asset=asset).status == "TO_PUBLISH"
    # accepted, it is the earlier qualification again
    proposals.proposal_accept(actor=amd_user, proposal=proposal)
    assessment = OpenByDefaultAssessment.objects.get(asset=asset)
    assert assessment.status == "NOT_COMMUNICABLE"
    assert [g.justification_internal for g in assessment.ground_links.all()] == ["Adresses"]


def test_the_revert_proposal_tells_the_admins_after_commit(
    correspondent_user, amd_user, asset, versions, django_capture_on_commit_callbacks
):
    earlier, _ = versions
    with django_capture_on_commit_callbacks(execute=True):
        proposals.proposal_submit_revert(
            actor=correspondent_user,
            asset=asset,
            history_id=earlier.pk,
            based_on_version=version_of(asset),
        )
    (message,) = mail.outbox
    assert message.to == [amd_user.email]
    assert "Commentaire : « Retour à la version du " in message.body


def test_own_pending_proposal_is_superseded(
    correspondent_user, correspondent_client, asset, versions
):
    earlier, _ = versions
    first = propose(correspondent_user, asset, to_publish(datetime.date(2031, 3, 1)))
    response = _post(correspondent_client, asset, earlier, pending=first.pk)
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == QualificationProposal.Status.SUPERSEDED
    assert QualificationProposal.objects.get(status="PENDING").state["status"] == (
        "NOT_COMMUNICABLE"
    )


# --- Bad input: a French message, nothing written ---------------------------------------------


def test_version_of_another_entry_is_refused(
    correspondent_client, amd_user, organization, versions
):
    asset = versions[0].asset
    sibling = AssetFactory(organization=organization, title="Autre entrée")
    services.asset_qualify(actor=amd_user, asset=sibling, qualification=to_publish())
    foreign = AssessmentHistory.objects.get(asset=sibling)
    written = _written()
    response = _post(correspondent_client, asset, foreign)
    assert response.status_code == 302
    assert "Cette version de la qualification n'existe pas pour cette entrée" in _messages(response)
    assert _written() == written


def test_unknown_version_is_refused(correspondent_client, asset, versions):
    written = _written()
    response = correspondent_client.post(
        f"/inventaire/{asset.pk}/qualification/versions/987654321/proposer/",
        {"version": version_of(asset), "pending": 0},
    )
    assert response.status_code == 302
    assert "n'existe pas pour cette entrée" in _messages(response)
    assert _written() == written


def test_an_entry_change_is_not_a_qualification_version(
    correspondent_client, amd_user, asset, versions
):
    services.asset_update(
        actor=amd_user, asset=asset, data={"title": "Registre renommé"}, expected_version=None
    )
    entry = AuditEntry.objects.filter(action="asset.updated").latest("id")
    assert not AssessmentHistory.objects.filter(pk=entry.pk, asset=asset).exists()
    written = _written()
    response = correspondent_client.post(
        f"/inventaire/{asset.pk}/qualification/versions/{entry.pk}/proposer/",
        {"version": version_of(asset), "pending": 0},
    )
    assert response.status_code == 302
    assert "Cette version de la qualification n'existe pas pour cette entrée" in _messages(response)
    assert _written() == written


def test_the_current_version_changes_nothing(correspondent_client, asset, versions):
    _, current = versions
    written = _written()
    response = _post(correspondent_client, asset, current)
    assert response.status_code == 302
    assert "est identique à la qualification actuelle : il n'y a rien à proposer" in _messages(
        response
    )
    assert _written() == written


def test_a_stale_page_is_refused(correspondent_client, amd_user, asset, versions):
    earlier, _ = versions
    read = version_of(asset)
    services.asset_qualify(
        actor=amd_user, asset=asset, qualification=to_publish(datetime.date(2032, 6, 1))
    )
    written = _written()
    response = _post(correspondent_client, asset, earlier, version=read)
    assert response.status_code == 302
    text = _messages(response)
    assert "La qualification de cette entrée a été modifiée par" in text
    assert "entre-temps" in text
    assert "votre saisie est conservée" not in text
    assert _written() == written


def test_a_pending_proposal_submitted_since_the_page_was_read_is_not_superseded(
    correspondent_client, asset, versions
):
    earlier, _ = versions
    other = propose(
        correspondent_of(asset.organization), asset, to_publish(datetime.date(2033, 1, 1))
    )
    written = _written()
    response = _post(correspondent_client, asset, earlier, pending=0)
    assert response.status_code == 302
    assert "est en attente de validation pour cette entrée" in _messages(response)
    assert _written() == written
    other.refresh_from_db()
    assert other.status == QualificationProposal.Status.PENDING


@pytest.mark.parametrize("version", ["", "abc", "-1"])
def test_a_missing_version_is_refused(correspondent_client, asset, versions, version):
    written = _written()
    response = correspondent_client.post(
        _url(asset, versions[0]), {"version": version, "pending": 0}
    )
    assert response.status_code == 302
    assert "La version de la qualification que vous avez lue manque" in _messages(response)
    assert _written() == written


def test_service_refuses_a_reader(ministry_viewer_user, asset, versions):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        proposals.proposal_submit_revert(
            actor=ministry_viewer_user,
            asset=asset,
            history_id=versions[0].pk,
            based_on_version=version_of(asset),
        )
    assert not QualificationProposal.objects.exists()
