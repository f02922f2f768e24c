"""Pages of the inventory under /inventaire/ (thin: parse, call a selector or a service, render).

Signed-in users only. Another ministry's entry (or a draft outside its ministry) answers 404; an
entry the caller may see but not change answers 403 on its edit pages.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from administrators.models import Ministry
from administrators.selectors import french
from core.access import access_for
from core.side_connection import beside, side_allowed
from core.validators import whole_number, whole_numbers
from datasets import history, selectors, services, views_proposals, wizard
from datasets.forms import (
    AssetForm,
    BulkActionForm,
    DesignationForm,
    ExtraFieldEditForm,
    ExtraFieldForm,
    QualificationForm,
    WizardForm,
    attach_errors,
    keep_after_conflict,
    list_filter_query,
    requested_sort,
    sort_form_context,
)
from datasets.models import (
    DataAsset,
    ExtraFieldDefinition,
    OpenByDefaultAssessment,
    PersonalDataProcessing,
    ReferenceDataDesignation,
)
from datasets.permissions import (
    can_create_any,
    can_edit_asset,
    can_manage_extra_fields,
    can_qualify_asset,
    can_review_proposals,
    can_see_internal_justification,
    ensure_can_edit_asset,
    ensure_can_manage_extra_fields,
    ensure_can_qualify_asset,
)
from datasets.qualification_pages import (
    announce,
    crumbs,
    qualification_input,
    size_suggestion,
    with_prefill,
    wizard_explanation,
)
from datasets.search import MarkedRows, highlights_later
from datasets.validation import (
    CATALOGUE_FIELD_LABELS,
    missing_catalogue_fields,
)

PAGE_SIZE = 50
MAX_PAGES = 200
# Session key: the selection and action of a refused bulk action, shown again once by the list.
BULK_RETRY = "inventory_bulk_retry"
BULK_RETRY_SECONDS = 120


# --- List, search, facets, bulk actions --------------------------------------------------------


class KnownCountPaginator(Paginator):
    """The total comes from `selectors.asset_count` (cached until the next write)."""

    known_count = 0

    @property
    def count(self) -> int:  # type: ignore[override]
        return self.known_count


def _requested_page(request: HttpRequest) -> int:
    """The page number asked for (1 when missing or not a number), before the paginator knows
    whether it exists."""
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1


@login_required
def asset_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.AssetFilters.from_query(list_filter_query(request.GET))
    # A full-text query: its matches are read (or taken from the cache) once, for the total,
    # the facets and whether it is broad (more than SEARCH_CAP matches: listed by date).
    hits = selectors.search_hits(request.user, filters) if filters.q else None
    broad = hits is not None and hits.broad
    estimated = hits is not None and hits.estimated
    # Without a full-text query, the total may come from the facets. Cached, they are read
    # at once; otherwise they are counted while the requested page's rows are read on the side
    # connection (kept if the page exists). With a full-text query, the facets are built while
    # the page's highlights are computed (below).
    requested = _requested_page(request)
    # A broad query is listed by date (its matches are too many to order otherwise): no other
    # order is offered for it.
    sort = "" if broad else requested_sort(request.GET)
    facets, generation = (
        selectors.cached_asset_facets(request.user, filters) if hits is None else (None, None)
    )
    early_rows = (
        beside(
            selectors.asset_page_rows,
            request.user,
            filters,
            ranked=False,
            offset=(requested - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
            sort=sort,
        )
        if hits is None and facets is None and requested <= MAX_PAGES and side_allowed()
        else None
    )
    if hits is None and facets is None:
        facets = selectors.asset_facets(request.user, filters, missed=generation)
    estimate = None
    if hits is not None and hits.estimated:
        # Broad on the planner's estimate: SEARCH_FACET_SAMPLE matches are known to exist (read
        # for the facets), not how many more. Only those are paginated, so no page is empty;
        # the estimate is shown to those who see every entry (it is computed over all of them).
        total = selectors.SEARCH_FACET_SAMPLE
        if access_for(request.user).is_network_staff:
            estimate = hits.estimate
    elif hits is not None:
        total = selectors.SEARCH_CAP if broad else hits.count
    elif not filters.visibility and not filters.q:
        # Every entry has one visibility, and that facet then counts the filtered set itself.
        vis = next(f for f in facets or [] if f.key == "visibility")
        total = sum(v.count for v in vis.values)
    else:
        total = selectors.asset_count(request.user, filters)
    # The rows are read below, page by page (`asset_page_rows`): the paginator only counts.
    paginator = KnownCountPaginator((), PAGE_SIZE)
    # Deep offsets cost a scan of everything before them: beyond MAX_PAGES, refine the search.
    paginator.known_count = min(total, MAX_PAGES * PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    offset = (page.number - 1) * PAGE_SIZE
    recent = hits.recent_rows if hits is not None else None
    if recent is not None and offset + PAGE_SIZE <= len(recent):
        # A broad query's first page was read with its facets (most recent first, as here).
        rows = recent[offset : offset + PAGE_SIZE]
    else:
        # As the page's own slice: never past the paginated count (a broad search's sample).
        limit = max(0, min(PAGE_SIZE, paginator.count - offset))
        if early_rows is not None and page.number == requested:
            rows = early_rows()[:limit]
        else:
            rows = selectors.asset_page_rows(
                request.user, filters, ranked=not broad, offset=offset, limit=limit, sort=sort
            )
    page.object_list = rows
    # The highlights of the page's rows (ts_headline) run on a second connection meanwhile.
    marks = highlights_later([r["pk"] for r in rows], filters.q) if filters.q and rows else None
    if facets is None:
        facets = selectors.asset_facets(request.user, filters, hits=hits)
    may_edit = can_create_any(request.user)
    # The organisation of a bulk assignment belongs to one ministry: offered once the list is
    # narrowed to one ministry (the caller's own, or the ministry filter).
    bulk_ministry = selectors.single_ministry(request.user, filters)
    bulk_organizations = (
        selectors.editable_organizations(request.user)
        .filter(ministry_id=bulk_ministry)
        .order_by(french("name"), "pk")
        .values_list("pk", "name")
        if may_edit and bulk_ministry is not None
        else None
    )
    params = request.GET.copy()
    params.pop("page", None)
    bulk_retry = _bulk_retry(request) if may_edit else None
    return render(
        request,
        "datasets/list.html",
        {
            "bulk_selected": frozenset(bulk_retry["ids"]) if bulk_retry else frozenset(),
            "bulk_values": bulk_retry["values"] if bulk_retry else None,
            "title": "Inventaire des données",
            "page_obj": page,
            "rows": MarkedRows(rows, marks),
            "filters": filters,
            "facets": facets,
            "may_edit": may_edit,
            # Correspondents propose qualifications entry by entry: no bulk status change.
            "may_qualify": can_review_proposals(request.user),
            "may_import": access_for(request.user).is_network_staff
            or bool(access_for(request.user).admin_ministry_ids),
            "bulk_organizations": bulk_organizations,
            "querystring": params.urlencode(),
            "total": total,
            "estimate": estimate,
            "estimated": estimated,
            "truncated": total > MAX_PAGES * PAGE_SIZE,
            "broad": broad,
            "max_rows": MAX_PAGES * PAGE_SIZE,
            "bulk_ministry": bulk_ministry,
            **sort_form_context(request.GET, sort),
        },
    )


def _bulk_retry(request: HttpRequest) -> dict[str, Any] | None:
    """The refused bulk action to show again: only on the page it was sent from, right after
    (another tab, or a later visit, starts afresh). No write unless one is stored."""
    retry = request.session.get(BULK_RETRY)
    if retry is None:
        return None
    fresh = time.time() - float(retry.get("at") or 0) < BULK_RETRY_SECONDS
    if fresh and retry.get("back") != request.get_full_path():
        return None  # kept for the page it belongs to
    del request.session[BULK_RETRY]
    return retry if fresh else None


@login_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    form = BulkActionForm(
        request.POST, organizations=selectors.editable_organizations(request.user)
    )
    back = request.POST.get("next") or reverse("datasets:list")
    if not back.startswith("/inventaire/"):
        back = reverse("datasets:list")
    ids = whole_numbers(request.POST.getlist("ids"))
    if not ids:
        messages.error(request, "Sélectionnez au moins une entrée.")
        return redirect(back)

    def retry() -> HttpResponse:
        # The list shows the selection and the action again, to correct (not to start over).
        request.session[BULK_RETRY] = {
            "back": back,
            "at": time.time(),
            "ids": ids[: PAGE_SIZE * 4],
            "values": {
                k: request.POST.get(k, "")[:100]
                for k in ("action", "status", "planned_date", "organization")
            },
        }
        return redirect(back)

    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return retry()
    action = form.cleaned_data["action"]
    try:
        if action == "status":
            count = services.assets_bulk_set_status(
                actor=request.user,
                asset_ids=ids,
                status=form.cleaned_data["status"],
                planned_date=form.cleaned_data.get("planned_date"),
            )
        elif action == "organization":
            count = services.assets_bulk_assign_organization(
                actor=request.user, asset_ids=ids, organization=form.cleaned_data["organization"]
            )
        else:
            count = services.assets_bulk_set_visibility(
                actor=request.user,
                asset_ids=ids,
                visibility="PUBLISHED" if action == "publish" else "DRAFT",
            )
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "Action non autorisée.")
        return retry()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return retry()
    messages.success(request, f"{count} entrée(s) modifiée(s).")
    return redirect(back)


# --- Entry page -----------------------------------------------------------------------------


@login_required
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        asset = selectors.asset_detail(request.user, pk)
    except Http404:
        # Another ministry's published entry (a link shared in the network): its public page,
        # which anyone may read. A draft or a missing entry stays 404, the same answer.
        if selectors.is_published(pk):
            return redirect("datasets:public_entry", pk=pk)
        raise
    show_internal = can_see_internal_justification(request.user, asset.ministry_id)
    assessment = getattr(asset, "assessment", None)
    definitions = selectors.extra_definitions(asset.ministry_id, active_only=False)
    extra_rows = []
    known = set()
    for d in definitions:
        known.add(d.code)
        if d.code in (asset.extra or {}):
            extra_rows.append(
                (
                    d.label + (" (champ retiré)" if not d.is_active else ""),
                    history.extra_shown(d.kind, asset.extra[d.code]),
                )
            )
    for code, value in (asset.extra or {}).items():
        if code not in known:
            extra_rows.append((code, history.plain(value)))
    readable = history.may_read(request.user, asset)
    missing = [
        CATALOGUE_FIELD_LABELS.get(m, m)
        for m in missing_catalogue_fields(asset, status=assessment.status if assessment else None)
    ]
    return render(
        request,
        "datasets/detail.html",
        {
            "title": asset.title,
            "breadcrumb_data": crumbs((asset.title[:80], "")),
            "asset": asset,
            "assessment": assessment,
            "grounds": list(assessment.ground_links.all()) if assessment else [],
            "show_internal": show_internal,
            "can_edit": can_edit_asset(request.user, asset),
            "history": history.page_rows(
                history.entries_for(request.user, asset), show_internal, asset.ministry_id
            ),
            "history_readable": readable,
            # Like the changes: the qualifications' history belongs to the entry's ministry and
            # DINUM (who proposed, refused and why), not to read-only readers of the network.
            "qualification_history": list(selectors.assessment_history(asset)) if readable else [],
            "extra_rows": extra_rows,
            "personal_data_labels": selectors.personal_data_labels(asset.personal_data_categories),
            "missing": missing,
            # Qualified as published, the record itself still a draft: out of the public
            # catalogue and of the DCAT exports until it is made visible.
            "published_draft": asset.visibility == DataAsset.Visibility.DRAFT
            and assessment is not None
            and assessment.status in OpenByDefaultAssessment.PUBLISHED_STATUSES,
            "designation": getattr(asset, "reference_designation", None)
            if _has_designation(asset)
            else None,
            **views_proposals.entry_context(request.user, asset, show_internal),
        },
    )


def _has_designation(asset: DataAsset) -> bool:
    try:
        asset.reference_designation  # noqa: B018
    except ReferenceDataDesignation.DoesNotExist:
        return False
    return True


# --- Create / edit / delete ------------------------------------------------------------------


def _processings(ministry_id: int) -> Any:
    return PersonalDataProcessing.objects.filter(ministry_id=ministry_id).order_by("name")


@login_required
def asset_create(request: HttpRequest) -> HttpResponse:
    if not can_create_any(request.user):
        raise PermissionDenied("Vous ne pouvez pas créer d'entrée.")
    orgs = selectors.editable_organizations(request.user)
    ministry_ids = sorted(set(orgs.values_list("ministry_id", flat=True)))
    raw = request.GET.get("ministry") or request.POST.get("ministry")
    number = whole_number(raw or "")
    if number is not None:
        if number not in ministry_ids:
            raise Http404
        ministry = get_object_or_404(Ministry, pk=number)
    elif len(ministry_ids) == 1:
        ministry = Ministry.objects.get(pk=ministry_ids[0])
    else:
        return render(
            request,
            "datasets/choose_ministry.html",
            {
                "title": "Nouvelle entrée : choisir le ministère",
                "ministries": Ministry.objects.filter(pk__in=ministry_ids).order_by("name"),
                "next_url": reverse("datasets:create"),
            },
        )
    form_kwargs = {
        "organizations": orgs.filter(ministry=ministry),
        "processings": _processings(ministry.pk),
        "definitions": selectors.extra_definitions(ministry.pk),
    }
    if request.method == "POST":
        form = AssetForm(request.POST, **form_kwargs)
        if form.is_valid():
            data, formats, extra = form.service_payload()
            try:
                asset = services.asset_create(
                    actor=request.user, data=data, formats=formats, extra=extra, ministry=ministry
                )
            except ValidationError as exc:
                attach_errors(form, exc, {"contact": "contact_service"})
            else:
                messages.success(request, "L'entrée a été créée. Qualifiez-la maintenant.")
                return redirect("datasets:detail", pk=asset.pk)
    else:
        form = AssetForm(initial={"visibility": "DRAFT", "sharing_mode": "UNKNOWN"}, **form_kwargs)
    return render(
        request,
        "datasets/asset_form.html",
        {
            "title": "Nouvelle entrée de l'inventaire",
            "breadcrumb_data": crumbs(("Nouvelle entrée", "")),
            "form": form,
            "ministry": ministry,
        },
    )


@login_required
def asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    asset = selectors.asset_for_update(request.user, pk)
    ensure_can_edit_asset(request.user, asset)
    orgs = selectors.editable_organizations(request.user).filter(ministry_id=asset.ministry_id)
    form_kwargs = {
        "organizations": orgs,
        "processings": _processings(asset.ministry_id),
        "definitions": selectors.extra_definitions(asset.ministry_id),
        "held_categories": asset.personal_data_categories,
    }
    conflict = ""
    if request.method == "POST":
        form = AssetForm(request.POST, **form_kwargs)
        if form.is_valid():
            data, formats, extra = form.service_payload()
            try:
                services.asset_update(
                    actor=request.user,
                    asset=asset,
                    data=data,
                    formats=formats,
                    extra=extra,
                    expected_version=form.cleaned_data.get("version") or 0,
                )
            except services.ConcurrentEditError as exc:
                conflict = exc.messages[0]
                keep_after_conflict(
                    form, DataAsset.objects.values_list("version", flat=True).get(pk=asset.pk)
                )
            except ValidationError as exc:
                attach_errors(form, exc, {"contact": "contact_service"})
            else:
                messages.success(request, "L'entrée a été enregistrée.")
                return redirect("datasets:detail", pk=asset.pk)
    else:
        form = AssetForm(initial=AssetForm.initial_for(asset), **form_kwargs)
    return render(
        request,
        "datasets/asset_form.html",
        {
            "title": f"Modifier « {asset.title[:80]} »",
            "breadcrumb_data": crumbs(
                (asset.title[:80], reverse("datasets:detail", args=[asset.pk])), ("Modifier", "")
            ),
            "form": form,
            "asset": asset,
            "conflict": conflict,
        },
        status=409 if conflict else 200,
    )


@login_required
def asset_delete(request: HttpRequest, pk: int) -> HttpResponse:
    asset = selectors.asset_for_update(request.user, pk)
    ensure_can_edit_asset(request.user, asset)
    conflict = ""
    if request.method == "POST":
        # The confirmation page carries the version it showed: an entry changed since then is
        # not deleted blindly (a form without it is treated as stale).
        raw = request.POST.get("version", "")
        try:
            services.asset_delete(
                actor=request.user,
                asset=asset,
                expected_version=whole_number(raw, 9) or 0,
            )
        except services.ConcurrentEditError as exc:
            conflict = exc.messages[0]
            asset = selectors.asset_for_update(request.user, pk)
        else:
            messages.success(request, "L'entrée a été supprimée.")
            return redirect("datasets:list")
    return render(
        request,
        "datasets/confirm_delete.html",
        {"title": f"Supprimer « {asset.title[:80]} »", "asset": asset, "conflict": conflict},
        status=409 if conflict else 200,
    )


def _read_version(request: HttpRequest) -> int | None:
    """The version the page showed when a revert was chosen (posted by its form), or None with
    an error message: without it, a save made meanwhile could be overwritten unseen."""
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        messages.error(
            request,
            "La version que vous avez lue manque : rechargez la page puis choisissez à nouveau "
            "la version à restaurer ; rien n'a été modifié.",
        )
        return None


@login_required
@require_POST
def asset_revert(request: HttpRequest, pk: int, entry_id: int) -> HttpResponse:
    asset = selectors.asset_for_update(request.user, pk)
    ensure_can_edit_asset(request.user, asset)
    version = _read_version(request)
    if version is None:
        return redirect("datasets:detail", pk=asset.pk)
    try:
        services.asset_revert(
            actor=request.user, asset=asset, audit_entry_id=entry_id, expected_version=version
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "L'entrée est revenue à la version choisie.")
    return redirect("datasets:detail", pk=asset.pk)


@login_required
@require_POST
def qualification_revert(request: HttpRequest, pk: int, history_id: int) -> HttpResponse:
    asset = selectors.asset_for_update(request.user, pk)
    ensure_can_qualify_asset(request.user, asset)  # a correspondent proposes the revert
    version = _read_version(request)
    if version is None:
        return redirect("datasets:detail", pk=asset.pk)
    try:
        services.asset_revert(
            actor=request.user, asset=asset, history_id=history_id, expected_version=version
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "La qualification est revenue à la version choisie.")
    return redirect("datasets:detail", pk=asset.pk)


# --- Qualification ---------------------------------------------------------------------------


@login_required
def asset_qualify(request: HttpRequest, pk: int) -> HttpResponse:
    asset = selectors.asset_detail(request.user, pk)
    ensure_can_edit_asset(request.user, asset)
    if not can_qualify_asset(request.user, asset):  # a correspondent proposes (DOMAIN §4.18)
        return views_proposals.proposal_form(request, asset)
    assessment = asset.assessment
    show_internal = can_see_internal_justification(request.user, asset.ministry_id)
    existing = len(assessment.ground_links.all())
    rows = min(20, max(3, existing + 1))
    conflict = ""
    if request.method == "POST":
        form = QualificationForm(
            request.POST,
            rows=min(20, int(request.POST.get("rows") or rows)),
            show_internal=show_internal,
        )
        if form.is_valid():
            cd = form.cleaned_data
            q = qualification_input(
                cd, _keep_hidden_justifications(form, assessment, show_internal)
            )
            comment = (cd.get("comment") or "").strip()
            try:
                saved, result = services.asset_qualify(
                    actor=request.user,
                    asset=asset,
                    qualification=q,
                    expected_version=cd.get("version") or 0,
                    comment=comment,
                )
            except services.ConcurrentEditError as exc:
                conflict = exc.messages[0]
                keep_after_conflict(
                    form,
                    OpenByDefaultAssessment.objects.values_list("version", flat=True).get(
                        asset_id=asset.pk
                    ),
                )
            except ValidationError as exc:
                attach_errors(
                    form,
                    exc,
                    # A rule about the grounds is read next to the first ground's row.
                    {"licence": "status", "formats": "status", "grounds": "ground_0"},
                )
            else:
                announce(request, result)
                if saved.version != (cd.get("version") or 0):
                    messages.success(request, "La qualification a été enregistrée.")
                elif comment:
                    messages.success(
                        request,
                        "La qualification est inchangée ; votre commentaire a été ajouté à son "
                        "historique.",
                    )
                else:
                    messages.info(request, "Aucune modification : la qualification est inchangée.")
                return redirect("datasets:detail", pk=asset.pk)
    else:
        initial = QualificationForm.initial_for(assessment)
        if not show_internal:
            initial = {k: v for k, v in initial.items() if not k.startswith("justification_")}
        form = QualificationForm(
            initial=with_prefill(request, initial), rows=rows, show_internal=show_internal
        )
    return render(
        request,
        "datasets/qualification_form.html",
        {
            "title": f"Qualifier « {asset.title[:80]} »",
            "breadcrumb_data": crumbs(
                (asset.title[:80], reverse("datasets:detail", args=[asset.pk])),
                ("Qualification", ""),
            ),
            "form": form,
            "asset": asset,
            "conflict": conflict,
            "suggestion": size_suggestion(asset),
            "explanation": wizard_explanation(request),
            "publish_missing": _publish_missing(asset),
        },
        status=409 if conflict else 200,
    )


def _publish_missing(asset: DataAsset) -> list[str]:
    """What the entry's own record lacks for a « published » status (its licence, an open
    format): set on its edit page, not here, so the qualification page says so beforehand."""
    return [
        what
        for what, present in (
            ("sa licence de réutilisation", asset.licence_id is not None),
            ("au moins un format ouvert", any(f.is_open for f in asset.formats.all())),
        )
        if not present
    ]


def _keep_hidden_justifications(
    form: QualificationForm, assessment: OpenByDefaultAssessment, show_internal: bool
) -> list[dict[str, Any]]:
    """A correspondent never sees internal justifications (DOMAIN §4.5): they may write one, and
    a ground they keep without writing one keeps the justification already recorded."""
    rows = form.grounds_input()
    if show_internal:
        return rows
    existing = {
        link.ground_id: link.justification_internal for link in assessment.ground_links.all()
    }
    for row in rows:
        if not row["justification_internal"].strip():
            row["justification_internal"] = existing.get(row["ground"].pk, "")
    return rows


@login_required
def qualification_wizard(request: HttpRequest, pk: int) -> HttpResponse:
    asset = selectors.asset_detail(request.user, pk)
    ensure_can_edit_asset(request.user, asset)
    source = request.POST if request.method == "POST" else request.GET
    answers = wizard.clean_answers(
        {k[2:]: str(source.get(k)) for k in source if k.startswith("a_")}
    )
    form = WizardForm(request.POST or None)
    question, outcome = wizard.next_step(answers)
    if request.method == "POST" and question is not None and form.is_valid():
        answers[question.key] = form.cleaned_data["answer"]
        question, outcome = wizard.next_step(answers)
        form = WizardForm()
    if outcome is not None:
        # The answers ride along so that the form page recomputes the explanation itself
        # (no free text taken from the address).
        params = outcome.as_query() + [(f"a_{k}", v) for k, v in answers.items()]
        return redirect(reverse("datasets:qualify", args=[asset.pk]) + "?" + urlencode(params))
    assert question is not None
    default = None
    if question.key == "subject":
        default = "oui" if asset.organization.subject_l312_1_1 else "non"
    if default and not form.is_bound:
        form = WizardForm(initial={"answer": default})
    asked = [(wizard.QUESTIONS[k].text, v) for k, v in answers.items()]
    return render(
        request,
        "datasets/wizard.html",
        {
            "title": "Qualification guidée",
            "breadcrumb_data": crumbs(
                (asset.title[:80], reverse("datasets:detail", args=[asset.pk])),
                ("Qualification guidée", ""),
            ),
            "asset": asset,
            "question": question,
            "form": form,
            "answers": answers,
            "asked": asked,
            "step": len(answers) + 1,
            "headcount": asset.organization.headcount_etp,
        },
    )


# --- Reference data ---------------------------------------------------------------------------


@login_required
def asset_designation(request: HttpRequest, pk: int) -> HttpResponse:
    asset = selectors.asset_detail(request.user, pk)
    ensure_can_edit_asset(request.user, asset)
    current = asset.reference_designation if _has_designation(asset) else None
    conflict = ""
    if request.method == "POST":
        form = DesignationForm(request.POST)
        if form.is_valid():
            data = {k: form.cleaned_data.get(k) for k in DesignationForm.FIELDS}
            data["process_info_url"] = data.get("process_info_url") or ""
            for key in (
                "criterion_common_reference_text",
                "criterion_frequent_reuse_evidence",
                "criterion_high_quality_text",
                "decree_ref",
            ):
                data[key] = data.get(key) or ""
            try:
                services.reference_designate(
                    actor=request.user,
                    asset=asset,
                    data=data,
                    # Without a version the form read « no designation »: stale once one exists.
                    expected_version=form.cleaned_data.get("version") or 0,
                )
            except services.ConcurrentEditError as exc:
                conflict = exc.messages[0]
                keep_after_conflict(
                    form,
                    ReferenceDataDesignation.objects.filter(asset_id=asset.pk)
                    .values_list("version", flat=True)
                    .first()
                    or 0,
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, "La désignation a été enregistrée.")
                return redirect("datasets:detail", pk=asset.pk)
    else:
        initial = (
            {k: getattr(current, k) for k in DesignationForm.FIELDS}
            if current
            else {"status": "PROPOSED", "change_notice_days": 90}
        )
        initial["version"] = current.version if current else 0
        form = DesignationForm(initial=initial)
    return render(
        request,
        "datasets/designation_form.html",
        {
            "title": f"Donnée de référence : « {asset.title[:80]} »",
            "breadcrumb_data": crumbs(
                (asset.title[:80], reverse("datasets:detail", args=[asset.pk])),
                ("Donnée de référence", ""),
            ),
            "form": form,
            "asset": asset,
            "conflict": conflict,
        },
        status=409 if conflict else 200,
    )


# --- Extra-field definitions ------------------------------------------------------------------


@login_required
def extra_fields_index(request: HttpRequest) -> HttpResponse:
    ministries = [
        m
        for m in selectors.visible_ministries(request.user)
        if can_manage_extra_fields(request.user, m.pk)
    ]
    if len(ministries) == 1:
        return redirect("datasets:extra_fields", ministry_id=ministries[0].pk)
    if not ministries:
        raise PermissionDenied(
            "Seuls la DINUM et les administrateurs ministériels définissent des champs."
        )
    return render(
        request,
        "datasets/choose_ministry.html",
        {
            "title": "Champs propres : choisir le ministère",
            "ministries": ministries,
            "extra_fields": True,
        },
    )


@login_required
def extra_fields(request: HttpRequest, ministry_id: int) -> HttpResponse:
    ministry = get_object_or_404(Ministry.objects.for_user(request.user), pk=ministry_id)
    ensure_can_manage_extra_fields(request.user, ministry.pk)
    if request.method == "POST":
        form = ExtraFieldForm(request.POST)
        if form.is_valid():
            try:
                services.extra_field_create(
                    actor=request.user, ministry=ministry, **form.cleaned_data
                )
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, "Le champ a été ajouté.")
                return redirect("datasets:extra_fields", ministry_id=ministry.pk)
    else:
        form = ExtraFieldForm()
    return _extra_fields_page(request, ministry, form)


def _extra_fields_page(
    request: HttpRequest, ministry: Ministry, form: ExtraFieldForm, conflict: str = ""
) -> HttpResponse:
    return render(
        request,
        "datasets/extra_fields.html",
        {
            "title": f"Champs propres au ministère — {ministry}",
            "breadcrumb_data": crumbs(("Champs propres au ministère", "")),
            "ministry": ministry,
            "definitions": selectors.extra_definitions(ministry.pk, active_only=False),
            "form": form,
            "conflict": conflict,
        },
        status=409 if conflict else 200,
    )


@login_required
def extra_field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    definition = _definition(request, pk)
    conflict = ""
    if request.method == "POST":
        form = ExtraFieldEditForm(request.POST, initial=_definition_initial(definition))
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.extra_field_update(
                    actor=request.user,
                    definition=definition,
                    label=cd["label"],
                    choices=cd.get("choices")
                    if definition.kind == ExtraFieldDefinition.Kind.CHOICE
                    else None,
                    help_text=cd.get("help_text") or "",
                    required=cd.get("required", False),
                    order=cd.get("order") or 0,
                    expected_version=cd.get("version") or 0,
                )
            except services.ConcurrentEditError as exc:
                conflict = exc.messages[0]
                definition = _definition(request, pk)
                keep_after_conflict(form, definition.version)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, "Le champ a été modifié.")
                return redirect("datasets:extra_fields", ministry_id=definition.ministry_id)
    else:
        form = ExtraFieldEditForm(initial=_definition_initial(definition))
    return render(
        request,
        "datasets/extra_field_form.html",
        {
            "title": f"Modifier le champ « {definition.label} »",
            "form": form,
            "definition": definition,
            "conflict": conflict,
        },
        status=409 if conflict else 200,
    )


def _definition(request: HttpRequest, pk: int) -> ExtraFieldDefinition:
    access = access_for(request.user)
    definition = get_object_or_404(ExtraFieldDefinition, pk=pk)
    if not access.can_view_ministry(definition.ministry_id):
        raise Http404
    ensure_can_manage_extra_fields(request.user, definition.ministry_id)
    return definition


def _definition_initial(d: ExtraFieldDefinition) -> dict[str, Any]:
    return {
        "code": d.code,
        "label": d.label,
        "kind": d.kind,
        "choices": "\n".join(d.choices or []),
        "help_text": d.help_text,
        "required": d.required,
        "order": d.order,
        "version": d.version,
    }


@login_required
@require_POST
def extra_field_retire(request: HttpRequest, pk: int) -> HttpResponse:
    definition = _definition(request, pk)
    restore = request.POST.get("restore") == "1"
    # The list carries the version it showed: a field changed since then is left as it is (a
    # form without it is treated as stale).
    raw = request.POST.get("version", "")
    try:
        services.extra_field_retire(
            actor=request.user,
            definition=definition,
            restore=restore,
            expected_version=whole_number(raw, 9) or 0,
        )
    except services.ConcurrentEditError as exc:
        return _extra_fields_page(request, definition.ministry, ExtraFieldForm(), exc.messages[0])
    messages.success(
        request,
        "Le champ est de nouveau actif."
        if restore
        else "Le champ est retiré ; les valeurs saisies sont conservées.",
    )
    return redirect("datasets:extra_fields", ministry_id=definition.ministry_id)
