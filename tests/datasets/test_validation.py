"""DOMAIN §5 rules about entries (datasets/validation.py): each rule, passing and failing."""

import datetime

import pytest

from core.models import LegalGround, Licence
from datasets.models import ExtraFieldDefinition, Format
from datasets.validation import (
    AssetContext,
    GroundInput,
    QualificationInput,
    clean_extra_value,
    missing_catalogue_fields,
    validate_asset_fields,
    validate_qualification,
)
from tests.datasets.factories import AssetFactory
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def g(code, justification="Appréciée au regard du contenu", sub=""):
    return GroundInput(
        ground=LegalGround.objects.get(code=code),
        justification_internal=justification,
        sub_reference=sub,
    )


def ctx(**over):
    base = {
        "licence": Licence.objects.get(spdx_id="etalab-2.0"),
        "formats": [Format.objects.get(name="CSV")],
        "contains_personal_data": False,
        "organization": None,
    }
    base.update(over)
    return AssetContext(**base)


def errors(q, c=None):
    return validate_qualification(q, c or ctx()).errors


# Rule 1
def test_not_communicable_without_ground_fails():
    assert "grounds" in errors(QualificationInput(status="NOT_COMMUNICABLE"))


def test_not_communicable_with_scope_ground_only_fails():
    assert "grounds" in errors(
        QualificationInput(status="NOT_COMMUNICABLE", grounds=[g("SCOPE_L311_2_INACHEVE")])
    )


def test_not_communicable_without_justification_fails():
    q = QualificationInput(
        status="NOT_COMMUNICABLE", grounds=[g("L311_5_2B_DEFENSE_NATIONALE", justification="")]
    )
    assert "justification" in " ".join(errors(q)["grounds"])


@pytest.mark.parametrize(
    "code",
    ["L311_5_2B_DEFENSE_NATIONALE", "L311_6_1_VIE_PRIVEE", "L312_1_2_PERSO_NON_ANONYMISABLE"],
)
def test_not_communicable_with_barring_ground_and_justification_passes(code):
    assert errors(QualificationInput(status="NOT_COMMUNICABLE", grounds=[g(code)])) == {}


# Rule 2
def test_out_of_scope_without_scope_ground_fails():
    assert "grounds" in errors(
        QualificationInput(status="OUT_OF_SCOPE", grounds=[g("L311_6_1_VIE_PRIVEE")])
    )


def test_out_of_scope_with_scope_ground_passes():
    assert (
        errors(QualificationInput(status="OUT_OF_SCOPE", grounds=[g("SCOPE_L312_1_1_SEUIL")])) == {}
    )


# Rule 3
@pytest.mark.parametrize("status", ["TO_PUBLISH_AFTER_OCCULTATION", "PUBLISHED_AFTER_OCCULTATION"])
def test_occultation_needs_ground_and_method(status):
    extra = {
        "planned_date": datetime.date(2031, 1, 1),
        "published_url": "https://www.data.gouv.fr/d",
    }
    e = errors(QualificationInput(status=status, **extra))
    assert "grounds" in e and "occultation_method" in e
    ok = QualificationInput(
        status=status,
        grounds=[g("L311_6_1_VIE_PRIVEE")],
        occultation_method="SUPPRESSION_COLONNES",
        **extra,
    )
    assert errors(ok) == {}


def test_occultation_with_non_occultable_ground_fails():
    q = QualificationInput(
        status="TO_PUBLISH_AFTER_OCCULTATION",
        planned_date=datetime.date(2031, 1, 1),
        occultation_method="CAVIARDAGE",
        grounds=[g("L311_6_1_VIE_PRIVEE"), g("L312_1_2_OCCULTATION_DENATURANTE")],
    )
    assert "occultation est impossible" in " ".join(errors(q)["grounds"])


# Rule 4
@pytest.mark.parametrize("status", ["TO_PUBLISH", "TO_PUBLISH_AFTER_OCCULTATION"])
def test_to_publish_needs_planned_date(status):
    assert "planned_date" in errors(QualificationInput(status=status))


def test_to_publish_with_date_passes_and_past_date_warns():
    assert (
        errors(QualificationInput(status="TO_PUBLISH", planned_date=datetime.date(2031, 3, 31)))
        == {}
    )
    result = validate_qualification(
        QualificationInput(status="TO_PUBLISH", planned_date=datetime.date(2020, 1, 1)), ctx()
    )
    assert result.ok and "planned_date" in result.warnings


def test_published_needs_url_licence_and_open_format():
    e = errors(
        QualificationInput(status="PUBLISHED"),
        ctx(licence=None, formats=[Format.objects.get(name="XLS")]),
    )
    assert {"published_url", "licence", "formats"} <= set(e)


def test_published_complete_passes():
    assert (
        errors(QualificationInput(status="PUBLISHED", published_url="https://www.data.gouv.fr/d"))
        == {}
    )


def test_published_url_must_be_http():
    e = errors(QualificationInput(status="PUBLISHED", published_url="javascript:alert(1)"))
    assert "http://" in e["published_url"][0]


# Rule 5
def test_published_personal_data_needs_basis():
    c = ctx(contains_personal_data=True)
    q = QualificationInput(status="PUBLISHED", published_url="https://x.gouv.fr/d")
    assert "personal_data_basis" in errors(q, c)
    q.personal_data_basis = "CONSENT"
    q.personal_data_reference = "Accord recueilli par formulaire"
    assert errors(q, c) == {}


