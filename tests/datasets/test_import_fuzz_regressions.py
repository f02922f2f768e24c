"""Regressions found by fuzzing the inventory import (one test or more per case, each from the
fuzzer's minimal input): every bad input gets a French message (line, column, reason), nothing
is half-written, no job is left running, the dry run predicts the apply, and a second import of
the same file changes nothing."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError

from core.models import LegalGround
from core.validators import validate_siren, validate_siret
from datasets import importing, tasks
from datasets import validation as v
from datasets.models import (
    AssetStateHistory,
    DataAsset,
    ExtraFieldDefinition,
    ImportJob,
)
from datasets.tabular import FileRejected
from datasets.tasks import import_analyse
from tests.datasets.test_import import SIRET, analyse, apply
from tests.datasets.test_import_review5 import _body, _errors, _row_of
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

DLP = "Direction des libertés publiques"  # the `organization` fixture
CONTROL = "Ce texte contient un caractère de contrôle invisible"


def _json(value) -> bytes:
    return json.dumps(value).encode()


def _state():
    return (DataAsset.objects.count(), AssetStateHistory.objects.count())


def _only_row_errors(job):
    """The (column, message) of the job's single row, which must be rejected."""
    [row] = job.report["rows"]
    assert row["action"] == "rejected"
    return [(e["column"], e["message"]) for e in row["errors"]]


# --- 1. bases.json values of the wrong type ----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "column", "words"),
    [
        (b'{"A":{"gestionnaire":5}}', "gestionnaire", "« gestionnaire » doit être le nom"),
        (b'{"A":{"gestionnaire":{"x":1}}}', "gestionnaire", "« gestionnaire » doit être le nom"),
        (
            _json({"A": {"gestionnaire": DLP, "datasets": 3}}),
            "datasets",
            "« datasets » doit être l'identifiant",
        ),
        (
            _json({"A": {"gestionnaire": [DLP, 7]}}),
            "gestionnaire",
            "« gestionnaire » doit être le nom",
        ),
    ],
)
def test_a_bases_json_value_of_the_wrong_type_rejects_its_entry_in_french(
    amd_user, ministry, organization, data, column, words
):
    job = analyse(amd_user, ministry, data, "bases.json")
    assert job.state == ImportJob.State.FAILED  # every row rejected: closed, not stuck
    [(got_column, message)] = _only_row_errors(job)
    assert got_column == column and words in message
    assert _state() == (0, 0)


def test_a_bases_json_dataset_given_as_one_text_is_one_identifier(amd_user, ministry, organization):
    # The 2016 file writes « datasets » as a text for 15 bases: it is the identifier, not a list
    # of its letters.
    data = _json({"Prix des carburants": {"gestionnaire": DLP, "datasets": "prix-des-carburants"}})
    apply(analyse(amd_user, ministry, data, "bases.json"), amd_user)
    asset = DataAsset.objects.get()
    assert asset.datagouv_dataset_id == "prix-des-carburants"
    assert asset.url == "https://www.data.gouv.fr/fr/datasets/prix-des-carburants/"


# --- 2, 3. NUL and lone surrogates: rejected per row; the job always ends ----------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [(b'{"A\\u0000":{}}', "U+0000"), (b'{"A\\ud800":{}}', "U+D800")],
)
def test_a_bases_json_name_with_nul_or_a_lone_surrogate_is_rejected_not_stuck(
    amd_user, ministry, organization, data, code
):
    job = analyse(amd_user, ministry, data, "bases.json")
    assert job.state == ImportJob.State.FAILED
    [(column, message)] = _only_row_errors(job)
    assert column == "titre" and code in message and "retirez-le" in message
    assert job.report["rows"][0]["title"] == "A\ufffd"  # shown, without the character


