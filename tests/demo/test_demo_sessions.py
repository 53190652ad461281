"""Tests the demo's sessions: one per room under way, one paused near its limit, stored durably."""

from __future__ import annotations

import time
from pathlib import Path

from testday.config.profiles import default_profiles_dir, load_profiles
from testday.core.sessions import pause_alert
from testday.demo import demo_sessions
from testday.demo.scenario import build_scenario
from testday.store.database import Store
from testday.store.session_store import SessionStore

NWEA = load_profiles(default_profiles_dir())["nwea-map"]


async def test_the_demo_plans_a_session_per_room_and_one_pause(tmp_path: Path) -> None:
    scenario = build_scenario(NWEA, rooms=3, per_room=5, seed=1)
    now = time.time()
    store = await Store.open(tmp_path / "demo.sqlite3")
    try:
        created = await demo_sessions.write(store, scenario, NWEA.id, now)
        stored = await SessionStore(store).load()
    finally:
        await store.close()
    assert created == len(stored) == 4
    states = sorted(s.state for s in stored.values())
    assert states == ["in_progress", "in_progress", "paused", "scheduled"]
    for session in stored.values():
        if session.state != "scheduled":
            room = session.rooms[0]
            in_room = {a.identity.device_id for a in scenario.agents if a.device.room == room}
            assert set(session.current_roster.values()) == in_room
    paused = next(s for s in stored.values() if s.state == "paused")
    # Not yet warning when the demo opens, warning within its first minute.
    assert pause_alert(paused, NWEA, now) is None
    alert = pause_alert(paused, NWEA, now + 60)
    assert alert is not None and alert.level == "warning"
