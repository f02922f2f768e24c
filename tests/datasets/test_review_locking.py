"""Review: every write path of the inventory checks the version its author read."""

import pytest

from datasets import services
from datasets.models import AssessmentHistory, DataAsset, OpenByDefaultAssessment
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/"


@pytest.fixture
def own_asset(organization):
    return AssetFactory(organization=organization, visibility="DRAFT")


def test_api_qualification_put_without_version_is_refused_in_french(amd_client, own_asset):
    response = amd_client.put(
        f"{URL}{own_asset.pk}/qualification/", {"status": "TO_PUBLISH"}, format="json"
    )
    assert response.status_code == 400
    assert "verrou optimiste" in response.json()["version"][0]
    assessment = OpenByDefaultAssessment.objects.get(asset=own_asset)
    assert (assessment.version, assessment.status) == (1, "TO_ASSESS")


def test_api_qualification_put_with_a_stale_version_answers_409(amd_client, own_asset):
    url = f"{URL}{own_asset.pk}/qualification/"
    first = amd_client.put(
        url, {"status": "TO_PUBLISH", "planned_date": "2027-01-15", "version": 1}, format="json"
    )
    assert first.status_code == 200, first.json()
    second = amd_client.put(url, {"status": "TO_ASSESS", "version": 1}, format="json")
    assert second.status_code == 409
    assert OpenByDefaultAssessment.objects.get(asset=own_asset).status == "TO_PUBLISH"


def test_delete_page_refuses_a_version_changed_since_it_was_shown(amd_client, amd_user, own_asset):
    page = amd_client.get(f"/inventaire/{own_asset.pk}/supprimer/").content.decode()
    assert 'name="version" value="1"' in page
    services.asset_update(
        actor=amd_user, asset=own_asset, data={"title": "Changé entre-temps"}, expected_version=1
    )
    response = amd_client.post(f"/inventaire/{own_asset.pk}/supprimer/", {"version": "1"})
    assert response.status_code == 409
    assert "modifiée" in response.content.decode()
    assert DataAsset.objects.get(pk=own_asset.pk).title == "Changé entre-temps"
    # Without any version the form is stale too; with the current one the entry goes.
    assert amd_client.post(f"/inventaire/{own_asset.pk}/supprimer/").status_code == 409
    response = amd_client.post(f"/inventaire/{own_asset.pk}/supprimer/", {"version": "2"})
    assert response.status_code == 302
    assert not DataAsset.objects.filter(pk=own_asset.pk).exists()


def test_bulk_status_never_overwrites_a_qualification_saved_meanwhile(
    amd_user, own_asset, monkeypatch
):
    from django.core.exceptions import ValidationError
    from django.db.models import F

    from datasets import validation

    real = validation.validate_qualification

    def qualified_meanwhile(q, ctx):
        # Someone saves the qualification after the bulk action read it.
        OpenByDefaultAssessment.objects.filter(asset=own_asset).update(
            status="TO_PUBLISH", planned_date="2027-03-01", version=F("version") + 1
        )
        return real(q, ctx)

    monkeypatch.setattr(validation, "validate_qualification", qualified_meanwhile)
    with pytest.raises(ValidationError, match="modifiée entre-temps"):
        services.assets_bulk_set_status(
            actor=amd_user,
            asset_ids=[own_asset.pk],
            status="TO_PUBLISH",
            planned_date="2027-06-01",
        )
    # (The simulated concurrent save shares the test's transaction, so it is rolled back too.)
    assert str(OpenByDefaultAssessment.objects.get(asset=own_asset).planned_date) != "2027-06-01"
    assert not AssessmentHistory.objects.filter(asset=own_asset).exists()


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_entry_revert_refuses_a_save_made_since_the_history_was_shown(
    amd_client, amd_user, own_asset
):
    from core.audit import history_for

    services.asset_update(
        actor=amd_user, asset=own_asset, data={"title": "Titre 2"}, expected_version=1
    )
    target = history_for(own_asset).first()
    services.asset_update(
        actor=amd_user, asset=own_asset, data={"title": "Titre 3"}, expected_version=2
    )
    url = f"/inventaire/{own_asset.pk}/versions/{target.pk}/revenir/"
    page = amd_client.get(f"/inventaire/{own_asset.pk}/").content.decode()
    assert f'action="{url}"' in page and 'name="version" value="3"' in page
    # Someone else saves while the page is open; the revert chosen on it must not erase that.
    services.asset_update(
        actor=amd_user, asset=own_asset, data={"title": "Titre 4"}, expected_version=3
    )
    response = amd_client.post(url, {"version": "3"}, follow=True)
    assert any("le retour à cette version n'a pas été fait" in m for m in _messages(response))
    own_asset.refresh_from_db()
    assert (own_asset.title, own_asset.version) == ("Titre 4", 4)
    # Without the version it read, the form is refused as well; with the current one it works.
    response = amd_client.post(url, follow=True)
    assert any("La version que vous avez lue manque" in m for m in _messages(response))
    assert DataAsset.objects.get(pk=own_asset.pk).title == "Titre 4"
    amd_client.post(url, {"version": "4"})
    assert DataAsset.objects.get(pk=own_asset.pk).title == "Titre 2"


def test_qualification_revert_refuses_a_qualification_saved_since_it_was_shown(
    amd_client, amd_user, own_asset
):
    import datetime

    from datasets.validation import QualificationInput

    def qualify(day, version):
        services.asset_qualify(
            actor=amd_user,
            asset=own_asset,
            qualification=QualificationInput(status="TO_PUBLISH", planned_date=day),
            expected_version=version,
        )

    qualify(datetime.date(2030, 1, 1), 1)
    first = AssessmentHistory.objects.filter(asset=own_asset).order_by("pk").last()
    qualify(datetime.date(2031, 1, 1), 2)
    page = amd_client.get(f"/inventaire/{own_asset.pk}/").content.decode()
    assert 'name="version" value="3"' in page
    qualify(datetime.date(2032, 1, 1), 3)  # saved meanwhile
    rows = AssessmentHistory.objects.filter(asset=own_asset).count()
    url = f"/inventaire/{own_asset.pk}/qualification/versions/{first.pk}/revenir/"
    response = amd_client.post(url, {"version": "3"}, follow=True)
    assert any("La qualification de cette entrée a été modifiée" in m for m in _messages(response))
    assessment = OpenByDefaultAssessment.objects.get(asset=own_asset)
    assert (assessment.planned_date, assessment.version) == (datetime.date(2032, 1, 1), 4)
    assert AssessmentHistory.objects.filter(asset=own_asset).count() == rows
    amd_client.post(url, {"version": "4"})
    assessment.refresh_from_db()
    assert assessment.planned_date == datetime.date(2030, 1, 1)