def test_a_nul_past_the_first_64_kb_of_a_csv_rejects_its_line_only(
    amd_user, ministry, organization
):
    data = (
        f"titre,description,nom_orga\nA,{'x' * 65536},{DLP}\nB\x00,d,{DLP}\nC,d,{DLP}\n"
    ).encode()
    job = analyse(amd_user, ministry, data)
    assert job.state == ImportJob.State.ANALYSED
    assert _errors(job, 3) == [("titre", f"{CONTROL} (U+0000) non autorisé : retirez-le.")]
    assert _row_of(job, 4)["action"] == "created"
    apply(job, amd_user)
    assert list(DataAsset.objects.values_list("title", flat=True)) == ["C"]


def test_a_report_the_database_refuses_fails_the_job_in_french(
    amd_user, ministry, organization, monkeypatch
):
    job = importing.import_job_create(
        actor=amd_user,
        ministry=ministry,
        filename="a.csv",
        data=f"titre,description,nom_orga\nA,d,{DLP}\n".encode(),
    )
    real = tasks.analyse_job

    def unstorable(job):
        report = real(job)
        report["rows"][0]["title"] = "A\x00"  # what slipped through before: PostgreSQL refuses it
        return report

    monkeypatch.setattr(tasks, "analyse_job", unstorable)
    with pytest.raises(DataError):
        import_analyse(job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert job.error == "L'analyse a échoué à cause d'une erreur interne ; rien n'a été importé."
    assert job.payload == b"" and DataAsset.objects.count() == 0


def test_any_unexpected_error_of_the_analysis_fails_the_job(
    amd_user, ministry, organization, monkeypatch
):
    job = importing.import_job_create(
        actor=amd_user,
        ministry=ministry,
        filename="a.csv",
        data=f"titre,description,nom_orga\nA,d,{DLP}\n".encode(),
    )

    def broken(job):
        raise KeyError(0)

    monkeypatch.setattr(tasks, "analyse_job", broken)
    with pytest.raises(KeyError):
        import_analyse(job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and "erreur interne" in job.error


def test_a_file_name_with_a_nul_is_stored_without_it(amd_user, ministry, organization):
    job = importing.import_job_create(
        actor=amd_user,
        ministry=ministry,
        filename="a\x00.csv",
        data=f"titre,description,nom_orga\nA,d,{DLP}\n".encode(),
    )
    job.refresh_from_db()
    assert job.filename == "a\ufffd.csv"


# --- 4, 5. Control characters in any text: refused by the dry run, as by the forms and API -----


@pytest.fixture
def note_field(ministry):
    return ExtraFieldDefinition.objects.create(
        ministry=ministry, code="note", label="Note libre", kind="TEXT"
    )


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_nul_in_a_bases_json_collection_process_is_rejected_by_the_dry_run(
    amd_user, ministry, organization, char
):
    data = _json({"A": {"gestionnaire": DLP, "alimentation": f"Saisie{char}"}})
    job = analyse(amd_user, ministry, data, "bases.json")
    [(column, message)] = _only_row_errors(job)
    assert column == "processus_collecte" and message.startswith(CONTROL)
    assert f"U+{ord(char):04X}" in message


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("processus_collecte", "\x07"),
        ("mots_cles", "arbre,\x07"),
        ("url", "https://exemple.gouv.fr/\x07"),
        ("identifiant_datagouv", "jeu\x07"),
        ("Note libre", "a\x07b"),
        ("format", "CS\x0bV"),
        ("justification", "sec\x1fret"),
    ],
)
def test_a_control_character_in_any_column_rejects_the_line_and_column(
    amd_user, ministry, organization, note_field, column, value
):
    header = f"titre,description,nom_orga,{column}"
    data = f'{header}\nBon,d,{DLP},\nMauvais,d,{DLP},"{value}"\n'.encode()
    job = analyse(amd_user, ministry, data)
    assert job.report["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    [(got, message)] = _errors(job, 3)
    assert got == column and message.startswith(CONTROL)
    apply(job, amd_user)  # what the dry run accepted, the apply writes
    assert job.report["written"] == {"created": 1, "updated": 0}
    assert list(DataAsset.objects.values_list("title", flat=True)) == ["Bon"]


def test_the_api_refuses_a_control_character_in_every_text(amd_client, organization):
    payload = {
        "organization": organization.pk,
        "title": "Base",
        "description": "Description",
        "asset_type": "BASE_DE_DONNEES",
        "collection_process": "Saisie\x07",
        "keywords": ["arbre", "\x07"],
        "datagouv_dataset_id": "jeu\x07",
        "url": "https://exemple.gouv.fr/\x07",
        "field_list": "a\x07",
    }
    response = amd_client.post("/api/v1/datasets/", payload, format="json")
    assert response.status_code == 400
    errors = response.json()
    for name in ("collection_process", "keywords", "datagouv_dataset_id", "url", "field_list"):
        assert errors[name][0].startswith(CONTROL), name
    assert DataAsset.objects.count() == 0


def test_the_shared_validation_refuses_a_lone_surrogate_in_any_text(organization):
    # (DRF's own fields refuse one in the API's texts; this covers every caller of the service.)
    data = {
        "organization": organization,
        "title": "Base",
        "description": "d",
        "asset_type": "BASE_DE_DONNEES",
        "volume": "3 Go\ud800",
        "personal_data_categories": ["santé", "\udfff"],
    }
    errors = v.validate_asset_fields(data, ministry_id=organization.ministry_id)
    assert "U+D800" in errors["volume"][0]
    assert "U+DFFF" in errors["personal_data_categories"][0]


def test_the_entry_form_refuses_a_control_character(amd_client, organization):
    response = amd_client.post(
        "/inventaire/nouvelle/",
        {
            "organization": organization.pk,
            "title": "Base",
            "description": "Description",
            "asset_type": "BASE_DE_DONNEES",
            "visibility": "DRAFT",
            "sharing_mode": "OPEN",
            "collection_process": "Saisie\x07",
        },
    )
    assert response.status_code == 200
    assert CONTROL in response.content.decode()
    assert DataAsset.objects.count() == 0


def test_an_extra_text_and_a_qualification_text_refuse_control_characters(note_field):
    with pytest.raises(ValueError, match="U\\+0007"):
        v.clean_extra_value(note_field, "a\x07b")
    ground = LegalGround.objects.get(code="L311_5_2B_DEFENSE_NATIONALE")
    q = v.QualificationInput(
        status="NOT_COMMUNICABLE",
        grounds=[v.GroundInput(ground, justification_internal="Secret\x07")],
        decided_by="Direction\x00",
    )
    errors = v.validate_qualification(q, v.AssetContext()).errors
    assert any(m.startswith(CONTROL) for m in errors["grounds"])
    assert errors["decided_by"][0].startswith(CONTROL)


# --- 6. SIRET and SIREN: ASCII digits only -----------------------------------------------------


@pytest.mark.parametrize(
    "siret",
    ["¹" * 14, SIRET.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))],
)
def test_a_siret_of_unicode_digits_is_refused_in_french(amd_user, ministry, organization, siret):
    with pytest.raises(ValidationError, match="14 chiffres"):
        validate_siret(siret)
    job = analyse(amd_user, ministry, f"titre,description,siret_orga\nA,d,{siret}\n".encode())
    assert _only_row_errors(job) == [
        ("siret_orga", "Le SIRET doit comporter exactement 14 chiffres.")
    ]


