"""The responders that need nothing from outside: manual, static and template."""

from __future__ import annotations

from navtalk_desktop.core.responders.base import Answer, CallRequest, Pass, ResponderError
from navtalk_desktop.core.responders.config import (
    ResponderKind,
    StaticConfig,
    StepLimits,
    TemplateConfig,
)
from navtalk_desktop.core.responders.ports import ManualAnswers
from navtalk_desktop.core.responders.sandbox import ExpressionSandbox
from navtalk_desktop.core.responders.templating import TemplateError, template_context


class ManualResponder:
    """Waits for a person; passes at once when nobody can answer (fire-test, headless)."""

    kind = ResponderKind.MANUAL

    def __init__(self, answers: ManualAnswers | None) -> None:
        self._answers = answers

    async def respond(self, request: CallRequest) -> Answer | Pass:
        """The person's answer, or a pass when there is no call desk."""
        if self._answers is None:
            return Pass("manual step skipped: nobody can answer here")
        return await self._answers.wait_for_answer(request)


class StaticResponder:
    """Always the same output."""

    kind = ResponderKind.STATIC

    def __init__(self, config: StaticConfig) -> None:
        self._config = config

    async def respond(self, request: CallRequest) -> Answer | Pass:
        """The configured output."""
        return Answer(self._config.output, is_error=self._config.is_error)


class TemplateResponder:
    """Renders a sandboxed Jinja template from the call's arguments, within the step's limits.

    Args:
        config: the template.
        sandbox: where it renders (off the event loop, stopped when over budget).
        limits: the step's time budget and output cap.
    """

    kind = ResponderKind.TEMPLATE

    def __init__(
        self, config: TemplateConfig, sandbox: ExpressionSandbox, limits: StepLimits
    ) -> None:
        self._config = config
        self._sandbox = sandbox
        self._limits = limits

    async def respond(self, request: CallRequest) -> Answer | Pass:
        """The rendered text. Raises :class:`ResponderError` on template errors."""
        context = template_context(
            request.arguments,
            call_id=request.call_id,
            name=request.name,
            variables=request.variables,
        )
        try:
            return Answer(await self._sandbox.render(self._config.template, context, self._limits))
        except TemplateError as exc:
            raise ResponderError(str(exc)) from None
