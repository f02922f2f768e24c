# ruff: noqa: S608 - SQL is assembled only from constants, int ids and date literals built here.
"""The per-ministry compliance score (DOMAIN §6), computed only from portal records.

Shape:
- `REGISTRY`: one `Criterion` per code (weight, axis, legal basis, nature) wrapping ONE small
  function `(ctx) -> Ratio | NA`. Adding a criterion = one decorated function (plus, for an
  inventory criterion, its SQL condition in `ASSET_CONDITIONS`) and its test.
- `score(results)`: the pure arithmetic (§6.1): N/A criteria drop out, the remaining weights are
  renormalised, coverage = Σ applicable weights; band (§6.4). §6.5's worked example gives 80.2.
- `gather(ministry_ids, as_of)`: the facts, read with ONE grouped query per source, never a loop
  over entries. Inventory facts come from `AssetStateHistory` (the latest row per entry recorded
  at or before `as_of`), roadmap actions from `ActionStatusUpdate`, so recomputing a closed quarter
  gives the same numbers whatever was edited since. The current quarter uses the same code with
  `as_of = now`: one path, so the live and the historised figures cannot disagree.
- `evaluate(ministry_ids, as_of)`: gather + every criterion + red flags + maturity level.
- Overlay R (§6.3, `OVERLAY_REGISTRY`, R1-R4): for a ministry with at least one entry designated
  as SPD reference data (regime `SPD_R321_5`, status `DESIGNATED`: only a designation the decree
  made official carries the arrêté's obligations; proposed or reviewed ones do not) as of
  `as_of`, the score becomes 0.9 × base + R, R out of 10 with its own N/A renormalisation
  (`with_overlay`). Its facts come from the same log (the designation is recorded in
  `AssetStateHistory`), so a closed quarter recomputes R identically too; availability (R3)
  comes from monthly `Measurement` rows of two impact indicators (`AVAILABILITY_INDICATORS`)
  recorded by the quarter's end, and is N/A when there are none.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Q
from django.utils import timezone

ALGORITHM_VERSION = "2026.2"  # 2026.2: overlay R (§6.3)

AXES: dict[str, str] = {
    "G": "Gouvernance",
    "S": "Stratégie",
    "I": "Inventaire et répertoire",
    "O": "Ouverture par défaut",
    "Q": "Qualité de diffusion",
    "P": "Données personnelles",
    "A": "Algorithmes publics",
}

BANDS = [
    (80, "CONFORME", "Conforme"),
    (60, "EN_PROGRES", "En progrès"),
    (40, "INSUFFISANT", "Insuffisant"),
    (0, "CRITIQUE", "Critique"),
]
BAND_CODES = [code for _, code, _ in BANDS]

# Overlay R (§6.3): score = BASE_FACTOR × base + R, R out of OVERLAY_POINTS.
OVERLAY_AXIS = "R"
OVERLAY_LABEL = "Surcouche R — producteur de données de référence (SPD, R321-5)"
OVERLAY_POINTS = 10
BASE_FACTOR = 0.9


# --- Results of a criterion ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    numerator: float
    denominator: float

    @property
    def value(self) -> float:
        return self.numerator / self.denominator if self.denominator else 0.0


@dataclass(frozen=True)
class NA:
    reason: str


Result = Ratio | NA


def ratio_or_na(numerator: float, denominator: float, reason: str) -> Result:
    """A criterion whose denominator is zero is not applicable (§6.1)."""
    return Ratio(numerator, denominator) if denominator else NA(reason)


# --- The registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    code: str
    axis: str
    weight: float
    label: str
    legal_basis: str
    nature: str  # "légal", "politique" or "légal + politique"
    formula: str
    func: Callable[[MinistryContext], Result]
    evidence: str = ""  # what lies behind the number: "assets", "actions", "mandates", …


REGISTRY: dict[str, Criterion] = {}
# R1-R4 (§6.3): scored apart, only for SPD producers, then combined by `with_overlay`.
OVERLAY_REGISTRY: dict[str, Criterion] = {}


def criterion(
    code: str,
    *,
    weight: float,
    label: str,
    legal_basis: str,
    nature: str,
    formula: str,
    evidence: str = "",
    registry: dict[str, Criterion] | None = None,
) -> Callable[[Callable[[MinistryContext], Result]], Callable[[MinistryContext], Result]]:
    target = REGISTRY if registry is None else registry

    def register(func: Callable[[MinistryContext], Result]) -> Callable[[MinistryContext], Result]:
        target[code] = Criterion(
            code=code,
            axis=code[0],
            weight=weight,
            label=label,
            legal_basis=legal_basis,
            nature=nature,
            formula=formula,
            func=func,
            evidence=evidence,
        )
        return func

    return register


# --- Scoring arithmetic (pure) ------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    total: Decimal | None  # None when nothing applies
    raw_points: float
    applicable_weight: float
    coverage: Decimal
    band: str
    by_axis: dict[str, dict[str, Any]]
    total_weight: float = 100.0


def _round1(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def band_for(total: Decimal | float | None) -> str:
    if total is None:
        return "NON_CALCULABLE"
    for threshold, code, _label in BANDS:
        if total >= threshold:
            return code
    return "CRITIQUE"


def band_label(code: str) -> str:
    return {c: label for _, c, label in BANDS}.get(code, "Non calculable")


def score(results: dict[str, Result], weights: dict[str, float] | None = None) -> Score:
    """§6.1: Σ weight × ratio over applicable criteria, renormalised to 100; coverage shown."""
    weights = weights or {code: c.weight for code, c in REGISTRY.items()}
    raw = 0.0
    applicable = 0.0
    total_weight = sum(weights[code] for code in results)
    by_axis: dict[str, dict[str, Any]] = {}
    for code, result in results.items():
        w = weights[code]
        axis = by_axis.setdefault(
            code[0],
            {"label": AXES.get(code[0], code[0]), "points": 0.0, "max": 0.0, "applicable_max": 0.0},
        )
        axis["max"] += w
        if isinstance(result, Ratio):
            points = w * result.value
            raw += points
            applicable += w
            axis["points"] += points
            axis["applicable_max"] += w
    for axis in by_axis.values():
        axis["points"] = round(axis["points"], 3)
        axis["pct"] = (
            float(_round1(100 * axis["points"] / axis["applicable_max"]))
            if axis["applicable_max"]
            else None
        )
    total = _round1(100 * raw / applicable) if applicable else None
    coverage = _round1(100 * applicable / total_weight) if total_weight else Decimal("0.0")
    return Score(
        total=total,
        raw_points=raw,
        applicable_weight=applicable,
        coverage=coverage,
        band=band_for(total),
        by_axis=by_axis,
        total_weight=total_weight,
    )


def with_overlay(
    base: Score, results: dict[str, Result], entries: list[dict[str, Any]] | None = None
) -> Score:
    """§6.3: 0.9 × base score + R, R out of 10. R's N/A criteria drop out and its remaining
    weights are renormalised to 10, exactly like the base (§6.1). Coverage of the whole =
    0.9 × base coverage + R's applicable weight (R weighs 10 of the 100). The overlay's own
    numbers are kept in `by_axis["R"]` (base score and coverage included)."""
    raw = 0.0
    applicable = 0.0
    for code, result in results.items():
        if isinstance(result, Ratio):
            w = OVERLAY_REGISTRY[code].weight
            raw += w * result.value
            applicable += w
    base_exact = 100 * base.raw_points / base.applicable_weight if base.applicable_weight else None
    r_points = OVERLAY_POINTS * raw / applicable if applicable else None
    if base_exact is None:
        total = None
    elif r_points is None:  # nothing of R applies: the base stands alone
        total = base.total
    else:
        total = _round1(BASE_FACTOR * base_exact + r_points)
    base_cov = 100 * base.applicable_weight / base.total_weight if base.total_weight else 0.0
    r_weight = sum(OVERLAY_REGISTRY[code].weight for code in results)
    coverage = _round1(BASE_FACTOR * base_cov + OVERLAY_POINTS * applicable / r_weight)
    by_axis = dict(base.by_axis)
    by_axis[OVERLAY_AXIS] = {
        "label": OVERLAY_LABEL,
        "overlay": True,
        "points": round(raw, 3),
        "max": r_weight,
        "applicable_max": applicable,
        "pct": float(_round1(100 * raw / applicable)) if applicable else None,
        "r_points": round(r_points, 3) if r_points is not None else None,
        "base_total": float(base.total) if base.total is not None else None,
        "base_coverage": float(base.coverage),
        "entries": entries or [],
    }
    return Score(
        total=total,
        raw_points=base.raw_points,
        applicable_weight=base.applicable_weight,
        coverage=coverage,
        band=band_for(total),
        by_axis=by_axis,
        total_weight=base.total_weight,
    )


# --- Facts (context of one ministry) --------------------------------------------------------------


@dataclass
class SpdEntry:
    """One entry designated as SPD reference data, as of the evaluated instant (overlay R)."""

    asset_id: int
    title: str | None  # None: the entry has been deleted since
    spd_code: str
    spd_label: str
    legal_frequency: str
    metadata: int  # of the 8 annex-1° metadata
    last_updated_at: datetime.date | None
    process_info: bool
    download: list[float] = field(default_factory=list)  # monthly availability, %
    api: list[float] = field(default_factory=list)

    def fresh(self, today: datetime.date) -> bool:
        limit = LEGAL_FREQUENCY_TOLERANCE_DAYS.get(self.legal_frequency)
        if self.last_updated_at is None or limit is None:
            return False
        return (today - self.last_updated_at).days <= limit

    def as_json(self, today: datetime.date) -> dict[str, Any]:
        def mean(values: list[float]) -> float | None:
            return round(sum(values) / len(values), 2) if values else None

        from datasets.models import SpdReferenceDataset

        frequencies = dict(SpdReferenceDataset.LegalFrequency.choices)
        return {
            "asset_id": self.asset_id,
            "title": self.title or f"Entrée supprimée n° {self.asset_id}",
            "deleted": self.title is None,
            "spd_code": self.spd_code,
            "spd_label": self.spd_label,
            "legal_frequency": self.legal_frequency,
            "legal_frequency_label": str(
                frequencies.get(self.legal_frequency, self.legal_frequency)
            ),
            "tolerance_days": LEGAL_FREQUENCY_TOLERANCE_DAYS.get(self.legal_frequency),
            "metadata": self.metadata,
            "last_updated_at": self.last_updated_at.isoformat() if self.last_updated_at else None,
            "fresh": self.fresh(today),
            "process_info": self.process_info,
            "download_availability": mean(self.download),
            "api_availability": mean(self.api),
        }


@dataclass
class MinistryContext:
    ministry_id: int
    today: datetime.date
    # governance
    titular_current: bool = False
    titular_has_act: bool = False
    titular_recent: bool = False  # some titular mandate during the last 90 days
    prada_name: bool = False
    prada_act: bool = False
    dpo_email: bool = False
    dpo_notified: bool = False
    # strategy
    roadmap_published_current: bool = False
    roadmap_published_expired: bool = False
    actions_due: int = 0
    actions_done: int = 0
    actions_partial: int = 0
    actions_abandoned: int = 0
    # inventory
    rip_last_published: datetime.date | None = None
    assets: dict[str, tuple[int, int]] = field(default_factory=dict)  # code -> (num, den)
    asset_total: int = 0
    flags: dict[str, int] = field(default_factory=dict)
    facts: dict[str, int] = field(default_factory=dict)
    spd_outdated: int = 0
    spd_entries: list[SpdEntry] = field(default_factory=list)  # overlay R (§6.3)
    # personal data
    aipd_required: int = 0
    aipd_done: int = 0

    def asset_ratio(self, code: str, reason: str) -> Result:
        num, den = self.assets.get(code, (0, 0))
        return ratio_or_na(num, den, reason)


# --- Criteria (§6.2) ------------------------------------------------------------------------------

NO_ALGORITHMS = (
    "Le registre des algorithmes publics n'est pas encore tenu dans le portail "
    "(aucune fiche AlgorithmEntry) : critère non applicable."
)


@criterion(
    "G1",
    weight=10,
    label="AMD désigné et en fonction, avec un acte de nomination référencé",
    legal_basis="Circulaire 6264/SG du 27 avril 2021 ; OGP FR0034",
    nature="politique",
    formula="1 si un AMD titulaire en fonction a un acte référencé ; 0,5 sans acte ; 0 sinon",
    evidence="mandates",
)
def g1(ctx: MinistryContext) -> Result:
    if not ctx.titular_current:
        return Ratio(0, 1)
    return Ratio(1, 1) if ctx.titular_has_act else Ratio(0.5, 1)


@criterion(
    "G2",
    weight=5,
    label="PRADA désignée et publiée",
    legal_basis="CRPA L330-1, R330-2, R330-3",
    nature="légal",
    formula="(nom de la PRADA) × 0,5 + (acte ou page publique) × 0,5",
    evidence="ministry",
)
def g2(ctx: MinistryContext) -> Result:
    return Ratio(0.5 * ctx.prada_name + 0.5 * ctx.prada_act, 1)


@criterion(
    "G3",
    weight=5,
    label="DPO désigné et notifié à la CNIL",
    legal_basis="RGPD art. 37(1)(a) et 37(7)",
    nature="légal",
    formula="(courriel du DPO) × 0,5 + (notifié à la CNIL) × 0,5",
    evidence="ministry",
)
def g3(ctx: MinistryContext) -> Result:
    return Ratio(0.5 * ctx.dpo_email + 0.5 * ctx.dpo_notified, 1)


@criterion(
    "S1",
    weight=5,
    label="Feuille de route en vigueur publiée",
    legal_basis="Circulaire 6264/SG du 27 avril 2021",
    nature="politique",
    formula="1 si publiée (avec lien) et en cours ; 0,5 si publiée mais échue ; 0 sinon",
    evidence="roadmaps",
)
def s1(ctx: MinistryContext) -> Result:
    if ctx.roadmap_published_current:
        return Ratio(1, 1)
    return Ratio(0.5, 1) if ctx.roadmap_published_expired else Ratio(0, 1)


@criterion(
    "S2",
    weight=5,
    label="Exécution des actions échues de la feuille de route",
    legal_basis="Circulaire 6264/SG du 27 avril 2021",
    nature="politique",
    formula="(réalisées + 0,5 × partiellement réalisées) ÷ actions échues, hors abandons motivés",
    evidence="actions",
)
def s2(ctx: MinistryContext) -> Result:
    return ratio_or_na(
        ctx.actions_done + 0.5 * ctx.actions_partial,
        ctx.actions_due - ctx.actions_abandoned,
        "Aucune action de feuille de route n'est encore échue.",
    )


@criterion(
    "I1",
    weight=8,
    label="Répertoire des informations publiques publié et mis à jour depuis moins de 12 mois",
    legal_basis="CRPA L322-6, R322-7 ; L312-1-1 2°",
    nature="légal",
    formula="1 si publié depuis moins de 365 jours ; 0,5 si plus ancien ; 0 si aucun",
    evidence="rip",
)
def i1(ctx: MinistryContext) -> Result:
    if ctx.rip_last_published is None:
        return Ratio(0, 1)
    fresh = ctx.rip_last_published >= ctx.today - datetime.timedelta(days=365)
    return Ratio(1, 1) if fresh else Ratio(0.5, 1)


@criterion(
    "I2",
    weight=7,
    label="Complétude des entrées de l'inventaire",
    legal_basis="CRPA L322-6, R322-7 ; décret 2014-1050 ; schéma catalogue Etalab",
    nature="légal + politique",
    formula="entrées dont tous les champs obligatoires du catalogue sont remplis ÷ entrées",
    evidence="assets",
)
def i2(ctx: MinistryContext) -> Result:
    return ctx.asset_ratio("I2", "L'inventaire ne contient encore aucune entrée.")


@criterion(
    "O1",
    weight=5,
    label="Taux de qualification",
    legal_basis="CRPA L312-1-1",
    nature="légal",
    formula="entrées soumises à une obligation et qualifiées ÷ entrées soumises à une obligation",
    evidence="assets",
)
def o1(ctx: MinistryContext) -> Result:
    return ctx.asset_ratio("O1", "Aucune entrée n'est soumise à une obligation de publication.")


@criterion(
    "O2",
    weight=12,
    label="Taux de publication des documents communicables",
    legal_basis="CRPA L312-1-1 1° à 4° ; L312-1-2 ; L311-7 ; L321-4",
    nature="légal",
    formula="publiées ÷ (publiées + à publier), fondements L312-1-1 1°–4° et L321-4",
    evidence="assets",
)
def o2(ctx: MinistryContext) -> Result:
    return ctx.asset_ratio("O2", "Aucune entrée publiable au titre de L312-1-1 ou L321-4.")


@criterion(
    "O3",
    weight=5,
    label="Échéances de publication tenues",
    legal_basis="CRPA L312-1-1 ; feuille de route",
    nature="légal + politique",
    formula="entrées « à publier » dont la date prévue n'est pas dépassée ÷ entrées « à publier »",
    evidence="assets",
)
def o3(ctx: MinistryContext) -> Result:
    return ctx.asset_ratio("O3", "Aucune entrée n'est en attente de publication.")


@criterion(
    "O4",
    weight=4,
    label="Toute restriction est motivée",
    legal_basis="CRPA L311-5, L311-6, L311-7, L311-2, L312-1-2",
    nature="légal",
    formula="restrictions (non communicable, occultation, hors obligation) avec un motif "
    "valide et une justification ÷ restrictions",
    evidence="assets",
)
def o4(ctx: MinistryContext) -> Result:
    return ctx.asset_ratio(
        "O4", "Aucune entrée restreinte (non communicable, occultée, hors obligation)."
    )


@criterion(
    "O5",
    weight=4,
    label="Documents communiqués sur demande publiés en ligne",
    legal_basis="CRPA L312-1-1 1°",
    nature="légal",
    formula="demandes d'accès satisfaites dont le document est publié ÷ demandes satisfaites",
)
def o5(ctx: MinistryContext) -> Result:
    return NA(
        "Les demandes d'accès (CADA) ne sont pas encore enregistrées dans le portail "
        "(aucune fiche AccessRequest) : critère non applicable."
    )


@criterion(
    "Q1",
    weight=4,
    label="Licence conforme",
    legal_basis="CRPA L323-2 ; D323-2-1 ; D323-2-2",
    nature="légal",
    formula="entrées publiées sous une licence de la liste du "
    "décret ou homologuée ÷ entrées publiées",
    evidence="assets",
)
def q1(ctx: MinistryContext) -> Result:
    return ctx.asset_ratio("Q1", "Aucune entrée publiée.")


@criterion(
    "Q2",
    weight=3,
    label="Format ouvert et lisible par machine",
    legal_basis="CRPA L300-4 ; L321-1",
    nature="légal",
    formula="entrées publiées avec au moins un format ouvert et lisible par machine ÷ "
    "entrées publiées",
    evidence="assets",
)
def q2(ctx: MinistryContext) -> Result:
    return ctx.asset_ratio("Q2", "Aucune entrée publiée.")


@criterion(
    "Q3",
    weight=3,
    label="Fraîcheur au regard de la fréquence déclarée",
    legal_basis="CRPA L312-1-1 3° et 4° (« mises à jour de façon régulière »)",
    nature="légal",
    formula="entrées publiées à jour (tolérance selon la fréquence) ÷ "
    "entrées publiées de fréquence régulière",
    evidence="assets",
)
def q3(ctx: MinistryContext) -> Result:
    return ctx.asset_ratio("Q3", "Aucune entrée publiée n'a de fréquence de mise à jour régulière.")


@criterion(
    "P1",
    weight=3,
    label="Entrées à données personnelles rattachées au registre",
    legal_basis="RGPD art. 30",
    nature="légal",
    formula="entrées à données personnelles liées à un traitement du registre ÷ entrées à "
    "données personnelles",
    evidence="assets",
)
def p1(ctx: MinistryContext) -> Result:
    return ctx.asset_ratio("P1", "Aucune entrée ne contient de données personnelles.")


@criterion(
    "P2",
    weight=3,
    label="AIPD réalisée lorsqu'elle est requise",
    legal_basis="RGPD art. 35",
    nature="légal",
    formula="traitements dont l'AIPD est requise et réalisée ÷ traitements dont l'AIPD est requise",
    evidence="processings",
)
def p2(ctx: MinistryContext) -> Result:
    return ratio_or_na(
        ctx.aipd_done, ctx.aipd_required, "Aucun traitement n'exige d'analyse d'impact (AIPD)."
    )


@criterion(
    "P3",
    weight=2,
    label="Publication licite de données personnelles",
    legal_basis="CRPA L312-1-2 ; D312-1-3",
    nature="légal",
    formula="entrées publiées à données personnelles avec un fondement ÷ entrées publiées à "
    "données personnelles",
    evidence="assets",
)
def p3(ctx: MinistryContext) -> Result:
    return ctx.asset_ratio("P3", "Aucune entrée publiée ne contient de données personnelles.")


@criterion(
    "A1",
    weight=3,
    label="Registre des principaux algorithmes publié en ligne",
    legal_basis="CRPA L312-1-3 ; D312-1-4",
    nature="légal",
    formula="algorithmes principaux publiés ÷ algorithmes principaux sans exemption",
)
def a1(ctx: MinistryContext) -> Result:
    return NA(NO_ALGORITHMS)


@criterion(
    "A2",
    weight=2,
    label="Fiches du registre complètes",
    legal_basis="CRPA L312-1-3 ; fiche pratique Etalab",
    nature="légal + politique",
    formula="fiches dont tous les champs sont remplis ÷ fiches",
)
def a2(ctx: MinistryContext) -> Result:
    return NA(NO_ALGORITHMS)


@criterion(
    "A3",
    weight=2,
    label="Mention explicite sur les décisions individuelles",
    legal_basis="CRPA L311-3-1, R311-3-1-1 ; loi Informatique et libertés art. 47",
    nature="légal",
    formula="fiches avec mention explicite sur les décisions ÷ fiches",
)
def a3(ctx: MinistryContext) -> Result:
    return NA(NO_ALGORITHMS)


# --- Overlay R (§6.3): only for ministries producing SPD reference data ------------------------


@criterion(
    "R1",
    weight=3,
    label="Les 8 métadonnées obligatoires des données de référence",
    legal_basis="Arrêté du 14 juin 2017, annexe 1°",
    nature="légal",
    formula="métadonnées présentes ÷ 8 par donnée de référence : source et date de mise à jour "
    "(organisation, date de dernière mise à jour), titre, description, fréquence, format, "
    "couverture géographique, licence, mots-clés",
    evidence="spd",
    registry=OVERLAY_REGISTRY,
)
def r1(ctx: MinistryContext) -> Result:
    return ratio_or_na(
        sum(min(e.metadata, 8) for e in ctx.spd_entries),
        8 * len(ctx.spd_entries),
        "Aucune donnée de référence désignée.",
    )


@criterion(
    "R2",
    weight=3,
    label="Fréquence légale de mise à jour respectée",
    legal_basis="Arrêté du 14 juin 2017, annexe 3°",
    nature="légal",
    formula="données de référence mises à jour dans la tolérance de leur fréquence légale "
    "(chaque jour ouvré 3 j, hebdomadaire 10 j, mensuelle 45 j, trimestrielle 100 j, "
    "quadrimestrielle 135 j, semestrielle 200 j, annuelle ou campagne PAC 400 j) ÷ données "
    "de référence",
    evidence="spd",
    registry=OVERLAY_REGISTRY,
)
def r2(ctx: MinistryContext) -> Result:
    return ratio_or_na(
        sum(1 for e in ctx.spd_entries if e.fresh(ctx.today)),
        len(ctx.spd_entries),
        "Aucune donnée de référence désignée.",
    )


@criterion(
    "R3",
    weight=2,
    label="Disponibilité",
    legal_basis="Arrêté du 14 juin 2017 (99 % du temps mensuel, 99,5 % par API)",
    nature="légal",
    formula="moyenne, sur les mesures mensuelles des trois derniers mois, de min(1, "
    "disponibilité ÷ 99 %) en téléchargement et de min(1, disponibilité ÷ 99,5 %) par API "
    "(là où une API est mesurée)",
    evidence="spd",
    registry=OVERLAY_REGISTRY,
)
def r3(ctx: MinistryContext) -> Result:
    terms = [
        min(1.0, v / AVAILABILITY_TARGETS["download"]) for e in ctx.spd_entries for v in e.download
    ]
    terms += [min(1.0, v / AVAILABILITY_TARGETS["api"]) for e in ctx.spd_entries for v in e.api]
    return ratio_or_na(
        sum(terms),
        len(terms),
        "Aucune mesure de disponibilité mensuelle n'est enregistrée pour les données de "
        "référence du ministère sur les trois derniers mois (indicateurs d'impact « "
        + AVAILABILITY_INDICATORS["download"]
        + " » et « "
        + AVAILABILITY_INDICATORS["api"]
        + " », au niveau du jeu de données) : critère non applicable.",
    )


@criterion(
    "R4",
    weight=2,
    label="Information du public sur le processus de production et de mise à jour",
    legal_basis="Arrêté du 14 juin 2017, annexe 2°",
    nature="légal",
    formula="données de référence dont la page décrivant le processus est renseignée ÷ données "
    "de référence",
    evidence="spd",
    registry=OVERLAY_REGISTRY,
)
def r4(ctx: MinistryContext) -> Result:
    return ratio_or_na(
        sum(1 for e in ctx.spd_entries if e.process_info),
        len(ctx.spd_entries),
        "Aucune donnée de référence désignée.",
    )


# --- Inventory conditions (SQL over the latest state of each entry) -----------------------------

PUBLISHED = "status IN ('PUBLISHED', 'PUBLISHED_AFTER_OCCULTATION')"
TO_PUBLISH = "status IN ('TO_PUBLISH', 'TO_PUBLISH_AFTER_OCCULTATION')"
RESTRICTED = (
    "status IN ('NOT_COMMUNICABLE', 'OUT_OF_SCOPE', 'PUBLISHED_AFTER_OCCULTATION', "
    "'TO_PUBLISH_AFTER_OCCULTATION')"
)
L312_BASES = (
    "obligation_basis IN ('L312_1_1_1_COMMUNICATED', 'L312_1_1_2_RIP', "
    "'L312_1_1_3_DATABASES', 'L312_1_1_4_PUBLIC_INTEREST', 'L321_4_REFERENCE_DATA')"
)
PD_BASIS = "personal_data_basis NOT IN ('', 'NOT_APPLICABLE')"

# Tolerance in days by declared frequency (§6.2 Q3; bimonthly interpolated; real-time and hourly
# entries are held to the daily tolerance). Other frequencies are not measured.
FRESHNESS_TOLERANCE_DAYS = {
    "TEMPS_REEL": 3,
    "HORAIRE": 3,
    "QUOTIDIENNE": 3,
    "HEBDOMADAIRE": 10,
    "MENSUELLE": 45,
    "BIMESTRIELLE": 75,
    "TRIMESTRIELLE": 100,
    "SEMESTRIELLE": 200,
    "ANNUELLE": 400,
}


def _d(day: datetime.date) -> str:
    """A date literal (generated here from a date object, never from user input)."""
    return f"'{day.isoformat()}'"


def _freshness(today: datetime.date) -> tuple[str, str]:
    freqs = ", ".join(f"'{f}'" for f in FRESHNESS_TOLERANCE_DAYS)
    fresh = " OR ".join(
        f"(update_frequency = '{f}' AND last_updated_at >= {_d(today - datetime.timedelta(days=n))})"
        for f, n in FRESHNESS_TOLERANCE_DAYS.items()
    )
    return f"{PUBLISHED} AND update_frequency IN ({freqs})", f"({fresh})"


# code -> (denominator condition, numerator condition) as functions of the reference day.
ASSET_CONDITIONS: dict[str, Callable[[datetime.date], tuple[str, str]]] = {
    "I2": lambda t: ("1 = 1", "catalogue_complete"),
    "O1": lambda t: ("obligation_basis <> 'NONE'", "status <> 'TO_ASSESS'"),
    "O2": lambda t: (f"{L312_BASES} AND ({PUBLISHED} OR {TO_PUBLISH})", PUBLISHED),
    "O3": lambda t: (TO_PUBLISH, f"planned_date >= {_d(t)}"),
    "O4": lambda t: (RESTRICTED, "has_valid_ground AND has_justification"),
    "Q1": lambda t: (PUBLISHED, "licence_compliant"),
    "Q2": lambda t: (PUBLISHED, "open_machine_readable"),
    "Q3": _freshness,
    "P1": lambda t: ("contains_personal_data", "ropa_linked"),
    "P3": lambda t: (f"{PUBLISHED} AND contains_personal_data", PD_BASIS),
}

# Red flags counted from the same rows (§6.4).
ASSET_FLAGS: dict[str, str] = {
    "not_communicable_without_ground": "status = 'NOT_COMMUNICABLE' AND NOT has_valid_ground",
    "personal_data_published_without_basis": f"{PUBLISHED} AND contains_personal_data AND NOT ({PD_BASIS})",
}


def _spd_designated(alias: str = "") -> str:
    """An entry designated as SPD reference data (R321-5) by decree: only a designation in
    force carries the arrêté's obligations (a proposed or reviewed one does not)."""
    return (
        f"{alias}reference_regime = 'SPD_R321_5' AND {alias}reference_status = 'DESIGNATED' "
        f"AND {alias}spd_dataset_ref IS NOT NULL"
    )


