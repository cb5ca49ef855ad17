"""Where the workbench's responders find their scripts and the user's script trust.

Dispatchers and the test-call runner keep their factory for a long time while the open
document can change (Examples menu, Open…): relative script paths resolve against the
file open when a call arrives. The trust is read only when first asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from navtalk_desktop.core.responders.factory import ResponderFactory

if TYPE_CHECKING:
    from navtalk_desktop.infra.toolset_file import ScriptTrustFile


class LazyScriptTrust:
    """The app's script trust, read the first time a script's trust is asked or given.

    It is the user's trust file plus the bundled example scripts at their installed
    place (path and content): reading
    and hashing those files (and importing the examples package) is work the first screen
    does not need, while the session's dispatcher, built with the bridge, holds the trust
    from the start. Safe to use from the engine thread as well as the GUI thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trust: ScriptTrustFile | None = None

    def _loaded(self) -> ScriptTrustFile:
        with self._lock:
            if self._trust is None:
                from navtalk_desktop.examples.environment import default_script_trust

                self._trust = default_script_trust()
            return self._trust

    def is_trusted(self, path: Path) -> bool:
        """Whether the file's current content was trusted (or is a bundled example's)."""
        return self._loaded().is_trusted(path)

    def trust(self, path: Path) -> str:
        """Trust the file's current content; returns its hash. Raises OSError."""
        return self._loaded().trust(path)


class DocumentResponderFactory(ResponderFactory):
    """A responder factory whose script folder follows the open tool set document.

    Dispatchers and the test-call runner keep their factory for a long time, while the
    document can change (Examples menu): relative script paths must resolve against the
    file that is open when a call arrives.
    """

    def __init__(self, folder: Callable[[], Path | None], **kwargs: Any) -> None:
        self._folder = folder
        super().__init__(**kwargs)

    @property
    def base_dir(self) -> Path | None:
        """The open tool set file's folder."""
        return self._folder()

    @base_dir.setter
    def base_dir(self, value: Path | None) -> None:
        del value  # always derived from the open document
