"""Pages of the inventory import and exports (thin: parse, call importing/exporting, render).

- import: ministry administrators and network staff (others: 403); a job of a ministry the
  caller cannot edit answers 404. The job page works without JavaScript (it refreshes itself
  while the worker runs); with JavaScript it polls a small JSON status instead.
- CSV / XLSX exports: any caller with a ministry scope (drafts only inside their own ministry,
  `DataAsset.objects.for_user`); another ministry's code answers 404.
- DCAT-AP: public, published entries only (what data.gouv.fr's harvester reads).
- Public catalogue (list, search, filters) and the public page of an entry: anyone, signed in
  or not, sees the published entries and only them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST, require_safe
from dsfr.forms import DsfrBaseForm

from administrators.models import Ministry
from core.access import access_for
from core.forms import QuickSelect
from core.notifications import absolute_url
from core.validators import whole_number
from datasets import exporting, public_catalogue, selectors
from datasets.forms import list_filter_query, requested_sort, sort_form_context
from datasets.importing import OrganizationIndex, SourceRow, import_job_create, resolve_organization
from datasets.models import DataAsset, ExtraFieldDefinition, ImportJob
from datasets.search import MAX_QUERY_LENGTH, MarkedRows, highlights_later, normalise_query
from datasets.tabular import FileRejected, read_upload
from datasets.tasks import confirm_import, enqueue_analyse, progress_cache_key

REPORT_PAGE_SIZE = 100
IN_PROGRESS = {ImportJob.State.UPLOADED, ImportJob.State.ANALYSING, ImportJob.State.APPLYING}


# --- Import ------------------------------------------------------------------------------------


def _editable_ministries(user: Any) -> QuerySet[Ministry]:
    access = access_for(user)
    qs = Ministry.objects.order_by("name")
    if access.is_network_staff:
        return qs
    return qs.filter(pk__in=access.admin_ministry_ids)


def _ensure_can_import(user: Any) -> None:
    access = access_for(user)
    if not (access.is_network_staff or access.admin_ministry_ids):
        raise PermissionDenied(
            "Seuls les administrateurs ministériels et l'équipe de la DINUM importent des fichiers."
        )


class ImportForm(DsfrBaseForm):
    fichier = forms.FileField(
        label="Fichier à importer",
        help_text=(
            "CSV (virgule ou point-virgule ; UTF-8 ou Windows-1252), XLSX, ou bases.json de la "
            "cartographie 2016. Colonnes du schéma Catalogue de données d'Etalab."
        ),
    )
    ministere = forms.ModelChoiceField(
        label="Ministère", queryset=Ministry.objects.none(), empty_label=None
    )
    organisation = forms.CharField(
        label="Organisation productrice par défaut",
        required=False,
        max_length=300,
        help_text=(
            "Nom exact ou SIRET, pour un fichier sans colonne nom_orga (export de "
            "catalogue.data.gouv.fr)."
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ministere"].queryset = _editable_ministries(user)


def _default_organization(ministry: Ministry, text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    index = OrganizationIndex(ministry)
    digits = text.replace(" ", "")
    # ASCII digits only: "¹" or "٣" pass `str.isdigit` but are no SIRET (a name is looked up).
    cells = {"siret_orga": digits} if digits.isascii() and digits.isdigit() else {"nom_orga": text}
    result = resolve_organization(SourceRow(line=0, cells=cells), index, None)
    if result.organization is None:
        raise ValidationError(result.error)
    return result.organization


@login_required
def import_start(request: HttpRequest) -> HttpResponse:
    _ensure_can_import(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        ministry = form.cleaned_data["ministere"]
        try:
            default = _default_organization(ministry, form.cleaned_data["organisation"])
            upload = form.cleaned_data["fichier"]
            data = read_upload(upload)
            job = import_job_create(
                actor=request.user,
                ministry=ministry,
                filename=upload.name,
                data=data,
                default_organization=default,
            )
        except FileRejected as exc:
            form.add_error("fichier", exc)
        except ValidationError as exc:
            form.add_error("organisation", " ".join(exc.messages))
        else:
            enqueue_analyse(job)
            return redirect("datasets:import_job", pk=job.pk)
    jobs = (
        ImportJob.objects.filter(
            kind=ImportJob.Kind.INVENTORY, ministry__in=_editable_ministries(request.user)
        )
        .defer("payload", "normalised_plan", "report")
        .select_related("ministry")[:10]
    )
    return render(
        request,
        "datasets/io/import_start.html",
        {
            "title": "Importer un inventaire",
            "form": form,
            "jobs": jobs,
            "breadcrumb_data": {
                "links": [{"url": reverse("datasets:list"), "title": "Inventaire"}],
                "current": "Importer un inventaire",
            },
        },
    )


def _job_for(user: Any, pk: int, *, with_report: bool = True) -> ImportJob:
    qs = ImportJob.objects.filter(kind=ImportJob.Kind.INVENTORY).select_related("ministry")
    qs = (
        qs.defer("payload", "normalised_plan")
        if with_report
        else qs.defer("payload", "normalised_plan", "report")
    )
    job = get_object_or_404(qs, pk=pk)
    if not access_for(user).can_edit_ministry(job.ministry_id):
        raise Http404
    return job


def _progress(job: ImportJob) -> tuple[int, int]:
    if job.state == ImportJob.State.APPLYING:
        from django.core.cache import cache

        cached = cache.get(progress_cache_key(job.pk))
        if cached:
            return int(cached[0]), int(cached[1])
    return job.progress_done, job.progress_total


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_can_import(request.user)
    job = _job_for(request.user, pk)
    report = job.report or {}
    rows = report.get("rows", [])
    show = request.GET.get("lignes", "problemes")
    if show == "problemes":
        rows = [r for r in rows if r["action"] in ("rejected", "updated") or r["warnings"]]
    elif show in ("created", "updated", "unchanged", "rejected"):
        rows = [r for r in rows if r["action"] == show]
    page = Paginator(rows, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    done, total = _progress(job)
    counts = report.get("counts", {})
    return render(
        request,
        "datasets/io/import_job.html",
        {
            "title": f"Import « {job.filename} »",
            "job": job,
            "report": report,
            "counts": counts,
            "page_obj": page,
            "show": show,
            "in_progress": job.state in IN_PROGRESS,
            "done": done,
            "total": total,
            "pct": round(100 * done / total) if total else 0,
            "can_confirm": job.state == ImportJob.State.ANALYSED
            and (counts.get("created", 0) + counts.get("updated", 0)) > 0,
            "filters": [
                ("problemes", "Lignes à examiner"),
                ("created", "Créations"),
                ("updated", "Mises à jour"),
                ("unchanged", "Inchangées"),
                ("rejected", "Rejetées"),
                ("toutes", "Toutes"),
            ],
            "breadcrumb_data": {
                "links": [
                    {"url": reverse("datasets:list"), "title": "Inventaire"},
                    {"url": reverse("datasets:import"), "title": "Importer un inventaire"},
                ],
                "current": job.filename,
            },
        },
    )


@login_required
@require_GET
def import_status(request: HttpRequest, pk: int) -> JsonResponse:
    _ensure_can_import(request.user)
    job = _job_for(request.user, pk, with_report=False)
    done, total = _progress(job)
    return JsonResponse(
        {
            "state": job.state,
            "state_label": job.get_state_display(),
            "done": done,
            "total": total,
            "pct": round(100 * done / total) if total else 0,
            "finished": job.state not in IN_PROGRESS,
        }
    )


@login_required
@require_POST
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_can_import(request.user)
    job = _job_for(request.user, pk, with_report=False)
    if confirm_import(job, request.user):
        messages.info(request, "Import confirmé : les entrées sont en cours d'enregistrement.")
    else:
        messages.warning(
            request, "Cet import n'attend pas de confirmation (déjà lancé ou terminé)."
        )
    return redirect("datasets:import_job", pk=job.pk)


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    _ensure_can_import(request.user)
    job = _job_for(request.user, pk, with_report=False)
    cancelled = ImportJob.objects.filter(
        pk=job.pk, state__in=[ImportJob.State.UPLOADED, ImportJob.State.ANALYSED]
    ).update(
        state=ImportJob.State.CANCELLED,
        finished_at=timezone.now(),
        payload=b"",
        normalised_plan=b"",
    )
    if cancelled:
        messages.info(request, "Import annulé : rien n'a été enregistré.")
    return redirect("datasets:import")


# --- Exports -----------------------------------------------------------------------------------


def _ministry_or_404(code: str) -> Ministry:
    """The ministry of a `ministere` parameter. A code is a slug: anything else (a NUL byte
    reached PostgreSQL and answered 500) is an unknown ministry."""
    if len(code) > 64 or not slug_re.match(code):
        raise Http404
    return get_object_or_404(Ministry, code=code)


def export_scope(
    user: Any, ministry_code: str | None, filters: selectors.AssetFilters
) -> tuple[QuerySet[DataAsset], Any]:
    """(entries, ministry or None) the caller may export; 403 without any ministry scope.

    `filters`: the list's search and facets (« Exporter ces résultats »), within that scope."""
    access = access_for(user)
    if not (access.sees_all_ministries or access.visible_ministry_ids):
        raise PermissionDenied("Votre compte n'a accès à aucun inventaire.")
    qs = selectors.matching_assets(user, filters)
    ministry = None
    if ministry_code:
        ministry = _ministry_or_404(ministry_code)
        if not access.can_view_ministry(ministry.pk):
            raise Http404
        qs = qs.filter(ministry=ministry)
    return qs, ministry


