"""Builds the example SQLite databases from the bundled markdown, JSON and SQL files."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path


def build_knowledge_base(db_path: Path, docs_dir: Path) -> int:
    """Index every ``*.md`` file by ``##`` section in an FTS5 table; returns the section count.

    Each row holds the document title (its ``#`` heading), the section heading and the section
    text. The porter tokenizer lets "integrate" find "Integrating".
    """
    rows: list[tuple[str, str, str, str]] = []
    for path in sorted(docs_dir.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        title_match = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        title = title_match.group(1).strip() if title_match else path.stem
        parts = re.split(r"^##\s+(.+)$", text, flags=re.MULTILINE)
        intro = re.sub(r"^#\s+.+$", "", parts[0], flags=re.MULTILINE).strip()
        if intro:
            rows.append((title, "Overview", " ".join(intro.split()), path.name))
        for heading, body in zip(parts[1::2], parts[2::2], strict=True):
            rows.append((title, heading.strip(), " ".join(body.split()), path.name))
    temp = db_path.with_name(db_path.name + ".building")
    temp.unlink(missing_ok=True)
    with sqlite3.connect(temp) as db:
        db.execute(
            "CREATE VIRTUAL TABLE sections USING fts5("
            "title, section, body, file UNINDEXED, tokenize = 'porter unicode61')"
        )
        db.executemany("INSERT INTO sections VALUES (?, ?, ?, ?)", rows)
    db.close()
    temp.replace(db_path)
    return len(rows)


def build_sales(db_path: Path, data_file: Path, today: dt.date | None = None) -> int:
    """Create the sales database from the bundled JSON; returns the number of orders."""
    data = json.loads(data_file.read_text(encoding="utf-8"))
    day = today or dt.date.today()
    temp = db_path.with_name(db_path.name + ".building")
    temp.unlink(missing_ok=True)
    with sqlite3.connect(temp) as db:
        db.executescript(
            """
            CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT NOT NULL,
                                   category TEXT NOT NULL, price REAL NOT NULL);
            CREATE TABLE orders (id INTEGER PRIMARY KEY, ordered_at TEXT NOT NULL,
                                 sku TEXT NOT NULL REFERENCES products(sku),
                                 region TEXT NOT NULL, quantity INTEGER NOT NULL);
            CREATE INDEX orders_day ON orders (ordered_at);
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """
        )
        db.executemany(
            "INSERT INTO products VALUES (?, ?, ?, ?)",
            [(p["sku"], p["name"], p["category"], p["price"]) for p in data["products"]],
        )
        db.executemany(
            "INSERT INTO orders (ordered_at, sku, region, quantity) VALUES (?, ?, ?, ?)",
            [
                (
                    f"{(day - dt.timedelta(days=o['days_ago'])).isoformat()} {o['time']}:00",
                    o["sku"],
                    o["region"],
                    o["quantity"],
                )
                for o in data["orders"]
            ],
        )
        db.execute("INSERT INTO meta VALUES ('dates_relative_to', ?)", (day.isoformat(),))
    db.close()
    temp.replace(db_path)
    return len(data["orders"])


def build_crm(db_path: Path, sql_file: Path) -> None:
    """Create the CRM database from the bundled SQL script."""
    temp = db_path.with_name(db_path.name + ".building")
    temp.unlink(missing_ok=True)
    with sqlite3.connect(temp) as db:
        db.executescript(sql_file.read_text(encoding="utf-8"))
    db.close()
    temp.replace(db_path)


def list_customers(db_path: Path) -> list[dict[str, object]]:
    """Every CRM customer with their status and last change (for the CRM service)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT name, email, company, status, updated_at FROM customers ORDER BY name"
        ).fetchall()
    db.close()
    return [dict(row) for row in rows]
