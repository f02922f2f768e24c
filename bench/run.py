"""`make bench`: build a large inventory, serve it with gunicorn, print p50/p95 of the pages.

    make bench BENCH_ARGS="--entries 200000 --ministries 30"

What it does (bounded: a fixed number of requests per measure, everything stopped at the end):
1. creates (once) a dedicated PostgreSQL database, `portal_bench` by default, next to the one of
   DATABASE_URL, migrates it, and fills it with COPY: N entries over M ministries (the first
   ministry holds 5,000 entries, for the export), 20 organisations and 3 extra fields per
   ministry, one qualification per entry (every status), 1-2 formats per entry and one
   compliance fact (`AssetStateHistory`) per entry. A second run with the same size reuses it;
2. starts gunicorn (2 workers, 127.0.0.1, a free port), opens a session for two accounts
   (network staff, who sees all the entries, and the administrator of the 5,000-entry ministry),
   and times over HTTP: the list page (50 rows), full-text search, facet filtering (a different
   combination each time, so the facet cache does not help), an entry page, the public
   catalogue without an account (list and search; no target) and the 5,000-row CSV export;
   (before measuring, `VACUUM (ANALYZE)` of the inventory tables, as autovacuum would do);
3. replays through `psql` (`\\timing`) every SQL statement of the list, search and facet pages,
   captured from 10 requests of the same mix as the measure (pages 1-20; one- and two-word
   searches; new filter combinations), each in the measure's cache state, and prints the ratio
   page / SQL;
4. counts the queries of the pages at two sizes (they must be equal);
5. times the import of 5,000 rows (dry run, then apply inside a transaction rolled back);
6. runs `bench/bench_supervision.py` when it exists (`run(ctx)` returns result dicts).

Targets (issue #3): list, search, facets p95 ≤ 50 ms and ≤ 3× their SQL; CSV export of 5,000
entries ≤ 300 ms; import ≥ 2,000 rows/s. Nothing here asserts: it prints honest figures.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
EXPORT_MINISTRY_ENTRIES = 5_000
DATA_VERSION = "v1"

WORDS = (  # noqa: SIM905 - a readable paragraph of words
    "registre inventaire base fichier répertoire suivi statistiques déclarations agents "
    "établissements entreprises communes départements régions forêts eau air sols énergie "
    "transports routes voies ferrées ports aéroports santé hôpitaux médicaments vaccins écoles "
    "collèges lycées universités étudiants enseignants bourses logement loyers permis construire "
    "urbanisme cadastre parcelles agriculture exploitations élevage pêche douanes impôts taxes "
    "budget dépenses marchés publics subventions associations élus élections justice tribunaux "
    "décisions prisons police gendarmerie accidents sécurité routière culture musées monuments "
    "archives bibliothèques patrimoine sport licences clubs emploi chômage formation apprentis "
    "retraites pensions allocations prestations famille naissances décès mariages population "
    "recensement climat météo pollution déchets biodiversité espèces protégées risques "
    "inondations séismes carburants prix consommation numérique réseaux télécommunications"
).split()
REGIONS = [
    "France entière",
    "France métropolitaine",
    "Île-de-France",
    "Bretagne",
    "Occitanie",
    "Grand Est",
    "Hauts-de-France",
    "Outre-mer",
]
STATUSES = [
    ("TO_ASSESS", 40),
    ("PUBLISHED", 25),
    ("TO_PUBLISH", 15),
    ("NOT_COMMUNICABLE", 8),
    ("OUT_OF_SCOPE", 5),
    ("PUBLISHED_AFTER_OCCULTATION", 4),
    ("TO_PUBLISH_AFTER_OCCULTATION", 3),
]
FREQUENCIES = ["ANNUELLE", "MENSUELLE", "QUOTIDIENNE", "TRIMESTRIELLE", "IRREGULIERE", "AUTRE"]
TYPES = ["BASE_DE_DONNEES", "JEU_TABULAIRE", "DONNEES_GEO", "STATISTIQUES", "API", "DOCUMENT"]


# --- Small helpers shared with bench_supervision ---------------------------------------------


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = max(0, min(len(ordered) - 1, int(round(pct / 100 * len(ordered))) - 1))
    return ordered[index]


def summary(samples_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples_ms), 1),
        "p95_ms": round(percentile(samples_ms, 95), 1),
        "n": len(samples_ms),
    }


@dataclass
class Context:
    """What a bench module receives: sizes, the database URL, the server and helpers."""

    entries: int
    ministries: int
    requests: int
    database_url: str
    base_url: str = ""
    cookies: dict[str, str] = field(default_factory=dict)
    only: list[str] = field(default_factory=list)
    ministry_codes: list[str] = field(default_factory=list)

    def http_get(self, path: str, *, who: str = "staff") -> tuple[int, float, int]:
        """(status, milliseconds, bytes) of one GET on the gunicorn server."""
        parts = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        headers = {"Cookie": self.cookies.get(who, ""), "Accept": "text/html"}
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        size = 0
        while chunk := response.read(65536):
            size += len(chunk)
        elapsed = (time.perf_counter() - started) * 1000
        conn.close()
        return response.status, elapsed, size

    def time_get(
        self, paths: Callable[[int], str], *, who: str = "staff", n: int = 0, expect: int = 200
    ) -> dict:
        n = n or self.requests
        self.http_get(paths(0), who=who)  # warm-up
        samples = []
        errors = 0
        for i in range(n):
            started = time.perf_counter()
            try:
                status, ms, _ = self.http_get(paths(i + 1), who=who)
            except OSError:  # timeout: counted, and its duration kept in the percentiles
                status, ms = 0, (time.perf_counter() - started) * 1000
            if status != expect:
                errors += 1
            samples.append(ms)
        figures = summary(samples)
        if errors:
            figures["errors"] = errors
        return figures


# --- Database ---------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def ensure_database(url: str, name: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            print(f"Création de la base {name}…", flush=True)
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "network_portal.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []


def _meta_get(cursor: Any) -> str | None:
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text)")
    cursor.execute("SELECT value FROM bench_meta WHERE key = 'size'")
    row = cursor.fetchone()
    return row[0] if row else None


def _copy(cursor: Any, table: str, columns: list[str], rows: Iterator[list[Any]]) -> int:
    """COPY rows into table (tab-separated text format, escaped), 20,000 rows per batch."""

    def esc(value: Any) -> str:
        if value is None:
            return "\\N"
        if isinstance(value, bool):
            return "t" if value else "f"
        if isinstance(value, dict | list):
            value = json.dumps(value, ensure_ascii=False)
        text = str(value)
        return (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )

    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    count = 0
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(esc(v) for v in row))
        buffer.write("\n")
        count += 1
        if count % 20_000 == 0:
            buffer.seek(0)
            cursor.copy_expert(sql, buffer)
            buffer = io.StringIO()
    buffer.seek(0)
    cursor.copy_expert(sql, buffer)
    return count


def build_data(entries: int, ministries: int, *, rebuild: bool = False) -> None:
    from django.db import connection, transaction

    from administrators.models import Ministry, Organization
    from core.models import Licence
    from datasets.models import DataAsset, ExtraFieldDefinition, Format

    wanted = f"{entries}:{ministries}:{DATA_VERSION}"
    with connection.cursor() as cursor:
        if _meta_get(cursor) == wanted and not rebuild:
            print(f"Données du banc réutilisées ({entries} entrées, {ministries} ministères).")
            return
    started = time.perf_counter()
    print(f"Construction des données : {entries} entrées, {ministries} ministères…", flush=True)
    rng = random.Random(20260401)
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute(
            "TRUNCATE datasets_dataasset, datasets_openbydefaultassessment, "
            "datasets_assessmentground, datasets_assessmenthistory, datasets_assetstatehistory, "
            "datasets_dataasset_formats, datasets_importjob, datasets_extrafielddefinition "
            "RESTART IDENTITY CASCADE"
        )
        existing = {m.code: m for m in Ministry.objects.filter(code__startswith="bench-")}
        new = [
            Ministry(code=f"bench-{i:02d}", name=f"Ministère du banc d'essai n° {i:02d}")
            for i in range(ministries)
            if f"bench-{i:02d}" not in existing
        ]
        Ministry.objects.bulk_create(new)
        ministry_list = list(
            Ministry.objects.filter(code__startswith="bench-").order_by("code")[:ministries]
        )
        orgs: dict[int, list[int]] = {}
        for m in ministry_list:
            have = list(Organization.objects.filter(ministry=m).values_list("pk", flat=True))
            if len(have) < 20:
                Organization.objects.bulk_create(
                    [
                        Organization(
                            ministry=m, name=f"Direction n° {j} ({m.code})", kind="ADMIN_CENTRALE"
                        )
                        for j in range(len(have), 20)
                    ]
                )
                have = list(Organization.objects.filter(ministry=m).values_list("pk", flat=True))
            orgs[m.pk] = have
            ExtraFieldDefinition.objects.bulk_create(
                [
                    ExtraFieldDefinition(ministry=m, code="bureau", label="Bureau", kind="TEXT"),
                    ExtraFieldDefinition(
                        ministry=m,
                        code="sensibilite",
                        label="Sensibilité",
                        kind="CHOICE",
                        choices=["Faible", "Moyenne", "Forte"],
                    ),
                    ExtraFieldDefinition(ministry=m, code="revue", label="Revue", kind="DATE"),
                ]
            )
        licence_ids = list(Licence.objects.filter(family="DONNEES").values_list("pk", flat=True))
        format_ids = list(Format.objects.values_list("pk", flat=True))
        # Entry counts: the first ministry holds 5,000 (the export measure), the rest share.
        first = min(EXPORT_MINISTRY_ENTRIES, entries)
        rest = entries - first
        per = [first] + [
            rest // (ministries - 1) + (1 if i < rest % (ministries - 1) else 0)
            for i in range(ministries - 1)
        ]
        fields = [f for f in DataAsset._meta.concrete_fields if f.column not in ("search_vector",)]
        columns = [str(f.column) for f in fields]
        now = "2026-01-15 10:00:00+00"

        def asset_rows() -> Iterator[list[Any]]:
            pk = 0
            for m, count in zip(ministry_list, per, strict=True):
                for _ in range(count):
                    pk += 1
                    words = rng.sample(WORDS, 6)
                    title = f"{words[0].capitalize()} des {words[1]} et {words[2]} n° {pk}"
                    values = {
                        "id": pk,
                        "created_at": now,
                        "updated_at": f"2026-01-{1 + pk % 28:02d} 10:{pk % 60:02d}:00+00",
                        "created_by_id": None,
                        "ministry_id": m.pk,
                        "organization_id": rng.choice(orgs[m.pk]),
                        "visibility": "PUBLISHED" if pk % 10 < 7 else "DRAFT",
                        "title": title,
                        "description": " ".join(rng.choices(WORDS, k=25)).capitalize() + ".",
                        "keywords": rng.sample(WORDS, 3),
                        "service": f"Service {words[3]}",
                        "source_system": f"SI {words[4]}",
                        "contact_service": f"contact{pk % 97}@exemple.gouv.fr",
                        "contact_person": "",
                        "first_published_at": f"20{10 + pk % 15}-0{1 + pk % 9}-15",
                        "last_updated_at": f"2025-{1 + pk % 12:02d}-01",
                        "update_frequency": FREQUENCIES[pk % len(FREQUENCIES)],
                        "geo_coverage": REGIONS[pk % len(REGIONS)],
                        "url": f"https://www.data.gouv.fr/fr/datasets/banc-{pk}/",
                        "licence_id": licence_ids[pk % len(licence_ids)] if pk % 3 else None,
                        "asset_type": TYPES[pk % len(TYPES)],
                        "extra": {
                            "bureau": f"B{pk % 40}",
                            "sensibilite": ["Faible", "Moyenne", "Forte"][pk % 3],
                        },
                        "import_key": "",
                        "version": 1,
                        "contains_personal_data": pk % 6 == 0,
                        "sharing_mode": "OPEN" if pk % 4 else "INTERNAL_ONLY",
                        "hvd_category_id": None,
                        "processing_id": None,
                    }
                    yield [values.get(f.name, values.get(f.attname, _default(f))) for f in fields]

        n = _copy(cursor, DataAsset._meta.db_table, columns, asset_rows())
        cursor.execute("SELECT setval(pg_get_serial_sequence('datasets_dataasset', 'id'), %s)", [n])
        # One qualification per entry, spread over every status.
        weights = [w for _, w in STATUSES]
        codes = [s for s, _ in STATUSES]
        status_of = [rng.choices(codes, weights)[0] for _ in range(n)]

        def assessment_rows() -> Iterator[list[Any]]:
            for pk in range(1, n + 1):
                status = status_of[pk - 1]
                yield [
                    pk,
                    pk,
                    now,
                    now,
                    None,
                    _ministry_of(pk, per, ministry_list),
                    "L312_1_1_3_DATABASES" if pk % 5 else "NONE",
                    "",
                    status,
                    "SUPPRESSION_COLONNES" if "OCCULTATION" in status else "",
                    "NOT_APPLICABLE",
                    None,
                    "",
                    f"2026-{1 + pk % 12:02d}-15" if status.startswith("TO_PUBLISH") else None,
                    f"https://www.data.gouv.fr/fr/datasets/banc-{pk}/"
                    if status.startswith("PUBLISHED")
                    else "",
                    None,
                    "",
                    None,
                    "",
                    None,
                    1,
                ]

        _copy(
            cursor,
            "datasets_openbydefaultassessment",
            [
                "id",
                "asset_id",
                "created_at",
                "updated_at",
                "created_by_id",
                "ministry_id",
                "obligation_basis",
                "sectoral_reference",
                "status",
                "occultation_method",
                "personal_data_basis",
                "no_anonymisation_category_id",
                "personal_data_reference",
                "planned_date",
                "published_url",
                "published_at",
                "decided_by",
                "decided_at",
                "cada_avis_ref",
                "review_due",
                "version",
            ],
            assessment_rows(),
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('datasets_openbydefaultassessment', 'id'), %s)",
            [n],
        )
        _copy(
            cursor,
            "datasets_dataasset_formats",
            ["dataasset_id", "format_id"],
            (
                [pk, fid]
                for pk in range(1, n + 1)
                for fid in {format_ids[pk % len(format_ids)], format_ids[0]}
            ),
        )
        cursor.execute(
            """
            INSERT INTO datasets_assetstatehistory (asset_id_ref, ministry_id_at, recorded_at,
                deleted, status, obligation_basis, planned_date, catalogue_complete,
                has_valid_ground, has_justification, licence_compliant, open_machine_readable,
                last_updated_at, update_frequency, contains_personal_data, personal_data_basis,
                ropa_linked, annex1_metadata, reference_regime, reference_status,
                process_info_published)
            SELECT a.id, a.ministry_id, a.updated_at, false, q.status, q.obligation_basis,
                q.planned_date, a.id % 10 <> 0, q.status IN ('PUBLISHED', 'TO_PUBLISH',
                'TO_ASSESS'), false, a.licence_id IS NOT NULL, true, a.last_updated_at,
                a.update_frequency, a.contains_personal_data, q.personal_data_basis, false,
                -- the 8 annex-1 metadata present (every bench entry has formats)
                (a.last_updated_at IS NOT NULL)::int + (a.title <> '')::int
                    + (a.description <> '')::int + (a.update_frequency <> '')::int + 1
                    + (a.geo_coverage <> '')::int + (a.licence_id IS NOT NULL)::int
                    + (jsonb_array_length(a.keywords) > 0)::int,
                '', '', false
            FROM datasets_dataasset a JOIN datasets_openbydefaultassessment q ON q.asset_id = a.id
            """
        )
        cursor.execute(
            "INSERT INTO bench_meta (key, value) VALUES ('size', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [wanted],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Données construites en {time.perf_counter() - started:.1f} s.", flush=True)


def maintain(database_url: str) -> None:
    """VACUUM (ANALYZE) the inventory tables before measuring, as autovacuum does in service.

    COPY leaves the visibility map unset and the import measure (rolled back) leaves ~5,000 dead
    rows per run; with autovacuum off (as on the bench machine) every run would otherwise measure
    a table that no maintained server has."""
    tables = (
        "datasets_dataasset, datasets_openbydefaultassessment, datasets_referencedatadesignation, "
        "datasets_dataasset_formats, datasets_assetstatehistory, administrators_organization, "
        "administrators_ministry"
    )
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - fixed arguments
        ["psql", database_url, "-q", "-X", "-c", f"VACUUM (ANALYZE) {tables}"],
        check=True,
        capture_output=True,
    )
    print(f"VACUUM (ANALYZE) des tables de l'inventaire : {time.perf_counter() - started:.1f} s.")


def _default(field: Any) -> Any:
    from django.db.models import NOT_PROVIDED

    if field.default is not NOT_PROVIDED:
        value = field.default() if callable(field.default) else field.default
        return value
    return "" if not field.null else None


def _ministry_of(pk: int, per: list[int], ministries: list[Any]) -> int:
    total = 0
    for m, count in zip(ministries, per, strict=True):
        total += count
        if pk <= total:
            return int(m.pk)
    return int(ministries[-1].pk)


# --- Accounts and server ---------------------------------------------------------------------


def accounts() -> dict[str, Any]:
    from administrators.models import Membership, Ministry
    from core.models import User

    first = Ministry.objects.get(code="bench-00")
    staff, _ = User.objects.get_or_create(email="bench.dinum@exemple.gouv.fr")
    Membership.objects.get_or_create(user=staff, role="DINUM_STAFF", ministry=None)
    admin, _ = User.objects.get_or_create(email="bench.amd@exemple.gouv.fr")
    Membership.objects.get_or_create(
        user=admin, role="MINISTRY_ADMIN", ministry=first, defaults={"admin_kind": "TITULAIRE"}
    )
    second = Ministry.objects.get(code="bench-01")
    admin2, _ = User.objects.get_or_create(email="bench.amd2@exemple.gouv.fr")
    Membership.objects.get_or_create(
        user=admin2, role="MINISTRY_ADMIN", ministry=second, defaults={"admin_kind": "TITULAIRE"}
    )
    return {"staff": staff, "amd": admin, "amd2": admin2, "ministry": first}


def session_cookie(user: Any) -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def gunicorn(database_url: str) -> Iterator[str]:
    port = free_port()
    # ERROR: the floor page answers 403, which Django logs as a warning at every request; a
    # server error (500) is still printed.
    env = dict(os.environ, DATABASE_URL=database_url, DEBUG="false", LOG_LEVEL="ERROR")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "network_portal.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn n'a pas démarré")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# --- Measures --------------------------------------------------------------------------------


def _search_terms(n: int) -> list[str]:
    rng = random.Random(7)
    return [" ".join(rng.sample(WORDS, 2 if i % 2 else 1)) for i in range(n + 1)]


def page_measures(ctx: Context, ids: dict[str, Any]) -> list[dict[str, Any]]:
    from datasets.models import DataAsset
    from datasets.selectors import bump_inventory_generation

    # Counts and facets cached by an earlier run (same search terms, same filters) must not
    # answer this one: as after a write, every cached count is stale.
    bump_inventory_generation()

    terms = _search_terms(ctx.requests)
    orgs = list(
        DataAsset.objects.order_by().values_list("organization_id", flat=True).distinct()[:500]
    )
    statuses = [s for s, _ in STATUSES]
    asset_ids = list(
        DataAsset.objects.order_by("?").values_list("pk", flat=True)[: ctx.requests + 1]
    )
    code = ids["ministry"].code
    measures = [
        (
            "list page (50 rows, 200k visible)",
            lambda i: f"/inventaire/?page={1 + i % 20}",
            "staff",
            50,
        ),
        # The same pages in the other orders the list offers (`selectors.SORTS`).
        (
            "list page sorted by title (200k)",
            lambda i: f"/inventaire/?tri=titre&page={1 + i % 20}",
            "staff",
            50,
        ),
        (
            "list page, oldest updates first (administrator)",
            lambda i: f"/inventaire/?tri=anciennes&page={1 + i % 20}",
            "amd",
            50,
        ),
        ("full-text search", lambda i: f"/inventaire/?q={quote_plus(terms[i])}", "staff", 50),
        (
            "facets (filtered list, new combination each time)",
            lambda i: f"/inventaire/?organization={orgs[i % len(orgs)]}&status={statuses[i % 7]}",
            "staff",
            50,
        ),
        ("entry detail", lambda i: f"/inventaire/{asset_ids[i]}/", "staff", None),
        # No target: the cost of a signed-in page holding nothing but the DSFR layout (session,
        # user, roles, header and footer; the expired-form page, which answers 403): every page
        # of the portal costs at least this, whatever its SQL.
        (
            "floor: signed-in page with the layout only (/csrf-echec/)",
            lambda i: "/csrf-echec/",
            "staff",
            None,
        ),
        # No target in the issue: the published entries, for anyone (no session, no role).
        (
            "public catalogue (anonymous, 50 rows, 140k published)",
            lambda i: f"/inventaire/catalogue/?page={1 + i % 20}",
            "anonymous",
            None,
        ),
        (
            "public catalogue search (anonymous)",
            lambda i: f"/inventaire/catalogue/?q={quote_plus(terms[i])}",
            "anonymous",
            None,
        ),
        (
            "list page (ministry administrator)",
            lambda i: f"/inventaire/?page={1 + i % 20}",
            "amd",
            50,
        ),
    ]
    results = []
    for name, path, who, target in measures:
        if ctx.only and not any(word in name for word in ctx.only):
            continue
        figures = ctx.time_get(path, who=who, expect=403 if "csrf-echec" in path(0) else 200)
        results.append(
            {
                "name": name,
                **figures,
                "target": f"p95 ≤ {target} ms" if target else "",
                "ok": figures["p95_ms"] <= target if target else None,
            }
        )
    if ctx.only and "export" not in ctx.only:
        return results
    figures = ctx.time_get(
        lambda i: f"/inventaire/export.csv?ministere={code}", who="amd", n=max(5, ctx.requests // 5)
    )
    _, _, size = ctx.http_get(f"/inventaire/export.csv?ministere={code}", who="amd")
    results.append(
        {
            "name": f"CSV export of a ministry ({EXPORT_MINISTRY_ENTRIES} entries, {size // 1024} Ko)",
            **figures,
            "target": "p95 ≤ 300 ms",
            "ok": figures["p95_ms"] <= 300,
        }
    )
    return results


def captured_sql(user: Any, path: str, *, warm: bool = True, prime: str = "") -> list[str]:
    """The SQL statements of one page. `warm`: the page is requested once before (its facet
    cache is then warm, as for the measured list pages); otherwise the path must be new (as
    the measured searches, which use a different query each time). `prime`: another page
    requested before, uncaptured (what the measure's warm-up request leaves in the process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client()
    client.force_login(user)
    if warm:
        client.get(path)
    if prime:
        client.get(prime)
    # One query of the inventory pages runs on a second connection in service: here on this
    # one, so that it is captured (and counted) with the page's other statements.
    with (
        override_settings(PARALLEL_QUERIES=False),
        CaptureQueriesContext(connection) as ctx,
    ):
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response.status_code == 200, (path, response.status_code)
    return [q["sql"] for q in ctx.captured_queries]


def psql_timing(database_url: str, statements: list[str], repeat: int) -> list[float]:
    """Total server time (ms, from psql's \\timing) of the statements, `repeat` times, after
    one untimed run: the portal's connections are persistent, their caches (catalog, text
    search dictionaries) warm; a new psql session's first run is not."""
    warm_up = "".join(s.rstrip(";") + ";\n" for s in statements)
    script = (
        warm_up
        + "\\timing on\n"
        + "".join(s.rstrip(";") + ";\n" for _ in range(repeat) for s in statements)
    )
    out = subprocess.run(  # noqa: S603
        ["psql", database_url, "-q", "-X", "-o", "/dev/null", "-f", "-"],
        input=script,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    times = [float(m) for m in re.findall(r"Time: ([0-9.]+) ms", out)]
    per = len(statements)
    return [sum(times[i * per : (i + 1) * per]) for i in range(len(times) // per)]


def sql_measures(ctx: Context, ids: dict[str, Any], pages: list[dict[str, Any]]) -> list[dict]:
    from datasets.models import DataAsset
    from datasets.selectors import bump_inventory_generation

    results = []
    by_name = {p["name"]: p for p in pages}
    rng = random.Random(time.time_ns())
    orgs = list(
        DataAsset.objects.order_by().values_list("organization_id", flat=True).distinct()[:500]
    )
    statuses = [s for s, _ in STATUSES]
    n = 10
    # Every statement each page runs (session, user, roles, counts, facets, rows, highlights…),
    # captured from requests like the measured ones, over the same mix: pages 1 to 20 of the
    # list (its cache warm, as its measure repeats them); searches of one and of two words, and
    # new filter combinations, each with a cold cache (as each measured one is new).
    for page_name, paths, warm in (
        (
            "list page (50 rows, 200k visible)",
            [f"/inventaire/?page={1 + (i * 7) % 20}" for i in range(n)],
            True,
        ),
        (
            "full-text search",
            [
                "/inventaire/?q=" + quote_plus(" ".join(rng.sample(WORDS, 1 + i % 2)))
                for i in range(n)
            ],
            False,
        ),
        (
            "facets (filtered list, new combination each time)",
            [
                f"/inventaire/?organization={rng.choice(orgs)}&status={statuses[i % 7]}"
                for i in range(n)
            ],
            False,
        ),
    ):
        if ctx.only and page_name not in by_name:
            continue  # --only: the raw SQL of the pages measured, for their ratio
        timings: list[float] = []
        count = 0
        for path in paths:
            # A new generation: nothing of an earlier request cached for this one. The measure
            # then requests other pages first (its warm-up, then the other measured pages):
            # its process knows the names of ministries and organisations of this generation
            # (read once per generation, `selectors._known_names`), so the replay too.
            if not warm:
                bump_inventory_generation()
            statements = captured_sql(
                ids["staff"], path, warm=warm, prime="" if warm else "/inventaire/?page=2"
            )
            count = max(count, len(statements))
            timings += psql_timing(ctx.database_url, statements, max(3, ctx.requests // 20))
        figures = summary(timings)
        page = by_name.get(page_name)
        # Both percentiles: a p95-only ratio could look good thanks to one slow replay.
        ratio = round(page["p95_ms"] / figures["p95_ms"], 2) if page and figures["p95_ms"] else None
        ratio_p50 = (
            round(page["p50_ms"] / figures["p50_ms"], 2) if page and figures["p50_ms"] else None
        )
        results.append(
            {
                "name": f"raw SQL of the {page_name[:28]} ({n} requests, ≤{count} queries, psql)",
                **figures,
                "target": "page ≤ 3× SQL (p95 and p50)",
                "ratio": ratio,
                "ratio_p50": ratio_p50,
                "ok": ratio is not None and ratio_p50 is not None and ratio <= 3 and ratio_p50 <= 3,
            }
        )
    return results


def query_count_measures(ids: dict[str, Any]) -> list[dict[str, Any]]:
    """Same page, same kind of caller, two data sizes: the query count must not change."""
    results = []
    for name, first_user, first, second_user, second in (
        (
            "list page 1 vs page 40 (network staff, 200k entries)",
            ids["staff"],
            "/inventaire/",
            ids["staff"],
            "/inventaire/?page=40",
        ),
        (
            "list page, administrator of 5,000 vs of ~6,700 entries",
            ids["amd"],
            "/inventaire/",
            ids["amd2"],
            "/inventaire/",
        ),
        (
            "search, two frequent words (thousands of matches each)",
            ids["staff"],
            "/inventaire/?q=registre",
            ids["staff"],
            "/inventaire/?q=statistiques",
        ),
        (
            "CSV export, ministry of 5,000 vs ~6,700 entries",
            ids["amd"],
            "/inventaire/export.csv",
            ids["amd2"],
            "/inventaire/export.csv",
        ),
    ):
        a = len(captured_sql(first_user, first))
        b = len(captured_sql(second_user, second))
        # (the plain CSV export reads each entry's formats in its own query: flat since 1ff6bfd)
        results.append({"name": f"query count, {name}", "queries": [a, b], "ok": a == b})
    return results


def import_measures(ids: dict[str, Any], rows: int) -> list[dict[str, Any]]:
    import csv

    from django.db import transaction

    from datasets import importing
    from datasets.models import ImportJob

    ministry = ids["ministry"]
    orgs = list(ministry.organizations.values_list("name", flat=True)[:20])
    out = io.StringIO()
    writer = csv.writer(out)
    header = importing.cs.etalab_header()
    writer.writerow(header)
    rng = random.Random(3)
    for i in range(rows):
        words = rng.sample(WORDS, 4)
        writer.writerow(
            [
                f"Import {words[0]} {words[1]} {i}",
                " ".join(rng.choices(WORDS, k=20)),
                ",".join(words[:3]),
                orgs[i % len(orgs)],
                "",
                "",
                f"Service {words[2]}",
                f"SI {words[3]}",
                "service@exemple.gouv.fr",
                "agent@exemple.gouv.fr",
                "2020-01-15",
                "15/06/2025",
                "Annuelle",
                "France entière",
                f"https://www.data.gouv.fr/fr/datasets/import-{i}/",
                "CSV,JSON",
                "Licence Ouverte",
            ]
        )
    data = out.getvalue().encode("utf-8")
    results = []
    with transaction.atomic():
        job = importing.import_job_create(
            actor=ids["amd"], ministry=ministry, filename="banc.csv", data=data
        )
        started = time.perf_counter()
        report = importing.analyse_job(job)
        analyse_s = time.perf_counter() - started
        assert report["counts"]["created"] == rows, report["counts"]
        started = time.perf_counter()
        applied = importing.apply_job(job, actor=ids["amd"])
        apply_s = time.perf_counter() - started
        assert applied["written"]["created"] == rows
        transaction.set_rollback(True)
    ImportJob.objects.filter(filename="banc.csv").delete()
    for name, seconds in (("dry run", analyse_s), ("apply", apply_s)):
        rate = rows / seconds
        results.append(
            {
                "name": f"import {name} of {rows} rows ({len(data) // 1024} Ko CSV)",
                "seconds": round(seconds, 2),
                "rows_per_s": round(rate),
                "target": "≥ 2,000 rows/s",
                "ok": rate >= 2000,
            }
        )
    return results


# --- Main ------------------------------------------------------------------------------------


def machine_speed() -> float:
    """Seconds of a pure-Python loop of 10 million additions: the same code gives other figures
    on a slower machine (or the same machine when its host is busy); printed with the results
    so that runs can be compared."""
    started = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


def print_results(results: list[dict[str, Any]]) -> None:
    print()
    print(
        f"Vitesse de la machine : boucle Python de 10 millions d'additions en {machine_speed():.2f} s"
    )
    print(f"{'measure':<72} {'p50':>8} {'p95':>8}  details")
    print("-" * 120)
    for r in results:
        p50 = f"{r['p50_ms']:.1f}" if "p50_ms" in r else ""
        p95 = f"{r['p95_ms']:.1f}" if "p95_ms" in r else ""
        details = []
        for key in (
            "seconds",
            "rows_per_s",
            "ratio",
            "ratio_p50",
            "queries",
            "n",
            "errors",
            "target",
        ):
            if r.get(key) not in (None, ""):
                details.append(f"{key}={r[key]}")
        flag = {True: "OK", False: "MISSED", None: ""}[r.get("ok")]
        print(f"{r['name'][:72]:<72} {p50:>8} {p95:>8}  {flag:<6} {' '.join(details)}")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--ministries", type=int, default=30)
    parser.add_argument("--requests", type=int, default=60, help="requests per page measure")
    parser.add_argument("--import-rows", type=int, default=5_000)
    parser.add_argument("--database", default="portal_bench")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data even if present")
    parser.add_argument("--skip-supervision", action="store_true")
    parser.add_argument(
        "--only",
        default="",
        help="page measures only, those whose name contains one of these comma-separated words "
        "(e.g. --only search,facets), with the raw SQL of those among list, search and facets: "
        "a quick loop while working on a page",
    )
    args = parser.parse_args(argv)
    if args.ministries < 2:
        parser.error("--ministries doit valoir au moins 2")

    source = os.environ.get("DATABASE_URL", "postgres://portal:portal@127.0.0.1:5432/portal")
    if not source.startswith("postgres"):
        parser.error("le banc d'essai exige PostgreSQL (DATABASE_URL=postgres://…)")
    url = with_database(source, args.database)
    ensure_database(source, args.database)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    build_data(args.entries, args.ministries, rebuild=args.rebuild)
    maintain(url)
    ids = accounts()
    ctx = Context(
        entries=args.entries,
        ministries=args.ministries,
        requests=args.requests,
        database_url=url,
        only=[w for w in args.only.split(",") if w],
    )
    results: list[dict[str, Any]] = []
    with gunicorn(url) as base:
        ctx.base_url = base
        ctx.cookies = {"staff": session_cookie(ids["staff"]), "amd": session_cookie(ids["amd"])}
        print(f"gunicorn (2 workers) sur {base} ; {args.requests} requêtes par mesure…", flush=True)
        results += page_measures(ctx, ids)
    results += sql_measures(ctx, ids, results)
    if ctx.only:
        print_results(results)
        return 0
    results += query_count_measures(ids)
    results += import_measures(ids, args.import_rows)
    if not args.skip_supervision and (ROOT / "bench" / "bench_supervision.py").exists():
        sys.path.insert(0, str(ROOT / "bench"))
        import bench_supervision

        print("Mesures de la supervision (bench/bench_supervision.py)…", flush=True)
        results += bench_supervision.run(ctx)
    print_results(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
