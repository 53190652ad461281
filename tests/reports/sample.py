"""Provides a small incident log for export tests: every event kind, with and without students."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from testday.core.incident_fields import AffectedStudent, DeviceRef, TimedLine
from testday.core.incidents import IncidentLog

T0 = datetime(2025, 4, 11, 10, 14, 3, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def sample_log() -> IncidentLog:
    """Three incidents: two students and a full lifecycle; one room-level with none; one, notes."""
    log = IncidentLog()
    log.append(
        log.create(
            "inc-1", "tech", T0, category="technical", subcategory="device_lost",
            severity="procedural", room="112", occurred_at=T0,
            affected_students=["1234567890", AffectedStudent("2234567890", at(-30))],
            devices=[DeviceRef("cb-07", asset_tag="A-1007")],
        )
    )  # fmt: skip
    log.append(
        log.create(
            "inc-2", "detector", at(1), category="technical", subcategory="network_outage",
            severity="serious", room="114", devices=["cb-20", "cb-21"], source="room_drop",
        )
    )  # fmt: skip
    lines = [TimedLine(T0, "cb-07 disconnected"), TimedLine(at(2.6), "cb-07 reconnected")]
    log.append(log.draft_timeline("inc-1", "tech", at(3), lines))
    log.append(log.change("inc-1", "tech", at(4), action_taken="Student resumed, same device"))
    log.append(log.note("inc-2", "coord", at(5), "Switch in 114 rebooted"))
    for i, status in enumerate(("reported", "pending_approval", "approved"), start=6):
        log.append(log.set_status("inc-1", "coord", at(i), status))
    log.append(
        log.create("inc-3", "tech", at(10), category="disruption", subcategory="fire_drill",
                   severity="procedural", room="112", affected_students=["3234567890"])
    )  # fmt: skip
    return log