# Counters kept with each snapshot for the network indicators (§7 N10, N11).
L312_BASIS_CODES = [
    "L312_1_1_1_COMMUNICATED",
    "L312_1_1_2_RIP",
    "L312_1_1_3_DATABASES",
    "L312_1_1_4_PUBLIC_INTEREST",
    "L321_4_REFERENCE_DATA",
]
ASSET_FACTS: dict[str, str] = {
    "qualified": "status <> 'TO_ASSESS'",
    "published": PUBLISHED,
    "to_publish": TO_PUBLISH,
    **{f"published:{b}": f"{PUBLISHED} AND obligation_basis = '{b}'" for b in L312_BASIS_CODES},
    **{f"to_publish:{b}": f"{TO_PUBLISH} AND obligation_basis = '{b}'" for b in L312_BASIS_CODES},
    # Entries designated as SPD reference data (§6.3): > 0 switches overlay R on.
    "spd_designated": _spd_designated(),
}

RED_FLAG_LABELS = {
    "not_communicable_without_ground": "Entrées non communicables sans motif légal",
    "personal_data_published_without_basis": "Données personnelles publiées sans fondement",
    "no_titular_90_days": "Aucun AMD titulaire en fonction depuis plus de 90 jours",
    "spd_outdated": "Donnée de référence (SPD) non mise à jour depuis plus de deux fois sa "
    "fréquence légale",
}

