"""Provides the typed views of testing sessions and incidents, as the hub serves them."""

from __future__ import annotations

from typing import Literal

import msgspec

from testday.console_protocol.device_views import Status, View

SessionState = Literal["scheduled", "checking", "in_progress", "paused", "completed", "cancelled"]
SessionAction = Literal["check", "start", "pause", "resume", "end", "cancel"]


class RosterEntry(View):
    """A student (by state ID only) and the device they are on now."""

    student: str
    device_id: str


class TransitionView(View):
    """One step of a session's state machine, timed and attributed."""

    ts: float
    action: SessionAction
    from_state: SessionState = msgspec.field(name="from")
    to_state: SessionState = msgspec.field(name="to")
    actor: str = ""
    note: str = ""


class SweepReason(View):
    code: str
    message: str
    runbook: str = ""


class SweepDevice(View):
    """A device of the session's rooms that must be fixed before the session starts."""

    device_id: str
    hostname: str | None = None
    verdict: Status = "offline"
    reasons: tuple[SweepReason, ...] = ()

    @property
    def name(self) -> str:
        return self.hostname or self.device_id


class UnseenDevice(View):
    """A rostered device not seen in the session's rooms (it counts as one to fix)."""

    student: str
    device_id: str
    hostname: str | None = None
    room: str | None = None


class SweepView(View):
    """The readiness sweep of a session's rooms: only what must be fixed, by room."""

    checked_at: float
    ready: bool
    must_fix: int = 0
    rooms: dict[str, tuple[SweepDevice, ...]] = msgspec.field(default_factory=dict)
    unseen_roster: tuple[UnseenDevice, ...] = ()


class SessionView(View):
    """One testing session with its plan, roster, clock inputs, history and last sweep."""

    id: str
    name: str
    profile: str
    rooms: tuple[str, ...]
    state: SessionState
    scheduled_start: float
    scheduled_end: float
    program: str = ""
    test: str = ""
    grade: str = ""
    content_area: str = ""
    proctor: str = ""
    test_administrator: str = ""
    roster: tuple[RosterEntry, ...] = ()  # the current one
    started_at: float | None = None
    paused_since: float | None = None
    # Pauses ended by the last transition; a console adds an open one from paused_since, so the
    # view only changes when the session does.
    paused_total_s: float = 0.0
    pause_limit_s: float = 20 * 60.0  # the profile's pause rule
    pause_lead_s: float = 5 * 60.0  # how long before the limit to warn
    history: tuple[TransitionView, ...] = ()
    sweep: SweepView | None = None

    @property
    def title(self) -> str:
        """What a person calls it: its name, else its id."""
        return self.name or self.id

    def device_of(self, student: str) -> str | None:
        return next((e.device_id for e in self.roster if e.student == student), None)

    def students_on(self, device_id: str) -> tuple[str, ...]:
        """State IDs the current roster puts on ``device_id``, sorted."""
        return tuple(sorted(e.student for e in self.roster if e.device_id == device_id))


class SequenceLine(View):
    """One line of an incident's sequence of events."""

    at: float
    text: str


class DeadlineView(View):
    """One deadline clock of the site's rules for an incident."""

    label: str
    due: float
    met: bool


IncidentSource = Literal["detector", "dashboard", "cli"]


class IncidentView(View):
    """One irregularity report as the dashboard lists it (the export holds every field)."""

    id: str
    status: str
    source: str
    created_at: float
    updated_at: float
    category: str | None = None
    subcategory: str | None = None
    severity: str | None = None
    room: str | None = None
    session_id: str | None = None
    devices: tuple[str, ...] = ()
    students: tuple[str, ...] = ()  # state IDs
    occurred_at: float | None = None
    created_by: str = ""
    sequence: tuple[SequenceLine, ...] = ()
    action_taken: str | None = None
    requested_outcome: str | None = None
    deadline: float | None = None  # the earliest unmet due time
    deadlines: tuple[DeadlineView, ...] = ()

    @property
    def when(self) -> float:
        """When it happened, else when it was logged."""
        return self.occurred_at or self.created_at
