"""Pages of the network: home, ministries, organisations, mandates, roles, public directory.

Views parse, call a selector or a service, and render. Rights: see administrators/permissions.py.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from administrators import permissions as perms
from administrators import selectors, services
from administrators.forms import (
    MandateCreateForm,
    MandateEndForm,
    MandateForm,
    MembershipGrantForm,
    MinistryContactForm,
    MinistryForm,
    OrganizationForm,
    PersonForm,
    add_service_errors,
)
from administrators.models import DataAdministrator, Membership, Ministry
from core.access import access_for

ORGS_PER_PAGE = 50
HISTORY_LIMIT = 50
DIRECTORY_PER_PAGE = 50


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _search_param(request: HttpRequest, name: str, max_length: int = 100) -> str:
    """A search parameter as typed, control characters read as spaces: PostgreSQL refuses a NUL
    in a query (a 500 on a public page), and none belongs in a name or a code."""
    value = _CONTROL_CHARACTERS.sub(" ", request.GET.get(name, ""))
    return value.strip()[:max_length].strip()


def _crumbs(*items: tuple[str, str], current: str) -> dict[str, Any]:
    return {
        "links": [{"url": url, "title": title} for title, url in items],
        "current": current,
    }


def _ministry_crumbs(ministry: Ministry, current: str) -> dict[str, Any]:
    return _crumbs(
        ("Ministères", reverse("administrators:ministry-list")),
        (str(ministry), reverse("administrators:ministry-detail", args=[ministry.code])),
        current=current,
    )


# --- public pages -------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    glance = selectors.network_glance()
    return render(
        request,
        "administrators/home.html",
        {"glance": glance, "coverage": glance.coverage},
    )


def directory(request: HttpRequest) -> HttpResponse:
    """Public, read-only: only people who agreed to be listed; never an e-mail or a phone."""
    search = _search_param(request, "q")
    ministry_code = _search_param(request, "ministere", 64)
    qs = selectors.public_directory(ministry_code=ministry_code, search=search)
    page = Paginator(qs, DIRECTORY_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "administrators/directory.html",
        {
            "title": "Annuaire public du réseau",
            "page_obj": page,
            "search": search,
            "ministry_code": ministry_code,
            "ministries": Ministry.objects.current().only("code", "name", "short_name"),
            "breadcrumb_data": _crumbs(current="Annuaire public"),
        },
    )


# --- ministries ---------------------------------------------------------------------------------


@login_required
def ministry_list(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    ministries = list(selectors.ministry_list(user=request.user))
    for m in ministries:
        m.visible = access.can_view_ministry(m.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "administrators/ministry_list.html",
        {
            "title": "Les ministères du réseau",
            "ministries": ministries,
            "coverage": selectors.network_coverage(),
            "can_create": perms.can_create_ministry(request.user),
            "breadcrumb_data": _crumbs(current="Ministères"),
        },
    )


@login_required
def my_ministry(request: HttpRequest) -> HttpResponse:
    mine = list(selectors.my_ministries(user=request.user))
    if len(mine) == 1:
        return redirect("administrators:ministry-detail", code=mine[0].code)
    return render(
        request,
        "administrators/my_ministry.html",
        {
            "title": "Mon ministère",
            "ministries": mine,
            "breadcrumb_data": _crumbs(current="Mon ministère"),
        },
    )


@login_required
def ministry_detail(request: HttpRequest, code: str) -> HttpResponse:
    ministry = selectors.ministry_for_user(user=request.user, code=code)
    mandates = selectors.ministry_mandates(ministry)
    current = [m for m in mandates if m.is_current]
    past = [m for m in mandates if not m.is_current]
    search = _search_param(request, "q")
    orgs = Paginator(
        selectors.ministry_organizations(ministry, search=search), ORGS_PER_PAGE
    ).get_page(request.GET.get("page"))
    for org in orgs:
        org.depth = org.path.count(" / ") if org.path else 0  # type: ignore[attr-defined]
    user = request.user
    return render(
        request,
        "administrators/ministry_detail.html",
        {
            "title": ministry.name,
            "ministry": ministry,
            "titulars": [m for m in current if m.role == DataAdministrator.Role.AMD_TITULAIRE],
            "deputies": [m for m in current if m.role == DataAdministrator.Role.AMD_ADJOINT],
            "delegates": [m for m in current if m.role == DataAdministrator.Role.AMD_DELEGUE],
            "correspondents": [
                m
                for m in current
                if m.role
                in {
                    DataAdministrator.Role.CORRESPONDANT_DIRECTION,
                    DataAdministrator.Role.REFERENT_REGIONAL,
                    DataAdministrator.Role.AGD_TEAM,
                }
            ],
            "past_mandates": past,
            "page_obj": orgs,
            "search": search,
            "history": selectors.audit_rows(selectors.ministry_history(ministry)[:HISTORY_LIMIT]),
            "can_edit": perms.can_edit_ministry_contacts(user, ministry.pk),
            "can_manage_orgs": perms.can_manage_organizations(user, ministry.pk),
            "can_add_mandate": perms.can_add_any_mandate(user, ministry.pk),
            "can_manage_roles": perms.can_manage_memberships(user),
            "breadcrumb_data": _crumbs(
                ("Ministères", reverse("administrators:ministry-list")), current=str(ministry)
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def ministry_create(request: HttpRequest) -> HttpResponse:
    perms.ensure_can_create_ministry(request.user)
    form = MinistryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = {k: v for k, v in form.cleaned_data.items() if k != "loaded_at"}
            ministry = services.ministry_create(actor=request.user, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Le ministère « {ministry} » a été créé.")
            return redirect("administrators:ministry-detail", code=ministry.code)
    return render(
        request,
        "administrators/form.html",
        {
            "title": "Créer un ministère",
            "form": form,
            "cancel_url": reverse("administrators:ministry-list"),
            "breadcrumb_data": _crumbs(
                ("Ministères", reverse("administrators:ministry-list")), current="Créer"
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def ministry_edit(request: HttpRequest, code: str) -> HttpResponse:
    ministry = selectors.ministry_for_user(user=request.user, code=code)
    if not perms.can_edit_ministry_contacts(request.user, ministry.pk):
        raise PermissionDenied("Vous ne pouvez pas modifier ce ministère.")
    form_class = (
        MinistryForm if perms.can_edit_ministry_identity(request.user) else MinistryContactForm
    )
    form = form_class(request.POST or None, instance=ministry)
    if request.method == "POST" and form.is_valid():
        try:
            data = dict(form.cleaned_data)
            loaded_at = data.pop("loaded_at", None)
            ministry = services.ministry_update(
                actor=request.user, ministry=ministry, data=data, expected_updated_at=loaded_at
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Les modifications ont été enregistrées.")
            return redirect("administrators:ministry-detail", code=ministry.code)
    return render(
        request,
        "administrators/form.html",
        {
            "title": f"Modifier — {ministry}",
            "form": form,
            "cancel_url": reverse("administrators:ministry-detail", args=[ministry.code]),
            "breadcrumb_data": _ministry_crumbs(ministry, "Modifier"),
        },
    )


# --- organisations ------------------------------------------------------------------------------


@login_required
def organization_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    ministry = selectors.ministry_for_user(user=request.user, code=code)
    org = selectors.organization_for_user(user=request.user, ministry=ministry, pk=pk)
    children = org.children.order_by("name").only("pk", "name", "parent_id")
    return render(
        request,
        "administrators/organization_detail.html",
        {
            "title": org.name,
            "ministry": ministry,
            "org": org,
            "children": children,
            "history": selectors.audit_rows(selectors.history(type(org), [org.pk])[:HISTORY_LIMIT]),
            "can_edit": perms.can_manage_organizations(request.user, ministry.pk),
            "breadcrumb_data": _ministry_crumbs(ministry, org.name),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_edit(request: HttpRequest, code: str, pk: int | None = None) -> HttpResponse:
    ministry = selectors.ministry_for_user(user=request.user, code=code)
    org = (
        selectors.organization_for_user(user=request.user, ministry=ministry, pk=pk)
        if pk is not None
        else None
    )
    perms.ensure_can_manage_organizations(request.user, ministry.pk)
    form = OrganizationForm(request.POST or None, instance=org, ministry=ministry)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        loaded_at = data.pop("loaded_at", None)
        try:
            if org is None:
                org = services.organization_create(actor=request.user, ministry=ministry, data=data)
            else:
                org = services.organization_update(
                    actor=request.user,
                    organization=org,
                    data=data,
                    expected_updated_at=loaded_at,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"L'organisation « {org} » a été enregistrée.")
            return redirect("administrators:organization-detail", code=ministry.code, pk=org.pk)
    return render(
        request,
        "administrators/form.html",
        {
            "title": f"Modifier — {org}" if org else "Ajouter une organisation",
            "form": form,
            "cancel_url": reverse("administrators:ministry-detail", args=[ministry.code]),
            "breadcrumb_data": _ministry_crumbs(ministry, "Organisation"),
        },
    )


# --- mandates -----------------------------------------------------------------------------------


@login_required
def mandate_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    ministry = selectors.ministry_for_user(user=request.user, code=code)
    mandate = selectors.mandate_for_user(user=request.user, ministry=ministry, pk=pk)
    can_edit = perms.can_manage_mandate(request.user, ministry.pk, mandate.role)
    return render(
        request,
        "administrators/mandate_detail.html",
        {
            "title": str(mandate),
            "ministry": ministry,
            "mandate": mandate,
            "history": selectors.audit_rows(
                selectors.history(type(mandate), [mandate.pk])[:HISTORY_LIMIT]
            ),
            "person_history": selectors.audit_rows(
                selectors.history(type(mandate.person), [mandate.person_id])[:HISTORY_LIMIT]
            ),
            "can_edit": can_edit,
            "end_form": MandateEndForm() if can_edit and mandate.end_date is None else None,
            "breadcrumb_data": _ministry_crumbs(ministry, str(mandate.person)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def mandate_edit(request: HttpRequest, code: str, pk: int | None = None) -> HttpResponse:
    ministry = selectors.ministry_for_user(user=request.user, code=code)
    mandate = (
        selectors.mandate_for_user(user=request.user, ministry=ministry, pk=pk)
        if pk is not None
        else None
    )
    if mandate is not None:
        perms.ensure_can_manage_mandate(request.user, ministry.pk, mandate.role)
    elif not perms.can_add_any_mandate(request.user, ministry.pk):
        raise PermissionDenied("Vous ne pouvez pas enregistrer de mandat dans ce ministère.")
    staff = access_for(request.user).is_network_staff
    form_class = MandateForm if mandate else MandateCreateForm
    form = form_class(
        request.POST or None, instance=mandate, ministry=ministry, network_staff=staff
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.MANDATE_FIELDS}
        orgs = form.cleaned_data.get("perimeter_organizations")
        try:
            if mandate is None:
                assert isinstance(form, MandateCreateForm)
                mandate = services.mandate_create(
                    actor=request.user,
                    ministry=ministry,
                    data=data,
                    person_data=form.person_data(),
                    perimeter_organizations=orgs,
                )
            else:
                mandate = services.mandate_update(
                    actor=request.user,
                    mandate=mandate,
                    data=data,
                    perimeter_organizations=orgs,
                    expected_updated_at=form.cleaned_data.get("loaded_at"),
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Le mandat a été enregistré.")
            return redirect("administrators:mandate-detail", code=ministry.code, pk=mandate.pk)
    return render(
        request,
        "administrators/form.html",
        {
            "title": "Modifier le mandat" if mandate else "Enregistrer un mandat",
            "form": form,
            "cancel_url": reverse("administrators:ministry-detail", args=[ministry.code]),
            "breadcrumb_data": _ministry_crumbs(ministry, "Mandat"),
        },
    )


@login_required
@require_POST
def mandate_end(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    ministry = selectors.ministry_for_user(user=request.user, code=code)
    mandate = selectors.mandate_for_user(user=request.user, ministry=ministry, pk=pk)
    perms.ensure_can_manage_mandate(request.user, ministry.pk, mandate.role)
    form = MandateEndForm(request.POST)
    if form.is_valid():
        try:
            services.mandate_end(
                actor=request.user, mandate=mandate, end_date=form.cleaned_data["end_date"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "Le mandat a été clos.")
    else:
        messages.error(request, "Indiquez une date de fin valide.")
    return redirect("administrators:mandate-detail", code=ministry.code, pk=mandate.pk)


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    ministry = selectors.ministry_for_user(user=request.user, code=code)
    mandate = selectors.mandate_for_user(user=request.user, ministry=ministry, pk=pk)
    person = mandate.person
    initial = {f: getattr(person, f) for f in PersonForm.base_fields if f != "loaded_at"}
    form = PersonForm(
        request.POST or None, initial={**initial, "loaded_at": person.updated_at.isoformat()}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        loaded_at = data.pop("loaded_at", None)
        try:
            services.person_update(
                actor=request.user, person=person, data=data, expected_updated_at=loaded_at
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "La fiche de la personne a été enregistrée.")
            return redirect("administrators:mandate-detail", code=ministry.code, pk=mandate.pk)
    elif request.method == "GET":
        services.ensure_can_edit_person(request.user, person)
    return render(
        request,
        "administrators/form.html",
        {
            "title": f"Modifier la fiche de {person}",
            "form": form,
            "cancel_url": reverse("administrators:mandate-detail", args=[ministry.code, pk]),
            "breadcrumb_data": _ministry_crumbs(ministry, str(person)),
        },
    )


# --- roles of user accounts ---------------------------------------------------------------------


def _roles_page(request: HttpRequest, ministry: Ministry | None) -> HttpResponse:
    perms.ensure_can_manage_memberships(request.user)
    form = MembershipGrantForm(request.POST or None, ministry=ministry)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.membership_grant(
                actor=request.user,
                user=data["email"],
                role=data["role"],
                ministry=ministry,
                admin_kind=data.get("admin_kind") or "",
                organizations=data.get("organizations") or [],
                valid_until=data.get("valid_until"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Le rôle a été attribué.")
            return redirect(request.path)
    title = f"Rôles des comptes — {ministry}" if ministry else "Rôles des comptes — réseau"
    crumbs = (
        _ministry_crumbs(ministry, "Rôles des comptes")
        if ministry
        else _crumbs(
            ("Ministères", reverse("administrators:ministry-list")), current="Rôles réseau"
        )
    )
    return render(
        request,
        "administrators/roles.html",
        {
            "title": title,
            "ministry": ministry,
            "memberships": selectors.memberships(ministry=ministry),
            "form": form,
            "history": selectors.audit_rows(
                selectors.history(Membership, ministry_id=ministry.pk if ministry else None)[
                    :HISTORY_LIMIT
                ]
            ),
            "breadcrumb_data": crumbs,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def ministry_roles(request: HttpRequest, code: str) -> HttpResponse:
    ministry = selectors.ministry_for_user(user=request.user, code=code)
    return _roles_page(request, ministry)


@login_required
@require_http_methods(["GET", "POST"])
def network_roles(request: HttpRequest) -> HttpResponse:
    return _roles_page(request, None)


@login_required
@require_POST
def membership_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    perms.ensure_can_manage_memberships(request.user)
    membership = get_object_or_404(Membership.objects.select_related("ministry"), pk=pk)
    back = (
        reverse("administrators:ministry-roles", args=[membership.ministry.code])
        if membership.ministry
        else reverse("administrators:network-roles")
    )
    try:
        services.membership_revoke(actor=request.user, membership=membership)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Le rôle a été retiré.")
    return redirect(back)
