"""Keeping the license out of everything a person or a file can see: URLs, logs, exports, errors."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
# Query parameters whose values are secrets. NavTalk only uses ``license``; the others cover
# URLs users paste from other tools.
_SECRET_PARAMS = ("license", "api_key", "apikey", "token", "access_token", "key")
_PARAM_RE = re.compile(
    r"(?P<prefix>[?&;](?:" + "|".join(_SECRET_PARAMS) + r")=)(?P<value>[^&#\s\"'<>]*)",
    re.IGNORECASE,
)
# NavTalk API keys look like ``sk_navtalk_…`` (console "API Key Management").
_KEY_RE = re.compile(r"sk_navtalk_[A-Za-z0-9_\-]+")
# Secrets shorter than this are not replaced inside arbitrary text: replacing a 2-character
# "license" everywhere would mangle frames and would not protect anything anyway.
_MIN_SECRET_LEN = 4


def mask_url(url: str) -> str:
    """Return ``url`` with the value of every secret query parameter replaced by ``***``.

    Args:
        url: any URL (or text containing URLs).

    Returns:
        The same text with ``license=…`` (and similar) values masked.
    """
    return _PARAM_RE.sub(lambda m: m.group("prefix") + (MASK if m.group("value") else ""), url)


@functools.lru_cache(maxsize=64)
def _variants(secret: str) -> frozenset[str]:
    """The secret as it may appear in URLs, JSON strings and logs.

    Cached: exports and recordings redact every entry with the same few licenses, and
    working the variants out (URL quoting, JSON escaping) cost more than the redaction.
    """
    variants = {secret, quote(secret, safe=""), quote_plus(secret)}
    variants.add(json.dumps(secret)[1:-1])
    return frozenset(v for v in variants if len(v) >= _MIN_SECRET_LEN)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove secrets from ``text``.

    Every occurrence of each secret (also URL-encoded or JSON-escaped), every secret URL
    parameter and anything shaped like a NavTalk API key is replaced by ``***``.

    Args:
        text: text that may contain secrets.
        secrets: known secret values (``None`` and very short values are ignored).

    Returns:
        The redacted text.
    """
    variants: set[str] = set()
    for secret in secrets:
        if secret:
            variants |= _variants(secret)
    # Longest first, so a secret that contains another is replaced whole.
    for variant in sorted(variants, key=len, reverse=True):
        if variant in text:
            text = text.replace(variant, MASK)
    # A secret parameter needs "?", "&" or ";" before its "=": audio frames (base64 with "="
    # padding) skip the regex scan, which cost more than the rest of the redaction.
    if "=" in text and ("?" in text or "&" in text or ";" in text):
        text = mask_url(text)
    if "sk_navtalk_" in text:
        text = _KEY_RE.sub(MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Logging filter that redacts every record's final message.

    Install it on handlers (not loggers) so records from every library are covered.

    Args:
        secrets: called for each record; returns the secrets currently known (licenses).
    """

    def __init__(self, secrets: Callable[[], Iterable[str | None]] = tuple) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its redacted form; always keeps the record."""
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        cleaned = redact(message, self._secrets())
        record.msg = cleaned
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets())
        return True
