"""Provides the pre-session readiness sweep: every device in a session's rooms, room by room."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo

from testday.core import readiness
from testday.core.fleet import Device, observe
from testday.core.profile import Profile
from testday.core.readiness import Reason, Verdict
from testday.core.reasons import SEVERITY_RANK, Status
from testday.core.sessions import Session

Evaluate = Callable[..., Verdict]
STATUSES: tuple[Status, ...] = ("ready", "warning", "not_ready", "offline")
# What stops a student testing; a warning is worth a look but not a blocker.
BLOCKING: frozenset[Status] = frozenset({"not_ready", "offline"})


@dataclass(frozen=True)
class Fix:
    """One device that is not ready for the session, and why (worst reason first)."""

    device_id: str
    hostname: str | None
    asset_tag: str | None
    status: Status
    reasons: tuple[Reason, ...]
    student: str | None = None  # who is rostered on it, so the fix can be announced by name

    @property
    def blocking(self) -> bool:
        return self.status in BLOCKING


@dataclass(frozen=True)
class RoomSweep:
    room: str
    counts: Mapping[Status, int]
    fixes: tuple[Fix, ...]  # every device not "ready", worst first

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def must_fix(self) -> tuple[Fix, ...]:
        return tuple(f for f in self.fixes if f.blocking)


@dataclass(frozen=True)
class SweepResult:
    session_id: str
    checked_at: float
    until: float  # batteries were forecast to this time: the session's scheduled end
    rooms: tuple[RoomSweep, ...]  # in the session's room order
    unseen_roster: tuple[tuple[str, str], ...]  # (student, device) rostered but not in the rooms

    @property
    def counts(self) -> dict[Status, int]:
        return {s: sum(r.counts.get(s, 0) for r in self.rooms) for s in STATUSES}

    @property
    def must_fix(self) -> tuple[Fix, ...]:
        return tuple(f for r in self.rooms for f in r.must_fix)

    @property
    def ready(self) -> bool:
        """Nothing blocks the start: every device can test and every rostered device is here."""
        return not self.must_fix and not self.unseen_roster


def sweep(
    session: Session,
    profile: Profile,
    devices_by_room: Mapping[str, Iterable[Device]],
    now: float,
    evaluate: Evaluate = readiness.evaluate,
    *,
    tz: tzinfo | None = None,
) -> SweepResult:
    """Judge every device in the session's rooms against its profile, to the session's end."""
    until = session.scheduled_end
    roster = {device: student for student, device in session.current_roster.items()}
    seen: set[str] = set()
    rooms: list[RoomSweep] = []
    for room in session.rooms:
        counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        fixes: list[Fix] = []
        for device in devices_by_room.get(room, ()):
            seen.add(device.device_id)
            verdict = evaluate(profile, observe(device, until), now, tz=tz)
            counts[verdict.status] += 1
            if verdict.status != "ready":
                student = roster.get(device.device_id)
                fix = Fix(
                    device.device_id,
                    device.hostname,
                    device.asset_tag,
                    verdict.status,
                    verdict.reasons,
                    student,
                )
                fixes.append(fix)
        # Worst first, then by name, so the list reads the same on every run.
        fixes.sort(key=lambda f: (-SEVERITY_RANK[f.status], f.hostname or "", f.device_id))
        rooms.append(RoomSweep(room, counts, tuple(fixes)))
    unseen = tuple(
        (student, device)
        for student, device in session.current_roster.items()
        if device not in seen
    )
    return SweepResult(session.id, now, until, tuple(rooms), unseen)
