"""Where the desktop app runs its engine: a thread of the GUI process, or a child process.

Both designs stay selectable so both stay measurable (``python3 dev.py bench --engine
thread``): the ``--engine`` option of the app, else the ``NAVTALK_ENGINE`` environment
variable, else :data:`DEFAULT_DESIGN`.
"""

from __future__ import annotations

import os
from enum import StrEnum

__all__ = ["DEFAULT_DESIGN", "ENGINE_ENV", "EngineDesign", "chosen_design"]

ENGINE_ENV = "NAVTALK_ENGINE"


class EngineDesign(StrEnum):
    """Where the engine runs."""

    THREAD = "thread"
    """A worker thread of the GUI process (``ThreadHost``)."""
    PROCESS = "process"
    """A child process (``ProcessHost``)."""


DEFAULT_DESIGN = EngineDesign.PROCESS
"""The app's default: B3 (answer p99 with the GUI running ≤ 2x the bare bot) holds only
with the engine out of the GUI's interpreter (figures in docs/architecture.md)."""


def chosen_design(option: str | None = None) -> EngineDesign:
    """The design asked for by ``option`` (the command line), the environment, or the default.

    Raises:
        ValueError: the option or the variable names no design.
    """
    for value, source in ((option, "--engine"), (os.environ.get(ENGINE_ENV), ENGINE_ENV)):
        if value:
            try:
                return EngineDesign(value.strip().lower())
            except ValueError:
                names = ", ".join(design.value for design in EngineDesign)
                raise ValueError(f"{source}: {value!r} is not one of {names}") from None
    return DEFAULT_DESIGN