# Twice the legal update frequency of a reference dataset (arrêté du 14 juin 2017), in days.
SPD_OUTDATED_DAYS = {
    "DAILY_WORKDAY": 4,
    "WEEKLY": 14,
    "MONTHLY": 62,
    "QUARTERLY": 184,
    "FOUR_MONTHLY": 244,
    "HALF_YEARLY": 366,
    "YEARLY": 730,
    "PER_CAP_CAMPAIGN": 730,
}


# Tolerance of R2, by legal frequency (arrêté du 14 juin 2017, annex 3°): the Q3 tolerance of
# the matching declared frequency (§6.2), four-monthly 135 days (§6.2 Q3's list), a CAP campaign
# being yearly.
LEGAL_FREQUENCY_TOLERANCE_DAYS = {
    "DAILY_WORKDAY": FRESHNESS_TOLERANCE_DAYS["QUOTIDIENNE"],
    "WEEKLY": FRESHNESS_TOLERANCE_DAYS["HEBDOMADAIRE"],
    "MONTHLY": FRESHNESS_TOLERANCE_DAYS["MENSUELLE"],
    "QUARTERLY": FRESHNESS_TOLERANCE_DAYS["TRIMESTRIELLE"],
    "FOUR_MONTHLY": 135,
    "HALF_YEARLY": FRESHNESS_TOLERANCE_DAYS["SEMESTRIELLE"],
    "YEARLY": FRESHNESS_TOLERANCE_DAYS["ANNUELLE"],
    "PER_CAP_CAMPAIGN": FRESHNESS_TOLERANCE_DAYS["ANNUELLE"],
}

