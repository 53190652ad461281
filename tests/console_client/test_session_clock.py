"""Tests a session's clock in words, the pause warning, and an incident form's defaults."""

from __future__ import annotations

from datetime import UTC

import pytest
from msgspec.structs import replace

from testday.console_client.fleet_model import FleetModel
from testday.console_client.incident_defaults import (
    default_category,
    draft_for_device,
    draft_for_room,
    draft_for_session,
)
from testday.console_client.session_clock import (
    pause_warning,
    pause_warnings,
    readiness,
    session_clock,
)
from testday.console_protocol.desk_views import SweepView, TransitionView
from testday.console_protocol.device_views import DeviceView, ReasonView, Severity
from tests.core.devices import NOW
from tests.tui.desk_data import LEAD_S, LIMIT_S, desk, make_session, paused, running
from tests.tui.scripted import FrozenClock, make_device, snapshot

MIN = 60.0


def test_clock_words_for_each_state() -> None:
    """Scheduled, late, checking, under way, over time, paused, finished."""
    scheduled = make_session("s", "S", start=NOW + 3600)
    assert session_clock(scheduled, NOW, UTC) == "starts 09:00"
    assert session_clock(scheduled, NOW + 3600 + 10 * MIN, UTC) == "due 09:00 · 10 min late"
    checking = replace(scheduled, state="checking")
    assert session_clock(checking, NOW, UTC) == "checking · starts 09:00"
    session = running()  # started 10 min ago, planned for 60
    assert session_clock(session, NOW, UTC) == "in progress · 50 min left"
    assert session_clock(session, NOW + 55 * MIN, UTC) == "in progress · 5 min over"
    assert session_clock(paused(since=NOW), NOW + 6 * MIN, UTC) == "paused 6 min · resume by 08:20"
    assert session_clock(paused(since=NOW), NOW + 25 * MIN, UTC) == (
        "paused 25 min · limit passed 08:20"
    )
    step = TransitionView(ts=NOW + 3 * 3600 + 5 * MIN, action="end", from_state="in_progress",
                          to_state="completed", actor="a")  # fmt: skip
    done = make_session("s", "S", state="completed", history=(step,))
    assert session_clock(done, NOW + 4 * 3600, UTC) == "completed 11:05"


def test_pauses_do_not_count_against_the_time_left() -> None:
    session = replace(running(), paused_total_s=5 * MIN)
    assert session_clock(session, NOW, UTC) == "in progress · 55 min left"


@pytest.mark.parametrize(
    ("minutes", "level"),
    [(0, None), (14.9, None), (15, "warning"), (19.9, "warning"), (20, "expired"), (45, "expired")],
)
def test_pause_warning_starts_lead_before_the_limit(minutes: float, level: str | None) -> None:
    """A warning from limit − lead, "expired" from the limit (20 min rule, 5 min lead)."""
    assert (LIMIT_S, LEAD_S) == (20 * MIN, 5 * MIN)
    warning = pause_warning(paused(since=NOW), NOW + minutes * MIN, UTC)
    assert (warning.level if warning else None) == level


def test_pause_warning_names_the_session_when_it_paused_and_the_deadline() -> None:
    warning = pause_warning(paused(since=NOW), NOW + 17 * MIN, UTC)
    assert warning is not None
    assert warning.message.startswith("Session ELA 7 paused since 08:00: resume by 08:20")
    assert "(3 min left)" in warning.message
    assert warning.rooms == ("112",) and warning.deadline == NOW + LIMIT_S
    expired = pause_warning(paused(since=NOW), NOW + 21 * MIN, UTC)
    assert expired is not None and "pause limit passed at 08:20" in expired.message
    assert pause_warning(running(), NOW + 60 * MIN) is None  # not paused: nothing to warn


def test_pause_warnings_put_the_most_urgent_first() -> None:
    early = paused(since=NOW - 10 * MIN, session_id="a", name="A")
    late = paused(since=NOW, session_id="b", name="B")
    assert list(pause_warnings([late, early], NOW + 16 * MIN, UTC)) == ["a", "b"]


def test_readiness_in_one_word() -> None:
    assert readiness(make_session("s", "S")) == "—"
    ready = SweepView(checked_at=NOW, ready=True)
    assert readiness(make_session("s", "S", sweep=ready)) == "ready"
    to_fix = replace(ready, ready=False, must_fix=3)
    assert readiness(make_session("s", "S", sweep=to_fix)) == "3 to fix"


def reasons(*codes: str, severity: Severity = "not_ready") -> DeviceView:
    found = tuple(ReasonView(code=c, severity=severity, message=c) for c in codes)
    return DeviceView(id="d", verdict="not_ready" if found else "ready", reasons=found)


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (("device.offline",), ("technical", "device_lost")),
        (("app.missing",), ("technical", "app_stopped")),
        (("battery.critical", "app.outdated"), ("technical", "battery")),
        (("endpoint.unreachable",), ("technical", "endpoint_unreachable")),
        (("network.down",), ("technical", "endpoint_unreachable")),
        (("clock.skew",), ("technical", "device_failure")),
        ((), ("technical", "device_failure")),
    ],
)
def test_default_category_follows_the_worst_reason(
    codes: tuple[str, ...], expected: tuple[str, str]
) -> None:
    assert default_category(reasons(*codes)) == expected


def test_the_worst_reason_wins_over_the_first() -> None:
    skew = ReasonView(code="clock.skew", severity="warning", message="skew")
    missing = ReasonView(code="app.missing", severity="not_ready", message="missing")
    device = DeviceView(id="d", verdict="not_ready", reasons=(skew, missing))
    assert default_category(device) == ("technical", "app_stopped")
    assert default_category(DeviceView(id="d", verdict="offline")) == ("technical", "device_lost")


def test_students_come_from_the_session_roster() -> None:
    session = running()
    assert session.students_on("c112-04") == ("1001",)
    assert session.students_on("c112-05") == ()


def test_drafts_prefill_room_session_device_and_students() -> None:
    model = FleetModel(clock=FrozenClock())
    model.apply(snapshot([make_device("c112-04", "112", presence="offline", last_seen=NOW - 1200),
                          make_device("x", None)]))  # fmt: skip
    model.apply(desk(running(), make_session("s-two", "Two rooms", ("101", "Library"))))
    draft = draft_for_device(model, "c112-04")
    assert (draft.room, draft.devices, draft.session_id) == ("112", ("c112-04",), "s-ela")
    assert (draft.students, draft.category, draft.subcategory) == (
        ("1001",),
        "technical",
        "device_lost",
    )
    assert not draft.ask_room
    assert draft_for_device(model, "x").ask_room  # no room reported: the form asks
    room = draft_for_room(model, "112")
    assert (room.room, room.devices, room.session_id) == ("112", (), "s-ela")
    two = draft_for_session(model.sessions["s-two"])
    assert two.ask_room and two.room == "101" and two.room_choices == ("101", "Library")
