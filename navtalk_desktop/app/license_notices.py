"""Help → Licenses: the third-party notices the app shows."""

from __future__ import annotations

import asyncio

from navtalk_desktop.core.licenses import LicenseNotice


async def load_license_notices() -> list[LicenseNotice]:
    """The bundle's collected notices, or the installed distributions'."""
    # Imported when asked: importlib.metadata is start-up time the first screen does not need.
    from navtalk_desktop.infra import licenses

    return await asyncio.to_thread(licenses.available_notices)
