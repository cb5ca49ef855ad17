"""Simulator configuration: timings, licenses, faults, load mode, scenario rules."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from navtalk_desktop.simulator.faults import FaultSpec
from navtalk_desktop.simulator.load import LoadSpec
from navtalk_desktop.simulator.roster import DEFAULT_ROSTER, Avatar
from navtalk_desktop.simulator.scenario import Scenario
from navtalk_desktop.simulator.timings import Timings

SpeechEngine = Literal["auto", "espeak", "tone"]


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """How the simulator behaves; one instance serves every connection.

    Attributes:
        timings: latencies; ``Timings.fast()`` for tests.
        licenses: accepted license keys; empty accepts any non-empty license.
        max_connections_per_license: more sockets per license get
            ``connection_limit_exceeded`` (NavTalk's documented example is 5).
        roster: avatars served by REST and accepted on the socket.
        scenario: regex rules and phrases of the deterministic brain.
        faults: faults injected into every session (per-connection ones come from the
            ``fault`` URL query parameter).
        arguments_as_string: send ``data.arguments`` as a JSON string (documented variant)
            instead of an object (what the service sends today).
        emit_argument_deltas: also send ``function_call_arguments.delta`` events.
        emit_response_completed: also send the undocumented ``realtime.response.completed``.
        finish_cancelled_responses: after a barge-in, still send ``audio.done`` and
            ``audio_transcript.done`` with the partial text (real behaviour undocumented).
        fail_close_code: close code after ``conversation.connected.fail``.
        compression: offer permessage-deflate (off: the frames are mostly base64 audio,
            which barely compresses, and deflate would make the simulator the bottleneck).
        speech: ``auto`` uses espeak-ng when installed, else a voiced tone.
        load: load mode for every session (``None``: normal conversation).
        log_path: JSON Lines file receiving the session log (``None``: memory only).
        log_audio: keep audio payloads in the log (otherwise replaced by their length).
        log_capacity: entries kept in memory.
        seed: seed of the per-session random generators (latencies, ids). ``None``
            (default): a fresh seed per server, so session, call, response and item ids
            differ between runs; a number (``--seed``, a scenario's ``seed``) makes every
            run repeat them.
        media: answer WebRTC with real media (a drawn face and the spoken voice over an
            aiortc peer); off sends canned SDPs through which nothing flows (``--no-media``,
            pure protocol tests). A connection may override it with ``media=0|1`` in its URL.
    """

    timings: Timings = field(default_factory=Timings)
    licenses: frozenset[str] = frozenset()
    max_connections_per_license: int = 5
    roster: tuple[Avatar, ...] = DEFAULT_ROSTER
    scenario: Scenario = field(default_factory=Scenario)
    faults: tuple[FaultSpec, ...] = ()
    arguments_as_string: bool = False
    emit_argument_deltas: bool = False
    emit_response_completed: bool = False
    finish_cancelled_responses: bool = True
    fail_close_code: int = 1008
    compression: bool = False
    speech: SpeechEngine = "auto"
    load: LoadSpec | None = None
    log_path: Path | None = None
    log_audio: bool = False
    log_capacity: int = 100_000
    seed: int | None = None
    media: bool = True

    @classmethod
    def fast(cls) -> SimulatorConfig:
        """:meth:`Timings.fast`, the tone voice and no media: quick protocol tests.

        A test that wants media adds ``media=1`` to its URL or replaces ``media``.
        """
        return cls(timings=Timings.fast(), speech="tone", media=False)

    def with_scenario(self, scenario: Scenario) -> SimulatorConfig:
        """This configuration with a scenario's rules, faults and overrides applied."""
        config = replace(self, scenario=scenario, faults=self.faults + scenario.faults)
        if scenario.timings is not None:
            config = replace(config, timings=scenario.timings)
        if scenario.arguments_as_string is not None:
            config = replace(config, arguments_as_string=scenario.arguments_as_string)
        if scenario.load is not None:
            config = replace(config, load=scenario.load)
        if scenario.seed is not None:
            config = replace(config, seed=scenario.seed)
        return config

    def accepts_license(self, license_key: str | None) -> bool:
        """Whether ``license_key`` may connect: listed, or any non-empty key when none are."""
        if not license_key:
            return False
        return not self.licenses or license_key in self.licenses
