"""Shared test helpers (fixtures live in conftest.py files)."""
