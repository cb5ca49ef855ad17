#!/usr/bin/env python3
"""How long a responder chain takes to produce an answer, per responder kind and sandbox.

Runs each chain N times through :class:`ChainRunner` on one asyncio loop and prints p50 and
p99 in milliseconds. "inline" is the way templates and regexes were evaluated before budgets
existed (on the event loop, no limits): the baseline the sandboxes are compared with.

Usage::

    python scripts/responder_latency.py [--calls 500]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
from collections.abc import Mapping, Sequence
from typing import Any

from navtalk_desktop.core.responders.base import CallRequest
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.config import (
    MatchKind,
    ResponderChain,
    ResponderConfig,
    ResponderStep,
    Rule,
    RulesConfig,
    StaticConfig,
    StepLimits,
    TemplateConfig,
)
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.core.responders.sandbox import ExpressionSandbox, ThreadSandbox
from navtalk_desktop.core.responders.templating import render
from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox

TEMPLATE = (
    "{{ city }}: {{ args.days }} days, {{ vars.unit }} — {% for d in range(3) %}{{ d }}{% endfor %}"
)
RULES = RulesConfig(
    rules=(
        Rule(MatchKind.REGEX, "city", pattern=r"^Ber", output="berlin"),
        Rule(MatchKind.REGEX, "city", pattern=r"^Par", output="paris"),
    )
)
REQUEST = CallRequest(
    "call_1", "get_weather", {"city": "Paris", "days": 3}, "{}", {"unit": "celsius"}
)


class InlineSandbox:
    """Evaluation on the event loop without limits: what the code did before budgets."""

    async def render(self, source: str, context: Mapping[str, Any], limits: StepLimits) -> str:
        return render(source, context, time_s=None, max_chars=10**12)

    async def search(
        self, pattern: str, texts: Sequence[str], *, ignore_case: bool, limits: StepLimits
    ) -> bool:
        compiled = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
        return any(compiled.search(text) for text in texts)


async def measure(config: ResponderConfig, sandbox: ExpressionSandbox, calls: int) -> list[float]:
    runner = ChainRunner(ResponderFactory(sandbox=sandbox))
    chain = ResponderChain(steps=(ResponderStep(config),))
    for _ in range(20):  # warm-up: caches, worker start
        await runner.run(chain, REQUEST)
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        result = await runner.run(chain, REQUEST)
        samples.append((time.perf_counter() - start) * 1000)
        if result.output is None or result.is_error:
            raise SystemExit(f"unexpected result: {result}")
    return samples


def row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{name:<34} p50 {statistics.median(ordered):7.3f} ms   p99 {p99:7.3f} ms"


async def main(calls: int) -> None:
    process = ProcessExpressionSandbox()
    try:
        await process.start()
        cases: list[tuple[str, ResponderConfig, ExpressionSandbox]] = [
            ("static", StaticConfig("sunny"), process),
            ("template, inline (before)", TemplateConfig(TEMPLATE), InlineSandbox()),
            ("template, thread sandbox", TemplateConfig(TEMPLATE), ThreadSandbox()),
            ("template, worker process (now)", TemplateConfig(TEMPLATE), process),
            ("rules regex, inline (before)", RULES, InlineSandbox()),
            ("rules regex, worker process (now)", RULES, process),
        ]
        for name, config, sandbox in cases:
            print(row(name, await measure(config, sandbox, calls)), flush=True)
    finally:
        await process.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    asyncio.run(main(parser.parse_args().calls))
