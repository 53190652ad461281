"""Provides testing sessions as immutable data: schedule, roster history and the state machine.

Pure: every change takes ``now`` and returns a new session plus the event for the hub's log.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Literal, get_args

from testday.core.presentation import duration, hhmm
from testday.core.profile import Profile

State = Literal["scheduled", "checking", "in_progress", "paused", "completed", "cancelled"]
Action = Literal["check", "start", "pause", "resume", "end", "cancel"]
ACTIONS: tuple[Action, ...] = get_args(Action)
TERMINAL: frozenset[State] = frozenset({"completed", "cancelled"})

# action → (states it is allowed from, state it leads to). Start is allowed straight from
# "scheduled" too: the readiness sweep is advice, and a late room must not be held hostage by it.
TRANSITIONS: dict[Action, tuple[tuple[State, ...], State]] = {
    "check": (("scheduled",), "checking"),
    "start": (("scheduled", "checking"), "in_progress"),
    "pause": (("in_progress",), "paused"),
    "resume": (("paused",), "in_progress"),
    "end": (("in_progress", "paused"), "completed"),
    "cancel": (("scheduled", "checking", "in_progress", "paused"), "cancelled"),
}
EVENT_KINDS: dict[Action, str] = {
    "check": "session.checking",
    "start": "session.started",
    "pause": "session.paused",
    "resume": "session.resumed",
    "end": "session.completed",
    "cancel": "session.cancelled",
}
# Cambium: a pause over 20 minutes blocks review of answered items (DOMAIN.md, timing rules).
DEFAULT_PAUSE_LIMIT_MIN = 20
DEFAULT_PAUSE_LEAD_S = 5 * 60


class SessionError(ValueError):
    """An action the session's state or data does not allow; the message says what would."""


@dataclass(frozen=True)
class RosterEntry:
    """One student on one device for a span of time; a swap closes one entry and opens another."""

    student: str  # state ID only: names never enter the session record
    device_id: str
    assigned_at: float | None = None  # None: planned before the session
    released_at: float | None = None  # None: still on this device
    actor: str | None = None
    note: str = ""

    def covers(self, ts: float) -> bool:
        started = self.assigned_at is None or self.assigned_at <= ts
        return started and (self.released_at is None or ts < self.released_at)


@dataclass(frozen=True)
class Transition:
    ts: float
    action: Action
    from_state: State
    to_state: State
    actor: str
    note: str = ""


@dataclass(frozen=True)
class SessionEvent:
    """Something that happened to a session, to be appended to the durable event log."""

    ts: float
    kind: str
    session_id: str
    rooms: tuple[str, ...]
    data: dict[str, Any]


@dataclass(frozen=True)
class Session:
    id: str
    name: str
    profile_id: str
    rooms: tuple[str, ...]
    scheduled_start: float
    scheduled_end: float
    program: str = ""
    test: str = ""
    grade: str = ""
    content_area: str = ""
    proctor: str = ""
    test_administrator: str = ""
    roster: tuple[RosterEntry, ...] = ()  # every entry ever, in the order they were made
    state: State = "scheduled"
    history: tuple[Transition, ...] = ()

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise SessionError("a session needs an id")
        if not self.rooms:
            raise SessionError(f"session {self.id!r} needs at least one room")
        if self.scheduled_end <= self.scheduled_start:
            raise SessionError(f"session {self.id!r} must end after it starts")
        _check_roster(self.roster)

    @property
    def current_roster(self) -> dict[str, str]:
        """Student state ID → the device they are on now."""
        return {e.student: e.device_id for e in self.roster if e.released_at is None}

    def devices_of(self, student: str) -> tuple[str, ...]:
        """Every device the student used, in order: where their saved responses may be."""
        return tuple(dict.fromkeys(e.device_id for e in self.roster if e.student == student))

    def student_on(self, device_id: str, ts: float) -> str | None:
        """The student on ``device_id`` at ``ts``, if any."""
        return next(
            (e.student for e in self.roster if e.device_id == device_id and e.covers(ts)), None
        )

    def entered(self, state: State) -> float | None:
        """When the session last entered ``state``, or None if it never did."""
        return next((t.ts for t in reversed(self.history) if t.to_state == state), None)

    @property
    def paused_since(self) -> float | None:
        return self.entered("paused") if self.state == "paused" else None

    def paused_seconds(self, now: float) -> float:
        """Total time spent paused so far (an open pause counts up to ``now``)."""
        total, since = 0.0, None
        for t in self.history:
            if t.to_state == "paused":
                since = t.ts
            elif since is not None:
                total, since = total + t.ts - since, None
        return total + (now - since if since is not None else 0.0)


