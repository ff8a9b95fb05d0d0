"""Message search: PostgreSQL full-text search across every chat of a user (or in one chat), with the same index
for the message list's `?search=` (docs/api-chats.md, "Search").

A query matches a message when
- its words, each as a prefix, all match the text's lexemes as the Russian or the English dictionary stems them
  (`search_vector`, a generated column with a GIN index): "сообщения" finds "сообщение", "deploy" finds "deployed",
  "mee" finds "meeting";
- or, for a query of 3 characters or more, the text contains it as it is, in any case (the trigram GIN index on
  UPPER(text)): parts of words and words no dictionary knows.

Ranked results are the best of the newest SEARCH_WINDOW matches (ts_rank, then newest first): ranking every match
of a common word in a chat of half a million messages would cost what reading them all does. `order=recent` gives
every match, newest first, with no window.

The SQL pieces here (the match, the rank, the snippet) take the query's values as `Param`s, bound by
`SearchQuery.values()` (or `text_values` for a query without words) into SQL generated once (messages.selectors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from application.shapes import Param
from application.shapes_sql import SQL

SEARCH_WINDOW = 1000
# How many of the newest messages the window looks through for its matches before it reads the word's indexes.
SEARCH_WALK = 40_000
# How many of a chat's messages its message list's `?search=` walks, from where the page starts, before it reads the
# indexes (messages.selectors.ChatSearchPages): its pages are small, so a walk that finds none costs little.
CHAT_SEARCH_WALK = 10_000
MIN_SUBSTRING = 3
MAX_WORDS = 10
MAX_QUERY_LENGTH = 200
SNIPPET_LENGTH = 160
_WORD = re.compile(r"\w+")

PREFIXES = Param("prefixes")  # the words as tsquery text, each a prefix, all required
CONTAINS = Param("contains")  # the text as typed as a LIKE pattern (a query of MIN_SUBSTRING characters or more)
TYPED = Param("typed")  # the text as typed as a regular expression (snippets), NULL under MIN_SUBSTRING characters
_TSQUERY = "(to_tsquery('russian', %s) || to_tsquery('english', %s))"
# Private-use characters mark the matched words in PostgreSQL's headline and the matches of a snippet on their way
# to <mark> tags; a text's own are replaced by U+FFFD in its snippet (and in the query's, for the snippet).
MARKS = "\ue000\ue001"
_UNMARKED = "\ufffd\ufffd"
_UNMARK = str.maketrans(MARKS, _UNMARKED)
_HEADLINE = f"StartSel={MARKS[0]}, StopSel={MARKS[1]}, HighlightAll=true"
_MARKED = f"{MARKS[0]}([^{MARKS[1]}\\n]*){MARKS[1]}"  # a word the headline marked (Python's `.`: not across lines)
# What a regular expression of PostgreSQL (and of Python) treats as syntax outside brackets: escaped in words and
# in the text as typed, so they match as they are. (A backslash before a letter would be an escape.)
_SYNTAX = r"[][\\.(){}*+?^$|]"


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: the text as typed, and its words as a tsquery (each a prefix, all required)."""

    text: str
    prefixes: str

    @classmethod
    def parse(cls, text: str) -> SearchQuery | None:
        """None when the text holds no word (only punctuation or spaces)."""
        words = _WORD.findall(text.lower())[:MAX_WORDS]
        if not words:
            return None
        return cls(text=text, prefixes=" & ".join(f"{word[:64]}:*" for word in words))

    @property
    def substring(self) -> bool:
        return len(self.text) >= MIN_SUBSTRING

    def values(self) -> dict[str, Any]:
        """The `Param`s of this module's SQL for this query."""
        return {
            "prefixes": self.prefixes,
            "contains": _like_pattern(self.text) if self.substring else None,
            "typed": re.sub(_SYNTAX, r"\\\g<0>", self.text.translate(_UNMARK)) if self.substring else None,
        }


def match_sql(vector: str, text: str, *, substring: bool, words: bool = True, caseless: bool = False) -> SQL:
    """The match condition on a message's `search_vector` and `text` columns, written as the indexes are:
    `search_vector @@ …` (GIN), and with `substring`, `UPPER(text::text) LIKE UPPER(…)` (the trigram GIN). Without
    `words` (a query with no word: `text_values`), the substring only; as it is when the query is `caseless` (no
    index serves it, and reading every text is 6x faster without UPPER)."""
    like = f"UPPER({text}::text) LIKE UPPER(%s)"
    if not words:
        return (f"({text} LIKE %s)" if caseless else f"({like})"), [CONTAINS]
    if not substring:
        return f"({vector} @@ {_TSQUERY})", [PREFIXES, PREFIXES]
    return f"({vector} @@ {_TSQUERY} OR {like})", [PREFIXES, PREFIXES, CONTAINS]


