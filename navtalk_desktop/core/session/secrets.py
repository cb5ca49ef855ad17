"""Licenses for a run: the keychain, plus licenses kept in memory for this run only."""

from __future__ import annotations

from navtalk_desktop.core.ports import SecretStore, SecretStoreUnavailable

# The built-in simulator accepts any non-empty license; this one never leaves the process.
SIMULATOR_LICENSE = "sk_navtalk_local_simulator"


class SessionSecrets:
    """The app's secret store plus licenses kept in memory for this run only.

    Used when there is no keychain and the user chose "use for this session only": the
    license then lives in this object and nowhere else (never a file).
    """

    def __init__(self, store: SecretStore | None) -> None:
        self._store = store
        self._memory: dict[str, str] = {}

    def remember(self, key: str, value: str | None) -> None:
        """Keep ``value`` for ``key`` in memory (None forgets it)."""
        if value:
            self._memory[key] = value
        else:
            self._memory.pop(key, None)

    def in_memory(self, key: str) -> bool:
        """Whether ``key`` has a memory-only license."""
        return key in self._memory

    def memory_values(self) -> list[str]:
        """Every memory-only license (for redaction)."""
        return list(self._memory.values())

    async def get(self, key: str) -> str | None:
        """The memory-only license, else the keychain's (may raise SecretStoreUnavailable)."""
        if key in self._memory:
            return self._memory[key]
        if self._store is None:
            raise SecretStoreUnavailable("no keychain is configured")
        return await self._store.get(key)

    async def set(self, key: str, value: str) -> None:
        """Store in the keychain (raises SecretStoreUnavailable when there is none)."""
        if self._store is None:
            raise SecretStoreUnavailable("no keychain is configured")
        await self._store.set(key, value)
        self._memory.pop(key, None)

    async def delete(self, key: str) -> None:
        """Forget ``key`` in memory and in the keychain."""
        self._memory.pop(key, None)
        if self._store is None:
            return
        await self._store.delete(key)
