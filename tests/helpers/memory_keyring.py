"""An in-memory keyring backend for tests, so no test touches a developer's real keychain.

Kept in test code only: merely defining a ``KeyringBackend`` subclass makes keyring
consider it during auto-selection (architecture reference 3.6).
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Stores passwords in a dict; ``priority`` is low so it is never auto-selected."""

    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.passwords[(service, username)]
        except KeyError as error:
            raise PasswordDeleteError(username) from error
