"""The guided qualification: the decision tree of DOMAIN §4.5 (Etalab / CADA-CNIL logigramme).

Pure logic: `next_step(answers)` returns the next question to ask, or the outcome that pre-fills
the qualification form. Answers are "oui" / "non" keyed by question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    hint: str = ""


@dataclass
class Outcome:
    status: str
    grounds: list[str] = field(default_factory=list)
    occultation_method: str = ""
    personal_data_basis: str = ""
    explanation: str = ""

    def as_query(self) -> list[tuple[str, str]]:
        params = [("prefill", "1"), ("status", self.status)]
        params += [("ground", code) for code in self.grounds]
        if self.occultation_method:
            params.append(("occultation_method", self.occultation_method))
        if self.personal_data_basis:
            params.append(("personal_data_basis", self.personal_data_basis))
        return params


QUESTIONS: dict[str, Question] = {
    q.key: q
    for q in [
        Question(
            "subject",
            "L'organisation productrice compte-t-elle au moins 50 agents ou salariés (ETP) ?",
            "Le seuil s'apprécie par personne morale (D312-1-1-1) ; une administration centrale de "
            "l'État est toujours au-dessus.",
        ),
        Question(
            "electronic",
            "Le document ou les données sont-ils disponibles sous forme électronique ?",
            "L312-1-1 ne vise que les documents disponibles sous forme électronique.",
        ),
        Question(
            "released_elsewhere",
            "Font-ils déjà l'objet d'une diffusion publique par ailleurs (autre organisme, "
            "autre canal) ?",
            "Un document déjà diffusé publiquement sort du champ de l'obligation (L311-2, "
            "L312-1-1 3°).",
        ),
        Question(
            "finished",
            "Le document est-il achevé (et non préparatoire à une décision en cours) ?",
            "Seuls les documents achevés sont communicables (L311-2).",
        ),
        Question(
            "secret",
            "Contient-il des informations couvertes par un secret protégé par la loi "
            "(L311-5 ou L311-6) ?",
            "Par exemple : sécurité des systèmes d'information, secret des affaires, vie privée, "
            "secret statistique. La CADA apprécie le contenu du document, pas sa nature.",
        ),
        Question(
            "occultable",
            "Ces mentions peuvent-elles être occultées ou disjointes sans effort disproportionné "
            "ni dénaturer le document ?",
            "Supprimer une colonne ou des lignes n'est pas un effort disproportionné (L311-7, "
            "L312-1-2).",
        ),
        Question(
            "personal",
            "Contient-il des données à caractère personnel ?",
            "Toute information se rapportant à une personne physique identifiée ou identifiable.",
        ),
        Question(
            "personal_basis",
            "Leur publication est-elle permise sans anonymisation : catégorie de l'article "
            "D312-1-3, disposition législative ou accord des personnes ?",
            "Par exemple : annuaires et organigrammes de l'administration, répertoire des élus, "
            "résultats d'examens.",
        ),
        Question(
            "anonymisable",
            "Ces données peuvent-elles être anonymisées sans effort disproportionné ni dénaturer "
            "le document ?",
            "L'anonymisation doit rendre impossible l'identification des personnes (L312-1-2).",
        ),
        Question(
            "already_published",
            "Votre administration publie-t-elle déjà ces données en ligne ?",
            "Si oui, vous indiquerez le lien de publication, la licence et un format ouvert.",
        ),
    ]
}


def _publish(
    answers: dict[str, str], occult: bool, **extra: Any
) -> tuple[Question | None, Outcome | None]:
    if "already_published" not in answers:
        return QUESTIONS["already_published"], None
    published = answers["already_published"] == "oui"
    if occult:
        status = "PUBLISHED_AFTER_OCCULTATION" if published else "TO_PUBLISH_AFTER_OCCULTATION"
    else:
        status = "PUBLISHED" if published else "TO_PUBLISH"
    outcome = Outcome(status=status, **extra)
    if not outcome.explanation:
        outcome.explanation = "Le document est communicable : il doit être publié" + (
            " après occultation des mentions couvertes par un secret." if occult else "."
        )
    return None, outcome


def next_step(answers: dict[str, str]) -> tuple[Question | None, Outcome | None]:
    """The next question, or the outcome once the tree reaches a leaf."""

    def ask(key: str) -> tuple[Question | None, Outcome | None] | None:
        return (QUESTIONS[key], None) if key not in answers else None

    for key, leaf_if, outcome in (
        (
            "subject",
            "non",
            Outcome(
                "OUT_OF_SCOPE",
                ["SCOPE_L312_1_1_SEUIL"],
                explanation="Producteur sous le seuil de 50 agents : hors obligation (une "
                "publication volontaire reste possible, L312-1).",
            ),
        ),
        (
            "electronic",
            "non",
            Outcome(
                "OUT_OF_SCOPE",
                ["SCOPE_L312_1_1_NON_ELECTRONIQUE"],
                explanation="Document non disponible sous forme électronique : hors obligation.",
            ),
        ),
        (
            "released_elsewhere",
            "oui",
            Outcome(
                "OUT_OF_SCOPE",
                ["SCOPE_L311_2_DIFFUSION_PUBLIQUE"],
                explanation="Déjà diffusé publiquement par ailleurs : hors obligation.",
            ),
        ),
        (
            "finished",
            "non",
            Outcome(
                "OUT_OF_SCOPE",
                ["SCOPE_L311_2_INACHEVE"],
                explanation="Document inachevé ou préparatoire : hors obligation tant que la "
                "décision n'est pas prise.",
            ),
        ),
    ):
        pending = ask(key)
        if pending:
            return pending
        if answers[key] == leaf_if:
            return None, outcome

    pending = ask("secret")
    if pending:
        return pending
    occult = False
    if answers["secret"] == "oui":
        pending = ask("occultable")
        if pending:
            return pending
        if answers["occultable"] == "non":
            return None, Outcome(
                "NOT_COMMUNICABLE",
                ["L312_1_2_OCCULTATION_DENATURANTE"],
                explanation="Les mentions secrètes ne peuvent pas être occultées : non "
                "communicable. Ajoutez le motif de secret concerné et sa justification.",
            )
        occult = True
    pending = ask("personal")
    if pending:
        return pending
    if answers["personal"] == "non":
        return _publish(answers, occult)
    pending = ask("personal_basis")
    if pending:
        return pending
    if answers["personal_basis"] == "oui":
        return _publish(
            answers,
            occult,
            personal_data_basis="D312_1_3_CATEGORY",
            explanation=(
                "Publication après occultation des mentions couvertes par un secret ; les données "
                "personnelles n'ont pas à être anonymisées"
                if occult
                else "Publication permise sans anonymisation des données personnelles"
            )
            + " : précisez le fondement (catégorie D312-1-3, texte ou accord des personnes).",
        )
    pending = ask("anonymisable")
    if pending:
        return pending
    if answers["anonymisable"] == "oui":
        return _publish(
            answers,
            True,
            grounds=["L311_6_1_VIE_PRIVEE"],
            occultation_method="ANONYMISATION",
            personal_data_basis="ANONYMISED",
            explanation="Publication après anonymisation (L312-1-2).",
        )
    return None, Outcome(
        "NOT_COMMUNICABLE",
        ["L312_1_2_PERSO_NON_ANONYMISABLE"],
        explanation="Données personnelles non anonymisables : non communicable au public. Le "
        "partage entre administrations habilitées reste possible (loi pour une République "
        "numérique, art. 1) : indiquez le mode de partage de l'entrée.",
    )


def clean_answers(raw: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in raw.items() if k in QUESTIONS and v in ("oui", "non")}
