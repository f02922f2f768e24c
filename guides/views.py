"""Guide pages: public reading (published versions), history, and editing by DINUM staff."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.concurrency import read_at
from guides import selectors, services
from guides.forms import GuideForm, VersionEditForm, VersionForm
from guides.models import Guide, GuideVersion
from guides.permissions import can_edit_guides
from guides.rendering import render_guide

HOME = {"url": "/guides/", "title": "Guides"}


def _crumbs(current: str, *links: dict[str, str]) -> dict[str, Any]:
    return {"links": list(links), "current": current}


def _ensure_editor(user: Any) -> None:
    if not can_edit_guides(user):
        raise PermissionDenied("Seule l'équipe DINUM peut rédiger et publier les guides.")


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def guide_list(request: HttpRequest) -> HttpResponse:
    query = selectors.clean_query(request.GET.get("q", ""))
    theme = request.GET.get("theme", "")
    if theme not in Guide.Theme.values:
        theme = ""
    to_review = request.GET.get("a_revoir") == "1" and can_edit_guides(request.user)
    qs = selectors.guide_list(request.user, query=query, theme=theme, to_review=to_review)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "guides/list.html",
        {
            "title": "Guides pratiques",
            "page_obj": page,
            "query": query,
            "theme": theme,
            "themes": Guide.Theme.choices,
            "to_review": to_review,
            "can_edit": can_edit_guides(request.user),
            "breadcrumb_data": _crumbs("Guides"),
        },
    )


def _reading_context(
    request: HttpRequest, guide: Guide, version: GuideVersion | None
) -> dict[str, Any]:
    body, toc = render_guide(version.body) if version else ("", [])
    return {
        "title": guide.title,
        "guide": guide,
        "version": version,
        "body": body,
        "toc": toc,
        "can_edit": can_edit_guides(request.user),
        "breadcrumb_data": _crumbs(guide.title, HOME),
    }


def guide_detail(request: HttpRequest, slug: str) -> HttpResponse:
    guide = selectors.guide_get(request.user, slug)
    version = selectors.reading_version(request.user, guide)
    return render(request, "guides/detail.html", _reading_context(request, guide, version))


def version_detail(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    guide = selectors.guide_get(request.user, slug)
    found = selectors.version_get(request.user, guide, version)
    context = _reading_context(request, guide, found)
    context["breadcrumb_data"] = _crumbs(
        f"Version {found.version}", HOME, {"url": guide.get_absolute_url(), "title": guide.title}
    )
    return render(request, "guides/detail.html", context)


def guide_history(request: HttpRequest, slug: str) -> HttpResponse:
    guide = selectors.guide_get(request.user, slug)
    versions = list(selectors.version_queryset(request.user, guide))
    for v in versions:
        v.moves = [  # type: ignore[attr-defined]
            (s, GuideVersion.Status(s).label)
            for s in sorted(v.allowed_moves(guide.published_version))
        ]
    return render(
        request,
        "guides/history.html",
        {
            "title": f"Historique — {guide.title}",
            "guide": guide,
            "versions": versions,
            "can_edit": can_edit_guides(request.user),
            "audit": selectors.guide_audit(guide) if can_edit_guides(request.user) else [],
            "breadcrumb_data": _crumbs(
                "Historique", HOME, {"url": guide.get_absolute_url(), "title": guide.title}
            ),
        },
    )


@login_required
def guide_create(request: HttpRequest) -> HttpResponse:
    _ensure_editor(request.user)
    form = GuideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            guide = services.guide_create(
                actor=request.user,
                title=d["title"],
                slug=d["slug"],
                theme=d["theme"],
                summary=d["summary"],
                version=d["version"],
                body=d["body"],
                changelog=d["changelog"],
                legal_reference_ids=[r.pk for r in d["legal_references"]],
                review_due=d["review_due"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "Le guide est créé (version brouillon).")
            return redirect("guides:history", slug=guide.slug)
    return render(
        request,
        "guides/form.html",
        {"title": "Nouveau guide", "form": form, "breadcrumb_data": _crumbs("Nouveau guide", HOME)},
    )


@login_required
def version_create(request: HttpRequest, slug: str) -> HttpResponse:
    _ensure_editor(request.user)
    guide = selectors.guide_get(request.user, slug)
    latest = selectors.version_queryset(request.user, guide).first()
    initial: dict[str, Any] = {}
    if latest is not None:
        major, minor, _patch = (int(x) for x in latest.version.split("."))
        initial = {
            "version": f"{major}.{minor + 1}.0",
            "body": latest.body,
            "legal_references": list(latest.legal_references.all()),
        }
    form = VersionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.guide_version_create(
                actor=request.user,
                guide=guide,
                version=d["version"],
                body=d["body"],
                changelog=d["changelog"],
                legal_reference_ids=[r.pk for r in d["legal_references"]],
                review_due=d["review_due"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "La nouvelle version est créée (brouillon).")
            return redirect("guides:history", slug=guide.slug)
    return render(
        request,
        "guides/form.html",
        {
            "title": f"Nouvelle version — {guide.title}",
            "form": form,
            "breadcrumb_data": _crumbs(
                "Nouvelle version", HOME, {"url": guide.get_absolute_url(), "title": guide.title}
            ),
        },
    )


@login_required
def version_edit(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    _ensure_editor(request.user)
    guide = selectors.guide_get(request.user, slug)
    found = selectors.version_get(request.user, guide, version)
    form = VersionEditForm(
        request.POST or None,
        initial={
            "body": found.body,
            "changelog": found.changelog,
            "legal_references": list(found.legal_references.all()),
            "review_due": found.review_due,
            "loaded_at": read_at(found),
        },
    )
    locked_message = (
        ""
        if found.is_editable
        else "Une version publiée ou archivée ne se modifie plus : créez une nouvelle version."
    )
    if locked_message:
        messages.error(request, locked_message)
        return redirect("guides:history", slug=guide.slug)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.guide_version_update(
                actor=request.user,
                version=found,
                body=d["body"],
                changelog=d["changelog"],
                review_due=d["review_due"],
                legal_reference_ids=[r.pk for r in d["legal_references"]],
                expected_updated_at=d["loaded_at"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, "La version est enregistrée.")
            return redirect("guides:history", slug=guide.slug)
    return render(
        request,
        "guides/form.html",
        {
            "title": f"Modifier la version {found.version} — {guide.title}",
            "form": form,
            "breadcrumb_data": _crumbs(
                f"Version {found.version}",
                HOME,
                {"url": guide.get_absolute_url(), "title": guide.title},
            ),
        },
    )


@login_required
@require_POST
def version_transition(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    _ensure_editor(request.user)
    guide = selectors.guide_get(request.user, slug)
    found = selectors.version_get(request.user, guide, version)
    try:
        services.guide_version_transition(
            actor=request.user, version=found, to_status=request.POST.get("status", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        found.refresh_from_db()
        messages.success(
            request, f"La version {found.version} est désormais « {found.get_status_display()} »."
        )
    return redirect("guides:history", slug=guide.slug)
