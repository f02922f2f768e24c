"""Demo data: the 2016 inventory attached to the organisation tree, unmatched ones reported."""

from __future__ import annotations

import io

import pytest

from datasets.demo import load_demo
from datasets.models import AssetStateHistory, DataAsset, OpenByDefaultAssessment
from tests.factories import OrganizationFactory

DREES = "Direction de la recherche, des études, de l'évaluation et des statistiques"


@pytest.mark.django_db
def test_demo_attaches_matched_bases_and_reports_the_others(ministry):
    drees = OrganizationFactory(ministry=ministry, name=DREES)
    out = io.StringIO()
    load_demo(out)
    text = out.getvalue()
    entries = DataAsset.objects.filter(organization=drees)
    assert entries.exists()
    assert DataAsset.objects.exclude(organization=drees).count() == 0
    assert entries.filter(title="Répertoire Adeli").exists()
    assert "Gestionnaires non rapprochés" in text
    assert "Institut des Données de Santé (28 bases)" in text
    assert (
        OpenByDefaultAssessment.objects.filter(
            asset__in=entries, obligation_basis="L312_1_1_3_DATABASES"
        ).count()
        == entries.count()
    )


@pytest.mark.django_db
def test_demo_publishes_bases_with_a_datagouv_dataset_and_is_idempotent(ministry):
    OrganizationFactory(ministry=ministry, name="Office national des forêts")
    load_demo(io.StringIO())
    published = OpenByDefaultAssessment.objects.filter(status="PUBLISHED").select_related("asset")
    assert published.exists()
    for assessment in published:
        assert assessment.published_url.startswith("https://www.data.gouv.fr/fr/datasets/")
        assert assessment.asset.licence.spdx_id == "etalab-2.0"
        assert assessment.asset.visibility == "PUBLISHED"
    counts = (DataAsset.objects.count(), AssetStateHistory.objects.count())
    out = io.StringIO()
    load_demo(out)
    assert (DataAsset.objects.count(), AssetStateHistory.objects.count()) == counts
    assert "0 créées, 0 mises à jour" in out.getvalue()


@pytest.mark.django_db
def test_bases_a_ministry_keeps_itself_join_its_central_administration(ministry):
    """« Ministère des Affaires sociales… » as manager: the ministry's own organisation (made by
    the tree's loading), matched by its exact name, not guessed."""
    own = OrganizationFactory(ministry=ministry, name=ministry.name)
    out = io.StringIO()
    load_demo(out)
    if not DataAsset.objects.exists():
        pytest.skip("the shared 2016 inventory is absent")
    assert DataAsset.objects.filter(organization=own).exists()
    assert f"{ministry.name} (" not in out.getvalue().split("Gestionnaires non rapprochés")[-1]
