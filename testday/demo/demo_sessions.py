"""Provides the demo's testing sessions: one per room, under way, with one pause near its limit."""

from __future__ import annotations

from collections.abc import Iterable

from testday.core import sessions
from testday.core.sessions import RosterEntry, Session, SessionEvent
from testday.demo.scenario import Scenario
from testday.store.database import Store
from testday.store.session_store import SessionStore

TESTS = (("7", "Mathematics"), ("8", "English Language Arts"), ("6", "Science"))
STARTED_AGO_S = 25 * 60
# Paused this long ago, a 20-minute pause rule starts warning within the demo's first minute.
PAUSED_AGO_S = 14 * 60 + 40
ACTOR = "demo"


def plan(scenario: Scenario, profile_id: str, now: float) -> list[Session]:
    """A session per room with a roster of made-up state IDs, plus one planned for later."""
    rooms = list(dict.fromkeys(a.device.room for a in scenario.agents))
    planned: list[Session] = []
    for i, room in enumerate(rooms):
        grade, area = TESTS[i % len(TESTS)]
        roster = tuple(
            RosterEntry(f"S{grade}{i:02d}{n:04d}", agent.identity.device_id)
            for n, agent in enumerate(a for a in scenario.agents if a.device.room == room)
        )
        planned.append(
            Session(
                id=f"demo-{room.lower().replace(' ', '')}",
                name=f"Grade {grade} {area}",
                profile_id=profile_id,
                rooms=(room,),
                scheduled_start=now - STARTED_AGO_S,
                scheduled_end=now - STARTED_AGO_S + 90 * 60,
                program="State Assessment",
                test=f"Grade {grade} {area}",
                grade=grade,
                content_area=area,
                proctor=f"Proctor {room}",
                test_administrator="A. Rivera",
                roster=roster,
            )
        )
    if rooms:
        planned.append(
            Session(
                id="demo-makeup",
                name="Make-up session",
                profile_id=profile_id,
                rooms=(rooms[0],),
                scheduled_start=now + 2 * 3600,
                scheduled_end=now + 3 * 3600,
                program="State Assessment",
                test="Make-up",
            )
        )
    return planned


def history(planned: list[Session], now: float) -> Iterable[tuple[Session, SessionEvent]]:
    """What happened to each session so far: room sessions started, the last one paused."""
    live = [s for s in planned if s.scheduled_start < now]
    for i, session in enumerate(live):
        session, started = sessions.apply(session, "start", now - STARTED_AGO_S, ACTOR)
        yield session, started
        if i == len(live) - 1 and len(live) > 1:
            note = "fire drill"
            yield sessions.apply(session, "pause", now - PAUSED_AGO_S, ACTOR, note)


async def write(store: Store, scenario: Scenario, profile_id: str, now: float) -> int:
    """Store the demo's sessions and their history; returns how many sessions were created."""
    session_store = SessionStore(store)
    planned = plan(scenario, profile_id, now)
    for session in planned:
        await session_store.create(session, now - STARTED_AGO_S - 60, ACTOR)
    for _, event in history(planned, now):
        await session_store.append(event)
    return len(planned)
