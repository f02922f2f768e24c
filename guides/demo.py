"""Demo guides: short stubs of the reference guides of the network, written in our own words,
each linking to its source (no text is copied). Published through the services by the demo
DINUM account; idempotent (an existing slug is left alone)."""

from __future__ import annotations

from typing import Any

from core.models import LegalReference, User
from guides import services
from guides.models import Guide, GuideVersion

SOURCE_NOTE = (
    "\n\n---\n\n*Résumé rédigé pour le portail ; seul le guide d'origine fait foi : "
    "[consulter la source]({url}).*"
)

GUIDES: list[dict[str, Any]] = [
    {
        "slug": "ouverture-des-donnees",
        "title": "L'ouverture des données publiques : ce que la loi impose",
        "theme": Guide.Theme.OUVERTURE_PAR_DEFAUT,
        "summary": (
            "Qui doit publier, quoi, et avec quelles exceptions : le principe d'ouverture par "
            "défaut issu de la loi pour une République numérique."
        ),
        "url": "https://guides.etalab.gouv.fr/juridique/1-obligation_od/",
        "refs": [
            "CRPA_L312-1",
            "CRPA_L312-1-1",
            "CRPA_L312-1-2",
            "CRPA_D312-1-1-1",
            "CRPA_L311-5_2",
        ],
        "body": """## Le principe

Depuis la loi du 7 octobre 2016, les administrations d'au moins 50 agents publient en ligne,
sans attendre qu'on le leur demande, leurs documents administratifs et leurs bases de données
qui présentent un intérêt économique, social, sanitaire ou environnemental.

## Qui est concerné

- l'État et ses établissements publics, les collectivités de plus de 3 500 habitants ;
- les organismes chargés d'une mission de service public, au-delà du seuil de 50 agents.

## Ce qui est publié

1. les documents communiqués à la suite d'une demande (article L311-1) ;
2. les documents figurant au répertoire des informations publiques ;
3. les bases de données mises à jour régulièrement ;
4. les données dont la publication présente un intérêt particulier.

## Les limites

### Les secrets protégés

Un document couvert par un secret protégé (défense, sécurité publique, vie privée…) n'est pas
publié, ou l'est après occultation des mentions concernées.

### Les données personnelles

Sauf exception, les données personnelles sont anonymisées avant publication.
""",
    },
    {
        "slug": "reutilisation",
        "title": "La réutilisation des informations publiques",
        "theme": Guide.Theme.LICENCES,
        "summary": (
            "Droit de réutiliser librement, gratuité de principe et licences homologuées "
            "(Licence Ouverte 2.0, ODbL)."
        ),
        "url": "https://guides.etalab.gouv.fr/juridique/2-reutilisation_od/",
        "refs": ["CRPA_L321-2", "CRPA_L322-6", "CRPA_L323-2", "CRPA_D323-2-1"],
        "body": """## Un droit ouvert à tous

Toute personne peut réutiliser les informations publiées, y compris à des fins commerciales,
dans le respect de leur intégrité et en citant leur source.

## La gratuité

La réutilisation est gratuite ; quelques redevances restent possibles dans des cas prévus par
les textes.

## Les licences

### Les licences de données

L'administration choisit une licence de la liste fixée par décret, le plus souvent la Licence
Ouverte 2.0 d'Etalab ou l'ODbL. Une autre licence doit être homologuée.
""",
    },
    {
        "slug": "algorithmes-publics",
        "title": "Les algorithmes publics : transparence et redevabilité",
        "theme": Guide.Theme.ALGORITHMES,
        "summary": (
            "Mention explicite, information de l'intéressé sur demande et publication des "
            "règles des principaux traitements algorithmiques."
        ),
        "url": "https://guides.etalab.gouv.fr/algorithmes/",
        "refs": ["CRPA_L312-1-3"],
        "body": """## Pourquoi

Quand une décision individuelle est prise sur le fondement d'un traitement algorithmique,
la personne concernée doit pouvoir comprendre comment.

## Les obligations

- une mention explicite sur la décision ;
- la communication, sur demande, des règles et des principales caractéristiques du traitement ;
- la publication en ligne des règles des principaux algorithmes (administrations de plus de
  50 agents).

## Par où commencer

Recenser les algorithmes de son périmètre, puis documenter ceux qui fondent des décisions.
""",
    },
    {
        "slug": "anonymisation",
        "title": "Anonymiser et pseudonymiser avant de publier",
        "theme": Guide.Theme.ANONYMISATION,
        "summary": (
            "Distinguer anonymisation et pseudonymisation, choisir une méthode et vérifier le "
            "risque de réidentification."
        ),
        "url": "https://guides.etalab.gouv.fr/pseudonymisation/",
        "refs": ["CRPA_L312-1-2", "CRPA_D312-1-3"],
        "body": """## Deux notions à ne pas confondre

Des données **pseudonymisées** restent des données personnelles ; seules des données
réellement **anonymisées** sortent du champ du RGPD.

## La démarche

1. repérer les données directement et indirectement identifiantes ;
2. choisir une technique (suppression, généralisation, remplacement par des pseudonymes) ;
3. évaluer le risque de réidentification avant toute publication.

## Les exceptions

Certaines catégories de documents peuvent être publiées sans anonymisation : la liste est
fixée par décret (article D312-1-3).
""",
    },
    {
        "slug": "guide-cada-cnil",
        "title": "Publication en ligne et réutilisation : le guide pratique CADA – CNIL",
        "theme": Guide.Theme.RGPD,
        "summary": (
            "Le guide commun de la CADA et de la CNIL pour concilier ouverture des données et "
            "protection des données personnelles."
        ),
        "url": "https://www.cnil.fr/fr/publication-en-ligne-et-reutilisation-des-donnees-publiques-open-data",
        "refs": ["CRPA_L312-1-2", "RGPD_ART35"],
        "body": """## Objet

Les deux autorités expliquent, par questions et réponses, quand des documents contenant des
données personnelles peuvent être publiés et à quelles conditions ils peuvent être réutilisés.

## Les réflexes

- vérifier que le document est communicable ;
- identifier les données personnelles et la base qui permet de les publier ;
- anonymiser à défaut ;
- informer les réutilisateurs de leurs propres obligations au titre du RGPD.
""",
    },
]


def load_demo(stdout: Any) -> None:
    actor = (
        User.objects.filter(memberships__role="DINUM_STAFF").order_by("id").first()
        or User.objects.filter(is_superuser=True).order_by("id").first()
    )
    if actor is None:
        stdout.write("  guides : aucun compte DINUM, guides de démonstration ignorés.")
        return
    created = 0
    for spec in GUIDES:
        if Guide.objects.filter(slug=spec["slug"]).exists():
            continue
        refs = list(
            LegalReference.objects.filter(code__in=spec["refs"]).values_list("pk", flat=True)
        )
        guide = services.guide_create(
            actor=actor,
            slug=spec["slug"],
            title=spec["title"],
            theme=spec["theme"],
            summary=spec["summary"],
            version="1.0.0",
            body=spec["body"] + SOURCE_NOTE.format(url=spec["url"]),
            changelog="Première version : résumé du guide de référence, avec son lien.",
            legal_reference_ids=refs,
        )
        version = guide.versions.get()
        for status in (GuideVersion.Status.EN_RELECTURE, GuideVersion.Status.PUBLIEE):
            version = services.guide_version_transition(
                actor=actor, version=version, to_status=status
            )
        created += 1
    stdout.write(f"  guides : {created} guide(s) publié(s).")