def test_a_siren_of_unicode_digits_is_refused():
    with pytest.raises(ValidationError, match="9 chiffres"):
        validate_siren("²" * 9)
    with pytest.raises(ValidationError, match="9 chiffres"):
        validate_siren("180067019".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")))


def test_unicode_digits_as_default_organisation_are_a_form_error(amd_client, ministry):
    OrganizationFactory(ministry=ministry, name="Direction", siret=SIRET)
    upload = SimpleUploadedFile("a.csv", b"titre,description\nA,d\n", content_type="text/csv")
    response = amd_client.post(
        "/inventaire/import/",
        {"fichier": upload, "ministere": ministry.pk, "organisation": "¹" * 14},
    )
    assert response.status_code == 200
    assert "introuvable dans le ministère" in response.content.decode()
    assert ImportJob.objects.count() == 0


# --- 7. Deeply nested JSON -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b'{"A":' + b"[" * 1000 + b"]" * 1000 + b"}",  # beyond what the decoder can nest
        b'{"A":{"description":' + b"[" * 50 + b"]" * 50 + b"}}",  # readable, but not bases.json
    ],
)
def test_deeply_nested_json_is_refused_at_upload_in_french(amd_user, ministry, data):
    with pytest.raises(FileRejected, match="imbrique plus de 20 niveaux"):
        importing.import_job_create(
            actor=amd_user, ministry=ministry, filename="bases.json", data=data
        )
    assert ImportJob.objects.count() == 0


