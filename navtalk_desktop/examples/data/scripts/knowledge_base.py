"""Example script responder: full-text search (SQLite FTS5) over the bundled documents.

NavTalk Desktop runs this file in a separate process and calls ``respond(arguments, context)``;
whatever it returns is sent as the function output. ``context["vars"]["kb_db"]`` is the path
of the knowledge-base database the app built from the bundled markdown documents.
"""

import re
import sqlite3
from typing import Any

# Question words carry no meaning for the search; FTS5 would OR them in and dilute the ranking.
STOPWORDS = frozenset(
    {"a", "an", "and", "are", "can", "do", "does", "for", "how", "i", "in", "is", "it", "me"}
    | {"my", "of", "on", "or", "the", "to", "what", "when", "where", "which", "who", "why"}
    | {"with", "you", "your"}
)


def respond(arguments: dict[str, Any], context: dict[str, Any]) -> str:
    query = str(arguments.get("query", "")).strip()
    limit = max(1, min(int(arguments.get("limit", 2)), 5))
    terms = [
        w for w in re.findall(r"[a-z0-9]+", query.lower()) if w not in STOPWORDS and len(w) > 1
    ]
    if not terms:
        return "Please ask a more specific question about the documentation."
    match = " OR ".join('"' + term + '"' for term in terms)
    with sqlite3.connect(context["vars"]["kb_db"]) as db:
        rows = db.execute(
            "SELECT title, section, snippet(sections, 2, '', '', ' ... ', 40) "
            "FROM sections WHERE sections MATCH ? "
            "ORDER BY bm25(sections, 8.0, 4.0, 1.0) LIMIT ?",
            (match, limit),
        ).fetchall()
    if not rows:
        return f"The documentation has nothing about {query!r}."
    lines = [f"{title} / {section}: {text.strip()}" for title, section, text in rows]
    return "From the documentation:\n" + "\n".join(lines)
