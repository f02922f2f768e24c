"""Review of session 6's late commits (aaac91b..): the public search restricted to the weights
A, B and C (datasets/search.py `_public`, migrations datasets/0013 and 0014), the rank,
`core.forms.QuickSelect`."""

import re

import pytest
from django import forms
from django.db import connection
from django.utils.safestring import mark_safe

from core.forms import QuickSelect
from datasets import search
from datasets.models import DataAsset
from tests.datasets.factories import AssetFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="stored vector: PostgreSQL"
)

# Queries written to break the SQL that appends ':ABC' to each word of the tsquery's text, or
# to reach the weight D anyway.
HOSTILE = [
    "gestaprox",
    "gestaprox:*",
    "gestaprox:D",
    "gestaprox:*D",
    "'gestaprox'",
    "'gestaprox':D",
    "''gestaprox''",
    "\\'gestaprox",
    "gestaprox\\",
    "gest'aprox",
    "gestʼaprox",  # a letter apostrophe (U+02BC): a word holding a quote
    "ʹgestaprox",
    "gestaprox & registre",
    "gestaprox | registre",
    "!gestaprox",
    "gestaprox <-> registre",
    '"gestaprox"',
    '"gestaprox',
    "-gestaprox",
    "registre or gestaprox",
    "registre -gestaprox",
    "(gestaprox)",
    "gestaprox\x00",
    "\x00",
    "%s %% {} $1",
    "gestaprox " + "é" * 190,
    "gestaprox:" * 20,
    "'" * 200,
    "\\" * 200,
]


@pytest.fixture
def system_only(organization):
    """A published entry whose internal system alone names « gestaprox »."""
    return AssetFactory(
        organization=organization,
        title="Registre des subventions",
        description="Montants versés.",
        service="",
        keywords=[],
        source_system="GESTAPROX",
        visibility="PUBLISHED",
    )


def _public_titles(client, q):
    response = client.get("/inventaire/catalogue/", {"q": q})
    assert response.status_code == 200
    return [row["title"] for row, _ in response.context["rows"]]


@pytest.mark.django_db
@pytest.mark.parametrize("q", HOSTILE)
def test_no_query_breaks_the_public_search_or_reaches_the_system(anon_client, system_only, q):
    """Whatever is typed: a page (no 500), and the same rows as without the system."""
    with_system = _public_titles(anon_client, q)
    DataAsset.objects.filter(pk=system_only.pk).update(source_system="")
    assert _public_titles(anon_client, q) == with_system


@pytest.mark.django_db
@postgres_only
@pytest.mark.parametrize("q", HOSTILE)
def test_every_word_of_the_public_tsquery_is_restricted(q):
    """The text of the public tsquery is the plain one with ':ABC' after each word."""
    q = search.normalise_query(q.replace("\x00", ""))
    if not q:
        return
    forms_ = list(search.query_forms(q))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT ({search._PUBLIC_TSQUERY})::text, ({search.TSQUERY})::text", forms_ * 2
        )
        public, plain = cursor.fetchone()
    words = re.findall(r"'(?:[^']|'')*'(:ABC)?", public)
    assert all(words) and public.replace(":ABC", "") == plain


@pytest.mark.django_db
@postgres_only
@pytest.mark.parametrize("public", [False, True])
@pytest.mark.parametrize("q", ["élu", "élus", "registre -élu", '"registre des élus"', "élu or x"])
def test_the_rank_only_orders(organization, public, q):
    common = {"organization": organization, "keywords": [], "service": ""}
    AssetFactory(title="Répertoire national des élus", description="Registre.", **common)
    AssetFactory(title="Registre des élus locaux", description="Liste d'un élu.", **common)
    AssetFactory(title="Subventions", description="Versées à la demande d'un élu.", **common)
    qs = DataAsset.objects.all()
    ranked = search.apply_search(qs, q, rank=True, public=public)
    plain = search.apply_search(qs, q, rank=False, public=public)
    assert sorted(ranked.values_list("pk", flat=True)) == sorted(plain.values_list("pk", flat=True))
    assert all(rank is not None for rank in ranked.values_list("search_rank", flat=True))


@pytest.mark.django_db
@postgres_only
def test_the_system_does_not_change_what_the_public_text_finds(anon_client, organization):
    """« élus » in a title is found by « élu » (its singular stem 'elu', migration 0011). With
    0011's unpositioned stems, a system named « ELU » left 'elu' with its D position only: the
    public search « élu » lost the entry and « -élu » kept it, telling what the internal system
    says. Since 0014 the stem keeps its own position and weight (A)."""
    common = {"organization": organization, "keywords": [], "service": "", "description": "Liste."}
    AssetFactory(title="Répertoire des élus", source_system="", visibility="PUBLISHED", **common)
    AssetFactory(title="Annuaire des élus", source_system="ELU", visibility="PUBLISHED", **common)
    assert sorted(_public_titles(anon_client, "élu")) == [
        "Annuaire des élus",
        "Répertoire des élus",
    ]
    assert _public_titles(anon_client, "élus -élu") == []


# --- QuickSelect: Django's Select markup in the cases its first tests left out ------------


def _tight(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize(
    ("choices", "value"),
    [
        ([(None, "Aucun"), (1, "Un")], None),  # a None value is written ""
        ([("1", "Un"), (1, "Le même")], "1"),  # one option selected, the first
        ([(1, mark_safe("<abbr>MI</abbr>"))], "1"),  # a label marked safe is not escaped again
        ([("", "Tous"), (1, "Culture & <b>sport</b>")], "1"),
    ],
)
def test_quick_select_writes_what_select_writes(choices, value):
    quick = QuickSelect(choices=choices).render("n", value, {"id": "id_n"})
    django = forms.Select(choices=choices).render("n", value, {"id": "id_n"})
    assert _tight(quick) == _tight(django)