def _internal_ministries(user: Any) -> frozenset[int] | None:
    access = access_for(user)
    return None if access.is_network_staff else access.admin_ministry_ids


def query_flag(query: Any, name: str) -> bool:
    """A yes/no parameter of an export (`etendu`, `conforme`): absent, empty, or one of DRF's
    false values (0, f, n, no, off, false) or « non » is no; anything else is yes (the pages
    and the API read it alike)."""
    return str(query.get(name, "")).strip().lower() not in _NO


_NO = frozenset({"", "0", "f", "n", "no", "off", "false", "non"})


def _export_ministry(user: Any, ministry: Any, filters: selectors.AssetFilters) -> Any:
    """The ministry whose own fields an export carries: the one asked for, or else the single
    ministry of the list's selection (filtered on one, or the caller's only one), if visible."""
    if ministry is not None:
        return ministry
    single = selectors.single_ministry(user, filters)
    if single is None or not access_for(user).can_view_ministry(single):
        return None
    return Ministry.objects.filter(pk=single).first()


def _definitions(ministry: Any) -> list[ExtraFieldDefinition]:
    if ministry is None:
        return []
    return list(ExtraFieldDefinition.objects.filter(ministry=ministry).order_by("order", "label"))


def _filename(
    ministry: Any,
    ext: str,
    filters: selectors.AssetFilters,
    *,
    conforming: bool = False,
    extended: bool = False,
) -> str:
    stamp = timezone.localdate().isoformat()
    scope = ministry.code if ministry is not None else "reseau"
    suffix = (
        ("-selection" if filters.active() else "")
        + ("-conforme" if conforming else "")
        + ("-etendu" if extended else "")
    )
    return f"inventaire-{scope}-{stamp}{suffix}.{ext}"


