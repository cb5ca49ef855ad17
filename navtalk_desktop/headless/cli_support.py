"""What the headless sub-commands (``respond``, ``test``, ``replay``) share on the command line.

Each prints results on stdout and problems on stderr prefixed with its own name, reads
``NAVTALK_LOG_LEVEL`` for its log level, and validates counts and durations the same way.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def configure_logging() -> None:
    """Log to stderr at ``NAVTALK_LOG_LEVEL`` (default WARNING); websockets stays quiet."""
    logging.basicConfig(
        level=os.environ.get("NAVTALK_LOG_LEVEL", "WARNING"), format=LOG_FORMAT, stream=sys.stderr
    )
    # Its per-frame debug lines would drown ours, and may carry the license in URLs.
    logging.getLogger("websockets").setLevel(logging.WARNING)


def positive_int(text: str) -> int:
    """An ``argparse`` type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def positive_float(text: str) -> float:
    """An ``argparse`` type: a number greater than 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def command_output(command: str) -> tuple[Callable[[str], None], Callable[[str], None]]:
    """``(err, out)`` for one sub-command: flushed lines, so CI logs interleave correctly.

    Args:
        command: the sub-command's name, as in ``navtalk-desktop respond: <problem>``.
    """

    def err(message: str) -> None:
        sys.stderr.write(f"navtalk-desktop {command}: {message}\n")
        sys.stderr.flush()

    def out(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    return err, out
