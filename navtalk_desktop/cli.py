"""Command-line entry point: ``navtalk-desktop [gui|simulate|respond] …``.

Without a sub-command the desktop app starts (``gui`` is implied), so
``navtalk-desktop --connect --auto`` works as users expect. Each sub-command's module
is imported lazily: ``simulate`` and ``respond`` must not pay for importing Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys
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
        "navtalk_desktop.headless",
        "connect headless and answer function calls automatically (for CI)",
    ),
}


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


def _with_default_command(argv: Sequence[str]) -> list[str]:
    """Insert ``gui`` when the first argument is not a sub-command or a global flag."""
    args = list(argv)
    if args and (args[0] in SUBCOMMANDS or args[0] in {"-h", "--help", "--version"}):
        return args
    return ["gui", *args]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the chosen sub-command."""
    raw = sys.argv[1:] if argv is None else argv
    args = _with_default_command(raw)
    # Only the chosen module is imported for real; the parser needs each module's options,
    # so build it lazily: first the chosen command, which is all argparse will look at.
    chosen = args[0] if args and args[0] in SUBCOMMANDS else None
    epilog = "sub-commands:\n" + "\n".join(
        f"  {name:<10} {help_text}" for name, (_m, help_text) in SUBCOMMANDS.items()
    )
    parser = argparse.ArgumentParser(
        prog="navtalk-desktop",
        description="Define, watch and answer NavTalk function calls.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction)
    if chosen is None:
        parser.parse_args(args)  # prints help or version and exits
        return 0
    sub = parser.add_subparsers(dest="command", required=True)
    module = _load(chosen)
    sub_parser = sub.add_parser(chosen, help=SUBCOMMANDS[chosen][1])
    module.configure_parser(sub_parser)
    # The chosen command's own parser reads its arguments, intermixed: FILE arguments may
    # follow options (``a.json --connect b.jsonl``), which the top-level parser's
    # sub-command handling cannot parse.
    namespace = sub_parser.parse_intermixed_args(args[1:])
    namespace.command = chosen
    return module.run(namespace)
