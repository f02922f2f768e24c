"""French full-text search over inventory entries.

PostgreSQL: the stored generated column `search_vector` (migrations 0003 and 0010; title A,
acronym and keywords B, description, service and information system C) queried with
`websearch_to_tsquery('french_unaccent', q)` (French stemming after `unaccent`: « enquete »
finds « enquête ») or the same query with its words' final « s » or « x » dropped (migration
0011: « élu » finds « élus », « cancers » finds « cancer »), ranked with `ts_rank_cd`; highlights come from `ts_headline`
computed for the visible page only. Other databases (SQLite for `make run`): `icontains` on the
same fields, ordered by recency, highlights computed in Python.

Highlights are built safely: PostgreSQL marks matches with private delimiters, the text is
HTML-escaped, and only then are the delimiters turned into `<mark>` tags.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.side_connection import beside
from datasets.models import DataAsset

_START, _STOP = "\u2999", "\u299a"  # unusual brackets that user text almost never contains
MAX_QUERY_LENGTH = 200


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def normalise_query(q: str | None) -> str:
    return " ".join((q or "").split())[:MAX_QUERY_LENGTH]


# The query as typed, or with its words' final « s »/« x » dropped, whose stems the stored
# vector also holds, with their positions and weights (migrations 0011 and 0014). Two
# parameters: the two `query_forms`. It both matches and ranks.
_FORM = "websearch_to_tsquery('french_unaccent', %s)"
TSQUERY = f"({_FORM} || {_FORM})"
# Highlights also read the query with its words in the plural (« élu » marks « élus »: they
# parse the text, not the stored vector). Three parameters: `highlight_forms(query)`.
_HIGHLIGHT_TSQUERY = f"({_FORM} || {_FORM} || {_FORM})"
# Letters of French words: the rule of migration 0011's `portal_singulars`.
LETTERS = "a-zA-ZÀ-ÖØ-öø-ÿŒœÆæ"
_WORD = re.compile(f"[{LETTERS}]+")
_ENDS_IN_S = re.compile(f"([{LETTERS}]{{2,}})[sSxX](?![{LETTERS}])")


_EXCLUDED_PLURAL = re.compile(f"(?:^|(?<=\\s))-([{LETTERS}]{{2,}})[sSxX](?![{LETTERS}])")


# The stop words of PostgreSQL's French list (tsearch_data/french.stop) that a word can reach:
# written without accents and of two letters or more (`french_unaccent` removes accents before
# the stop list is read, so its accented words never apply). A word shortened to one of them
# (« pass » → « pas », « mois » → « moi », « Aix » → « ai ») would vanish from the singular
# form, and, the two forms being matched *or*, take its condition away (« pass culture » would
# find all of « culture »): such a word stays as typed. Checked against the database by a test.
# fmt: off
_STOP_WORDS = frozenset({
    "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "elle", "en", "et", "eux", "il",
    "je", "la", "le", "leur", "lui", "ma", "mais", "me", "mes", "moi", "mon", "ne", "nos",
    "notre", "nous", "on", "ou", "par", "pas", "pour", "qu", "que", "qui", "sa", "se", "ses",
    "son", "sur", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "vos", "votre", "vous",
    "suis", "es", "est", "sommes", "sont", "serai", "seras", "sera", "serons", "serez", "seront",
    "serais", "serait", "serions", "seriez", "seraient", "fus", "fut", "furent", "sois", "soit",
    "soyons", "soyez", "soient", "fusse", "fusses", "fussions", "fussiez", "fussent", "ayant",
    "ayante", "ayantes", "ayants", "eu", "eue", "eues", "eus", "ai", "as", "avons", "avez", "ont",
    "aurai", "auras", "aura", "aurons", "aurez", "auront", "aurais", "aurait", "aurions",
    "auriez", "auraient", "avais", "avait", "avions", "aviez", "avaient", "eut", "eurent", "aie",
    "aies", "ait", "ayons", "ayez", "aient", "eusse", "eusses", "eussions", "eussiez", "eussent"
})
# fmt: on
# A term excluded with « - » (after a space or at the start, as websearch_to_tsquery reads it):
# a phrase in quotes (to its closing quote, or the end), or a word.
_EXCLUDED = re.compile(r'(?:^|(?<=\s))-(?:"[^"]*"?|\S+)')


def _folded(word: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c)
    )


def _shortened(match: re.Match[str]) -> str:
    short = match.group(1)
    return match.group(0) if _folded(short) in _STOP_WORDS else short


def _singular_form(typed: str) -> str:
    """`typed` with the final « s »/« x » of its words dropped, except in excluded terms (an
    exclusion must hold in both forms: « -hôpitaux » excludes « hôpital », which the stemmer
    folds with it, and « -"cancers graves" » the phrase as stored with positions) and where the
    shortened word is a stop word (`_STOP_WORDS`)."""
    parts: list[str] = []
    last = 0
    for excluded in _EXCLUDED.finditer(typed):
        parts.append(_ENDS_IN_S.sub(_shortened, typed[last : excluded.start()]))
        parts.append(excluded.group(0))
        last = excluded.end()
    parts.append(_ENDS_IN_S.sub(_shortened, typed[last:]))
    return "".join(parts)


def query_forms(q: str) -> tuple[str, str]:
    """The two forms of a query the search matches (either one): as typed, and with its words'
    final « s »/« x » dropped (`_singular_form`). A word excluded in the plural (« -cancers ») is
    excluded in the singular too, in both forms (otherwise the typed form would let « cancer »
    through)."""
    typed = _EXCLUDED_PLURAL.sub(lambda m: f"{m.group(0)} -{m.group(1)}", q)
    return typed, _singular_form(typed)


def highlight_forms(q: str) -> tuple[str, str, str]:
    """The forms of a query that highlight the matches: `query_forms` and the typed form with
    its words in the plural."""
    typed, singular = query_forms(q)
    return typed, singular, _plural_words(typed)


def _plural_words(q: str) -> str:
    """`q` with an « s » after each word of two letters or more that does not end in s or x
    (« or », the query language's operator, left alone)."""

    def plural(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 2 or word[-1] in "sSxX" or word.lower() == "or":
            return word
        return word + "s"

    return _WORD.sub(plural, q)


# The public catalogue's forms: each word restricted to the weights A, B and C, the text any
# visitor may read (migration 0013 gives the internal information system D). In the text of a
# tsquery each word is quoted ('word', a quote doubled inside): ':ABC' goes after each one.
_QUOTED_WORD = "'" + "('(?:[^']|'')*')".replace("'", "''") + "'"
_PUBLIC_FORM = f"regexp_replace(({_FORM})::text, {_QUOTED_WORD}, '\\1:ABC', 'g')::tsquery"
_PUBLIC_TSQUERY = f"({_PUBLIC_FORM} || {_PUBLIC_FORM})"


def apply_search(
    qs: QuerySet[DataAsset], q: str, *, rank: bool = True, public: bool = False
) -> QuerySet[DataAsset]:
    """Filter `qs` by the query; with `rank`, annotate `search_rank` (PostgreSQL only).
    `public`: match only what the public pages show (not the internal information system)."""
    q = normalise_query(q)
    if not q:
        return qs
    if is_postgres():
        tsquery = _PUBLIC_TSQUERY if public else TSQUERY
        forms = query_forms(q)
        qs = qs.extra(  # noqa: S610 - parameterised; the column is not declared on the model
            where=[f"datasets_dataasset.search_vector @@ {tsquery}"],
            params=list(forms),
        )
        if rank:
            qs = qs.annotate(
                search_rank=RawSQL(  # noqa: S611 - constant SQL, parameterised
                    f"ts_rank_cd(datasets_dataasset.search_vector, {tsquery})", forms
                )
            )
        return qs
    cond = Q()
    for term in q.split()[:8]:
        term_q = (
            Q(title__icontains=term)
            | Q(acronym__icontains=term)
            | Q(description__icontains=term)
            | Q(service__icontains=term)
        )
        if not public:
            term_q |= Q(source_system__icontains=term)
        cond &= term_q
    return qs.filter(cond)


def _mark(text: str) -> SafeString:
    # Escape first, then turn the private delimiters into <mark>: user HTML is never trusted.
    safe = escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    return mark_safe(safe)  # noqa: S308 - escaped above


def highlights(ids: Sequence[int], q: str) -> dict[int, dict[str, SafeString]]:
    """{id: {"title": html, "description": html}} for the page's entries only (one query)."""
    q = normalise_query(q)
    if not q or not ids:
        return {}
    if is_postgres():
        options = f"StartSel={_START}, StopSel={_STOP}, MaxWords=35, MinWords=15, MaxFragments=2"
        # The delimiters are removed from the text first, so <mark> always comes in pairs.
        sql = (
            "SELECT id, "  # noqa: S608 - constant SQL, parameterised
            f"ts_headline('french_unaccent', translate(title, %s, ''), {_HIGHLIGHT_TSQUERY}, %s), "
            f"ts_headline('french_unaccent', translate(description, %s, ''), {_HIGHLIGHT_TSQUERY}, "
            "%s) FROM datasets_dataasset WHERE id = ANY(%s)"
        )
        with connection.cursor() as cursor:
            title_options = f"StartSel={_START}, StopSel={_STOP}, HighlightAll=true"
            delimiters = _START + _STOP
            query = list(highlight_forms(q))
            cursor.execute(
                sql,
                [delimiters, *query, title_options, delimiters, *query, options, list(ids)],
            )
            rows: list[Any] = cursor.fetchall()
        return {row[0]: {"title": _mark(row[1]), "description": _mark(row[2])} for row in rows}
    terms = [re.escape(t) for t in q.split()[:8] if t]
    pattern = re.compile("(" + "|".join(terms) + ")", re.IGNORECASE) if terms else None
    result: dict[int, dict[str, SafeString]] = {}
    for pk, title, description in DataAsset.objects.filter(pk__in=list(ids)).values_list(
        "pk", "title", "description"
    ):
        strip = str.maketrans("", "", _START + _STOP)
        title, desc = title.translate(strip), description[:400].translate(strip)
        if pattern is not None:
            title = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", title)
            desc = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", desc)
        result[pk] = {"title": _mark(title), "description": _mark(desc)}
    return result


Highlights = dict[int, dict[str, SafeString]]


def highlights_later(ids: Sequence[int], q: str) -> Callable[[], Highlights]:
    """`highlights(ids, q)` started now on the side connection (core.side_connection): it
    runs while the request builds its facets and renders the page up to the rows (ts_headline
    parses and stems every word of 50 descriptions, ~5-7 ms of database time)."""
    if not ids or not normalise_query(q):
        return dict
    return beside(highlights, list(ids), q)


class MarkedRows(Sequence[tuple[Any, Any]]):
    """A page's rows with their highlights, `(row, highlights or None)`: the highlights are
    waited for only when a row is read (rendering the rows, after the facets)."""

    def __init__(self, rows: Sequence[Any], marks: Callable[[], Highlights] | None) -> None:
        self._rows = rows
        self._marks = marks
        self._resolved: Highlights | None = None

    def _all(self) -> Highlights:
        if self._resolved is None:
            self._resolved = self._marks() if self._marks is not None else {}
        return self._resolved

    def __len__(self) -> int:
        return len(self._rows)

    def __bool__(self) -> bool:
        return bool(self._rows)

    def __getitem__(self, index: Any) -> Any:
        marks = self._all()
        if isinstance(index, slice):
            return [(r, marks.get(r["pk"])) for r in self._rows[index]]
        row = self._rows[index]
        return (row, marks.get(row["pk"]))
