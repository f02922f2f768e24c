"""Pages of trainings, events and impact indicators: parse, call a selector or service, render."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.access import access_for
from core.concurrency import read_at
from core.validators import whole_numbers
from trainings import calendar, forms, selectors, services
from trainings.models import Event, Registration, TrainingCourse, TrainingSession
from trainings.permissions import (
    can_edit_network_records,
    can_edit_session,
    can_schedule_sessions,
    can_see_visio_link,
    can_view_registration,
    can_view_training_stats,
    ensure_can_edit_session,
    ensure_can_schedule,
)

PAGE_SIZE = 25


def _crumbs(current: str, *links: tuple[str, str]) -> dict[str, Any]:
    return {
        "links": [{"url": url, "title": title} for title, url in links],
        "current": current,
    }


HOME = ("Formations", "/formations/")


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


# --- catalogue and sessions -------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    sessions = _page(request, selectors.upcoming_sessions(request.user))
    return render(
        request,
        "trainings/home.html",
        {
            "title": "Formations",
            "page_obj": sessions,
            "courses": selectors.course_queryset(request.user),
            "can_schedule": can_schedule_sessions(request.user),
            "can_stats": can_view_training_stats(request.user),
            "breadcrumb_data": _crumbs("Formations"),
        },
    )


def course_detail(request: HttpRequest, code: str) -> HttpResponse:
    course = selectors.course_queryset(request.user).filter(code=code).first()
    if course is None:
        raise Http404("Formation introuvable.")
    sessions = selectors.upcoming_sessions(request.user).filter(course=course)
    return render(
        request,
        "trainings/course_detail.html",
        {
            "title": course.title,
            "course": course,
            "sessions": sessions,
            "can_schedule": can_schedule_sessions(request.user),
            "breadcrumb_data": _crumbs(course.title, HOME),
        },
    )


@login_required
def course_create(request: HttpRequest) -> HttpResponse:
    ensure_can_schedule(request.user)
    form = forms.CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        audiences = data.pop("audiences")
        guides = data.pop("related_guides")
        try:
            course = services.course_create(
                actor=request.user,
                audience_ids=[a.pk for a in audiences],
                guide_ids=[g.pk for g in guides],
                **data,
            )
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "La formation a été ajoutée au catalogue.")
            return redirect("trainings:course-detail", code=course.code)
    return render(
        request,
        "trainings/form.html",
        {
            "title": "Nouvelle formation",
            "form": form,
            "submit": "Ajouter au catalogue",
            "breadcrumb_data": _crumbs("Nouvelle formation", HOME),
        },
    )


def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.user, pk)
    mine = None
    rank = None
    if request.user.is_authenticated:
        mine = (
            Registration.objects.filter(session=session, user=request.user)
            .exclude(status=Registration.Status.ANNULE)
            .first()
        )
        if mine is None:
            mine = (
                Registration.objects.filter(session=session, user=request.user)
                .order_by("-id")
                .first()
            )
        if mine is not None:
            rank = selectors.waitlist_rank(mine)
    now = timezone.now()
    return render(
        request,
        "trainings/session_detail.html",
        {
            "title": f"Session du {timezone.localtime(session.start):%d/%m/%Y} — {session.course.title}",
            "session": session,
            "mine": mine,
            "rank": rank,
            "is_open": session.status
            in {TrainingSession.Status.OUVERTE, TrainingSession.Status.COMPLETE}
            and session.start > now,
            "has_ended": session.end <= now,
            "can_edit": can_edit_session(request.user, session),
            "show_visio": can_see_visio_link(request.user, session),
            "register_form": forms.RegistrationForm(
                ministries=selectors.ministries_for_registration(request.user)
            )
            if request.user.is_authenticated
            else None,
            "needs_ministry_choice": request.user.is_authenticated
            and len(access_for(request.user).visible_ministry_ids) != 1,
            "breadcrumb_data": _crumbs(
                "Session",
                HOME,
                (
                    session.course.title,
                    reverse("trainings:course-detail", args=[session.course.code]),
                ),
            ),
        },
    )


@login_required
def session_create(request: HttpRequest) -> HttpResponse:
    ensure_can_schedule(request.user)
    initial: dict[str, Any] = {"status": TrainingSession.Status.OUVERTE}
    if request.GET.get("formation"):
        initial["course"] = TrainingCourse.objects.filter(code=request.GET["formation"]).first()
    form = forms.SessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        trainers = data.pop("trainers")
        try:
            session = services.session_create(
                actor=request.user, trainer_ids=[t.pk for t in trainers], **data
            )
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "La session est planifiée.")
            return redirect(session.get_absolute_url())
    return render(
        request,
        "trainings/form.html",
        {
            "title": "Planifier une session",
            "form": form,
            "submit": "Planifier la session",
            "breadcrumb_data": _crumbs("Planifier une session", HOME),
        },
    )


@login_required
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.user, pk)
    ensure_can_edit_session(request.user, session)
    initial = {
        "course": session.course,
        "start": timezone.localtime(session.start),
        "end": timezone.localtime(session.end),
        "location": session.location,
        "visio_url": session.visio_url,
        "capacity": session.capacity,
        "host_ministry": session.host_ministry,
        "trainers": list(session.trainers.all()),
        "status": session.status
        if session.status == TrainingSession.Status.PLANIFIEE
        else TrainingSession.Status.OUVERTE,
        "notes": session.notes,
        "loaded_at": read_at(session),
    }
    form = forms.SessionEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        trainers = data.pop("trainers")
        loaded_at = data.pop("loaded_at")
        # The form offers "open" for a full or held session: what it says is "keep as it is".
        if (
            session.status in {TrainingSession.Status.COMPLETE, TrainingSession.Status.TENUE}
            and data["status"] == "OUVERTE"
        ):
            data.pop("status")
        try:
            services.session_update(
                actor=request.user,
                session=session,
                trainer_ids=[t.pk for t in trainers],
                expected_updated_at=loaded_at,
                **data,
            )
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "La session a été mise à jour.")
            return redirect(session.get_absolute_url())
    return render(
        request,
        "trainings/form.html",
        {
            "title": "Modifier la session",
            "form": form,
            "submit": "Enregistrer",
            "breadcrumb_data": _crumbs("Modifier", HOME, ("Session", session.get_absolute_url())),
        },
    )


@login_required
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.user, pk)
    try:
        services.session_cancel(actor=request.user, session=session)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, "La session est annulée ; les inscrits sont prévenus par courriel."
        )
    return redirect(session.get_absolute_url())


@login_required
@require_POST
def session_register(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.user, pk)
    raw = request.POST.get("ministry") or None
    try:
        ministry_id = int(raw) if raw else None
    except ValueError:
        ministry_id = None
    try:
        reg = services.registration_create(
            actor=request.user, session=session, ministry_id=ministry_id
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if reg.status == Registration.Status.INSCRIT:
            messages.success(request, "Votre inscription est confirmée.")
        else:
            rank = selectors.waitlist_rank(reg)
            messages.warning(
                request,
                f"La session est complète : vous êtes sur la liste d'attente (rang {rank}). "
                "Vous serez inscrit automatiquement et prévenu par courriel si une place se libère.",
            )
    return redirect(session.get_absolute_url())


@login_required
@require_POST
def registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    reg = get_object_or_404(Registration.objects.select_related("session"), pk=pk)
    if not can_view_registration(request.user, reg):
        raise Http404
    try:
        services.registration_cancel(actor=request.user, registration=reg)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "L'inscription est annulée.")
    nxt = request.POST.get("next", "")
    if nxt.startswith("/formations/"):
        return redirect(nxt)
    return redirect(reg.session.get_absolute_url())


@login_required
def session_registrations(request: HttpRequest, pk: int) -> HttpResponse:
    """The trainer's list: seated officials (attendance sheet) and the waitlist."""
    session = selectors.session_get(request.user, pk)
    ensure_can_edit_session(request.user, session)
    if request.method == "POST":
        try:
            changed = services.attendance_mark(
                actor=request.user,
                session=session,
                present_ids=whole_numbers(request.POST.getlist("present")),
                read_present_ids=whole_numbers(request.POST.getlist("was_present"))
                if "sheet" in request.POST
                else None,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"Feuille de présence enregistrée ({changed} modification(s))."
            )
            return redirect("trainings:session-registrations", pk=session.pk)
    regs = list(selectors.session_registrations(session))
    return render(
        request,
        "trainings/session_registrations.html",
        {
            "title": f"Inscriptions — {session.course.title}",
            "session": session,
            "seated": [r for r in regs if r.status == Registration.Status.INSCRIT],
            "waitlist": [r for r in regs if r.status == Registration.Status.LISTE_ATTENTE],
            "cancelled": [r for r in regs if r.status == Registration.Status.ANNULE],
            "started": session.start <= timezone.now(),
            "breadcrumb_data": _crumbs(
                "Inscriptions", HOME, ("Session", session.get_absolute_url())
            ),
        },
    )


