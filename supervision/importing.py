"""Import of a roadmap's actions from CSV/XLSX: analyse (dry run, nothing written), then apply.

Files are read by `datasets.tabular` (size, encoding, XLSX safety). Rows are keyed by `ref`
within the roadmap: an existing ref is updated, a new one created. Every row goes through
`action_save`, so the rules of a manual edit hold (evidence when done, reason when abandoned).
"""

from __future__ import annotations

import datetime
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from datasets.models import ImportJob
from datasets.tabular import read_table
from supervision.models import ActionStatus, Roadmap, RoadmapAction, RoadmapAxis
from supervision.services import _ensure_can_edit_ministry, action_save

COLUMNS = {
    "ref": "ref",
    "numero": "ref",
    "titre": "title",
    "intitule": "title",
    "title": "title",
    "description": "description",
    "axe": "axis",
    "type": "action_type",
    "pilote": "owner_label",
    "echeance": "due",
    "statut": "status",
    "avancement": "progress_pct",
    "preuve": "evidence_url",
    "motif_abandon": "abandon_reason",
}
STATUS_ALIASES = {
    unicodedata.normalize("NFKD", str(label)).encode("ascii", "ignore").decode().lower(): code
    for code, label in ActionStatus.choices
}


def _norm(text: str) -> str:
    return (
        unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().strip().lower()
    )