def test_deeply_nested_json_is_a_form_error_on_the_upload_page(amd_client, ministry):
    data = b'{"A": {"description": ' + b"[" * 100000 + b"]" * 100000 + b"}}"
    upload = SimpleUploadedFile("bases.json", data, content_type="application/json")
    response = amd_client.post(
        "/inventaire/import/", {"fichier": upload, "ministere": ministry.pk, "organisation": ""}
    )
    assert response.status_code == 200
    assert "imbrique plus de 20 niveaux" in response.content.decode()


# --- 8. A CSV cell over the csv module's limit ------------------------------------------------

LIMIT_MESSAGE = (
    "Le fichier CSV est illisible à la ligne {line} : une cellule y dépasse 131\u00a0072 "
    "caractères, au-delà de la limite."
)


def test_a_cell_over_the_limit_on_the_first_line_is_refused_at_upload_in_french(
    amd_user, ministry, organization
):
    data = f"titre,description,nom_orga\nA,{'x' * 131073},{DLP}\n".encode()
    with pytest.raises(FileRejected) as caught:
        importing.import_job_create(actor=amd_user, ministry=ministry, filename="a.csv", data=data)
    assert caught.value.messages[0].startswith(LIMIT_MESSAGE.format(line=2))
    assert "field" not in caught.value.messages[0]


def test_a_cell_over_the_limit_further_down_fails_the_analysis_naming_its_line(
    amd_user, ministry, organization
):
    # A line break inside a quoted cell before it: the line is the spreadsheet's (4), not the
    # count of line breaks read (5).
    data = (
        f'titre,description,nom_orga\nA,"l1\nl2",{DLP}\nB,d,{DLP}\nC,{"x" * 131073},{DLP}\n'
    ).encode()
    job = analyse(amd_user, ministry, data)
    assert job.state == ImportJob.State.FAILED
    assert job.error.startswith(LIMIT_MESSAGE.format(line=4))
    assert DataAsset.objects.count() == 0


# --- 9. A format repeated in another case ------------------------------------------------------


def test_a_format_repeated_in_another_case_is_one_format_and_a_second_import_changes_nothing(
    amd_user, ministry, organization
):
    data = f'titre,description,nom_orga,format\nA,d,{DLP},"CSV,csv"\n'.encode()
    apply(analyse(amd_user, ministry, data), amd_user)
    asset = DataAsset.objects.get()
    assert [f.name for f in asset.formats.all()] == ["CSV"]
    before = (asset.version, _state())
    again = analyse(amd_user, ministry, data)
    assert again.report["counts"] == {"created": 0, "updated": 0, "unchanged": 1, "rejected": 0}
    apply(again, amd_user)
    asset.refresh_from_db()
    assert (asset.version, _state()) == before


# --- 10. Line breaks: \r\n and \r are \n, so an XLSX export comes back unchanged ---------------


