"""Guide pages in the browser: list, search, reading page with its table of contents, history
and the editor's publication, each checked with axe-core."""

from playwright.sync_api import expect

from administrators.models import Membership
from guides.models import Guide
from tests.factories import MembershipFactory, UserFactory
from tests.guides.factories import VersionFactory, published_guide


def test_public_guide_pages_pass_axe(page, assert_accessible):
    guide = published_guide(
        guide__title="L'ouverture des données publiques",
        body="## Le principe\n\nTexte.\n\n## Les exceptions\n\n### Les secrets\n\nTexte.",
    )
    page.goto("/guides/")
    assert_accessible(page)
    page.get_by_label("Rechercher dans les guides").fill("ouverture")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="L'ouverture des données publiques").click()
    expect(
        page.get_by_role("heading", level=1, name="L'ouverture des données publiques")
    ).to_be_visible()
    toc = page.get_by_role("navigation", name="Sommaire")
    toc.get_by_role("link", name="Les exceptions").click()
    assert page.url.endswith("#les-exceptions")
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator("header.fr-header")).to_be_hidden()
    page.emulate_media(media="screen")
    page.goto(f"/guides/{guide.slug}/historique/")
    assert_accessible(page)


def test_editor_publishes_a_version(page, login_as, assert_accessible):
    staff = UserFactory(email="redaction@numerique.gouv.fr")
    MembershipFactory(user=staff, role=Membership.Role.DINUM_STAFF, ministry=None)
    guide = published_guide(guide__title="Guide des algorithmes publics")
    VersionFactory(
        guide=guide, version="1.1.0", changelog="Registre mis à jour.", status="EN_RELECTURE"
    )
    login_as(page, staff)
    page.goto(f"/guides/{guide.slug}/historique/")
    assert_accessible(page)
    page.get_by_role("button", name="Publier la version 1.1.0").click()
    expect(page.get_by_text("est désormais « Publiée »")).to_be_visible()
    guide.refresh_from_db()
    assert guide.published_version.version == "1.1.0"
    page.goto("/guides/nouveau/")
    assert_accessible(page)
    page.get_by_label("Titre", exact=True).fill("Guide piégé")
    page.locator("#id_theme").select_option(label="API")
    page.locator("#id_body").fill("<script>alert(1)</script>")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("contenu interdit").first).to_be_visible()
    assert not Guide.objects.filter(title="Guide piégé").exists()
