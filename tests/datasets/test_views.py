"""Inventory pages: permission matrix, search and facets, escaping, forms, wizard, query counts."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEntry, LegalGround
from datasets import services
from datasets.models import AssessmentHistory, DataAsset, OpenByDefaultAssessment
from datasets.validation import GroundInput, QualificationInput
from tests.datasets.factories import AssetFactory, ExtraFieldFactory
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def own_asset(organization):
    return AssetFactory(organization=organization, visibility="DRAFT")


@pytest.fixture
def other_asset(other_organization):
    return AssetFactory(organization=other_organization, visibility="PUBLISHED")


@pytest.fixture
def ministry_viewer_client(ministry_viewer_user, client):
    client.force_login(ministry_viewer_user)
    return client


def _urls(asset):
    return {
        "detail": f"/inventaire/{asset.pk}/",
        "edit": f"/inventaire/{asset.pk}/modifier/",
        "qualify": f"/inventaire/{asset.pk}/qualification/",
        "wizard": f"/inventaire/{asset.pk}/qualification/assistant/",
        "designation": f"/inventaire/{asset.pk}/donnee-de-reference/",
        "delete": f"/inventaire/{asset.pk}/supprimer/",
    }


# (client, which asset, {page: status}); "other" is a published entry of another ministry.
MATRIX = [
    (
        "anon_client",
        "own",
        dict.fromkeys(["detail", "edit", "qualify", "wizard", "designation", "delete"], 302),
    ),
    (
        "plain_client",
        "own",
        dict.fromkeys(["detail", "edit", "qualify", "wizard", "designation", "delete"], 404),
    ),
    (
        "amd_client",
        "own",
        dict.fromkeys(["detail", "edit", "qualify", "wizard", "designation", "delete"], 200),
    ),
    (
        "amd_client",
        "other",
        {
            # Its public page (below); the other pages are the ministry's.
            "detail": 302,
            **dict.fromkeys(["edit", "qualify", "wizard", "designation", "delete"], 404),
        },
    ),
    (
        "correspondent_client",
        "own",
        dict.fromkeys(["detail", "edit", "qualify", "wizard", "designation", "delete"], 200),
    ),
    (
        "correspondent_client",
        "sibling",
        {
            "detail": 200,
            "edit": 403,
            "qualify": 403,
            "wizard": 403,
            "designation": 403,
            "delete": 403,
        },
    ),
    (
        "ministry_viewer_client",
        "own",
        {
            "detail": 200,
            "edit": 403,
            "qualify": 403,
            "wizard": 403,
            "designation": 403,
            "delete": 403,
        },
    ),
    (
        "viewer_client",
        "other",
        {
            "detail": 200,
            "edit": 403,
            "qualify": 403,
            "wizard": 403,
            "designation": 403,
            "delete": 403,
        },
    ),
    ("viewer_client", "own", dict.fromkeys(["detail", "edit"], 404)),  # draft of a ministry
    ("trainer_client", "own", dict.fromkeys(["detail", "edit"], 404)),
    (
        "agd_client",
        "other",
        dict.fromkeys(["detail", "edit", "qualify", "wizard", "designation", "delete"], 200),
    ),
    ("dinum_client", "own", dict.fromkeys(["detail", "edit", "qualify"], 200)),
]


@pytest.mark.parametrize(("client_name", "which", "expected"), MATRIX)
def test_entry_pages_permission_matrix(
    request, client_name, which, expected, own_asset, other_asset, ministry
):
    client = request.getfixturevalue(client_name)
    sibling = AssetFactory(organization=OrganizationFactory(ministry=ministry))
    asset = {"own": own_asset, "other": other_asset, "sibling": sibling}[which]
    urls = _urls(asset)
    for page, status in expected.items():
        assert client.get(urls[page]).status_code == status, (page, status)


@pytest.mark.parametrize("client_name", ["amd_client", "plain_client", "trainer_client"])
def test_another_ministrys_published_entry_leads_to_its_public_page(
    request, client_name, other_asset, other_organization
):
    """A link to another ministry's entry, shared in the network, opens what anyone may read of
    it; a draft answers 404, as an entry that does not exist (nothing tells them apart)."""
    client = request.getfixturevalue(client_name)
    response = client.get(f"/inventaire/{other_asset.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"/inventaire/catalogue/{other_asset.pk}/"
    assert client.get(response["Location"]).status_code == 200
    draft = AssetFactory(organization=other_organization, visibility="DRAFT")
    assert client.get(f"/inventaire/{draft.pk}/").status_code == 404
    assert client.get(f"/inventaire/{draft.pk + 1000}/").status_code == 404


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("anon_client", 302),
        ("plain_client", 200),
        ("amd_client", 200),
        ("viewer_client", 200),
        ("trainer_client", 200),
    ],
)
def test_list_page_matrix(request, client_name, expected):
    assert request.getfixturevalue(client_name).get("/inventaire/").status_code == expected


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("anon_client", 302),
        ("plain_client", 403),
        ("viewer_client", 403),
        ("amd_client", 200),
        ("correspondent_client", 200),
        ("agd_client", 200),
    ],
)
def test_create_page_matrix(request, client_name, expected, organization, other_organization):
    assert request.getfixturevalue(client_name).get("/inventaire/nouvelle/").status_code == expected


def test_create_page_refuses_other_ministry_in_url(amd_client, other_ministry):
    assert amd_client.get(f"/inventaire/nouvelle/?ministry={other_ministry.pk}").status_code == 404


@pytest.mark.parametrize(
    ("client_name", "which", "expected"),
    [
        ("amd_client", "own", 200),
        ("amd_client", "other", 404),
        ("correspondent_client", "own", 403),
        ("viewer_client", "own", 403),
        ("agd_client", "other", 200),
        ("plain_client", "own", 404),
    ],
)
def test_extra_fields_page_matrix(request, client_name, which, expected, ministry, other_ministry):
    target = ministry if which == "own" else other_ministry
    client = request.getfixturevalue(client_name)
    if client_name == "viewer_client":
        expected = 403  # a network viewer sees the ministry but cannot define its fields
    assert client.get(f"/inventaire/champs/ministere/{target.pk}/").status_code == expected


def test_drafts_visible_only_inside_their_ministry(
    amd_client, viewer_client, own_asset, other_organization
):
    draft = AssetFactory(
        organization=other_organization, visibility="DRAFT", title="Brouillon caché"
    )
    assert "Brouillon caché" not in viewer_client.get("/inventaire/").content.decode()
    assert "Brouillon caché" not in amd_client.get("/inventaire/").content.decode()
    assert viewer_client.get(f"/inventaire/{draft.pk}/").status_code == 404


def test_xss_payload_is_rendered_escaped(amd_client, organization):
    asset = AssetFactory(
        organization=organization, title=XSS, description=XSS, service=XSS, keywords=[XSS]
    )
    ExtraFieldFactory(ministry=organization.ministry, code="note", label=XSS, help_text=XSS)
    for url in (
        "/inventaire/",
        f"/inventaire/{asset.pk}/",
        f"/inventaire/{asset.pk}/modifier/",
        "/inventaire/?q=script",
    ):
        body = amd_client.get(url).content.decode()
        assert "<script>alert" not in body, url
        assert "<img src=x" not in body, url
    assert "&lt;script&gt;" in amd_client.get(f"/inventaire/{asset.pk}/").content.decode()


def test_search_highlights_escape_user_html(amd_client, organization):
    AssetFactory(
        organization=organization, title="<b>Registre</b> des associations", description="x"
    )
    body = amd_client.get("/inventaire/", {"q": "associations"}).content.decode()
    assert "<mark>associations</mark>" in body
    assert "&lt;b&gt;Registre&lt;/b&gt;" in body


def test_search_ranks_title_matches_first(amd_client, organization):
    AssetFactory(
        organization=organization,
        title="Fichier divers",
        description="Contient le cadastre",
        keywords=[],
        service="s",
    )
    AssetFactory(
        organization=organization,
        title="Cadastre informatisé",
        description="Parcelles",
        keywords=[],
        service="s",
    )
    body = amd_client.get("/inventaire/", {"q": "cadastre"}).content.decode()
    assert body.index("informatisé") < body.index("Fichier divers")


def test_facets_count_and_filter(amd_client, organization, ministry):
    other_org = OrganizationFactory(ministry=ministry, name="Direction des étrangers")
    AssetFactory.create_batch(2, organization=organization, asset_type="API")
    AssetFactory(organization=other_org, asset_type="DOCUMENT", contains_personal_data=True)
    response = amd_client.get("/inventaire/", {"organization": other_org.pk})
    facets = {f.key: f for f in response.context["facets"]}
    assert response.context["total"] == 1
    org_counts = {v.label: v.count for v in facets["organization"].values}
    assert org_counts == {
        organization.name: 2,
        "Direction des étrangers": 1,
    }  # own facet not applied
    type_counts = {v.value: v.count for v in facets["asset_type"].values}
    assert type_counts == {"DOCUMENT": 1}
    assert {v.value: v.count for v in facets["personal_data"].values} == {"oui": 1}


def test_network_wide_facets_apply_every_filter(agd_client, organization, other_organization):
    AssetFactory.create_batch(2, organization=organization, asset_type="API")
    AssetFactory(organization=other_organization, asset_type="DOCUMENT")
    response = agd_client.get("/inventaire/", {"organization": organization.pk})
    facets = {f.key: f for f in response.context["facets"]}
    assert response.context["total"] == 2
    assert {v.value: v.count for v in facets["organization"].values} == {str(organization.pk): 2}
    assert {v.label: v.count for v in facets["ministry"].values} == {"Intérieur": 2}
    response = agd_client.get("/inventaire/")
    facets = {f.key: f for f in response.context["facets"]}
    assert {v.label: v.count for v in facets["ministry"].values} == {"Intérieur": 2, "Culture": 1}
    assert {v.value: v.count for v in facets["status"].values} == {"TO_ASSESS": 3}


@pytest.mark.parametrize("rows", [1, 20])
def test_filtered_facets_query_count_is_flat(
    rows, amd_client, organization, django_assert_num_queries
):
    AssetFactory.create_batch(rows, organization=organization, asset_type="API")
    amd_client.get("/inventaire/")
    cache.clear()
    # two active filters: their facets each need their own scan (disjunctive), the rest share
    # one; organisation and ministry names are read once per cache generation and process
    with django_assert_num_queries(12):
        response = amd_client.get("/inventaire/", {"asset_type": "API", "status": "TO_ASSESS"})
    assert response.context["total"] == rows


def test_extra_field_facet_and_filter(amd_client, organization, ministry):
    ExtraFieldFactory(ministry=ministry, code="sensible", label="Sensible", kind="BOOLEAN")
    AssetFactory(organization=organization, extra={"sensible": True})
    AssetFactory(organization=organization, extra={"sensible": False})
    AssetFactory(organization=organization)
    response = amd_client.get("/inventaire/", {"extra.sensible": "oui"})
    assert response.context["total"] == 1
    facet = next(f for f in response.context["facets"] if f.key == "extra.sensible")
    assert {v.value: v.count for v in facet.values} == {"oui": 1, "non": 1}


def test_create_form_with_extra_field(amd_client, organization, ministry):
    ExtraFieldFactory(ministry=ministry, code="budget", label="Budget", kind="NUMBER")
    response = amd_client.post(
        "/inventaire/nouvelle/",
        {
            "organization": organization.pk,
            "title": "Fichier des élus",
            "description": "Répertoire",
            "asset_type": "BASE_DE_DONNEES",
            "visibility": "DRAFT",
            "sharing_mode": "OPEN",
            "keywords": "élus, mandats",
            "formats": [],
            "extra__budget": "12,5",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    asset = DataAsset.objects.get()
    assert asset.keywords == ["élus", "mandats"]
    assert asset.extra == {"budget": 12.5}


def test_create_form_refuses_javascript_url_in_french(amd_client, organization):
    response = amd_client.post(
        "/inventaire/nouvelle/",
        {
            "organization": organization.pk,
            "title": "t",
            "description": "d",
            "asset_type": "API",
            "visibility": "DRAFT",
            "sharing_mode": "OPEN",
            "url": "javascript:alert(1)",
        },
    )
    assert response.status_code == 200
    assert "doit commencer par http://" in response.content.decode()
    assert DataAsset.objects.count() == 0


def _edit_payload(asset, **over):
    data = {
        "organization": asset.organization_id,
        "title": asset.title,
        "description": asset.description,
        "asset_type": asset.asset_type,
        "visibility": asset.visibility,
        "sharing_mode": asset.sharing_mode,
        "version": asset.version,
    }
    data.update(over)
    return data


def test_second_of_two_concurrent_form_edits_is_refused(amd_client, agd_client, own_asset):
    first = _edit_payload(own_asset, title="Version de l'AMD")
    second = _edit_payload(own_asset, title="Version de la DINUM")
    assert amd_client.post(f"/inventaire/{own_asset.pk}/modifier/", first).status_code == 302
    response = agd_client.post(f"/inventaire/{own_asset.pk}/modifier/", second)
    assert response.status_code == 409
    body = response.content.decode()
    assert "modifiée par" in body and "Version de la DINUM" in body  # input kept in the form
    own_asset.refresh_from_db()
    assert own_asset.title == "Version de l'AMD"


def test_history_shows_before_after_and_revert_restores(amd_client, amd_user, own_asset):
    services.asset_update(
        actor=amd_user, asset=own_asset, data={"title": "Titre 2"}, expected_version=1
    )
    services.asset_update(
        actor=amd_user, asset=own_asset, data={"title": "Titre 3"}, expected_version=2
    )
    body = amd_client.get(f"/inventaire/{own_asset.pk}/").content.decode()
    assert "Titre 2" in body and "Titre 3" in body and "Revenir à cette version" in body
    entry = AuditEntry.objects.filter(action="asset.updated").order_by("created_at", "id").first()
    response = amd_client.post(
        f"/inventaire/{own_asset.pk}/versions/{entry.pk}/revenir/", {"version": 3}
    )
    assert response.status_code == 302
    own_asset.refresh_from_db()
    assert own_asset.title == "Titre 2"


def test_revert_is_refused_to_read_only_users(ministry_viewer_client, amd_user, own_asset):
    services.asset_update(
        actor=amd_user, asset=own_asset, data={"title": "Titre 2"}, expected_version=1
    )
    entry = AuditEntry.objects.filter(action="asset.updated").first()
    assert (
        ministry_viewer_client.post(
            f"/inventaire/{own_asset.pk}/versions/{entry.pk}/revenir/", {"version": 2}
        ).status_code
        == 403
    )


def test_internal_justification_only_for_admins(
    amd_client, amd_user, correspondent_client, own_asset
):
    services.asset_qualify(
        actor=amd_user,
        asset=own_asset,
        qualification=QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(
                    ground=LegalGround.objects.get(code="L311_5_2D_SECURITE_SI"),
                    justification_internal="Failles du logiciel X",
                    public_motive="Sécurité des systèmes d'information",
                )
            ],
        ),
    )
    assert (
        "Failles du logiciel X" in amd_client.get(f"/inventaire/{own_asset.pk}/").content.decode()
    )
    body = correspondent_client.get(f"/inventaire/{own_asset.pk}/").content.decode()
    assert "Failles du logiciel X" not in body
    assert "Sécurité des systèmes d&#x27;information" in body


def test_qualification_form_refuses_not_communicable_without_ground(amd_client, own_asset):
    response = amd_client.post(
        f"/inventaire/{own_asset.pk}/qualification/",
        {
            "status": "NOT_COMMUNICABLE",
            "obligation_basis": "NONE",
            "personal_data_basis": "NOT_APPLICABLE",
            "version": 1,
            "rows": 3,
        },
    )
    assert response.status_code == 200
    assert "exige au moins un motif" in response.content.decode()
    assert not AssessmentHistory.objects.exists()


def test_qualification_form_saves_with_ground(amd_client, own_asset):
    response = amd_client.post(
        f"/inventaire/{own_asset.pk}/qualification/",
        {
            "status": "OUT_OF_SCOPE",
            "obligation_basis": "NONE",
            "personal_data_basis": "NOT_APPLICABLE",
            "version": 1,
            "rows": 3,
            "ground_0": "SCOPE_L311_2_INACHEVE",
            "justification_0": "Projet de schéma directeur",
        },
    )
    assert response.status_code == 302
    assessment = OpenByDefaultAssessment.objects.get(asset=own_asset)
    assert assessment.status == "OUT_OF_SCOPE"
    assert assessment.ground_links.get().ground.code == "SCOPE_L311_2_INACHEVE"


def test_wizard_walks_the_tree_to_a_prefilled_form(amd_client, own_asset):
    url = f"/inventaire/{own_asset.pk}/qualification/assistant/"
    answers = {}
    path = [
        ("subject", "oui"),
        ("electronic", "oui"),
        ("released_elsewhere", "non"),
        ("finished", "oui"),
        ("secret", "non"),
        ("personal", "oui"),
        ("personal_basis", "non"),
        ("anonymisable", "non"),
    ]
    response = None
    for key, value in path:
        data = {f"a_{k}": v for k, v in answers.items()}
        data["answer"] = value
        response = amd_client.post(url, data)
        answers[key] = value
    assert response.status_code == 302
    assert "status=NOT_COMMUNICABLE" in response.url
    assert "ground=L312_1_2_PERSO_NON_ANONYMISABLE" in response.url
    form_page = amd_client.get(response.url)
    assert form_page.status_code == 200
    assert form_page.context["form"].initial["ground_0"] == "L312_1_2_PERSO_NON_ANONYMISABLE"


def test_wizard_under_threshold_suggests_out_of_scope(amd_client, ministry):
    small = OrganizationFactory(ministry=ministry, kind="EPA", headcount_etp=12)
    asset = AssetFactory(organization=small)
    page = amd_client.get(f"/inventaire/{asset.pk}/qualification/assistant/")
    assert page.context["form"].initial["answer"] == "non"
    response = amd_client.post(
        f"/inventaire/{asset.pk}/qualification/assistant/", {"answer": "non"}
    )
    assert "SCOPE_L312_1_1_SEUIL" in response.url


def test_bulk_action_page_changes_status_and_audits(amd_client, organization):
    assets = AssetFactory.create_batch(2, organization=organization)
    response = amd_client.post(
        "/inventaire/actions/",
        {
            "ids": [a.pk for a in assets],
            "action": "status",
            "status": "TO_PUBLISH",
            "planned_date": "2030-01-31",
        },
    )
    assert response.status_code == 302
    assert OpenByDefaultAssessment.objects.filter(status="TO_PUBLISH").count() == 2
    assert AuditEntry.objects.filter(action="assessment.bulk_status").count() == 2


def test_bulk_action_with_other_ministry_entry_changes_nothing(amd_client, own_asset, other_asset):
    amd_client.post(
        "/inventaire/actions/", {"ids": [own_asset.pk, other_asset.pk], "action": "publish"}
    )
    own_asset.refresh_from_db()
    assert own_asset.visibility == "DRAFT"


def test_extra_field_page_creates_and_retires(amd_client, ministry, organization):
    url = f"/inventaire/champs/ministere/{ministry.pk}/"
    response = amd_client.post(
        url,
        {
            "code": "sensibilite",
            "label": "Sensibilité",
            "kind": "CHOICE",
            "choices": "Faible\nForte",
            "order": 0,
        },
    )
    assert response.status_code == 302
    asset = AssetFactory(organization=organization, extra={"sensibilite": "Forte"})
    definition = ministry.extra_fields.get()
    page = amd_client.get(url).content.decode()
    assert f'name="version" value="{definition.version}"' in page
    response = amd_client.post(
        f"/inventaire/champs/{definition.pk}/retirer/", {"version": definition.version}
    )
    assert response.status_code == 302
    body = amd_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert "Sensibilité (champ retiré)" in body and "Forte" in body


def test_designation_page_requires_spd_dataset(amd_client, own_asset):
    response = amd_client.post(
        f"/inventaire/{own_asset.pk}/donnee-de-reference/",
        {"regime": "SPD_R321_5", "status": "PROPOSED", "change_notice_days": 90},
    )
    assert response.status_code == 200
    assert "neuf bases" in response.content.decode()


@pytest.mark.parametrize("rows", [1, 20])
def test_list_page_query_count_is_flat(rows, amd_client, organization, django_assert_num_queries):
    AssetFactory.create_batch(rows, organization=organization)
    amd_client.get("/inventaire/")
    cache.clear()
    # session, user, roles (2), extra-field definitions, facets (one scan with GROUPING SETS,
    # which also gives the total), organisation names and ministry names (each read once per
    # cache generation and process), page, organisations of the bulk form
    with django_assert_num_queries(10):
        assert amd_client.get("/inventaire/").status_code == 200


@pytest.mark.parametrize("rows", [1, 20])
def test_search_page_query_count_is_flat(rows, amd_client, organization, django_assert_num_queries):
    AssetFactory.create_batch(rows, organization=organization, title="Registre des élus")
    amd_client.get("/inventaire/")
    cache.clear()
    # session, user, roles (2), extra-field definitions, the planner's estimate (EXPLAIN),
    # matches with their own facet columns (the count), their status and regime, organisation
    # names, page, highlights, bulk form
    with django_assert_num_queries(12):
        response = amd_client.get("/inventaire/", {"q": "élus"})
    assert response.context["total"] == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_facets_are_cached_until_next_write(
    rows, amd_client, organization, django_assert_num_queries
):
    AssetFactory.create_batch(rows, organization=organization)
    amd_client.get("/inventaire/")
    with django_assert_num_queries(6):  # session, user, roles (2), page, organisations
        assert amd_client.get("/inventaire/").status_code == 200


@pytest.mark.parametrize("changes", [1, 6])
def test_detail_page_query_count_is_flat(
    changes, amd_client, amd_user, own_asset, django_assert_num_queries
):
    for i in range(changes):
        services.asset_update(
            actor=amd_user, asset=own_asset, data={"title": f"T{i}"}, expected_version=i + 1
        )
        services.asset_qualify(
            actor=amd_user,
            asset=own_asset,
            qualification=QualificationInput(
                status="TO_PUBLISH", planned_date=datetime.date(2030, 1, 1 + i)
            ),
        )
    amd_client.get("/inventaire/")
    # The 11th: the entry's qualification proposals; the 12th: its reference designation
    # (prefetched: joined, it made the main query cost ~3 ms to plan).
    with django_assert_num_queries(12):
        assert amd_client.get(f"/inventaire/{own_asset.pk}/").status_code == 200


def test_broad_search_lists_by_date_with_capped_count(amd_client, organization, monkeypatch):
    from datasets import selectors

    monkeypatch.setattr(selectors, "SEARCH_CAP", 3)
    monkeypatch.setattr(selectors, "SEARCH_FACET_SAMPLE", 2)
    for i in range(5):
        AssetFactory(organization=organization, title=f"Registre des élus n° {i}")
    response = amd_client.get("/inventaire/", {"q": "élus"})
    assert response.context["broad"] is True
    body = response.content.decode()
    assert "Plus de 3 entrées" in body
    assert "les filtres portent sur les 2 plus récents" in body
    facet = next(f for f in response.context["facets"] if f.key == "organization")
    assert facet.values[0].count == 2  # facets describe the 2 most recent matches
    response = amd_client.get("/inventaire/", {"q": "élus n° 4"})
    assert response.context["broad"] is False


def test_a_search_the_planner_expects_broad_is_not_counted(
    amd_client, agd_client, organization, monkeypatch
):
    from datasets import selectors

    monkeypatch.setattr(selectors, "SEARCH_FACET_SAMPLE", 2)
    monkeypatch.setattr(selectors, "estimated_rows", lambda qs: 15_226)
    for i in range(5):
        AssetFactory(organization=organization, title=f"Registre des élus n° {i}")
    # A ministry's administrator: the 2 matches read for the facets are known to exist, and
    # only they are listed (the estimate is computed over every entry: not shown).
    response = amd_client.get("/inventaire/", {"q": "élus"})
    assert response.context["broad"] is True
    assert response.context["estimate"] is None
    assert response.context["page_obj"].paginator.num_pages == 1
    body = response.content.decode()
    assert "Plus de 2 entrées" in body
    assert "Seules les 2 entrées les plus récentes sont listées" in body
    assert "estimation" not in body
    facets = {f.key: f for f in response.context["facets"]}
    assert facets["organization"].values[0].count == 2  # the 2 most recent matches
    titles = [r["title"] for r, _ in response.context["rows"]]
    assert titles == ["Registre des élus n° 4", "Registre des élus n° 3"]
    # Network staff see every entry: the estimate is shown to them.
    response = agd_client.get("/inventaire/", {"q": "élus"})
    assert response.context["estimate"] == 15_226
    assert "Environ 15\u202f000 entrées (estimation)" in response.content.decode()


def test_a_broad_search_lists_its_first_pages_from_the_facet_read(
    amd_client, organization, monkeypatch
):
    from datasets import selectors, views

    monkeypatch.setattr(selectors, "SEARCH_FACET_SAMPLE", 4)
    monkeypatch.setattr(selectors, "RECENT_ROWS", 4)
    monkeypatch.setattr(selectors, "estimated_rows", lambda qs: 15_226)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for i in range(5):
        AssetFactory(organization=organization, title=f"Registre des élus n° {i}")
    pages = {}
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as ctx:
            response = amd_client.get("/inventaire/", {"q": "élus", "page": number})
        assert response.context["page_obj"].paginator.num_pages == 2  # the 4 known matches
        pages[number] = [r["title"] for r, _ in response.context["rows"]]
        row_reads = [  # queries that select the entries' titles
            q for q in ctx.captured_queries if '"title"' in q["sql"].split(" FROM ")[0]
        ]
        # page 1 reads the 4 most recent matches (facets and rows); the others are served
        # from that read, cached
        assert len(row_reads) == (1 if number == 1 else 0), number
    assert pages == {
        1: ["Registre des élus n° 4", "Registre des élus n° 3"],
        2: ["Registre des élus n° 2", "Registre des élus n° 1"],
        3: ["Registre des élus n° 2", "Registre des élus n° 1"],  # beyond: the last page
    }


def test_list_rows_read_raw_are_aware_datetimes():
    import datetime

    from datasets.selectors import LIST_ROW_FIELDS, _list_row

    naive = datetime.datetime(2026, 3, 1, 12, 30)
    values = dict.fromkeys(LIST_ROW_FIELDS) | {"updated_at": naive}
    row = _list_row([values[f] for f in LIST_ROW_FIELDS])
    assert row["updated_at"] == naive.replace(tzinfo=datetime.UTC)
    values["updated_at"] = "2026-03-01 12:30:00"  # SQLite without a converter
    assert _list_row([values[f] for f in LIST_ROW_FIELDS])["updated_at"].tzinfo is not None


def test_an_overestimated_search_is_counted_exactly(amd_client, organization, monkeypatch):
    from datasets import selectors

    # The planner expects 50,000 matches, but fewer than the sample exist: counted, ranked.
    monkeypatch.setattr(selectors, "estimated_rows", lambda qs: 50_000)
    for i in range(5):
        AssetFactory(organization=organization, title=f"Registre des élus n° {i}")
    response = amd_client.get("/inventaire/", {"q": "élus"})
    assert response.context["broad"] is False
    assert response.context["total"] == 5
    assert response.context["estimate"] is None
    assert "estimation" not in response.content.decode()


def test_the_planner_estimate_is_read_without_running_the_query(organization):
    from datasets import selectors
    from datasets.search import apply_search

    AssetFactory(organization=organization, title="Registre des élus")
    with CaptureQueriesContext(connection) as ctx:
        estimate = selectors.estimated_rows(apply_search(DataAsset.objects.all(), "élus"))
    assert isinstance(estimate, int) and estimate >= 0
    assert [q["sql"].split()[0] for q in ctx.captured_queries] == ["EXPLAIN"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (7, "7"),
        (100, "100"),
        (8_412, "8\u202f400"),
        (15_226, "15\u202f000"),
        (204_836, "200\u202f000"),
    ],
)
def test_estimates_are_rounded_to_two_digits(value, shown):
    from datasets.templatetags.inventory_list import approximately

    assert approximately(value) == shown


def test_search_total_and_facets_count_only_the_visible_matches(
    amd_client, organization, other_organization
):
    for i in range(3):
        AssetFactory(organization=organization, title=f"Registre des élus n° {i}", asset_type="API")
    for i in range(4):
        AssetFactory(organization=organization, title=f"Carte des routes n° {i}")
    AssetFactory(organization=other_organization, title="Registre des élus d'ailleurs")
    response = amd_client.get("/inventaire/", {"q": "élus"})
    assert response.context["broad"] is False
    assert response.context["total"] == 3
    assert [a["title"] for a, _ in response.context["rows"]] != []
    assert all("élus" in a["title"] for a, _ in response.context["rows"])
    facets = {f.key: {v.value: v.count for v in f.values} for f in response.context["facets"]}
    assert facets["organization"] == {str(organization.pk): 3}
    assert facets["asset_type"] == {"API": 3}


def test_cached_counts_are_refreshed_after_a_committed_write(
    amd_client, amd_user, organization, django_capture_on_commit_callbacks
):
    AssetFactory(organization=organization)
    assert amd_client.get("/inventaire/").context["total"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.asset_create(
            actor=amd_user,
            data={
                "organization": organization,
                "title": "Nouvelle",
                "description": "d",
                "asset_type": "API",
            },
        )
    response = amd_client.get("/inventaire/")
    assert response.context["total"] == 2
    assert {
        v.value: v.count
        for v in next(f for f in response.context["facets"] if f.key == "asset_type").values
    } == {
        "BASE_DE_DONNEES": 1,
        "API": 1,
    }


@pytest.mark.parametrize(
    ("client_name", "expected_status", "changed"),
    [
        ("anon_client", 302, False),
        ("plain_client", 302, False),  # redirected back with a French error, nothing changed
        ("viewer_client", 302, False),
        ("ministry_viewer_client", 302, False),
        ("trainer_client", 302, False),
        ("correspondent_client", 302, True),
        ("amd_client", 302, True),
        ("agd_client", 302, True),
    ],
)
def test_bulk_action_matrix(request, client_name, expected_status, changed, own_asset):
    client = request.getfixturevalue(client_name)
    response = client.post("/inventaire/actions/", {"ids": [own_asset.pk], "action": "publish"})
    assert response.status_code == expected_status
    if client_name == "anon_client":
        assert "/accounts/login/" in response.url
    own_asset.refresh_from_db()
    assert (own_asset.visibility == "PUBLISHED") is changed


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("anon_client", 302),
        ("plain_client", 404),
        ("viewer_client", 404),
        ("ministry_viewer_client", 403),
        ("correspondent_client", 403),  # a correspondent only proposes (DOMAIN §4.18)
        ("amd_client", 302),
    ],
)
def test_qualification_revert_matrix(request, client_name, expected, amd_user, own_asset):
    services.asset_qualify(
        actor=amd_user,
        asset=own_asset,
        qualification=QualificationInput(
            status="TO_PUBLISH", planned_date=datetime.date(2030, 1, 1)
        ),
    )
    first = AssessmentHistory.objects.get(asset=own_asset)
    services.asset_qualify(
        actor=amd_user,
        asset=own_asset,
        qualification=QualificationInput(
            status="TO_PUBLISH", planned_date=datetime.date(2031, 1, 1)
        ),
    )
    client = request.getfixturevalue(client_name)
    response = client.post(
        f"/inventaire/{own_asset.pk}/qualification/versions/{first.pk}/revenir/",
        {"version": OpenByDefaultAssessment.objects.get(asset=own_asset).version},
    )
    assert response.status_code == expected
    own_asset.assessment.refresh_from_db()
    reverted = own_asset.assessment.planned_date == datetime.date(2030, 1, 1)
    assert reverted is (client_name == "amd_client")


def test_revert_of_other_ministry_entry_answers_404(amd_client, agd_user, other_asset):
    services.asset_update(
        actor=agd_user, asset=other_asset, data={"title": "x"}, expected_version=1
    )
    entry = AuditEntry.objects.get(action="asset.updated")
    assert (
        amd_client.post(f"/inventaire/{other_asset.pk}/versions/{entry.pk}/revenir/").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("anon_client", 302),
        ("plain_client", 404),
        ("correspondent_client", 403),
        ("amd_client", 302),
        ("dinum_client", 302),
    ],
)
def test_extra_field_retire_matrix(request, client_name, expected, ministry):
    definition = ExtraFieldFactory(ministry=ministry)
    response = request.getfixturevalue(client_name).post(
        f"/inventaire/champs/{definition.pk}/retirer/", {"version": definition.version}
    )
    assert response.status_code == expected
    definition.refresh_from_db()
    assert (definition.retired_at is not None) is (client_name in ("amd_client", "dinum_client"))


def test_extra_field_of_other_ministry_answers_404(amd_client, other_ministry):
    definition = ExtraFieldFactory(ministry=other_ministry)
    assert amd_client.get(f"/inventaire/champs/{definition.pk}/modifier/").status_code == 404
    assert amd_client.post(f"/inventaire/champs/{definition.pk}/retirer/").status_code == 404


def test_legacy_javascript_url_is_never_rendered_as_a_link(amd_client, organization):
    asset = AssetFactory(organization=organization, url="javascript:alert(1)")  # bypasses services
    body = amd_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert 'href="javascript:' not in body


def test_correspondent_never_receives_internal_justification_and_keeps_it(
    amd_user, correspondent_client, own_asset
):
    """The correspondent's qualification is a proposal (DOMAIN §4.18): the hidden justification
    rides along in it, and is still there once an administrator accepts it."""
    from datasets.models import QualificationProposal
    from datasets.proposals import proposal_accept

    services.asset_qualify(
        actor=amd_user,
        asset=own_asset,
        qualification=QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(
                    ground=LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE"),
                    justification_internal="Adresses des victimes",
                    public_motive="Vie privée",
                )
            ],
        ),
    )
    url = f"/inventaire/{own_asset.pk}/qualification/"
    assert "Adresses des victimes" not in correspondent_client.get(url).content.decode()
    response = correspondent_client.post(
        url,
        {
            "status": "NOT_COMMUNICABLE",
            "obligation_basis": "NONE",
            "personal_data_basis": "NOT_APPLICABLE",
            "version": 2,
            "rows": 3,
            "ground_0": "L311_6_1_VIE_PRIVEE",
            "public_motive_0": "Protection de la vie privée",
            "decided_by": "Correspondant",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    link = OpenByDefaultAssessment.objects.get(asset=own_asset).ground_links.get()
    assert link.public_motive == "Vie privée"  # not applied yet
    proposal = QualificationProposal.objects.get(asset=own_asset, status="PENDING")
    assert proposal.state["grounds"][0]["justification_internal"] == "Adresses des victimes"
    assert (
        "Adresses des victimes"
        not in correspondent_client.get(f"/inventaire/{own_asset.pk}/").content.decode()
    )
    proposal_accept(actor=amd_user, proposal=proposal)
    link = OpenByDefaultAssessment.objects.get(asset=own_asset).ground_links.get()
    assert link.justification_internal == "Adresses des victimes"
    assert link.public_motive == "Protection de la vie privée"


def test_unfiltered_counts_are_recounted_only_for_the_ministry_written(
    agd_client,
    amd_user,
    organization,
    other_organization,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    AssetFactory(organization=organization)
    AssetFactory(organization=other_organization)
    first = agd_client.get("/inventaire/")
    assert {v.label: v.count for v in first.context["facets"][0].values} == {
        "Intérieur": 1,
        "Culture": 1,
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.asset_create(
            actor=amd_user,
            data={
                "organization": organization,
                "title": "Nouvelle",
                "description": "d",
                "asset_type": "API",
            },
        )
    from datasets import selectors

    calls = []
    original = selectors._per_ministry_counts
    selectors._per_ministry_counts = lambda ids, defs: (
        calls.append(list(ids)) or original(ids, defs)
    )
    try:
        second = agd_client.get("/inventaire/")
    finally:
        selectors._per_ministry_counts = original
    assert calls == [[organization.ministry_id]]
    assert {v.label: v.count for v in second.context["facets"][0].values} == {
        "Intérieur": 2,
        "Culture": 1,
    }
    assert second.context["total"] == 3


def test_wizard_explanation_is_recomputed_not_taken_from_the_address(amd_client, own_asset):
    url = f"/inventaire/{own_asset.pk}/qualification/?prefill=1&status=TO_PUBLISH&explication=Texte+forgé"
    assert "Texte forgé" not in amd_client.get(url).content.decode()
    page = amd_client.get(
        f"/inventaire/{own_asset.pk}/qualification/?prefill=1&status=OUT_OF_SCOPE&a_subject=non"
    )
    assert "Producteur sous le seuil de 50 agents" in page.content.decode()


def test_entry_history_is_the_ministrys_and_hides_the_proposals_from_read_only_readers(
    amd_user, correspondent_user, ministry_viewer_client, viewer_client, organization
):
    from datasets import proposals
    from tests.datasets.factories import AssetFactory
    from tests.datasets.proposal_helpers import propose, to_publish

    asset = AssetFactory(organization=organization, visibility="PUBLISHED")
    services.asset_update(
        actor=amd_user, asset=asset, data={"title": "Titre 2"}, expected_version=1
    )
    proposal = propose(correspondent_user, asset, to_publish(datetime.date(2030, 1, 1)))
    proposals.proposal_reject(actor=amd_user, proposal=proposal, reason="MOTIF-DU-REFUS")
    page = ministry_viewer_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert "Titre 2" in page and "MOTIF-DU-REFUS" not in page
    outside = viewer_client.get(f"/inventaire/{asset.pk}/").content.decode()
    assert "L'historique des modifications est réservé au ministère de l'entrée" in outside
    assert "MOTIF-DU-REFUS" not in outside
