"""License notices shown in Help → Licenses: a plain data model, no I/O.

Collecting them is I/O (installed distributions' metadata, or the ``licenses/`` folder of
the standalone bundle) and lives in :mod:`navtalk_desktop.infra.licenses`; the app hands
the UI a :data:`NoticeLoader` that does it off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LicenseText:
    """One license file of a component.

    Attributes:
        name: file name as the component ships it (``LICENSE``, ``COPYING`` …).
        text: its content.
    """

    name: str
    text: str


@dataclass(frozen=True, slots=True)
class LicenseNotice:
    """The license of one component: the app itself, Python, Qt or a Python package.

    Attributes:
        name: distribution or component name (``navtalk-desktop``, ``aiohttp``, ``Python``).
        version: its version ("" when unknown).
        license: SPDX expression or license name as its metadata states it ("" if none).
        texts: the license files; empty when none could be found (shown as a warning).
    """

    name: str
    version: str
    license: str
    texts: tuple[LicenseText, ...] = ()

    @property
    def title(self) -> str:
        """``name version — license`` for lists."""
        head = f"{self.name} {self.version}".strip()
        return f"{head} — {self.license}" if self.license else head

    def full_text(self) -> str:
        """Every license file, each under a header line naming it."""
        if not self.texts:
            return f"No license text was found for {self.name}. License: {self.license or '?'}"
        parts = [f"==== {text.name} ====\n\n{text.text.rstrip()}\n" for text in self.texts]
        return "\n".join(parts)


NoticeLoader = Callable[[], Awaitable[list[LicenseNotice]]]
"""Returns the notices to show, the project's own first (reading them is I/O: awaitable)."""


def combined_notices(notices: list[LicenseNotice]) -> str:
    """One plain-text document of every notice (``THIRD_PARTY_NOTICES.txt``)."""
    sections = []
    for notice in notices:
        rule = "=" * 78
        sections.append(f"{rule}\n{notice.title}\n{rule}\n\n{notice.full_text()}\n")
    return "\n".join(sections)