# R3: monthly availability (%) recorded as `trainings.Measurement` rows of these impact
# indicators (level « jeu de données », one row per reference-data entry and month), read over
# the three months up to the evaluated day; the targets are the arrêté's, not the designation's
# declared SLA (a ministry cannot lower the bar by declaring less).
AVAILABILITY_INDICATORS = {
    "download": "spd-disponibilite-telechargement",
    "api": "spd-disponibilite-api",
}
AVAILABILITY_TARGETS = {"download": 99.0, "api": 99.5}
AVAILABILITY_WINDOW_DAYS = 92


def _history_table() -> str:
    from datasets.models import AssetStateHistory

    return AssetStateHistory._meta.db_table


def _ids_sql(ids: Iterable[int]) -> str:
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def latest_states_sql(ministry_ids: Iterable[int] | None) -> str:
    """SQL of the latest state of each entry recorded at or before the parameter (one `%s`).

    An entry never changes ministry (the inventory services refuse it: the organisation must
    stay in the entry's ministry), so restricting the rows to some ministries is exact and lets
    PostgreSQL use the (ministry, entry, recorded_at) index."""
    table = _history_table()
    scope = ""
    if ministry_ids is not None:
        scope = f" AND ministry_id_at IN ({_ids_sql(ministry_ids)})"
    if connection.vendor == "postgresql":
        return (
            f"SELECT DISTINCT ON (asset_id_ref) * FROM {table} WHERE recorded_at <= %s{scope} "
            "ORDER BY asset_id_ref, recorded_at DESC, id DESC"
        )
    return (
        f"SELECT * FROM (SELECT h.*, ROW_NUMBER() OVER (PARTITION BY asset_id_ref "
        f"ORDER BY recorded_at DESC, id DESC) AS rn FROM {table} h WHERE recorded_at <= %s"
        f"{scope}) WHERE rn = 1"
    )


