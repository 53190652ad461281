"""Tests DESIGN.md's dependency direction: agent, core and TUI boundaries, by reading imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AGENT_ALLOWED = {"testday_agent", "psutil", "websockets", "msgspec"}
NETWORK_OR_UI = {
    "textual",
    "websockets",
    "aiosqlite",
    "sqlite3",
    "asyncssh",
    "pysnmp",
    "socket",
    "asyncio",
    "urllib",
    "http",
}
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


def test_core_is_io_free() -> None:
    """testday.core imports no network, database or UI library."""
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files(ROOT / "testday" / "core")
        for name in imported_modules(path)
        if top(name) in NETWORK_OR_UI
    }
    assert not offenders, sorted(offenders)


def test_nothing_imports_the_tui() -> None:
    """Only the command line, which launches it, imports testday.tui."""
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for folder in (ROOT / "testday", ROOT / "agents")
        for path in python_files(folder)
        if not {"tui", "cli"} & set(path.relative_to(ROOT).parts)
        for name in imported_modules(path)
        if name == "testday.tui" or name.startswith("testday.tui.")
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


def test_tui_reaches_the_hub_only_through_the_client_interface() -> None:
    """testday.tui imports neither the hub, the store, SQLite nor a network library."""
    banned = ("testday.hub", "testday.store", "aiosqlite", "sqlite3", "websockets", "socket")
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in python_files(ROOT / "testday" / "tui")
        for name in imported_modules(path)
        if any(name == b or name.startswith(b + ".") for b in banned)
    }
    assert not offenders, sorted(offenders)


def test_only_the_tui_imports_textual() -> None:
    """The data layers (core, hub, store, config, console client, demo) never import Textual."""
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for folder in ("core", "hub", "store", "config", "console_client", "demo")
        for path in python_files(ROOT / "testday" / folder)
        for name in imported_modules(path)
        if top(name) == "textual"
    }
    assert not offenders, sorted(offenders)
