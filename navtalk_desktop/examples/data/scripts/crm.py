"""Example script responder: change a customer's status in the example CRM (SQLite).

The change is stored, with a history row, so it is still there after the call (the example CRM
service shows it at ``/customers``).
"""

import sqlite3
from typing import Any

STATUSES = ("active", "lead", "vip", "inactive")


def respond(arguments: dict[str, Any], context: dict[str, Any]) -> str:
    wanted = str(arguments.get("customer_name", "")).strip()
    status = arguments.get("status", "active")
    note = str(arguments.get("note", "") or "")
    if not wanted:
        raise ValueError("customer_name is empty")
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; use one of {', '.join(STATUSES)}")
    with sqlite3.connect(context["vars"]["crm_db"]) as db:
        rows = db.execute(
            "SELECT id, name, status FROM customers "
            "WHERE lower(name) = lower(?) OR lower(name) LIKE lower(?) || ' %' "
            "OR lower(name) LIKE '% ' || lower(?) ORDER BY name",
            (wanted, wanted, wanted),
        ).fetchall()
        if not rows:
            known = ", ".join(
                name for (name,) in db.execute("SELECT name FROM customers ORDER BY name")
            )
            raise LookupError(f"no customer named {wanted!r} (customers: {known})")
        if len(rows) > 1:
            names = ", ".join(name for _id, name, _status in rows)
            return f"Several customers match {wanted!r}: {names}. Which one do you mean?"
        customer_id, name, old = rows[0]
        if old == status:
            return f"{name} is already {status}; nothing changed."
        db.execute(
            "UPDATE customers SET status = ?, updated_at = datetime('now') WHERE id = ?",
            (status, customer_id),
        )
        db.execute(
            "INSERT INTO status_history (customer_id, old_status, new_status, note) VALUES (?, ?, ?, ?)",
            (customer_id, old, status, note),
        )
    return f"Updated {name}: status changed from {old} to {status}."
