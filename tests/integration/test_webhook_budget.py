"""Webhook templates render in the killable worker processes, under the step's budget.

Real parts: worker processes (ProcessExpressionSandbox), a real HTTP server on 127.0.0.1 and
the app's aiohttp client, the real chain runner.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web

from navtalk_desktop.core.responders.base import CallRequest
from navtalk_desktop.core.responders.chain import ChainRunner
from navtalk_desktop.core.responders.config import (
    ResponderChain,
    ResponderStep,
    TemplateConfig,
    WebhookConfig,
)
from navtalk_desktop.core.responders.factory import ResponderFactory
from navtalk_desktop.infra.expression_sandbox import ProcessExpressionSandbox
from navtalk_desktop.infra.http_client import AiohttpClient

# Loops over a string do not watch the clock: only killing the worker stops them. About
# 200 million iterations: many seconds of work inline, far past the 2 s rendering budget.
SLOW_BODY = "{% for a in s %}{% for b in s %}{% for c in s %}{% endfor %}{% endfor %}{% endfor %}."


@pytest_asyncio.fixture
async def server() -> AsyncIterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []

    async def echo(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(text="posted")

    app = web.Application()
    app.router.add_post("/hook", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/hook", received
    finally:
        await runner.cleanup()


def _request(call_id: str, arguments: dict[str, object]) -> CallRequest:
    return CallRequest(call_id=call_id, name="tool", arguments=arguments, raw_arguments="{}")


@pytest.mark.asyncio
async def test_a_runaway_webhook_body_is_killed_while_other_calls_are_answered(
    server: tuple[str, list[bytes]],
) -> None:
    url, received = server
    sandbox = ProcessExpressionSandbox(workers=2)
    http = AiohttpClient()
    runner = ChainRunner(ResponderFactory(http=http, sandbox=sandbox))
    webhook = ResponderChain(
        steps=(
            ResponderStep(
                # No budget_s: the webhook's templates get the default rendering budget.
                WebhookConfig(url=url, method="POST", body_template=SLOW_BODY)
            ),
        )
    )
    template = ResponderChain(steps=(ResponderStep(TemplateConfig("Hi {{ args.who }}")),))
    try:
        await sandbox.start()
        slow = asyncio.ensure_future(
            runner.run(webhook, _request("c1", {"s": "x" * 600}), manual=False)
        )
        # The template step's answer comes while the webhook body is still rendering: the
        # engine loop is not blocked by it.
        quick = await runner.run(template, _request("c2", {"who": "Ada"}), manual=False)
        assert quick.output == "Hi Ada"
        assert not slow.done()
        result = await slow
        assert result.is_error
        assert result.output is not None
        assert "webhook body" in result.output
        assert "took longer than its 2 s budget" in result.output
        assert sandbox.killed == 1
        assert received == []  # nothing was sent for the call that failed
        # The next webhook call renders in a fresh worker and goes through.
        fine = ResponderChain(
            steps=(ResponderStep(WebhookConfig(url=url, body_template="{{ args.n * 2 }}")),)
        )
        ok = await runner.run(fine, _request("c3", {"n": 21}), manual=False)
        assert ok.output == "posted"
        assert received == [b"42"]
    finally:
        await http.close()
        await sandbox.close()