@pytest.mark.parametrize(
    ("column", "field", "cell"),
    [
        ("description", "description", "l1\r\nl2"),
        ("description", "description", "l1\rl2"),
        ("identifiant_datagouv", "datagouv_dataset_id", "a\rb"),
    ],
)
def test_line_breaks_are_stored_as_line_feeds_and_the_xlsx_export_comes_back_unchanged(
    amd_client, amd_user, ministry, organization, column, field, cell
):
    data = f'titre,description,nom_orga,{column}\nA,d,{DLP},"{cell}"\n'.encode()
    if column == "description":
        data = f'titre,description,nom_orga\nA,"{cell}",{DLP}\n'.encode()
    apply(analyse(amd_user, ministry, data), amd_user)
    stored = getattr(DataAsset.objects.get(), field)
    assert stored == cell.replace("\r\n", "\n").replace("\r", "\n")
    again = analyse(amd_user, ministry, data)  # the same file: unchanged too
    assert again.report["counts"]["unchanged"] == 1
    exported = _body(amd_client.get("/inventaire/export.xlsx"))
    job = analyse(amd_user, ministry, exported, "export.xlsx")
    assert job.report["counts"] == {"created": 0, "updated": 0, "unchanged": 1, "rejected": 0}


def test_a_description_typed_in_the_form_comes_back_unchanged_from_the_xlsx_export(
    amd_client, amd_user, ministry, organization
):
    # A browser sends a textarea's line breaks as \r\n; the spreadsheet gives them back as \n.
    response = amd_client.post(
        "/inventaire/nouvelle/",
        {
            "organization": organization.pk,
            "title": "Base",
            "description": "Ligne 1\r\nLigne 2",
            "asset_type": "BASE_DE_DONNEES",
            "visibility": "DRAFT",
            "sharing_mode": "OPEN",
        },
    )
    assert response.status_code == 302
    exported = _body(amd_client.get("/inventaire/export.xlsx"))
    job = analyse(amd_user, ministry, exported, "export.xlsx")
    assert job.report["counts"] == {"created": 0, "updated": 0, "unchanged": 1, "rejected": 0}


# --- 11. Titles without Latin letters keep their identity ------------------------------------


def test_titles_in_other_scripts_are_distinct_entries(amd_user, ministry, organization):
    first = f"titre,description,nom_orga\n日本語,Registre A,{DLP}\n".encode()
    second = f"titre,description,nom_orga\n中文,Registre B,{DLP}\n".encode()
    apply(analyse(amd_user, ministry, first), amd_user)
    job = analyse(amd_user, ministry, second)
    assert job.report["counts"]["created"] == 1
    apply(job, amd_user)
    assert sorted(DataAsset.objects.values_list("title", "description")) == [
        ("中文", "Registre B"),
        ("日本語", "Registre A"),
    ]
    again = analyse(amd_user, ministry, first)
    assert again.report["counts"] == {"created": 0, "updated": 0, "unchanged": 1, "rejected": 0}


def test_a_title_without_a_letter_or_digit_is_rejected_not_matched(
    amd_user, ministry, organization
):
    data = f"titre,description,nom_orga\n!!!,A,{DLP}\n???,B,{DLP}\n".encode()
    job = analyse(amd_user, ministry, data)
    message = (
        "Le titre doit contenir au moins une lettre ou un chiffre (une entrée est reconnue "
        "par son titre)."
    )
    assert _errors(job, 2) == [("titre", message)]
    assert _errors(job, 3) == [("titre", message)]  # not « Ligne en double »
    assert DataAsset.objects.count() == 0


def test_latin_titles_keep_the_identity_they_had():
    # Accents, case, punctuation (ASCII or not) and ligatures aside, as before.
    assert v.title_identity("L’Œuvre  d'Art — Café") == v.title_identity("l’œuvre d art cafe")
    assert v.title_identity("Café-Théâtre") == "cafe theatre"
    assert v.title_identity("ﬁchier") == "fichier"
    assert v.title_identity("日本語") != v.title_identity("中文")
    assert v.title_identity("!!! ???") == ""
