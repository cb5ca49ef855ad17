"""KeyringSecretStore on the in-memory backend, and the no-keychain explanation."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail

from navtalk_desktop.core.ports import SecretStore, SecretStoreUnavailable
from navtalk_desktop.infra.keyring_store import SERVICE_NAME, KeyringSecretStore
from tests.helpers.memory_keyring import MemoryKeyring

LICENSE = "sk_navtalk_KeyringSecret9"


@pytest.mark.asyncio
async def test_get_set_delete_one_entry_per_profile(memory_keyring: MemoryKeyring) -> None:
    store = KeyringSecretStore()
    assert isinstance(store, SecretStore)
    try:
        assert await store.get("Prod") is None
        await store.set("Prod", LICENSE)
        await store.set("Staging", "other")
        assert await store.get("Prod") == LICENSE
        assert memory_keyring.passwords == {
            (SERVICE_NAME, "Prod"): LICENSE,
            (SERVICE_NAME, "Staging"): "other",
        }
        await store.delete("Prod")
        await store.delete("Prod")  # absent: no error
        assert await store.get("Prod") is None
    finally:
        store.close()


@pytest.mark.asyncio
async def test_no_keychain_is_explained() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    store = KeyringSecretStore()
    try:
        with pytest.raises(SecretStoreUnavailable) as info:
            await store.set("Prod", LICENSE)
        assert "gnome-keyring" in info.value.message
        assert "NAVTALK_LICENSE" in info.value.message
        assert LICENSE not in str(info.value)
        with pytest.raises(SecretStoreUnavailable):
            await store.get("Prod")
    finally:
        keyring.set_keyring(previous)
        store.close()


@pytest.mark.asyncio
async def test_closed_store_reports_unavailable() -> None:
    store = KeyringSecretStore()
    store.close()
    with pytest.raises(SecretStoreUnavailable, match="closed"):
        await store.get("Prod")
