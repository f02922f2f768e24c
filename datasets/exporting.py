"""Streaming exports of the inventory: CSV (Etalab schema), XLSX, DCAT-AP (JSON-LD, Turtle).

Memory stays flat whatever the number of entries: rows are read as tuples with
`.iterator(chunk_size=…)` (on PostgreSQL each row carries its format ids, so the query count
does not grow with the entries; the extended export reads the grounds once per chunk) and
written as they come (CSV lines built by `csv_line`, or openpyxl's write-only workbook for
XLSX). Every text cell that starts with = + - @ is neutralised: in CSV by
`core.csv_safety.safe_cell` (an apostrophe before it, which the import removes again, so the
round trip is exact), in XLSX as a text cell with the quote prefix (shown as typed, never run).

- `csv`: the 17 Etalab columns in the schema's order, nothing else: it validates against
  schema.json (frictionless) when the entries are complete, and re-imports to the same records.
- `csv` with `extended=True` and `xlsx`: the same columns, then the portal's qualification
  columns, then one column per ministry-specific field (by label) when a single ministry is
  exported.
- DCAT-AP 3.0: published entries only (visibility "Publiée"), paged with hydra
  (`hydra:PagedCollection` with `hydra:nextPage`, and `hydra:PartialCollectionView` with
  `hydra:next`, which data.gouv.fr's DCAT harvester follows), JSON-LD or Turtle. Written for
  that harvester (udata), which reads one dataset per `dct:identifier`, matches resources by
  URL and takes the format from the EU file-type code: every URI is built on `SITE_URL` (the
  identifiers stay the same whatever host answered), an entry's URI is its public page, each
  format is a distribution with its own URL, and the licence is on the dataset too (an entry
  with no distribution keeps it).
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast

from core import csv_safety
from core.csv_safety import safe_cell
from core.models import Licence
from datasets import catalogue_schema as cs
from datasets.models import (
    AssessmentGround,
    AssetType,
    DataAsset,
    ExtraFieldDefinition,
    Format,
    OpenByDefaultAssessment,
    UpdateFrequency,
)

CHUNK = 2000
# First characters core.csv_safety neutralises (read from it so the two never disagree).
_TRIGGERS = frozenset(t[0] for t in csv_safety._TRIGGERS)
DCAT_PAGE_SIZE = 100
DCAT_MAX_PAGE_SIZE = 500


ETALAB_FIELDS = (
    "pk",
    "title",
    "description",
    "keywords",
    "organization__name",
    "organization__siret",
    "organization__id_alt",
    "service",
    "source_system",
    "contact_service",
    "contact_person",
    "first_published_at",
    "last_updated_at",
    "update_frequency",
    "geo_coverage",
    "url",
    "licence_id",
)
PORTAL_FIELDS = (
    "ministry_id",
    "asset_type",
    "visibility",
    "acronym",
    "contains_personal_data",
    "datagouv_dataset_id",
    "collection_process",
    "assessment__status",
    "assessment__obligation_basis",
    "assessment__occultation_method",
    "assessment__planned_date",
    "assessment__published_url",
    "extra",
)
_FREQUENCY_LABELS = {value: str(label) for value, label in UpdateFrequency.choices}
_TYPE_LABELS = {value: str(label) for value, label in AssetType.choices}
_VISIBILITY_LABELS = {value: str(label) for value, label in DataAsset.Visibility.choices}
_STATUS_LABELS = {value: str(label) for value, label in OpenByDefaultAssessment.Status.choices}


def _schema_requirements() -> dict[str, Q]:
    """For each column schema.json requires (`catalogue_schema.ETALAB_COLUMNS`), the condition
    an entry meets when the export fills it. Built from the columns, so a column the schema
    comes to require cannot be forgotten here (KeyError when the module is imported)."""
    formats = DataAsset.formats.through.objects.filter(dataasset_id=OuterRef("pk"))
    conditions = {
        "title": ~Q(title=""),
        "description": ~Q(description=""),
        "keywords": ~Q(keywords=[]),
        "org_name": Q(organization__isnull=False),
        "service": ~Q(service=""),
        "contact_person": ~Q(contact_person=""),
        "geo_coverage": ~Q(geo_coverage=""),
        "formats": Q(Exists(formats)),
    }
    return {c.name: conditions[c.field] for c in cs.ETALAB_COLUMNS if c.required}


SCHEMA_REQUIREMENTS = _schema_requirements()
# The required columns' titles, as the export page lists them.
REQUIRED_TITLES = tuple(c.title for c in cs.ETALAB_COLUMNS if c.required)


def schema_conforming(qs: QuerySet[DataAsset]) -> QuerySet[DataAsset]:
    """The published entries whose Etalab CSV row fills every column schema.json requires: the
    file validates as it is and may be put on data.gouv.fr (an inventory keeps drafts, and
    entries still being documented, e.g. the 2016 inventory's, which name no service, contact,
    coverage or format)."""
    condition = Q(visibility=DataAsset.Visibility.PUBLISHED)
    for requirement in SCHEMA_REQUIREMENTS.values():
        condition &= requirement
    return qs.filter(condition)


def export_queryset(qs: QuerySet[DataAsset]) -> QuerySet[DataAsset]:
    return qs.order_by("ministry_id", "organization_id", "title", "pk")


def _iso(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


_JSON_FIELDS = frozenset({"keywords", "extra"})


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None


def _chunks(
    qs: QuerySet[DataAsset], fields: Sequence[str], *, with_formats: bool = False
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows as tuples (no model instances: 10x cheaper), `CHUNK` at a time, from a server-side
    cursor, so memory does not grow with the number of entries. JSON columns come as their
    text (`_json` reads them: Django's per-value converters cost more than the parsing).

    `with_formats` (PostgreSQL): one more value per row, the ids of the entry's formats, read by
    the same query (a correlated array over the link table's index), so no query is spent per
    chunk."""
    qs = export_queryset(qs).annotate(
        **{f"{name}_text": Cast(name, TextField()) for name in fields if name in _JSON_FIELDS}
    )
    names = [f"{name}_text" if name in _JSON_FIELDS else name for name in fields]
    if with_formats:
        through = DataAsset.formats.through.objects.filter(dataasset_id=OuterRef("pk"))
        qs = qs.annotate(format_ids=ArraySubquery(through.values("format_id")))
        names.append("format_ids")
    rows = qs.values_list(*names).iterator(chunk_size=CHUNK)
    while batch := list(itertools.islice(rows, CHUNK)):
        yield batch


