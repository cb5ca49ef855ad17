"""Remembered consents for tool sets, in the config folder next to the script trust file.

One entry per tool set file (by real path): the digest of what the user agreed to and the
hosts agreed to. A changed tool set has another digest, so it asks again. A damaged file
means "nothing remembered": the safe direction.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from navtalk_desktop.core.tools.consent import ConsentRecord, HostRule, Origin
from navtalk_desktop.infra import paths
from navtalk_desktop.infra.atomic_file import atomic_write_text


class ConsentFile:
    """A :class:`~navtalk_desktop.core.tools.consent.ConsentStore` in a JSON file.

    Args:
        path: the file (default ``<config>/toolset-consent.json``).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / "toolset-consent.json"

    def _entries(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        entries = data.get("consents", []) if isinstance(data, dict) else []
        return [
            e
            for e in entries
            if isinstance(e, dict)
            and isinstance(e.get("path"), str)
            and isinstance(e.get("digest"), str)
            and isinstance(e.get("hosts", []), list)
        ]

    def remembered(self, toolset_path: Path) -> ConsentRecord | None:
        """The consent given for this file, if any."""
        real = _real_path(toolset_path)
        for entry in self._entries():
            if entry["path"] == real:
                origins: list[Origin] = []
                for text in entry.get("hosts", []):
                    try:
                        rule = HostRule.parse(str(text))
                    except ValueError:
                        continue  # a damaged host is simply not allowed
                    if rule.port is not None and rule.scheme is not None:
                        origins.append(Origin(rule.scheme, rule.host, rule.port))
                return ConsentRecord(entry["digest"], tuple(origins))
        return None

    def remember(self, toolset_path: Path, record: ConsentRecord) -> None:
        """Remember ``record`` for this file (replacing its previous consent).

        Raises:
            OSError: the config folder is not writable.
        """
        real = _real_path(toolset_path)
        entries = [e for e in self._entries() if e["path"] != real]
        entries.append(
            {
                "path": real,
                "digest": record.digest,
                "hosts": [str(origin) for origin in record.origins],
                "agreed_at": time.time(),
            }
        )
        text = json.dumps({"schema_version": 1, "consents": entries}, indent=2) + "\n"
        atomic_write_text(self.path, text)


def _real_path(path: Path) -> str:
    return str(Path(path).expanduser().resolve())
