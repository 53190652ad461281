"""Tests SessionStore: sessions rebuilt from the session_events log, across a reopen."""

from __future__ import annotations

from pathlib import Path

import pytest

from testday.core import sessions
from testday.core.sessions import RosterEntry, Session
from testday.store.database import Store
from testday.store.session_store import SessionExistsError, SessionStore, UnknownSessionError

T0 = 1_800_000_000.0


def planned() -> Session:
    return Session(
        id="g7-math", name="Grade 7 Math", profile_id="pearson-testnav", rooms=("112", "114"),
        scheduled_start=T0, scheduled_end=T0 + 5400, program="State", test="Math", grade="7",
        proctor="Rivera", test_administrator="Chen", roster=(RosterEntry("S1", "lab-01"),),
    )  # fmt: skip


async def test_replay_rebuilds_plan_transitions_and_swaps(db_path: Path) -> None:
    store = await Store.open(db_path)
    s = SessionStore(store)
    session = planned()
    await s.create(session, T0 - 60, "tech")
    for ts, action in ((T0, "start"), (T0 + 600, "pause"), (T0 + 900, "resume")):
        session, event = sessions.apply(session, action, ts, "tech")
        await s.append(event)
    session, event = sessions.assign_device(session, "S1", "lab-02", T0 + 1000, "tech", "froze")
    await s.append(event)
    await store.close()

    store = await Store.open(db_path)  # a reopen reads only what reached the file
    loaded = (await SessionStore(store).load())["g7-math"]
    await store.close()
    assert loaded.state == "in_progress"
    assert [(t.ts, t.action, t.actor) for t in loaded.history] == [
        (T0, "start", "tech"), (T0 + 600, "pause", "tech"), (T0 + 900, "resume", "tech"),
    ]  # fmt: skip
    assert loaded.devices_of("S1") == ("lab-01", "lab-02")
    assert (loaded.proctor, loaded.test_administrator, loaded.rooms) == (
        "Rivera",
        "Chen",
        ("112", "114"),
    )
    assert loaded.paused_seconds(T0 + 2000) == 300


async def test_duplicate_create_and_unknown_session_are_refused(store: Store) -> None:
    s = SessionStore(store)
    await s.create(planned(), T0, "tech")
    with pytest.raises(SessionExistsError):
        await s.create(planned(), T0, "tech")
    other = Session(
        id="nope", name="x", profile_id="p", rooms=("1",), scheduled_start=T0, scheduled_end=T0 + 1
    )
    _, event = sessions.apply(other, "start", T0, "tech")
    with pytest.raises(UnknownSessionError):
        await s.append(event)
    with pytest.raises(ValueError):
        await s.append(sessions.created(other, T0, "tech"))  # created without its session
    assert list(await s.load()) == ["g7-math"]


async def test_two_writers_acting_on_stale_copies_cannot_store_conflicting_transitions(
    db_path: Path,
) -> None:
    """Hub and CLI both pause the same running session: the second is refused, the log replays."""
    first, second = await Store.open(db_path), await Store.open(db_path)
    try:
        session = planned()
        await SessionStore(first).create(session, 1_000.0, "planner")
        await SessionStore(first).append(sessions.apply(session, "start", 1_010.0, "ta")[1])
        stale_a = await SessionStore(first).get(session.id)
        stale_b = await SessionStore(second).get(session.id)
        await SessionStore(first).append(sessions.apply(stale_a, "pause", 1_020.0, "hub")[1])
        with pytest.raises(sessions.SessionError, match="it is paused"):
            await SessionStore(second).append(sessions.apply(stale_b, "pause", 1_021.0, "cli")[1])
        stored = await SessionStore(second).get(session.id)
        assert [t.actor for t in stored.history] == ["ta", "hub"] and stored.state == "paused"
    finally:
        await first.close()
        await second.close()
