"""``respond``'s consent: which flags a tool file needs before its scripts and webhooks run.

There is nobody to ask in CI, so consent is given on the command line: ``--trust-scripts``
runs the tool file's scripts, ``--allow-host HOST`` (repeatable) or ``--allow-any-host``
lets webhooks send call data to hosts other than loopback. A run that would need a flag
it was not given stops before connecting (exit 2) and lists, per tool, which flag is
missing: a CI job fails at once with the fix in its log, instead of answering calls with
errors that are easy to miss.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from navtalk_desktop.core.tools.consent import (
    HostAllowList,
    HostRule,
    pending_consent,
    reach_of,
)
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra.toolset_file import ScriptTrustFile

HOW_TO_ALLOW = "pass --allow-host HOST (or --allow-any-host) to respond"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The consent options of ``respond`` (``--trust-scripts`` included)."""
    parser.add_argument(
        "--trust-scripts",
        action="store_true",
        help="run the script responders of this tool file for this run (you trust these files)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="let webhooks send call data to HOST (host, host:port or scheme://host:port; "
        "repeatable). Loopback hosts are always allowed",
    )
    parser.add_argument(
        "--allow-any-host",
        action="store_true",
        help="let webhooks send call data to any host",
    )


def host_policy(args: argparse.Namespace) -> HostAllowList:
    """The hosts this run may contact.

    Raises:
        ValueError: an ``--allow-host`` value that is not a host (the message names it).
    """
    allowed = HostAllowList(allow_any=args.allow_any_host, how_to_allow=HOW_TO_ALLOW)
    rules = []
    for text in args.allow_host:
        try:
            rules.append(HostRule.parse(text))
        except ValueError as exc:
            raise ValueError(f"--allow-host {text!r}: {exc}") from None
    allowed.allow(rules)
    return allowed


def check(
    toolset: ToolSet,
    base_dir: Path,
    trust: ScriptTrustFile,
    hosts: HostAllowList,
    *,
    trust_scripts: bool,
) -> tuple[list[str], list[str]]:
    """Trust the scripts if asked, and say what is still missing.

    Returns:
        ``(missing, notes)``: one line per tool and step that needs a flag it was not
        given; notes about webhooks whose host is known only per call.
    """
    reach = reach_of(toolset, base_dir, enabled_only=True)
    if trust_scripts:
        for path in reach.script_paths:
            with contextlib.suppress(OSError):  # a missing file fails clearly per call
                trust.trust_for_session(path)
    pending = pending_consent(reach, script_trusted=trust.is_trusted, host_allowed=hosts.allows)
    missing: list[str] = []
    notes: list[str] = []
    for use in reach.scripts:
        if use.path not in pending.scripts:
            continue
        if use.path.is_file():
            missing.append(
                f"tool {use.tool}: script {use.path}:{use.function} runs code on this machine"
                " — pass --trust-scripts"
            )
        else:
            notes.append(f"tool {use.tool}: script {use.path} does not exist; its calls fail")
    for hook in reach.webhooks:
        if hook.origin is not None and hook.origin in pending.origins:
            missing.append(
                f"tool {hook.tool}: webhook {hook.method} {hook.url} sends call data to "
                f"{hook.origin} — pass --allow-host {hook.origin.host} (or --allow-any-host)"
            )
    notes += [
        f"tool {hook.tool}: webhook {hook.method} {hook.url} picks its host per call; only "
        "loopback hosts and --allow-host hosts will be contacted"
        for hook in reach.unknown_hosts
        if not hosts.allow_any
    ]
    return missing, notes
