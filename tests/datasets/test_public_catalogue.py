"""The public catalogue (/inventaire/catalogue/): published entries only, whoever asks.

Permission matrix (every role, anonymous and API tokens included: the page is public and the
same for all), drafts never listed, the inventory's French full-text search and ranking, the
ministry and organisation filters, pagination capped like the inventory's, bad inputs that give
a clean page (never a 500), escaping, links to and from the page, and query counts pinned at two
data sizes.
"""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from administrators.models import Membership
from datasets import public_catalogue, selectors, services
from datasets.models import DataAsset
from tests.conftest import make_token
from tests.datasets.factories import AssetFactory
from tests.datasets.proposal_helpers import login, user_with
from tests.factories import MinistryFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

URL = "/inventaire/catalogue/"
PUBLISHED = DataAsset.Visibility.PUBLISHED
DRAFT_TITLE = "TITRE-BROUILLON-7Q"
OTHER_DRAFT_TITLE = "TITRE-BROUILLON-AUTRE-7Q"
PUBLISHED_TITLE = "TITRE-PUBLIE-7Q"

CLIENTS = {
    "anon": "anon_client",
    "plain": "plain_client",
    "agd": "agd_client",  # chief data officer: sees every draft in the inventory
    "dinum": "dinum_client",
    "amd": "amd_client",  # administrator of the drafts' ministry
    "corr": "correspondent_client",  # correspondent of the draft's organisation
    "mviewer": "ministry_viewer_client",
    "nviewer": "viewer_client",
    "trainer": "trainer_client",
    "other_amd": "other_amd_client",
    "read_token": "api_client",  # a token signs no page in: the page is public anyway
    "write_token": "write_token_client",
}


@pytest.fixture
def write_token_client(amd_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_token(amd_user, can_write=True)}")
    return client


def published(**kwargs):
    return AssetFactory(visibility=PUBLISHED, **kwargs)


@pytest.fixture
def entries(organization, other_organization):
    """A published entry and a draft in ministry A, a draft in ministry B."""
    return {
        "pub": published(organization=organization, title=PUBLISHED_TITLE),
        "draft": AssetFactory(organization=organization, title=DRAFT_TITLE),
        "other_draft": AssetFactory(organization=other_organization, title=OTHER_DRAFT_TITLE),
    }


def body(response) -> str:
    return response.content.decode()


def row_titles(response) -> list[str]:
    """The titles of the table's rows, in order (highlight marks removed)."""
    table = body(response).split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    links = re.findall(r'<a href="/inventaire/catalogue/\d+/">(.*?)</a>', table)
    return [re.sub(r"</?mark>", "", link) for link in links]


# --- Permission matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(CLIENTS))
def test_every_role_reads_the_published_entries_and_no_draft(request, role, entries):
    client = request.getfixturevalue(CLIENTS[role])
    response = client.get(URL)
    assert response.status_code == 200
    assert row_titles(response) == [PUBLISHED_TITLE]
    assert DRAFT_TITLE not in body(response) and OTHER_DRAFT_TITLE not in body(response)
    assert "1 entrée publiée" in body(response)


@pytest.mark.parametrize("role", list(CLIENTS))
def test_a_search_for_a_draft_finds_nothing_whoever_asks(request, role, entries):
    client = request.getfixturevalue(CLIENTS[role])
    for query in (DRAFT_TITLE, OTHER_DRAFT_TITLE):
        response = client.get(URL, {"q": query})
        assert response.status_code == 200
        assert row_titles(response) == []
        assert "0 entrée publiée" in body(response)


@pytest.mark.parametrize("role", list(CLIENTS))
def test_a_ministry_filter_lists_no_draft_even_for_that_ministry(request, role, entries, ministry):
    client = request.getfixturevalue(CLIENTS[role])
    response = client.get(URL, {"ministry": ministry.pk})
    assert response.status_code == 200
    assert row_titles(response) == [PUBLISHED_TITLE]