def _parse_row(cells: dict[str, str], axes: dict[str, RoadmapAxis]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    errors = []
    for key in ("ref", "title", "description", "owner_label", "evidence_url", "abandon_reason"):
        if key in cells:
            data[key] = cells[key].strip()
    if not data.get("title"):
        errors.append("intitulé manquant")
    if cells.get("axis"):
        axis = axes.get(cells["axis"].strip())
        if axis is None:
            errors.append(f"axe inconnu « {cells['axis']} »")
        data["axis"] = axis
    if cells.get("action_type"):
        kind = cells["action_type"].strip().upper()
        if kind not in RoadmapAction.ActionType.values:
            errors.append(f"type inconnu « {cells['action_type']} »")
        data["action_type"] = kind
    status = _norm(cells.get("status", ""))
    if status:
        code: str | None = (
            status.upper() if status.upper() in ActionStatus.values else STATUS_ALIASES.get(status)
        )
        if code is None:
            errors.append(f"statut inconnu « {cells['status']} »")
        data["status"] = code or ActionStatus.A_LANCER
    due = (cells.get("due") or "").strip()
    if due:
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                data["due_date"] = datetime.datetime.strptime(due[:10], fmt).date()
                break
            except ValueError:
                continue
        else:
            data["due_quarter"], data["due_date"] = due, None
    if cells.get("progress_pct"):
        try:
            data["progress_pct"] = int(float(cells["progress_pct"].replace("%", "").strip()))
        except ValueError:
            errors.append("avancement non numérique")
    if errors:
        raise ValidationError("; ".join(errors))
    return data


def _rows(job: ImportJob) -> list[tuple[int, dict[str, str]]]:
    table = read_table(bytes(job.payload), job.filename)
    header = [COLUMNS.get(_norm(h).replace(" ", "_"), "") for h in table.header]
    if "title" not in header:
        raise ValidationError(
            "La colonne « titre » est obligatoire (colonnes reconnues : "
            + ", ".join(sorted(set(COLUMNS)))
            + ")."
        )
    out = []
    for line, cells in table:
        out.append((line, {h: v for h, v in zip(header, cells, strict=False) if h}))
    return out


def roadmap_import_start(
    *, actor: Any, roadmap: Roadmap, filename: str, payload: bytes
) -> ImportJob:
    """Record an uploaded file as an import job of the roadmap and analyse it (dry run).
    The job is kept (state FAILED with the reason) when the file cannot be read."""
    _ensure_can_edit_ministry(actor, roadmap.ministry_id)
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.ROADMAP,
        ministry_id=roadmap.ministry_id,
        target_id=roadmap.pk,
        filename=filename[:255],
        payload=payload,
        size=len(payload),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        report = roadmap_import_analyse(actor=actor, job=job)
    finally:
        audit_record(
            actor=actor,
            action="roadmap.import_analysed",
            target=roadmap,
            changes={"job": job.pk, "file": job.filename, "state": job.state},
            ministry_id=roadmap.ministry_id,
        )
    job.report = report
    return job


def roadmap_import_analyse(*, actor: Any, job: ImportJob) -> dict[str, Any]:
    """Dry run: every row validated exactly as on apply, inside a transaction rolled back."""
    roadmap = Roadmap.objects.get(pk=job.target_id or 0, ministry_id=job.ministry_id)
    _ensure_can_edit_ministry(actor, roadmap.ministry_id)
    report: dict[str, Any] = {"create": 0, "update": 0, "errors": []}
    try:
        rows = _rows(job)
    except ValidationError as exc:
        job.state, job.error = ImportJob.State.FAILED, " ".join(exc.messages)
        job.save(update_fields=["state", "error", "updated_at"])
        raise
    axes = {a.code: a for a in RoadmapAxis.objects.all()}
    existing = {a.ref: a for a in roadmap.actions.exclude(ref="")}
    seen: dict[str, int] = {}
    with transaction.atomic():
        for line, cells in rows:
            try:
                data = _parse_row(cells, axes)
                ref = data.get("ref", "")
                if ref and ref in seen:
                    raise ValidationError(
                        f"numéro « {ref} » en double (déjà ligne {seen[ref]}) : une ligne par action"
                    )
                if ref:
                    seen[ref] = line
                action = existing.get(ref)
                action_save(
                    actor=actor, roadmap=roadmap, data=data, action=action, comment="Import (essai)"
                )
                report["update" if action else "create"] += 1
            except ValidationError as exc:
                report["errors"].append({"line": line, "message": " ".join(exc.messages)})
        transaction.set_rollback(True)  # a dry run writes nothing
    job.report, job.progress_total = report, len(rows)
    job.state = ImportJob.State.ANALYSED
    job.save(update_fields=["report", "progress_total", "state", "updated_at"])
    return report


@transaction.atomic
def roadmap_import_apply(*, actor: Any, job: ImportJob) -> dict[str, Any]:
    """Apply an analysed import: all rows or nothing (a file with errors is refused). The
    report returned (and kept with the job) counts what was done: a ref another import or an
    editor created since the analysis is updated, not created a second time."""
    # The roadmap's row locked: two imports of the same roadmap (two files, two tabs, two
    # editors) are applied one after the other, the second reading the actions the first
    # created; without it both would miss them and create each ref twice (nothing in the
    # database keeps a ref unique within a roadmap, so the race would not even fail loudly).
    # « No key »: the roadmap itself is not changed, so actions added meanwhile (which take a
    # key-share lock on it) and the analysis of another file do not wait for this apply.
    roadmap = Roadmap.objects.select_for_update(no_key=True).get(
        pk=job.target_id or 0, ministry_id=job.ministry_id
    )
    _ensure_can_edit_ministry(actor, roadmap.ministry_id)
    # Its state as of now, locked: a second confirmation (double click, another tab) waits for
    # the first one and then finds the job applied, instead of creating every action again.
    ImportJob.objects.select_for_update().filter(pk=job.pk).exists()
    job.refresh_from_db(fields=["state", "report"])
    if job.state == ImportJob.State.APPLIED:
        raise ValidationError("Cet import a déjà été appliqué : ses actions sont enregistrées.")
    if job.state != ImportJob.State.ANALYSED:
        raise ValidationError("Cet import n'est pas prêt à être confirmé (analysez-le d'abord).")
    if job.report.get("errors"):
        raise ValidationError(
            "Le fichier contient des erreurs : corrigez-les et déposez-le à nouveau."
        )
    axes = {a.code: a for a in RoadmapAxis.objects.all()}
    existing = {a.ref: a for a in roadmap.actions.exclude(ref="")}
    report: dict[str, Any] = {**job.report, "create": 0, "update": 0}
    for _line, cells in _rows(job):
        data = _parse_row(cells, axes)
        action = existing.get(data.get("ref", ""))
        action_save(
            actor=actor,
            roadmap=roadmap,
            data=data,
            action=action,
            comment=f"Import {job.filename}",
        )
        report["update" if action else "create"] += 1
    job.state, job.finished_at = ImportJob.State.APPLIED, timezone.now()
    job.progress_done = report["create"] + report["update"]
    job.report = report
    job.save(update_fields=["state", "progress_done", "finished_at", "report", "updated_at"])
    return report
