"""Demo trainings, events and impact indicators. DEMO ONLY: courses, sessions and measurements
are illustrative; the 2016 consultation on the reference data public service is a real event
(160 contributions, source cited). Idempotent."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from administrators.models import Ministry
from core.models import User
from guides.models import Guide
from trainings.models import (
    Audience,
    Event,
    ImpactIndicator,
    Measurement,
    Registration,
    TrainingCourse,
    TrainingSession,
    quarter_bounds,
)

COURSES: list[dict[str, Any]] = [
    {
        "code": "ouverture-par-defaut",
        "title": "Ouvrir ses données par défaut : le cadre juridique",
        "objectives": "Connaître les obligations de publication (CRPA L312-1 et suivants), "
        "les exceptions et la méthode pour qualifier un jeu de données.",
        "format": TrainingCourse.Format.DISTANCIEL,
        "duration_hours": Decimal("3"),
        "provider": "DINUM — équipe de l'administrateur général des données",
        "audiences": ["AMD", "CORRESPONDANTS", "JURISTES_PRADA"],
        "guides": ["ouverture-des-donnees", "reutilisation"],
    },
    {
        "code": "algorithmes-publics",
        "title": "Algorithmes publics : recenser, expliquer, publier",
        "objectives": "Mettre en œuvre la mention explicite et la publication des règles des "
        "principaux traitements algorithmiques.",
        "format": TrainingCourse.Format.HYBRIDE,
        "duration_hours": Decimal("6"),
        "provider": "DINUM",
        "audiences": ["AMD", "AGENTS_METIER", "DATA_SCIENTISTS", "DSI"],
        "guides": ["algorithmes-publics"],
    },
    {
        "code": "anonymisation",
        "title": "Anonymiser avant de publier",
        "objectives": "Choisir une technique d'anonymisation et évaluer le risque de "
        "réidentification.",
        "format": TrainingCourse.Format.PRESENTIEL,
        "duration_hours": Decimal("7"),
        "provider": "DINUM",
        "audiences": ["DPO", "DATA_SCIENTISTS"],
        "guides": ["anonymisation", "guide-cada-cnil"],
    },
]

INDICATORS: list[dict[str, Any]] = [
    {
        "code": "telechargements-datagouv",
        "name": "Téléchargements des jeux de données ministériels sur data.gouv.fr",
        "definition": "Somme trimestrielle des téléchargements des ressources publiées par les "
        "organisations ministérielles.",
        "unit": "téléchargements",
        "level": ImpactIndicator.Level.RESEAU,
        "source": ImpactIndicator.Source.API_DATA_GOUV,
    },
    {
        "code": "reutilisations-referencees",
        "name": "Réutilisations référencées sur data.gouv.fr",
        "definition": "Nombre de réutilisations liées aux jeux de données du ministère.",
        "unit": "réutilisations",
        "level": ImpactIndicator.Level.MINISTERE,
        "source": ImpactIndicator.Source.API_DATA_GOUV,
    },
    {
        "code": "ocde-ourdata",
        "name": "Indice OCDE OURdata (France)",
        "definition": "Score composite de l'OCDE sur l'ouverture, l'utilité et la "
        "réutilisabilité des données publiques.",
        "unit": "score (0 à 1)",
        "level": ImpactIndicator.Level.RESEAU,
        "source": ImpactIndicator.Source.OCDE_OURDATA,
        "frequency": ImpactIndicator.Frequency.ANNUELLE,
    },
]


def _user(email: str) -> User | None:
    return User.objects.filter(email=email).first()


@transaction.atomic
def load_demo(stdout: Any) -> None:
    staff = User.objects.filter(memberships__role="DINUM_STAFF").order_by("id").first()
    trainer = _user("formateur@demo.portail-amd.fr")
    now = timezone.now()

    for course_spec in COURSES:
        spec: dict[str, Any] = dict(course_spec)
        audiences, guides = spec.pop("audiences"), spec.pop("guides")
        course, _ = TrainingCourse.objects.update_or_create(
            code=spec.pop("code"), defaults={**spec, "created_by": staff}
        )
        course.audiences.set(Audience.objects.filter(code__in=audiences))
        course.related_guides.set(Guide.objects.filter(slug__in=guides))

    interieur = Ministry.objects.filter(code="interieur").first() or Ministry.objects.first()
    if not TrainingSession.objects.exists():
        base = (now + datetime.timedelta(days=14)).replace(
            hour=9, minute=30, second=0, microsecond=0
        )
        plan = [
            ("ouverture-par-defaut", base, 3, 25, "", "https://webinaire.numerique.gouv.fr/"),
            (
                "algorithmes-publics",
                base + datetime.timedelta(days=7),
                6,
                12,
                "DINUM, 20 avenue de Ségur, Paris",
                "",
            ),
            (
                "anonymisation",
                base - datetime.timedelta(days=45),
                7,
                15,
                "DINUM, 20 avenue de Ségur, Paris",
                "",
            ),
        ]
        for code, start, hours, capacity, location, visio in plan:
            session = TrainingSession.objects.create(
                course=TrainingCourse.objects.get(code=code),
                start=start,
                end=start + datetime.timedelta(hours=hours),
                capacity=capacity,
                location=location,
                visio_url=visio,
                host_ministry=interieur if code == "algorithmes-publics" else None,
                status=TrainingSession.Status.TENUE
                if start < now
                else TrainingSession.Status.OUVERTE,
                created_by=trainer or staff,
            )
            if trainer:
                session.trainers.add(trainer)
        past = TrainingSession.objects.filter(status=TrainingSession.Status.TENUE).first()
        officials = list(
            User.objects.filter(memberships__ministry__isnull=False).distinct().order_by("id")[:6]
        )
        for i, official in enumerate(officials):
            membership = official.memberships.filter(ministry__isnull=False).first()
            if past is not None and membership is not None and membership.ministry is not None:
                Registration.objects.create(
                    session=past,
                    user=official,
                    ministry=membership.ministry,
                    status=Registration.Status.INSCRIT,
                    registered_at=past.start - datetime.timedelta(days=20),
                    attended=i % 3 != 2,
                    satisfaction=4 + (i % 2) if i % 3 != 2 else None,
                )

    Event.objects.update_or_create(
        title="Consultation publique sur le service public de la donnée",
        defaults={
            "event_type": Event.EventType.CONSULTATION_PUBLIQUE,
            "description": "Consultation en ligne menée par Etalab pour co-construire le service "
            "public des données de référence avec ses utilisateurs (loi pour une République "
            "numérique, article 14).",
            "start": datetime.date(2016, 10, 1),
            "organizer_name": "Etalab (administrateur général des données)",
            "contributions_count": 160,
            "outputs": "Synthèse publiée après anonymisation des contributions ; les attentes des "
            "réutilisateurs ont nourri le décret sur les données de référence (R321-5).",
            "source_url": "https://www.etalab.gouv.fr/comment-nous-co-construisons-le-service-"
            "public-des-donnees-de-reference-avec-ses-utilisateurs",
            "created_by": staff,
        },
    )
    hackathon, _ = Event.objects.update_or_create(
        title="Hackathon des données de l'Intérieur (démonstration)",
        defaults={
            "event_type": Event.EventType.HACKATHON,
            "start": (now - datetime.timedelta(days=120)).date(),
            "organizer_name": "Administrateur ministériel des données (démonstration)",
            "participants_count": 60,
            "reuser_orgs_count": 12,
            "reuses_created": 4,
            "outputs": "Événement fictif pour la démonstration du portail.",
            "created_by": staff,
        },
    )
    if interieur:
        hackathon.ministries.set([interieur])

    for indicator_spec in INDICATORS:
        ind: dict[str, Any] = dict(indicator_spec)
        ImpactIndicator.objects.update_or_create(code=ind.pop("code"), defaults=ind)
    downloads = ImpactIndicator.objects.get(code="telechargements-datagouv")
    year = now.year - 1
    for quarter in range(1, 5):
        q_start, q_end = quarter_bounds(year, quarter)
        Measurement.objects.update_or_create(
            indicator=downloads,
            period_start=q_start,
            ministry=None,
            asset=None,
            defaults={
                "period_end": q_end,
                "value": Decimal(100000 + 12000 * quarter),
                "collected_at": now,
                "is_estimate": True,
                "method_note": "Valeur de démonstration (non issue de data.gouv.fr).",
            },
        )
    stdout.write(
        f"  formations : {TrainingCourse.objects.count()} formations, "
        f"{TrainingSession.objects.count()} sessions, {Event.objects.count()} événements."
    )