def _gather_assets(
    ctxs: dict[int, MinistryContext], as_of: datetime.datetime, today: datetime.date
) -> None:
    columns = ["COUNT(*) AS total"]
    names: list[tuple[str, str, str]] = []
    for code, cond in ASSET_CONDITIONS.items():
        den, num = cond(today)
        columns.append(f"SUM(CASE WHEN ({den}) THEN 1 ELSE 0 END)")
        columns.append(f"SUM(CASE WHEN ({den}) AND ({num}) THEN 1 ELSE 0 END)")
        names.append(("asset", code, ""))
    for flag, flag_sql in ASSET_FLAGS.items():
        columns.append(f"SUM(CASE WHEN ({flag_sql}) THEN 1 ELSE 0 END)")
        names.append(("flag", flag, ""))
    for fact, fact_sql in ASSET_FACTS.items():
        columns.append(f"SUM(CASE WHEN ({fact_sql}) THEN 1 ELSE 0 END)")
        names.append(("fact", fact, ""))
    ids = list(ctxs)
    sql = (
        f"WITH latest AS ({latest_states_sql(ids)}) "
        f"SELECT ministry_id_at, {', '.join(columns)} FROM latest "
        f"WHERE NOT deleted AND ministry_id_at IN ({_ids_sql(ids)}) GROUP BY ministry_id_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of])
        rows = cursor.fetchall()
    for row in rows:
        ctx = ctxs.get(int(row[0]))
        if ctx is None:
            continue
        ctx.asset_total = int(row[1] or 0)
        values = [int(v or 0) for v in row[2:]]
        pos = 0
        for kind, code, _ in names:
            if kind == "asset":
                ctx.assets[code] = (values[pos + 1], values[pos])
                pos += 2
            elif kind == "flag":
                ctx.flags[code] = values[pos]
                pos += 1
            else:
                ctx.facts[code] = values[pos]
                pos += 1


def _gather_actions(
    ctxs: dict[int, MinistryContext], as_of: datetime.datetime, today: datetime.date
) -> None:
    from supervision.models import ActionStatusUpdate, Roadmap, RoadmapAction

    upd = ActionStatusUpdate._meta.db_table
    act = RoadmapAction._meta.db_table
    rm = Roadmap._meta.db_table
    ids = _ids_sql(ctxs)
    if connection.vendor == "postgresql":
        latest = (
            f"SELECT DISTINCT ON (action_id) * FROM {upd} WHERE recorded_at <= %s "
            f"AND ministry_id_at IN ({ids}) ORDER BY action_id, recorded_at DESC, id DESC"
        )
    else:
        latest = (
            f"SELECT * FROM (SELECT u.*, ROW_NUMBER() OVER (PARTITION BY action_id ORDER BY "
            f"recorded_at DESC, id DESC) AS rn FROM {upd} u WHERE recorded_at <= %s AND "
            f"ministry_id_at IN ({ids})) WHERE rn = 1"
        )
    due = f"l.due_date <= {_d(today)}"
    sql = (
        f"WITH l AS ({latest}) SELECT l.ministry_id_at, "
        f"SUM(CASE WHEN {due} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {due} AND l.new_status = 'REALISEE' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {due} AND l.new_status = 'PARTIELLEMENT_REALISEE' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {due} AND l.new_status = 'ABANDONNEE' THEN 1 ELSE 0 END) "
        f"FROM l JOIN {act} a ON a.id = l.action_id JOIN {rm} r ON r.id = a.roadmap_id "
        f"WHERE r.replaced_on IS NULL OR r.replaced_on > {_d(today)} GROUP BY l.ministry_id_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of])
        for ministry_id, n_due, done, partial, abandoned in cursor.fetchall():
            ctx = ctxs.get(int(ministry_id))
            if ctx is not None:
                ctx.actions_due, ctx.actions_done = int(n_due or 0), int(done or 0)
                ctx.actions_partial, ctx.actions_abandoned = int(partial or 0), int(abandoned or 0)


def _fields_as_of(
    model: Any,
    pks: Iterable[int],
    fields: list[str],
    as_of: datetime.datetime,
    current: dict[int, dict[str, Any]],
) -> dict[int, dict[str, Any]]:
    """Values of `fields` at `as_of`: the current values, with every audited change made after
    `as_of` undone (the audit log stores [before, after] per changed field). Creations are not
    undone: a mandate recorded late keeps its appointment date (the date carries the fact)."""
    from django.contrib.contenttypes.models import ContentType

    from core.models import AuditEntry

    entries = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in pks],
            created_at__gt=as_of,
        )
        .exclude(action__endswith=".created")
        .order_by("created_at", "id")
        .values_list("object_id", "changes")
    )
    undone: set[tuple[int, str]] = set()
    for object_id, changes in entries:
        pk = int(object_id)
        for name in fields:
            change = (changes or {}).get(name)
            if (pk, name) in undone or not isinstance(change, list) or len(change) != 2:
                continue
            current.setdefault(pk, {})[name] = change[0]  # the value before the first change
            undone.add((pk, name))
    return current