def _formats_of(ids: Sequence[int]) -> dict[int, list[str]]:
    through = DataAsset.formats.through
    out: dict[int, list[str]] = {}
    rows = through.objects.filter(dataasset_id__in=ids).values_list("dataasset_id", "format__name")
    for asset_id, name in rows:
        out.setdefault(asset_id, []).append(name)
    return out


def _grounds_of(ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    out: dict[int, list[tuple[str, str]]] = {}
    rows = (
        AssessmentGround.objects.filter(assessment__asset_id__in=ids)
        .order_by("ground__code")
        .values_list("assessment__asset_id", "ground__code", "justification_internal")
    )
    for asset_id, code, justification in rows:
        out.setdefault(asset_id, []).append((code, justification))
    return out


def etalab_values(
    row: Sequence[Any], formats: Sequence[str], licences: dict[int, str]
) -> list[str]:
    (
        _,
        title,
        description,
        keywords,
        org_name,
        siret,
        id_alt,
        service,
        system,
        contact_service,
        contact_person,
        published,
        updated,
        frequency,
        coverage,
        url,
        licence_id,
    ) = row[:17]
    return [
        title,
        description,
        cs.join_list(_json(keywords) or []),
        org_name,
        siret,
        id_alt,
        service,
        system,
        contact_service,
        contact_person,
        _iso(published),
        _iso(updated),
        _FREQUENCY_LABELS.get(frequency, ""),
        coverage,
        url,
        cs.join_list(sorted(formats)),
        licences.get(licence_id, "") if licence_id else "",
    ]


def portal_values(
    row: Sequence[Any], grounds: Sequence[tuple[str, str]], *, internal: bool
) -> list[str]:
    (
        _,
        asset_type,
        visibility,
        acronym,
        personal,
        datagouv_id,
        process,
        status,
        basis,
        occultation,
        planned,
        published_url,
        _extra,
    ) = row[17:30]
    justifications: list[str] = []
    for _, text in grounds:
        text = text.strip()
        if text and text not in justifications:
            justifications.append(text)
    return [
        _TYPE_LABELS.get(asset_type, asset_type),
        _VISIBILITY_LABELS.get(visibility, visibility),
        acronym,
        "oui" if personal else "non",
        datagouv_id,
        process,
        _STATUS_LABELS.get(status, "") if status else "",
        basis or "",
        ",".join(code for code, _ in grounds),
        " / ".join(justifications) if internal else "",
        occultation or "",
        _iso(planned),
        published_url or "",
    ]


def extra_values(
    extra: dict[str, Any] | None, definitions: Sequence[ExtraFieldDefinition]
) -> list[str]:
    out = []
    for definition in definitions:
        value = (extra or {}).get(definition.code)
        if value is None:
            out.append("")
        elif isinstance(value, bool):
            out.append("oui" if value else "non")
        else:
            out.append(str(value))
    return out


def _rows(
    qs: QuerySet[DataAsset],
    *,
    extended: bool,
    definitions: Sequence[ExtraFieldDefinition],
    internal_ministries: frozenset[int] | None,
    neutralise: Callable[[str], Any] = safe_cell,
) -> Iterator[list[Any]]:
    yield from itertools.chain.from_iterable(
        _row_chunks(
            qs,
            extended=extended,
            definitions=definitions,
            internal_ministries=internal_ministries,
            neutralise=neutralise,
        )
    )


def _row_chunks(
    qs: QuerySet[DataAsset],
    *,
    extended: bool,
    definitions: Sequence[ExtraFieldDefinition],
    internal_ministries: frozenset[int] | None,
    neutralise: Callable[[str], Any] = safe_cell,
) -> Iterator[list[list[Any]]]:
    """The cells of the rows, `CHUNK` rows at a time, each text that starts with a formula
    trigger passed through `neutralise` (CSV: `safe_cell`'s apostrophe)."""
    licences = dict(Licence.objects.values_list("pk", "name"))
    fields = ETALAB_FIELDS + PORTAL_FIELDS if extended else ETALAB_FIELDS
    # PostgreSQL: each row carries its format ids, named from this table (a few dozen rows);
    # elsewhere, one query per chunk reads the names.
    inline_formats = connection.vendor == "postgresql"
    format_names = dict(Format.objects.values_list("pk", "name")) if inline_formats else {}
    for batch in _chunks(qs, fields, with_formats=inline_formats):
        ids = [row[0] for row in batch]
        formats = {} if inline_formats else _formats_of(ids)
        grounds = _grounds_of(ids) if extended else {}
        out = []
        for row in batch:
            if inline_formats:
                try:
                    names = [format_names[i] for i in row[-1] or ()]
                except KeyError:  # a format created since the names were read
                    format_names.update(Format.objects.values_list("pk", "name"))
                    names = [format_names[i] for i in row[-1] or ()]
            else:
                names = formats.get(row[0], [])
            values: list[Any] = etalab_values(row, names, licences)
            if extended:
                ministry_id = row[17]
                internal = internal_ministries is None or ministry_id in internal_ministries
                values += portal_values(row, grounds.get(row[0], []), internal=internal)
                values += extra_values(_json(row[29]), definitions)
            # Only where it can act (a text starting with a formula trigger).
            out.append(
                [
                    neutralise(v) if v and isinstance(v, str) and v[0] in _TRIGGERS else v
                    for v in values
                ]
            )
        yield out


def header(
    extended: bool,
    definitions: Sequence[ExtraFieldDefinition],
    *,
    neutralise: Callable[[str], Any] = safe_cell,
) -> list[Any]:
    if not extended:
        return cs.etalab_header()
    # Extra-field labels are typed by ministry administrators: neutralised like any cell (in a
    # CSV a quote, in an XLSX a text cell with Excel's quote prefix).
    return cs.extended_header(
        neutralise(d.label) if d.label[:1] in _TRIGGERS else d.label for d in definitions
    )


def stream_csv(
    qs: QuerySet[DataAsset],
    *,
    extended: bool = False,
    definitions: Sequence[ExtraFieldDefinition] = (),
    internal_ministries: frozenset[int] | None = None,
) -> Iterator[str]:
    """CSV text (UTF-8; no BOM, so the header is exactly the schema's), 500 lines per piece."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(header(extended, definitions))
    piece = buffer.getvalue()
    chunks = _row_chunks(
        qs, extended=extended, definitions=definitions, internal_ministries=internal_ministries
    )
    for chunk in chunks:
        for start in range(0, len(chunk), 500):
            yield piece + "".join([csv_line(values) for values in chunk[start : start + 500]])
            piece = ""
    yield piece


def csv_line(values: Sequence[Any]) -> str:
    """One CSV line exactly as `csv.writer(lineterminator="\\r\\n")` writes it (minimal
    quoting: a cell holding a comma, a quote or a line break is quoted, its quotes doubled),
    5x cheaper: the csv module copies every character one by one."""
    cells = [v if v.__class__ is str else ("" if v is None else str(v)) for v in values]
    if cells == [""]:
        return '""\r\n'  # csv's one exception: a lone empty cell is quoted
    quoted = [
        '"' + c.replace('"', '""') + '"' if "," in c or '"' in c or "\n" in c or "\r" in c else c
        for c in cells
    ]
    return ",".join(quoted) + "\r\n"


def stream_xlsx(
    qs: QuerySet[DataAsset],
    *,
    definitions: Sequence[ExtraFieldDefinition] = (),
    internal_ministries: frozenset[int] | None = None,
) -> Iterator[bytes]:
    """An XLSX workbook built with openpyxl's write-only mode (rows are not kept in memory).
    A text that starts with a formula trigger is a text cell with the quote prefix, not the
    CSV's visible apostrophe.

    openpyxl writes the worksheet to a temporary file as rows come, then zips; the bytes are
    yielded in 64 KB pieces."""
    import tempfile

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Inventaire")

    def clean(value: Any) -> Any:
        # XML 1.0 has no place for most control characters: one stored in one entry must not
        # stop the whole export (openpyxl refuses the cell). Each becomes U+FFFD.
        if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
            return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        return value

    def as_text(value: str) -> Any:
        # A text cell with Excel's quote prefix (what typing '=1+1 in Excel stores): shown and
        # kept as typed, never run as a formula, and read back as the same text. openpyxl
        # would otherwise write a text starting with "=" as a formula.
        cell = WriteOnlyCell(sheet, value=clean(value))
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell

    sheet.append(header(True, definitions, neutralise=as_text))
    for values in _rows(
        qs,
        extended=True,
        definitions=definitions,
        internal_ministries=internal_ministries,
        neutralise=as_text,
    ):
        sheet.append([clean(v) for v in values])
    with tempfile.TemporaryFile() as tmp:
        workbook.save(tmp)
        tmp.seek(0)
        while chunk := tmp.read(65536):
            yield chunk


# --- DCAT-AP ---------------------------------------------------------------------------------

EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
FREQUENCY_CODES = {
    UpdateFrequency.TEMPS_REEL: "UPDATE_CONT",
    UpdateFrequency.HORAIRE: "HOURLY",
    UpdateFrequency.QUOTIDIENNE: "DAILY",
    UpdateFrequency.HEBDOMADAIRE: "WEEKLY",
    UpdateFrequency.MENSUELLE: "MONTHLY",
    UpdateFrequency.BIMESTRIELLE: "BIMONTHLY",
    UpdateFrequency.TRIMESTRIELLE: "QUARTERLY",
    UpdateFrequency.SEMESTRIELLE: "ANNUAL_2",
    UpdateFrequency.ANNUELLE: "ANNUAL",
    UpdateFrequency.IRREGULIERE: "IRREG",
    UpdateFrequency.JAMAIS: "NEVER",
    UpdateFrequency.AUTRE: "OTHER",
}

# The EU Publications Office's file-type authority table
# (http://publications.europa.eu/resource/authority/file-type), by the portal's format names
# (datasets/data/formats.json, compared in upper case). A format with no code there (an API,
# a name typed in an import) gets no `dct:format`: an invented code would be read as a real one.
EU_FILE_TYPE_CODES = {
    "CSV": "CSV",
    "JSON": "JSON",
    "XML": "XML",
    "ODS": "ODS",
    "XLSX": "XLSX",
    "XLS": "XLS",
    "GEOJSON": "GEOJSON",
    "GPKG": "GPKG",
    "SHP": "SHP",
    "KML": "KML",
    "GML": "GML",
    "RDF": "RDF",
    "RDF/XML": "RDF_XML",
    "TTL": "RDF_TURTLE",
    "TURTLE": "RDF_TURTLE",
    "JSON-LD": "JSON_LD",
    "PARQUET": "PARQUET",
    "NETCDF": "NETCDF",
    "GTFS": "GTFS",
    "SQL": "SQL",
    "TXT": "TXT",
    "ODT": "ODT",
    "PDF": "PDF",
    "HTML": "HTML",
    "DOCX": "DOCX",
    "DOC": "DOC",
    "ZIP": "ZIP",
}
# High-value dataset categories (Implementing Regulation (EU) 2023/138) in the EU vocabulary
# DCAT-AP HVD uses (http://data.europa.eu/bna/asd487ae75), by the codes of
# core/data/hvd_categories.json.
EU_HVD_CATEGORY = "http://data.europa.eu/bna/"
HVD_REGULATION = "http://data.europa.eu/eli/reg_impl/2023/138/oj"
HVD_CATEGORY_CODES = {
    "GEOSPATIAL": "c_ac64a52d",
    "EARTH_OBS_ENV": "c_dd313021",
    "METEOROLOGICAL": "c_164e0bf5",
    "STATISTICS": "c_e1da4e07",
    "COMPANIES": "c_a9135398",
    "MOBILITY": "c_b79e35eb",
}


# Characters an IRI may hold as they are (RFC 3987 reserved + unreserved, and "%" of an
# existing escape); anything else (<, >, ", {, }, |, ^, `, \\, spaces) is percent-encoded.
_IRI_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def _iri(value: str) -> Any:
    """A URIRef of user-typed text (links, e-mails) that Turtle and JSON-LD can always write:
    one odd character in one entry's link must not break the whole public catalogue."""
    from rdflib import URIRef

    return URIRef(quote(value, safe=_IRI_SAFE))


def dcat_queryset(qs: QuerySet[DataAsset], *, harvest: bool = False) -> QuerySet[DataAsset]:
    """Published entries (the inventory's metadata, open or not, as catalogue.data.gouv.fr
    shows them), in a stable order for paging. `harvest`: what data.gouv.fr should list, the
    open data only: entries whose qualification says published, and not those that already
    have a data.gouv.fr identifier (its harvester cannot attach a harvested entry to an
    existing dataset: it would duplicate them)."""
    qs = qs.filter(visibility=DataAsset.Visibility.PUBLISHED)
    if harvest:
        qs = qs.filter(
            datagouv_dataset_id="",
            assessment__status__in=OpenByDefaultAssessment.PUBLISHED_STATUSES,
        )
    return (
        qs.select_related("organization", "licence", "ministry", "hvd_category", "assessment")
        .prefetch_related("formats")
        .order_by("pk")
    )


# dct:accessRights from the openness status (EU access-right vocabulary): published data is
# public, data that may not be communicated is not; the other statuses say nothing yet.
EU_ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
ACCESS_RIGHTS = {
    **dict.fromkeys(OpenByDefaultAssessment.PUBLISHED_STATUSES, "PUBLIC"),
    OpenByDefaultAssessment.Status.NOT_COMMUNICABLE: "NON_PUBLIC",
}
ACCESS_RIGHT_LABELS = {"PUBLIC": "Publique", "NON_PUBLIC": "Non publique"}


def access_right(asset: DataAsset) -> str | None:
    """The EU access-right code of an entry (PUBLIC, NON_PUBLIC), or None."""
    assessment = getattr(asset, "assessment", None)
    return ACCESS_RIGHTS.get(assessment.status) if assessment is not None else None


def datagouv_url(dataset_id: str) -> str:
    """The page of a data.gouv.fr dataset, from its id or slug."""
    return f"https://www.data.gouv.fr/fr/datasets/{quote(dataset_id, safe='')}/"


def dcat_entry_uri(base_url: str, pk: int) -> str:
    """An entry's URI in the catalogue: its public page (identifier, and landing page when the
    entry names no link of its own)."""
    from django.urls import reverse

    return base_url + reverse("datasets:public_entry", args=[pk])


def _distribution_url(access_url: str, fmt_name: str, several: bool) -> str:
    """The URL of one format's distribution. Several formats behind one link get one fragment
    each (#format-csv…): data.gouv.fr matches resources by URL, and would keep one of them."""
    if not several:
        return access_url
    base, _, _ = access_url.partition("#")
    slug = "".join(c if c.isalnum() else "-" for c in fmt_name.lower()).strip("-")
    return f"{base}#format-{slug}"


def dcat_graph(
    assets: Iterable[DataAsset],
    *,
    base_url: str,
    catalog_url: str,
    title: str,
    description: str,
    publisher_name: str,
    page: int,
    page_size: int,
    total: int,
    page_url: Any,
) -> Any:
    """An rdflib Graph of one page of the catalogue. `page_url(n)` is the URL of page n."""
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

    hydra = Namespace("http://www.w3.org/ns/hydra/core#")
    vcard = Namespace("http://www.w3.org/2006/vcard/ns#")
    # Only the prefixes the catalogue uses (rdflib would declare some thirty by default).
    g = Graph(bind_namespaces="core")
    g.bind("dcat", DCAT)
    g.bind("dct", DCTERMS)
    g.bind("foaf", FOAF)
    g.bind("hydra", hydra)
    g.bind("vcard", vcard)
    g.bind("dcatap", "http://data.europa.eu/r5r/")
    g.bind("skos", SKOS)
    catalog = URIRef(catalog_url)
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal(title, lang="fr")))
    g.add((catalog, DCTERMS.description, Literal(description, lang="fr")))
    publisher = URIRef(f"{base_url}/#reseau-amd")
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(publisher_name, lang="fr")))
    g.add((catalog, FOAF.homepage, URIRef(f"{base_url}/")))
    g.add((URIRef(f"{base_url}/"), RDF.type, FOAF.Document))

    last = max(1, -(-total // page_size))
    paging = URIRef(page_url(page))
    # Both hydra vocabularies: the older PagedCollection (nextPage…), which the brief and many
    # DCAT harvesters read, and the current PartialCollectionView (next…), which udata emits.
    g.add((paging, RDF.type, hydra.PagedCollection))
    g.add((paging, RDF.type, hydra.PartialCollectionView))
    g.add((paging, hydra.totalItems, Literal(total, datatype=XSD.integer)))
    g.add((paging, hydra.itemsPerPage, Literal(page_size, datatype=XSD.integer)))
    for old_name, new_name, number in (
        ("firstPage", "first", 1),
        ("lastPage", "last", last),
        ("previousPage", "previous", page - 1 if page > 1 else None),
        ("nextPage", "next", page + 1 if page < last else None),
    ):
        if number is not None:
            g.add((paging, hydra[old_name], URIRef(page_url(number))))
            g.add((paging, hydra[new_name], URIRef(page_url(number))))

    agents: dict[int, BNode] = {}
    licences: set[str] = set()
    dcatap = Namespace("http://data.europa.eu/r5r/")
    ELI = Namespace("http://data.europa.eu/eli/ontology#")
    for asset in assets:
        ds = URIRef(dcat_entry_uri(base_url, asset.pk))
        g.add((catalog, DCAT.dataset, ds))
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.identifier, Literal(str(ds))))
        g.add((ds, DCTERMS.title, Literal(asset.title, lang="fr")))
        g.add((ds, DCTERMS.description, Literal(asset.description, lang="fr")))
        if asset.acronym:
            g.add((ds, SKOS.altLabel, Literal(asset.acronym, lang="fr")))
        for keyword in asset.keywords or []:
            g.add((ds, DCAT.keyword, Literal(keyword, lang="fr")))
        # Organisations have no page of their own to name them: a blank node with their name.
        org = asset.organization
        agent = agents.get(org.pk)
        if agent is None:
            agent = agents[org.pk] = BNode()
            g.add((agent, RDF.type, FOAF.Agent))
            g.add((agent, FOAF.name, Literal(org.name, lang="fr")))
        g.add((ds, DCTERMS.publisher, agent))
        email = asset.contact_service or asset.contact_person
        if email or asset.service:
            contact = BNode()
            g.add((ds, DCAT.contactPoint, contact))
            g.add((contact, RDF.type, vcard.Kind))
            if email:
                g.add((contact, vcard.hasEmail, _iri(f"mailto:{email}")))
            if asset.service:
                g.add((contact, vcard.fn, Literal(asset.service, lang="fr")))
        if asset.datagouv_dataset_id:
            # The dataset data.gouv.fr already has for this entry (the public page links it).
            g.add((ds, DCTERMS.isReferencedBy, URIRef(datagouv_url(asset.datagouv_dataset_id))))
        if asset.first_published_at:
            g.add((ds, DCTERMS.issued, Literal(asset.first_published_at, datatype=XSD.date)))
        if asset.last_updated_at:
            g.add((ds, DCTERMS.modified, Literal(asset.last_updated_at, datatype=XSD.date)))
        code = FREQUENCY_CODES.get(asset.update_frequency)  # type: ignore[call-overload]
        if code:
            frequency = URIRef(EU_FREQUENCY + code)
            g.add((ds, DCTERMS.accrualPeriodicity, frequency))
            g.add((frequency, RDF.type, DCTERMS.Frequency))
        if asset.geo_coverage:
            place = BNode()
            g.add((ds, DCTERMS.spatial, place))
            g.add((place, RDF.type, DCTERMS.Location))
            g.add((place, SKOS.prefLabel, Literal(asset.geo_coverage, lang="fr")))
        right = access_right(asset)
        if right:
            rights = URIRef(EU_ACCESS_RIGHT + right)
            g.add((ds, DCTERMS.accessRights, rights))
            g.add((rights, RDF.type, DCTERMS.RightsStatement))
        hvd = asset.hvd_category
        if hvd is not None and hvd.code in HVD_CATEGORY_CODES:
            category = URIRef(EU_HVD_CATEGORY + HVD_CATEGORY_CODES[hvd.code])
            g.add((ds, dcatap.hvdCategory, category))
            # DCAT-AP HVD: a high-value dataset names the regulation that makes it one.
            g.add((ds, dcatap.applicableLegislation, URIRef(HVD_REGULATION)))
            g.add((URIRef(HVD_REGULATION), RDF.type, ELI.LegalResource))
            g.add((category, RDF.type, SKOS.Concept))
            g.add((category, SKOS.prefLabel, Literal(hvd.label, lang="fr")))
        # The entry's own link, or else its public page on the portal.
        access_url = asset.url or str(ds)
        g.add((ds, DCAT.landingPage, _iri(access_url)))
        g.add((_iri(access_url), RDF.type, FOAF.Document))
        licence_ref: Any = None
        if asset.licence is not None:
            # A licence of the table without an address is still named (a blank node).
            licence_ref = _iri(asset.licence.url) if asset.licence.url else BNode()
            # On the dataset as well (DCAT allows it on any resource): an entry without
            # formats has no distribution, and would otherwise lose its licence.
            g.add((ds, DCTERMS.license, licence_ref))
            if asset.licence.url not in licences:
                if asset.licence.url:
                    licences.add(asset.licence.url)
                g.add((licence_ref, RDF.type, DCTERMS.LicenseDocument))
                g.add((licence_ref, DCTERMS.title, Literal(asset.licence.name, lang="fr")))
        formats = list(asset.formats.all())
        for fmt in formats:
            url = _iri(_distribution_url(access_url, fmt.name, len(formats) > 1))
            dist = URIRef(f"{ds}#distribution-{fmt.pk}")
            g.add((ds, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCAT.accessURL, url))
            g.add((url, RDF.type, RDFS.Resource))
            g.add((dist, DCTERMS.title, Literal(f"{asset.title} ({fmt.name})", lang="fr")))
            eu_code = EU_FILE_TYPE_CODES.get(fmt.name.upper())
            if eu_code:
                media = URIRef(EU_FILE_TYPE + eu_code)
                g.add((dist, DCTERMS.format, media))
                g.add((media, RDF.type, DCTERMS.MediaTypeOrExtent))
            if licence_ref is not None:
                g.add((dist, DCTERMS.license, licence_ref))
    return g


def dcat_serialise(graph: Any, fmt: str) -> str:
    if fmt == "jsonld":
        return str(graph.serialize(format="json-ld", auto_compact=True))
    return str(graph.serialize(format="turtle"))
