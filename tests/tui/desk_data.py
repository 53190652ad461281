"""Provides sessions and incidents for dashboard tests, typed as the hub serves them."""

from __future__ import annotations

from typing import Any

import msgspec

from testday.console_protocol.desk_views import (
    IncidentView,
    RosterEntry,
    SequenceLine,
    SessionState,
    SessionView,
    SweepView,
    TransitionView,
)
from testday.console_protocol.messages import DeskChanged
from tests.core.devices import NOW, PROFILE

LIMIT_S = 20 * 60.0  # the profile's pause rule
LEAD_S = 5 * 60.0


def make_session(
    session_id: str,
    name: str,
    rooms: tuple[str, ...] = ("112",),
    state: SessionState = "scheduled",
    *,
    start: float = NOW + 3600,
    minutes: float = 60,
    started_at: float | None = None,
    paused_since: float | None = None,
    roster: dict[str, str] | None = None,
    sweep: SweepView | None = None,
    history: tuple[TransitionView, ...] = (),
) -> SessionView:
    """A session with every field of the view filled; ``roster`` maps state ID → device id."""
    entries = tuple(RosterEntry(student=s, device_id=d) for s, d in (roster or {}).items())
    return SessionView(
        id=session_id,
        name=name,
        profile=PROFILE.id,
        rooms=rooms,
        state=state,
        scheduled_start=start,
        scheduled_end=start + minutes * 60,
        program="State Assessment",
        test="ELA Grade 7",
        grade="7",
        content_area="ELA",
        proctor="Ms Rivera",
        test_administrator="Mr Chen",
        roster=entries,
        started_at=started_at,
        paused_since=paused_since,
        paused_total_s=0.0,
        pause_limit_s=LIMIT_S,
        pause_lead_s=LEAD_S,
        history=history,
        sweep=sweep,
    )


def running(session_id: str = "s-ela", name: str = "ELA 7", **kw: Any) -> SessionView:
    """Under way since 10 minutes ago, planned for an hour, c112-04 has student 1001."""
    roster = {"1001": "c112-04", "1002": "c112-01"}
    step = TransitionView(ts=NOW - 600, action="start", from_state="scheduled",
                          to_state="in_progress", actor="rivera")  # fmt: skip
    defaults: dict[str, Any] = {
        "state": "in_progress", "start": NOW - 600, "started_at": NOW - 600,
        "roster": roster, "history": (step,),
    }  # fmt: skip
    return make_session(session_id, name, **(defaults | kw))


def paused(since: float = NOW, **kw: Any) -> SessionView:
    step = TransitionView(ts=since, action="pause", from_state="in_progress", to_state="paused",
                          actor="rivera", note="fire drill")  # fmt: skip
    session = running(state="paused", paused_since=since, **kw)
    return msgspec.structs.replace(session, history=(*session.history, step))


def make_incident(
    incident_id: str, room: str = "112", *, at: float = NOW, **kw: Any
) -> IncidentView:
    """An incident with every field of the view filled; ``kw`` replaces any of them."""
    incident = IncidentView(
        id=incident_id,
        status="open",
        source="dashboard",
        category="technical",
        subcategory="device_lost",
        severity="procedural",
        room=room,
        session_id=None,
        devices=("c112-04",),
        students=("1001",),
        occurred_at=at,
        created_at=at,
        updated_at=at,
        created_by="rivera",
        sequence=(
            SequenceLine(at=at, text="c112-04 went offline"),
            SequenceLine(at=at + 60, text="student 1001 moved to c112-02"),
        ),
        action_taken="",
        requested_outcome="none",
        deadline=None,
    )
    return msgspec.structs.replace(incident, **kw)


def desk(
    *sessions: SessionView, incidents: tuple[IncidentView, ...] = (), hub_time: float = NOW
) -> DeskChanged:
    return DeskChanged(sessions=list(sessions), incidents=list(incidents), hub_time=hub_time)