def _gather_governance(
    ctxs: dict[int, MinistryContext], as_of: datetime.datetime, today: datetime.date, closed: bool
) -> None:
    from administrators.models import DataAdministrator, Ministry

    fields = ["prada_name", "prada_act_ref", "prada_url", "dpo_email", "dpo_cnil_notified"]
    values = {m["pk"]: m for m in Ministry.objects.filter(pk__in=ctxs).values("pk", *fields)}
    if closed:
        values = _fields_as_of(Ministry, ctxs, fields, as_of, values)
    for pk, v in values.items():
        ctx = ctxs[pk]
        ctx.prada_name = bool(v.get("prada_name"))
        ctx.prada_act = bool(v.get("prada_act_ref") or v.get("prada_url"))
        ctx.dpo_email = bool(v.get("dpo_email"))
        ctx.dpo_notified = bool(v.get("dpo_cnil_notified"))

    recent = today - datetime.timedelta(days=90)
    fields = [
        "ministry_id",
        "appointment_date",
        "end_date",
        "appointment_act_ref",
        "appointment_act_url",
    ]
    mandates = DataAdministrator.objects.filter(
        ministry_id__in=ctxs, role=DataAdministrator.Role.AMD_TITULAIRE
    )
    if not closed:  # live: let the database pick the current and recent mandates
        mandates = mandates.filter(appointment_date__lte=today).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=recent)
        )
    rows = {m["pk"]: m for m in mandates.values("pk", *fields)}
    if closed:  # dates and act as recorded at the quarter's end (audited edits undone)
        rows = _fields_as_of(DataAdministrator, rows, fields[1:], as_of, rows)
    for row in rows.values():
        start, end = _as_date(row["appointment_date"]), _as_date(row["end_date"])
        if start is None or start > today or (end is not None and end < recent):
            continue
        ctx = ctxs[row["ministry_id"]]
        ctx.titular_recent = True
        if end is None or end >= today:
            ctx.titular_current = True
            has_act = bool(row["appointment_act_ref"] or row["appointment_act_url"])
            ctx.titular_has_act = ctx.titular_has_act or has_act


