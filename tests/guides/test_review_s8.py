"""Review of the guides (session 8): search input, concurrent edits, workflow, flags, API."""

import pytest
from django.db import connection

from guides import selectors
from tests.guides.factories import published_guide

pytestmark = pytest.mark.django_db


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["\x00", "données\x00", "a\x00b\x01c"])
def test_search_with_a_nul_character_answers_instead_of_failing(anon_client, query):
    guide = published_guide(guide__title="Qualité des données")
    assert anon_client.get("/guides/", {"q": query}).status_code == 200
    api = anon_client.get("/api/v1/guides/", {"q": query})
    # The API's filter form refuses a NUL itself, in French.
    assert api.status_code == 400 and "caractère nul" in api.content.decode(), api.content
    # Control characters are spaces: nothing left is no query at all.
    found = list(selectors.guide_list(None, query=query))
    assert found == ([] if query == "a\x00b\x01c" else [guide])


@pytest.mark.parametrize(
    "query", ["donnees", "DONNÉES", "metadonnees", "échéancier", "echeanciers", "qualite"]
)
def test_search_ignores_accents(query):
    """Users type without accents: « donnees » must find « données » (as the inventory does)."""
    if connection.vendor != "postgresql":
        pytest.skip("French full-text search")
    guide = published_guide(
        guide__title="Qualité des données",
        body="Les métadonnées et l'échéancier de mise à jour.",
    )
    published_guide(guide__title="API", body="Exposer une interface.")
    assert list(selectors.guide_list(None, query=query)) == [guide]


# --- two editors, one draft ---------------------------------------------------------------------


def test_second_save_of_the_same_draft_is_refused_and_the_first_is_kept(dinum_client):
    from tests.factories import MembershipFactory, UserFactory
    from tests.guides.factories import VersionFactory

    draft = VersionFactory(body="Texte initial.")
    url = f"/guides/{draft.guide.slug}/versions/1.0.0/modifier/"
    other = UserFactory(first_name="Camille", last_name="Relectrice")
    MembershipFactory(user=other, role="DINUM_STAFF", ministry=None)
    other_client = type(dinum_client)()
    other_client.force_login(other)

    def form_of(client):
        form = client.get(url).context["form"]
        values = {name: form[name].value() for name in form.fields}
        return {name: "" if value is None else value for name, value in values.items()}

    mine, theirs = form_of(dinum_client), form_of(other_client)
    theirs["body"] = "Texte de Camille."
    assert other_client.post(url, theirs).status_code == 302
    mine["body"] = "Mon texte."
    response = dinum_client.post(url, mine)
    assert response.status_code == 200
    page = response.content.decode()
    assert "modifiée par Camille Relectrice" in page and "ont pas été enregistrées" in page
    assert "Mon texte." in page  # the refused input is kept on the form
    draft.refresh_from_db()
    assert draft.body == "Texte de Camille."


def test_service_refuses_an_update_based_on_a_stale_read(dinum_user):
    import datetime

    from django.core.exceptions import ValidationError

    from guides import services
    from tests.guides.factories import VersionFactory

    draft = VersionFactory(body="Texte initial.")
    read_at = draft.updated_at
    services.guide_version_update(actor=dinum_user, version=draft, body="Premier.")
    with pytest.raises(ValidationError, match="entre-temps"):
        services.guide_version_update(
            actor=dinum_user, version=draft, body="Second.", expected_updated_at=read_at
        )
    draft.refresh_from_db()
    assert draft.body == "Premier."
    services.guide_version_update(
        actor=dinum_user,
        version=draft,
        body="Second.",
        expected_updated_at=draft.updated_at.astimezone(datetime.UTC),
    )


# --- workflow -------------------------------------------------------------------------------------


