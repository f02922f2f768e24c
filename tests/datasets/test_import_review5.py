"""Import review 5: mandatory ministry-specific fields (forms, API, import), new formats only
from the rows that write them, the organisation's SIRET / id_alt of a row reported rather than
dropped, imports with nothing to apply closed at once, and progress for small files."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from administrators.models import Organization
from datasets import importing
from datasets.forms import AssetForm
from datasets.models import DataAsset, ExtraFieldDefinition, Format, ImportJob
from datasets.tasks import confirm_import, import_apply
from tests.datasets.factories import AssetFactory
from tests.datasets.test_import import HEADER, SIRET, analyse, apply, csv_bytes, row
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

SHARED = Path(settings.SHARED_DATA_DIR)
REVIEW = "Date de revue"
IGN = "Institut national de l'information géographique et forestière"


def _luhn_siret(prefix: str) -> str:
    """A valid SIRET starting with the 13 digits `prefix` (Luhn key)."""
    for last in "0123456789":
        candidate = prefix + last
        total = 0
        for i, char in enumerate(reversed(candidate)):
            digit = int(char) * (2 if i % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return candidate
    raise AssertionError(prefix)


OTHER_SIRET = _luhn_siret("1300000000001")


def _review_field(ministry, **over) -> ExtraFieldDefinition:
    values = {"code": "revue", "label": REVIEW, "kind": "DATE", "required": True}
    values.update(over)
    return ExtraFieldDefinition.objects.create(ministry=ministry, **values)


def _errors(job, line):
    found = [r for r in job.report["rows"] if r["line"] == line]
    assert found, line
    return [(e["column"], e["message"]) for e in found[0]["errors"]]


def _row_of(job, line):
    return [r for r in job.report["rows"] if r["line"] == line][0]


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- 1a. The entry form: a mandatory extra field is a required form field ----------------------


def test_a_mandatory_extra_field_is_required_in_the_form_and_not_marked_optional(
    amd_client, ministry, organization
):
    _review_field(ministry)
    ExtraFieldDefinition.objects.create(ministry=ministry, code="note", label="Note", kind="TEXT")
    page = amd_client.get("/inventaire/nouvelle/").content.decode()
    assert re.search(rf"{REVIEW}\s*</label>", page)
    assert not re.search(rf"{REVIEW}\s*\(Optionnel\)", page)
    assert re.search(r"Note\s*\(Optionnel\)", page)  # an optional one still says so
    form = AssetForm(
        organizations=Organization.objects.all(),
        processings=DataAsset.objects.none(),
        definitions=ExtraFieldDefinition.objects.filter(ministry=ministry),
    )
    assert form.fields["extra__revue"].required
    assert not form.fields["extra__note"].required


def _create_payload(organization, **extra):
    return {
        "organization": organization.pk,
        "title": "Fichier des élus",
        "description": "Répertoire",
        "asset_type": "BASE_DE_DONNEES",
        "visibility": "DRAFT",
        "sharing_mode": "OPEN",
        "keywords": "élus",
        **extra,
    }


def test_the_form_refuses_a_missing_mandatory_value_naming_the_field_once(
    amd_client, ministry, organization
):
    _review_field(ministry)
    response = amd_client.post("/inventaire/nouvelle/", _create_payload(organization))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["extra__revue"] == ["Ce champ est obligatoire."]
    assert DataAsset.objects.count() == 0
    response = amd_client.post(
        "/inventaire/nouvelle/", _create_payload(organization, extra__revue="2026-03-31")
    )
    assert response.status_code == 302
    assert DataAsset.objects.get().extra == {"revue": "2026-03-31"}


def test_a_bad_extra_value_in_the_form_is_shown_under_the_field_without_its_label(
    amd_client, ministry, organization
):
    ExtraFieldDefinition.objects.create(
        ministry=ministry, code="budget", label="Budget", kind="NUMBER"
    )
    response = amd_client.post(
        "/inventaire/nouvelle/", _create_payload(organization, extra__budget="beaucoup")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["extra__budget"] == ["« beaucoup » n'est pas un nombre."]


def test_the_form_asks_an_existing_entry_without_the_value_to_fill_it(
    amd_client, ministry, organization
):
    asset = AssetFactory(organization=organization, title="Ancienne")
    _review_field(ministry)  # made mandatory after the entry was created
    payload = _create_payload(organization, title="Ancienne modifiée", version=asset.version)
    response = amd_client.post(f"/inventaire/{asset.pk}/modifier/", payload)
    assert response.status_code == 200
    assert response.context["form"].errors["extra__revue"] == ["Ce champ est obligatoire."]
    asset.refresh_from_db()
    assert asset.title == "Ancienne"


# --- 1b. The API names the field once ------------------------------------------------------------


def test_the_api_names_a_missing_mandatory_field_once(amd_client, ministry, organization):
    _review_field(ministry)
    payload = {
        "organization": organization.pk,
        "title": "Base",
        "description": "Description",
        "asset_type": "BASE_DE_DONNEES",
    }
    response = amd_client.post("/api/v1/datasets/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["extra.revue"] == [f"Le champ « {REVIEW} » est obligatoire."]
    bad = amd_client.post(
        "/api/v1/datasets/", {**payload, "extra": {"revue": "demain"}}, format="json"
    )
    assert bad.json()["extra.revue"] == [f"{REVIEW} : la date « demain » n'est pas valide."]
    good = amd_client.post(
        "/api/v1/datasets/", {**payload, "extra": {"revue": "2026-03-31"}}, format="json"
    )
    assert good.status_code == 201, good.json()


def test_an_api_update_without_extra_keeps_an_entry_lacking_the_mandatory_value(
    amd_client, ministry, organization
):
    asset = AssetFactory(organization=organization)
    _review_field(ministry)
    response = amd_client.patch(
        f"/api/v1/datasets/{asset.pk}/", {"title": "Renommée", "version": 1}, format="json"
    )
    assert response.status_code == 200, response.json()
    asset.refresh_from_db()
    assert asset.title == "Renommée" and asset.extra == {}


# --- 1c. The import: absent column = no change; a new entry must carry the value --------------


@pytest.fixture
def existing(amd_user, ministry, organization):
    """Two entries imported before « Date de revue » became mandatory (one with a value)."""
    definition = _review_field(ministry, required=False)
    header = HEADER + f",{REVIEW}"
    rows = [row("Sans revue"), row("Avec revue", **{REVIEW: "2025-06-30"})]
    apply(analyse(amd_user, ministry, csv_bytes(rows, header=header)), amd_user)
    definition.required = True
    definition.save()
    return definition


def test_reimporting_the_extended_export_keeps_existing_rows_unchanged(
    amd_client, amd_user, ministry, existing
):
    exported = _body(amd_client.get("/inventaire/export.csv?etendu=1"))
    assert REVIEW in exported.decode().splitlines()[0]
    job = analyse(amd_user, ministry, exported, "export.csv")
    assert job.report["counts"] == {"created": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    without = next(r for r in job.report["rows"] if r["title"] == "Sans revue")
    assert without["warnings"] == [
        f"{REVIEW} : champ obligatoire que cette entrée n'a pas encore ; à renseigner lors de "
        "sa prochaine modification."
    ]
    # Nothing to write: the job is over (see section 4).
    assert job.state == ImportJob.State.APPLIED


def test_an_etalab_file_without_the_column_updates_existing_entries_and_rejects_new_ones(
    amd_user, ministry, existing
):
    data = csv_bytes(
        [
            row("Sans revue"),
            row("Avec revue", couv_geo="France entière"),
            row("Nouvelle entrée"),
        ]
    )
    job = analyse(amd_user, ministry, data)
    assert job.report["counts"] == {"created": 0, "updated": 1, "unchanged": 1, "rejected": 1}
    assert _errors(job, 4) == [
        (
            REVIEW,
            "Ce champ est obligatoire pour créer une entrée, et le fichier n'a pas cette "
            "colonne : ajoutez-la et renseignez-la.",
        )
    ]
    apply(job, amd_user)
    updated = DataAsset.objects.get(title="Avec revue")
    assert updated.geo_coverage == "France entière"
    assert updated.extra == {"revue": "2025-06-30"}  # kept
    assert DataAsset.objects.get(title="Sans revue").extra == {}
    assert not DataAsset.objects.filter(title="Nouvelle entrée").exists()


def test_a_present_but_empty_mandatory_column(amd_user, ministry, existing):
    header = HEADER + f",{REVIEW}"
    data = csv_bytes(
        [
            row("Sans revue", couv_geo="Outre-mer"),  # changes the entry: must fill the field
            row("Avec revue"),  # would erase the stored value
            row("Nouvelle entrée"),  # a new entry without the value
            row("Nouvelle datée", **{REVIEW: "31/12/2026"}),
        ],
        header=header,
    )
    job = analyse(amd_user, ministry, data)
    assert job.report["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 3}
    assert _errors(job, 2) == [
        (
            REVIEW,
            "Ce champ est obligatoire : renseignez-le pour modifier cette entrée, qui n'a pas "
            "encore de valeur.",
        )
    ]
    assert _row_of(job, 2)["changes"] == []
    assert _errors(job, 3) == [
        (
            REVIEW,
            "Ce champ est obligatoire : la cellule vide effacerait la valeur enregistrée "
            "(« 2025-06-30 »).",
        )
    ]
    assert _errors(job, 4) == [(REVIEW, "Ce champ est obligatoire.")]
    apply(job, amd_user)
    assert DataAsset.objects.get(title="Sans revue").geo_coverage == "France métropolitaine"
    assert DataAsset.objects.get(title="Avec revue").extra == {"revue": "2025-06-30"}
    assert DataAsset.objects.get(title="Nouvelle datée").extra == {"revue": "2026-12-31"}
    # Filled, the update goes through.
    again = analyse(
        amd_user,
        ministry,
        csv_bytes([row("Sans revue", couv_geo="Outre-mer", **{REVIEW: "2027-01-01"})], header),
    )
    assert again.report["counts"]["updated"] == 1
    apply(again, amd_user)
    entry = DataAsset.objects.get(title="Sans revue")
    assert (entry.geo_coverage, entry.extra) == ("Outre-mer", {"revue": "2027-01-01"})


def test_the_report_page_names_the_field_once(amd_client, amd_user, ministry, organization):
    _review_field(ministry)
    job = analyse(amd_user, ministry, csv_bytes([row()]))
    assert job.state == ImportJob.State.FAILED
    page = amd_client.get(f"/inventaire/import/{job.pk}/?lignes=toutes").content.decode()
    assert f"{REVIEW} : Ce champ est obligatoire pour créer une entrée" in page
    assert "revue : Date de revue" not in page
    assert page.count(REVIEW) == 1


def test_bases_json_with_a_mandatory_field_says_why_its_rows_cannot_be_created(
    amd_user, ministry, organization
):
    _review_field(ministry)
    bases = {"Base A": {"description": "x", "gestionnaire": organization.name}}
    job = analyse(amd_user, ministry, json.dumps(bases).encode(), "bases.json")
    assert job.report["counts"]["rejected"] == 1
    (column, message), *_ = _errors(job, 1)
    assert column == REVIEW and "bases.json ne peut pas le porter" in message


def test_a_retired_mandatory_field_is_not_asked_for(amd_user, ministry, organization):
    from django.utils import timezone

    _review_field(ministry, retired_at=timezone.now())
    job = analyse(amd_user, ministry, csv_bytes([row()]))
    assert job.report["counts"]["created"] == 1


# --- 2. New formats: only those the created / updated rows write --------------------------------


def test_new_formats_of_rejected_rows_are_neither_listed_nor_created(
    amd_client, amd_user, ministry, organization
):
    data = csv_bytes(
        [
            row("Rejetée", format="FOO", contact_service="pas-une-adresse"),
            row("Créée", format="CSV,Bar"),
            row("Créée aussi", format="bar"),  # the same format, one name
        ]
    )
    job = analyse(amd_user, ministry, data)
    assert job.report["counts"]["rejected"] == 1
    assert job.report["new_formats"] == ["Bar"]
    page = amd_client.get(f"/inventaire/import/{job.pk}/").content.decode()
    assert "Bar" in page and "FOO" not in page
    before = set(Format.objects.values_list("name", flat=True))
    job = apply(job, amd_user)
    assert set(Format.objects.values_list("name", flat=True)) - before == {"Bar"}
    assert job.report["new_formats"] == ["Bar"]


def test_new_formats_of_an_update_are_listed_and_of_an_unchanged_row_never(
    amd_user, ministry, organization
):
    apply(analyse(amd_user, ministry, csv_bytes([row("A"), row("B")])), amd_user)
    job = analyse(
        amd_user,
        ministry,
        csv_bytes([row("A", format="CSV,XLSX,Baz"), row("B", couv_geo="x", format="CSV,XLSX")]),
    )
    assert job.report["counts"]["updated"] == 2
    assert job.report["new_formats"] == ["Baz"]
    apply(job, amd_user)
    assert Format.objects.filter(name="Baz").count() == 1
    assert sorted(f.name for f in DataAsset.objects.get(title="A").formats.all()) == [
        "Baz",
        "CSV",
        "XLSX",
    ]


# --- 3. The organisation's SIRET and id_alt of a row -----------------------------------------


def _example_csv() -> bytes:
    return (SHARED / "catalogue-schema" / "exemple-valide.csv").read_bytes()


def _warnings(job, line=2):
    return _row_of(job, line)["warnings"]


def test_a_siret_the_organisation_lacks_is_reported_not_dropped(amd_client, amd_user, ministry):
    ign = OrganizationFactory(ministry=ministry, name=IGN)
    job = analyse(amd_user, ministry, _example_csv(), "exemple-valide.csv")
    assert job.report["counts"]["created"] == 1
    assert job.report["counts"]["rejected"] == 0
    assert _warnings(job)[:2] == [
        f"siret_orga : SIRET {SIRET} du fichier ignoré : l'organisation « {IGN} » n'a pas de "
        "SIRET dans le portail (l'import ne modifie pas les organisations ; corrigez l'annuaire "
        "si besoin).",
        f"id_alt_orga : identifiant « W343008792 » du fichier ignoré : l'organisation « {IGN} » "
        "n'a pas d'identifiant alternatif dans le portail (l'import ne modifie pas les "
        "organisations ; corrigez l'annuaire si besoin).",
    ]
    page = amd_client.get(f"/inventaire/import/{job.pk}/").content.decode()
    assert f"SIRET {SIRET} du fichier ignoré" in page
    job = apply(job, amd_user)
    assert f"SIRET {SIRET} du fichier ignoré" in _warnings(job)[0]  # in the result too
    ign.refresh_from_db()
    assert (ign.siret, ign.id_alt) == ("", "")  # reference data: not changed by an import


def test_a_different_siret_and_id_alt_are_reported(amd_user, ministry):
    OrganizationFactory(ministry=ministry, name=IGN, siret=OTHER_SIRET, id_alt="IGN-1")
    job = analyse(amd_user, ministry, _example_csv(), "exemple-valide.csv")
    assert job.report["counts"]["created"] == 1
    warnings = _warnings(job)
    assert warnings[0].startswith(
        f"siret_orga : SIRET {SIRET} du fichier ignoré : l'organisation « {IGN} » a le SIRET "
        f"{OTHER_SIRET} dans le portail"
    )
    assert warnings[1].startswith(
        "id_alt_orga : identifiant « W343008792 » du fichier ignoré : l'organisation "
        f"« {IGN} » a l'identifiant « IGN-1 » dans le portail"
    )


def test_the_same_siret_and_id_alt_say_nothing_and_the_siret_still_matches_first(
    amd_user, ministry
):
    OrganizationFactory(ministry=ministry, name=IGN, siret=SIRET, id_alt="w343008792")
    homonym = OrganizationFactory(ministry=ministry, name="Autre direction")
    job = analyse(amd_user, ministry, _example_csv(), "exemple-valide.csv")
    assert job.report["counts"]["created"] == 1
    assert not [w for w in _warnings(job) if w.startswith(("siret_orga", "id_alt_orga"))]
    # Matched by SIRET even when the name says another organisation of the ministry.
    data = csv_bytes([row(org=homonym.name, siret_orga=SIRET)])
    job = analyse(amd_user, ministry, data)
    assert _warnings(job) == [
        "nom_orga : « Autre direction » du fichier ignoré : la ligne est rattachée par son SIRET "
        f"à l'organisation « {IGN} » du portail."
    ]
    apply(job, amd_user)
    assert DataAsset.objects.get(title="Arbres vivants").organization.name == IGN


def test_a_siret_of_no_organisation_with_a_matching_name_round_trips_with_a_warning(
    amd_client, amd_user, ministry, organization
):
    organization.siret = OTHER_SIRET
    organization.save()
    data = csv_bytes([row(siret_orga=SIRET)])
    job = analyse(amd_user, ministry, data)
    assert job.report["counts"]["created"] == 1
    assert any(
        w.startswith(f"siret_orga : SIRET {SIRET} du fichier ignoré") for w in _warnings(job)
    )
    apply(job, amd_user)
    exported = _body(amd_client.get("/inventaire/export.csv")).decode()
    line = next(csv.DictReader(io.StringIO(exported)))
    assert line["siret_orga"] == OTHER_SIRET  # what the portal holds, as the warning said
    # Re-importing what the portal exports says nothing more.
    again = analyse(amd_user, ministry, exported.encode(), "export.csv")
    assert again.report["counts"]["unchanged"] == 1
    assert not any("siret_orga" in w for w in _warnings(again))


# --- 4a. Nothing to apply: the job ends at once --------------------------------------------------


def test_a_dry_run_with_only_unchanged_rows_ends_imported_without_confirmation(
    amd_client, amd_user, ministry, organization
):
    apply(analyse(amd_user, ministry, csv_bytes([row(), row("Deux")])), amd_user)
    job = analyse(amd_user, ministry, csv_bytes([row(), row("Deux")]))
    assert job.state == ImportJob.State.APPLIED
    assert job.finished_at is not None
    assert bytes(job.payload) == b"" and bytes(job.normalised_plan) == b""
    assert job.report["nothing_to_apply"] and job.report["applied"]
    assert job.report["written"] == {"created": 0, "updated": 0}
    assert not confirm_import(job, amd_user)
    page = amd_client.get(f"/inventaire/import/{job.pk}/").content.decode()
    assert "Confirmer l'import" not in page
    assert "il n'y avait rien à confirmer" in page
    listing = amd_client.get("/inventaire/import/").content.decode()
    assert "Analysé (à confirmer)" not in listing and "Importé" in listing


def test_a_dry_run_rejecting_every_row_ends_failed_with_its_report(
    amd_client, amd_user, ministry, organization
):
    job = analyse(amd_user, ministry, csv_bytes([row(org="Inconnue"), row(date_maj="hier")]))
    assert job.state == ImportJob.State.FAILED
    assert job.error == (
        "Aucune ligne du fichier ne peut être importée : 2 ligne(s) rejetée(s), détaillées "
        "ci-dessous. Corrigez le fichier puis déposez-le à nouveau."
    )
    assert bytes(job.payload) == b""
    page = amd_client.get(f"/inventaire/import/{job.pk}/?lignes=toutes").content.decode()
    assert "Confirmer l'import" not in page and "2 ligne(s) rejetée(s)" in page
    assert DataAsset.objects.count() == 0


def test_an_older_job_with_nothing_to_apply_is_closed_by_its_confirmation(
    amd_client, amd_user, ministry, organization
):
    apply(analyse(amd_user, ministry, csv_bytes([row()])), amd_user)
    job = importing.import_job_create(
        actor=amd_user, ministry=ministry, filename="ancien.csv", data=csv_bytes([row()])
    )
    # As the dry run left such jobs before: analysed, awaiting a confirmation.
    report = importing.analyse_job(job)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.ANALYSED, report=report)
    page = amd_client.get(f"/inventaire/import/{job.pk}/").content.decode()
    assert "Clore cet import" in page
    amd_client.post(f"/inventaire/import/{job.pk}/confirmer/")
    import_apply(job.pk, amd_user.pk)  # what the worker runs once the request has committed
    job.refresh_from_db()
    assert job.state == ImportJob.State.APPLIED
    assert job.report["written"] == {"created": 0, "updated": 0}
    assert DataAsset.objects.count() == 1


# --- 4b. Progress -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "step"), [(0, 1), (5, 1), (19, 1), (406, 20), (5000, 250), (200_000, 500)]
)
def test_progress_step_gives_about_twenty_reports_and_at_most_every_500_rows(total, step):
    assert importing.progress_step(total) == step
    if total:
        assert total // step <= max(importing.PROGRESS_REPORTS, total // 500)


def test_bases_json_reports_its_progress_in_visible_steps(amd_user, ministry, monkeypatch):
    OrganizationFactory(
        ministry=ministry,
        name="Direction de la recherche, des études, de l'évaluation et des statistiques",
    )
    seen: list[tuple[int, int]] = []
    original = importing.job_progress

    def spy(job_id):
        update = original(job_id)

        def record(done, total):
            seen.append((done, total))
            update(done, total)

        return record

    monkeypatch.setattr(importing, "job_progress", spy)
    data = (SHARED / "cartographie-2016" / "bases.json").read_bytes()
    job = analyse(amd_user, ministry, data, "bases.json")
    assert job.report["total"] == 406
    assert [done for done, _ in seen] == list(range(20, 401, 20))
    assert {total for _, total in seen} == {406}
    assert (job.progress_done, job.progress_total) == (406, 406)


def test_the_apply_reports_progress_while_creating(amd_user, ministry, organization):
    job = analyse(amd_user, ministry, csv_bytes([row(f"Jeu {i}") for i in range(45)]))
    seen: list[tuple[int, int]] = []
    with transaction.atomic():
        importing.apply_job(job, actor=amd_user, progress=lambda d, t: seen.append((d, t)))
        transaction.set_rollback(True)
    # 45 rows: a report every 2 rows while sending them, then the end.
    assert seen[:3] == [(2, 45), (4, 45), (6, 45)]
    assert seen[-1] == (45, 45)
    assert len(seen) <= 45 // 2 + 2
    assert DataAsset.objects.count() == 0


def test_the_task_writes_the_applys_progress_to_the_cache(
    amd_user, ministry, organization, monkeypatch
):
    from datasets import tasks

    writes: list[list[int]] = []
    original = tasks.cache.set

    def spy(key, value, *args, **kwargs):
        if key == tasks.progress_cache_key(job.pk):
            writes.append(value)
        return original(key, value, *args, **kwargs)

    job = analyse(amd_user, ministry, csv_bytes([row(f"Jeu {i}") for i in range(30)]))
    monkeypatch.setattr(tasks.cache, "set", spy)
    assert confirm_import(job, amd_user)
    import_apply(job.pk, amd_user.pk)
    assert writes[0] == [1, 30] and writes[-1] == [30, 30]
    assert DataAsset.objects.count() == 30