def _as_date(value: Any) -> datetime.date | None:
    """A date from the model or from the audit log (ISO text)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def _gather_roadmaps_rip_processings(
    ctxs: dict[int, MinistryContext], as_of: datetime.datetime, today: datetime.date, closed: bool
) -> None:
    from datasets.models import PersonalDataProcessing, RIPPublication
    from supervision.models import Roadmap

    roadmaps = Roadmap.objects.filter(ministry_id__in=ctxs).filter(
        Q(replaced_on__isnull=True) | Q(replaced_on__gt=today)
    )
    fields = ["ministry_id", "status", "published_on", "url", "period_end"]
    rows = {r["pk"]: r for r in roadmaps.values("pk", *fields)}
    if closed:  # status, link and dates as they were at the quarter's end (audited edits undone)
        rows = _fields_as_of(Roadmap, rows, fields[1:], as_of, rows)
    for row in rows.values():
        published_on, end = _as_date(row["published_on"]), _as_date(row["period_end"])
        if (
            row["status"] not in (Roadmap.Status.PUBLIEE, Roadmap.Status.REMPLACEE)
            or not row["url"]
            or published_on is None
            or published_on > today
            or end is None
        ):
            continue
        ctx = ctxs[row["ministry_id"]]
        if end >= today:
            ctx.roadmap_published_current = True
        else:
            ctx.roadmap_published_expired = True

    rips = (
        RIPPublication.objects.filter(ministry_id__in=ctxs, published_at__lte=today)
        .values("ministry_id")
        .annotate(last=Max("published_at"))
    )
    for rip in rips:
        ctxs[rip["ministry_id"]].rip_last_published = rip["last"]

    required = Q(on_cnil_mandatory_list=True) | Q(aipd_criteria_count__gte=2)
    processings = (
        PersonalDataProcessing.objects.filter(ministry_id__in=ctxs, created_at__lte=as_of)
        .values("ministry_id")
        .annotate(
            required=Count("pk", filter=required),
            done=Count("pk", filter=required & Q(aipd_status="REALISEE")),
        )
    )
    for row in processings:
        ctx = ctxs[row["ministry_id"]]
        ctx.aipd_required, ctx.aipd_done = row["required"], row["done"]


def _gather_spd(
    ctxs: dict[int, MinistryContext], as_of: datetime.datetime, today: datetime.date
) -> None:
    """Designated SPD reference datasets whose entry, as of `as_of`, was last updated more than
    twice its legal frequency ago (red flag §6.4). Two queries; a handful of rows."""
    from datasets.models import AssetStateHistory, ReferenceDataDesignation

    designations = dict(
        ReferenceDataDesignation.objects.filter(
            ministry_id__in=ctxs,
            regime="SPD_R321_5",
            status="DESIGNATED",
            spd_dataset__isnull=False,
        ).values_list("asset_id", "spd_dataset__legal_frequency")
    )
    if not designations:
        return
    latest: dict[int, tuple[int, datetime.date | None, bool]] = {}
    rows = (
        AssetStateHistory.objects.filter(
            asset_id_ref__in=list(designations), recorded_at__lte=as_of
        )
        .order_by("asset_id_ref", "recorded_at", "id")
        .values_list("asset_id_ref", "ministry_id_at", "last_updated_at", "deleted")
    )
    for asset_id, ministry_id, last_updated, deleted in rows:
        latest[asset_id] = (ministry_id, last_updated, deleted)  # the last row wins
    for asset_id, (ministry_id, last_updated, deleted) in latest.items():
        ctx = ctxs.get(int(ministry_id))
        if ctx is None or deleted:
            continue
        limit = SPD_OUTDATED_DAYS.get(designations[asset_id], 730)
        if last_updated is None or (today - last_updated).days > limit:
            ctx.spd_outdated += 1


def _gather_overlay(
    ctxs: dict[int, MinistryContext], as_of: datetime.datetime, today: datetime.date
) -> None:
    """Overlay R facts (§6.3) of the ministries whose latest log rows, as of `as_of`, hold an
    SPD designation (`facts["spd_designated"]`, counted by `_gather_assets`): no query at all
    for the others, two for them (the entries, their monthly availability). Every number
    comes from the log; only the entries' titles, shown on the drill-down, are today's."""
    from datasets.models import DataAsset, SpdReferenceDataset

    ids = [pk for pk, ctx in ctxs.items() if ctx.facts.get("spd_designated")]
    if not ids:
        return
    designated = _spd_designated("l.")
    sql = (
        f"WITH l AS ({latest_states_sql(ids)}) SELECT l.ministry_id_at, l.asset_id_ref, "
        "l.annex1_metadata, l.last_updated_at, l.process_info_published, s.code, s.label, "
        f"s.legal_frequency, a.title FROM l JOIN {SpdReferenceDataset._meta.db_table} s "
        f"ON s.id = l.spd_dataset_ref LEFT JOIN {DataAsset._meta.db_table} a "
        f"ON a.id = l.asset_id_ref WHERE NOT l.deleted AND {designated} "
        "ORDER BY l.ministry_id_at, s.code, l.asset_id_ref"
    )
    entries: dict[int, SpdEntry] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_of])
        for ministry_id, asset_id, meta, updated, process, code, label, freq, title in cursor:
            entry = SpdEntry(
                asset_id=int(asset_id),
                title=title,
                spd_code=code,
                spd_label=label,
                legal_frequency=freq,
                metadata=int(meta or 0),
                last_updated_at=_as_date(updated),
                process_info=bool(process),
            )
            ctxs[int(ministry_id)].spd_entries.append(entry)
            entries[entry.asset_id] = entry
    if not entries:
        return
    try:
        from trainings.models import Measurement
    except ImportError:  # pragma: no cover - app absent
        return
    kind = {code: key for key, code in AVAILABILITY_INDICATORS.items()}
    rows = Measurement.objects.filter(
        indicator__code__in=list(kind),
        asset_id__in=list(entries),
        period_end__gt=today - datetime.timedelta(days=AVAILABILITY_WINDOW_DAYS),
        period_end__lte=today,
        created_at__lte=as_of,
    ).values_list("asset_id", "indicator__code", "value")
    for asset_id, code, value in rows:
        entry = entries[asset_id]
        (entry.download if kind[code] == "download" else entry.api).append(float(value))


def gather(
    ministry_ids: Iterable[int], as_of: datetime.datetime, *, closed: bool | None = None
) -> dict[int, MinistryContext]:
    """The facts of each ministry as of `as_of`, with a constant number of queries."""
    ids = sorted(set(ministry_ids))
    today = timezone.localtime(as_of).date()
    if closed is None:
        closed = as_of < timezone.now() - datetime.timedelta(minutes=1)
    ctxs = {pk: MinistryContext(ministry_id=pk, today=today) for pk in ids}
    if not ids:
        return ctxs
    _gather_governance(ctxs, as_of, today, closed)
    _gather_roadmaps_rip_processings(ctxs, as_of, today, closed)
    _gather_actions(ctxs, as_of, today)
    _gather_assets(ctxs, as_of, today)
    _gather_spd(ctxs, as_of, today)
    _gather_overlay(ctxs, as_of, today)
    return ctxs


# --- Evaluation ------------------------------------------------------------------------------------


@dataclass
class Evaluation:
    ministry_id: int
    as_of: datetime.datetime
    results: dict[str, Result]
    score: Score
    red_flags: list[dict[str, Any]]
    maturity_level: int
    context: MinistryContext
    overlay_results: dict[str, Result] = field(default_factory=dict)  # R1-R4 when R applies

    @property
    def overlay_applies(self) -> bool:
        return bool(self.overlay_results)

    def criteria_detail(self) -> dict[str, dict[str, Any]]:
        detail: dict[str, dict[str, Any]] = {}
        for code, result in (self.results | self.overlay_results).items():
            c = REGISTRY.get(code) or OVERLAY_REGISTRY[code]
            row: dict[str, Any] = {
                "code": code,
                "axis": c.axis,
                "label": c.label,
                "weight": c.weight,
                "legal_basis": c.legal_basis,
                "nature": c.nature,
                "formula": c.formula,
                "evidence": c.evidence,
            }
            if isinstance(result, NA):
                row.update(
                    na=True,
                    reason=result.reason,
                    numerator=None,
                    denominator=None,
                    value=None,
                    points=None,
                )
            else:
                row.update(
                    na=False,
                    reason="",
                    numerator=_num(result.numerator),
                    denominator=_num(result.denominator),
                    value=round(result.value, 4),
                    points=round(c.weight * result.value, 3),
                )
            if code in OVERLAY_REGISTRY:
                row["overlay"] = True
            detail[code] = row
        return detail


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def red_flags(ctx: MinistryContext) -> list[dict[str, Any]]:
    flags = []
    for code in ("not_communicable_without_ground", "personal_data_published_without_basis"):
        if ctx.flags.get(code):
            flags.append({"code": code, "label": RED_FLAG_LABELS[code], "count": ctx.flags[code]})
    if ctx.spd_outdated:
        flags.append(
            {
                "code": "spd_outdated",
                "label": RED_FLAG_LABELS["spd_outdated"],
                "count": ctx.spd_outdated,
            }
        )
    if not ctx.titular_recent:
        flags.append(
            {
                "code": "no_titular_90_days",
                "label": RED_FLAG_LABELS["no_titular_90_days"],
                "count": 1,
            }
        )
    return flags


def maturity_level(
    ctx: MinistryContext,
    results: dict[str, Result],
    total: Decimal | None,
    flags: list[dict[str, Any]],
    impact_ok: bool = False,
) -> int:
    """§7 N21: the first level whose conditions fail caps the ministry (L0–L4)."""

    def value(code: str) -> float:
        r = results.get(code)
        return r.value if isinstance(r, Ratio) else 0.0

    if value("G1") < 1:
        return 0
    if not (value("S1") == 1 and ctx.asset_total >= 20 and ctx.prada_name and ctx.dpo_email):
        return 1
    if not (value("I1") == 1 and value("O1") >= 0.8 and value("O2") >= 0.5 and not flags):
        return 2
    if not (total is not None and total >= 80 and impact_ok):
        return 3
    return 4


def evaluate(
    ministry_ids: Iterable[int],
    as_of: datetime.datetime,
    *,
    closed: bool | None = None,
    impact_ministry_ids: frozenset[int] = frozenset(),
) -> dict[int, Evaluation]:
    ctxs = gather(ministry_ids, as_of, closed=closed)
    out: dict[int, Evaluation] = {}
    for pk, ctx in ctxs.items():
        results = {code: c.func(ctx) for code, c in REGISTRY.items()}
        sc = score(results)
        overlay: dict[str, Result] = {}
        if ctx.spd_entries:  # §6.3: only SPD producers
            overlay = {code: c.func(ctx) for code, c in OVERLAY_REGISTRY.items()}
            entries = [e.as_json(ctx.today) for e in ctx.spd_entries]
            sc = with_overlay(sc, overlay, entries)
        flags = red_flags(ctx)
        level = maturity_level(ctx, results, sc.total, flags, pk in impact_ministry_ids)
        out[pk] = Evaluation(
            ministry_id=pk,
            as_of=as_of,
            results=results,
            score=sc,
            red_flags=flags,
            maturity_level=level,
            context=ctx,
            overlay_results=overlay,
        )
    return out
