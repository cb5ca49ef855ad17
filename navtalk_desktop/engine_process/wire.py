"""What crosses the pipe between the GUI process and the engine's child process.

One duplex socket (``socket.socketpair``) carries pickled messages, each written whole
with :class:`multiprocessing.connection.Connection` (a length prefix, then the pickle):

GUI → child: :class:`Hello` first, then engine commands (unchanged
:class:`~navtalk_desktop.core.engine.commands.EngineCommand` instances), :class:`PortUpdate`
and :class:`PortReply` messages, and finally :class:`Stop`.

Child → GUI: event batches (a ``tuple`` of events, one message per batch, in order),
:class:`PortCall` requests, :class:`LogLine` records, and :class:`Closed` after an orderly
stop.

Only the two sides of :mod:`~navtalk_desktop.engine_process` use these types. Secrets
(licenses) may cross inside a :class:`PortReply` or a ``SetSessionLicense`` command, only in
memory: nothing here is written to a file, and ``repr`` never shows them.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import TYPE_CHECKING, Any

from navtalk_desktop.core.engine.events import FramesAppended
from navtalk_desktop.core.timeline.timeline import Direction, TimelineEntry
from navtalk_desktop.core.tools.consent import HostRule

if TYPE_CHECKING:
    from navtalk_desktop.engine_process.recipe import EngineRecipe

__all__ = [
    "Closed",
    "Hello",
    "LogLine",
    "PortCall",
    "PortReply",
    "PortUpdate",
    "Stop",
    "boot_code",
    "log_levels",
    "package_root",
]


@dataclass(frozen=True, slots=True)
class Hello:
    """The first message to the child: how to build its engine.

    Attributes:
        recipe: builds the engine and its ports in the child.
        log_levels: ``(logger name, level)`` of the GUI process's root logger (``""``) and
            the app's own (``navtalk_desktop``): the child logs what the GUI would.
    """

    recipe: EngineRecipe
    log_levels: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class PortUpdate:
    """The GUI's state of a port mirrored in the child changed.

    Attributes:
        document_folder: the open tool set file's folder (relative script paths).
        allowed_hosts: every host rule webhooks may contact besides loopback, the whole
            list each time.
    """

    document_folder: Path | None
    allowed_hosts: tuple[HostRule, ...]


@dataclass(frozen=True, slots=True)
class PortCall:
    """The child asks a port that lives in the GUI process (e.g. the keychain).

    Attributes:
        call_id: echoed by the :class:`PortReply`.
        port: which port (``"secrets"``).
        method: the method's name (``"get"``, ``"set"``, ``"delete"``).
        args: its positional arguments (values hidden from ``repr``).
    """

    call_id: int
    port: str
    method: str
    args: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True, slots=True)
class PortReply:
    """The GUI's answer to a :class:`PortCall`.

    Attributes:
        call_id: the call's id.
        value: what the method returned (hidden from ``repr``: may be a license).
        error: ``None``, or ``(kind, message)``; ``kind`` ``"unavailable"`` is the port's
            documented failure (e.g. no keychain), anything else a bug on the GUI side.
    """

    call_id: int
    value: str | None = field(default=None, repr=False)
    error: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class LogLine:
    """A log record of the child (already redacted there), re-logged by the GUI process."""

    level: int
    logger: str
    message: str


@dataclass(frozen=True, slots=True)
class Stop:
    """GUI → child: shut the engine down in order, send what it reports, then exit."""


@dataclass(frozen=True, slots=True)
class Closed:
    """Child → GUI: the engine was shut down after :class:`Stop`; nothing follows."""


def boot_code() -> str:
    """``python -c`` code that runs the child on the socket whose descriptor is argv[1]
    (argv[2]: :func:`package_root`).

    ``-c`` rather than ``-m``: the bundled app's executable understands ``-c`` (see
    ``packaging/navtalk_desktop_main.py``), and it imports nothing before the child.
    """
    return (
        "import sys\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from navtalk_desktop.engine_process.child import main\n"
        "sys.exit(main(int(sys.argv[1])))\n"
    )


def package_root() -> str:
    """The folder holding the ``navtalk_desktop`` package (argv[2] of the child): the child
    imports the same code as the GUI, installed or not, whatever its working folder."""
    import navtalk_desktop

    return str(Path(navtalk_desktop.__file__).resolve().parent.parent)


# ---------------------------------------------------------------------------- frames
# Most of the stream is FramesAppended. Pickled as they are, their rows cost ~8 µs each
# way (a named tuple and an enum per row: a class lookup and a call each); as columns of
# plain values they cost ~1 µs. Registered for the connection's pickler only.
_DIRECTIONS = {direction.value: direction for direction in Direction}
_DIRECTION = TimelineEntry._fields.index("direction")
# tuple.__new__ straight: what TimelineEntry._make does, without its Python-level call.
_new_entry = functools.partial(tuple.__new__, TimelineEntry)


def _frames_columns(event: FramesAppended) -> tuple[Any, ...]:
    if not event.rows:
        return (_frames_from_columns, (event.first_row, (), event.fold_keys))
    columns = list(zip(*event.rows, strict=True))
    columns[_DIRECTION] = tuple(direction.value for direction in columns[_DIRECTION])
    return (_frames_from_columns, (event.first_row, tuple(columns), event.fold_keys))


def _frames_from_columns(
    first_row: int, columns: tuple[tuple[Any, ...], ...], fold_keys: tuple[str | None, ...]
) -> FramesAppended:
    if not columns:
        return FramesAppended(first_row, (), fold_keys)
    values = list(columns)
    values[_DIRECTION] = tuple(map(_DIRECTIONS.__getitem__, values[_DIRECTION]))
    rows = tuple(map(_new_entry, zip(*values, strict=True)))
    return FramesAppended(first_row, rows, fold_keys)


ForkingPickler.register(FramesAppended, _frames_columns)


def log_levels() -> tuple[tuple[str, int], ...]:
    """The GUI process's levels for :attr:`Hello.log_levels`."""
    return tuple(
        (name, logging.getLogger(name).getEffectiveLevel()) for name in ("", "navtalk_desktop")
    )
