"""The license never survives redaction: URLs, text, JSON, logs."""

from __future__ import annotations

import logging

import pytest

from navtalk_desktop.core.session.redact import RedactingFilter, mask_url, redact

LICENSE = "sk_navtalk_Redact+Me/Now"


def test_mask_url() -> None:
    assert mask_url("wss://h/p?license=abc&name=x") == "wss://h/p?license=***&name=x"
    assert mask_url("wss://h/p?name=x&License=abc#f") == "wss://h/p?name=x&License=***#f"
    assert mask_url("wss://h/p?license=&name=x") == "wss://h/p?license=&name=x"
    assert (
        mask_url("see ws://a/?token=t1 and ws://b/?api_key=k2")
        == "see ws://a/?token=*** and ws://b/?api_key=***"
    )


@pytest.mark.parametrize(
    "text",
    [
        f"plain {LICENSE} text",
        "url-encoded sk_navtalk_Redact%2BMe%2FNow",
        "plus-encoded sk_navtalk_Redact%2BMe%2FNow",
        '{"k": "sk_navtalk_Redact+Me\\/Now"}',
    ],
)
def test_redact_every_form(text: str) -> None:
    cleaned = redact(text, [LICENSE])
    assert "Redact" not in cleaned
    assert "***" in cleaned


def test_redact_keys_without_knowing_them_and_ignores_tiny_secrets() -> None:
    assert redact("key sk_navtalk_Abc-123_x here") == "key *** here"
    assert redact("a b c", ["a", None, ""]) == "a b c"


def test_logging_filter_redacts_messages_args_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.redact")
    caplog.set_level(logging.INFO, logger="test.redact")
    caplog.handler.addFilter(RedactingFilter(lambda: [LICENSE]))
    try:
        logger.info("connecting to %s", "wss://h/p?license=whatever")
        logger.info("secret is %s", LICENSE)
        try:
            raise RuntimeError(f"failed with {LICENSE}")
        except RuntimeError:
            logger.exception("oops")
    finally:
        caplog.handler.filters.clear()
    assert "whatever" not in caplog.text
    assert LICENSE not in caplog.text
    assert "license=***" in caplog.text
    assert caplog.records[2].exc_text is not None
    assert "failed with ***" in caplog.records[2].exc_text
