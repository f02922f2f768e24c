"""The compliance engine (DOMAIN §6): one test per criterion, the N/A rule, the worked example."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from datasets.models import PersonalDataProcessing, RIPPublication
from supervision import compliance
from supervision.compliance import NA, REGISTRY, Ratio, score
from supervision.models import ActionStatusUpdate, RoadmapAction
from tests.factories import MandateFactory
from tests.supervision.helpers import PUBLISHED_OK, published_roadmap, state, states

WORKED_EXAMPLE = {
    "G1": Ratio(1, 1),
    "G2": Ratio(1, 1),
    "G3": Ratio(0.5, 1),
    "S1": Ratio(1, 1),
    "S2": Ratio(24 + 0.5 * 4, 40 - 2),
    "I1": Ratio(0.5, 1),
    "I2": Ratio(180, 200),
    "O1": Ratio(150, 160),
    "O2": Ratio(60, 100),
    "O3": Ratio(30, 40),
    "O4": Ratio(18, 20),
    "O5": NA("0 demande satisfaite"),
    "Q1": Ratio(55, 60),
    "Q2": Ratio(60, 60),
    "Q3": Ratio(45, 55),
    "P1": Ratio(1, 1),
    "P2": NA("aucune AIPD requise"),
    "P3": Ratio(1, 1),
    "A1": Ratio(2, 4),
    "A2": Ratio(3, 4),
    "A3": Ratio(4, 4),
}


def test_weights_sum_to_100_and_every_criterion_has_a_legal_basis():
    assert sum(c.weight for c in REGISTRY.values()) == 100
    assert len(REGISTRY) == 21
    for c in REGISTRY.values():
        assert c.legal_basis and c.nature in {"légal", "politique", "légal + politique"}


def test_worked_example_of_section_6_5_gives_80_2_conforme_with_93_percent_coverage():
    result = score(WORKED_EXAMPLE)
    assert result.total == Decimal("80.2")
    assert result.coverage == Decimal("93.0")
    assert result.band == "CONFORME"
    assert round(result.raw_points, 2) == 74.58
    assert result.by_axis["G"]["points"] == 17.5
    assert result.by_axis["O"]["applicable_max"] == 26
    assert result.by_axis["P"]["points"] == 5


def test_na_criterion_is_excluded_and_remaining_weights_renormalised():
    all_ones = {code: Ratio(1, 1) for code in REGISTRY}
    all_ones["O2"] = Ratio(0, 10)  # 12 points lost out of 100
    assert score(all_ones).total == Decimal("88.0")
    all_ones["O5"] = NA("rien")  # 4 points fewer applicable: 88 / 96
    result = score(all_ones)
    assert result.total == Decimal("87.5")
    assert result.coverage == Decimal("96.0")


def test_nothing_applicable_gives_no_score_rather_than_zero():
    result = score({code: NA("rien") for code in REGISTRY})
    assert result.total is None and result.band == "NON_CALCULABLE"
    assert result.coverage == Decimal("0.0")


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (Decimal("80.0"), "CONFORME"),
        (Decimal("79.9"), "EN_PROGRES"),
        (Decimal("60"), "EN_PROGRES"),
        (Decimal("59.9"), "INSUFFISANT"),
        (Decimal("40"), "INSUFFISANT"),
        (Decimal("39.9"), "CRITIQUE"),
    ],
)
def test_bands_follow_section_6_4(total, band):
    assert compliance.band_for(total) == band


# --- one test per criterion, on real records -----------------------------------------------------


def _evaluate(ministry, as_of=None):
    as_of = as_of or timezone.now()
    return compliance.evaluate([ministry.pk], as_of)[ministry.pk]


def test_g1_titular_with_act_counts_1_without_act_half_none_zero(ministry):
    assert _evaluate(ministry).results["G1"] == Ratio(0, 1)
    mandate = MandateFactory(ministry=ministry, appointment_act_ref="", appointment_act_url="")
    assert _evaluate(ministry).results["G1"].value == 0.5
    mandate.appointment_act_ref = "NOR PRMX2112345A"
    mandate.save()
    assert _evaluate(ministry).results["G1"].value == 1


def test_g1_ended_mandate_is_not_current(ministry):
    MandateFactory(ministry=ministry, end_date=timezone.localdate() - datetime.timedelta(days=1))
    assert _evaluate(ministry).results["G1"].value == 0


def test_g2_prada_name_and_act_half_each(ministry):
    assert _evaluate(ministry).results["G2"].value == 0
    ministry.prada_name = "Claude PRADA"
    ministry.save()
    assert _evaluate(ministry).results["G2"].value == 0.5
    ministry.prada_url = "https://www.interieur.gouv.fr/prada"
    ministry.save()
    assert _evaluate(ministry).results["G2"].value == 1


def test_g3_dpo_email_and_cnil_notification_half_each(ministry):
    ministry.dpo_email = "dpo@interieur.gouv.fr"
    ministry.save()
    assert _evaluate(ministry).results["G3"].value == 0.5
    ministry.dpo_cnil_notified = True
    ministry.save()
    assert _evaluate(ministry).results["G3"].value == 1


def test_s1_current_published_roadmap_1_expired_half_draft_zero(ministry):
    draft = published_roadmap(ministry, status="BROUILLON", published_on=None)
    assert _evaluate(ministry).results["S1"].value == 0
    draft.delete()
    published_roadmap(
        ministry, period_end=datetime.date(2023, 12, 31), period_start=datetime.date(2021, 1, 1)
    )
    assert _evaluate(ministry).results["S1"].value == 0.5
    published_roadmap(ministry)
    assert _evaluate(ministry).results["S1"].value == 1


def test_s1_published_without_url_does_not_count(ministry):
    published_roadmap(ministry, url="")
    assert _evaluate(ministry).results["S1"].value == 0


def _action(roadmap, status, due, **extra):
    action = RoadmapAction.objects.create(
        roadmap=roadmap,
        ministry_id=roadmap.ministry_id,
        title="Action",
        status=status,
        due_date=due,
        evidence_url="https://exemple.gouv.fr/preuve" if status == "REALISEE" else "",
        abandon_reason="Hors budget" if status == "ABANDONNEE" else "",
        **extra,
    )
    ActionStatusUpdate.objects.create(
        action=action,
        ministry_id_at=roadmap.ministry_id,
        new_status=status,
        due_date=due,
        recorded_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    return action


def test_s2_done_plus_half_partial_over_due_minus_abandoned(ministry):
    roadmap = published_roadmap(ministry)
    past = datetime.date(2024, 6, 30)
    assert isinstance(_evaluate(ministry).results["S2"], NA)
    for status in ["REALISEE", "REALISEE", "PARTIELLEMENT_REALISEE", "EN_COURS", "ABANDONNEE"]:
        _action(roadmap, status, past)
    _action(roadmap, "A_LANCER", datetime.date(2099, 1, 1))  # not due yet: ignored
    result = _evaluate(ministry).results["S2"]
    assert (result.numerator, result.denominator) == (2.5, 4)


def test_i1_rip_fresh_1_old_half_none_zero(ministry):
    assert _evaluate(ministry).results["I1"].value == 0
    RIPPublication.objects.create(
        ministry=ministry, year=2020, published_at=datetime.date(2020, 12, 1)
    )
    assert _evaluate(ministry).results["I1"].value == 0.5
    RIPPublication.objects.create(ministry=ministry, year=2026, published_at=timezone.localdate())
    assert _evaluate(ministry).results["I1"].value == 1


def test_i2_complete_entries_over_entries_and_na_without_entries(ministry):
    assert isinstance(_evaluate(ministry).results["I2"], NA)
    states(ministry, 3, catalogue_complete=True)
    states(ministry, 1, catalogue_complete=False)
    assert _evaluate(ministry).results["I2"] == Ratio(3, 4)


def test_o1_qualified_over_entries_with_an_obligation(ministry):
    states(ministry, 2, obligation_basis="NONE", status="TO_ASSESS")  # outside the denominator
    assert isinstance(_evaluate(ministry).results["O1"], NA)
    states(ministry, 3, obligation_basis="L312_1_1_3_DATABASES", status="TO_PUBLISH")
    states(ministry, 1, obligation_basis="L312_1_1_3_DATABASES", status="TO_ASSESS")
    assert _evaluate(ministry).results["O1"] == Ratio(3, 4)


def test_o2_published_over_publishable_restricted_to_l312_and_l321_bases(ministry):
    states(ministry, 2, **PUBLISHED_OK)
    states(
        ministry, 1, status="PUBLISHED_AFTER_OCCULTATION", obligation_basis="L321_4_REFERENCE_DATA"
    )
    states(ministry, 2, status="TO_PUBLISH", obligation_basis="L312_1_1_4_PUBLIC_INTEREST")
    states(ministry, 5, status="PUBLISHED", obligation_basis="VOLUNTARY_L312_1")  # excluded
    assert _evaluate(ministry).results["O2"] == Ratio(3, 5)


def test_o3_planned_dates_not_passed_over_to_publish(ministry):
    today = timezone.localdate()
    assert isinstance(_evaluate(ministry).results["O3"], NA)
    states(ministry, 1, status="TO_PUBLISH", planned_date=today)
    states(
        ministry,
        1,
        status="TO_PUBLISH_AFTER_OCCULTATION",
        planned_date=today + datetime.timedelta(days=30),
    )
    states(ministry, 2, status="TO_PUBLISH", planned_date=today - datetime.timedelta(days=1))
    assert _evaluate(ministry).results["O3"] == Ratio(2, 4)


def test_o4_restrictions_with_ground_and_justification(ministry):
    states(ministry, 1, status="NOT_COMMUNICABLE", has_valid_ground=True, has_justification=True)
    states(ministry, 1, status="OUT_OF_SCOPE", has_valid_ground=True, has_justification=False)
    states(
        ministry,
        1,
        status="TO_PUBLISH_AFTER_OCCULTATION",
        has_valid_ground=True,
        has_justification=True,
    )
    states(ministry, 1, status="NOT_COMMUNICABLE", has_valid_ground=False, has_justification=True)
    assert _evaluate(ministry).results["O4"] == Ratio(2, 4)


@pytest.mark.parametrize("code", ["O5", "A1", "A2", "A3"])
def test_criteria_without_records_in_the_portal_are_na_with_a_reason(ministry, code):
    result = _evaluate(ministry).results[code]
    assert isinstance(result, NA) and "non applicable" in result.reason


def test_q1_compliant_licence_over_published(ministry):
    states(ministry, 3, **PUBLISHED_OK)
    states(ministry, 1, **{**PUBLISHED_OK, "licence_compliant": False})
    states(ministry, 4, status="TO_PUBLISH", licence_compliant=False)  # not published: ignored
    assert _evaluate(ministry).results["Q1"] == Ratio(3, 4)


def test_q2_open_machine_readable_over_published(ministry):
    states(ministry, 1, **PUBLISHED_OK)
    states(ministry, 1, **{**PUBLISHED_OK, "open_machine_readable": False})
    assert _evaluate(ministry).results["Q2"] == Ratio(1, 2)


def test_q3_freshness_tolerance_by_frequency_and_irregular_excluded(ministry):
    today = timezone.localdate()
    days = datetime.timedelta
    states(
        ministry,
        1,
        **{**PUBLISHED_OK, "update_frequency": "MENSUELLE", "last_updated_at": today - days(45)},
    )
    states(
        ministry,
        1,
        **{**PUBLISHED_OK, "update_frequency": "MENSUELLE", "last_updated_at": today - days(46)},
    )
    states(
        ministry,
        1,
        **{**PUBLISHED_OK, "update_frequency": "QUOTIDIENNE", "last_updated_at": today - days(2)},
    )
    states(ministry, 1, **{**PUBLISHED_OK, "update_frequency": "ANNUELLE", "last_updated_at": None})
    states(ministry, 3, **{**PUBLISHED_OK, "update_frequency": "IRREGULIERE"})
    assert _evaluate(ministry).results["Q3"] == Ratio(2, 4)


def test_p1_personal_data_entries_linked_to_the_record(ministry):
    assert isinstance(_evaluate(ministry).results["P1"], NA)
    states(ministry, 1, contains_personal_data=True, ropa_linked=True)
    states(ministry, 2, contains_personal_data=True, ropa_linked=False)
    states(ministry, 5, contains_personal_data=False)
    assert _evaluate(ministry).results["P1"] == Ratio(1, 3)


def test_p2_dpia_done_where_required(ministry):
    assert isinstance(_evaluate(ministry).results["P2"], NA)
    PersonalDataProcessing.objects.create(
        ministry=ministry, name="A", on_cnil_mandatory_list=True, aipd_status="REALISEE"
    )
    PersonalDataProcessing.objects.create(ministry=ministry, name="B", aipd_criteria_count=2)
    PersonalDataProcessing.objects.create(ministry=ministry, name="C", aipd_criteria_count=1)
    assert _evaluate(ministry).results["P2"] == Ratio(1, 2)


def test_p3_published_personal_data_needs_a_basis_and_raises_a_red_flag(ministry):
    states(
        ministry,
        1,
        **{
            **PUBLISHED_OK,
            "contains_personal_data": True,
            "personal_data_basis": "D312_1_3_CATEGORY",
        },
    )
    states(
        ministry,
        1,
        **{**PUBLISHED_OK, "contains_personal_data": True, "personal_data_basis": "NOT_APPLICABLE"},
    )
    ev = _evaluate(ministry)
    assert ev.results["P3"] == Ratio(1, 2)
    assert {"code": "personal_data_published_without_basis", "count": 1}.items() <= ev.red_flags[
        0
    ].items()


def test_red_flags_not_communicable_without_ground_and_no_titular(ministry):
    states(ministry, 2, status="NOT_COMMUNICABLE", has_valid_ground=False)
    codes = {f["code"]: f["count"] for f in _evaluate(ministry).red_flags}
    assert codes == {"not_communicable_without_ground": 2, "no_titular_90_days": 1}
    MandateFactory(ministry=ministry, end_date=timezone.localdate() - datetime.timedelta(days=30))
    codes = {f["code"] for f in _evaluate(ministry).red_flags}
    assert "no_titular_90_days" not in codes  # left 30 days ago: not yet a red flag


def test_latest_state_of_each_entry_wins_and_deleted_entries_drop_out(ministry):
    t0 = timezone.now() - datetime.timedelta(days=2)
    state(ministry, asset_id=7, at=t0, catalogue_complete=False)
    state(ministry, asset_id=7, at=t0 + datetime.timedelta(days=1), catalogue_complete=True)
    state(ministry, asset_id=8, at=t0, catalogue_complete=True)
    state(ministry, asset_id=8, at=t0 + datetime.timedelta(days=1), deleted=True)
    assert _evaluate(ministry).results["I2"] == Ratio(1, 1)


def test_other_ministries_entries_do_not_count(ministry, other_ministry):
    states(ministry, 1, catalogue_complete=True)
    states(other_ministry, 3, catalogue_complete=False)
    both = compliance.evaluate([ministry.pk, other_ministry.pk], timezone.now())
    assert both[ministry.pk].results["I2"] == Ratio(1, 1)
    assert both[other_ministry.pk].results["I2"] == Ratio(0, 3)


def test_end_to_end_on_records_matches_the_pure_arithmetic(ministry, organization):
    """A few criteria built from records, the rest pinned: the total is the pure score."""
    MandateFactory(ministry=ministry)
    ministry.prada_name, ministry.prada_act_ref = "PRADA", "Arrêté du 1er mars 2022"
    ministry.dpo_email, ministry.dpo_cnil_notified = "dpo@interieur.gouv.fr", False
    ministry.save()
    states(
        ministry,
        18,
        catalogue_complete=True,
        status="NOT_COMMUNICABLE",
        has_valid_ground=True,
        has_justification=True,
        obligation_basis="L312_1_1_3_DATABASES",
    )
    states(
        ministry,
        2,
        catalogue_complete=False,
        status="NOT_COMMUNICABLE",
        has_valid_ground=True,
        has_justification=False,
        obligation_basis="L312_1_1_3_DATABASES",
    )
    ev = _evaluate(ministry)
    assert ev.results["G1"].value == 1 and ev.results["G2"].value == 1
    assert ev.results["G3"].value == 0.5
    assert ev.results["I2"] == Ratio(18, 20) and ev.results["O4"] == Ratio(18, 20)
    assert ev.score.total == score(ev.results).total
    detail = ev.criteria_detail()
    assert detail["O4"]["numerator"] == 18 and detail["O4"]["denominator"] == 20
    assert detail["O5"]["na"] is True and detail["G1"]["legal_basis"].startswith("Circulaire")


def test_gather_uses_a_constant_number_of_queries(
    django_assert_max_num_queries, ministry, other_ministry
):
    states(ministry, 5, **PUBLISHED_OK)
    MandateFactory(ministry=ministry)
    with django_assert_max_num_queries(9):
        compliance.evaluate([ministry.pk, other_ministry.pk], timezone.now())


def test_maturity_l0_without_titular_l1_with_act(ministry):
    assert _evaluate(ministry).maturity_level == 0
    MandateFactory(ministry=ministry)
    assert _evaluate(ministry).maturity_level == 1


def test_red_flag_spd_dataset_outdated_beyond_twice_its_legal_frequency(ministry, organization):
    from datasets.models import ReferenceDataDesignation, SpdReferenceDataset
    from tests.supervision.helpers import asset

    spd, _ = SpdReferenceDataset.objects.get_or_create(
        code="TEST_SPD",
        defaults={
            "label": "Référentiel de test",
            "producer_label": "DINUM",
            "legal_frequency": "MONTHLY",
        },
    )
    entry = asset(ministry, organization, title="Référentiel")
    ReferenceDataDesignation.objects.create(
        asset=entry, ministry=ministry, regime="SPD_R321_5", spd_dataset=spd, status="DESIGNATED"
    )
    today = timezone.localdate()
    state(
        ministry,
        asset_id=entry.pk,
        last_updated_at=today - datetime.timedelta(days=60),
        at=timezone.now() - datetime.timedelta(hours=2),
    )
    assert "spd_outdated" not in {f["code"] for f in _evaluate(ministry).red_flags}
    state(ministry, asset_id=entry.pk, last_updated_at=today - datetime.timedelta(days=63))
    flags = {f["code"]: f["count"] for f in _evaluate(ministry).red_flags}
    assert flags["spd_outdated"] == 1
