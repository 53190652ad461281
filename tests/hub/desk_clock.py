"""Provides a way to wait for the session desk's ticks: the checked_at of a session's sweeps."""

from __future__ import annotations

import time

from testday.console_protocol.desk_views import SweepView
from testday.core.sessions import Session
from testday.hub.hub import Hub
from testday.store.session_store import SessionStore
from tests.eventually import eventually

CLOCK_SESSION = "desk-clock"


async def add_clock_session(hub: Hub) -> None:
    """A session scheduled soon in a room of its own, which the desk re-sweeps on every tick."""
    now = time.time()
    session = Session(
        CLOCK_SESSION, "Desk clock", "loopback-test", ("clock",), now + 600, now + 4200
    )
    assert hub.store is not None
    await SessionStore(hub.store).create(session, now, "test")
    hub.desk.sweep_every_s = 0


async def swept_after(
    hub: Hub, ts: float, session_id: str = CLOCK_SESSION, timeout: float = 10
) -> SweepView:
    """The session's first sweep taken after ``ts`` (wall clock). A tick follows other writers,
    releases detections and redrafts before it re-sweeps, so a whole tick begun after ``ts`` has
    run by then: what a test that expects nothing to happen waits for instead of a sleep."""

    def sweep() -> SweepView | None:
        found = hub.desk.session_views([session_id])
        taken = found[0].sweep if found else None
        return taken if taken is not None and taken.checked_at > ts else None

    return await eventually(sweep, timeout, what=f"a sweep of {session_id} after {ts:.3f}")
