"""Provides run_dashboard: run the live dashboard in this terminal until the user quits."""

from __future__ import annotations

import time
from collections.abc import Callable

from testday.console_protocol.client import HubClient
from testday.tui.app import TestdayApp


def run_dashboard(client: HubClient, clock: Callable[[], float] = time.time) -> None:
    """Blocks until `q` (or Ctrl+C); the client is closed and the terminal restored on exit."""
    TestdayApp(client, clock=clock).run()
