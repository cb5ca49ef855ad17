"""Which local addresses the simulator's WebRTC peer offers as ICE host candidates.

aioice (aiortc's ICE agent) gathers host candidates from ``aioice.ice.get_host_addresses``,
which deliberately skips ``127.0.0.1``. NavTalk's web clients ignore server-trickled
candidates, so the candidates must sit inside the offer; on a loopback-only machine (CI
containers, a laptop with Wi-Fi off) aioice would offer none and ICE could never connect.

aioice has no option for this, so :func:`loopback_candidates` wraps that one module-level
function. The wrapper only changes anything inside the ``with`` block (a context variable,
so concurrent peers of other code in the same process, e.g. the app's own WebRTC peer, still
get aioice's plain answer): there it returns ``127.0.0.1`` first, then the interface
addresses aioice would have offered (a browser on another interface can still connect).
aiortc gathers inside ``setLocalDescription`` in the calling task, so wrapping that call
is enough. The app's own peer wraps the same function the same way
(``infra/webrtc/ice_addresses.py``; the layers forbid sharing it): each wrapper calls the
one it found, and each acts only inside its own context variable, so they compose in
either import order.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator

LOOPBACK = "127.0.0.1"

_active: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "navtalk_sim_loopback", default=False
)
_install_lock = threading.Lock()
_installed = False


def _wrap(original: Callable[..., list[str]]) -> Callable[..., list[str]]:
    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        addresses = list(original(use_ipv4=use_ipv4, use_ipv6=use_ipv6))
        if _active.get() and use_ipv4 and LOOPBACK not in addresses:
            addresses.insert(0, LOOPBACK)
        return addresses

    get_host_addresses.__wrapped__ = original  # type: ignore[attr-defined]
    return get_host_addresses


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        import aioice.ice

        aioice.ice.get_host_addresses = _wrap(aioice.ice.get_host_addresses)
        _installed = True


@contextlib.contextmanager
def loopback_candidates() -> Iterator[None]:
    """Within the block, ICE gathering in this task also offers ``127.0.0.1``."""
    _install()
    token = _active.set(True)
    try:
        yield
    finally:
        _active.reset(token)
