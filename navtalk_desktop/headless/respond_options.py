"""The options of ``navtalk-desktop respond`` (the command itself: :mod:`.respond`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from navtalk_desktop.core.profile import RegistrationStyle, ResultStyle
from navtalk_desktop.headless import consent as headless_consent
from navtalk_desktop.headless.cli_support import positive_float, positive_int

LICENSE_ENV = "NAVTALK_LICENSE"
# ``--tools example:use-cases`` / ``example:judge`` use the bundled examples (and start their services).
EXAMPLE_PREFIX = "example:"

__all__ = ["EXAMPLE_PREFIX", "LICENSE_ENV", "configure_parser"]


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Options of ``navtalk-desktop respond``."""
    parser.description = (
        "Connect headless, register the tools of a tool file and answer every function call "
        "with the responders configured there (a tool without an automatic responder gets an "
        f"explicit error output). The license comes from ${LICENSE_ENV} or the keychain entry of "
        "--profile."
    )
    parser.add_argument("--url", required=True, help="realtime WebSocket URL (ws:// or wss://)")
    parser.add_argument(
        "--tools",
        required=True,
        type=Path,
        metavar="FILE",
        help="tool set file, a tools array in any importable format, or example:use-cases / example:judge",
    )
    parser.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="write the session as JSON Lines while it runs (license redacted; a crash "
        "leaves every entry but the last fraction of a second)",
    )
    parser.add_argument(
        "--save-media",
        type=Path,
        metavar="DIR",
        help="answer the avatar's WebRTC offer and save its voice (WAV) and video (MP4) in DIR",
    )
    parser.add_argument(
        "--max-calls", type=positive_int, metavar="N", help="stop after N calls were handled"
    )
    parser.add_argument("--duration", type=positive_float, metavar="S", help="stop after S seconds")
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="settings profile (avatar, provider, styles) and keychain entry of the license",
    )
    parser.add_argument(
        "--say",
        action="append",
        default=[],
        metavar="TEXT",
        help="type TEXT as a user turn once connected (repeatable; sent in order)",
    )
    parser.add_argument(
        "--avatar",
        metavar="NAME",
        help="avatar name (default navtalk.Emily unless the URL or profile names one)",
    )
    parser.add_argument("--avatar-id", metavar="ID", help="avatar id (wins over --avatar)")
    parser.add_argument(
        "--result-style",
        choices=[s.value for s in ResultStyle],
        help="how results are sent (default: the profile's, else function_call_output)",
    )
    parser.add_argument(
        "--registration",
        choices=[s.value for s in RegistrationStyle],
        help="how tools are registered (default: the profile's, else input_function_call)",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a tool set variable (vars.NAME in templates; repeatable)",
    )
    parser.add_argument(
        "--examples",
        action="store_true",
        help="start the bundled example services and fill in their variables",
    )
    headless_consent.add_arguments(parser)  # --trust-scripts, --allow-host, --allow-any-host
    parser.add_argument(
        "--turn-timeout",
        type=positive_float,
        default=30.0,
        metavar="S",
        help="longest wait for the avatar's reply to a --say turn (default %(default)s)",
    )
    parser.add_argument(
        "--connect-timeout",
        type=positive_float,
        default=15.0,
        metavar="S",
        help="longest wait until the session is ready (default %(default)s)",
    )
