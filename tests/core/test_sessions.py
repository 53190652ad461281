"""Tests testing sessions: the state machine, its timed history, roster swaps and the pause rule."""

from __future__ import annotations

import dataclasses
from datetime import UTC

import msgspec
import pytest

from testday.core.profile import Profile
from testday.core.sessions import (
    TRANSITIONS,
    Action,
    RosterEntry,
    Session,
    SessionError,
    apply,
    assign_device,
    created,
    pause_alert,
)
from tests.core.devices import NOW, PROFILE

START = NOW + 3600
ROSTER = (RosterEntry("1000000001", "lab-01"), RosterEntry("1000000002", "lab-02"))


def session(**changes: object) -> Session:
    base = Session(
        id="g7-math",
        name="Grade 7 Math",
        profile_id=PROFILE.id,
        rooms=("112", "114"),
        scheduled_start=START,
        scheduled_end=START + 90 * 60,
        roster=ROSTER,
    )
    return dataclasses.replace(base, **changes)


def walk(*actions: Action, at: float = START) -> Session:
    s = session()
    for i, action in enumerate(actions):
        s, _ = apply(s, action, at + i * 60, "tech")
    return s


LEGAL = [
    ((), "check", "checking", "session.checking"),
    ((), "start", "in_progress", "session.started"),
    (("check",), "start", "in_progress", "session.started"),
    (("start",), "pause", "paused", "session.paused"),
    (("start", "pause"), "resume", "in_progress", "session.resumed"),
    (("start",), "end", "completed", "session.completed"),
    (("start", "pause"), "end", "completed", "session.completed"),
    ((), "cancel", "cancelled", "session.cancelled"),
    (("check",), "cancel", "cancelled", "session.cancelled"),
    (("start",), "cancel", "cancelled", "session.cancelled"),
    (("start", "pause"), "cancel", "cancelled", "session.cancelled"),
]


@pytest.mark.parametrize(("before", "action", "state", "kind"), LEGAL)
def test_legal_transition(
    before: tuple[Action, ...], action: Action, state: str, kind: str
) -> None:
    """Each legal action moves to its state and yields the event for the log."""
    s = walk(*before)
    was = s.state
    new, ev = apply(s, action, START + 3000, "proctor-1")
    assert new.state == state
    assert s.state == was  # the old session is untouched
    assert (ev.kind, ev.session_id, ev.rooms, ev.ts) == (
        kind,
        "g7-math",
        ("112", "114"),
        START + 3000,
    )
    assert ev.data["actor"] == "proctor-1"
    assert (ev.data["from"], ev.data["to"]) == (was, state)


def test_every_transition_is_covered() -> None:
    """The legal cases above exercise every (state, action) pair the table allows."""
    covered = {(walk(*before).state, action) for before, action, _, _ in LEGAL}
    table = {(src, a) for a, (sources, _) in TRANSITIONS.items() for src in sources}
    assert covered == table


ILLEGAL = [
    ((), "pause", "in progress"),
    ((), "resume", "paused"),
    ((), "end", "in progress, paused"),
    (("start",), "start", "scheduled, checking"),
    (("start",), "check", "scheduled"),
    (("start", "end"), "cancel", "scheduled, checking, in progress, paused"),
    (("cancel",), "start", "scheduled, checking"),
    (("start", "pause"), "pause", "in progress"),
]


@pytest.mark.parametrize(("before", "action", "allowed"), ILLEGAL)
def test_illegal_transition_says_which_states_allow_it(
    before: tuple[Action, ...], action: Action, allowed: str
) -> None:
    """An illegal action raises SessionError naming the current state and the allowed ones."""
    s = walk(*before)
    with pytest.raises(SessionError) as info:
        apply(s, action, START + 3000, "tech")
    message = str(info.value)
    assert f"cannot {action}" in message
    assert s.state.replace("_", " ") in message
    assert message.endswith(f"allowed only when {allowed}")


def test_history_keeps_every_transition_timed() -> None:
    """The history lists each transition with its time, actor and states, in order."""
    s = walk("check", "start", "pause", "resume", "end")
    assert [(t.ts, t.from_state, t.to_state, t.actor) for t in s.history] == [
        (START, "scheduled", "checking", "tech"),
        (START + 60, "checking", "in_progress", "tech"),
        (START + 120, "in_progress", "paused", "tech"),
        (START + 180, "paused", "in_progress", "tech"),
        (START + 240, "in_progress", "completed", "tech"),
    ]
    assert s.entered("in_progress") == START + 180
    assert s.paused_seconds(START + 9999) == 60


