"""Opening a session's connection: the license to use, tool registration, reading a close."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from navtalk_desktop.core.ports import SecretStoreUnavailable, TransportClosed
from navtalk_desktop.core.profile import Provider, RegistrationStyle
from navtalk_desktop.core.session import outgoing
from navtalk_desktop.core.session.reconnect import INSUFFICIENT_POINTS, classify_close
from navtalk_desktop.core.session.state import (
    ELEVENLABS_TOOLS_NOTE,
    ENTER_LICENSE_FIRST,
    SessionEnd,
    SessionError,
)

if TYPE_CHECKING:
    from navtalk_desktop.core.session.session import Session

logger = logging.getLogger("navtalk_desktop.core.session.session")


async def find_license(session: Session) -> str:
    """The license to connect with: given, else the keychain's (readable errors)."""
    if session._license_override:
        return session._license_override
    if session._secrets is None:
        raise SessionError(
            f"No license for profile {session.profile.name!r}: there is no keychain and none was given"
        )
    try:
        value = await session._secrets.get(session.profile.name)
    except SecretStoreUnavailable as error:
        # Most likely no license was typed yet: say that plainly. The keychain's own
        # (long) explanation goes to the log; the connection panel shows it too.
        logger.info("no license: the keychain is unavailable (%s)", error.message)
        raise SessionError(
            f"{ENTER_LICENSE_FIRST} (no system keychain is available to read a saved one; "
            "a license you type is used for this session only)"
        ) from None
    if not value:
        raise SessionError(
            f"No license stored for profile {session.profile.name!r}; add it in the connection settings"
        )
    return value


async def register(session: Session) -> None:
    """Send the configuration and tool registration frames the profile asks for."""
    tools = [tool.to_realtime() for tool in session._tools]
    profile = session.profile
    if profile.provider is Provider.ELEVENLABS and tools:
        session._warn(ELEVENLABS_TOOLS_NOTE)
        tools = []
    send_tools = bool(tools)
    in_config = send_tools and profile.registration in (
        RegistrationStyle.INPUT_CONFIG,
        RegistrationStyle.BOTH,
    )
    separate = send_tools and profile.registration in (
        RegistrationStyle.FUNCTION_CALL,
        RegistrationStyle.BOTH,
    )
    async with session._send_lock:
        if profile.voice or profile.prompt or in_config:
            await session._send(
                outgoing.input_config(profile.voice, profile.prompt, tools if in_config else None)
            )
        if separate:
            await session._send(outgoing.input_function_call(tools))


def read_close(session: Session, closed: TransportClosed) -> SessionEnd:
    """How the server's close of the socket ended the connection (message redacted)."""
    kind = classify_close(closed.code, closed.reason)
    reason = session._redact(closed.reason)
    if INSUFFICIENT_POINTS.lower() in reason.lower():
        message = f"Out of credit: the server closed the connection ({reason})"
    elif session._stopping:
        message = "Disconnected"
    else:
        detail = f"code {closed.code}" + (f", {reason}" if reason else "")
        message = f"The connection was closed ({detail})"
    return SessionEnd(kind, message, f"close {closed.code}")