@pytest.mark.parametrize("role", ["anon", "amd", "agd", "read_token"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get_and_head_are_answered(request, role, method, entries):
    client = request.getfixturevalue(CLIENTS[role])
    response = getattr(client, method)(URL, {"q": "x"})
    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "HEAD"]


@pytest.mark.parametrize("role", ["anon", "amd"])
def test_head_answers_like_get_without_a_body(request, role, entries):
    response = request.getfixturevalue(CLIENTS[role]).head(URL)
    assert response.status_code == 200
    assert response.content == b""


def test_a_published_entry_withdrawn_leaves_the_list_at_once(
    anon_client, amd_user, entries, django_capture_on_commit_callbacks
):
    """The paginated total is cached under the inventory's generation: a write moves it."""
    assert row_titles(anon_client.get(URL)) == [PUBLISHED_TITLE]
    with django_capture_on_commit_callbacks(execute=True):
        services.assets_bulk_set_visibility(
            actor=amd_user, asset_ids=[entries["pub"].pk], visibility="DRAFT"
        )
    response = anon_client.get(URL)
    assert row_titles(response) == []
    assert "0 entrée publiée" in body(response)
    with django_capture_on_commit_callbacks(execute=True):
        services.assets_bulk_set_visibility(
            actor=amd_user, asset_ids=[entries["draft"].pk], visibility="PUBLISHED"
        )
    assert row_titles(anon_client.get(URL)) == [DRAFT_TITLE]


# --- Search --------------------------------------------------------------------------------------


def test_search_is_french_and_ignores_accents(anon_client, organization):
    published(organization=organization, title="Enquête sur les élections municipales")
    published(organization=organization, title="Registre des ports")
    for query in ("enquete", "ÉLECTION", "election municipale"):
        assert row_titles(anon_client.get(URL, {"q": query})) == [
            "Enquête sur les élections municipales"
        ], query


def test_a_search_ranks_a_match_in_the_title_above_one_in_the_description(
    anon_client, organization
):
    in_title = published(organization=organization, title="Cadastre solaire", description="x")
    in_description = published(
        organization=organization,
        title="Registre des toitures",
        description="Relevés issus du cadastre.",
    )
    # By date alone, the description's match would come first.
    DataAsset.objects.filter(pk=in_title.pk).update(updated_at="2024-01-01T00:00:00Z")
    DataAsset.objects.filter(pk=in_description.pk).update(updated_at="2025-01-01T00:00:00Z")
    response = anon_client.get(URL, {"q": "cadastre"})
    assert row_titles(response) == ["Cadastre solaire", "Registre des toitures"]
    assert "Classées par pertinence" in body(response)
    assert "<mark>Cadastre</mark>" in body(response)


def test_the_search_marks_and_titles_stay_text(anon_client, organization):
    evil = '<script>alert("x")</script> Cadastre <b>gras</b>'
    entry = published(organization=organization, title=evil, description="<img src=x> cadastre")
    for params in ({}, {"q": "cadastre"}, {"q": "<script>"}):
        html = body(anon_client.get(URL, params))
        assert "<script>alert" not in html and "<b>gras" not in html and "<img src=x" not in html
    html = body(anon_client.get(URL, {"q": "cadastre"}))
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>Cadastre</mark>" in html
    entry_html = body(anon_client.get(f"{URL}{entry.pk}/"))
    assert "<script>alert" not in entry_html and "&lt;script&gt;" in entry_html


def test_the_query_shown_back_is_escaped(anon_client, entries):
    html = body(anon_client.get(URL, {"q": '"><svg onload=alert(1)>'}))
    assert "<svg" not in html
    assert "&lt;svg onload=alert(1)&gt;" in html


def test_a_broad_search_lists_its_most_recent_matches_by_date(
    anon_client, organization, monkeypatch
):
    """More matches than SEARCH_CAP: listed by date, BROAD_ROWS of them, and said so."""
    monkeypatch.setattr(selectors, "SEARCH_CAP", 3)
    monkeypatch.setattr(public_catalogue, "BROAD_ROWS", 2)
    for day in range(1, 6):
        entry = published(organization=organization, title=f"Cadastre {day}")
        DataAsset.objects.filter(pk=entry.pk).update(updated_at=f"2025-01-0{day}T00:00:00Z")
    response = anon_client.get(URL, {"q": "cadastre"})
    assert row_titles(response) == ["Cadastre 5", "Cadastre 4"]
    assert "Plus de 3 entrées publiées pour « cadastre »" in body(response)
    assert "Recherche très large" in body(response)
    # No page beyond the BROAD_ROWS listed.
    assert row_titles(anon_client.get(URL, {"q": "cadastre", "page": 2})) == row_titles(response)


def test_a_search_the_planner_expects_broad_is_said_with_its_estimate(
    anon_client, organization, monkeypatch
):
    monkeypatch.setattr(selectors, "SEARCH_ESTIMATE_BROAD", 0)  # every query looks broad
    monkeypatch.setattr(public_catalogue, "BROAD_ROWS", 2)
    for n in range(3):
        published(organization=organization, title=f"Cadastre {n}")
    response = anon_client.get(URL, {"q": "cadastre"})
    assert len(row_titles(response)) == 2
    assert re.search(
        r"Environ \d+ entrées publiées \(estimation\) pour « cadastre »", body(response)
    )
    # Fewer matches than BROAD_ROWS: counted, and ranked.
    monkeypatch.setattr(public_catalogue, "BROAD_ROWS", 5)
    response = anon_client.get(URL, {"q": "cadastre", "x": "autre clé de cache"})
    assert "3 entrées publiées pour « cadastre »" in body(response)


# --- Filters -------------------------------------------------------------------------------------


@pytest.fixture
def two_ministries(ministry, other_ministry, organization, other_organization):
    sibling = OrganizationFactory(ministry=ministry, name="Direction des élections")
    published(organization=organization, title="Fichier des associations")
    published(organization=sibling, title="Résultats des élections")
    published(organization=other_organization, title="Monuments historiques")
    AssetFactory(organization=sibling, title=DRAFT_TITLE)
    return {"sibling": sibling}


def test_the_ministry_filter_keeps_that_ministrys_published_entries(
    anon_client, ministry, other_ministry, two_ministries
):
    response = anon_client.get(URL, {"ministry": other_ministry.pk})
    assert row_titles(response) == ["Monuments historiques"]
    response = anon_client.get(URL, {"ministry": ministry.pk})
    assert sorted(row_titles(response)) == ["Fichier des associations", "Résultats des élections"]


def test_the_organisation_select_offers_the_chosen_ministrys_organisations(
    anon_client, ministry, other_ministry, two_ministries, other_organization
):
    html = body(anon_client.get(URL))
    assert 'name="organization"' not in html  # no ministry chosen: no organisation select
    assert f'<option value="{ministry.pk}">Ministère de l&#x27;Intérieur</option>' in html
    html = body(anon_client.get(URL, {"ministry": ministry.pk}))
    assert 'name="organization"' in html
    assert "Direction des élections" in html
    assert other_organization.name not in html


def test_the_organisation_filter(anon_client, ministry, two_ministries):
    response = anon_client.get(
        URL, {"ministry": ministry.pk, "organization": two_ministries["sibling"].pk}
    )
    assert row_titles(response) == ["Résultats des élections"]
    assert f'<option value="{two_ministries["sibling"].pk}" selected>' in body(response)


def test_search_and_filters_combine(anon_client, ministry, other_ministry, two_ministries):
    assert row_titles(anon_client.get(URL, {"q": "élections", "ministry": ministry.pk})) == [
        "Résultats des élections"
    ]
    assert row_titles(anon_client.get(URL, {"q": "élections", "ministry": other_ministry.pk})) == []


def test_another_ministrys_organisation_is_refused_on_its_field(
    anon_client, ministry, two_ministries, other_organization
):
    response = anon_client.get(
        URL, {"ministry": ministry.pk, "organization": other_organization.pk}
    )
    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in body(response)
    assert len(row_titles(response)) == 2  # that filter is left out, the ministry's kept


def test_the_ministry_catalogue_is_linked_once_a_ministry_is_chosen(
    anon_client, ministry, two_ministries
):
    html = body(anon_client.get(URL))
    assert 'href="/inventaire/catalogue.jsonld"' in html
    assert 'href="/inventaire/catalogue.ttl"' in html
    assert "/inventaire/catalogue/interieur.jsonld" not in html
    html = body(anon_client.get(URL, {"ministry": ministry.pk}))
    assert 'href="/inventaire/catalogue/interieur.jsonld"' in html


# --- Bad inputs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"ministry": "abc"},
        {"ministry": "1\x00"},
        {"ministry": "9" * 30},
        {"ministry": "-1"},
        {"ministry": "²"},
        {"ministry": ["1", "abc"]},
        {"organization": "12"},  # without a ministry: no such field
        {"organization": "abc", "ministry": "abc"},
        {"q": "a\x00b"},
        {"q": "\x00"},
        {"q": "x" * 10_000},
        {"q": "élus " * 2_000},
        {"q": '"unbalanced & | ! :* <-> ( ) or -'},
        {"page": "abc"},
        {"page": "\x00"},
        {"page": "-1"},
        {"page": "0"},
        {"page": "1e9"},
        {"page": "9" * 5_000},
        {"page": "99999999999999999999999"},
        {"extra.x": "1", "status": "PUBLISHED", "visibility": "DRAFT"},  # unknown: ignored
    ],
)
def test_bad_parameters_give_a_clean_page(anon_client, entries, params):
    response = anon_client.get(URL, params)
    assert response.status_code == 200
    assert DRAFT_TITLE not in body(response)


