"""Provides SessionStore: testing sessions kept as an append-only event log in SQLite."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from testday.core import sessions
from testday.core.sessions import RosterEntry, Session, SessionError, SessionEvent
from testday.store.database import Store

CREATED = "session.created"
ACTION_OF: dict[str, sessions.Action] = {kind: a for a, kind in sessions.EVENT_KINDS.items()}
ASSIGNED = frozenset({"session.roster_assigned", "session.device_swapped"})
# Plan fields copied verbatim into the created event; the core's created() keeps only a few.
PLAN_FIELDS = (
    "id", "name", "program", "test", "grade", "content_area", "profile_id", "proctor",
    "test_administrator", "scheduled_start", "scheduled_end",
)  # fmt: skip


class SessionExistsError(SessionError):
    """A session with this id is already stored."""


class UnknownSessionError(SessionError):
    """No stored session has this id."""


def plan_record(session: Session) -> dict[str, Any]:
    """The session's plan as JSON-ready data: enough to rebuild it before any transition."""
    record: dict[str, Any] = {name: getattr(session, name) for name in PLAN_FIELDS}
    record["rooms"] = list(session.rooms)
    record["roster"] = [dataclasses.asdict(e) for e in session.roster]
    return record


def session_from_plan(record: dict[str, Any]) -> Session:
    roster = tuple(RosterEntry(**e) for e in record.get("roster", ()))
    fields = {name: record[name] for name in PLAN_FIELDS if name in record}
    return Session(**fields, rooms=tuple(record["rooms"]), roster=roster)


@dataclass(frozen=True)
class SessionRow:
    """One stored session event; ``id`` grows with every append, from any process."""

    id: int
    ts: float
    session_id: str
    kind: str
    data: dict[str, Any]


class SessionStore:
    """The ``session_events`` table of a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def create(self, session: Session, now: float, actor: str) -> SessionEvent:
        """Store a new session (its created event carrying the full plan); returns the event."""
        event = sessions.created(session, now, actor)
        await self.append(event, session)
        return event

    async def append(self, event: SessionEvent, session: Session | None = None) -> int:
        """Append one event, fsynced; returns its row id. A created event needs its ``session``."""
        data = dict(event.data)
        if event.kind == CREATED:
            if session is None or session.id != event.session_id:
                raise ValueError("a session.created event is stored with the session it creates")
            data["session"] = plan_record(session)
        raw = json.dumps(data, sort_keys=True)
        # The Store's transaction helper is package-private; this table is part of the same store.
        async with self.store._transaction(durable=True) as conn:
            # Checked under the write lock so two writers cannot create the same id twice.
            seen = await conn.execute_fetchall(
                "SELECT 1 FROM session_events WHERE session_id = ? AND kind = ? LIMIT 1",
                (event.session_id, CREATED),
            )
            if event.kind == CREATED and seen:
                raise SessionExistsError(f"session {event.session_id!r} already exists")
            if event.kind != CREATED and not seen:
                raise UnknownSessionError(f"no session {event.session_id!r}")
            if event.kind != CREATED:
                # Two writers (the hub and a CLI, say) may each have judged this event against
                # what they had loaded; only the stored history decides. An event that does not
                # follow it raises SessionError here, and the transaction is rolled back, so
                # the stored log always replays.
                stored = await conn.execute_fetchall(
                    "SELECT id, ts, session_id, kind, data FROM session_events "
                    "WHERE session_id = ? ORDER BY id",
                    (event.session_id,),
                )
                folded: dict[str, Session] = {}
                for i, ts, sid, kind, stored_raw in stored:
                    fold(folded, SessionRow(int(i), float(ts), sid, kind, json.loads(stored_raw)))
                replay(folded[event.session_id], event.kind, event.ts, data)
            cursor = await conn.execute(
                "INSERT INTO session_events (ts, session_id, kind, data) VALUES (?, ?, ?, ?)",
                (event.ts, event.session_id, event.kind, raw),
            )
            return int(cursor.lastrowid or 0)

    async def rows_after(self, after_id: int = 0) -> list[SessionRow]:
        """Stored events with an id above ``after_id``, in the order they were stored.

        How a running hub follows sessions changed by other processes on the same file.
        """
        rows = await self.store._fetch(
            "SELECT id, ts, session_id, kind, data FROM session_events WHERE id > ? ORDER BY id",
            (after_id,),
        )
        return [
            SessionRow(int(i), float(ts), sid, kind, json.loads(raw))
            for i, ts, sid, kind, raw in rows
        ]

    async def load(self) -> dict[str, Session]:
        """Every stored session, rebuilt by replaying its events in the order they were stored."""
        out: dict[str, Session] = {}
        for row in await self.rows_after(0):
            fold(out, row)
        return out

    async def get(self, session_id: str) -> Session:
        found = (await self.load()).get(session_id)
        if found is None:
            raise UnknownSessionError(f"no session {session_id!r}")
        return found


def fold(sessions: dict[str, Session], row: SessionRow) -> bool:
    """Apply one stored row to ``sessions``; False if it names a session not (yet) known.

    Raises SessionError when the event does not apply to the session as folded so far.
    """
    if row.kind == CREATED:
        sessions[row.session_id] = session_from_plan(row.data["session"])
        return True
    current = sessions.get(row.session_id)
    if current is None:
        return False
    sessions[row.session_id] = replay(current, row.kind, row.ts, row.data)
    return True


def replay(session: Session, kind: str, ts: float, data: dict[str, Any]) -> Session:
    """Apply one stored event; kinds this version does not know are skipped (newer writers)."""
    actor = data.get("actor", "")
    if kind in ACTION_OF:
        return sessions.apply(session, ACTION_OF[kind], ts, actor, data.get("note", ""))[0]
    if kind in ASSIGNED:
        student, device = data["student"], data["device"]
        return sessions.assign_device(session, student, device, ts, actor, data.get("note", ""))[0]
    return session
