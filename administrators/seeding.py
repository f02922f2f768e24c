"""Load ministries and organisations from the State's 2016 directory tree (DILA annuaire).

../shared/data/cartographie-2016/administrations.json is a nested {"nom", "children"} tree:
État → Gouvernement → ministries → directions → services. Ministries are the children of
"Gouvernement"; every node below a ministry becomes an Organization with its parent, and the
ministry itself one more (its central administration, path « (name) »). Nodes outside the
government (independent authorities, courts, EU bodies) are skipped and counted.
Idempotent: a node is matched on its path in the tree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from administrators.models import Ministry, Organization

NOT_IN_OGP_SCOPE = {"Premier ministre"}


@dataclass
class SeedReport:
    ministries_created: int = 0
    ministries_existing: int = 0
    organizations_created: int = 0
    organizations_existing: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [
            f"Ministères : {self.ministries_created} créés, {self.ministries_existing} déjà présents",
            f"Organisations : {self.organizations_created} créées, "
            f"{self.organizations_existing} déjà présentes",
        ]
        for reason, count in sorted(self.skipped.items()):
            out.append(f"Ignorés — {reason} : {count}")
        return out


def short_name_for(name: str) -> str:
    short = re.sub(r"^Ministère (de la |de l'|de l’|des |du |de )", "", name)
    short = short.split(",")[0].split(" et ")[0].strip()
    return short[:1].upper() + short[1:] if short else name


def _kind_for(name: str, depth: int) -> str:
    lowered = name.lower()
    if lowered.startswith(
        (
            "ambassade",
            "consulat",
            "préfecture",
            "direction régionale",
            "direction départementale",
            "direction interrégionale",
        )
    ):
        return Organization.Kind.SERVICE_DECONCENTRE
    if depth == 1 and lowered.startswith(
        (
            "direction",
            "secrétariat général",
            "délégation",
            "inspection",
            "service",
            "cabinet",
            "commissariat",
        )
    ):
        return Organization.Kind.ADMIN_CENTRALE
    return Organization.Kind.AUTRE


def _count(node: dict[str, Any]) -> int:
    return 1 + sum(_count(c) for c in node.get("children", []))


@transaction.atomic
def load_administrations(path: Path) -> SeedReport:
    tree = json.loads(path.read_text(encoding="utf-8"))
    report = SeedReport()
    government = None
    for branch in tree.get("children", []):
        if branch.get("nom") == "Gouvernement":
            government = branch
        else:
            report.skipped[f"hors Gouvernement ({branch.get('nom')})"] = _count(branch)
    if government is None:
        raise ValueError("Le fichier ne contient pas de branche « Gouvernement ».")

    existing_ministries = {m.name: m for m in Ministry.objects.all()}
    for node in government["children"]:
        name = node["nom"].strip()
        ministry = existing_ministries.get(name)
        if ministry is None:
            ministry = Ministry.objects.create(
                code=slugify(short_name_for(name))[:64] or slugify(name)[:64],
                name=name,
                short_name=short_name_for(name)[:100],
                in_ogp_scope=name not in NOT_IN_OGP_SCOPE,
            )
            report.ministries_created += 1
        else:
            report.ministries_existing += 1
        _load_children(ministry, node, report)
    return report


def _load_children(ministry: Ministry, root: dict[str, Any], report: SeedReport) -> None:
    existing = {o.path: o for o in Organization.objects.filter(ministry=ministry)}
    # The ministry itself, as its central administration: the manager of the bases a ministry
    # keeps itself (« Ministère de l'Intérieur » in the 2016 inventory, as on data.gouv.fr).
    own_path = f"({ministry.name[:300]})"
    if own_path in existing:
        report.organizations_existing += 1
    else:
        Organization.objects.create(
            ministry=ministry,
            parent=None,
            name=ministry.name[:300],
            path=own_path,
            kind=Organization.Kind.ADMIN_CENTRALE,
        )
        report.organizations_created += 1
    # Breadth-first so that parents exist (with ids) before their children are inserted.
    level: list[tuple[dict[str, Any], Organization | None, str]] = [
        (child, None, child["nom"].strip()) for child in root.get("children", [])
    ]
    depth = 1
    while level:
        to_create: list[Organization] = []
        pending: list[tuple[dict[str, Any], Organization, str]] = []
        seen: set[str] = set()
        for node, parent, path in level:
            name = node["nom"].strip()[:300]
            if path in seen:
                report.skipped["doublon dans l'annuaire"] = (
                    report.skipped.get("doublon dans l'annuaire", 0) + 1
                )
                continue
            seen.add(path)
            org = existing.get(path)
            if org is None:
                org = Organization(
                    ministry=ministry,
                    parent=parent,
                    name=name,
                    path=path[:1000],
                    kind=_kind_for(name, depth),
                )
                to_create.append(org)
                report.organizations_created += 1
            else:
                report.organizations_existing += 1
            for child in node.get("children", []):
                pending.append((child, org, f"{path} / {child['nom'].strip()}"))
        Organization.objects.bulk_create(to_create, batch_size=500)
        level = pending  # type: ignore[assignment]
        depth += 1