def _check_roster(roster: tuple[RosterEntry, ...]) -> None:
    on_student: dict[str, str] = {}
    on_device: dict[str, str] = {}
    for e in roster:
        if e.released_at is not None:
            continue
        # Two open entries would make "which device holds this student's responses" ambiguous.
        if e.student in on_student:
            raise SessionError(f"student {e.student} is on two devices at once")
        if e.device_id in on_device:
            held = on_device[e.device_id]
            raise SessionError(f"device {e.device_id} is already assigned to student {held}")
        on_student[e.student], on_device[e.device_id] = e.device_id, e.student


def event(session: Session, ts: float, kind: str, **data: Any) -> SessionEvent:
    return SessionEvent(ts=ts, kind=kind, session_id=session.id, rooms=session.rooms, data=data)


def created(session: Session, now: float, actor: str) -> SessionEvent:
    """The event that records a new session (its plan, so the log alone can rebuild it)."""
    return event(
        session,
        now,
        "session.created",
        actor=actor,
        name=session.name,
        profile=session.profile_id,
        start=session.scheduled_start,
        end=session.scheduled_end,
        roster=session.current_roster,
    )


def allowed_from(action: Action) -> tuple[State, ...]:
    return TRANSITIONS[action][0]


def apply(
    session: Session, action: Action, now: float, actor: str, note: str = ""
) -> tuple[Session, SessionEvent]:
    """Move the session through ``action``; raises SessionError naming the states that allow it."""
    if action not in TRANSITIONS:
        raise SessionError(f"unknown action {action!r} (known: {', '.join(ACTIONS)})")
    sources, target = TRANSITIONS[action]
    if session.state not in sources:
        allowed = ", ".join(s.replace("_", " ") for s in sources)
        raise SessionError(
            f"cannot {action} session {session.id!r}: it is {session.state.replace('_', ' ')}; "
            f"{action} is allowed only when {allowed}"
        )
    if session.history and now < session.history[-1].ts:
        # The log must read in order; a clock stepping back would make durations negative.
        raise SessionError(f"cannot {action} session {session.id!r} before its last change")
    step = Transition(now, action, session.state, target, actor, note)
    new = dataclasses.replace(session, state=target, history=(*session.history, step))
    data: dict[str, Any] = {"actor": actor, "from": session.state, "to": target}
    if note:
        data["note"] = note
    if session.state == "paused" and (since := session.paused_since) is not None:
        data["paused_s"] = now - since
    return new, event(new, now, EVENT_KINDS[action], **data)


def assign_device(
    session: Session, student: str, device_id: str, now: float, actor: str, note: str = ""
) -> tuple[Session, SessionEvent]:
    """Put a student on a device; if they were on another one, that is a swap, kept in history."""
    if session.state in TERMINAL:
        raise SessionError(f"session {session.id!r} is {session.state}: its roster is closed")
    current = session.current_roster.get(student)
    if current == device_id:
        raise SessionError(f"student {student} is already on device {device_id}")
    roster = tuple(
        dataclasses.replace(e, released_at=now)
        if e.student == student and e.released_at is None
        else e
        for e in session.roster
    )
    entry = RosterEntry(student, device_id, assigned_at=now, actor=actor, note=note)
    new = dataclasses.replace(session, roster=(*roster, entry))  # validates the device is free
    if current is None:
        return new, event(new, now, "session.roster_assigned", student=student, device=device_id)
    kind = "session.device_swapped"
    return new, event(
        new, now, kind, student=student, device=device_id, previous=current, note=note
    )


@dataclass(frozen=True)
class PauseAlert:
    session_id: str
    level: Literal["warning", "expired"]
    paused_since: float
    deadline: float  # when the pause rule is broken
    remaining_s: float  # negative once expired
    message: str
    rooms: tuple[str, ...] = ()


def pause_limit_s(profile: Profile) -> float:
    minutes = profile.session.pause_blocks_review_min or DEFAULT_PAUSE_LIMIT_MIN
    return minutes * 60.0


def pause_alert(
    session: Session,
    profile: Profile,
    now: float,
    lead_s: float = DEFAULT_PAUSE_LEAD_S,
    tz: tzinfo | None = None,
) -> PauseAlert | None:
    """A warning ``lead_s`` before a pause breaks the profile's pause rule, "expired" after it."""
    since = session.paused_since
    if since is None:
        return None
    limit = pause_limit_s(profile)
    deadline = since + limit
    remaining = deadline - now
    if remaining > lead_s:
        return None
    head = f"Session {session.name or session.id} paused since {hhmm(since, tz)}"
    rule = f"a pause over {duration(limit)} blocks review of answered items ({profile.name})"
    if remaining > 0:
        level: Literal["warning", "expired"] = "warning"
        msg = f"{head}: resume within {duration(remaining)} — {rule}"
    else:
        level = "expired"
        msg = f"{head}: pause expired at {hhmm(deadline, tz)} — {rule}"
    return PauseAlert(session.id, level, since, deadline, remaining, msg, session.rooms)
