"""Builds runnable responders from their configuration, with the ports they need."""

from __future__ import annotations

from pathlib import Path

from navtalk_desktop.core.responders.base import Responder
from navtalk_desktop.core.responders.config import (
    ManualConfig,
    ResponderConfig,
    ResponderStep,
    RulesConfig,
    ScriptConfig,
    StaticConfig,
    StepLimits,
    TemplateConfig,
    WebhookConfig,
)
from navtalk_desktop.core.responders.ports import (
    HostPolicy,
    HttpClient,
    ManualAnswers,
    ScriptRunner,
    ScriptTrust,
)
from navtalk_desktop.core.responders.rules import RulesResponder
from navtalk_desktop.core.responders.sandbox import ExpressionSandbox, ThreadSandbox
from navtalk_desktop.core.responders.script import ScriptResponder
from navtalk_desktop.core.responders.simple import (
    ManualResponder,
    StaticResponder,
    TemplateResponder,
)
from navtalk_desktop.core.responders.webhook import WebhookResponder


class ResponderFactory:
    """Turns configs into responders.

    Args:
        http: used by webhook responders (without it they fail with a clear message).
        hosts: which hosts webhooks may contact (default: loopback only).
        scripts: runs script responders.
        trust: decides which script files may run.
        manual: where manual steps wait; ``None`` makes them pass at once.
        base_dir: folder relative script paths are resolved against (the tool set's).
        sandbox: where templates and rule regexes are evaluated under their budgets
            (default: a :class:`ThreadSandbox`, without process isolation; the app and
            ``respond`` pass the worker-process sandbox).
    """

    def __init__(
        self,
        *,
        http: HttpClient | None = None,
        hosts: HostPolicy | None = None,
        scripts: ScriptRunner | None = None,
        trust: ScriptTrust | None = None,
        manual: ManualAnswers | None = None,
        base_dir: Path | None = None,
        sandbox: ExpressionSandbox | None = None,
    ) -> None:
        self.http = http
        self.hosts = hosts
        self.scripts = scripts
        self.trust = trust
        self.manual = manual
        self.base_dir = base_dir
        self.sandbox: ExpressionSandbox = sandbox or ThreadSandbox()

    def build(
        self, config: ResponderConfig, *, manual: bool = True, limits: StepLimits | None = None
    ) -> Responder:
        """A responder for ``config``; ``manual=False`` makes manual steps pass.

        ``limits`` is the step's budget (default: the kind's defaults).
        """
        if limits is None:
            limits = ResponderStep(config).limits
        match config:
            case ManualConfig():
                return ManualResponder(self.manual if manual else None)
            case StaticConfig():
                return StaticResponder(config)
            case TemplateConfig():
                return TemplateResponder(config, self.sandbox, limits)
            case RulesConfig():
                return RulesResponder(config, self.sandbox, limits)
            case WebhookConfig():
                return WebhookResponder(
                    config, self.http, self.hosts, sandbox=self.sandbox, limits=limits
                )
            case ScriptConfig():
                return ScriptResponder(config, self.scripts, self.trust, self.base_dir)
        raise AssertionError(config)  # pragma: no cover