def test_resume_reports_the_pause_length_and_time_cannot_go_back() -> None:
    """Resuming tells how long the pause lasted; a transition before the last one is refused."""
    s = walk("start", "pause")
    _, ev = apply(s, "resume", START + 60 + 700, "tech")
    assert ev.data["paused_s"] == 700
    with pytest.raises(SessionError, match="before its last change"):
        apply(s, "resume", START, "tech")


def test_sessions_are_immutable() -> None:
    """A session cannot be changed in place."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        session().state = "completed"  # type: ignore[misc]


def test_bad_schedule_and_rooms_are_refused() -> None:
    """A session must end after it starts and have a room."""
    with pytest.raises(SessionError, match="end after it starts"):
        session(scheduled_end=START)
    with pytest.raises(SessionError, match="at least one room"):
        session(rooms=())


def test_created_event_carries_the_plan() -> None:
    """The creation event records the schedule and roster, so the log can rebuild the session."""
    ev = created(session(), NOW, "tech")
    assert ev.kind == "session.created"
    assert ev.data["roster"] == {"1000000001": "lab-01", "1000000002": "lab-02"}
    assert (ev.data["start"], ev.data["end"]) == (START, START + 90 * 60)


def test_device_swap_is_kept_in_roster_history() -> None:
    """A swap mid-test closes the old entry and opens a new one; both devices stay on record."""
    s = walk("start")
    swapped, ev = assign_device(s, "1000000001", "spare-07", START + 900, "tech", "froze")
    assert ev.kind == "session.device_swapped"
    assert ev.data == {
        "student": "1000000001",
        "device": "spare-07",
        "previous": "lab-01",
        "note": "froze",
    }
    assert swapped.current_roster["1000000001"] == "spare-07"
    assert swapped.devices_of("1000000001") == ("lab-01", "spare-07")
    assert swapped.student_on("lab-01", START + 899) == "1000000001"
    assert swapped.student_on("lab-01", START + 901) is None
    assert swapped.student_on("spare-07", START + 901) == "1000000001"
    assert s.current_roster["1000000001"] == "lab-01"  # the old session is untouched


def test_roster_assignment_rules() -> None:
    """A new student is assigned; a device in use or a closed session is refused."""
    s, ev = assign_device(session(), "1000000003", "lab-03", NOW, "tech")
    assert ev.kind == "session.roster_assigned"
    assert s.current_roster["1000000003"] == "lab-03"
    with pytest.raises(SessionError, match="already assigned to student 1000000002"):
        assign_device(s, "1000000003", "lab-02", NOW + 1, "tech")
    with pytest.raises(SessionError, match="already on device lab-03"):
        assign_device(s, "1000000003", "lab-03", NOW + 1, "tech")
    with pytest.raises(SessionError, match="roster is closed"):
        assign_device(walk("cancel"), "1000000003", "lab-09", NOW, "tech")


def with_pause_rule(minutes: int | None) -> Profile:
    rules = msgspec.structs.replace(PROFILE.session, pause_blocks_review_min=minutes)
    return msgspec.structs.replace(PROFILE, session=rules)


def test_pause_warns_before_the_rule_expires_and_says_expired_after() -> None:
    """With a 20-minute rule: quiet at 14 min, a warning at 16, "expired" at 21."""
    profile = with_pause_rule(20)
    paused = walk("start", "pause")
    since = paused.paused_since
    assert since == START + 60
    assert pause_alert(paused, profile, since + 14 * 60, tz=UTC) is None
    warning = pause_alert(paused, profile, since + 16 * 60, tz=UTC)
    assert warning is not None and warning.level == "warning"
    assert warning.remaining_s == 4 * 60
    assert warning.deadline == since + 20 * 60
    assert "resume within 4 min" in warning.message
    expired = pause_alert(paused, profile, since + 21 * 60, tz=UTC)
    assert expired is not None and expired.level == "expired"
    assert "expired at 09:21" in expired.message


def test_pause_rule_lead_and_default() -> None:
    """The lead is configurable; a profile without a rule gets 20 min; no pause, no alert."""
    paused = walk("start", "pause")
    since = paused.paused_since
    assert since is not None
    profile = with_pause_rule(30)  # Wyoming writing
    assert pause_alert(paused, profile, since + 24 * 60) is None
    alert = pause_alert(paused, profile, since + 24 * 60, lead_s=600)
    assert alert is not None and alert.level == "warning"
    default = pause_alert(paused, with_pause_rule(None), since + 20 * 60)
    assert default is not None and default.level == "expired"
    assert pause_alert(walk("start"), PROFILE, START + 99 * 60) is None
