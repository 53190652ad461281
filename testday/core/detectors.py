"""Provides incident detectors: fleet events in a live session turned into proposed incidents."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from testday.core.fleet import FleetEvent
from testday.core.sessions import Session

# kind → (category, subcategory, severity, reason codes whose arrival triggers it)
KINDS: Mapping[str, tuple[str, str, str, frozenset[str]]] = {
    "device_lost": ("technical", "device_lost", "procedural", frozenset()),
    "room_drop": ("technical", "network_outage", "serious", frozenset()),
    # Most of a room losing the platform at once is the room's network, not its devices.
    "room_unreachable": (
        "technical",
        "endpoint_unreachable",
        "serious",
        frozenset({"endpoint.unreachable"}),
    ),
    # The catalogue has no separate "app not running" code: a stopped kiosk app reports missing.
    "app_stopped": ("technical", "app_stopped", "procedural", frozenset({"app.missing"})),
    "battery_critical": ("technical", "battery", "procedural", frozenset({"battery.critical"})),
    "endpoint_unreachable": (
        "technical",
        "endpoint_unreachable",
        "procedural",
        frozenset({"endpoint.unreachable"}),
    ),
}
# Verdicts carrying these say nothing about the device's facts, so they neither raise nor clear.
_FACTLESS = frozenset({"device.offline", "device.unreported"})
# Held like losses, so that a room-wide condition becomes one room-level detection.
_ROOM_KINDS = {"device_lost": "room_drop", "endpoint_unreachable": "room_unreachable"}


@dataclass(frozen=True)
class Detection:
    """A proposed incident; ``returned_at`` holds devices that came back while it was held."""

    kind: str
    category: str
    subcategory: str
    severity: str
    session_id: str
    room: str
    device_ids: tuple[str, ...]
    students: tuple[str, ...]  # state IDs only
    started_at: float
    events: list[FleetEvent]
    returned_at: Mapping[str, float] = field(default_factory=dict)
    room_size: int | None = None  # the session's devices in the room, for room-level drops


@dataclass(eq=False)  # identity: two losses of one device are still two
class _Lost:
    device_id: str
    ts: float
    session: Session
    events: list[FleetEvent]
    returned_at: float | None = None
    kind: str = "device_lost"


def _detection(
    kind: str, session: Session, room: str, lost: list[_Lost], room_size: int | None = None
) -> Detection:
    category, sub, severity, _ = KINDS[kind]
    # By device id: a report reads the same however the drops happened to arrive.
    ordered = sorted(lost, key=lambda entry: entry.device_id)
    devices = tuple(dict.fromkeys(entry.device_id for entry in ordered))
    students = (session.student_on(entry.device_id, entry.ts) for entry in ordered)
    returned = {e.device_id: e.returned_at for e in lost if e.returned_at is not None}
    events = sorted((ev for entry in lost for ev in entry.events), key=lambda ev: ev.ts)
    return Detection(
        kind, category, sub, severity, session.id, room, devices,
        tuple(dict.fromkeys(s for s in students if s is not None)),
        min(entry.ts for entry in lost), events, returned, room_size,
    )  # fmt: skip


class IncidentDetector:
    """Pure and deterministic: feed events in time order, collect detections as windows close.

    Losses (and platforms turning unreachable) are held for ``window_s`` so that a room-wide drop
    becomes one detection: when at least ``room_share`` of the session's devices in a room (and at
    least ``min_room_devices``) are lost within the window, they are merged; otherwise each is
    released on its own. A condition (app, battery, platform) is raised once per device and
    session: a flapping Wi-Fi link is one incident whose timeline grows, not one per flap.
    """

    def __init__(
        self, window_s: float = 60.0, room_share: float = 0.5, min_room_devices: int = 3
    ) -> None:
        self.window_s = window_s
        self.room_share = room_share
        self.min_room_devices = min_room_devices
        self._room_devices: dict[str, set[str]] = {}
        self._codes: dict[str, frozenset[str]] = {}  # last codes from a verdict that had facts
        self._down: set[str] = set()
        self._held: dict[str, list[_Lost]] = {}  # room → losses waiting for their window
        self._raised: set[tuple[str, str, str]] = set()  # (session, device, condition kind)

    def seed(self, devices: Iterable[tuple[str, str]]) -> None:
        """Known (device, room) pairs, e.g. the fleet after a restart, so room sizes are right."""
        for device_id, room in devices:
            self._room_devices.setdefault(room, set()).add(device_id)

    def observe(
        self, event: FleetEvent, sessions_in_progress: Mapping[str, Session]
    ) -> list[Detection]:
        out = self.flush(event.ts)
        room, device = event.room, event.device_id
        if room is None:
            return out
        self._room_devices.setdefault(room, set()).add(device)
        session = sessions_in_progress.get(room)
        held = next((e for e in reversed(self._held.get(room, [])) if e.device_id == device), None)
        if event.kind == "device.connected" or (
            event.kind == "verdict.changed" and event.data.get("status") != "offline"
        ):
            if device in self._down and held is not None and held.returned_at is None:
                held.returned_at = event.ts
            self._down.discard(device)
        if held is not None:
            held.events.append(event)
        lost = event.kind == "device.disconnected" or (
            event.kind == "verdict.changed"
            and event.data.get("status") == "offline"
            and event.data.get("was") != "offline"
        )
        if lost and device not in self._down:
            self._down.add(device)
            if session is not None:
                self._held.setdefault(room, []).append(_Lost(device, event.ts, session, [event]))
        if event.kind == "verdict.changed":
            out += self._reasons(event, room, session)
        return out

    def flush(self, now: float | None = None) -> list[Detection]:
        """Release every held loss whose window ended by ``now``; None releases them all."""
        limit = math.inf if now is None else now
        out: list[Detection] = []
        for room in sorted(self._held):
            held = self._held[room]
            while held and limit > held[0].ts + self.window_s:
                first = held[0]
                group = [
                    e for e in held if e.kind == first.kind and e.ts <= first.ts + self.window_s
                ]
                size = self._room_size(room, first.session)
                need = max(self.min_room_devices, math.ceil(self.room_share * size))
                if len({e.device_id for e in group}) >= need:
                    kind = _ROOM_KINDS[first.kind]
                    out.append(_detection(kind, first.session, room, group, room_size=size))
                else:
                    group = [first]
                    out.append(_detection(first.kind, first.session, room, group))
                held[:] = [e for e in held if e not in group]
            if not held:
                del self._held[room]
        return sorted(out, key=lambda d: (d.started_at, d.room))

    def _room_size(self, room: str, session: Session) -> int:
        seen = self._room_devices.get(room, set())
        # "The session's devices": those on its roster, when the roster names any in this room.
        rostered = seen & {e.device_id for e in session.roster}
        return len(rostered or seen)

    def _reasons(self, event: FleetEvent, room: str, session: Session | None) -> list[Detection]:
        codes = frozenset(event.data.get("reasons") or ())
        if codes & _FACTLESS:
            return []
        new = codes - self._codes.get(event.device_id, frozenset())
        self._codes[event.device_id] = codes
        if session is None:
            return []
        found = []
        for kind, (_, _, _, triggers) in KINDS.items():
            key = (session.id, event.device_id, kind)
            if kind in _ROOM_KINDS.values() or not new & triggers or key in self._raised:
                continue
            self._raised.add(key)
            lost = _Lost(event.device_id, event.ts, session, [event], kind=kind)
            if kind in _ROOM_KINDS:
                self._held.setdefault(room, []).append(lost)
            else:
                found.append(_detection(kind, session, room, [lost]))
        return found
