"""Import and export pages in a real browser: upload a CSV, read the dry run, confirm; axe."""

from __future__ import annotations

import pytest

from administrators.models import Membership
from datasets.models import DataAsset
from tests.factories import MembershipFactory, MinistryFactory, OrganizationFactory, UserFactory

CSV = (
    "titre;description;mots_cles;nom_orga;service;contact_personne;date_maj;freq_maj;couv_geo;"
    "format;licence\r\n"
    "Répertoire des élus;Élus locaux et nationaux;élus,mandats;Direction générale des "
    "collectivités locales;Bureau des élections;rne@interieur.gouv.fr;01/03/2024;Mensuelle;"
    "France;CSV;Licence ouverte\r\n"
    "Fichier des associations;Associations déclarées;associations;Direction inconnue;Bureau;"
    "a@interieur.gouv.fr;2024-03-01;Annuelle;France;CSV;\r\n"
)


@pytest.fixture
def amd(transactional_db):
    ministry = MinistryFactory(
        code="interieur", name="Ministère de l'Intérieur", short_name="Intérieur"
    )
    OrganizationFactory(ministry=ministry, name="Direction générale des collectivités locales")
    user = UserFactory(email="amd@interieur.gouv.fr")
    MembershipFactory(user=user, role=Membership.Role.MINISTRY_ADMIN, ministry=ministry)
    return user


def test_upload_dry_run_confirm_and_export(page, login_as, assert_accessible, amd, tmp_path):
    login_as(page, amd)
    page.goto("/inventaire/import/")
    assert_accessible(page)
    path = tmp_path / "inventaire.csv"
    path.write_bytes(CSV.encode("cp1252"))
    page.get_by_label("Fichier à importer").set_input_files(str(path))
    page.get_by_role("button", name="Analyser le fichier").click()

    page.wait_for_url("**/inventaire/import/*/")
    page.get_by_text("Analyse (rien n'est encore enregistré)").wait_for()
    assert "1 entrée(s) à créer" in page.content()
    assert "Organisations non rapprochées" in page.content()
    assert "Direction inconnue" in page.content()
    assert_accessible(page)
    assert DataAsset.objects.count() == 0

    page.get_by_role("button", name="Confirmer l'import").click()
    page.get_by_text("Résultat de l'import").wait_for()
    assert "1 entrée(s) créée(s)" in page.content()
    assert_accessible(page)
    assert list(DataAsset.objects.values_list("title", flat=True)) == ["Répertoire des élus"]

    page.goto("/inventaire/export/")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).first.click()
    assert download.value.suggested_filename.endswith(".csv")


def test_a_bad_file_is_refused_on_the_form(page, login_as, assert_accessible, amd, tmp_path):
    login_as(page, amd)
    page.goto("/inventaire/import/")
    path = tmp_path / "vide.csv"
    path.write_bytes(b"titre;description\r\n")
    page.get_by_label("Fichier à importer").set_input_files(str(path))
    page.get_by_role("button", name="Analyser le fichier").click()
    page.get_by_text("que la ligne d'en-tête").wait_for()
    assert_accessible(page)


def test_progress_page_polls_until_the_analysis_is_done(page, login_as, assert_accessible, amd):
    from datasets.models import ImportJob
    from datasets.tasks import import_analyse

    ministry = amd.memberships.get().ministry
    job = ImportJob.objects.create(
        ministry=ministry,
        filename="inventaire.csv",
        payload=CSV.encode("utf-8"),
        size=len(CSV),
        created_by=amd,
    )
    login_as(page, amd)
    page.goto(f"/inventaire/import/{job.pk}/")
    assert page.locator("progress#import-progress-bar").is_visible()
    assert "Déposé" in page.locator("#import-state").inner_text()
    assert_accessible(page)
    import_analyse(job.pk)  # the worker finishes; the page notices through the JSON status
    page.get_by_text("Analyse (rien n'est encore enregistré)").wait_for(timeout=15000)
    job.refresh_from_db()
    assert "1 entrée(s) à créer" in page.content(), job.report["rows"]
