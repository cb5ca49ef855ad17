"""SpillStore: payloads written in chunks come back byte for byte, within the cap."""

from __future__ import annotations

import os

from navtalk_desktop.core.timeline.spill import _WRITE_CHUNK, SpillStore


def test_payloads_of_every_size_come_back_exactly(tmp_path: os.PathLike[str]) -> None:
    store = SpillStore(limit_bytes=8 * _WRITE_CHUNK, directory=str(tmp_path))
    sizes = [6400, 1, 0, _WRITE_CHUNK - 3, 5000, _WRITE_CHUNK + 7, 190, 2 * _WRITE_CHUNK]
    stored: list[tuple[int, bytes]] = []
    for index, size in enumerate(sizes):
        data = bytes((index + i) % 251 for i in range(size))
        offset = store.put(data)
        assert offset is not None
        stored.append((offset, data))
        # Reads work while payloads still wait in the buffer, and writing goes on after.
        assert store.get(offset, len(data)) == data
    assert store.size == sum(sizes)
    for offset, data in stored:
        assert store.get(offset, len(data)) == data
    store.close()


def test_refuses_beyond_the_cap_and_starts_over_after_clear(
    tmp_path: os.PathLike[str],
) -> None:
    store = SpillStore(limit_bytes=10_000, directory=str(tmp_path))
    assert store.put(b"a" * 6000) == 0
    assert store.put(b"b" * 6000) is None
    assert (store.refused_count, store.refused_bytes) == (1, 6000)
    store.clear()
    assert store.size == 0
    assert store.put(b"c" * 3000) == 0
    assert store.get(0, 3000) == b"c" * 3000
    store.close()
    store.close()  # idempotent