def export_filters(query: Any) -> selectors.AssetFilters:
    """The list's filters carried by an export's query string (the same names as the list)."""
    return selectors.AssetFilters.from_query(list_filter_query(query))


def csv_response(
    user: Any,
    ministry_code: str | None,
    *,
    extended: bool,
    conforming: bool = False,
    filters: selectors.AssetFilters,
) -> StreamingHttpResponse:
    """`conforming`: only the published entries that fill every column the Etalab schema
    requires (the plain file then validates against schema.json as it is); `filters`: the
    list's."""
    qs, ministry = export_scope(user, ministry_code, filters)
    if conforming:
        qs = exporting.schema_conforming(qs)
    ministry = _export_ministry(user, ministry, filters)
    response = StreamingHttpResponse(
        exporting.stream_csv(
            qs,
            extended=extended,
            definitions=_definitions(ministry) if extended else (),
            internal_ministries=_internal_ministries(user),
        ),
        content_type="text/csv; charset=utf-8",
    )
    name = _filename(ministry, "csv", filters, conforming=conforming, extended=extended)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def xlsx_response(
    user: Any, ministry_code: str | None, *, filters: selectors.AssetFilters
) -> StreamingHttpResponse:
    qs, ministry = export_scope(user, ministry_code, filters)
    ministry = _export_ministry(user, ministry, filters)
    response = StreamingHttpResponse(
        exporting.stream_xlsx(
            qs, definitions=_definitions(ministry), internal_ministries=_internal_ministries(user)
        ),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = _filename(ministry, "xlsx", filters)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def dcat_response(request: HttpRequest, ministry_code: str | None, fmt: str) -> HttpResponse:
    """One page of the DCAT-AP catalogue (network, or one ministry). `moissonnage=1`: the
    catalogue to declare on data.gouv.fr, without the entries it already has. Every URI is
    built on SITE_URL, so identifiers do not depend on the host name a request used; the
    paging links keep the ministry and the harvest flag."""
    qs: QuerySet[DataAsset] = DataAsset.objects.all()
    title = "Inventaire des données du réseau des administrateurs ministériels des données"
    description = (
        "Les données inventoriées par les ministères du réseau des administrateurs "
        "ministériels des données, ouvertes ou non, publiées dans le portail."
    )
    if ministry_code:
        ministry = _ministry_or_404(ministry_code)
        qs = qs.filter(ministry=ministry)
        title = f"Inventaire des données — {ministry.name}"
        description = (
            f"Les données inventoriées par l'administrateur ministériel des données du "
            f"ministère « {ministry.name} », ouvertes ou non, publiées dans le portail."
        )
    harvest = query_flag(request.GET, "moissonnage")
    qs = exporting.dcat_queryset(qs, harvest=harvest)
    try:
        size = int(request.GET.get("page_size", exporting.DCAT_PAGE_SIZE))
        page = int(request.GET.get("page", 1))
    except ValueError as exc:
        raise Http404 from exc
    size = max(1, min(size, exporting.DCAT_MAX_PAGE_SIZE))
    total = qs.count()
    last = max(1, -(-total // size))
    if page < 1 or page > last:
        raise Http404
    assets = list(qs[(page - 1) * size : page * size])
    base = absolute_url("").rstrip("/")
    path = absolute_url(request.path)
    kept = {
        name: value
        for name, value in (
            # The API names the ministry in the query string (the pages, in their path).
            ("ministere", ministry_code if request.GET.get("ministere") else ""),
            ("moissonnage", "1" if harvest else ""),
        )
        if value
    }

    def page_url(n: int) -> str:
        return f"{path}?{urlencode({**kept, 'page': n, 'page_size': size})}"

    if harvest:
        description += (
            " Les données ouvertes seulement (qualification « publiée »), sans les entrées qui"
            " ont déjà un identifiant data.gouv.fr, pour que le moissonnage ne les duplique pas."
        )
    graph = exporting.dcat_graph(
        assets,
        base_url=base,
        catalog_url=path,
        title=title,
        description=description,
        publisher_name="Réseau des administrateurs ministériels des données (DINUM)",
        page=page,
        page_size=size,
        total=total,
        page_url=page_url,
    )
    content_type = "application/ld+json" if fmt == "jsonld" else "text/turtle"
    return HttpResponse(
        exporting.dcat_serialise(graph, fmt), content_type=f"{content_type}; charset=utf-8"
    )


@login_required
def export_page(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    if not (access.sees_all_ministries or access.visible_ministry_ids):
        raise PermissionDenied("Votre compte n'a accès à aucun inventaire.")
    ministries = Ministry.objects.order_by("name")
    if not access.sees_all_ministries:
        ministries = ministries.filter(pk__in=access.visible_ministry_ids)
    return render(
        request,
        "datasets/io/export.html",
        {
            "title": "Exporter l'inventaire",
            "ministries": list(ministries.only("code", "name")),
            "required_titles": exporting.REQUIRED_TITLES,
            "harvest_url": absolute_url(reverse("datasets:dcat_jsonld")) + "?moissonnage=1",
            "breadcrumb_data": {"current": "Exporter l'inventaire"},
        },
    )


@login_required
@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    return csv_response(
        request.user,
        request.GET.get("ministere") or None,
        extended=query_flag(request.GET, "etendu"),
        conforming=query_flag(request.GET, "conforme"),
        filters=export_filters(request.GET),
    )


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> StreamingHttpResponse:
    return xlsx_response(
        request.user, request.GET.get("ministere") or None, filters=export_filters(request.GET)
    )


@require_safe
def public_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """The public page of a published entry: what the DCAT catalogue says of it, for anyone
    (its URI in the catalogue, and the page data.gouv.fr links back to). A draft, or an entry
    that does not exist: 404, the same answer."""
    asset = selectors.public_asset(pk)
    access = access_for(request.user) if request.user.is_authenticated else None
    right = exporting.access_right(asset)
    return render(
        request,
        "datasets/public_entry.html",
        {
            "title": asset.title,
            "asset": asset,
            "formats": list(asset.formats.all()),
            "access": exporting.ACCESS_RIGHT_LABELS.get(right or ""),
            "motives": selectors.public_motives(asset) if right == "NON_PUBLIC" else [],
            "datagouv_url": (
                exporting.datagouv_url(asset.datagouv_dataset_id)
                if asset.datagouv_dataset_id
                else ""
            ),
            # Signed-in readers of the ministry's inventory get the way to the full entry.
            "full_entry": access is not None
            and (access.sees_all_ministries or asset.ministry_id in access.visible_ministry_ids),
            "breadcrumb_data": {
                "links": [{"url": reverse("datasets:public_catalogue"), "title": CATALOGUE_TITLE}],
                "current": asset.title[:80],
            },
        },
    )


CATALOGUE_TITLE = "Catalogue des données publiées"


class PublicCatalogueForm(DsfrBaseForm):
    """Search and filters of the public catalogue (GET). The view gives the choices: every
    ministry, and the organisations of the chosen one (none chosen: no organisation field)."""

    q = forms.CharField(
        label="Rechercher dans le catalogue",
        required=False,
        help_text="Mots du titre, de la description ou des mots-clés. Ex. : cadastre, élus.",
        widget=forms.TextInput(attrs={"type": "search", "maxlength": MAX_QUERY_LENGTH}),
    )
    ministry = forms.TypedChoiceField(
        label="Ministère", required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    organization = forms.TypedChoiceField(
        label="Organisation productrice",
        required=False,
        coerce=int,
        empty_value=None,
        widget=QuickSelect,
    )

    def __init__(
        self,
        data: Any,
        *,
        ministries: list[tuple[int, str, str]],
        organizations: list[tuple[int, str]] | None,
    ) -> None:
        super().__init__(data)
        ministry: Any = self.fields["ministry"]
        ministry.choices = [
            ("", "Tous les ministères"),
            *((pk, name) for pk, name, _ in ministries),
        ]
        if organizations is None:
            del self.fields["organization"]
            ministry.help_text = "Choisissez un ministère pour filtrer aussi par organisation."
        else:
            organization: Any = self.fields["organization"]
            organization.choices = [("", "Toutes ses organisations"), *organizations]


@require_safe
def public_catalogue_page(request: HttpRequest) -> HttpResponse:
    """The published entries, for anyone: full-text search, a ministry and one of its
    organisations, 50 rows a page, each linked to its public page. The same page whoever asks
    (a draft is never listed, not even to its own ministry). A filter value that is not one of
    the choices is said on its field and left out; the page number is clamped to the pages."""
    query = list_filter_query(request.GET)  # without NUL characters (PostgreSQL refuses them)
    ministries = public_catalogue.ministry_choices()
    codes = {pk: code for pk, _, code in ministries}
    chosen = whole_number(query.get("ministry", ""))
    organizations = (
        public_catalogue.organization_choices(chosen)
        if chosen is not None and chosen in codes
        else None
    )
    form = PublicCatalogueForm(query, ministries=ministries, organizations=organizations)
    form.is_valid()
    data = form.cleaned_data
    wanted = public_catalogue.CatalogueQuery(
        q=normalise_query(data.get("q")),
        ministry=data.get("ministry"),
        organization=data.get("organization"),
    )
    hits = public_catalogue.catalogue_hits(wanted)
    size = public_catalogue.PAGE_SIZE
    # The rows are read below, page by page: the paginator only counts (a range has a length).
    paginator: Paginator[Any] = Paginator(range(hits.total), size)
    page = paginator.get_page(request.GET.get("page"))
    # A search is listed by relevance (or, broad, by date): other orders are for the list.
    sort = requested_sort(request.GET) if hits.ids is None else ""
    rows = public_catalogue.catalogue_rows(
        wanted, hits, offset=(page.number - 1) * size, limit=size, sort=sort
    )
    page.object_list = rows
    marks = highlights_later([r["pk"] for r in rows], wanted.q) if wanted.q and rows else None
    return render(
        request,
        "datasets/public_catalogue.html",
        {
            "title": CATALOGUE_TITLE,
            "form": form,
            "wanted": wanted,
            "hits": hits,
            "page_obj": page,
            "rows": MarkedRows(rows, marks),
            "max_rows": public_catalogue.MAX_ROWS,
            "search_cap": selectors.SEARCH_CAP,
            "ministry_code": codes.get(wanted.ministry) if wanted.ministry else None,
            "breadcrumb_data": {"current": CATALOGUE_TITLE},
            **sort_form_context(request.GET, sort),
        },
    )


# GET and HEAD: data.gouv.fr's harvester sends a HEAD to learn the format of a source whose
# address does not end in .jsonld or .ttl (one with a query string).
@require_safe
def dcat_network(request: HttpRequest, fmt: str) -> HttpResponse:
    return dcat_response(request, None, fmt)


@require_safe
def dcat_ministry(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return dcat_response(request, code, fmt)