def test_d312_basis_needs_category():
    c = ctx(contains_personal_data=True)
    q = QualificationInput(
        status="PUBLISHED",
        published_url="https://x.gouv.fr/d",
        personal_data_basis="D312_1_3_CATEGORY",
    )
    assert "no_anonymisation_category" in errors(q, c)


def test_unpublished_personal_data_does_not_need_basis():
    assert errors(QualificationInput(status="TO_ASSESS"), ctx(contains_personal_data=True)) == {}


# Rule 6
def test_non_listed_licence_warns_but_passes():
    result = validate_qualification(
        QualificationInput(status="PUBLISHED", published_url="https://x.gouv.fr/d"),
        ctx(licence=Licence.objects.get(spdx_id="CC-BY-4.0")),
    )
    assert result.ok
    assert "licence" in result.warnings


def test_listed_licence_does_not_warn():
    result = validate_qualification(
        QualificationInput(status="PUBLISHED", published_url="https://x.gouv.fr/d"), ctx()
    )
    assert "licence" not in result.warnings


# Rule 7
def test_small_producer_gets_out_of_scope_suggestion(ministry):
    small = OrganizationFactory(ministry=ministry, kind="EPA", headcount_etp=20)
    result = validate_qualification(QualificationInput(status="TO_ASSESS"), ctx(organization=small))
    assert result.ok and "SCOPE_L312_1_1_SEUIL" in result.suggestions[0]


def test_small_producer_voluntary_publication_gets_no_suggestion(ministry):
    small = OrganizationFactory(ministry=ministry, kind="EPA", headcount_etp=20)
    q = QualificationInput(
        status="TO_PUBLISH",
        obligation_basis="VOLUNTARY_L312_1",
        planned_date=datetime.date(2031, 1, 1),
    )
    assert validate_qualification(q, ctx(organization=small)).suggestions == []


def test_large_producer_gets_no_suggestion(ministry):
    big = OrganizationFactory(ministry=ministry, kind="EPA", headcount_etp=800)
    assert validate_qualification(QualificationInput(), ctx(organization=big)).suggestions == []


# Grounds needing a sub-reference
def test_ground_requiring_sub_reference():
    q = QualificationInput(status="NOT_COMMUNICABLE", grounds=[g("L311_5_2H_AUTRES_SECRETS")])
    assert "précision" in " ".join(errors(q)["grounds"])
    q = QualificationInput(
        status="NOT_COMMUNICABLE", grounds=[g("L311_5_2H_AUTRES_SECRETS", sub="Secret statistique")]
    )
    assert errors(q) == {}


def test_inactive_ground_is_refused():
    ground = LegalGround.objects.get(code="L311_5_2B_DEFENSE_NATIONALE")
    ground.active = False
    ground.save()
    assert "grounds" in errors(
        QualificationInput(status="NOT_COMMUNICABLE", grounds=[g(ground.code)])
    )


def test_sectoral_basis_needs_reference():
    assert "sectoral_reference" in errors(QualificationInput(obligation_basis="SECTORAL_LAW"))


# Field checks
def test_field_checks_messages(organization, other_organization):
    e = validate_asset_fields(
        {
            "organization": other_organization,
            "title": "",
            "description": "d",
            "asset_type": "API",
            "url": "ftp://exemple.fr/x",
            "sample_url": "javascript:alert(1)",
            "contact_service": "a@b",
            "contact_person": "jean.dupont@interieur.gouv.fr",
            "last_updated_at": "2024-13-45",
            "update_frequency": "PARFOIS",
        },
        ministry_id=organization.ministry_id,
    )
    assert set(e) == {
        "organization",
        "title",
        "url",
        "sample_url",
        "contact_service",
        "last_updated_at",
        "update_frequency",
    }


def test_html_is_accepted_as_text(organization):
    data = {
        "organization": organization,
        "title": "<script>alert(1)</script>",
        "description": "<b>x</b>",
        "asset_type": "API",
    }
    assert validate_asset_fields(data, ministry_id=organization.ministry_id) == {}


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("NUMBER", "1 234,5", 1234.5),
        ("NUMBER", "12", 12),
        ("BOOLEAN", "Oui", True),
        ("BOOLEAN", "non", False),
        ("DATE", "31/12/2024", "2024-12-31"),
        ("TEXT", "<b>libre</b>", "<b>libre</b>"),
        ("CHOICE", "Forte", "Forte"),
    ],
)
def test_extra_values_are_typed(kind, raw, expected):
    d = ExtraFieldDefinition(code="c", label="C", kind=kind, choices=["Faible", "Forte"])
    assert clean_extra_value(d, raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("NUMBER", "beaucoup"),
        ("NUMBER", "nan"),
        ("BOOLEAN", "peut-être"),
        ("DATE", "2024-02-30"),
        ("CHOICE", "Moyenne"),
    ],
)
def test_bad_extra_values_are_refused(kind, raw):
    d = ExtraFieldDefinition(code="c", label="C", kind=kind, choices=["Faible", "Forte"])
    with pytest.raises(ValueError):
        clean_extra_value(d, raw)


def test_catalogue_completeness(organization):
    asset = AssetFactory(organization=organization, formats=[Format.objects.get(name="CSV")])
    assert missing_catalogue_fields(asset) == []
    asset.contact_service = ""
    asset.keywords = []
    assert missing_catalogue_fields(asset) == ["keywords", "contact"]
    assert set(missing_catalogue_fields(asset, status="PUBLISHED")) >= {
        "url",
        "licence",
        "first_published_at",
    }