def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.user, pk)
    response = HttpResponse(
        calendar.session_ics(session, with_visio=can_see_visio_link(request.user, session)),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.ics"'
    return response


def calendar_feed(request: HttpRequest) -> HttpResponse:
    sessions = selectors.session_queryset().filter(
        end__gte=timezone.now() - datetime.timedelta(days=30)
    )[:500]
    response = HttpResponse(
        calendar.sessions_feed(sessions), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="formations.ics"'
    return response


@login_required
def my_registrations(request: HttpRequest) -> HttpResponse:
    regs = _page(request, selectors.my_registrations(request.user))
    return render(
        request,
        "trainings/my_registrations.html",
        {
            "title": "Mes inscriptions",
            "page_obj": regs,
            "now": timezone.now(),
            "breadcrumb_data": _crumbs("Mes inscriptions", HOME),
        },
    )


@login_required
def my_sessions(request: HttpRequest) -> HttpResponse:
    if not can_schedule_sessions(request.user):
        raise PermissionDenied("Cette page est réservée aux formateurs.")
    return render(
        request,
        "trainings/my_sessions.html",
        {
            "title": "Mes sessions",
            "page_obj": _page(request, selectors.trainer_sessions(request.user)),
            "now": timezone.now(),
            "breadcrumb_data": _crumbs("Mes sessions", HOME),
        },
    )


@login_required
def satisfaction(request: HttpRequest, pk: int) -> HttpResponse:
    reg = get_object_or_404(
        Registration.objects.select_related("session", "session__course"), pk=pk
    )
    if reg.user_id != request.user.pk:
        raise Http404
    form = forms.SatisfactionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.satisfaction_submit(
                actor=request.user,
                registration=reg,
                satisfaction=form.cleaned_data["satisfaction"],
                feedback=form.cleaned_data["feedback"],
            )
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "Merci pour votre avis.")
            return redirect("trainings:my-registrations")
    return render(
        request,
        "trainings/form.html",
        {
            "title": f"Questionnaire de satisfaction — {reg.session.course.title}",
            "form": form,
            "submit": "Envoyer mon avis",
            "breadcrumb_data": _crumbs(
                "Questionnaire", HOME, ("Mes inscriptions", reverse("trainings:my-registrations"))
            ),
        },
    )


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    if not can_view_training_stats(request.user):
        raise PermissionDenied("Cette page est réservée à l'équipe DINUM.")
    return render(
        request,
        "trainings/stats.html",
        {
            "title": "Agents formés (indicateur N16)",
            "summary": selectors.training_summary(),
            "per_ministry": selectors.officials_trained_per_ministry(),
            "per_audience": selectors.officials_trained_per_audience(),
            "breadcrumb_data": _crumbs("Agents formés", HOME),
        },
    )


# --- events -----------------------------------------------------------------------------------


EVENTS = ("Événements", "/formations/evenements/")


def event_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.event_queryset(request.user)
    kind = request.GET.get("type", "")
    if kind in Event.EventType.values:
        qs = qs.filter(event_type=kind)
    return render(
        request,
        "trainings/event_list.html",
        {
            "title": "Événements du réseau",
            "page_obj": _page(request, qs),
            "types": Event.EventType.choices,
            "kind": kind,
            "can_edit": can_edit_network_records(request.user),
            "breadcrumb_data": _crumbs("Événements", HOME),
        },
    )


def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_get(request.user, pk)
    return render(
        request,
        "trainings/event_detail.html",
        {
            "title": event.title,
            "event": event,
            "can_edit": can_edit_network_records(request.user),
            "breadcrumb_data": _crumbs(event.title, HOME, EVENTS),
        },
    )


def _event_save(request: HttpRequest, event: Event | None) -> HttpResponse:
    if not can_edit_network_records(request.user):
        raise PermissionDenied("Seule l'équipe DINUM peut modifier les événements.")
    initial: dict[str, Any] = {}
    if event is not None:
        initial = {f: getattr(event, f) for f in services.EVENT_FIELDS if f != "organizer_org"}
        initial["reuse_urls"] = "\n".join(event.reuse_urls)
        initial["ministries"] = list(event.ministries.all())
        initial["datasets"] = list(event.datasets.all())
        initial["datasets_opened_as_result"] = list(event.datasets_opened_as_result.all())
    form = forms.EventForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        links = services.EventLinks(
            ministry_ids=[m.pk for m in data.pop("ministries")],
            dataset_ids=[d.pk for d in data.pop("datasets")],
            opened_ids=[d.pk for d in data.pop("datasets_opened_as_result")],
        )
        data["reuses_created"] = data.get("reuses_created") or 0
        try:
            if event is None:
                event = services.event_create(actor=request.user, links=links, **data)
            else:
                services.event_update(actor=request.user, event=event, links=links, **data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "L'événement est enregistré.")
            return redirect("trainings:event-detail", pk=event.pk)
    return render(
        request,
        "trainings/form.html",
        {
            "title": "Modifier l'événement" if event else "Nouvel événement",
            "form": form,
            "submit": "Enregistrer",
            "breadcrumb_data": _crumbs("Édition", HOME, EVENTS),
        },
    )


@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    return _event_save(request, None)


@login_required
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _event_save(request, selectors.event_get(request.user, pk))


# --- impact indicators ------------------------------------------------------------------------


IMPACT = ("Impact", "/formations/impact/")


@login_required
def impact(request: HttpRequest) -> HttpResponse:
    indicators = list(selectors.indicator_queryset())
    series = selectors.measurements_per_quarter(request.user)
    return render(
        request,
        "trainings/impact.html",
        {
            "title": "Indicateurs d'impact",
            "rows": [(i, series.get(i.code, [])) for i in indicators],
            "events": selectors.event_summary(),
            "can_edit": can_edit_network_records(request.user),
            "breadcrumb_data": _crumbs("Indicateurs d'impact", HOME),
        },
    )


@login_required
def indicator_create(request: HttpRequest) -> HttpResponse:
    if not can_edit_network_records(request.user):
        raise PermissionDenied("Seule l'équipe DINUM peut définir les indicateurs.")
    form = forms.IndicatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "L'indicateur est créé.")
            return redirect("trainings:impact")
    return render(
        request,
        "trainings/form.html",
        {
            "title": "Nouvel indicateur",
            "form": form,
            "submit": "Créer",
            "breadcrumb_data": _crumbs("Nouvel indicateur", HOME, IMPACT),
        },
    )


