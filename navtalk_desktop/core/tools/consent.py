"""What a tool set would run and which hosts it would call, and what of that needs consent.

A tool set from someone else is data until the user agrees: its script responders run code
on this machine, its webhook responders send call data (ids, arguments, variables) to a
host and feed the reply to the model. This module is the policy, pure and Qt-free:

* :func:`reach_of` lists the scripts (path + function) and webhooks (URL template and,
  when it can be known before a call, the origin ``scheme://host:port``) of a tool set;
* :class:`HostAllowList` decides, at call time and before any connection, whether a
  webhook may contact the host its URL rendered to (the webhook responder's
  :class:`~navtalk_desktop.core.responders.ports.HostPolicy`);
* :func:`pending_consent` says what of a reach the user has not agreed to yet.

Loopback hosts (``127.0.0.0/8``, ``::1``, ``localhost``) never need consent: the bundled
example services listen there, and data sent there does not leave the machine.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from navtalk_desktop.core.responders.config import ScriptConfig, WebhookConfig
from navtalk_desktop.core.tools.toolset import ToolSet

_DEFAULT_PORTS = {"http": 80, "https": 443}
# ``{{ vars.NAME }}`` (also ``vars['NAME']``): the only template parts resolved before a
# call, because the tool set itself holds their values. Anything else (arguments,
# filters, statements) decides the host only when a call arrives.
_VAR_REFERENCE = re.compile(
    r"\{\{-?\s*vars(?:\.(?P<dot>[A-Za-z_]\w*)|\[\s*['\"](?P<key>[^'\"]+)['\"]\s*\])\s*-?\}\}"
)
_TEMPLATE_MARKERS = ("{{", "{%", "{#")


@dataclass(frozen=True, slots=True, order=True)
class Origin:
    """Where a webhook sends data: ``scheme://host:port`` (the port always explicit)."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def is_loopback(self) -> bool:
        """Whether the host is this machine (no consent needed)."""
        return is_loopback_host(self.host)


def is_loopback_host(host: str) -> bool:
    """``localhost``, ``127.0.0.0/8``, ``::1`` (or an IPv4-mapped loopback)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def origin_of(url: str) -> Origin | None:
    """The origin of a literal ``http(s)`` URL; None if it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return Origin(scheme, host, port or _DEFAULT_PORTS[scheme])


