"""The guided qualification follows DOMAIN §4.5's decision tree (datasets/wizard.py)."""

import pytest

from datasets.wizard import next_step

BASE = {"subject": "oui", "electronic": "oui", "released_elsewhere": "non", "finished": "oui"}


@pytest.mark.parametrize(
    ("answers", "status", "grounds"),
    [
        ({"subject": "non"}, "OUT_OF_SCOPE", ["SCOPE_L312_1_1_SEUIL"]),
        (
            {"subject": "oui", "electronic": "non"},
            "OUT_OF_SCOPE",
            ["SCOPE_L312_1_1_NON_ELECTRONIQUE"],
        ),
        (
            {"subject": "oui", "electronic": "oui", "released_elsewhere": "oui"},
            "OUT_OF_SCOPE",
            ["SCOPE_L311_2_DIFFUSION_PUBLIQUE"],
        ),
        ({**BASE, "finished": "non"}, "OUT_OF_SCOPE", ["SCOPE_L311_2_INACHEVE"]),
        (
            {**BASE, "secret": "oui", "occultable": "non"},
            "NOT_COMMUNICABLE",
            ["L312_1_2_OCCULTATION_DENATURANTE"],
        ),
        (
            {**BASE, "secret": "non", "personal": "non", "already_published": "non"},
            "TO_PUBLISH",
            [],
        ),
        ({**BASE, "secret": "non", "personal": "non", "already_published": "oui"}, "PUBLISHED", []),
        (
            {
                **BASE,
                "secret": "oui",
                "occultable": "oui",
                "personal": "non",
                "already_published": "non",
            },
            "TO_PUBLISH_AFTER_OCCULTATION",
            [],
        ),
        (
            {
                **BASE,
                "secret": "non",
                "personal": "oui",
                "personal_basis": "oui",
                "already_published": "oui",
            },
            "PUBLISHED",
            [],
        ),
        (
            {
                **BASE,
                "secret": "non",
                "personal": "oui",
                "personal_basis": "non",
                "anonymisable": "oui",
                "already_published": "non",
            },
            "TO_PUBLISH_AFTER_OCCULTATION",
            ["L311_6_1_VIE_PRIVEE"],
        ),
        (
            {
                **BASE,
                "secret": "non",
                "personal": "oui",
                "personal_basis": "non",
                "anonymisable": "non",
            },
            "NOT_COMMUNICABLE",
            ["L312_1_2_PERSO_NON_ANONYMISABLE"],
        ),
    ],
)
def test_leaves_of_the_decision_tree(answers, status, grounds):
    question, outcome = next_step(answers)
    assert question is None
    assert outcome.status == status
    assert outcome.grounds == grounds


def test_questions_come_in_the_order_of_the_tree():
    asked = []
    answers = {}
    script = {
        **BASE,
        "secret": "oui",
        "occultable": "oui",
        "personal": "oui",
        "personal_basis": "oui",
        "already_published": "non",
    }
    while True:
        question, outcome = next_step(answers)
        if outcome is not None:
            break
        asked.append(question.key)
        answers[question.key] = script[question.key]
    assert asked == [
        "subject",
        "electronic",
        "released_elsewhere",
        "finished",
        "secret",
        "occultable",
        "personal",
        "personal_basis",
        "already_published",
    ]
    assert outcome.status == "TO_PUBLISH_AFTER_OCCULTATION"
    assert outcome.personal_data_basis == "D312_1_3_CATEGORY"


def test_anonymisation_outcome_prefills_method_and_basis():
    _, outcome = next_step(
        {
            **BASE,
            "secret": "non",
            "personal": "oui",
            "personal_basis": "non",
            "anonymisable": "oui",
            "already_published": "oui",
        }
    )
    assert outcome.status == "PUBLISHED_AFTER_OCCULTATION"
    assert (outcome.occultation_method, outcome.personal_data_basis) == (
        "ANONYMISATION",
        "ANONYMISED",
    )
    assert ("ground", "L311_6_1_VIE_PRIVEE") in outcome.as_query()


@pytest.mark.parametrize(
    ("secret", "status", "says"),
    [
        ({"secret": "non"}, "TO_PUBLISH", "Publication permise sans anonymisation"),
        (
            {"secret": "oui", "occultable": "oui"},
            "TO_PUBLISH_AFTER_OCCULTATION",
            "Publication après occultation des mentions couvertes par un secret",
        ),
    ],
)
def test_the_explanation_of_a_publication_with_a_personal_data_basis_names_the_occultation(
    secret, status, says
):
    """QA pass: « Publication permise sans anonymisation » while the status said « après
    occultation »."""
    answers = {
        **BASE,
        **secret,
        "personal": "oui",
        "personal_basis": "oui",
        "already_published": "non",
    }
    question, outcome = next_step(answers)
    assert question is None and outcome is not None
    assert outcome.status == status
    assert outcome.explanation.startswith(says)
    assert "catégorie D312-1-3" in outcome.explanation
