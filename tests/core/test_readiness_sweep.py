"""Tests the pre-session sweep: devices judged room by room, batteries forecast to the end."""

from __future__ import annotations

from collections import deque
from datetime import UTC
from typing import Any

from testday_agent.protocol import Facts

from testday.core.fleet import Device
from testday.core.readiness import Observed, Verdict
from testday.core.readiness_sweep import sweep
from testday.core.sessions import RosterEntry, Session
from tests.core.devices import NOW, PROFILE, battery_at, drain, healthy, system, with_


def session(minutes: int, rooms: tuple[str, ...] = ("112", "114")) -> Session:
    return Session(
        id="g7-math",
        name="Grade 7 Math",
        profile_id=PROFILE.id,
        rooms=rooms,
        scheduled_start=NOW,
        scheduled_end=NOW + minutes * 60,
        roster=(RosterEntry("1000000001", "lab-01"), RosterEntry("1000000009", "lab-99")),
    )


def device(device_id: str, room: str, facts: Facts | None = None, **kw: Any) -> Device:
    return Device(
        device_id=device_id,
        first_seen=NOW - 3600,
        hostname=device_id,
        room=room,
        facts=healthy() if facts is None else facts,
        presence=kw.pop("presence", "online"),
        last_seen=NOW - 5,
        **kw,
    )


def draining_laptop(device_id: str, room: str) -> Device:
    """At 60 % and losing 0.5 %/min: about two hours left."""
    return device(
        device_id,
        room,
        battery_at(60.0, plugged=False),
        battery_samples=deque(drain(60, 0.5)),
    )


def fleet() -> dict[str, list[Device]]:
    return {
        "112": [
            device("lab-01", "112"),
            device("lab-02", "112", with_(healthy(), system=system(disk_free_mb=10))),
            device("lab-03", "112", presence="offline"),
        ],
        "114": [device("lab-11", "114"), draining_laptop("lab-12", "114")],
        "200": [device("lab-99", "200")],  # another room: not this session's
    }


def test_sweep_groups_what_to_fix_room_by_room() -> None:
    """Each room lists its devices that are not ready, worst first, with counts."""
    result = sweep(session(30), PROFILE, fleet(), NOW, tz=UTC)
    assert [r.room for r in result.rooms] == ["112", "114"]
    room112, room114 = result.rooms
    assert [(f.device_id, f.status) for f in room112.fixes] == [
        ("lab-03", "offline"),
        ("lab-02", "not_ready"),
    ]
    assert room112.fixes[1].reasons[0].code.startswith("disk")
    assert room112.counts == {"ready": 1, "warning": 0, "not_ready": 1, "offline": 1}
    assert room112.total == 3
    assert room114.fixes == ()
    assert result.counts == {"ready": 3, "warning": 0, "not_ready": 1, "offline": 1}
    assert [f.device_id for f in result.must_fix] == ["lab-03", "lab-02"]
    assert not result.ready


def test_battery_is_forecast_to_the_session_end() -> None:
    """A laptop with two hours left is fine for a 30-min session, not for a 3-hour one."""
    short = sweep(session(30), PROFILE, fleet(), NOW, tz=UTC)
    assert short.rooms[1].counts["ready"] == 2
    long = sweep(session(180), PROFILE, fleet(), NOW, tz=UTC)
    assert long.until == NOW + 180 * 60
    [fix] = long.rooms[1].fixes
    assert (fix.device_id, fix.status) == ("lab-12", "not_ready")
    assert fix.reasons[0].code.startswith("battery")
    assert "11:00" in fix.reasons[0].message  # the session's end, in the message


def test_rostered_device_outside_the_rooms_is_reported() -> None:
    """A roster device not seen in the session's rooms blocks readiness; fixes name the student."""
    result = sweep(session(30), PROFILE, fleet(), NOW, tz=UTC)
    assert result.unseen_roster == (("1000000009", "lab-99"),)
    only_room = sweep(session(30, rooms=("112",)), PROFILE, {"112": [device("lab-01", "112")]}, NOW)
    assert only_room.rooms[0].fixes == () and only_room.unseen_roster == (("1000000009", "lab-99"),)
    clean = {"112": [device("lab-01", "112")], "114": [device("lab-99", "114")]}
    assert sweep(session(30), PROFILE, clean, NOW).ready


def test_room_without_devices_and_injected_evaluate() -> None:
    """A room nobody reported from is listed empty; the judge receives the session end."""
    seen: list[Observed] = []

    def judge(profile: object, observed: Observed, now: float, **_: object) -> Verdict:
        seen.append(observed)
        return Verdict("ready", ())

    result = sweep(session(45), PROFILE, {"112": [device("lab-01", "112")]}, NOW, judge)
    assert [(r.room, r.total) for r in result.rooms] == [("112", 1), ("114", 0)]
    assert [o.must_last_until for o in seen] == [NOW + 45 * 60]