@pytest.mark.parametrize("value", ["abc", "1\x00", "9" * 30, "-1"])
def test_a_ministry_that_is_no_choice_is_said_in_french_and_left_out(anon_client, entries, value):
    response = anon_client.get(URL, {"ministry": value})
    assert "Le formulaire contient des erreurs" in body(response)
    assert "Sélectionnez un choix valide" in body(response)
    assert row_titles(response) == [PUBLISHED_TITLE]


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        ("q=%ED%A0%80", False),  # not UTF-8: replaced by U+FFFD, found nowhere
        ("q=%FF%FE%00", False),
        ("q=%25%00%25", False),
        ("q=TITRE%00-PUBLIE-7Q", True),  # the NUL is dropped
        ("ministry=%00", True),
        ("ministry=%C2%B2", True),
        ("page=%00", True),
    ],
)
def test_undecodable_or_nul_bytes_give_a_clean_page(anon_client, entries, raw, found):
    response = anon_client.get(f"{URL}?{raw}")
    assert response.status_code == 200
    assert row_titles(response) == ([PUBLISHED_TITLE] if found else [])


def test_the_visibility_parameter_cannot_show_drafts(agd_client, entries):
    response = agd_client.get(URL, {"visibility": "DRAFT"})
    assert row_titles(response) == [PUBLISHED_TITLE]


