"""What a consumer of the event stream keeps: the calls as of the last event about each.

Qt-free, so the desktop GUI (same process or another) and tests share it. Only the thread
that applies the events reads it.
"""

from __future__ import annotations

from collections.abc import Iterator

from navtalk_desktop.core.calls.book import CallState
from navtalk_desktop.core.engine.events import CallSnapshot

__all__ = ["CallReplica"]


class CallReplica:
    """Every call of the current session as its latest :class:`CallSnapshot`, by key.

    Lookups mirror :class:`~navtalk_desktop.core.calls.book.CallBook`: by key, or by call
    id (the oldest call with that id still open, else the latest).
    """

    def __init__(self) -> None:
        self._calls: dict[str, CallSnapshot] = {}
        self._by_call_id: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def __iter__(self) -> Iterator[CallSnapshot]:
        return iter(list(self._calls.values()))

    def __contains__(self, key: object) -> bool:
        return key in self._calls or key in self._by_call_id

    def put(self, call: CallSnapshot) -> None:
        """Keep ``call`` as the latest state of its key."""
        if call.key not in self._calls and call.call_id:
            self._by_call_id.setdefault(call.call_id, []).append(call.key)
        self._calls[call.key] = call

    def get(self, key_or_call_id: str) -> CallSnapshot | None:
        """The call with this key; or, for a call id used several times, the oldest one
        still open (else the latest)."""
        call = self._calls.get(key_or_call_id)
        if call is not None and not (
            call.state.is_final and len(self._by_call_id.get(call.call_id, ())) > 1
        ):
            return call
        keys = self._by_call_id.get(key_or_call_id)
        if not keys:
            return call
        candidates = [self._calls[key] for key in keys]
        for candidate in candidates:
            if candidate.state.is_open:
                return candidate
        return candidates[-1]

    def with_call_id(self, call_id: str) -> list[CallSnapshot]:
        """Every call received with ``call_id``."""
        return [self._calls[key] for key in self._by_call_id.get(call_id, ())]

    def open_calls(self) -> list[CallSnapshot]:
        """Calls still waiting for an answer."""
        return [call for call in self._calls.values() if call.state.is_open]

    def by_state(self, state: CallState) -> list[CallSnapshot]:
        """Calls currently in ``state``."""
        return [call for call in self._calls.values() if call.state is state]

    def clear(self) -> None:
        """Forget every call (a new session)."""
        self._calls.clear()
        self._by_call_id.clear()
