"""Session 5 review (browser audit): what the entry page shows to whom, and in which words."""

import pytest

from core.models import LegalGround
from datasets import services
from datasets.validation import GroundInput, QualificationInput
from tests.datasets.factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def qualified(organization, amd_user):
    asset = AssetFactory(organization=organization, visibility="PUBLISHED", title="Registre")
    services.asset_qualify(
        actor=amd_user,
        asset=asset,
        qualification=QualificationInput(
            status="NOT_COMMUNICABLE",
            grounds=[
                GroundInput(
                    ground=LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE"),
                    justification_internal="Adresses personnelles",
                    public_motive="Vie privée",
                )
            ],
        ),
        comment="Avis du DPD du 3 mars",
    )
    return asset


def test_a_network_reader_does_not_read_the_qualification_history(viewer_client, qualified):
    page = viewer_client.get(f"/inventaire/{qualified.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Avis du DPD du 3 mars" not in text
    assert "L'historique des qualifications est réservé au ministère" in text
    api = viewer_client.get(f"/api/v1/datasets/{qualified.pk}/history/")
    assert api.status_code == 200 and api.json() == []


def test_the_ministry_reads_it_with_french_status_labels(amd_client, qualified):
    text = amd_client.get(f"/inventaire/{qualified.pk}/").content.decode()
    assert "Avis du DPD du 3 mars" in text
    table = text[text.index("Qualifications successives") :]
    assert "Non communicable" in table[:3000]
    assert "NOT_COMMUNICABLE" not in table[:3000]
    api = amd_client.get(f"/api/v1/datasets/{qualified.pk}/history/").json()
    assert [r["status"] for r in api][:1] == ["NOT_COMMUNICABLE"]


# Session, user, roles (2), the entry with its designation, formats and grounds (4), its own
# fields, the change history, one query per related table its changes name (licences,
# organisations: 2), the qualification history and the proposals (2).
ENTRY_PAGE_QUERIES = 14


def _page_queries(client, asset) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/inventaire/{asset.pk}/").status_code == 200
    return len(ctx.captured_queries)


def test_the_change_history_names_what_the_forms_name(amd_client, amd_user, organization):
    import datetime

    from core.models import Licence
    from tests.factories import OrganizationFactory

    asset = AssetFactory(organization=organization, title="Registre")
    other = OrganizationFactory(ministry=organization.ministry, name="Service des archives")
    licence = Licence.objects.order_by("pk").first()
    services.asset_update(
        actor=amd_user,
        asset=asset,
        data={
            "organization": other,
            "asset_type": "API",
            "update_frequency": "ANNUELLE",
            "last_updated_at": datetime.date(2026, 3, 9),
            "licence": licence,
        },
        expected_version=asset.version,
    )
    text = amd_client.get(f"/inventaire/{asset.pk}/").content.decode()
    history = text[text.index("Historique des modifications") :]
    for shown in (
        "Service des archives",
        organization.name,
        "Annuelle",
        "09/03/2026",
        licence.name,
    ):
        assert shown in history, shown
    for raw in ("ANNUELLE", "2026-03-09", f"<td>{other.pk}</td>", "BASE_DE_DONNEES"):
        assert raw not in history, raw
    # Names are read once per related table, whatever the number of changes.
    first = _page_queries(amd_client, asset)
    for n in range(4):
        asset.refresh_from_db()
        services.asset_update(
            actor=amd_user,
            asset=asset,
            data={"organization": organization if n % 2 else other, "title": f"Registre {n}"},
            expected_version=asset.version,
        )
    assert _page_queries(amd_client, asset) == first == ENTRY_PAGE_QUERIES


def test_the_qualification_changes_name_their_grounds(amd_client, qualified):
    text = amd_client.get(f"/inventaire/{qualified.pk}/").content.decode()
    history = text[text.index("Historique des modifications") :]
    ground = LegalGround.objects.get(code="L311_6_1_VIE_PRIVEE")
    assert ground.label in history
    assert "motif public : Vie privée" in history
    assert "L311_6_1_VIE_PRIVEE" not in history and "public_motive" not in history
    assert "Non communicable" in history


def test_a_concurrent_edit_says_who_and_when_once_and_links_the_new_version(
    amd_client, amd_user, organization
):
    asset = AssetFactory(organization=organization, title="Registre")
    form = amd_client.get(f"/inventaire/{asset.pk}/modifier/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    services.asset_update(
        actor=amd_user, asset=asset, data={"title": "Registre (v2)"}, expected_version=1
    )
    data.update(title="Ma saisie", organization=organization.pk, formats=[])
    data["keywords"] = ", ".join(data.get("keywords") or [])
    response = amd_client.post(f"/inventaire/{asset.pk}/modifier/", data)
    assert response.status_code == 409
    text = response.content.decode()
    assert text.count("a été modifiée par") == 1
    assert "Ouvrir la version actuelle (nouvel onglet)" in text
    assert "enregistrez à nouveau : vos valeurs la remplaceront" in text
    assert 'value="Ma saisie"' in text
    asset.refresh_from_db()
    assert asset.title == "Registre (v2)"  # the second save did not pass
    # The kept form now carries the stored version: sent again, knowingly, it is saved
    # (sending the old version again would only be refused again).
    kept = response.context["form"]
    assert kept["version"].value() == str(asset.version)
    data["version"] = kept["version"].value()
    again = amd_client.post(f"/inventaire/{asset.pk}/modifier/", data)
    assert again.status_code == 302
    asset.refresh_from_db()
    assert asset.title == "Ma saisie"


def test_a_refused_bulk_status_reads_as_sentences(amd_client, organization):
    from datasets.models import DataAsset

    asset = AssetFactory(organization=organization, title="Registre")
    response = amd_client.post(
        "/inventaire/actions/",
        {"ids": [asset.pk], "action": "status", "status": "NOT_COMMUNICABLE"},
        follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert ".;" not in text and "« Registre » :" in text
    assert DataAsset.objects.get(pk=asset.pk).assessment.status == "TO_ASSESS"


def test_the_extended_csv_has_its_own_file_name(amd_client, organization):
    AssetFactory(organization=organization)
    plain = amd_client.get("/inventaire/export.csv")["Content-Disposition"]
    extended = amd_client.get("/inventaire/export.csv?etendu=1")["Content-Disposition"]
    assert plain.endswith('.csv"') and "-etendu" not in plain
    assert extended.endswith('-etendu.csv"')


# --- Qualifications that contradict themselves (browser audit) -------------------------------


def _check(status, **over):
    from datasets.validation import AssetContext, QualificationInput, validate_qualification

    asset = AssetFactory()
    return validate_qualification(
        QualificationInput(status=status, **over), AssetContext.of(asset, [])
    )


def _secret(code="L311_6_1_SECRET_MEDICAL"):
    return GroundInput(
        ground=LegalGround.objects.get(code=code),
        justification_internal="Dossiers médicaux",
        public_motive="Secret médical",
    )


def test_a_secret_on_a_full_publication_is_said(db):
    result = _check("TO_PUBLISH", planned_date="2031-01-01", grounds=[_secret()])
    assert result.ok
    assert any("contredit une publication intégrale" in m for m in result.warnings["grounds"])


def test_an_occultation_method_without_occultation_is_said(db):
    result = _check("TO_PUBLISH", planned_date="2031-01-01", occultation_method="CAVIARDAGE")
    assert any("après occultation" in m for m in result.warnings["occultation_method"])


def test_a_publication_date_or_link_on_a_closed_status_is_said(db):
    result = _check(
        "NOT_COMMUNICABLE",
        grounds=[_secret()],
        planned_date="2031-01-01",
        published_url="https://data.exemple.gouv.fr/x",
    )
    assert result.ok
    assert any("exclut la publication" in m for m in result.warnings["status"])


def test_a_review_before_the_decision_is_refused(db):
    result = _check(
        "NOT_COMMUNICABLE",
        grounds=[_secret()],
        decided_at="2026-03-01",
        review_due="2020-01-01",
    )
    assert result.errors["review_due"] == [
        "Le réexamen (01/01/2020) ne peut précéder la décision (01/03/2026)."
    ]


def test_a_ground_given_twice_is_named_by_its_label(db):
    ground = LegalGround.objects.get(code="L311_6_1_SECRET_MEDICAL")
    result = _check("NOT_COMMUNICABLE", grounds=[_secret(), _secret()])
    assert result.errors["grounds"][0] == f"Le motif « {ground.label[:80]} » est indiqué deux fois."
    assert "L311_6_1_SECRET_MEDICAL" not in " ".join(result.errors["grounds"])


def test_a_control_character_stored_in_an_entry_does_not_stop_the_xlsx_export(
    amd_client, organization
):
    import io

    from openpyxl import load_workbook

    AssetFactory(organization=organization, title="Registre", description="Avant\x07après")
    AssetFactory(organization=organization, title="=Formule\x01")
    response = amd_client.get("/inventaire/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = {c.value for row in sheet.iter_rows(min_row=2) for c in row}
    assert "Avant\ufffdaprès" in values and "=Formule\ufffd" in values


def test_a_form_sent_back_with_errors_starts_with_their_summary(amd_client, organization):
    response = amd_client.post(
        "/inventaire/nouvelle/",
        {"title": "", "organization": organization.pk, "url": "javascript:alert(1)"},
    )
    text = response.content.decode()
    assert response.status_code == 200
    summary = text[text.index('class="fr-alert fr-alert--error fr-mb-3w portal-error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert "Le formulaire contient des erreurs" in summary
    assert 'À corriger : <a href="#id_title">Titre</a>' in summary
    assert 'href="#id_description"' in summary
    assert text.index("portal-error-summary") < text.index('id="id_title"')


def test_the_qualification_form_starts_with_its_error_summary(amd_client, organization):
    asset = AssetFactory(organization=organization)
    response = amd_client.post(
        f"/inventaire/{asset.pk}/qualification/", {"status": "NOT_COMMUNICABLE", "version": 1}
    )
    text = response.content.decode()
    assert "portal-error-summary" in text
    summary = text[text.index("portal-error-summary") :]
    summary = summary[: summary.index("</div>")]
    assert 'À corriger : <a href="#id_obligation_basis">' in summary
    # Before the fields it lists (the form is long: 3,600 px).
    assert text.index("portal-error-summary") < text.index('id="id_obligation_basis"')


def test_a_radio_group_in_the_summary_links_to_its_first_button():
    from django import forms
    from django.template.loader import render_to_string

    class Choice(forms.Form):
        answer = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)

    form = Choice(data={})
    assert not form.is_valid()
    html = render_to_string("partials/form_error_summary.html", {"form": form})
    assert '<a href="#id_answer_0">Answer</a>' in html


def test_the_history_names_internal_uses_and_own_fields(amd_client, amd_user, organization):
    from tests.datasets.factories import ExtraFieldFactory

    ExtraFieldFactory(
        ministry=organization.ministry, code="revue", label="Date de revue", kind="DATE"
    )
    asset = AssetFactory(organization=organization, title="Registre")
    services.asset_update(
        actor=amd_user,
        asset=asset,
        data={"internal_uses": ["PILOTAGE"]},
        extra={"revue": "2026-03-09"},
        expected_version=asset.version,
    )
    text = amd_client.get(f"/inventaire/{asset.pk}/").content.decode()
    history = text[text.index("Historique des modifications") :]
    assert "Date de revue : 09/03/2026" in history
    assert "revue : 2026-03-09" not in history
    assert "PILOTAGE" not in history


@pytest.mark.parametrize("odd", ["¹²", "٣", "9" * 30, "-1", " 7"])
def test_odd_numbers_in_parameters_never_give_a_server_error(
    amd_client, api_client, organization, odd
):
    """`str.isdigit` accepts "¹" (which int() refuses) and any length (which PostgreSQL's
    integer refuses): each answered 500 somewhere (fuzzing)."""
    asset = AssetFactory(organization=organization)
    answers = [
        amd_client.get("/inventaire/", {"organization": odd}),
        amd_client.get("/inventaire/nouvelle/", {"ministry": odd}),
        amd_client.post("/inventaire/actions/", {"ids": [odd], "action": "status"}),
        amd_client.post(f"/inventaire/{asset.pk}/supprimer/", {"version": odd}),
        api_client.get("/api/v1/datasets/extra-fields/", {"ministry": odd}),
        api_client.get("/api/v1/datasets/qualification-proposals/", {"asset": odd}),
    ]
    for response in answers:
        assert response.status_code < 500, response.request
    from datasets.models import DataAsset

    assert DataAsset.objects.filter(pk=asset.pk).exists()  # the odd version deleted nothing


def test_a_description_typed_in_a_browser_is_stored_with_lf_line_breaks(amd_user, organization):
    asset = AssetFactory(organization=organization, title="Registre")
    services.asset_update(
        actor=amd_user,
        asset=asset,
        data={"description": "Ligne 1\r\nLigne 2\rLigne 3"},
        expected_version=asset.version,
    )
    asset.refresh_from_db()
    assert asset.description == "Ligne 1\nLigne 2\nLigne 3"


def test_a_rule_about_the_grounds_is_shown_at_the_first_ground(amd_client, organization):
    asset = AssetFactory(organization=organization)
    form = amd_client.get(f"/inventaire/{asset.pk}/qualification/").context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    data.update(status="NOT_COMMUNICABLE", rows=form.row_count)
    response = amd_client.post(f"/inventaire/{asset.pk}/qualification/", data)
    text = response.content.decode()
    summary = text[text.index("portal-error-summary") :]
    summary = summary[: summary.index("</div>")]
    assert 'À corriger : <a href="#id_ground_0">' in summary
    assert (
        response.context["form"]
        .errors["ground_0"][0]
        .startswith("Un statut « Non communicable » exige")
    )


def test_the_wizard_starts_with_the_error_summary(amd_client, organization):
    asset = AssetFactory(organization=organization)
    response = amd_client.post(f"/inventaire/{asset.pk}/qualification/assistant/", {"answer": ""})
    text = response.content.decode()
    assert 'À corriger : <a href="#id_answer_0">Votre réponse</a>' in text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/datasets/export.jsonld",
        "/api/v1/datasets/export.ttl",
        "/api/v1/datasets/export.csv",
        "/api/v1/datasets/export.xlsx",
        "/inventaire/export.csv",
        "/inventaire/export.xlsx",
    ],
)
def test_a_nul_byte_in_the_ministry_of_an_export_is_an_unknown_ministry(
    api_client, amd_client, path, organization
):
    """Found by schemathesis: the code reached PostgreSQL, which refuses NUL (500)."""
    client = api_client if path.startswith("/api/") else amd_client
    for odd in ("\x00", "a\x00b", "x" * 300, "é/../"):
        assert client.get(path, {"ministere": odd}).status_code == 404, (path, odd)


def test_ids_of_ten_digits_and_more_are_still_read(amd_client, organization):
    """The parameter helper caps at 18 digits (any bigint id), not 9 (review)."""
    from core.validators import whole_number
    from datasets.selectors import AssetFilters

    assert whole_number("1234567890") == 1234567890
    assert whole_number("9" * 18) == int("9" * 18)
    assert whole_number("9" * 19) is None
    assert AssetFilters.from_query({"organization": "1234567890"}).organization == [1234567890]
