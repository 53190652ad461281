"""Provides the issue's scripted testing-day scenario as pure fleet events and one live session."""

from __future__ import annotations

from datetime import UTC, datetime

from testday.core.fleet import FleetEvent
from testday.core.sessions import RosterEntry, Session, apply
from tests.core.devices import PROFILE

ROOM_A, ROOM_B = "112", "114"
DEVICES = {
    ROOM_A: [f"dev-a{i:02d}" for i in range(1, 16)],
    ROOM_B: [f"dev-b{i:02d}" for i in range(1, 16)],
}
HOSTNAMES = {d: d.replace("dev-", "lab-") for ds in DEVICES.values() for d in ds}
STUDENT = {d: f"{1000000 + n}" for n, d in enumerate(sorted(HOSTNAMES))}


def at(hms: str) -> float:
    """A time on the test day (UTC), e.g. ``at("10:14:03")``."""
    h, m, s = (int(p) for p in hms.split(":"))
    return datetime(2027, 1, 15, h, m, s, tzinfo=UTC).timestamp()


def session() -> Session:
    roster = tuple(RosterEntry(STUDENT[d], d) for d in sorted(HOSTNAMES))
    planned = Session("g7-math", "Grade 7 Math", PROFILE.id, (ROOM_A, ROOM_B), at("10:00:00"),
                      at("11:30:00"), roster=roster)  # fmt: skip
    return apply(planned, "start", at("10:00:00"), "ta")[0]


def room_of(device: str) -> str:
    return ROOM_A if device in DEVICES[ROOM_A] else ROOM_B


def ev(hms: str, kind: str, device: str, **data: object) -> FleetEvent:
    return FleetEvent(at(hms), kind, device, room_of(device), dict(data))


def drop(hms: str, device: str) -> list[FleetEvent]:
    """What the fleet logs when a socket closes: the disconnect, then the offline verdict."""
    return [
        ev(hms, "device.disconnected", device, peer="10.0.0.9", why="closed"),
        ev(
            hms,
            "verdict.changed",
            device,
            status="offline",
            was="ready",
            reasons=["device.offline"],
        ),
    ]


def rejoin(connected: str, ready: str, device: str) -> list[FleetEvent]:
    unreported = ["device.unreported"]
    return [
        ev(connected, "device.connected", device, peer="10.0.0.9", host=HOSTNAMES[device]),
        ev(
            connected,
            "verdict.changed",
            device,
            status="warning",
            was="offline",
            reasons=unreported,
        ),
        ev(ready, "verdict.changed", device, status="ready", was="warning", reasons=[]),
    ]


def before_start() -> list[FleetEvent]:
    """Every device connects and turns ready; one flaps before the session is live."""
    events: list[FleetEvent] = []
    for device in sorted(HOSTNAMES):
        events += rejoin("09:40:00", "09:40:05", device)
    return events + drop("09:50:00", "dev-a01") + rejoin("09:51:00", "09:51:10", "dev-a01")


ROOM_B_DROPPED = DEVICES[ROOM_B][:12]


def during() -> list[FleetEvent]:
    """3 drops in room A (a05 returns within a minute), then room B loses 12 of 15 at once."""
    events = drop("10:14:03", "dev-a05") + drop("10:14:20", "dev-a09") + drop("10:14:50", "dev-a12")
    events += rejoin("10:14:40", "10:14:52", "dev-a05")
    for n, device in enumerate(ROOM_B_DROPPED):
        events += drop(f"10:30:{n * 3 + 2:02d}", device)
    events += rejoin("10:30:20", "10:30:31", "dev-b02")
    return sorted(events, key=lambda e: e.ts)


def after_end() -> list[FleetEvent]:
    return drop("11:40:00", "dev-a02") + drop("11:40:01", "dev-b13")
