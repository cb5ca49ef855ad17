"""Which local addresses aioice gathers host candidates on, per task.

aioice never offers 127.0.0.1 (``aioice.ice.get_host_addresses`` skips loopback), so two
peers on a loopback-only machine — the app and the built-in simulator in CI — would have
no candidate pair at all. :func:`host_addresses` sets, for the current task and the tasks
it starts, the exact address list aioice uses; outside such a block aioice behaves as
shipped. A context variable, not a global switch, so one peer's choice never leaks into
another peer running on the same loop.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import aioice.ice

_CHOSEN: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "navtalk_ice_host_addresses", default=None
)
_original = aioice.ice.get_host_addresses


def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    chosen = _CHOSEN.get()
    if chosen is None:
        return _original(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
    return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]


def _install() -> None:
    # Idempotent: importing this module twice (or reloading it) must not stack wrappers.
    if getattr(aioice.ice.get_host_addresses, "__navtalk__", False):
        return
    setattr(_get_host_addresses, "__navtalk__", True)  # noqa: B010  (marks our wrapper)
    aioice.ice.get_host_addresses = _get_host_addresses


_install()


@contextmanager
def host_addresses(addresses: Sequence[str] | None) -> Iterator[None]:
    """Gather host candidates only on ``addresses`` inside the block (``None``: aioice's own)."""
    token = _CHOSEN.set(tuple(addresses) if addresses is not None else None)
    try:
        yield
    finally:
        _CHOSEN.reset(token)


def is_loopback(address: str) -> bool:
    """127.0.0.0/8 or ::1."""
    return address.startswith("127.") or address == "::1"
