"""Example script responder: sales figures from the example SQLite database, with real SQL.

The example orders are dated relative to the day the database was built; before each query the
dates are moved forward so "today" always has data.
"""

import datetime
import sqlite3
from typing import Any

PERIODS = ("today", "yesterday", "this_week", "this_month")


def _roll_forward(db: sqlite3.Connection) -> datetime.date:
    today = datetime.date.today()
    (built,) = db.execute("SELECT value FROM meta WHERE key = 'dates_relative_to'").fetchone()
    shift = (today - datetime.date.fromisoformat(built)).days
    if shift:
        db.execute("UPDATE orders SET ordered_at = datetime(ordered_at, ?)", (f"{shift:+d} days",))
        db.execute(
            "UPDATE meta SET value = ? WHERE key = 'dates_relative_to'", (today.isoformat(),)
        )
    return today


def _bounds(period: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    if period == "today":
        return today, today
    if period == "yesterday":
        day = today - datetime.timedelta(days=1)
        return day, day
    if period == "this_week":
        return today - datetime.timedelta(days=today.weekday()), today
    return today.replace(day=1), today


def _money(value: float) -> str:
    return f"${value:,.2f}"


def respond(arguments: dict[str, Any], context: dict[str, Any]) -> str:
    period = arguments.get("period", "today")
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
    region = (arguments.get("region") or "").strip()
    with sqlite3.connect(context["vars"]["sales_db"]) as db:
        today = _roll_forward(db)
        start, end = _bounds(period, today)
        where = "date(o.ordered_at) BETWEEN ? AND ?"
        params = [start.isoformat(), end.isoformat()]
        if region:
            known = [r for (r,) in db.execute("SELECT DISTINCT region FROM orders ORDER BY region")]
            if region.lower() not in (r.lower() for r in known):
                return f"There is no region {region!r}; regions are {', '.join(known)}."
            where += " AND o.region = ? COLLATE NOCASE"
            params.append(region)
        orders, units, revenue = db.execute(
            "SELECT count(*), coalesce(sum(o.quantity), 0), coalesce(sum(o.quantity * p.price), 0) "
            f"FROM orders o JOIN products p ON p.sku = o.sku WHERE {where}",
            params,
        ).fetchone()
        top = db.execute(
            "SELECT p.name, sum(o.quantity), sum(o.quantity * p.price) AS revenue "
            f"FROM orders o JOIN products p ON p.sku = o.sku WHERE {where} "
            "GROUP BY p.name ORDER BY revenue DESC LIMIT 3",
            params,
        ).fetchall()
        regions = db.execute(
            "SELECT o.region, sum(o.quantity * p.price) AS revenue "
            f"FROM orders o JOIN products p ON p.sku = o.sku WHERE {where} "
            "GROUP BY o.region ORDER BY revenue DESC",
            params,
        ).fetchall()
    label = period.replace("_", " ")
    span = start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"
    scope = f" in {region}" if region else ""
    if not orders:
        return f"No sales {label}{scope} ({span})."
    lines = [
        f"Sales {label}{scope} ({span}): {orders} orders, {units} units, revenue {_money(revenue)}."
    ]
    lines.append(
        "Top products: "
        + "; ".join(f"{name} {_money(rev)} ({qty} units)" for name, qty, rev in top)
        + "."
    )
    if not region:
        lines.append(
            "By region: " + "; ".join(f"{name} {_money(rev)}" for name, rev in regions) + "."
        )
    return "\n".join(lines)
