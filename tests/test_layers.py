"""Tests the layer contracts: .importlinter can fail, and the agent stays small.

`lint-imports` itself runs in ./scripts/test; these tests show that its contracts catch what
they are for (a cycle between packages, the core reaching for I/O) on a copy of the tree.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AGENT_ALLOWED = {"testday_agent", "psutil", "websockets", "msgspec"}
HEAVY = ("textual", "asyncssh", "pysnmp", "aiosqlite")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def top(name: str) -> str:
    return name.split(".")[0]


def python_files(folder: Path) -> list[Path]:
    files = sorted(folder.rglob("*.py"))
    assert files, f"no Python files under {folder}"
    return files


def test_agent_imports_only_protocol_psutil_websockets_and_stdlib() -> None:
    """The agent package imports nothing but the stdlib, psutil, websockets and msgspec."""
    stdlib = sys.stdlib_module_names
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files(ROOT / "agents" / "testday_agent")
        for name in imported_modules(path)
        if top(name) not in AGENT_ALLOWED and top(name) not in stdlib and top(name) != "__future__"
    }
    assert not offenders, sorted(offenders)


@pytest.mark.parametrize("entry", ["testday_agent.cli", "testday_agent.runner"])
def test_running_agent_loads_no_heavy_library(entry: str) -> None:
    """Importing the agent's entry points loads none of textual, asyncssh, pysnmp, aiosqlite."""
    code = (
        f"import sys, {entry}, testday_agent.collect, testday_agent.spool; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def copy_of_the_tree(tmp_path: Path) -> Path:
    """The packages and the contracts, in a folder where a test may break them."""
    root = tmp_path / "tree"
    shutil.copytree(ROOT / "testday", root / "testday", ignore=shutil.ignore_patterns("*.pyc"))
    agent = root / "agents" / "testday_agent"
    shutil.copytree(
        ROOT / "agents" / "testday_agent", agent, ignore=shutil.ignore_patterns("*.pyc")
    )
    shutil.copy(ROOT / ".importlinter", root / ".importlinter")
    return root


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{root / 'agents'}"}
    return subprocess.run(
        [str(lint), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def add_import(module: Path, statement: str) -> None:
    module.write_text(module.read_text() + f"\n{statement}  # added by a test\n")


def test_a_cycle_between_packages_breaks_the_contracts(tmp_path: Path) -> None:
    """store ↔ reports, one import each way: the layers and the acyclic contract both fail."""
    root = copy_of_the_tree(tmp_path)
    assert lint_imports(root).returncode == 0, "the copy must pass before it is broken"
    add_import(root / "testday/store/records.py", "import testday.reports.files")
    add_import(root / "testday/reports/files.py", "import testday.store.records")
    result = lint_imports(root)
    assert result.returncode == 1, result.stdout
    assert "No import cycles between sibling packages or modules BROKEN" in result.stdout
    assert "testday.store" in result.stdout and "testday.reports" in result.stdout


def test_the_core_reaching_for_a_database_breaks_the_contracts(tmp_path: Path) -> None:
    """A core module importing sqlite3 is named as breaking the core's I/O-free contract."""
    root = copy_of_the_tree(tmp_path)
    add_import(root / "testday/core/fleet.py", "import sqlite3")
    result = lint_imports(root)
    assert result.returncode == 1
    assert "The core imports no I/O library" in result.stdout and "BROKEN" in result.stdout
    assert "testday.core.fleet -> sqlite3" in result.stdout