def test_an_overlong_query_is_cut_to_the_searchs_limit(anon_client, organization):
    published(organization=organization, title="Cadastre")
    response = anon_client.get(URL, {"q": "cadastre " + "x" * 10_000})
    assert response.status_code == 200
    shown = re.search(r"pour « (.*?) »", body(response))
    assert shown is not None and shown.group(1).startswith("cadastre x")
    assert len(shown.group(1)) == 200


def test_unknown_ids_in_the_public_entry_url_are_a_french_404(anon_client, entries):
    response = anon_client.get(f"{URL}99999999999999999/")
    assert response.status_code == 404
    assert "Page non trouvée" in body(response)
    assert anon_client.get(f"{URL}{entries['draft'].pk}/").status_code == 404


# --- Pagination ----------------------------------------------------------------------------------


def test_pages_of_fifty_with_the_inventorys_pagination(anon_client, organization):
    for n in range(51):
        published(organization=organization, title=f"Entrée {n:02d}")
    AssetFactory(organization=organization, title=DRAFT_TITLE)
    first = anon_client.get(URL, {"q": "entrée"})
    assert len(row_titles(first)) == 50
    assert "51 entrées publiées" in body(first)
    html = body(first)
    assert '<nav role="navigation" class="fr-pagination" aria-label="Pagination">' in html
    assert 'aria-current="page" title=" 1 / 2"' in html
    assert 'href="?q=entr%C3%A9e&amp;page=2"' in html  # the search is kept
    assert "page 1 sur 2" in html  # in the table's caption
    second = anon_client.get(URL, {"q": "entrée", "page": 2})
    assert len(row_titles(second)) == 1
    assert set(row_titles(first)).isdisjoint(row_titles(second))
    # A page number beyond the last gives the last page.
    assert row_titles(anon_client.get(URL, {"q": "entrée", "page": 999})) == row_titles(second)


def test_one_page_has_no_pagination(anon_client, entries):
    assert "fr-pagination" not in body(anon_client.get(URL))


def test_pages_stop_at_max_pages(anon_client, organization, monkeypatch):
    monkeypatch.setattr(public_catalogue, "PAGE_SIZE", 2)
    monkeypatch.setattr(public_catalogue, "MAX_ROWS", 4)
    for day in range(1, 8):
        entry = published(organization=organization, title=f"Entrée {day}")
        DataAsset.objects.filter(pk=entry.pk).update(updated_at=f"2025-01-0{day}T00:00:00Z")
    response = anon_client.get(URL)
    assert row_titles(response) == ["Entrée 7", "Entrée 6"]
    assert "Plus de 4 entrées publiées" in body(response)
    assert "recherchez ou choisissez un ministère" in body(response)
    assert 'title=" 1 / 2"' in body(response)
    assert row_titles(anon_client.get(URL, {"page": 50})) == ["Entrée 5", "Entrée 4"]


