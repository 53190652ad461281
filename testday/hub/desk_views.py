"""Provides the typed session, sweep and incident views the hub serves (console_protocol)."""

from __future__ import annotations

from collections.abc import Mapping

from testday.console_protocol.desk_views import (
    DeadlineView,
    IncidentView,
    RosterEntry,
    SequenceLine,
    SessionView,
    SweepDevice,
    SweepReason,
    SweepView,
    TransitionView,
    UnseenDevice,
)
from testday.core.fleet import Device
from testday.core.incident_deadlines import DeadlineRule, deadline
from testday.core.incidents import Incident
from testday.core.profile import Profile
from testday.core.readiness_sweep import SweepResult
from testday.core.sessions import (
    DEFAULT_PAUSE_LEAD_S,
    DEFAULT_PAUSE_LIMIT_MIN,
    Session,
    Transition,
    pause_limit_s,
)

# What `testday incident add` stores as its source; the dashboard knows it as "cli".
_SOURCE_NAMES = {"manual": "cli"}


def session_view(session: Session, profile: Profile | None, sweep: SweepView | None) -> SessionView:
    """``profile`` None (not loaded here) falls back to the default pause rule."""
    limit = pause_limit_s(profile) if profile else DEFAULT_PAUSE_LIMIT_MIN * 60.0
    last = session.history[-1].ts if session.history else session.scheduled_start
    roster = session.current_roster
    return SessionView(
        id=session.id,
        name=session.name,
        profile=session.profile_id,
        rooms=session.rooms,
        state=session.state,
        scheduled_start=session.scheduled_start,
        scheduled_end=session.scheduled_end,
        program=session.program,
        test=session.test,
        grade=session.grade,
        content_area=session.content_area,
        proctor=session.proctor,
        test_administrator=session.test_administrator,
        roster=tuple(RosterEntry(student=s, device_id=d) for s, d in roster.items()),
        started_at=next((t.ts for t in session.history if t.action == "start"), None),
        paused_since=session.paused_since,
        paused_total_s=session.paused_seconds(last),
        pause_limit_s=limit,
        pause_lead_s=float(DEFAULT_PAUSE_LEAD_S),
        history=tuple(map(_step, session.history)),
        sweep=sweep,
    )


def _step(t: Transition) -> TransitionView:
    return TransitionView(ts=t.ts, action=t.action, from_state=t.from_state, to_state=t.to_state,
                          actor=t.actor, note=t.note)  # fmt: skip


def sweep_view(result: SweepResult, devices: Mapping[str, Device]) -> SweepView:
    """Only the devices that must be fixed, by room; rostered devices not seen in the session's
    rooms count in ``must_fix`` as the CLI's check counts them."""
    rooms = {
        room.room: tuple(
            SweepDevice(
                device_id=fix.device_id,
                hostname=fix.hostname,
                verdict=fix.status,
                reasons=tuple(
                    SweepReason(code=r.code, message=r.message, runbook=r.runbook)
                    for r in fix.reasons
                ),
            )
            for fix in room.must_fix
        )
        for room in result.rooms
    }
    unseen = tuple(
        UnseenDevice(
            student=student,
            device_id=device_id,
            hostname=devices[device_id].hostname if device_id in devices else None,
            room=devices[device_id].room if device_id in devices else None,
        )
        for student, device_id in result.unseen_roster
    )
    return SweepView(
        checked_at=result.checked_at,
        ready=result.ready,
        must_fix=len(result.must_fix) + len(result.unseen_roster),
        rooms=rooms,
        unseen_roster=unseen,
    )


def same_sweep(a: SweepView | None, b: SweepView | None) -> bool:
    """Equal but for when it was taken: a re-sweep that finds the same is no change."""
    if a is None or b is None:
        return a is b
    return (a.ready, a.must_fix, a.rooms, a.unseen_roster) == (
        b.ready,
        b.must_fix,
        b.rooms,
        b.unseen_roster,
    )


def incident_view(incident: Incident, rules: tuple[DeadlineRule, ...] = ()) -> IncidentView:
    """``rules`` are the site's deadline rules (the dashboard runs the clock)."""
    source = incident.source or "cli"
    # Due times and whether each is met do not depend on "now", so the view changes only when
    # the incident does; the dashboard says "due in 3 h" or "overdue" with its own clock.
    clocks = [deadline(incident, rule, incident.updated_at) for rule in rules]
    unmet = [c.due.timestamp() for c in clocks if not c.met]
    return IncidentView(
        id=incident.id,
        status=incident.status,
        source=_SOURCE_NAMES.get(source, source),
        category=incident.category,
        subcategory=incident.subcategory,
        severity=incident.severity,
        room=incident.room,
        session_id=incident.session_id,
        devices=tuple(d.device_id for d in incident.devices),
        students=tuple(s.state_id for s in incident.affected_students),
        occurred_at=incident.occurred_at.timestamp() if incident.occurred_at else None,
        created_at=incident.created_at.timestamp(),
        updated_at=incident.updated_at.timestamp(),
        created_by=incident.created_by,
        sequence=tuple(SequenceLine(at=s.at.timestamp(), text=s.text) for s in incident.sequence),
        action_taken=incident.action_taken,
        requested_outcome=incident.requested_outcome,
        deadline=min(unmet, default=None),
        deadlines=tuple(
            DeadlineView(label=c.label, due=c.due.timestamp(), met=c.met) for c in clocks
        ),
    )
