"""Command-line entry point: ``navtalk-desktop [gui|simulate|respond] …``.

Without a sub-command the desktop app starts (``gui`` is implied), so
``navtalk-desktop --connect --auto`` works as users expect. Each sub-command's module
is imported lazily: ``simulate`` and ``respond`` must not pay for importing Qt.
``--install-desktop-entry`` / ``--uninstall-desktop-entry`` add the menu entry, icons and
file types for a pip-installed app (the standalone bundle has ``install.sh`` for that).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap
from collections.abc import Sequence
from typing import Any, NoReturn, Protocol


class _SubcommandModule(Protocol):
    """What a sub-command module provides."""

    def configure_parser(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


# name -> (module path, one-line help). Modules are imported only when chosen.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("navtalk_desktop.app", "start the desktop app (the default)"),
    "simulate": ("navtalk_desktop.simulator.cli", "run the built-in NavTalk simulator"),
    "respond": (
        "navtalk_desktop.headless.respond",
        "connect headless and answer function calls automatically (for CI)",
    ),
    "test": (
        "navtalk_desktop.headless.regression_cli",
        "run test suites (*.navtests.json), JUnit output",
    ),
    "replay": (
        "navtalk_desktop.headless.replay.cli",
        "serve a recorded session's server side to a client",
    ),
}


# Environment variables each sub-command reads, shown in its --help (and in the README).
_ENV_DATA_HOME = (
    "NAVTALK_DESKTOP_HOME",
    "keep settings, data and logs in DIR/config, DIR/data, DIR/logs instead of the XDG folders",
)
ENVIRONMENT: dict[str, tuple[tuple[str, str], ...]] = {
    "gui": (
        (
            "NAVTALK_LOG_LEVEL",
            "log level: DEBUG, INFO (default), WARNING, ERROR; started from the menu "
            "(--from-menu) only warnings reach standard error, the log file keeps the rest",
        ),
        ("NAVTALK_THEME", "force the colour scheme: system (default), light or dark"),
        ("NAVTALK_LICENSE", "license for --url connections to NavTalk (never stored)"),
        _ENV_DATA_HOME,
    ),
    "simulate": (("NAVTALK_LOG_LEVEL", "log level (default INFO)"),),
    "respond": (
        ("NAVTALK_LICENSE", "license for the NavTalk connection (never stored or logged)"),
        ("NAVTALK_LOG_LEVEL", "log level (default WARNING)"),
        _ENV_DATA_HOME,
    ),
    "test": (
        ("NAVTALK_LICENSE", "license for --url conversation tests (never stored or logged)"),
        ("NAVTALK_LOG_LEVEL", "log level (default WARNING)"),
        _ENV_DATA_HOME,
    ),
    "replay": (("NAVTALK_LOG_LEVEL", "log level (default WARNING)"),),
}


def environment_help(command: str) -> str:
    """The ``environment variables:`` block of ``command``'s help."""
    lines = [
        textwrap.fill(text, 79, initial_indent=f"  {name:<22}", subsequent_indent=" " * 24)
        for name, text in ENVIRONMENT[command]
    ]
    return "environment variables:\n" + "\n".join(lines)


class _DesktopEntryAction(argparse.Action):
    """``--install-desktop-entry`` / ``--uninstall-desktop-entry``: run, then exit."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> NoReturn:
        from navtalk_desktop.infra import desktop_entry

        try:
            if option_string == "--uninstall-desktop-entry":
                removed = desktop_entry.uninstall()
                sys.stdout.write(f"removed {len(removed)} files from {desktop_entry.data_home()}\n")
            else:
                installed = desktop_entry.install()
                sys.stdout.write(
                    f"installed the menu entry, icons and file types ({len(installed)} files) "
                    f"into {desktop_entry.data_home()}\n"
                )
        except OSError as error:
            parser.exit(1, f"navtalk-desktop: {error}\n")
        parser.exit()


class _VersionAction(argparse.Action):
    """``--version``: like argparse's, but the version is read only when asked for.

    Reading it can load the package metadata machinery (~20 ms), which every start of
    the desktop app would otherwise pay before its window is shown.
    """

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any):
        kwargs.setdefault("help", "show program's version number and exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> NoReturn:
        from navtalk_desktop import __version__

        # Where argparse's own version action prints it: standard output.
        sys.stdout.write(f"navtalk-desktop {__version__}\n")
        sys.stdout.flush()
        parser.exit()


def _load(name: str) -> _SubcommandModule:
    # A module object satisfies the Protocol structurally; mypy sees ModuleType as Any here.
    module: _SubcommandModule = importlib.import_module(SUBCOMMANDS[name][0])
    return module


_GLOBAL_FLAGS = {
    "-h",
    "--help",
    "--version",
    "--install-desktop-entry",
    "--uninstall-desktop-entry",
}


def _with_default_command(argv: Sequence[str]) -> list[str]:
    """Insert ``gui`` when the first argument is not a sub-command or a global flag."""
    args = list(argv)
    if args and (args[0] in SUBCOMMANDS or args[0] in _GLOBAL_FLAGS):
        return args
    return ["gui", *args]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the chosen sub-command."""
    raw = sys.argv[1:] if argv is None else argv
    args = _with_default_command(raw)
    # Only the chosen module is imported for real; the parser needs each module's options,
    # so build it lazily: first the chosen command, which is all argparse will look at.
    chosen = args[0] if args and args[0] in SUBCOMMANDS else None
    epilog = (
        "sub-commands (each has its own --help, e.g. navtalk-desktop gui --help):\n"
        + "\n".join(f"  {name:<10} {help_text}" for name, (_m, help_text) in SUBCOMMANDS.items())
        + "\n\n"
        + environment_help("gui").replace("environment variables:", "environment variables (gui):")
    )
    parser = argparse.ArgumentParser(
        prog="navtalk-desktop",
        description="Define, watch and answer NavTalk function calls.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument(
        "--install-desktop-entry",
        action=_DesktopEntryAction,
        help="install the menu entry, icons and file types for this user "
        "($XDG_DATA_HOME, default ~/.local/share) and exit",
    )
    parser.add_argument(
        "--uninstall-desktop-entry",
        action=_DesktopEntryAction,
        help="remove what --install-desktop-entry installed and exit",
    )
    if chosen is None:
        parser.parse_args(args)  # prints help or version and exits
        return 0
    sub = parser.add_subparsers(dest="command", required=True)
    module = _load(chosen)
    sub_parser = sub.add_parser(
        chosen,
        help=SUBCOMMANDS[chosen][1],
        description=SUBCOMMANDS[chosen][1][:1].upper() + SUBCOMMANDS[chosen][1][1:] + ".",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    module.configure_parser(sub_parser)
    # Raw formatting keeps the variables' table; a module's own epilog is wrapped here.
    own = textwrap.fill(sub_parser.epilog, 79) + "\n\n" if sub_parser.epilog else ""
    sub_parser.epilog = own + environment_help(chosen)
    # The chosen command's own parser reads its arguments, intermixed: FILE arguments may
    # follow options (``a.json --connect b.jsonl``), which the top-level parser's
    # sub-command handling cannot parse.
    namespace = sub_parser.parse_intermixed_args(args[1:])
    namespace.command = chosen
    return module.run(namespace)
