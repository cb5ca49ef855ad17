"""What the command line asks the workbench to open at start-up.

The connection profile (``--profile``, ``--url``), the tool set (``--tools`` or a FILE)
and a session recording (a FILE). Whatever cannot be opened becomes a start-up note
shown once the window is up; the app starts anyway.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from navtalk_desktop.core.profile import LOCAL_SIMULATOR, ConnectionProfile, profile_for_url
from navtalk_desktop.core.settings import AppSettings
from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.core.tools.templates import new_entry
from navtalk_desktop.core.tools.toolset import ToolSet
from navtalk_desktop.infra import paths
from navtalk_desktop.infra.toolset_file import OpenedToolFile, ToolSetFileStore, open_tool_file

log = logging.getLogger(__name__)

DEFAULT_TOOLSET_FILE = "tools.json"
COMMAND_LINE_PROFILE = "Command line"
# What FILE arguments may be: a tool set opens in the editor, a recording in the timeline.
TOOLSET_SUFFIX = ".json"
RECORDING_SUFFIX = ".jsonl"

# A note for the user: (level, text), as the window's notifications take them.
Note = tuple[str, str]


class StartupRequest:
    """Reads the command line's profile, tool set and recording, collecting start-up notes.

    Attributes:
        notes: problems and news to show once the window is up (shared with the caller).
        transient_profiles: names of profiles made for this run only (never saved).
        tools_failure: why the tool set asked for could not be opened, if it could not
            (``--connect`` then does not connect with other tools than asked).
    """

    def __init__(self, notes: list[Note]) -> None:
        self.notes = notes
        self.transient_profiles: set[str] = set()
        self.tools_failure: str | None = None

    def sort_files(self, args: argparse.Namespace) -> tuple[Path | None, Path | None]:
        """Split FILE arguments into the tool set and the recording to open.

        Unknown, missing and surplus files become start-up notes; the app starts anyway.
        """
        toolsets: list[Path] = [args.tools] if args.tools is not None else []
        recordings: list[Path] = []
        for path in getattr(args, "files", None) or []:
            suffix = path.suffix.lower()
            if not path.is_file():
                what = "a folder" if path.is_dir() else "no such file"
                self.notes.append(("error", f"Cannot open {path}: {what}."))
            elif suffix == TOOLSET_SUFFIX:
                toolsets.append(path)
            elif suffix == RECORDING_SUFFIX:
                recordings.append(path)
            else:
                self.notes.append(
                    (
                        "error",
                        f"Cannot open {path.name}: expected a tool set ({TOOLSET_SUFFIX}) or "
                        f"a session recording ({RECORDING_SUFFIX}).",
                    )
                )
        for kind, found in (("tool set", toolsets), ("session recording", recordings)):
            if len(found) > 1:
                skipped = ", ".join(p.name for p in found[1:])
                self.notes.append(
                    (
                        "warning",
                        f"One {kind} opens at a time: opened {found[0].name}, not {skipped}.",
                    )
                )
        return (toolsets[0] if toolsets else None), (recordings[0] if recordings else None)

    def choose_profile(
        self, settings: AppSettings, profiles: list[ConnectionProfile], args: argparse.Namespace
    ) -> ConnectionProfile:
        wanted = args.profile or settings.active_profile or LOCAL_SIMULATOR
        profile = next((p for p in profiles if p.name == wanted), None)
        if profile is None:
            if args.profile:
                known = ", ".join(p.name for p in profiles)
                self.notes.append(
                    ("error", f"There is no profile called “{args.profile}” (known: {known}).")
                )
            profile = settings.active()
            if all(p.name != profile.name for p in profiles):
                profiles.insert(0, profile)
        if args.url:
            # A URL on the command line is a one-off target: it gets its own profile (the
            # chosen one's settings) that is not saved; a license in it moves to memory
            # (never to disk: the workbench keeps it for the session).
            try:
                profile, _license = profile_for_url(
                    args.url, name=COMMAND_LINE_PROFILE, base=profile
                )
            except ValueError as error:
                self.notes.append(("error", f"--url ignored: {error}"))
            else:
                profiles[:] = [p for p in profiles if p.name != COMMAND_LINE_PROFILE]
                profiles.insert(0, profile)
                self.transient_profiles.add(COMMAND_LINE_PROFILE)
        return profile

    async def open_toolset(
        self, path: Path | None, run_blocking: Callable[[Callable[[], Any]], Awaitable[Any]]
    ) -> ToolSetEditor:
        """The tool editor on ``path`` (``--tools`` / a FILE argument) or the default file.

        ``path`` opens in every format ``respond --tools`` accepts (the same loader): a tool
        set, or a tools array that is imported (then the editor has no file yet, so a save
        asks for a name instead of overwriting the array). When it cannot be opened the
        reason is shown and logged, :attr:`tools_failure` is set (so ``--connect`` does not
        connect with other tools than asked) and the default tool set opens instead.
        """
        store = ToolSetFileStore()
        default_path = paths.data_dir() / DEFAULT_TOOLSET_FILE
        target: Path | None = default_path
        toolset: ToolSet | None = None
        if path is not None:
            try:
                opened = await run_blocking(lambda: open_tool_file(path))
            except Exception as error:  # noqa: BLE001  (reported; the app starts anyway)
                reason = error.strerror if isinstance(error, OSError) and error.strerror else error
                self.tools_failure = f"Could not open the tool set {path}: {reason}"
                log.error("%s", self.tools_failure)
                self.notes.append(("error", self.tools_failure))
            else:
                toolset = opened.toolset
                target = path
                if opened.imported:
                    target = None
                    self._note_import(path, opened)
        if toolset is None and default_path.exists():
            try:
                toolset = await run_blocking(lambda: store.load(default_path))
            except Exception as error:  # noqa: BLE001  (reported; the app starts anyway)
                self.notes.append(("error", f"Could not open the tool set {default_path}: {error}"))
        if toolset is None:
            toolset = ToolSet(
                name="My tools",
                description="Tools registered with NavTalk when you connect.",
                tools=(new_entry("function_call_judge"),),
            )
        return ToolSetEditor(
            toolset,
            path=target,
            store=store,
            recovery_path=paths.data_dir() / "tools.recovered.json",
        )

    def _note_import(self, path: Path, opened: OpenedToolFile) -> None:
        count = len(opened.toolset.tools)
        text = (
            f"Imported {count} tool{'s' * (count != 1)} from {path.name} ({opened.format.label}); "
            "every call is answered by hand until you add responders. Save stores them as a "
            "tool set under a new name; the file itself is not changed."
        )
        log.info("%s", text)
        self.notes.append(("info", text))
        for dropped in opened.dropped:
            self.notes.append(("warning", f"{path.name}: ignored {dropped}"))
