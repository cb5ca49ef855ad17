"""The :class:`~navtalk_desktop.core.ports.SecretStore` port over ``keyring`` (the OS keychain)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from navtalk_desktop.core.ports import SecretStoreUnavailable
from navtalk_desktop.core.session.redact import redact

SERVICE_NAME = "navtalk-desktop"
NO_KEYCHAIN = (
    "No system keychain is available, so the license cannot be stored safely. "
    "On Linux install and unlock a Secret Service provider (Debian package gnome-keyring, "
    "or KWallet) in your desktop session; for headless runs pass the license in the "
    "NAVTALK_LICENSE environment variable instead."
)
_T = TypeVar("_T")


class KeyringSecretStore:
    """Licenses in the OS keychain: service ``navtalk-desktop``, one entry per profile name.

    keyring's calls block (D-Bus, Keychain); they run on a single worker thread owned by this
    store, never on the event loop's default executor (architecture pitfall P7), and
    :meth:`close` shuts that thread down without waiting.

    Args:
        service: keychain service name.
    """

    def __init__(self, service: str = SERVICE_NAME) -> None:
        self.service = service
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="navtalk-keyring")

    async def _call(self, func: Callable[[], _T], secret: str | None = None) -> _T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, func)
        except Exception as error:  # noqa: BLE001  (backends leak their own D-Bus/OS errors)
            raise self._unavailable(error, secret) from None

    @classmethod
    def _unavailable(cls, error: Exception, secret: str | None) -> SecretStoreUnavailable:
        """The readable form of a failed keychain call (``secret`` never in it)."""
        if isinstance(error, RuntimeError) and "shutdown" in str(error):
            return SecretStoreUnavailable("The keychain store was closed.")
        # keyring is imported by the worker on first use (not at start-up, where it
        # costs ~17 ms); by the time one of its calls failed it is loaded.
        import keyring.errors

        if isinstance(error, keyring.errors.NoKeyringError):
            return SecretStoreUnavailable(NO_KEYCHAIN)
        if isinstance(error, keyring.errors.KeyringLocked):
            return SecretStoreUnavailable(
                "The system keychain is locked; unlock it (log in to the desktop session) and try again."
            )
        if isinstance(error, keyring.errors.InitError):
            return SecretStoreUnavailable(f"{NO_KEYCHAIN} ({redact(str(error), [secret])})")
        if isinstance(error, keyring.errors.KeyringError):
            detail = redact(str(error), [secret]) or type(error).__name__
            return SecretStoreUnavailable(f"The system keychain reported an error: {detail}")
        return cls._unreachable(error, secret)

    @staticmethod
    def _unreachable(error: Exception, secret: str | None) -> SecretStoreUnavailable:
        detail = redact(str(error), [secret]) or "no details"
        return SecretStoreUnavailable(
            f"The system keychain could not be reached ({type(error).__name__}: {detail}). {NO_KEYCHAIN}"
        )

    async def get(self, key: str) -> str | None:
        """The license stored for profile ``key``, or ``None``."""
        return await self._call(functools.partial(_get_password, self.service, key))

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` as the license of profile ``key``."""
        await self._call(functools.partial(_set_password, self.service, key, value), value)

    async def delete(self, key: str) -> None:
        """Forget the license of profile ``key`` (no error when there is none)."""
        await self._call(functools.partial(self._delete, key))

    def _delete(self, key: str) -> None:
        import keyring  # on the worker thread, like every keyring call
        import keyring.errors

        # Nothing stored means the wanted state already holds.
        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            keyring.delete_password(self.service, key)

    def close(self) -> None:
        """Stop the worker thread without waiting for a stuck keychain call."""
        self._executor.shutdown(wait=False, cancel_futures=True)


# keyring is imported inside these helpers, which run on the store's worker thread: the
# import (and backend discovery) then costs neither start-up nor the event loop.
def _get_password(service: str, key: str) -> str | None:
    import keyring

    return keyring.get_password(service, key)


def _set_password(service: str, key: str, value: str) -> None:
    import keyring

    keyring.set_password(service, key, value)
