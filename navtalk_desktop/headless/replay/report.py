"""How the client of a replay differed from the recorded client."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from navtalk_desktop.core.profile import ResultStyle


@dataclass(slots=True)
class CallReport:
    """One recorded call in the replay.

    Attributes:
        name: function name.
        recorded_id: the call id in the recording.
        replay_id: the id the client saw.
        recorded_output: what the recorded client answered (``None``: it did not).
        recorded_style: how it answered.
        recorded_latency_s: how long it took.
        output: what this client answered (``None``: it did not, within the wait).
        style: how it answered.
        latency_s: how long it took.
    """

    name: str
    recorded_id: str
    replay_id: str
    recorded_output: str | None = None
    recorded_style: ResultStyle | None = None
    recorded_latency_s: float | None = None
    output: str | None = None
    style: ResultStyle | None = None
    latency_s: float | None = None


@dataclass(slots=True)
class TurnReport:
    """A recorded user turn and what this client typed there."""

    recorded: str
    actual: str | None = None


@dataclass(slots=True)
class ReplayReport:
    """Everything the replay compares.

    Attributes:
        recorded_tools: tools the recorded client registered.
        tools: tools this client registered.
        calls: each recorded call, in order.
        turns: each recorded user turn, in order.
        unknown_outputs: outputs for call ids the replay never sent.
        recorded_duration_s: from the first to the last recorded frame.
        duration_s: how long the replay took.
        completed: every step was played (the client did not leave early).
    """

    recorded_tools: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    calls: list[CallReport] = field(default_factory=list)
    turns: list[TurnReport] = field(default_factory=list)
    unknown_outputs: list[str] = field(default_factory=list)
    recorded_duration_s: float = 0.0
    duration_s: float = 0.0
    completed: bool = False

    def differences(self) -> list[str]:
        """One line per way this client differed (empty: it behaved as recorded)."""
        found: list[str] = []
        if set(self.tools) != set(self.recorded_tools):
            missing = sorted(set(self.recorded_tools) - set(self.tools))
            extra = sorted(set(self.tools) - set(self.recorded_tools))
            found.append(
                "tools differ:"
                + (f" missing {', '.join(missing)}" if missing else "")
                + (f" extra {', '.join(extra)}" if extra else "")
            )
        for turn in self.turns:
            if turn.actual is None:
                found.append(f"the client never said {turn.recorded!r}")
            elif turn.actual != turn.recorded:
                found.append(
                    f"the client said {turn.actual!r} where the recording said {turn.recorded!r}"
                )
        for call in self.calls:
            label = f"call {call.name} ({call.replay_id}, recorded {call.recorded_id})"
            if call.output is None and call.recorded_output is not None:
                found.append(f"{label} was not answered")
            elif call.output is not None and call.recorded_output is None:
                found.append(f"{label} was answered but the recorded client never answered it")
            elif call.output != call.recorded_output:
                diff = "\n".join(
                    difflib.unified_diff(
                        (call.recorded_output or "").splitlines(),
                        (call.output or "").splitlines(),
                        fromfile="recorded output",
                        tofile="replay output",
                        lineterm="",
                    )
                )
                found.append(f"{label}: output differs\n{diff}")
            if call.style is not None and call.recorded_style not in (None, call.style):
                found.append(f"{label}: result style {call.style} (recorded {call.recorded_style})")
        found += [f"output for a call id never sent: {call_id}" for call_id in self.unknown_outputs]
        if not self.completed:
            found.append("the client left before the recording was played to its end")
        return found

    def lines(self) -> list[str]:
        """The report for the console: what matched, what differed, timing."""
        out = [
            "tools: "
            + (", ".join(self.tools) or "none")
            + (
                ""
                if set(self.tools) == set(self.recorded_tools)
                else f" (recorded: {', '.join(self.recorded_tools) or 'none'})"
            )
        ]
        for call in self.calls:
            answered = "answered" if call.output is not None else "NOT answered"
            timing = ""
            if call.latency_s is not None:
                timing = f" in {call.latency_s * 1000:.0f} ms"
                if call.recorded_latency_s is not None:
                    timing += f" (recorded {call.recorded_latency_s * 1000:.0f} ms)"
            same = ""
            if call.output is not None and call.recorded_output is not None:
                same = (
                    ", output same" if call.output == call.recorded_output else ", output DIFFERS"
                )
            style = f", {call.style}" if call.style is not None else ""
            out.append(f"call {call.name} {call.replay_id}: {answered}{timing}{style}{same}")
        out.append(
            f"timing: replay {self.duration_s:.2f} s, recording {self.recorded_duration_s:.2f} s"
        )
        differences = self.differences()
        out += [f"DIFF {line}" for line in differences]
        out.append(
            "replay: the client behaved as recorded"
            if not differences
            else f"replay: {len(differences)} difference{'s' * (len(differences) != 1)}"
        )
        return out
