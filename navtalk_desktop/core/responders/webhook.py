"""The webhook responder: the seed's pattern of POSTing the arguments and sending back the reply."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from urllib.parse import urlsplit

from navtalk_desktop.core.responders.base import Answer, CallRequest, Pass, ResponderError
from navtalk_desktop.core.responders.config import (
    WEBHOOK_RENDER_BUDGET_S,
    ResponderKind,
    StepLimits,
    WebhookConfig,
)
from navtalk_desktop.core.responders.json_path import JsonPathError, parse_json_path
from navtalk_desktop.core.responders.ports import HostPolicy, HttpClient, HttpRequestError
from navtalk_desktop.core.responders.sandbox import ExpressionSandbox, ThreadSandbox
from navtalk_desktop.core.responders.templating import (
    TemplateError,
    TemplateLimitError,
    template_context,
)
from navtalk_desktop.core.session.redact import mask_url
from navtalk_desktop.core.tools.consent import HostAllowList

# How much of an error response body is quoted back in the Error: message.
_SNIPPET = 200
_LOOPBACK_ONLY = HostAllowList(how_to_allow="run it where hosts can be allowed")


class WebhookResponder:
    """Renders URL, headers and body from the call, sends them, answers with the response.

    The templates render in the ``sandbox`` (worker processes in the app and ``respond``),
    never on the engine loop: URL, headers and body together share the step's time budget
    (``limits.time_s``; the HTTP request is bounded by the config's own ``timeout_s``).

    Args:
        config: the webhook.
        http: sends the request (``None``: the step fails with a clear message).
        hosts: which hosts may be contacted (default: loopback only).
        sandbox: where the templates render (default: a thread, without process isolation).
        limits: the rendering budget (``None``: ``WEBHOOK_RENDER_BUDGET_S``) and output cap.
    """

    kind = ResponderKind.WEBHOOK

    def __init__(
        self,
        config: WebhookConfig,
        http: HttpClient | None,
        hosts: HostPolicy | None = None,
        *,
        sandbox: ExpressionSandbox | None = None,
        limits: StepLimits | None = None,
    ) -> None:
        self._config = config
        self._http = http
        # Without a policy only loopback hosts may be contacted: consent is never implied.
        self._hosts: HostPolicy = hosts if hosts is not None else _LOOPBACK_ONLY
        self._sandbox: ExpressionSandbox = sandbox or ThreadSandbox()
        limits = limits or StepLimits()
        if limits.time_s is None:
            limits = replace(limits, time_s=WEBHOOK_RENDER_BUDGET_S)
        self._limits = limits

    async def respond(self, request: CallRequest) -> Answer | Pass:
        """The response text (or the value at ``output_path``).

        Raises:
            ResponderError: template problems, no HTTP response, non-2xx status, or an
                ``output_path`` that does not match.
        """
        if self._http is None:
            raise ResponderError("webhooks cannot run here (no HTTP client)")
        config = self._config
        context = template_context(
            request.arguments,
            call_id=request.call_id,
            name=request.name,
            variables=request.variables,
        )
        budget = self._limits.time_s
        deadline = None if budget is None else time.monotonic() + budget

        async def render(source: str, part: str) -> str:
            limits = self._limits
            if deadline is not None:
                limits = replace(limits, time_s=max(0.001, deadline - time.monotonic()))
            try:
                return await self._sandbox.render(source, context, limits)
            except TemplateLimitError as exc:
                message = str(exc)
                if budget is not None and "budget" in message:
                    # Worded with the step's whole budget, not the part that was left.
                    message = f"template took longer than its {budget:g} s budget and was stopped"
                raise ResponderError(f"webhook {part}: {message}") from None
            except TemplateError as exc:
                raise ResponderError(f"webhook {part}: {exc}") from None

        url = (await render(config.url, "URL")).strip()
        headers = {
            name: await render(value, f"header {name}") for name, value in config.headers.items()
        }
        if config.body_template:
            body_text = await render(config.body_template, "body")
        else:
            # The seed POSTs {userInput, …}: the call's arguments as a JSON object.
            body_text = json.dumps(dict(request.arguments or {}), ensure_ascii=False)
        if urlsplit(url).scheme not in ("http", "https"):
            raise ResponderError(
                f"webhook URL must start with http:// or https:// (got {mask_url(url)!r})"
            )
        # Before any connection (or DNS look-up): call data goes only where it may.
        refused = self._hosts.refusal(url)
        if refused is not None:
            raise ResponderError(refused)
        body = None if config.method == "GET" else body_text.encode("utf-8")
        if body is not None and not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = (
                "application/json" if _is_json(body_text) else "text/plain; charset=utf-8"
            )
        shown = mask_url(url)
        try:
            reply = await self._http.request(
                config.method,
                url,
                headers=headers,
                body=body,
                timeout_s=config.timeout_s,
                verify_tls=config.verify_tls,
            )
        except HttpRequestError as exc:
            raise ResponderError(f"webhook {config.method} {shown} failed: {exc.message}") from None
        if 300 <= reply.status < 400:
            raise ResponderError(
                f"webhook {config.method} {shown} answered with a redirect (HTTP {reply.status}); "
                "redirects are not followed, so call data only goes to allowed hosts: use the "
                "final URL"
            )
        if not 200 <= reply.status < 300:
            snippet = reply.text.strip()[:_SNIPPET]
            raise ResponderError(
                f"webhook {config.method} {shown} returned HTTP {reply.status}"
                + (f": {snippet}" if snippet else "")
            )
        if not config.output_path:
            return Answer(reply.text, note=f"HTTP {reply.status}")
        try:
            document = json.loads(reply.text)
            values = parse_json_path(config.output_path).find(document)
        except (json.JSONDecodeError, JsonPathError) as exc:
            raise ResponderError(
                f"cannot read {config.output_path!r} from the webhook response: {exc}"
            ) from None
        if not values:
            raise ResponderError(f"the webhook response has nothing at {config.output_path!r}")
        return Answer(values[0], note=f"HTTP {reply.status}, {config.output_path}")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
