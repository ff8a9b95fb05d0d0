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
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, F, FloatField, Func, TextField
from django.db.models.sql.compiler import SQLCompiler

SEARCH_WINDOW = 1000
MIN_SUBSTRING = 3
MAX_WORDS = 10
MAX_QUERY_LENGTH = 200
# Private-use characters mark the matched words in PostgreSQL's headline; the snippet is then cut from the text
# itself and escaped, so it is safe HTML whose only tags are <mark>.
_START, _STOP = "\ue000", "\ue001"
_WORD = re.compile(r"\w+")
_HEADLINE = f"StartSel={_START}, StopSel={_STOP}, HighlightAll=true"
_MARKED = re.compile(f"{_START}(.*?){_STOP}")
SNIPPET_LENGTH = 160
_TSQUERY = "(to_tsquery('russian', %s) || to_tsquery('english', %s))"


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

    def matches(self) -> Expression:
        """A boolean: the message matches (filter with it)."""
        return _SearchSQL(self, "match", BooleanField())

    def rank(self) -> Expression:
        return _SearchSQL(self, "rank", FloatField())

    def headline(self) -> Expression:
        return _SearchSQL(self, "headline", TextField())

    def snippet(self, text: str | None, headline: str | None) -> str:
        """The part of `text` around its first match, as safe HTML: escaped, with <mark> around every occurrence of
        the words PostgreSQL's headline marked (the stemmed matches) or, when it marked none (the query matched
        part of a word), of the query itself. Built from the text, not the headline, which drops what looks like
        HTML tags."""
        text = text or ""
        words = sorted({word.lower() for word in _MARKED.findall(headline or "")}, key=len, reverse=True)
        if words:
            pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)", re.IGNORECASE)
        elif self.substring:
            pattern = re.compile(re.escape(self.text), re.IGNORECASE)
        else:
            return html.escape(_cut(text, 0, SNIPPET_LENGTH), quote=False)
        first = pattern.search(text)
        start = 0 if first is None else _word_start(text, max(0, first.start() - SNIPPET_LENGTH // 3))
        end = min(len(text), start + SNIPPET_LENGTH)
        parts = ["…" if start else ""]
        position = start
        for match in pattern.finditer(text, start, end):
            parts += [html.escape(text[position : match.start()], quote=False), "<mark>"]
            parts += [html.escape(match.group(0), quote=False), "</mark>"]
            position = match.end()
        parts += [html.escape(text[position:end], quote=False), "…" if end < len(text) else ""]
        return "".join(parts)


def _word_start(text: str, index: int) -> int:
    """Back to the start of the word at `index`."""
    while index > 0 and text[index - 1].isalnum():
        index -= 1
    return index


def _cut(text: str, start: int, length: int) -> str:
    return text[start : start + length] + ("…" if len(text) > start + length else "")


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class _SearchSQL(Func):
    """The SQL of a query over a message's `search_vector` and `text` columns: the match condition (written as the
    indexes are: `search_vector @@ …`, `UPPER(text::text) LIKE UPPER(…)`), its rank, or its headline."""

    def __init__(self, query: SearchQuery, kind: str, output_field: Any) -> None:
        self.query = query
        self.kind = kind
        super().__init__(F("search_vector"), F("text"), output_field=output_field)

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        vector_expression, text_expression = self.get_source_expressions()
        vector, _ = compiler.compile(vector_expression)
        text, _ = compiler.compile(text_expression)
        prefixes = [self.query.prefixes, self.query.prefixes]
        if self.kind == "rank":
            # As double precision: a real would come back rounded to its shortest text, and cursors compare it.
            return f"ts_rank({vector}, {_TSQUERY})::float8", prefixes
        if self.kind == "headline":
            return f"ts_headline('russian', coalesce({text}, ''), {_TSQUERY}, %s)", [*prefixes, _HEADLINE]
        if not self.query.substring:
            return f"({vector} @@ {_TSQUERY})", prefixes
        return (
            f"({vector} @@ {_TSQUERY} OR UPPER({text}::text) LIKE UPPER(%s))",
            [*prefixes, _like_pattern(self.query.text)],
        )
