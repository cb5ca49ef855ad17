"""Soak workload run in a child process by ``test_soak.py``.

Runs >= 200,000 qasync callbacks and >= 100,000 single-row model inserts (each a
``beginInsertRows``/``endInsertRows`` pair, plus a signal emit) in one interpreter.
On PySide6 6.12.0 with Python 3.11 each pair drops ``None``'s reference count
(architecture reference P14) and the interpreter aborts with "deallocating None";
the refcount check below reports the drift even before the abort.

Exit codes: 0 ok, 3 refcount drift detected.
"""

from __future__ import annotations

import asyncio
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QApplication, QTableView

CALLBACKS = int(os.environ.get("SOAK_CALLBACKS", "200000"))
INSERTS = int(os.environ.get("SOAK_INSERTS", "100000"))
Index = QModelIndex | QPersistentModelIndex


class Rows(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[int] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return str(self.rows[index.row()] * (index.column() + 1))

    def append(self, value: int) -> None:
        row = len(self.rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self.rows.append(value)
        self.endInsertRows()


class Pinger(QObject):
    pinged = Signal(int)


async def workload(model: Rows, view: QTableView) -> tuple[int, int]:
    loop = asyncio.get_running_loop()
    done = 0
    finished = loop.create_future()

    def callback() -> None:
        nonlocal done
        done += 1
        if done == CALLBACKS:
            finished.set_result(None)

    # Schedule in chunks so the Qt event loop also turns over between them.
    for start in range(0, CALLBACKS, 5000):
        for _ in range(min(5000, CALLBACKS - start)):
            loop.call_soon(callback)
        await asyncio.sleep(0)
    await finished
    pinger = Pinger()
    received: list[int] = []
    pinger.pinged.connect(received.append)
    for i in range(INSERTS):
        model.append(i)
        pinger.pinged.emit(i)
        if i % 10000 == 0:
            view.scrollToBottom()
            await asyncio.sleep(0)
    assert len(received) == INSERTS
    return done, model.rowCount()


def main() -> int:
    app = QApplication(sys.argv[:1])
    model = Rows()
    view = QTableView()
    view.setModel(model)
    view.resize(400, 300)
    view.show()
    none_before = sys.getrefcount(None)
    true_before = sys.getrefcount(True)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        callbacks, rows = runner.run(workload(model, view))
    none_after = sys.getrefcount(None)
    true_after = sys.getrefcount(True)
    print(f"callbacks={callbacks} rows={rows}")
    print(f"refcount None {none_before}->{none_after} True {true_before}->{true_after}")
    # Immortal objects (3.12+) report a huge constant; on 3.11 a healthy run stays close.
    drift = (none_before - none_after) + (true_before - true_after)
    if drift > INSERTS // 2:
        print(f"refcount drift of {drift}: PySide6 refcount bug (P14)", file=sys.stderr)
        return 3
    view.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