@login_required
def measurement_create(request: HttpRequest) -> HttpResponse:
    if not can_edit_network_records(request.user):
        raise PermissionDenied("Seule l'équipe DINUM saisit les mesures.")
    form = forms.MeasurementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        start, end = data["quarter"]
        try:
            services.measurement_record(
                actor=request.user,
                indicator=data["indicator"],
                period_start=start,
                period_end=end,
                value=data["value"],
                ministry=data["ministry"],
                is_estimate=data["is_estimate"],
                method_note=data["method_note"],
                evidence_url=data["evidence_url"],
            )
        except ValidationError as exc:
            forms.apply_errors(form, exc)
        else:
            messages.success(request, "La mesure est enregistrée.")
            return redirect("trainings:impact")
    return render(
        request,
        "trainings/form.html",
        {
            "title": "Saisir une mesure",
            "form": form,
            "submit": "Enregistrer",
            "breadcrumb_data": _crumbs("Saisir une mesure", HOME, IMPACT),
        },
    )


@login_required
def measurement_import(request: HttpRequest) -> HttpResponse:
    if not can_edit_network_records(request.user):
        raise PermissionDenied("Seule l'équipe DINUM importe les mesures.")
    form = forms.MeasurementImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        from datasets.tabular import FileRejected, read_upload

        try:
            content = read_upload(upload)
        except FileRejected as exc:
            form.add_error("file", exc)
        else:
            report = services.measurements_import(
                actor=request.user, content=content, filename=upload.name
            )
            if report.ok:
                messages.success(
                    request,
                    f"Import terminé : {report.created} mesure(s) créée(s), "
                    f"{report.updated} mise(s) à jour.",
                )
                return redirect("trainings:impact")
    return render(
        request,
        "trainings/import.html",
        {
            "title": "Importer des mesures",
            "form": form,
            "report": report,
            "breadcrumb_data": _crumbs("Importer des mesures", HOME, IMPACT),
        },
    )
