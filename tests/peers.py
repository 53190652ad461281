"""Provides how tests find the real peers they talk to (sshd, snmpd, pdftoppm …) or say why not."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest


def need_tool(tool: str, hint: str) -> str:
    """The tool's path (this venv's own first); missing: skipped locally, a failure under CI=true,
    where the test must run."""
    local = Path(sys.executable).parent / tool
    path = str(local) if local.exists() else None
    path = path or shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
    if path is None:
        message = f"{tool} missing: {hint}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path
