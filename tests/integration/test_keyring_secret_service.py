"""KeyringSecretStore against a real Secret Service (gnome-keyring on a private D-Bus)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from navtalk_desktop.core.ports import SecretStoreUnavailable
from navtalk_desktop.infra.keyring_store import SERVICE_NAME, KeyringSecretStore

LICENSE = "sk_navtalk_RealKeychain55"


def _require(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.skip(f"{binary} not found: install the Debian package {package}")
    return path


_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={runtime}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def _default_collection_ready(secretstorage: Any) -> bool:
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import Proxy

    connection = secretstorage.dbus_init()
    try:
        owned = Proxy(message_bus, connection).NameHasOwner("org.freedesktop.secrets")[0] == 1
        if not owned:
            return False
        try:
            return not secretstorage.Collection(connection).is_locked()
        except secretstorage.exceptions.SecretStorageException:
            return False  # the login collection is not there yet
    finally:
        connection.close()


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A private session bus with an unlocked gnome-keyring; keyring uses it explicitly."""
    dbus_daemon = _require("dbus-daemon", "dbus-daemon")
    gnome_keyring = _require("gnome-keyring-daemon", "gnome-keyring")
    secretstorage = pytest.importorskip("secretstorage")
    from keyring.backends import SecretService

    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    # A bus with no service directories: nothing is ever D-Bus-activated, so a call that
    # races our daemon's start-up cannot spawn a second gnome-keyring (which would find
    # the half-written login keyring and need a GUI prompt to make a new one).
    config = tmp_path / "bus.conf"
    config.write_text(_BUS_CONFIG.format(runtime=runtime), encoding="utf-8")
    env = {
        **os.environ,
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "HOME": str(tmp_path / "home"),
    }
    bus = subprocess.Popen(
        [dbus_daemon, f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    daemon: subprocess.Popen[bytes] | None = None
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        assert address.startswith("unix:"), address
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        daemon = subprocess.Popen(
            [gnome_keyring, "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert daemon.stdin is not None
        daemon.stdin.write(b"test-keyring-password")
        daemon.stdin.close()
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        # The daemon gives no readiness signal on stdout in --foreground mode: ask the bus
        # until it owns the name *and* serves an unlocked default collection.
        # (secretstorage.check_service_availability is not enough: it also says yes when
        # the name is merely activatable.)
        deadline = time.monotonic() + 30  # generous: a loaded machine starts it slowly
        while not _default_collection_ready(secretstorage):
            if time.monotonic() > deadline or daemon.poll() is not None:
                pytest.fail("gnome-keyring-daemon did not provide the Secret Service")
            time.sleep(0.05)
        previous = keyring.get_keyring()
        keyring.set_keyring(SecretService.Keyring())
        try:
            yield
        finally:
            keyring.set_keyring(previous)
    finally:
        for process in (daemon, bus):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
        if bus.stdout is not None:
            bus.stdout.close()


@pytest.mark.keychain
@pytest.mark.asyncio
async def test_license_round_trip_in_real_secret_service(secret_service: None) -> None:
    store = KeyringSecretStore()
    try:
        await store.set("Prod", LICENSE)
        assert await store.get("Prod") == LICENSE
        assert keyring.get_password(SERVICE_NAME, "Prod") == LICENSE  # a stable, visible entry
        await store.delete("Prod")
        assert await store.get("Prod") is None
        await store.delete("Prod")
    finally:
        store.close()


@pytest.mark.keychain
@pytest.mark.asyncio
async def test_missing_secret_service_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("secretstorage")
    from keyring.backends import SecretService

    # A bus address where nothing listens: the backend cannot reach any Secret Service.
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    previous = keyring.get_keyring()
    keyring.set_keyring(SecretService.Keyring())
    store = KeyringSecretStore()
    try:
        with pytest.raises(SecretStoreUnavailable) as info:
            await store.set("Prod", LICENSE)
        assert LICENSE not in info.value.message
        assert "gnome-keyring" in info.value.message
    finally:
        keyring.set_keyring(previous)
        store.close()