def template_origin(url_template: str, variables: Mapping[str, str]) -> Origin | None:
    """The origin a webhook URL template will have, if known before a call.

    Known when the ``scheme://host:port`` part is literal, or made only of ``vars.NAME``
    references to variables the tool set defines; unknown (None) when it depends on
    the call (arguments, filters, anything else).
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group("dot") or match.group("key")
        # An undefined variable renders empty, which no URL survives: keep it unknown.
        return variables[name] if name in variables else match.group(0)

    text = _VAR_REFERENCE.sub(substitute, url_template).strip()
    scheme_end = text.find("://")
    if scheme_end < 0:
        return None
    rest = text[scheme_end + 3 :]
    authority_end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    head = text[: scheme_end + 3 + authority_end]
    if any(marker in head for marker in _TEMPLATE_MARKERS):
        return None
    return origin_of(head)


@dataclass(frozen=True, slots=True)
class ScriptUse:
    """A script responder: which function of which file, for which tool.

    Attributes:
        tool: the tool's name.
        path: the file, resolved against the tool set's folder (not yet for symlinks).
        function: the function called.
    """

    tool: str
    path: Path
    function: str


@dataclass(frozen=True, slots=True)
class WebhookUse:
    """A webhook responder: where it sends the call, for which tool.

    Attributes:
        tool: the tool's name.
        method: the HTTP method (template).
        url: the URL template as written.
        origin: where it goes, when known before a call (see :func:`template_origin`).
        request: headers and body templates (what is sent; part of the digest).
    """

    tool: str
    method: str
    url: str
    origin: Origin | None
    request: tuple[str, ...] = ()

    @property
    def templated(self) -> bool:
        """Whether the URL is a template (the dialog shows it as written)."""
        return any(marker in self.url for marker in _TEMPLATE_MARKERS)


@dataclass(frozen=True, slots=True)
class ToolSetReach:
    """Everything a tool set would run or contact (:func:`reach_of`)."""

    scripts: tuple[ScriptUse, ...] = ()
    webhooks: tuple[WebhookUse, ...] = ()

    @property
    def empty(self) -> bool:
        """Neither scripts nor webhooks."""
        return not self.scripts and not self.webhooks

    @property
    def script_paths(self) -> tuple[Path, ...]:
        """Each script file once, in order."""
        return tuple(dict.fromkeys(use.path for use in self.scripts))

    @property
    def remote_origins(self) -> tuple[Origin, ...]:
        """Each known non-loopback origin once, sorted."""
        return tuple(
            sorted({w.origin for w in self.webhooks if w.origin and not w.origin.is_loopback})
        )

    @property
    def unknown_hosts(self) -> tuple[WebhookUse, ...]:
        """Webhooks whose host is decided only when a call arrives."""
        return tuple(w for w in self.webhooks if w.origin is None)

    def digest(self) -> str:
        """SHA-256 of what consent covers: scripts, webhook requests and their origins.

        Changing a script's path or function, a webhook's method, URL, headers or body,
        or a variable its host comes from, changes the digest, so a tool set changed
        since consent was given asks again. (A script's *content* is covered by the
        script trust, which is per real path and content.)
        """
        document = {
            "scripts": [[u.tool, str(u.path), u.function] for u in self.scripts],
            "webhooks": [
                [u.tool, u.method, u.url, str(u.origin) if u.origin else None, *u.request]
                for u in self.webhooks
            ],
        }
        text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reach_of(
    toolset: ToolSet, base_dir: Path | None, *, enabled_only: bool = False
) -> ToolSetReach:
    """The scripts and webhooks of the tools.

    Args:
        toolset: the tool set.
        base_dir: the folder relative script paths resolve against (the tool set file's);
            None leaves them relative.
        enabled_only: only enabled steps of enabled tools (``respond``, where nothing can
            be enabled later); the GUI asks about all (enabling is one click).
    """
    scripts: list[ScriptUse] = []
    webhooks: list[WebhookUse] = []
    for entry in toolset.tools:
        if enabled_only and not entry.enabled:
            continue
        for step in entry.chain.steps:
            if enabled_only and not step.enabled:
                continue
            config = step.config
            if isinstance(config, ScriptConfig):
                path = Path(config.path).expanduser()
                if not path.is_absolute() and base_dir is not None:
                    path = base_dir / path
                scripts.append(ScriptUse(entry.name, path, config.function))
            elif isinstance(config, WebhookConfig):
                origin = template_origin(config.url, toolset.variables)
                request = (
                    *(f"{name}: {value}" for name, value in sorted(config.headers.items())),
                    config.body_template,
                )
                webhooks.append(WebhookUse(entry.name, config.method, config.url, origin, request))
    return ToolSetReach(tuple(scripts), tuple(webhooks))


@dataclass(frozen=True, slots=True)
class PendingConsent:
    """What of a reach the user has not agreed to (:func:`pending_consent`).

    Attributes:
        scripts: script files not trusted at their path with their current content.
        origins: known non-loopback hosts not allowed.
        changed: a consent was remembered for this file, but for other contents.
    """

    scripts: tuple[Path, ...] = ()
    origins: tuple[Origin, ...] = ()
    changed: bool = False

    def __bool__(self) -> bool:
        return bool(self.scripts or self.origins)


def pending_consent(
    reach: ToolSetReach,
    *,
    script_trusted: Callable[[Path], bool],
    host_allowed: Callable[[Origin], bool],
    remembered_digest: str | None = None,
) -> PendingConsent:
    """What must be agreed to before this reach may run.

    A script needs consent unless trusted (real path and content); a webhook unless its
    host is loopback or allowed. A webhook whose host is known only at call time needs
    no consent now: at call time, :class:`HostAllowList` refuses a host that is neither
    loopback nor allowed.

    Args:
        reach: from :func:`reach_of`.
        script_trusted: whether a script file may run.
        host_allowed: whether a non-loopback origin may be contacted.
        remembered_digest: the digest the user agreed to for this file before, if any;
            when it differs, everything not loopback is asked again.
    """
    changed = remembered_digest is not None and remembered_digest != reach.digest()
    scripts = tuple(p for p in reach.script_paths if changed or not script_trusted(p))
    origins = tuple(o for o in reach.remote_origins if changed or not host_allowed(o))
    return PendingConsent(scripts, origins, changed and bool(scripts or origins))


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """A consent the user gave for one tool set file.

    Attributes:
        digest: :meth:`ToolSetReach.digest` of what was agreed to.
        origins: the non-loopback hosts agreed to.
    """

    digest: str
    origins: tuple[Origin, ...] = ()


class ConsentStore(Protocol):
    """Where consents are remembered (``infra.consent_file``)."""

    def remembered(self, toolset_path: Path) -> ConsentRecord | None:
        """The consent given for this file (by real path), if any."""
        ...

    def remember(self, toolset_path: Path, record: ConsentRecord) -> None:
        """Remember a consent (replacing the file's previous one). Raises OSError."""
        ...


@dataclass(frozen=True, slots=True)
class HostRule:
    """One allowed host: ``host`` (any scheme and port), ``host:port``, or a full origin.

    Attributes:
        host: lower-case host name or address.
        port: None for any port.
        scheme: None for any scheme.
    """

    host: str
    port: int | None = None
    scheme: str | None = None

    @classmethod
    def parse(cls, text: str) -> HostRule:
        """``api.example.com``, ``api.example.com:8443``, ``https://api.example.com``.

        Raises:
            ValueError: empty, or not a host.
        """
        text = text.strip()
        if not text:
            raise ValueError("empty host")
        if "://" in text:
            origin = origin_of(text)
            if origin is None:
                raise ValueError(f"{text!r} is not an http(s) origin")
            return cls(origin.host, origin.port, origin.scheme)
        try:
            parts = urlsplit("//" + text)
            port = parts.port
        except ValueError:
            raise ValueError(f"{text!r} is not a host[:port]") from None
        host = (parts.hostname or "").rstrip(".").lower()
        if not host or parts.path or parts.query:
            raise ValueError(f"{text!r} is not a host[:port]")
        return cls(host, port)

    def matches(self, origin: Origin) -> bool:
        """Whether ``origin`` is covered."""
        return (
            origin.host == self.host
            and (self.port is None or origin.port == self.port)
            and (self.scheme is None or origin.scheme == self.scheme)
        )


@dataclass
class HostAllowList:
    """Which hosts webhooks may contact: loopback always, others only once allowed.

    The webhook responder asks :meth:`refusal` with the rendered URL before connecting.
    Safe to share between the GUI thread (granting) and the engine thread (asking).

    Attributes:
        allow_any: every host allowed (``respond --allow-any-host``).
        how_to_allow: the end of a refusal message (the GUI and ``respond`` differ).
    """

    allow_any: bool = False
    how_to_allow: str = "agree to the tool set's hosts when it opens"
    _rules: tuple[HostRule, ...] = field(default=(), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _watchers: list[Callable[[], None]] = field(default_factory=list, repr=False, compare=False)

    @property
    def rules(self) -> tuple[HostRule, ...]:
        """The hosts allowed so far (besides loopback), in the order allowed."""
        return self._rules

    def watch(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after each :meth:`allow` (e.g. to mirror the list elsewhere)."""
        self._watchers.append(callback)

    def allow(self, rules: Iterable[HostRule | Origin | str]) -> None:
        """Allow more hosts (origins, rules or texts for :meth:`HostRule.parse`)."""
        new: list[HostRule] = []
        for rule in rules:
            if isinstance(rule, Origin):
                new.append(HostRule(rule.host, rule.port, rule.scheme))
            elif isinstance(rule, str):
                new.append(HostRule.parse(rule))
            else:
                new.append(rule)
        with self._lock:
            self._rules = tuple(dict.fromkeys((*self._rules, *new)))
        for callback in list(self._watchers):
            callback()

    def allows(self, origin: Origin) -> bool:
        """Whether ``origin`` may be contacted."""
        if self.allow_any or origin.is_loopback:
            return True
        return any(rule.matches(origin) for rule in self._rules)

    def refusal(self, url: str) -> str | None:
        """None when ``url`` may be contacted, else why not (naming the host and the fix)."""
        origin = origin_of(url)
        if origin is None:
            return "the webhook URL has no http(s) host"
        if self.allows(origin):
            return None
        return (
            f"webhook host {origin} is not allowed: nothing was sent. The tool set did not "
            f"get consent to send call data there; to allow it, {self.how_to_allow}"
        )
