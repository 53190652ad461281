"""Provides the fleet's orderings and room summary: problems first, rooms in natural order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from testday.console_protocol.desk_views import SessionView
from testday.console_protocol.device_views import DeviceView, ReasonView
from testday.console_protocol.network_views import RoomNetworkView
from testday.core.presentation import VERDICT_RANK, VERDICTS

UNASSIGNED = "(no room)"  # where devices that reported no room are counted
# Which of a room's sessions its card shows: one under way first, then the next to begin.
SESSION_RANK = {"in_progress": 0, "paused": 0, "checking": 1, "scheduled": 2}


def room_of(device: DeviceView) -> str:
    return device.room or UNASSIGNED


def natural_key(text: str) -> tuple[Any, ...]:
    """ "Room 9" before "Room 10": digit runs compare as numbers."""
    return tuple(int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text))


def sort_key(device: DeviceView) -> tuple[Any, ...]:
    """Problems first (offline, not ready, warning, ready), then room, then hostname."""
    return (
        VERDICT_RANK.get(device.verdict, 0),
        natural_key(room_of(device)),
        natural_key(device.name),
        device.id,
    )


@dataclass(frozen=True)
class RoomSummary:
    """One room at a glance: how many devices per verdict, its profile and its worst problem."""

    room: str
    counts: dict[str, int]
    profile: str | None
    worst_device: str | None = None  # hostname of the worst device, None when all are ready
    worst_reason: ReasonView | None = None  # that device's first reason
    session: SessionView | None = None  # the room's current or next session (session_for_room)
    network: RoomNetworkView | None = None  # the room's network health, when the site has any

    @property
    def worst_problem(self) -> str | None:
        """The room's problem in one line: "hostname: first reason's sentence"."""
        if self.worst_device is None:
            return None
        message = self.worst_reason.message if self.worst_reason else "not ready"
        return f"{self.worst_device}: {message}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def status(self) -> str:
        """The worst verdict present; "empty" for a room with no devices."""
        return next((v for v in VERDICTS if self.counts.get(v)), "empty")