def test_the_version_in_force_is_not_archived_by_hand(dinum_user, dinum_client, anon_client):
    """Archiving the only published version took the guide off line (404, out of the list and
    search) while its versions stayed « public »: it is replaced by publishing the next one."""
    from django.core.exceptions import ValidationError

    from guides import services
    from guides.models import GuideVersion

    guide = published_guide()
    version = guide.published_version
    with pytest.raises(ValidationError, match="publiez une nouvelle version"):
        services.guide_version_transition(
            actor=dinum_user, version=version, to_status=GuideVersion.Status.ARCHIVEE
        )
    history = dinum_client.get(f"/guides/{guide.slug}/historique/").content.decode()
    assert "Archiver la version" not in history
    response = dinum_client.post(
        f"/guides/{guide.slug}/versions/1.0.0/statut/", {"status": "ARCHIVEE"}, follow=True
    )
    assert "publiez une nouvelle version" in response.content.decode()
    guide.refresh_from_db()
    version.refresh_from_db()
    assert guide.published_version == version and version.status == GuideVersion.Status.PUBLIEE
    assert anon_client.get(f"/guides/{guide.slug}/").status_code == 200


# --- « à revoir » -------------------------------------------------------------------------------


def test_an_archived_version_is_not_flagged_for_review(dinum_user, anon_client):
    """The flag asks for a new version; once it is published, the archived one no longer says
    « à revoir » nor that « le guide est en cours de relecture »."""
    import datetime

    from core.models import LegalReference
    from guides import services
    from guides.models import GuideVersion

    S = GuideVersion.Status
    ref = LegalReference.objects.get(code="CRPA_L312-1-2")
    guide = services.guide_create(
        actor=dinum_user,
        title="Occultation",
        theme="ANONYMISATION",
        body="## Principe\n\nT.",
        version="1.0.0",
        changelog="v1",
        legal_reference_ids=[ref.pk],
    )
    v1 = guide.versions.get()
    for status in (S.EN_RELECTURE, S.PUBLIEE):
        services.guide_version_transition(actor=dinum_user, version=v1, to_status=status)
    GuideVersion.objects.filter(pk=v1.pk).update(
        published_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    ref.excerpt = "Texte modifié."
    ref.save()
    assert "à revoir" in anon_client.get(f"/guides/{guide.slug}/").content.decode()

    v2 = services.guide_version_create(
        actor=dinum_user,
        guide=guide,
        version="1.1.0",
        body="## Principe\n\nT2.",
        changelog="Texte modifié pris en compte.",
        legal_reference_ids=[ref.pk],
    )
    for status in (S.EN_RELECTURE, S.PUBLIEE):
        services.guide_version_transition(actor=dinum_user, version=v2, to_status=status)

    for url in (
        f"/guides/{guide.slug}/",
        f"/guides/{guide.slug}/versions/1.0.0/",
        f"/guides/{guide.slug}/historique/",
    ):
        page = anon_client.get(url).content.decode()
        assert "à revoir" not in page and "en cours de relecture" not in page, url
    api = anon_client.get(f"/api/v1/guides/{guide.slug}/versions/").json()
    assert [(v["version"], v["needs_review"]) for v in api] == [
        ("1.1.0", False),
        ("1.0.0", False),
    ]
    listed = anon_client.get(f"/api/v1/guide-versions/?guide={guide.slug}").json()["results"]
    assert not any(v["needs_review"] for v in listed)


# --- API validation -------------------------------------------------------------------------------


def test_api_bad_version_number_is_reported_on_the_version_field(dinum_client):
    from guides.models import Guide

    r = dinum_client.post(
        "/api/v1/guides/",
        {"title": "Guide", "theme": "API", "body": "Texte.", "version": "v1"},
        format="json",
    )
    assert r.status_code == 400
    assert "MAJEUR.MINEUR.CORRECTIF" in " ".join(r.json().get("version", []))
    assert not Guide.objects.exists()


def test_title_without_letters_asks_for_an_address(dinum_client):
    from guides.models import Guide

    r = dinum_client.post(
        "/api/v1/guides/", {"title": "???", "theme": "API", "body": "Texte."}, format="json"
    )
    assert r.status_code == 400
    assert "Indiquez une adresse" in " ".join(r.json().get("slug", []))
    page = dinum_client.post(
        "/guides/nouveau/", {"title": "???", "theme": "API", "version": "1.0.0", "body": "T."}
    ).content.decode()
    assert "Indiquez une adresse" in page
    assert not Guide.objects.exists()


def test_api_search_results_come_by_relevance_like_the_page(anon_client):
    many = published_guide(guide__title="Zèbre", body="Données, données, données ouvertes.")
    once = published_guide(guide__title="Abeille", body="Un mot sur les données.")
    page = anon_client.get("/guides/", {"q": "données"}).context["page_obj"]
    api = anon_client.get("/api/v1/guides/", {"q": "données"}).json()["results"]
    assert [g.slug for g in page] == [many.slug, once.slug]
    assert [g["slug"] for g in api] == [many.slug, once.slug]
    by_title = anon_client.get("/api/v1/guides/", {"q": "données", "ordering": "title"}).json()
    assert [g["slug"] for g in by_title["results"]] == [once.slug, many.slug]


def test_api_versions_are_never_listed_twice_and_the_guide_filter_is_documented(anon_client):
    from core.models import LegalReference

    guide = published_guide()
    other = published_guide()
    guide.published_version.legal_references.set(LegalReference.objects.order_by("code")[:3])
    for ordering in ("legal_references", "-legal_references"):
        r = anon_client.get("/api/v1/guide-versions/", {"ordering": ordering})
        ids = sorted(v["id"] for v in r.json()["results"])
        assert ids == sorted([guide.published_version.pk, other.published_version.pk]), ordering
        assert r.json()["count"] == 2
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    listing = schema["paths"]["/api/v1/guide-versions/"]["get"]
    assert "guide" in [p["name"] for p in listing["parameters"]]


def test_api_patch_with_a_stale_read_is_refused_with_409(dinum_client):
    from tests.guides.factories import VersionFactory

    draft = VersionFactory(body="Texte initial.")
    url = f"/api/v1/guide-versions/{draft.pk}/"
    read = dinum_client.get(url).json()["updated_at"]
    r = dinum_client.patch(url, {"body": "Premier.", "expected_updated_at": read}, format="json")
    assert r.status_code == 200, r.content
    r = dinum_client.patch(url, {"body": "Second.", "expected_updated_at": read}, format="json")
    assert r.status_code == 409 and "entre-temps" in r.content.decode()
    draft.refresh_from_db()
    assert draft.body == "Premier."
    bad = dinum_client.patch(url, {"body": "X.", "expected_updated_at": "hier"}, format="json")
    assert bad.status_code == 400 and "expected_updated_at" in bad.json()


def test_edit_form_without_its_read_time_asks_to_reload(dinum_client):
    from tests.guides.factories import VersionFactory

    draft = VersionFactory(body="Texte initial.")
    url = f"/guides/{draft.guide.slug}/versions/1.0.0/modifier/"
    for loaded_at in ("", "hier"):
        response = dinum_client.post(url, {"body": "Autre.", "loaded_at": loaded_at})
        assert response.status_code == 200
        assert "rechargez la page" in response.content.decode()
    draft.refresh_from_db()
    assert draft.body == "Texte initial."


def test_every_audited_guide_action_has_a_french_label():
    """Each action `guides.services` records is named in French on the history page."""
    import re
    from pathlib import Path

    from guides import services
    from guides.models import GuideVersion
    from guides.selectors import ACTION_LABELS

    source = Path(services.__file__).read_text()
    actions = set(re.findall(r'action="(guide\.[a-z_]+)"', source))
    actions |= {f"guide.version_{s.lower()}" for s in GuideVersion.Status.values}
    assert actions <= set(ACTION_LABELS), actions - set(ACTION_LABELS)


def test_api_patch_refused_field_by_field_is_a_400_not_a_500(dinum_client):
    """A refusal of the service naming fields (as `full_clean` gives it) answers 400 with its
    message; only a concurrent edit answers 409."""
    from unittest import mock

    from django.core.exceptions import ValidationError as DjangoValidationError

    from tests.guides.factories import VersionFactory

    draft = VersionFactory(body="Texte initial.")
    refusal = DjangoValidationError({"body": ["Le texte ne convient pas."]})
    with mock.patch("guides.services.guide_version_update", side_effect=refusal):
        r = dinum_client.patch(
            f"/api/v1/guide-versions/{draft.pk}/", {"body": "Autre."}, format="json"
        )
    assert r.status_code == 400, r.content
    assert "Le texte ne convient pas." in r.content.decode()
