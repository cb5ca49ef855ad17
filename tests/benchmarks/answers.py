"""The answering side of B3: the benchmark's tool and the app's share of the latency.

Qt-free, so the engine-only run (:func:`tests.benchmarks.engine.engine_answer`)
measures the same tool without loading PySide6.
"""

from __future__ import annotations

import json

from navtalk_desktop.core.responders.config import ResponderChain, ResponderStep, StaticConfig
from navtalk_desktop.core.timeline.timeline import Direction, Timeline
from navtalk_desktop.core.tools.definition import ToolDefinition
from navtalk_desktop.core.tools.toolset import ToolEntry, ToolSet
from tests.benchmarks.baselines import STATIC_OUTPUT
from tests.benchmarks.measure import CALL_TYPE


def benchmark_toolset() -> ToolSet:
    """The tool the load mode calls, answered by a static responder."""
    tool = ToolDefinition(
        name="function_call_judge",
        description="Judge the user's input (benchmark tool).",
        parameters={
            "type": "object",
            "properties": {"userInput": {"type": "string", "description": "What the user said"}},
            "required": ["userInput"],
        },
    )
    chain = ResponderChain(steps=(ResponderStep(StaticConfig(output=json.loads(STATIC_OUTPUT))),))
    return ToolSet(name="Benchmark", tools=(ToolEntry(tool=tool, chain=chain),))


def in_app_answer_latencies(timeline: Timeline) -> list[float]:
    """Per call: from reading its ``arguments.done`` frame to writing its first answer frame.

    Both times are the timeline's own (``mono_time``), so this is the app's share of B3's
    latency; the rest is the sockets and the simulator.
    """
    received: dict[str, float] = {}
    latencies: list[float] = []
    for entry in timeline:
        if entry.call_id is None:
            continue
        if entry.direction is Direction.IN and entry.type == CALL_TYPE:
            received.setdefault(entry.call_id, entry.mono_time)
        elif entry.direction is Direction.OUT and entry.call_id in received:
            latencies.append(entry.mono_time - received.pop(entry.call_id))
    return latencies
