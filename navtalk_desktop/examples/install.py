"""Copies the bundled examples to the data folder and builds their databases on first use.

Files the user changed are never overwritten: a manifest remembers the hash of what was
installed, and only untouched copies are upgraded when the bundled version changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from navtalk_desktop.core.tools.toolset import toolset_from_json, toolset_to_json
from navtalk_desktop.examples.databases import build_crm, build_knowledge_base, build_sales
from navtalk_desktop.infra import paths
from navtalk_desktop.infra.atomic_file import atomic_write_text
from navtalk_desktop.infra.toolset_file import sha256_of

BUNDLED = Path(__file__).resolve().parent / "data"
USE_CASES_FILE = "seed-use-cases.navtools.json"
JUDGE_FILE = "function-call-judge.navtools.json"
USE_CASES_TESTS = "seed-use-cases.navtests.json"
_MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class ExamplePaths:
    """Where the installed examples live.

    Attributes:
        root: the examples folder.
        use_cases: tool set with the five use-case tools.
        judge: tool set with the guide's ``function_call_judge``.
        kb_db: knowledge-base database (FTS5).
        sales_db: sales database.
        crm_db: CRM database.
    """

    root: Path

    @property
    def use_cases(self) -> Path:
        """The five-use-case tool set file."""
        return self.root / USE_CASES_FILE

    @property
    def use_case_tests(self) -> Path:
        """The test suite of the five use cases."""
        return self.root / USE_CASES_TESTS

    @property
    def judge(self) -> Path:
        """The function_call_judge tool set file."""
        return self.root / JUDGE_FILE

    @property
    def scripts(self) -> Path:
        """Folder of the example scripts."""
        return self.root / "scripts"

    @property
    def docs(self) -> Path:
        """Folder of the knowledge-base documents."""
        return self.root / "docs"

    @property
    def kb_db(self) -> Path:
        """Knowledge-base database."""
        return self.root / "db" / "knowledge.sqlite3"

    @property
    def sales_db(self) -> Path:
        """Sales database."""
        return self.root / "db" / "sales.sqlite3"

    @property
    def crm_db(self) -> Path:
        """CRM database."""
        return self.root / "db" / "crm.sqlite3"

    def database_variables(self) -> dict[str, str]:
        """The tool set variables naming the databases (absolute paths)."""
        return {
            "kb_db": str(self.kb_db),
            "sales_db": str(self.sales_db),
            "crm_db": str(self.crm_db),
        }


def default_examples_root() -> Path:
    """Where :func:`install_examples` puts the examples unless told otherwise."""
    return paths.data_dir() / "examples"


def bundled_script_trust(roots: Iterable[Path] = ()) -> set[tuple[Path, str]]:
    """``(path, sha256)`` of every bundled script where the app itself put it.

    The app trusts exactly these contents at exactly these places: in the package and in
    each examples folder of ``roots`` (default: the default installation). A copy of a
    bundled script anywhere else is an ordinary, untrusted file: its folder could hold a
    planted module or data of someone else's.
    """
    folders = [BUNDLED / "scripts"]
    folders += [ExamplePaths(root).scripts for root in (roots or (default_examples_root(),))]
    pairs: set[tuple[Path, str]] = set()
    for bundled in sorted((BUNDLED / "scripts").glob("*.py")):
        digest = sha256_of(bundled)
        pairs.update((folder / bundled.name, digest) for folder in folders)
    return pairs


def _bundled_files() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for folder in ("docs", "scripts"):
        for path in sorted((BUNDLED / folder).iterdir()):
            if path.is_file() and not path.name.startswith("."):
                files[f"{folder}/{path.name}"] = path.read_bytes()
    return files


def _toolset_text(name: str, examples: ExamplePaths) -> bytes:
    """The bundled tool set with its database variables pointing at this installation."""
    toolset = toolset_from_json(json.loads((BUNDLED / name).read_text(encoding="utf-8")))
    wanted = {k: v for k, v in examples.database_variables().items() if k in toolset.variables}
    toolset = toolset.with_variables(**wanted)
    return (json.dumps(toolset_to_json(toolset), indent=2, ensure_ascii=False) + "\n").encode()


def install_examples(root: Path | None = None) -> ExamplePaths:
    """Install (or upgrade) the examples under ``root`` (default: ``<data>/examples``).

    Returns:
        The installed paths. Databases missing on disk are built now; the CRM database is
        never rebuilt once it exists, so updates made through the examples persist.
    """
    examples = ExamplePaths(root or default_examples_root())
    examples.root.mkdir(parents=True, exist_ok=True)
    manifest_path = examples.root / _MANIFEST
    try:
        manifest: dict[str, str] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    wanted = _bundled_files()
    wanted[USE_CASES_FILE] = _toolset_text(USE_CASES_FILE, examples)
    wanted[JUDGE_FILE] = _toolset_text(JUDGE_FILE, examples)
    wanted[USE_CASES_TESTS] = (BUNDLED / USE_CASES_TESTS).read_bytes()
    for relative, content in wanted.items():
        target = examples.root / relative
        digest = hashlib.sha256(content).hexdigest()
        if target.exists():
            current = sha256_of(target)
            if current == digest:
                manifest[relative] = digest
                continue
            if manifest.get(relative) != current:
                continue  # the user edited this copy: keep it
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, content.decode("utf-8"))
        manifest[relative] = digest
    (examples.root / "db").mkdir(exist_ok=True)
    if not examples.kb_db.exists():
        build_knowledge_base(examples.kb_db, examples.docs)
    if not examples.sales_db.exists():
        build_sales(examples.sales_db, BUNDLED / "sales.json")
    if not examples.crm_db.exists():
        build_crm(examples.crm_db, BUNDLED / "crm.sql")
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return examples


def reset_example_data(examples: ExamplePaths) -> None:
    """Rebuild the example databases from the bundled data (discarding CRM changes)."""
    for db in (examples.kb_db, examples.sales_db, examples.crm_db):
        db.unlink(missing_ok=True)
    install_examples(examples.root)
