"""Pages of supervision: parse, call a selector or a service, render (French, DSFR)."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from administrators.models import Ministry
from core.access import access_for
from core.csv_safety import safe_row
from core.validators import whole_number
from datasets.models import ImportJob
from datasets.tabular import read_upload
from supervision import charts, compliance, importing, selectors, services
from supervision import formatting as fmt
from supervision.forms import (
    ActionItemForm,
    AgendaItemForm,
    AttendanceForm,
    DecisionForm,
    ImportUploadForm,
    MeetingForm,
    MinutesForm,
    RoadmapActionForm,
    RoadmapForm,
    add_service_errors,
)
from supervision.models import ActionItem, Meeting, Roadmap, RoadmapAction
from supervision.permissions import (
    can_act_on_network,
    can_edit_ministry,
    can_view_dashboard,
    ensure_dashboard,
    ensure_edit_ministry,
    ensure_meetings,
    ensure_network_staff,
    ensure_view_ministry,
)
from supervision.quarters import Quarter

HOME = {"link": "/", "title": "Accueil"}


def _crumbs(current: str, *links: tuple[str, str]) -> dict[str, Any]:
    return {"links": [{"url": u, "title": t} for u, t in links], "current": current}


def _supervision_link(user: Any) -> tuple[tuple[str, str], ...]:
    """The « Supervision » crumb, for those who may open the dashboard: a ministry's members
    reach its drill-down, roadmaps and meetings, but the dashboard answers 403 to them."""
    return (("/supervision/", "Supervision"),) if can_view_dashboard(user) else ()


def _quarter(request: HttpRequest) -> Quarter:
    label = request.GET.get("trimestre", "")
    if not label:
        return Quarter.current()
    try:
        q = Quarter.parse(label)
    except ValidationError:
        messages.error(request, f"Trimestre invalide « {label} » : utilisez la forme 2026-T3.")
        return Quarter.current()
    if q.is_future():
        messages.warning(
            request, f"Le trimestre {q.label} n'a pas commencé : trimestre en cours affiché."
        )
        return Quarter.current()
    return q


def _quarter_choices(selected: Quarter, span: int = 12) -> list[dict[str, Any]]:
    return [
        {"label": q.label, "selected": q == selected}
        for q in reversed(Quarter.current().last(span))
    ]


def _csv_response(filename: str, header: list[str], rows: list[list[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(header)
    for row in rows:
        writer.writerow(safe_row(["" if v is None else v for v in row]))
    return response


# --- Dashboard ---------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    ensure_dashboard(request.user)
    quarter = _quarter(request)
    quarters, rows = selectors.dashboard_rows(request.user, quarter)
    for row in rows:
        row.spark = charts.sparkline(row.trend, title=f"Évolution du score — {row.ministry}")
    band_counts = [
        (
            compliance.band_label(code),
            sum(1 for r in rows if r.snapshot and r.snapshot.band == code),
            charts.BAND_COLOURS[code],
        )
        for code in [*compliance.BAND_CODES, "NON_CALCULABLE"]
    ]
    no_snapshot = sum(1 for r in rows if r.snapshot is None)
    ministry_ids = [r.ministry.pk for r in rows]
    context = {
        "title": "Tableau de bord de la conformité",
        "breadcrumb_data": _crumbs("Supervision"),
        "quarter": quarter,
        "quarters": quarters,
        "quarter_choices": _quarter_choices(quarter),
        "rows": rows,
        "band_counts": band_counts,
        "band_chart": charts.bar_chart(
            band_counts, title=f"Ministères par niveau — {quarter.label}"
        ),
        "no_snapshot": no_snapshot,
        "without_titular": [r.ministry for r in rows if not r.has_titular],
        "late_actions": list(selectors.late_actions(ministry_ids)[:15]),
        "recent_meetings": list(
            selectors.meetings_for(request.user)
            .filter(date__lte=timezone.localdate())
            .order_by("-date", "-id")[:6]
        ),
        "overdue_items": list(selectors.overdue_action_items(ministry_ids)[:15]),
        "can_act": can_act_on_network(request.user),
        "is_closed": quarter.is_closed(),
        "published": any(r.snapshot and r.snapshot.published for r in rows),
    }
    return render(request, "supervision/dashboard.html", context)


@login_required
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    ensure_dashboard(request.user)
    quarter = _quarter(request)
    quarters, rows = selectors.dashboard_rows(request.user, quarter)
    header = [
        "ministere",
        "code",
        "trimestre",
        "score",
        "niveau",
        "couverture_pct",
        "maturite",
        "alertes",
        "amd_titulaire",
        *[f"score_{q.label}" for q in quarters],
    ]
    out = []
    for r in rows:
        s = r.snapshot
        out.append(
            [
                r.ministry.name,
                r.ministry.code,
                quarter.label,
                s.score_total if s else "",
                compliance.band_label(s.band) if s else "non calculé",
                s.coverage if s else "",
                f"L{s.maturity_level}" if s else "",
                " | ".join(f["label"] for f in s.red_flags) if s else "",
                "oui" if r.has_titular else "non",
                *["" if v is None else v for v in r.trend],
            ]
        )
    return _csv_response(f"conformite-{quarter.label}.csv", header, out)


@login_required
def indicators(request: HttpRequest) -> HttpResponse:
    ensure_dashboard(request.user)
    quarter = _quarter(request)
    return render(
        request,
        "supervision/indicators.html",
        {
            "title": f"Indicateurs du réseau — {quarter.label}",
            "breadcrumb_data": _crumbs("Indicateurs", ("/supervision/", "Supervision")),
            "quarter": quarter,
            "quarter_choices": _quarter_choices(quarter),
            "indicators": selectors.network_indicators(quarter),
        },
    )


@login_required
def indicators_csv(request: HttpRequest) -> HttpResponse:
    ensure_dashboard(request.user)
    quarter = _quarter(request)
    rows = []
    for i in selectors.network_indicators(quarter):
        rows.append([i.code, i.name, "", i.value, i.target, i.definition])
        rows.extend([i.code, i.name, label, value, "", ""] for label, value in i.details)
    return _csv_response(
        f"indicateurs-{quarter.label}.csv",
        ["code", "indicateur", "detail", "valeur", "cible", "definition"],
        rows,
    )


@login_required
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    ensure_network_staff(request.user)
    label = request.POST.get("trimestre", "")
    try:
        quarter = Quarter.parse(label) if label else Quarter.current()
        snaps = services.snapshot_compute(actor=request.user, quarter=quarter)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("supervision:dashboard"))
    message = f"Scores de {quarter.label} calculés pour {len(snaps)} ministères."
    kept = selectors.published_count(quarter)
    if kept:
        message += (
            f" {kept} scores déjà publiés sont gardés tels quels : retirez-les de la page de "
            "transparence pour les recalculer."
        )
    messages.success(request, message)
    return redirect(reverse("supervision:dashboard") + f"?trimestre={quarter.label}")


@login_required
@require_POST
def publish(request: HttpRequest) -> HttpResponse:
    ensure_network_staff(request.user)
    label = request.POST.get("trimestre", "")
    publish_it = request.POST.get("publier", "1") == "1"
    try:
        quarter = Quarter.parse(label)
        count = services.snapshot_publish(actor=request.user, quarter=quarter, published=publish_it)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("supervision:dashboard"))
    verb = "publiés" if publish_it else "retirés de la page de transparence"
    messages.success(request, f"{count} scores de {quarter.label} {verb}.")
    return redirect(reverse("supervision:dashboard") + f"?trimestre={quarter.label}")


# --- Ministry drill-down -----------------------------------------------------------------------


def _ministry(request: HttpRequest, code: str) -> Ministry:
    ministry = get_object_or_404(Ministry, code=code)
    ensure_view_ministry(request.user, ministry.pk)
    return ministry


def _ordered(detail: dict[str, Any]) -> list[tuple[str, Any]]:
    """Criteria in the order of §6.2 (G, S, I, O, Q, P, A): JSON storage does not keep it."""
    rank = {code: i for i, code in enumerate(compliance.REGISTRY)}
    return sorted(detail.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


def _snapshot_or_live(ministry: Ministry, quarter: Quarter) -> tuple[Any, bool]:
    snap = selectors.snapshot_for(ministry, quarter)
    if snap is None:
        return selectors.live_snapshot(ministry, quarter), True
    return snap, False


def _overlay(snap: Any) -> dict[str, Any] | None:
    """Overlay R as stored in the snapshot (`score_by_axis["R"]`), dates parsed for display;
    None when it did not apply."""
    stored = (snap.score_by_axis or {}).get(compliance.OVERLAY_AXIS) if snap is not None else None
    if not stored:
        return None
    overlay = dict(stored)
    entries = []
    for entry in stored.get("entries") or []:
        entry = dict(entry)
        updated = entry.get("last_updated_at")
        entry["last_updated_at"] = datetime.date.fromisoformat(updated) if updated else None
        entries.append(entry)
    overlay["entries"] = entries
    overlay["base_factor"] = compliance.BASE_FACTOR
    return overlay


@login_required
def ministry_detail(request: HttpRequest, code: str) -> HttpResponse:
    ministry = _ministry(request, code)
    quarter = _quarter(request)
    snap, provisional = _snapshot_or_live(ministry, quarter)
    history = selectors.snapshot_history(ministry)
    labels = [s.quarter_label for s in history]
    values = [float(s.score_total) if s.score_total is not None else None for s in history]
    criteria: list[dict[str, Any]] = []
    # R1-R4 (§6.3), stored with the snapshot when the overlay applied.
    overlay_criteria: list[dict[str, Any]] = []
    if snap is not None:
        for code_, row in _ordered(snap.criteria_detail):
            row = dict(row)
            row["drill"] = code_ in compliance.ASSET_CONDITIONS
            row["pct"] = None if row["na"] else round(100 * row["value"], 1)
            (overlay_criteria if row.get("overlay") else criteria).append(row)
    overlay = _overlay(snap)
    today = timezone.localdate()
    context = {
        "title": f"Conformité — {ministry}",
        "breadcrumb_data": _crumbs(str(ministry), *_supervision_link(request.user)),
        "ministry": ministry,
        "quarter": quarter,
        "quarter_choices": _quarter_choices(quarter),
        "snap": snap,
        "provisional": provisional,
        "criteria": criteria,
        "overlay": overlay,
        "overlay_criteria": overlay_criteria,
        "axes_rows": [
            {"code": code, "label": label, **(snap.score_by_axis or {}).get(code, {})}
            for code, label in compliance.AXES.items()
        ]
        if snap
        else [],
        "axes": compliance.AXES,
        "history": history,
        "trend_chart": charts.line_chart(labels, values, title=f"Score de conformité — {ministry}")
        if history
        else None,
        "due_actions": list(selectors.due_actions(ministry, today)[:50]),
        "evidence": selectors.ministry_evidence(ministry, min(today, quarter.end)),
        "attendance": selectors.ministry_attendance(ministry),
        "overdue_items": list(selectors.overdue_action_items([ministry.pk])[:20]),
        "roadmaps": list(Roadmap.objects.filter(ministry=ministry).order_by("-period_start")),
        "band_label": compliance.band_label(snap.band) if snap else "",
        "maturity_label": selectors.MATURITY_LABELS[snap.maturity_level] if snap else "",
        "can_dashboard": access_for(request.user).sees_all_ministries,
    }
    return render(request, "supervision/ministry_detail.html", context)


@login_required
def ministry_csv(request: HttpRequest, code: str) -> HttpResponse:
    ministry = _ministry(request, code)
    quarter = _quarter(request)
    snap, _ = _snapshot_or_live(ministry, quarter)
    header = [
        "critere",
        "axe",
        "libelle",
        "numerateur",
        "denominateur",
        "valeur_pct",
        "poids",
        "points",
        "non_applicable",
        "motif",
        "fondement",
        "nature",
    ]
    rows = []
    for code_, r in _ordered(snap.criteria_detail if snap else {}):
        rows.append(
            [
                code_,
                r["axis"],
                r["label"],
                r["numerator"],
                r["denominator"],
                None if r["na"] else round(100 * r["value"], 1),
                r["weight"],
                r["points"],
                "oui" if r["na"] else "non",
                r["reason"],
                r["legal_basis"],
                r["nature"],
            ]
        )
    return _csv_response(f"conformite-{ministry.code}-{quarter.label}.csv", header, rows)


@login_required
def criterion_detail(request: HttpRequest, code: str, criterion: str) -> HttpResponse:
    ministry = _ministry(request, code)
    if criterion not in compliance.ASSET_CONDITIONS:
        raise Http404
    quarter = _quarter(request)
    snap, provisional = _snapshot_or_live(ministry, quarter)
    as_of = snap.as_of if snap is not None else quarter.end_datetime()
    try:
        page_no = int(request.GET.get("page", "1"))
    except ValueError:
        page_no = 1
    page = selectors.criterion_entries(ministry, criterion, as_of, page=page_no)
    c = compliance.REGISTRY[criterion]
    context = {
        "title": f"{criterion} — {c.label} — {ministry}",
        "breadcrumb_data": _crumbs(
            criterion,
            *_supervision_link(request.user),
            (reverse("supervision:ministry", args=[ministry.code]), str(ministry)),
        ),
        "ministry": ministry,
        "criterion": c,
        "quarter": quarter,
        "page": page,
        "as_of": as_of,
        "provisional": provisional,
        "detail": (snap.criteria_detail or {}).get(criterion) if snap else None,
    }
    return render(request, "supervision/criterion_detail.html", context)


# --- Meetings ----------------------------------------------------------------------------------


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    ensure_meetings(request.user)
    meetings = list(selectors.meetings_for(request.user).order_by("-date", "-id")[:200])
    return render(
        request,
        "supervision/meeting_list.html",
        {
            "title": "Réunions du réseau",
            "breadcrumb_data": _crumbs("Réunions", *_supervision_link(request.user)),
            "meetings": meetings,
            "can_edit": can_act_on_network(request.user),
        },
    )


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    ensure_meetings(request.user)
    meeting = selectors.meeting_detail(request.user, pk)
    if meeting is None:
        raise Http404
    return meeting


# The small forms of the meeting page, by the last segment of the address they are posted to,
# with the name they take in the page's context and their ids' prefix (several forms of the page
# have a `status` field: their ids must differ for each label to point at its own field).
MEETING_PARTS: dict[str, tuple[str, type[forms.Form]]] = {
    "ordre-du-jour": ("agenda_form", AgendaItemForm),
    "presence": ("attendance_form", AttendanceForm),
    "compte-rendu": ("minutes_form", MinutesForm),
    "decision": ("decision_form", DecisionForm),
    "action": ("item_form", ActionItemForm),
}
# What each part saves, from its form's cleaned data (the services are looked up at the call).
_SAVE_PART: dict[str, Callable[[Any, Meeting, dict[str, Any]], object]] = {
    "ordre-du-jour": lambda actor, meeting, d: services.agenda_item_add(
        actor=actor, meeting=meeting, data=d
    ),
    "presence": lambda actor, meeting, d: services.attendance_record(
        actor=actor,
        meeting=meeting,
        ministry=d["ministry"],
        status=d["status"],
        represented_by=d["represented_by"],
    ),
    "compte-rendu": lambda actor, meeting, d: services.minutes_save(
        actor=actor,
        meeting=meeting,
        body=d["body"],
        status=d["status"],
        public=d["public"],
        summary=d["summary"],
        based_on=d.get("based_on"),
    ),
    "decision": lambda actor, meeting, d: services.decision_add(
        actor=actor, meeting=meeting, text=d["text"], scope=d["scope"]
    ),
    "action": lambda actor, meeting, d: services.action_item_save(
        actor=actor, meeting=meeting, data=d
    ),
}


def _part_form(part: str, data: Any = None, initial: Any = None) -> forms.Form:
    """A sub-form of the meeting page, its ids prefixed by its part (several have a status)."""
    return MEETING_PARTS[part][1](data, initial=initial, auto_id=f"{part}-%s")


def _meeting_page(
    request: HttpRequest, meeting: Meeting, bound: tuple[str, forms.Form] | None = None
) -> HttpResponse:
    """The meeting page; `bound` is a sub-form refused on submission ((part, form)), shown
    again with its errors and what was typed, the others empty."""
    from core.markdown import render_markdown

    minutes = list(meeting.minutes.all())
    can_edit = can_act_on_network(request.user)
    context: dict[str, Any] = {
        "title": str(meeting),
        "breadcrumb_data": _crumbs(meeting.title, ("/supervision/reunions/", "Réunions")),
        "meeting": meeting,
        "minutes": minutes,
        "latest_minutes_html": render_markdown(minutes[0].body) if minutes else "",
        "can_edit": can_edit,
        "today": timezone.localdate(),
    }
    if can_edit:
        initial = {
            "compte-rendu": {
                "body": minutes[0].body if minutes else "",
                "status": "BROUILLON",
                "based_on": minutes[0].version if minutes else 0,
            }
        }
        refused, refused_form = bound if bound is not None else (None, None)
        for part, (name, _) in MEETING_PARTS.items():
            context[name] = (
                refused_form if part == refused else _part_form(part, initial=initial.get(part))
            )
        if refused is not None:
            context["refused_part"] = refused
    return render(request, "supervision/meeting_detail.html", context)


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_page(request, _meeting(request, pk))


def _created_meeting_message(invited: int) -> str:
    """« Réunion enregistrée : 16 ministères invités. » (a new plenary invites the network)."""
    if not invited:
        return "Réunion enregistrée : aucun ministère invité."
    count = fmt.quantity(invited, "ministère invité", "ministères invités", places=0)
    return f"Réunion enregistrée : {count}."


@login_required
def meeting_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    ensure_network_staff(request.user)
    meeting = _meeting(request, pk) if pk else None
    creating = meeting is None
    form = MeetingForm(request.POST or None, instance=meeting)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("invited", "loaded_at")}
        try:
            meeting = services.meeting_save(
                actor=request.user,
                data=data,
                meeting=meeting,
                invited_ministry_ids=[m.pk for m in form.cleaned_data["invited"]],
                expected_updated_at=form.cleaned_data["loaded_at"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            message = "Réunion enregistrée."
            if creating:
                message = _created_meeting_message(meeting.invited_ministries.count())
            messages.success(request, message)
            return redirect(reverse("supervision:meeting", args=[meeting.pk]))
    return render(
        request,
        "supervision/form.html",
        {
            "title": "Modifier la réunion" if meeting else "Nouvelle réunion",
            "breadcrumb_data": _crumbs("Formulaire", ("/supervision/reunions/", "Réunions")),
            "form": form,
            "cancel_url": reverse("supervision:meeting", args=[meeting.pk])
            if meeting
            else reverse("supervision:meetings"),
        },
    )


@login_required
@require_POST
def meeting_part(request: HttpRequest, pk: int, part: str) -> HttpResponse:
    """The small forms of the meeting page (agenda, attendance, minutes, decision, action
    item): saved, back to the page; refused, the page again with the form, its errors and
    what was typed (nothing written)."""
    ensure_network_staff(request.user)
    if part not in MEETING_PARTS:
        raise Http404
    meeting = _meeting(request, pk)
    form = _part_form(part, request.POST)
    if form.is_valid():
        try:
            _SAVE_PART[part](request.user, meeting, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Enregistré.")
            return redirect(reverse("supervision:meeting", args=[meeting.pk]))
    messages.error(request, "Rien n'a été enregistré : corrigez le formulaire signalé ci-dessous.")
    return _meeting_page(request, meeting, bound=(part, form))


@login_required
@require_POST
def action_item_status(request: HttpRequest, pk: int) -> HttpResponse:
    ensure_network_staff(request.user)
    item = get_object_or_404(ActionItem.objects.select_related("meeting"), pk=pk)
    status = request.POST.get("status", "")
    label = f"« {Truncator(item.description).chars(80)} »"
    try:
        if status not in ActionItem.Status.values:
            raise ValidationError("Statut inconnu.")
        services.action_item_save(
            actor=request.user, meeting=item.meeting, item=item, data={"status": status}
        )
    except ValidationError as exc:
        messages.error(
            request,
            f"Le statut de l'action {label} n'a pas été modifié : " + " ".join(exc.messages),
        )
    else:
        if status == ActionItem.Status.FAITE:
            messages.success(request, f"Action {label} marquée comme faite.")
        else:
            shown = ActionItem.Status(status).label
            messages.success(request, f"Action {label} : statut « {shown} » enregistré.")
    return redirect(reverse("supervision:meeting", args=[item.meeting_id]))


# --- Roadmaps ----------------------------------------------------------------------------------


@login_required
def roadmap_list(request: HttpRequest) -> HttpResponse:
    ensure_meetings(request.user)
    access = access_for(request.user)
    editable = Ministry.objects.current().in_display_order()
    if not access.is_network_staff:
        editable = editable.filter(pk__in=access.admin_ministry_ids)
    return render(
        request,
        "supervision/roadmap_list.html",
        {
            "title": "Feuilles de route ministérielles",
            "breadcrumb_data": _crumbs("Feuilles de route", *_supervision_link(request.user)),
            "roadmaps": list(selectors.roadmaps_for(request.user)),
            "editable_ministries": list(editable),
        },
    )


def _roadmap(request: HttpRequest, pk: int) -> Roadmap:
    roadmap = get_object_or_404(Roadmap.objects.select_related("ministry"), pk=pk)
    ensure_view_ministry(request.user, roadmap.ministry_id)
    return roadmap


@login_required
def roadmap_detail(request: HttpRequest, pk: int) -> HttpResponse:
    roadmap = _roadmap(request, pk)
    actions = list(selectors.roadmap_actions(roadmap))
    return render(
        request,
        "supervision/roadmap_detail.html",
        {
            "title": str(roadmap),
            "breadcrumb_data": _crumbs(
                roadmap.title, ("/supervision/feuilles-de-route/", "Feuilles de route")
            ),
            "roadmap": roadmap,
            "actions": actions,
            "can_edit": can_edit_ministry(request.user, roadmap.ministry_id),
        },
    )


@login_required
def roadmap_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    roadmap: Roadmap | None = None
    if pk:
        found = _roadmap(request, pk)
        roadmap, ministry = found, found.ministry
    else:
        roadmap = None
        ministry = get_object_or_404(Ministry, code=request.GET.get("ministere", ""))
    ensure_edit_ministry(request.user, ministry.pk)
    form = RoadmapForm(request.POST or None, instance=roadmap, ministry=ministry)
    if request.method == "POST" and form.is_valid():
        try:
            roadmap = services.roadmap_save(
                actor=request.user, ministry=ministry, data=form.cleaned_data, roadmap=roadmap
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Feuille de route enregistrée.")
            return redirect(reverse("supervision:roadmap", args=[roadmap.pk]))
    return render(
        request,
        "supervision/form.html",
        {
            "title": f"Feuille de route — {ministry}",
            "breadcrumb_data": _crumbs(
                "Formulaire", ("/supervision/feuilles-de-route/", "Feuilles de route")
            ),
            "form": form,
            "cancel_url": reverse("supervision:roadmaps"),
        },
    )


@login_required
def action_edit(request: HttpRequest, roadmap_pk: int, pk: int | None = None) -> HttpResponse:
    roadmap = _roadmap(request, roadmap_pk)
    ensure_edit_ministry(request.user, roadmap.ministry_id)
    action = get_object_or_404(RoadmapAction, pk=pk, roadmap=roadmap) if pk else None
    form = RoadmapActionForm(request.POST or None, instance=action, ministry=roadmap.ministry)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        comment = data.pop("comment", "")
        loaded_at = data.pop("loaded_at", None)
        try:
            services.action_save(
                actor=request.user,
                roadmap=roadmap,
                data=data,
                action=action,
                comment=comment,
                expected_updated_at=loaded_at,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Action enregistrée.")
            return redirect(reverse("supervision:roadmap", args=[roadmap.pk]))
    return render(
        request,
        "supervision/form.html",
        {
            "title": "Modifier l'action" if action else "Nouvelle action",
            "breadcrumb_data": _crumbs(
                "Action",
                ("/supervision/feuilles-de-route/", "Feuilles de route"),
                (reverse("supervision:roadmap", args=[roadmap.pk]), roadmap.title),
            ),
            "form": form,
            "cancel_url": reverse("supervision:roadmap", args=[roadmap.pk]),
        },
    )


@login_required
def roadmap_import(request: HttpRequest, pk: int) -> HttpResponse:
    roadmap = _roadmap(request, pk)
    ensure_edit_ministry(request.user, roadmap.ministry_id)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    job = None
    if request.method == "POST" and request.POST.get("job"):
        job_id = whole_number(request.POST["job"])
        if job_id is None:
            raise Http404
        job = get_object_or_404(
            ImportJob,
            pk=job_id,
            ministry_id=roadmap.ministry_id,
            target_id=roadmap.pk,
            kind=ImportJob.Kind.ROADMAP,
        )
        try:
            report = importing.roadmap_import_apply(actor=request.user, job=job)
        except ValidationError as exc:
            messages.error(request, "Rien n'a été importé : " + " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"Import réussi : {report['create']} actions créées, "
                f"{report['update']} mises à jour.",
            )
            return redirect(reverse("supervision:roadmap", args=[roadmap.pk]))
    elif request.method == "POST" and form.is_valid():
        try:
            data = read_upload(form.cleaned_data["file"])
            job = importing.roadmap_import_start(
                actor=request.user,
                roadmap=roadmap,
                filename=form.cleaned_data["file"].name,
                payload=data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            job = None
    return render(
        request,
        "supervision/roadmap_import.html",
        {
            "title": f"Importer des actions — {roadmap.title}",
            "breadcrumb_data": _crumbs(
                "Import",
                ("/supervision/feuilles-de-route/", "Feuilles de route"),
                (reverse("supervision:roadmap", args=[roadmap.pk]), roadmap.title),
            ),
            "roadmap": roadmap,
            "form": form,
            "job": job,
        },
    )


# --- Public transparency page ---------------------------------------------------------------------


def transparency(request: HttpRequest) -> HttpResponse:
    from core.markdown import render_markdown

    snaps = selectors.published_snapshots()
    quarters = sorted({s.quarter_label for s in snaps}, reverse=True)
    minutes = selectors.public_minutes()
    return render(
        request,
        "supervision/transparency.html",
        {
            "title": "Transparence de la coordination du réseau",
            "breadcrumb_data": _crumbs("Transparence"),
            "composition": selectors.network_composition(),
            "minutes": [
                (m, render_markdown(m.summary) if m.summary else render_markdown(m.body))
                for m in minutes
            ],
            "snapshots": snaps,
            "quarters": quarters,
            "band_label": compliance.band_label,
        },
    )


def transparency_composition_csv(request: HttpRequest) -> HttpResponse:
    rows = [
        [
            c["ministry"].name,
            c["ministry"].code,
            "oui" if c["has_titular"] else "non",
            c["name"],
            c["since"].isoformat() if c["since"] else "",
        ]
        for c in selectors.network_composition()
    ]
    return _csv_response(
        "transparence-composition.csv",
        ["ministere", "code", "amd_titulaire", "nom", "depuis"],
        rows,
    )


def transparency_meetings_csv(request: HttpRequest) -> HttpResponse:
    rows = [
        [
            m.meeting.date.isoformat(),
            m.meeting.title,
            m.meeting.get_meeting_type_display(),
            m.version,
            m.summary or m.body,
        ]
        for m in selectors.public_minutes()
    ]
    return _csv_response(
        "transparence-reunions.csv",
        ["date", "reunion", "type", "version_compte_rendu", "resume"],
        rows,
    )


def transparency_csv(request: HttpRequest) -> HttpResponse:
    header = [
        "ministere",
        "code",
        "trimestre",
        "score",
        "niveau",
        "couverture_pct",
        "version_algorithme",
        "calcule_le",
    ]
    rows = [
        [
            s.ministry.name,
            s.ministry.code,
            s.quarter_label,
            s.score_total,
            compliance.band_label(s.band),
            s.coverage,
            s.algorithm_version,
            timezone.localtime(s.computed_at).strftime("%Y-%m-%d %H:%M"),
        ]
        for s in selectors.published_snapshots()
    ]
    return _csv_response("transparence-scores.csv", header, rows)
