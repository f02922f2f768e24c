"""A qualification saved with only a comment keeps the comment (QA pass: it was dropped while
the page said « enregistrée »)."""

import pytest

from core.models import AuditEntry
from datasets.models import AssessmentHistory, OpenByDefaultAssessment

pytestmark = pytest.mark.django_db

FORM = {
    "status": "OUT_OF_SCOPE",
    "obligation_basis": "NONE",
    "personal_data_basis": "NOT_APPLICABLE",
    "rows": 3,
    "ground_0": "SCOPE_L311_2_INACHEVE",
    "justification_0": "Projet de schéma directeur",
}


@pytest.fixture
def qualified(amd_client, asset):
    url = f"/inventaire/{asset.pk}/qualification/"
    assert amd_client.post(url, {**FORM, "version": 1}).status_code == 302
    return OpenByDefaultAssessment.objects.get(asset=asset)


def test_a_comment_alone_is_added_to_the_history(amd_client, asset, qualified):
    url = f"/inventaire/{asset.pk}/qualification/"
    response = amd_client.post(
        url, {**FORM, "version": qualified.version, "comment": "Revu avec le DPD"}, follow=True
    )
    assert "votre commentaire a été ajouté à son historique" in response.content.decode()
    rows = list(AssessmentHistory.objects.filter(asset=asset).order_by("pk"))
    assert [r.comment for r in rows] == ["", "Revu avec le DPD"]
    assert rows[1].data == rows[0].data and rows[1].status == "OUT_OF_SCOPE"
    after = OpenByDefaultAssessment.objects.get(pk=qualified.pk)
    assert after.version == qualified.version  # the qualification itself is unchanged
    assert AuditEntry.objects.filter(action="assessment.commented").count() == 1
    detail = amd_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert "Revu avec le DPD" in detail and "Qualification : commentaire" in detail


def test_nothing_changed_and_no_comment_says_so(amd_client, asset, qualified):
    url = f"/inventaire/{asset.pk}/qualification/"
    response = amd_client.post(url, {**FORM, "version": qualified.version}, follow=True)
    assert "Aucune modification : la qualification est inchangée." in response.content.decode()
    assert AssessmentHistory.objects.filter(asset=asset).count() == 1


def test_a_comment_on_a_stale_form_is_refused_as_a_change_would_be(amd_client, asset, qualified):
    url = f"/inventaire/{asset.pk}/qualification/"
    response = amd_client.post(
        url, {**FORM, "version": qualified.version - 1, "comment": "Trop tard"}
    )
    assert response.status_code == 409
    assert not AssessmentHistory.objects.filter(comment="Trop tard").exists()


def test_the_first_ground_says_when_a_ground_is_required(amd_client, asset):
    """QA pass: « Motif n° 1 (Optionnel) » while « Non communicable » requires one."""
    body = amd_client.get(f"/inventaire/{asset.pk}/qualification/").content.decode()
    assert "Au moins un motif est obligatoire pour « Non communicable »" in body
    assert body.count("Au moins un motif est obligatoire") == 1