# --- Links ---------------------------------------------------------------------------------------


def test_each_row_links_to_the_entrys_public_page(anon_client, entries):
    html = body(anon_client.get(URL))
    assert f'<a href="/inventaire/catalogue/{entries["pub"].pk}/">{PUBLISHED_TITLE}</a>' in html
    assert f'href="/inventaire/{entries["pub"].pk}/"' not in html  # not the inventory's page


def test_the_public_entry_page_links_back_to_the_catalogue(anon_client, entries):
    html = body(anon_client.get(f"{URL}{entries['pub'].pk}/"))
    assert '<a class="fr-breadcrumb__link" href="/inventaire/catalogue/">' in html
    assert "Retour au catalogue des données publiées" in html


def test_the_home_page_links_to_the_catalogue(anon_client):
    assert 'href="/inventaire/catalogue/"' in body(anon_client.get("/"))


def test_the_page_is_in_french_with_its_labels_and_caption(anon_client, entries):
    html = body(anon_client.get(URL, {"q": "titre"}))
    assert '<html lang="fr"' in html
    assert '<label for="id_q" class="fr-label">' in html
    assert '<label for="id_ministry" class="fr-label">' in html
    assert "<caption>Entrées publiées</caption>" in html
    assert 'aria-current="page">Catalogue des données publiées</a>' in html  # breadcrumb
    assert 'role="search"' in html


# --- Query counts ------------------------------------------------------------------------------


@pytest.fixture
def sized(request, ministry, organization, other_organization):
    """`rows` published entries in ministry A and as many drafts, and some in ministry B."""

    def make(rows: int) -> None:
        for n in range(rows):
            published(organization=organization, title=f"Répertoire des élus {n}")
            AssetFactory(organization=organization, title=f"Brouillon des élus {n}")
            published(organization=other_organization, title=f"Monuments {n}")

    return make


# ministries, capped count, page rows
LIST_QUERIES = 3
# ministries, the planner's estimate, the ranked ids, page rows, highlights
SEARCH_QUERIES = 5


@pytest.mark.parametrize("rows", [1, 60])
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, LIST_QUERIES),
        ({"page": 2}, LIST_QUERIES),
        ({"q": "élus"}, SEARCH_QUERIES),
        ({"q": "élus", "page": 2}, SEARCH_QUERIES),
        ({"ministry": "MINISTRY"}, LIST_QUERIES + 1),  # + its organisations
        ({"q": "élus", "ministry": "MINISTRY"}, SEARCH_QUERIES + 1),
    ],
)
def test_anonymous_query_count_is_flat(
    rows, params, expected, anon_client, ministry, sized, django_assert_num_queries
):
    sized(rows)
    params = {k: ministry.pk if v == "MINISTRY" else v for k, v in params.items()}
    with django_assert_num_queries(expected):
        assert anon_client.get(URL, params).status_code == 200


@pytest.mark.parametrize("rows", [1, 60])
def test_signed_in_query_count_is_flat(rows, amd_client, sized, django_assert_num_queries):
    sized(rows)
    # + the session, its user, the account's memberships and their organisations (the menu)
    with django_assert_num_queries(SEARCH_QUERIES + 4):
        assert amd_client.get(URL, {"q": "élus"}).status_code == 200


@pytest.mark.parametrize("rows", [1, 60])
def test_a_search_is_read_once_then_its_pages_read_their_rows_only(
    rows, anon_client, sized, django_assert_num_queries
):
    sized(rows)
    anon_client.get(URL, {"q": "élus"})
    # ministries, page rows, highlights: the estimate and the ranked ids are cached
    with django_assert_num_queries(3):
        assert anon_client.get(URL, {"q": "élus", "page": 2}).status_code == 200
    anon_client.get(URL)
    # ministries, page rows: the list's capped count is cached too
    with django_assert_num_queries(2):
        assert anon_client.get(URL, {"page": 2}).status_code == 200


def test_a_ministry_of_another_role_does_not_change_what_is_read(request, entries):
    """Same rows for an administrator of the drafts' ministry as for a stranger."""
    stranger = login(user_with(Membership.Role.MINISTRY_ADMIN, MinistryFactory()))
    amd = request.getfixturevalue("amd_client")
    assert row_titles(stranger.get(URL)) == row_titles(amd.get(URL)) == [PUBLISHED_TITLE]
