"""Writes of the inventory (datasets/services.py): audit, history, locking, revert, bulk."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from core.models import AuditEntry, LegalGround, Licence
from datasets import services
from datasets.models import (
    AssessmentHistory,
    AssetStateHistory,
    DataAsset,
    ExtraFieldDefinition,
    Format,
    OpenByDefaultAssessment,
    SpdReferenceDataset,
)
from datasets.validation import GroundInput, QualificationInput
from tests.datasets.factories import AssetFactory, ExtraFieldFactory
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

Status = OpenByDefaultAssessment.Status


def _data(organization, **over):
    data = {
        "organization": organization,
        "title": "Répertoire national des élus",
        "description": "Liste des élus.",
        "keywords": ["élus"],
        "service": "DGCL",
        "contact_service": "rne@interieur.gouv.fr",
        "last_updated_at": "2025-03-01",
        "update_frequency": "MENSUELLE",
        "geo_coverage": "France",
        "asset_type": "BASE_DE_DONNEES",
    }
    data.update(over)
    return data


def test_create_records_audit_state_and_empty_qualification(amd_user, organization):
    asset = services.asset_create(
        actor=amd_user, data=_data(organization), formats=[Format.objects.get(name="CSV")]
    )
    assert asset.ministry_id == organization.ministry_id
    assert asset.assessment.status == Status.TO_ASSESS
    assert AuditEntry.objects.filter(action="asset.created", object_id=str(asset.pk)).exists()
    state = AssetStateHistory.objects.get(asset_id_ref=asset.pk)
    assert state.catalogue_complete is True
    assert state.status == Status.TO_ASSESS


def test_create_in_other_ministry_organization_is_refused(amd_user, other_organization):
    with pytest.raises(PermissionDenied):
        services.asset_create(actor=amd_user, data=_data(other_organization))
    assert DataAsset.objects.count() == 0


def test_create_with_ministry_from_url_must_match_organization(
    amd_user, organization, other_ministry
):
    with pytest.raises(ValidationError) as exc:
        services.asset_create(actor=amd_user, data=_data(organization), ministry=other_ministry)
    assert "ne relève pas" in str(exc.value)


def test_ministry_cannot_be_set_through_data(amd_user, organization, other_ministry):
    with pytest.raises(ValidationError):
        services.asset_create(actor=amd_user, data=_data(organization, ministry=other_ministry))


def test_javascript_url_and_bad_email_and_date_are_refused(amd_user, organization):
    with pytest.raises(ValidationError) as exc:
        services.asset_create(
            actor=amd_user,
            data=_data(
                organization,
                url="javascript:alert(1)",
                contact_service="pas-un-courriel",
                last_updated_at="31/02/2024",
            ),
        )
    errors = exc.value.message_dict
    assert "http://" in errors["url"][0]
    assert "contact_service" in errors
    assert "n'est pas valide" in errors["last_updated_at"][0]
    assert DataAsset.objects.count() == 0


def test_html_is_stored_as_text(amd_user, organization):
    payload = '<script>alert("x")</script><b>gras</b>'
    asset = services.asset_create(actor=amd_user, data=_data(organization, title=payload))
    asset.refresh_from_db()
    assert asset.title == payload


def test_second_of_two_concurrent_edits_is_refused_and_nothing_is_lost(amd_user, organization):
    asset = AssetFactory(organization=organization)
    first = DataAsset.objects.get(pk=asset.pk)
    second = DataAsset.objects.get(pk=asset.pk)
    services.asset_update(
        actor=amd_user, asset=first, data={"title": "Titre A"}, expected_version=first.version
    )
    with pytest.raises(services.ConcurrentEditError) as exc:
        services.asset_update(
            actor=amd_user, asset=second, data={"title": "Titre B"}, expected_version=1
        )
    assert "modifiée par" in exc.value.messages[0]
    assert "entre-temps" in exc.value.messages[0]
    asset.refresh_from_db()
    assert asset.title == "Titre A"
    assert asset.version == 2


def test_update_audits_before_and_after(amd_user, organization):
    asset = AssetFactory(organization=organization, title="Avant")
    services.asset_update(actor=amd_user, asset=asset, data={"title": "Après"}, expected_version=1)
    entry = AuditEntry.objects.get(action="asset.updated", object_id=str(asset.pk))
    assert entry.changes["title"] == ["Avant", "Après"]


def test_correspondent_edits_own_organization_only(correspondent_user, organization, ministry):
    own = AssetFactory(organization=organization)
    other_org = OrganizationFactory(ministry=ministry)
    other = AssetFactory(organization=other_org)
    services.asset_update(
        actor=correspondent_user, asset=own, data={"title": "Modifié"}, expected_version=1
    )
    with pytest.raises(PermissionDenied):
        services.asset_update(
            actor=correspondent_user, asset=other, data={"title": "Non"}, expected_version=1
        )


def test_update_of_other_ministry_entry_answers_404(amd_user, other_organization):
    asset = AssetFactory(organization=other_organization)
    with pytest.raises(Http404):
        services.asset_update(actor=amd_user, asset=asset, data={"title": "x"}, expected_version=1)


def test_delete_records_deleted_state(amd_user, organization):
    asset = AssetFactory(organization=organization)
    pk = asset.pk
    services.asset_delete(actor=amd_user, asset=asset, expected_version=1)
    assert not DataAsset.objects.filter(pk=pk).exists()
    assert AssetStateHistory.objects.get(asset_id_ref=pk, deleted=True)


def _ground(code):
    return LegalGround.objects.get(code=code)


def test_qualify_appends_history_with_whole_state(amd_user, organization):
    asset = AssetFactory(organization=organization)
    q = QualificationInput(
        status=Status.NOT_COMMUNICABLE,
        obligation_basis="L312_1_1_3_DATABASES",
        grounds=[
            GroundInput(
                ground=_ground("L311_5_2D_SECURITE_SI"),
                justification_internal="Révèle l'architecture du SI",
                public_motive="Sécurité des systèmes d'information",
            )
        ],
    )
    assessment, result = services.asset_qualify(actor=amd_user, asset=asset, qualification=q)
    assert assessment.status == Status.NOT_COMMUNICABLE
    row = AssessmentHistory.objects.get(asset=asset)
    assert row.data["grounds"][0]["code"] == "L311_5_2D_SECURITE_SI"
    assert row.data["status"] == Status.NOT_COMMUNICABLE
    state = AssetStateHistory.objects.filter(asset_id_ref=asset.pk).latest("id")
    assert state.has_valid_ground and state.has_justification


def test_qualify_refuses_not_communicable_without_ground_and_writes_nothing(amd_user, organization):
    asset = AssetFactory(organization=organization)
    with pytest.raises(ValidationError) as exc:
        services.asset_qualify(
            actor=amd_user,
            asset=asset,
            qualification=QualificationInput(status=Status.NOT_COMMUNICABLE),
        )
    assert "grounds" in exc.value.message_dict
    asset.assessment.refresh_from_db()
    assert asset.assessment.status == Status.TO_ASSESS
    assert not AssessmentHistory.objects.exists()


def test_stale_qualification_version_is_refused(amd_user, organization):
    asset = AssetFactory(organization=organization)
    q = QualificationInput(status=Status.TO_PUBLISH, planned_date=datetime.date(2030, 1, 1))
    services.asset_qualify(actor=amd_user, asset=asset, qualification=q, expected_version=1)
    q2 = QualificationInput(status=Status.TO_PUBLISH, planned_date=datetime.date(2031, 1, 1))
    with pytest.raises(services.ConcurrentEditError):
        services.asset_qualify(actor=amd_user, asset=asset, qualification=q2, expected_version=1)
    asset.assessment.refresh_from_db()
    assert asset.assessment.planned_date == datetime.date(2030, 1, 1)


def test_revert_restores_values(amd_user, organization):
    asset = AssetFactory(organization=organization, title="Version 1", service="S1")
    services.asset_update(
        actor=amd_user, asset=asset, data={"title": "Version 2"}, expected_version=1
    )
    first_edit = AuditEntry.objects.get(action="asset.updated", object_id=str(asset.pk))
    services.asset_update(
        actor=amd_user,
        asset=asset,
        data={"title": "Version 3", "service": "S3"},
        expected_version=2,
    )
    services.asset_revert(actor=amd_user, asset=asset, audit_entry_id=first_edit.pk)
    asset.refresh_from_db()
    assert (asset.title, asset.service) == ("Version 2", "S1")
    assert AuditEntry.objects.filter(action="asset.reverted", object_id=str(asset.pk)).exists()


def test_revert_qualification_to_history_row(amd_user, organization):
    asset = AssetFactory(organization=organization)
    q1 = QualificationInput(status=Status.TO_PUBLISH, planned_date=datetime.date(2030, 1, 1))
    services.asset_qualify(actor=amd_user, asset=asset, qualification=q1)
    row = AssessmentHistory.objects.get(asset=asset)
    q2 = QualificationInput(
        status=Status.OUT_OF_SCOPE,
        grounds=[
            GroundInput(ground=_ground("SCOPE_L311_2_INACHEVE"), justification_internal="Projet")
        ],
    )
    services.asset_qualify(actor=amd_user, asset=asset, qualification=q2)
    services.asset_revert(actor=amd_user, asset=asset, history_id=row.pk)
    assessment = OpenByDefaultAssessment.objects.get(asset=asset)
    assert assessment.status == Status.TO_PUBLISH
    assert assessment.planned_date == datetime.date(2030, 1, 1)
    assert not assessment.ground_links.exists()


def test_bulk_status_is_all_or_nothing(amd_user, organization):
    ok = AssetFactory(organization=organization)
    ok2 = AssetFactory(organization=organization)
    with pytest.raises(ValidationError) as exc:
        services.assets_bulk_set_status(
            actor=amd_user, asset_ids=[ok.pk, ok2.pk], status=Status.NOT_COMMUNICABLE
        )
    assert "Aucune entrée" in exc.value.messages[0]
    assert not OpenByDefaultAssessment.objects.filter(status=Status.NOT_COMMUNICABLE).exists()
    count = services.assets_bulk_set_status(
        actor=amd_user,
        asset_ids=[ok.pk, ok2.pk],
        status=Status.TO_PUBLISH,
        planned_date=datetime.date(2030, 6, 30),
    )
    assert count == 2
    assert AuditEntry.objects.filter(action="assessment.bulk_status").count() == 2
    assert AssessmentHistory.objects.filter(comment="Action groupée").count() == 2


def test_bulk_assign_organization_audited_per_entry(
    amd_user, organization, ministry, other_organization
):
    assets = AssetFactory.create_batch(3, organization=organization)
    target = OrganizationFactory(ministry=ministry)
    ids = [a.pk for a in assets]
    assert (
        services.assets_bulk_assign_organization(actor=amd_user, asset_ids=ids, organization=target)
        == 3
    )
    assert AuditEntry.objects.filter(action="asset.bulk_organization").count() == 3
    with pytest.raises((ValidationError, PermissionDenied)):
        services.assets_bulk_assign_organization(
            actor=amd_user, asset_ids=ids, organization=other_organization
        )
    assert set(DataAsset.objects.values_list("organization_id", flat=True)) == {target.pk}


def test_bulk_refuses_entries_of_another_ministry(amd_user, organization, other_organization):
    mine = AssetFactory(organization=organization)
    theirs = AssetFactory(organization=other_organization)
    with pytest.raises(ValidationError):
        services.assets_bulk_set_visibility(
            actor=amd_user, asset_ids=[mine.pk, theirs.pk], visibility="PUBLISHED"
        )
    mine.refresh_from_db()
    assert mine.visibility == "DRAFT"


def test_extra_field_retired_keeps_values_and_new_field_added_later(
    amd_user, ministry, organization
):
    field = services.extra_field_create(
        actor=amd_user,
        ministry=ministry,
        code="sensibilite",
        label="Sensibilité",
        kind="CHOICE",
        choices="Faible\nForte",
    )
    asset = services.asset_create(
        actor=amd_user, data=_data(organization), extra={"sensibilite": "Forte"}
    )
    services.extra_field_retire(actor=amd_user, definition=field)
    services.asset_update(
        actor=amd_user,
        asset=asset,
        data={"title": "Nouveau titre"},
        expected_version=1,
        extra={"sensibilite": "Faible"},
    )
    asset.refresh_from_db()
    assert asset.extra["sensibilite"] == "Forte"  # retired: untouched
    services.extra_field_create(
        actor=amd_user, ministry=ministry, code="budget", label="Budget", kind="NUMBER"
    )
    services.asset_update(
        actor=amd_user, asset=asset, data={}, expected_version=2, extra={"budget": "1 200,5"}
    )
    asset.refresh_from_db()
    assert asset.extra == {"sensibilite": "Forte", "budget": 1200.5}


def test_extra_values_are_typed(amd_user, ministry, organization):
    ExtraFieldFactory(ministry=ministry, code="ouvert", kind=ExtraFieldDefinition.Kind.BOOLEAN)
    ExtraFieldFactory(ministry=ministry, code="echeance", kind=ExtraFieldDefinition.Kind.DATE)
    with pytest.raises(ValidationError) as exc:
        services.asset_create(
            actor=amd_user,
            data=_data(organization),
            extra={"ouvert": "peut-être", "echeance": "hier"},
        )
    assert set(exc.value.message_dict) == {"extra.ouvert", "extra.echeance"}
    with pytest.raises(ValidationError):
        services.asset_create(actor=amd_user, data=_data(organization), extra={"inconnu": "x"})


def test_extra_field_definitions_reserved_to_admins(
    correspondent_user, ministry, other_ministry, amd_user
):
    with pytest.raises(PermissionDenied):
        services.extra_field_create(
            actor=correspondent_user, ministry=ministry, code="x", label="X", kind="TEXT"
        )
    with pytest.raises(Http404):
        services.extra_field_create(
            actor=amd_user, ministry=other_ministry, code="x", label="X", kind="TEXT"
        )


def test_spd_designation_requires_one_of_the_nine_datasets(amd_user, organization):
    assert SpdReferenceDataset.objects.count() == 9
    asset = AssetFactory(organization=organization)
    with pytest.raises(ValidationError) as exc:
        services.reference_designate(actor=amd_user, asset=asset, data={"regime": "SPD_R321_5"})
    assert "spd_dataset" in exc.value.message_dict
    designation = services.reference_designate(
        actor=amd_user,
        asset=asset,
        data={"regime": "SPD_R321_5", "spd_dataset": SpdReferenceDataset.objects.get(code="RNA")},
    )
    assert designation.status == "PROPOSED"


def test_only_network_staff_designate(amd_user, agd_user, organization):
    asset = AssetFactory(organization=organization)
    with pytest.raises(ValidationError):
        services.reference_designate(
            actor=amd_user, asset=asset, data={"regime": "CANDIDATE", "status": "DESIGNATED"}
        )
    services.reference_designate(actor=amd_user, asset=asset, data={"regime": "CANDIDATE"})
    d = services.reference_designate(actor=agd_user, asset=asset, data={"status": "DESIGNATED"})
    assert d.status == "DESIGNATED"


def test_published_qualification_state_facts(amd_user, organization):
    asset = AssetFactory(
        organization=organization,
        licence=Licence.objects.get(spdx_id="etalab-2.0"),
        formats=[Format.objects.get(name="CSV")],
        url="https://www.data.gouv.fr/x",
        first_published_at=datetime.date(2024, 1, 1),
    )
    services.asset_qualify(
        actor=amd_user,
        asset=asset,
        qualification=QualificationInput(
            status=Status.PUBLISHED, published_url="https://www.data.gouv.fr/x"
        ),
    )
    state = AssetStateHistory.objects.filter(asset_id_ref=asset.pk).latest("id")
    assert state.licence_compliant and state.open_machine_readable and state.catalogue_complete


def test_removing_the_licence_of_a_published_entry_is_refused(amd_user, organization):
    licence = Licence.objects.get(spdx_id="etalab-2.0")
    asset = AssetFactory(
        organization=organization, licence=licence, formats=[Format.objects.get(name="CSV")]
    )
    services.asset_qualify(
        actor=amd_user,
        asset=asset,
        qualification=QualificationInput(
            status=Status.PUBLISHED, published_url="https://www.data.gouv.fr/d"
        ),
    )
    with pytest.raises(ValidationError) as exc:
        services.asset_update(
            actor=amd_user, asset=asset, data={"licence": None}, expected_version=1
        )
    assert "Qualification « Publié »" in exc.value.message_dict["licence"][0]
    with pytest.raises(ValidationError):
        services.asset_update(
            actor=amd_user, asset=asset, data={"contains_personal_data": True}, expected_version=1
        )
    asset.refresh_from_db()
    assert asset.licence_id == licence.pk and asset.version == 1
    services.asset_update(
        actor=amd_user, asset=asset, data={"title": "Autre titre"}, expected_version=1
    )
