"""PySide6 user interface. Talks to the core only; ``app.py`` wires in the infra adapters."""
