"""Demo data of supervision: two roadmaps with actions, network meetings (a plenary with its
attendance and public minutes, a steering committee, an open-data sprint) and the compliance
snapshots of the last quarters, so that the dashboard shows trends. DEMO ONLY. Idempotent."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from administrators.models import Ministry
from supervision import services
from supervision.models import ComplianceSnapshot, Meeting, Roadmap, RoadmapAxis
from supervision.quarters import Quarter

ROADMAP_TITLE = "Feuille de route ministérielle données, algorithmes et codes sources (démo)"

# (ref, title, axis, type, due quarter, status, progress, evidence, abandon reason)
ACTIONS = [
    (
        "1.1",
        "Publier l'inventaire des données du ministère",
        "2.1",
        "INVENTAIRE",
        6,
        "REALISEE",
        100,
        "https://www.data.gouv.fr/fr/",
        "",
    ),
    (
        "1.2",
        "Ouvrir les données des subventions aux associations",
        "2.2",
        "OUVERTURE_DONNEES",
        5,
        "REALISEE",
        100,
        "https://www.data.gouv.fr/fr/",
        "",
    ),
    (
        "1.3",
        "Exposer une API du référentiel des services",
        "2.2",
        "API",
        4,
        "PARTIELLEMENT_REALISEE",
        60,
        "",
        "",
    ),
    (
        "2.1",
        "Publier le code source du simulateur",
        "2.5",
        "CODE_SOURCE",
        3,
        "EN_COURS",
        40,
        "",
        "",
    ),
    (
        "2.2",
        "Inventorier les principaux algorithmes publics",
        "2.6",
        "ALGORITHME",
        2,
        "A_LANCER",
        0,
        "",
        "",
    ),
    (
        "3.1",
        "Former 200 agents à la donnée",
        "3",
        "FORMATION_ACCULTURATION",
        1,
        "EN_COURS",
        50,
        "",
        "",
    ),
    (
        "4.1",
        "Créer un comité ministériel de la donnée",
        "4",
        "GOUVERNANCE",
        7,
        "ABANDONNEE",
        0,
        "",
        "Remplacé par le comité stratégique du numérique.",
    ),
    (
        "4.2",
        "Nommer un correspondant dans chaque direction",
        "4",
        "GOUVERNANCE",
        -2,
        "A_LANCER",
        0,
        "",
        "",
    ),
]


def _at(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=timezone.get_current_timezone())


def _roadmap(ministry: Ministry, stdout: Any) -> None:
    if Roadmap.objects.filter(ministry=ministry, title=ROADMAP_TITLE).exists():
        return
    today = timezone.localdate()
    start = Quarter.of(today).last(9)[0]
    roadmap = services.roadmap_save(
        actor=None,
        ministry=ministry,
        data={
            "title": ROADMAP_TITLE,
            "version": "1",
            "status": Roadmap.Status.PUBLIEE,
            "period_start": start.start,
            "period_end": datetime.date(today.year + 1, 12, 31),
            "published_on": start.start + datetime.timedelta(days=20),
            "url": "https://www.numerique.gouv.fr/publications/feuilles-de-route-donnees/",
        },
    )
    axes = {a.code: a for a in RoadmapAxis.objects.all()}
    for ref, title, axis, kind, quarters_ago, status, progress, evidence, reason in ACTIONS:
        due_q = Quarter.of(today)
        for _ in range(abs(quarters_ago)):
            due_q = due_q.previous() if quarters_ago > 0 else due_q.next()
        created = _at(start.start + datetime.timedelta(days=30))
        action = services.action_save(
            actor=None,
            roadmap=roadmap,
            recorded_at=created,
            data={
                "ref": ref,
                "title": title,
                "axis": axes.get(axis),
                "action_type": kind,
                "due_date": due_q.end,
                "owner_label": "Secrétariat général",
            },
        )
        if status != "A_LANCER":
            services.action_save(
                actor=None,
                roadmap=roadmap,
                action=action,
                recorded_at=_at(min(due_q.end, today) - datetime.timedelta(days=15)),
                data={
                    "status": status,
                    "progress_pct": progress,
                    "evidence_url": evidence,
                    "abandon_reason": reason,
                },
                comment="Point d'avancement trimestriel (démo)",
            )
    stdout.write(f"  Feuille de route de démonstration : {ministry} ({len(ACTIONS)} actions).")


def _meetings(stdout: Any) -> None:
    if Meeting.objects.filter(title__endswith="(démo)").exists():
        return
    in_scope = list(Ministry.objects.current().filter(in_ogp_scope=True).order_by("name"))
    if not in_scope:
        return
    last = Quarter.current().previous()
    plenary = services.meeting_save(
        actor=None,
        data={
            "meeting_type": Meeting.Type.PLENIERE_TRIMESTRIELLE,
            "status": Meeting.Status.TENUE,
            "title": f"Plénière du réseau {last.display} (démo)",
            "date": last.start + datetime.timedelta(days=40),
            "location": "DINUM, Paris",
            "start_time": datetime.time(9, 30),
            "end_time": datetime.time(12, 30),
        },
        invited_ministry_ids=[m.pk for m in in_scope],
    )
    for i, item in enumerate(
        [
            "Tour de table des feuilles de route",
            "Ouverture par défaut : retours sur les qualifications",
            "Calendrier des sprints open data",
        ]
    ):
        services.agenda_item_add(
            actor=None, meeting=plenary, data={"title": item, "order": i + 1, "duration_min": 45}
        )
    statuses = ["PRESENT", "PRESENT", "REPRESENTE", "PRESENT", "EXCUSE", "ABSENT"]
    for i, ministry in enumerate(in_scope):
        status = statuses[i % len(statuses)]
        services.attendance_record(
            actor=None,
            meeting=plenary,
            ministry=ministry,
            status=status,
            represented_by="Adjoint de l'AMD" if status == "REPRESENTE" else "",
        )
    services.minutes_save(
        actor=None,
        meeting=plenary,
        public=True,
        status="APPROUVE",
        summary="Point d'étape des feuilles de route ; calendrier des sprints open data adopté.",
        body="# Relevé de conclusions\n\n- Les feuilles de route sont suivies trimestriellement.\n"
        "- Chaque ministère organise un sprint open data dans l'année.\n",
    )
    decision = services.decision_add(
        actor=None,
        meeting=plenary,
        text="Chaque ministère organise un sprint open data d'ici la fin de l'année.",
    )
    for ministry in in_scope[:3]:
        services.action_item_save(
            actor=None,
            meeting=plenary,
            data={
                "description": f"Programmer le sprint open data — {ministry}",
                "owner_ministry": ministry,
                "owner_label": "AMD",
                "decision": decision,
                "due_date": plenary.date + datetime.timedelta(days=60),
            },
        )
    services.meeting_save(
        actor=None,
        data={
            "meeting_type": Meeting.Type.COPIL_BIMESTRIEL,
            "status": Meeting.Status.TENUE,
            "title": "Comité de pilotage (démo)",
            "date": last.start + datetime.timedelta(days=20),
        },
        invited_ministry_ids=[m.pk for m in in_scope[:5]],
    )
    services.meeting_save(
        actor=None,
        data={
            "meeting_type": Meeting.Type.SPRINT_OPEN_DATA,
            "status": Meeting.Status.PLANIFIEE,
            "title": f"Sprint open data — {in_scope[0]} (démo)",
            "ministry": in_scope[0],
            "date": timezone.localdate() + datetime.timedelta(days=21),
        },
        invited_ministry_ids=[in_scope[0].pk],
    )
    stdout.write("  Réunions de démonstration : plénière, comité de pilotage, sprint.")


@transaction.atomic
def load_demo(stdout: Any) -> None:
    for short in ("Intérieur", "Culture"):
        ministry = Ministry.objects.filter(short_name__istartswith=short).first()
        if ministry is not None:
            _roadmap(ministry, stdout)
    _meetings(stdout)
    quarters = Quarter.current().last(5)
    for quarter in quarters:
        services.snapshot_compute(actor=None, quarter=quarter)
    published = quarters[-2]
    if not ComplianceSnapshot.objects.filter(
        year=published.year, quarter=published.quarter
    ).exists():
        # No ministry in the network (the 2016 directory was not found): nothing to score.
        stdout.write("  Aucun ministère dans le réseau : pas de score de conformité à calculer.")
        return
    services.snapshot_publish(actor=None, quarter=published)
    stdout.write(
        f"  Scores de conformité calculés pour {quarters[0].label} à {quarters[-1].label}."
    )
