"""The qualification page says beforehand what a status needs that it does not hold itself
(browser QA): the entry's licence and open format for « Publié » (set on the entry's edit
page), and a justification next to each ground of « Non communicable »."""

from __future__ import annotations

import html

import pytest

from core.models import Licence
from datasets.models import OpenByDefaultAssessment
from tests.datasets.factories import AssetFactory, csv_format

pytestmark = pytest.mark.django_db


def _not_communicable(client, asset, **rows):
    """The qualification page posted with « Non communicable » and the ground rows given."""
    return client.post(
        f"/inventaire/{asset.pk}/qualification/",
        {
            "status": "NOT_COMMUNICABLE",
            "obligation_basis": "NONE",
            "personal_data_basis": "NOT_APPLICABLE",
            "rows": 3,
            "version": 1,
            **rows,
        },
    )


def _page(client, asset):
    return html.unescape(client.get(f"/inventaire/{asset.pk}/qualification/").content.decode())


def test_the_page_says_what_the_entry_lacks_for_published_and_links_its_edit_page(
    amd_client, organization
):
    asset = AssetFactory(organization=organization, licence=None)
    page = _page(amd_client, asset)
    assert "doit d'abord indiquer sa licence de réutilisation et au moins un format ouvert" in page
    assert f'href="/inventaire/{asset.pk}/modifier/"' in page
    asset.licence = Licence.objects.get(spdx_id="etalab-2.0")
    asset.save(update_fields=["licence"])
    asset.formats.set([csv_format()])
    assert "publication-prerequisites" not in _page(amd_client, asset)


def test_a_non_communicable_ground_without_justification_is_refused_next_to_it(
    amd_client, organization
):
    asset = AssetFactory(organization=organization)
    response = _not_communicable(
        amd_client, asset, ground_0="L311_5_2D_SURETE_ETAT", justification_0=""
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "justification_0" in errors and "ground_0" not in errors, errors
    assert "Justifiez ce motif" in errors["justification_0"][0]
    assert OpenByDefaultAssessment.objects.get(asset=asset).status == "TO_ASSESS"


def test_the_entry_page_says_a_published_qualification_of_a_draft_stays_out_of_the_catalogue(
    amd_client, organization
):
    asset = AssetFactory(organization=organization, visibility="DRAFT")
    OpenByDefaultAssessment.objects.filter(asset=asset).update(
        status="PUBLISHED", published_url="https://www.data.gouv.fr/fr/datasets/x/"
    )
    page = html.unescape(amd_client.get(f"/inventaire/{asset.pk}/").content.decode())
    assert "reste un brouillon : elle n'apparaît ni dans le catalogue public" in page
    asset.visibility = "PUBLISHED"
    asset.save(update_fields=["visibility"])
    assert "fiche-brouillon" not in amd_client.get(f"/inventaire/{asset.pk}/").content.decode()


def test_grounds_are_shown_in_the_order_they_were_given(amd_client, organization):
    """Motif n° 1 first (it was listed by database order, the wizard's first ground second)."""
    from core.models import LegalGround

    asset = AssetFactory(organization=organization)
    first, second = "L311_5_2D_SURETE_ETAT", "L311_5_2A_DELIB_GOUV"  # not in code order
    response = _not_communicable(
        amd_client,
        asset,
        ground_0=first,
        justification_0="Plans des sites sensibles.",
        ground_1=second,
        justification_1="Notes au Premier ministre.",
    )
    assert response.status_code == 302, response.context["form"].errors
    assessment = OpenByDefaultAssessment.objects.get(asset=asset)
    assert [g.ground.code for g in assessment.ground_links.all()] == [first, second]
    page = html.unescape(amd_client.get(f"/inventaire/{asset.pk}/").content.decode())
    labels = [LegalGround.objects.get(code=c).label[:40] for c in (first, second)]
    assert page.index(labels[0]) < page.index(labels[1])
