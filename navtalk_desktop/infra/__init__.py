"""Adapters that do I/O for the core: WebSocket transport, keychain, files, HTTP. No Qt."""
