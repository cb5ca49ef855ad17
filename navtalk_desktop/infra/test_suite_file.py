"""Reading test suite files: JSON, checked against the shipped JSON Schema, then parsed."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from navtalk_desktop.core.json_reader import ConfigError
from navtalk_desktop.core.regression.suite import Suite, suite_from_json, suite_to_text
from navtalk_desktop.infra.atomic_file import atomic_write_text
from navtalk_desktop.infra.toolset_file import read_json_file

SCHEMA_PATH = (
    Path(__file__).resolve().parent.parent / "resources" / "schemas" / "navtests.schema.json"
)


@lru_cache(maxsize=1)
def suite_schema() -> dict[str, Any]:
    """The JSON Schema of suite files (shipped in the package)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def load_suite(path: Path) -> Suite:
    """Read and check a suite file.

    Raises:
        OSError: unreadable.
        ConfigError: not JSON, not valid against the schema, or malformed (located).
    """
    data = read_json_file(path)
    import jsonschema  # deferred: ~50 ms

    validator = jsonschema.Draft202012Validator(suite_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        location = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in first.absolute_path
        ).lstrip(".")
        # The schema names the rule; the parser below words most problems better, so run
        # it first and fall back to the schema's message.
        suite_from_json(data)
        raise ConfigError(location, first.message)
    return suite_from_json(data)


def save_suite(path: Path, suite: Suite) -> None:
    """Write ``suite`` in its canonical text form, atomically."""
    atomic_write_text(path, suite_to_text(suite))


class SuiteFileStore:
    """:class:`~navtalk_desktop.core.regression.ports.SuiteFiles` on the file system."""

    def load(self, path: Path) -> Suite:
        """Read and check a suite file (see :func:`load_suite`)."""
        return load_suite(path)

    def save(self, path: Path, suite: Suite) -> None:
        """Write it atomically (see :func:`save_suite`)."""
        save_suite(path, suite)
