"""The frame composer: send any raw JSON frame on the live session (widget and dock)."""
