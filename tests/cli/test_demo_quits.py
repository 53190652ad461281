"""Tests that the real demo, run in a terminal, ends when `q` is pressed and frees the shell."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests.eventually import eventually_blocking

pytestmark = pytest.mark.slow
ROWS, COLUMNS = 30, 100


def read_some(fd: int, seen: bytearray) -> bytes:
    """What the terminal shows so far (the dashboard draws with escapes; text survives them)."""
    while select.select([fd], [], [], 0)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other end closed: the program ended
            break
        if not chunk:
            break
        seen.extend(chunk)
    return bytes(seen)


def test_q_on_the_demo_returns_to_the_shell(tmp_path: Path) -> None:
    """The dashboard quits, its own hub and simulated fleet stop, and the process exits 0."""
    main, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "HOME": str(tmp_path)}
    demo = subprocess.Popen(
        [sys.executable, "-m", "testday.cli.main", "demo", "--rooms", "1", "--devices", "3"],
        stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True,
    )  # fmt: skip
    os.close(terminal)
    seen = bytearray()
    try:
        eventually_blocking(lambda: b"hub connected" in read_some(main, seen), 60,
                            what="the dashboard on the demo's hub")  # fmt: skip
        os.write(main, b"q")
        eventually_blocking(lambda: demo.poll() is not None, 20, what="the demo to exit after q")
        assert demo.returncode == 0, read_some(main, seen)[-2000:]
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(10)
        os.close(main)