def text_values(text: str) -> dict[str, Any]:
    """The `Param`s of `match_sql(words=False)` for a query without a word ("!!", "@"): contained as typed."""
    return {"prefixes": None, "contains": _like_pattern(text), "typed": None}


def rank_sql(vector: str) -> SQL:
    # As double precision: a real would come back rounded to its shortest text, and cursors compare it.
    return f"ts_rank({vector}, {_TSQUERY})::float8", [PREFIXES, PREFIXES]


def _html(sql: str) -> str:
    """Escaped as html.escape(quote=False) does: the snippet is HTML whose only tags are <mark>."""
    return f"replace(replace(replace({sql}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"


def snippets_cte(messages: str) -> SQL:
    """`snippet_patterns AS (...), snippet_spans AS (...), snippets AS (...)`: the snippet of each message of the
    CTE `messages` (its `id` and `snippet`): up to SNIPPET_LENGTH characters of the text around its first match,
    HTML-escaped, with <mark> around every match inside them — of the words PostgreSQL's headline marked (the
    stemmed matches, as whole words, in any case) or, when it marked none (the query matched part of a word), of
    the text as typed; without either, the text's start. `…` where the text was cut. A text's own MARKS are shown
    as U+FFFD."""
    # The pattern of each message's matches; then where its snippet starts (a third of its length before the first
    # match, moved back to the start of the word there) and the text up to where it ends; then the matches marked
    # from its start (seeing the character before it, a word boundary, but nothing after its end), the text
    # escaped, the marks made tags. Each step is materialized: inlined, its expressions would be computed again
    # wherever the next one names them. The words are alternatives in any order: where several match, PostgreSQL's
    # regular expressions take the longest.
    words = (
        "(SELECT '(?<!\\w)(?:' || string_agg(DISTINCT regexp_replace(lower(x[1]), %s, '\\\\\\&', 'g'), '|') "
        "|| ')(?!\\w)' FROM regexp_matches(ts_headline('russian', t.text, "
        # The query once per statement (a prepared statement's generic plan would parse it again for every row).
        f"(SELECT {_TSQUERY}), %s), '{_MARKED}', 'g') x)"
    )
    marked = f"regexp_replace(w.head, w.pattern, '{MARKS[0]}\\&{MARKS[1]}', w.start + 1, 0, 'i')"
    sql = (
        f"snippet_patterns AS MATERIALIZED (SELECT t.id, t.text, coalesce({words}, %s) AS pattern "
        f"FROM (SELECT id, translate(coalesce(text, ''), '{MARKS}', '{_UNMARKED}') AS text FROM {messages}) t), "
        "snippet_spans AS MATERIALIZED (SELECT id, text, pattern, start, "
        f"left(text, start + {SNIPPET_LENGTH}) AS head FROM (SELECT id, text, pattern, CASE WHEN first > 0 "
        "THEN before - length(substring(left(text, before) from '[[:alnum:]]*$')) ELSE 0 END AS start "
        f"FROM (SELECT *, greatest(0, first - 1 - {SNIPPET_LENGTH // 3}) AS before FROM (SELECT *, "
        "coalesce(regexp_instr(text, pattern, 1, 1, 0, 'i'), 0) AS first FROM snippet_patterns) f) b) c), "
        "snippets AS MATERIALIZED (SELECT w.id, CASE WHEN w.pattern IS NULL THEN "
        + _html(f"left(w.text, {SNIPPET_LENGTH})")
        + f" || CASE WHEN length(w.text) > {SNIPPET_LENGTH} THEN '…' ELSE '' END "
        "ELSE CASE WHEN w.start > 0 THEN '…' ELSE '' END || replace(replace("
        + _html(f"substr({marked}, w.start + 1)")
        + f", '{MARKS[0]}', '<mark>'), '{MARKS[1]}', '</mark>') "
        "|| CASE WHEN length(w.head) < length(w.text) THEN '…' ELSE '' END END AS snippet FROM snippet_spans w)"
    )
    return sql, [_SYNTAX, PREFIXES, PREFIXES, _HEADLINE, TYPED]


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
