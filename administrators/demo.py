"""Demo data of the network: the 2016 State tree, one demo account per role, twelve titular
administrators (the FR0034 end-of-term figure, 12 of 16). DEMO ONLY: the people are fictitious,
the ministries and organisations are real. Idempotent."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from administrators.models import DataAdministrator, Membership, Ministry, Person
from administrators.seeding import load_administrations
from core.models import User

DEMO_PASSWORD = "demo-portail-2026"  # noqa: S105 - documented demo-only password

# (email, first, last, role, ministry short name or None, admin kind)
DEMO_ACCOUNTS = [
    ("agd@demo.portail-amd.fr", "Camille", "Démo-AGD", "CHIEF_DATA_OFFICER", None, ""),
    ("dinum@demo.portail-amd.fr", "Dominique", "Démo-DINUM", "DINUM_STAFF", None, ""),
    (
        "amd.interieur@demo.portail-amd.fr",
        "Alex",
        "Démo-Intérieur",
        "MINISTRY_ADMIN",
        "Intérieur",
        "TITULAIRE",
    ),
    (
        "adjoint.culture@demo.portail-amd.fr",
        "Sacha",
        "Démo-Culture",
        "MINISTRY_ADMIN",
        "Culture",
        "ADJOINT",
    ),
    (
        "correspondant.sante@demo.portail-amd.fr",
        "Noa",
        "Démo-Santé",
        "CORRESPONDENT",
        "Affaires sociales",
        "",
    ),
    # The administrator who validates the correspondent's qualification proposals.
    (
        "amd.sante@demo.portail-amd.fr",
        "Maëlle",
        "Démo-Affaires sociales",
        "MINISTRY_ADMIN",
        "Affaires sociales",
        "TITULAIRE",
    ),
    ("formateur@demo.portail-amd.fr", "Lou", "Démo-Formateur", "TRAINER", None, ""),
    ("lecteur@demo.portail-amd.fr", "Eden", "Démo-Lecteur", "VIEWER", None, ""),
]

# Mandates of demo accounts besides the titulars: (email, ministry short name, role, title).
DEMO_OTHER_MANDATES = [
    ("adjoint.culture@demo.portail-amd.fr", "Culture", "AMD_ADJOINT", "Adjoint à l'AMDAC"),
    (
        "correspondant.sante@demo.portail-amd.fr",
        "Affaires sociales",
        "CORRESPONDANT_DIRECTION",
        "Correspondant données",
    ),
]

# Ministries given a current titular administrator in the demo (12 of the 16 in scope).
TITULAR_MINISTRIES = [
    "Affaires étrangères",
    "Affaires sociales",
    "Écologie",
    "Défense",
    "Culture",
    "Économie",
    "Travail",
    "Intérieur",
    "Justice",
    "Finances",
    "Agriculture",
    "Éducation nationale",
]


def _ministry(short: str) -> Ministry | None:
    return Ministry.objects.filter(short_name__istartswith=short).first()


@transaction.atomic
def load_demo(stdout: Any) -> None:
    path = Path(settings.SHARED_DATA_DIR) / "cartographie-2016" / "administrations.json"
    if path.exists():
        for line in load_administrations(path).lines():
            stdout.write(f"  {line}")
    else:
        stdout.write(f"  Annuaire introuvable ({path}) : ministères non chargés.")

    for email, first, last, role, short, kind in DEMO_ACCOUNTS:
        # The network staff's accounts open the Django admin, as the README says (it is scoped
        # by role: core/admin.py).
        staff = role in ("CHIEF_DATA_OFFICER", "DINUM_STAFF")
        user, created = User.objects.get_or_create(
            email=email, defaults={"first_name": first, "last_name": last, "is_staff": staff}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        elif staff and not user.is_staff:  # a demo database loaded before this rule
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        ministry = _ministry(short) if short else None
        if short and ministry is None:
            stdout.write(f"  Compte {email} sans rôle : ministère « {short} » absent.")
            continue
        membership, _ = Membership.objects.get_or_create(
            user=user, role=role, ministry=ministry, defaults={"admin_kind": kind}
        )
        if role == "CORRESPONDENT" and ministry and not membership.organizations.exists():
            membership.organizations.set(ministry.organizations.filter(parent__isnull=True)[:3])
        Person.objects.get_or_create(
            email=email,
            defaults={
                "first_name": first,
                "last_name": last,
                "user": user,
                "consent_directory": True,
            },
        )

    for index, short in enumerate(TITULAR_MINISTRIES):
        ministry = _ministry(short)
        if (
            ministry is None
            or DataAdministrator.objects.filter(ministry=ministry, role="AMD_TITULAIRE").exists()
        ):
            continue
        email = (
            "amd.interieur@demo.portail-amd.fr"
            if short == "Intérieur"
            else f"amd.{ministry.code}@demo.portail-amd.fr"
        )
        person, _ = Person.objects.get_or_create(
            email=email,
            defaults={
                "first_name": "AMD",
                "last_name": f"Démo {ministry.short_name}",
                "consent_directory": index % 3 != 0,
                "job_title": "Administrateur ministériel des données",
            },
        )
        DataAdministrator.objects.create(
            person=person,
            ministry=ministry,
            role="AMD_TITULAIRE",
            title_label="Administrateur ministériel des données, des algorithmes et des codes sources",
            appointment_date=datetime.date(2021, 5, 15),
            appointment_act_type="ARRETE" if index % 4 else "",
            appointment_act_ref=f"DEMO-{ministry.code.upper()[:10]}-2021" if index % 4 else "",
            hierarchical_position="SECRETARIAT_GENERAL",
            time_share_pct=50 + 5 * index % 50,
        )
    # A deputy and a correspondent, so that the ministry pages show more than the titular.
    for email, short, role, title in DEMO_OTHER_MANDATES:
        ministry = _ministry(short)
        holder = Person.objects.filter(email=email).first()
        if ministry is None or holder is None:
            continue
        if DataAdministrator.objects.filter(person=holder, ministry=ministry, role=role).exists():
            continue
        mandate = DataAdministrator.objects.create(
            person=holder,
            ministry=ministry,
            role=role,
            title_label=title,
            appointment_date=datetime.date(2022, 1, 3),
            reports_to=DataAdministrator.objects.filter(
                ministry=ministry, role="AMD_TITULAIRE", end_date__isnull=True
            ).first(),
        )
        if role == "CORRESPONDANT_DIRECTION":
            mandate.perimeter_organizations.set(
                ministry.organizations.filter(parent__isnull=True).order_by("name")[:3]
            )

    in_scope = Ministry.objects.filter(in_ogp_scope=True).count()
    with_titular = (
        Ministry.objects.filter(
            in_ogp_scope=True, mandates__role="AMD_TITULAIRE", mandates__end_date__isnull=True
        )
        .distinct()
        .count()
    )
    stdout.write(
        f"  Comptes de démonstration : {len(DEMO_ACCOUNTS)} (mot de passe {DEMO_PASSWORD})"
    )
    stdout.write(f"  Ministères avec un AMD titulaire : {with_titular} / {in_scope}")
