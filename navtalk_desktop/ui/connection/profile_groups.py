"""Profile settings groups of the Connection panel: protocol variants and reconnecting."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QSpinBox,
    QWidget,
)

from navtalk_desktop.core.profile import (
    ConnectionProfile,
    Provider,
    RegistrationStyle,
    ResultStyle,
)
from navtalk_desktop.core.session.reconnect import ReconnectPolicy

PROVIDER_LABELS = {
    Provider.OPENAI_REALTIME: "OpenAI Realtime",
    Provider.ELEVENLABS: "ElevenLabs (tools live in the ElevenLabs dashboard)",
}
REGISTRATION_LABELS = {
    RegistrationStyle.FUNCTION_CALL: "realtime.input_function_call (SDK default)",
    RegistrationStyle.INPUT_CONFIG: "tools inside realtime.input_config",
    RegistrationStyle.BOTH: "both",
}
RESULT_LABELS = {
    ResultStyle.FUNCTION_CALL_OUTPUT: "function_call_output + response.create (default)",
    ResultStyle.FUNCTION_CALL_OUTPUT_REPLY: "function_call_output with reply: 1",
    ResultStyle.CONVERSATION_ITEM: "conversation.item.create + response.create",
}


def _set_combo(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(0, index))


class ProtocolGroup(QGroupBox):
    """Provider, how tools are registered, how results are sent, and the answer deadline.

    Signals:
        changed(): the user changed a field.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Protocol", parent)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # In a narrow dock, labels go above their fields instead of squeezing them.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)

        def combo(name: str, labels: dict, tooltip: str) -> QComboBox:
            box = QComboBox()
            box.setObjectName(name)
            box.setToolTip(tooltip)
            for value, label in labels.items():
                box.addItem(label, value)
            box.currentIndexChanged.connect(self.changed)
            # Long option texts must not force the dock wider; the popup shows them whole.
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            box.setMinimumContentsLength(8)
            return box

        self.provider_combo = combo(
            "provider_combo",
            PROVIDER_LABELS,
            "Avatar engine. ElevenLabs avatars cannot receive tools over the API; calls that\n"
            "arrive are still shown and answered.",
        )
        form.addRow("P&rovider:", self.provider_combo)
        self.registration_combo = combo(
            "registration_combo",
            REGISTRATION_LABELS,
            "How tools are registered when the socket opens",
        )
        form.addRow("&Tools sent as:", self.registration_combo)
        self.result_combo = combo(
            "result_combo", RESULT_LABELS, "How function results are sent back"
        )
        form.addRow("Re&sults sent as:", self.result_combo)
        self.deadline_spin = QDoubleSpinBox()
        self.deadline_spin.setObjectName("deadline_spin")
        self.deadline_spin.setRange(0, 3600)
        self.deadline_spin.setDecimals(1)
        self.deadline_spin.setSuffix(" s")
        self.deadline_spin.setSpecialValueText("no deadline")
        self.deadline_spin.setToolTip(
            "A call unanswered for this long is marked overdue (0: never)"
        )
        self.deadline_spin.valueChanged.connect(self.changed)
        form.addRow("Answer &deadline:", self.deadline_spin)

    def load(self, profile: ConnectionProfile) -> None:
        """Show ``profile``'s protocol settings."""
        _set_combo(self.provider_combo, profile.provider)
        _set_combo(self.registration_combo, profile.registration)
        _set_combo(self.result_combo, profile.result_style)
        self.deadline_spin.setValue(profile.answer_deadline_s or 0.0)

    def changes(self) -> dict[str, Any]:
        """The profile fields as shown (for ``ConnectionProfile.with_changes``)."""
        deadline = self.deadline_spin.value()
        return {
            # Qt hands item data back as plain str: turn it into the enum again.
            "provider": Provider(self.provider_combo.currentData()),
            "registration": RegistrationStyle(self.registration_combo.currentData()),
            "result_style": ResultStyle(self.result_combo.currentData()),
            "answer_deadline_s": deadline if deadline > 0 else None,
        }


class ReconnectGroup(QGroupBox):
    """Automatic reconnect (backoff waits, attempts) and replaying earlier user turns.

    Signals:
        changed(): the user changed a field.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Reconnect", parent)
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.reconnect_check = QCheckBox("Reconnect automatically")
        self.reconnect_check.setObjectName("reconnect_check")
        self.reconnect_check.setToolTip(
            "Reconnect after network drops, with exponential backoff and jitter;\n"
            "never after an invalid license or insufficient balance"
        )
        self.reconnect_check.toggled.connect(self.changed)
        form.addRow(self.reconnect_check)
        self.initial_delay_spin = QDoubleSpinBox()
        self.initial_delay_spin.setObjectName("initial_delay_spin")
        self.initial_delay_spin.setRange(0, 600)
        self.initial_delay_spin.setSuffix(" s")
        self.initial_delay_spin.setToolTip("Wait before the first attempt")
        self.initial_delay_spin.valueChanged.connect(self.changed)
        form.addRow("First &wait:", self.initial_delay_spin)
        self.max_delay_spin = QDoubleSpinBox()
        self.max_delay_spin.setObjectName("max_delay_spin")
        self.max_delay_spin.setRange(0, 3600)
        self.max_delay_spin.setSuffix(" s")
        self.max_delay_spin.setToolTip("Longest wait between attempts")
        self.max_delay_spin.valueChanged.connect(self.changed)
        form.addRow("Longest w&ait:", self.max_delay_spin)
        self.attempts_spin = QSpinBox()
        self.attempts_spin.setObjectName("attempts_spin")
        self.attempts_spin.setRange(0, 1000)
        self.attempts_spin.setSpecialValueText("unlimited")
        self.attempts_spin.setToolTip("Give up after this many failed attempts in a row (0: never)")
        self.attempts_spin.valueChanged.connect(self.changed)
        form.addRow("Attem&pts:", self.attempts_spin)
        self.replay_check = QCheckBox("Replay earlier user turns")
        self.replay_check.setObjectName("replay_check")
        self.replay_check.setToolTip(
            "After a reconnect, send the user's earlier turns as history so the avatar\n"
            "keeps the context"
        )
        self.replay_check.toggled.connect(self.changed)
        form.addRow(self.replay_check)

    def load(self, profile: ConnectionProfile) -> None:
        """Show ``profile``'s reconnect settings."""
        self.reconnect_check.setChecked(profile.reconnect.enabled)
        self.initial_delay_spin.setValue(profile.reconnect.initial_delay_s)
        self.max_delay_spin.setValue(profile.reconnect.max_delay_s)
        self.attempts_spin.setValue(profile.reconnect.max_attempts)
        self.replay_check.setChecked(profile.replay_history)

    def changes(self, base: ReconnectPolicy) -> dict[str, Any]:
        """The profile fields as shown; backoff shape not shown here comes from ``base``."""
        reconnect = ReconnectPolicy(
            enabled=self.reconnect_check.isChecked(),
            initial_delay_s=self.initial_delay_spin.value(),
            max_delay_s=max(self.max_delay_spin.value(), self.initial_delay_spin.value()),
            multiplier=base.multiplier,
            jitter=base.jitter,
            max_attempts=self.attempts_spin.value(),
        )
        return {"reconnect": reconnect, "replay_history": self.replay_check.isChecked()}


__all__ = [
    "PROVIDER_LABELS",
    "REGISTRATION_LABELS",
    "RESULT_LABELS",
    "ProtocolGroup",
    "ReconnectGroup",
]
