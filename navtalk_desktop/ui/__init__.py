"""PySide6 user interface. Talks to the core only; the ``app`` package wires in the infra adapters."""
