"""Keeping a never-saved tool set before another one replaces it in the editor."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from navtalk_desktop.core.tools.editor import ToolSetEditor
from navtalk_desktop.infra import paths
from navtalk_desktop.infra.toolset_file import TOOLSET_SUFFIX

# How long the "kept as …" note stays: long enough to read the file name.
KEPT_NOTE_MS = 15_000


def keep_unsaved(editor: ToolSetEditor, notify: Callable[..., object]) -> Path | None:
    """Save a never-saved set under a unique name in ``<data>/unsaved/``.

    Args:
        editor: the editor whose tool set has no file yet.
        notify: shows the user where it was kept (``notify(text, level, timeout_ms=…)``).

    Returns:
        Where it was kept, or None when saving failed (the editor told the user why).
    """
    stamp = time.strftime("%Y-%m-%d %H-%M-%S")
    name = re.sub(r"[^\w. -]+", "_", editor.toolset.name or "Untitled").strip() or "Untitled"
    folder = paths.data_dir() / "unsaved"
    target = folder / f"{name} {stamp}{TOOLSET_SUFFIX}"
    counter = 1
    while target.exists():  # two replacements within one second
        counter += 1
        target = folder / f"{name} {stamp} ({counter}){TOOLSET_SUFFIX}"
    if not editor.save(target):
        return None  # SAVE_FAILED already told the user why
    notify(
        f"Your unsaved tool set “{editor.toolset.name}” was kept as {target} "
        "(Open… brings it back).",
        "info",
        timeout_ms=KEPT_NOTE_MS,
    )
    return target
