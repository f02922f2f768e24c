"""French full-text search over inventory entries.

PostgreSQL, the production engine: the stored generated column `search_vector` (migrations 0003
and 0010; title A, acronym and keywords B, description, service and information system C)
queried with `websearch_to_tsquery('french_unaccent', q)` (French stemming after `unaccent`:
« enquete » finds « enquête ») or the same query with its words' final « s » or « x » dropped
(migration 0011: « élu » finds « élus », « cancers » finds « cancer »), ranked with
`ts_rank_cd`; highlights come from `ts_headline` computed for the visible page only.

The query language is websearch_to_tsquery's: every word is required, `-word` and `-"phrase"`
exclude, `"phrase"` matches its words in sequence, `or` between two terms means either. French
and typographic quotes (« … », “ … ”, „ … “) are phrase quotes too, and an `or` with no term on
one side is ignored (`search_text`): websearch_to_tsquery would read it as the word « or ».

Other databases: the SQLite fallback of `make run`'s demo (no `DATABASE_URL`), never
production. It reads the same query language (`parse_query`) and compares words folded in
Python on both sides (`fold_words`: case, accents, plurals; a function registered
on each new SQLite connection, `register_sqlite_functions`) with `LIKE`; no stemming beyond
that, no ranking (ordered by recency), highlights computed in Python.

Highlights are built safely: PostgreSQL marks matches with private delimiters, the text is
HTML-escaped, and only then are the delimiters turned into `<mark>` tags.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
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


# Phrase quotes besides « " »: French guillemets, whose inner spaces (often no-break spaces,
# whitespace for `normalise_query`) are dropped, English “ ” and German „ “.
_OPENING_QUOTE = re.compile(r"[«„]\s*")
_CLOSING_QUOTE = re.compile(r"\s*[»”]")
_CURLY_QUOTE = str.maketrans({"“": '"'})
# The query's items: a phrase in quotes (to its closing quote, or the end) or a run of other
# non-space characters; an item with a letter or a digit is a term.
_ITEM = re.compile(r'"[^"]*"?|[^\s"]+')
_ALNUM = re.compile(r"[^\W_]")


def search_text(q: str) -> str:
    """The normalised query `q` as the search reads it (both engines): its phrase quotes
    straight (« base adresse », “base adresse” and „base adresse“ are "base adresse"), and an
    `or` with no term before or after it dropped (« établissement OR », « OR OR établissement »
    are « établissement »: websearch_to_tsquery reads a last or first `or` as the word « or »,
    and a second one in a row too). A query of `or` alone searches that word."""
    q = _CLOSING_QUOTE.sub('"', _OPENING_QUOTE.sub('"', q)).translate(_CURLY_QUOTE)
    dropped: list[re.Match[str]] = []
    pending: re.Match[str] | None = None  # an `or` after a term, waiting for the next one
    seen_term = False
    for item in _ITEM.finditer(q):
        if _is_or(q, item):
            if seen_term and pending is None:
                pending = item
            else:
                dropped.append(item)
        elif _ALNUM.search(item.group(0)):
            seen_term, pending = True, None
    if pending is not None:
        dropped.append(pending)
    if not dropped or not seen_term:
        return q
    kept, last = [], 0
    for item in dropped:
        kept.append(q[last : item.start()])
        last = item.end()
    kept.append(q[last:])
    return " ".join("".join(kept).split())


def _is_or(q: str, item: re.Match[str]) -> bool:
    """`item` is the operator `or`: the word alone, between spaces (or the query's ends)."""
    return (
        item.group(0).lower() == "or"
        and (item.start() == 0 or q[item.start() - 1] == " ")
        and (item.end() == len(q) or q[item.end()] == " ")
    )


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


def _shortened(match: re.Match[str]) -> str:
    short = match.group(1)
    return match.group(0) if fold(short) in _STOP_WORDS else short


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
    """The two forms of a query the search matches (either one): as typed (read by
    `search_text`), and with its words' final « s »/« x » dropped (`_singular_form`). A word
    excluded in the plural (« -cancers ») is excluded in the singular too, in both forms
    (otherwise the typed form would let « cancer » through)."""
    typed = _EXCLUDED_PLURAL.sub(lambda m: f"{m.group(0)} -{m.group(1)}", search_text(q))
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


# --- The SQLite fallback (`make run`'s demo; PostgreSQL is the production engine) ----------

# Letters NFKD leaves whole, spelled out as `unaccent` does.
_SPELLED_OUT = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d"})
_FOLDED_WORD = re.compile(r"[^\W_]+")
_FOLDED_PLURAL = re.compile(r"([^\W\d_]{2,})[sx]")


def fold(text: str) -> str:
    """`text` in lower case without accents (« Œuvres ÉTÉ » → « oeuvres ete »), character by
    character: a character folds to zero, one or more characters."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_SPELLED_OUT)


def _singular(word: str) -> str:
    """A folded word without its final « s »/« x », unless that makes it a stop word (the
    rule of `_ENDS_IN_S` and `_shortened`: « élus » → « elu », « mois » stays), and « -aux »
    made « -al » as the French stemmer does (« hôpitaux » → « hopital », « eaux » → « eau »)."""
    if word.endswith("aux") and not word.endswith("eaux") and len(word) > 4:
        return word[:-3] + "al"
    plural = _FOLDED_PLURAL.fullmatch(word)
    return plural.group(1) if plural and plural.group(1) not in _STOP_WORDS else word


def fold_words(text: str) -> str:
    """The words of `text` folded (`fold`) and in the singular (`_singular`), between spaces:
    « Baromètre des Élus (2016) » → « ␣barometre des elu 2016␣ ». A phrase of words is found
    in a text of words with `in` (SQL: `LIKE`), whole words only."""
    words = _FOLDED_WORD.findall(fold(text or ""))
    return " " + " ".join(_singular(w) for w in words) + " "


def _fold_keywords(value: str | None) -> str:
    """`fold_words` of the keywords, stored as JSON text (SQLite escapes accents there)."""
    try:
        keywords = json.loads(value or "[]")
    except ValueError:
        return fold_words(value or "")
    if isinstance(keywords, list):
        return fold_words(" ".join(str(k) for k in keywords))
    return fold_words(str(keywords))


def register_sqlite_functions(sender: object, **kwargs: Any) -> None:
    """On each new SQLite connection (the `connection_created` signal, `DatasetsConfig`):
    `portal_fold(text)` and `portal_fold_keywords(json)`, `fold_words` in SQL, and
    `portal_sort_key(text)`, `fold` (the list sorted by title: « école » beside « Ecole », not
    after « zoo »). Deterministic functions of their argument; SQLite's own `lower` and `LIKE`
    fold ASCII letters only."""
    wrapper = kwargs["connection"]
    if wrapper.vendor != "sqlite":
        return
    wrapper.connection.create_function(
        "portal_sort_key", 1, lambda text: fold(text or ""), deterministic=True
    )
    wrapper.connection.create_function("portal_fold", 1, fold_words, deterministic=True)
    wrapper.connection.create_function(
        "portal_fold_keywords", 1, _fold_keywords, deterministic=True
    )


# A term: a phrase in quotes or a run of other non-space characters, after any dashes (and a
# space: websearch_to_tsquery reads « a - b » as « a -b »). A lone « - » is a word without letters.
_TERM = re.compile(r'(?:(?P<dashes>-+) ?)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))')

# A French elided article or pronoun before a word typed alone (« d'établissements »,
# « l’assurance »): a stop word of PostgreSQL's French dictionary, which drops it.
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu)['’]", re.IGNORECASE)

# One term of the query: excluded or not, and its folded words (`fold_words`), in sequence.
Term = tuple[bool, str]


def parse_query(q: str) -> tuple[tuple[Term, ...], ...]:
    """The query (after `search_text`) as websearch_to_tsquery reads it: groups of terms joined
    by `or`, every term of a group required, or excluded after a « - » (two cancel out, as
    websearch_to_tsquery's « !! »). A term's words are required in sequence. A word of the
    stop list (`_STOP_WORDS`) typed alone is dropped, as PostgreSQL drops it; a term without
    a letter or a digit (a lone quote or dash) is ignored. No group: the query finds nothing,
    as on PostgreSQL."""
    groups: list[list[Term]] = [[]]
    for match in _TERM.finditer(search_text(normalise_query(q))):
        dashes, phrase, word = match.group("dashes", "phrase", "word")
        if word is not None and not dashes and word.lower() == "or":
            groups.append([])
            continue
        typed = phrase if phrase is not None else _ELISION.sub("", word)
        words = fold_words(typed)
        if not words.strip() or (phrase is None and fold(typed) in _STOP_WORDS):
            continue
        groups[-1].append((len(dashes or "") % 2 == 1, words))
    return tuple(tuple(group) for group in groups if group)


def _sqlite_search(qs: QuerySet[DataAsset], q: str, *, public: bool) -> QuerySet[DataAsset]:
    """`apply_search` off PostgreSQL: each term `LIKE` the entry's folded words."""
    groups = parse_query(q)
    if not groups:
        return qs.none()
    fields = ["title", "acronym", "description", "service"] + ([] if public else ["source_system"])
    parts: list[Any] = []
    for name in fields:
        parts += [Func(F(name), function="portal_fold", output_field=TextField()), Value("|")]
    parts.append(Func(F("keywords"), function="portal_fold_keywords", output_field=TextField()))
    cond = Q()
    for group in groups:
        group_cond = Q()
        for excluded, words in group:
            term = Q(search_words__contains=words)
            group_cond &= ~term if excluded else term
        cond |= group_cond
    return qs.alias(search_words=Concat(*parts, output_field=TextField())).filter(cond)


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
    return _sqlite_search(qs, q, public=public)


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
    words = {w for group in parse_query(q) for out, ws in group if not out for w in ws.split()}
    result: dict[int, dict[str, SafeString]] = {}
    strip = str.maketrans("", "", _START + _STOP)
    for pk, title, description in DataAsset.objects.filter(pk__in=list(ids)).values_list(
        "pk", "title", "description"
    ):
        title, desc = title.translate(strip), description[:400].translate(strip)
        result[pk] = {
            "title": _mark(_delimited(title, words)),
            "description": _mark(_delimited(desc, words)),
        }
    return result


def _delimited(text: str, words: set[str]) -> str:
    """`text` with the private delimiters around its words that `fold_words` reads as one of
    `words` (« elu » marks « Élus », « hopital » « hôpitaux »)."""
    folded: list[str] = []
    origin: list[int] = []  # for each folded character, the index of its character in `text`
    for index, char in enumerate(text):
        part = fold(char)
        folded.append(part)
        origin += [index] * len(part)
    parts, last = [], 0
    for match in _FOLDED_WORD.finditer("".join(folded)):
        if _singular(match.group(0)) not in words:
            continue
        start, end = origin[match.start()], origin[match.end() - 1] + 1
        while end < len(text) and unicodedata.combining(text[end]):
            end += 1  # a combining accent after the word's last letter
        if start >= last:
            parts += [text[last:start], _START, text[start:end], _STOP]
            last = end
    parts.append(text[last:])
    return "".join(parts)


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
