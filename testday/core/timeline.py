"""Provides the drafted sequence of events: plain-language lines from the fleet event log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo

from testday.core.detectors import KINDS, Detection
from testday.core.fleet import FleetEvent
from testday.core.incident_fields import TimedLine
from testday.core.reasons import REASONS
from testday.core.sessions import Session


def _clock(ts: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%H:%M:%S")


def draft_timeline(
    source: Detection | Iterable[FleetEvent],
    later_events: Iterable[FleetEvent],
    tz: tzinfo,
    hostnames: Mapping[str, str] | None = None,
    session: Session | None = None,
) -> list[TimedLine]:
    """Lines for a detection (or bare events) followed by what happened to its devices later.

    ``session`` lets the draft say whether each student resumed on the same device; the lines stay
    a draft that the technician edits before export.
    """
    names = hostnames or {}
    detection = source if isinstance(source, Detection) else None
    events = list(source.events if isinstance(source, Detection) else source)
    devices = set(detection.device_ids) if detection else {e.device_id for e in events}
    seen = {(e.ts, e.kind, e.device_id) for e in events}
    events += [
        e
        for e in later_events
        if e.device_id in devices and (e.ts, e.kind, e.device_id) not in seen
    ]
    events.sort(key=lambda e: e.ts)  # stable: same-instant events keep their log order
    triggers = (
        KINDS[detection.kind][3]
        if detection
        else frozenset().union(*(k[3] for k in KINDS.values()))
    )
    lines: list[TimedLine] = []
    if detection is not None and detection.kind in ROOM_SUMMARIES:
        lines.append(_room_summary(detection, tz))
    walker = _Walker(
        tz,
        names,
        session,
        lines,
        quiet_losses=detection is not None and detection.kind == "room_drop",
    )
    for event in events:
        walker.step(event, triggers)
    return lines


ROOM_SUMMARIES = {
    "room_drop": "dropped",
    "room_unreachable": "could not reach the testing service",
}


def _room_summary(detection: Detection, tz: tzinfo) -> TimedLine:
    """One line saying how much of the room was hit, and over which span of time."""
    if detection.kind == "room_drop":
        times = [e.ts for e in detection.events if _is_loss(e)]
    else:
        times = [e.ts for e in detection.events if "endpoint.unreachable" in _codes(e)]
    first = min(times, default=detection.started_at)
    start, end = _clock(first, tz), _clock(max(times, default=first), tz)
    span = start if start == end else f"{start}–{end}"
    of = f" of {detection.room_size}" if detection.room_size else ""
    what = ROOM_SUMMARIES[detection.kind]
    text = f"{span} {len(detection.device_ids)}{of} devices in room {detection.room} {what}"
    return TimedLine(datetime.fromtimestamp(first, tz), text)


def _codes(e: FleetEvent) -> frozenset[str]:
    return frozenset(e.data.get("reasons") or ()) if e.kind == "verdict.changed" else frozenset()


def _is_loss(e: FleetEvent) -> bool:
    offline = e.kind == "verdict.changed" and e.data.get("status") == "offline"
    return e.kind == "device.disconnected" or (offline and e.data.get("was") != "offline")


class _Walker:
    """Per-device state while reading the log, so a disconnect and its offline verdict read once."""

    def __init__(self, tz: tzinfo, names: Mapping[str, str], session: Session | None,
                 lines: list[TimedLine], quiet_losses: bool) -> None:  # fmt: skip
        self.tz, self.names, self.session, self.lines = tz, names, session, lines
        self.quiet_losses = quiet_losses  # a room-level summary already says who dropped
        self.down: dict[str, float] = {}  # device → when it was lost
        self.back: dict[str, float] = {}  # device → lost-at, while reconnected but not yet ready
        self.codes: dict[str, frozenset[str]] = {}

    def say(self, ts: float, text: str) -> None:
        self.lines.append(
            TimedLine(datetime.fromtimestamp(ts, self.tz), f"{_clock(ts, self.tz)} {text}")
        )

    def step(self, e: FleetEvent, triggers: frozenset[str]) -> None:
        name = self.names.get(e.device_id, e.device_id)
        where = f"{name} (room {e.room})" if e.room else name
        if _is_loss(e):
            if e.device_id not in self.down:
                self.down[e.device_id] = e.ts
                self.back.pop(e.device_id, None)
                if not self.quiet_losses:
                    what = "disconnected" if e.kind == "device.disconnected" else "went offline"
                    self.say(e.ts, f"{where} {what}")
            return
        if e.kind == "device.connected" and e.device_id in self.down:
            self.back[e.device_id] = self.down.pop(e.device_id)
            self.say(e.ts, f"{name} reconnected")
            return
        if e.kind != "verdict.changed":
            return
        status = e.data.get("status")
        if e.device_id in self.down:  # a return seen only as a verdict, without a connect event
            self.back[e.device_id] = self.down.pop(e.device_id)
        codes = frozenset(e.data.get("reasons") or ())
        factless = bool(codes & {"device.offline", "device.unreported"})
        if e.device_id in self.back and status in ("ready", "warning") and not factless:
            lost_at = self.back.pop(e.device_id)
            self.say(
                e.ts, f"{name} ready again" + (" (with warnings)" if status == "warning" else "")
            )
            self._resumed(e, lost_at)
        if factless:
            return
        before = self.codes.get(e.device_id, frozenset())
        self.codes[e.device_id] = codes
        for code in sorted((codes - before) & triggers):
            self.say(e.ts, f"{where}: {REASONS[code].title.lower()}")
        for code in sorted((before - codes) & triggers):
            self.say(e.ts, f"{name}: {REASONS[code].title.lower()} — cleared")

    def _resumed(self, e: FleetEvent, lost_at: float) -> None:
        if self.session is None:
            return
        student = self.session.student_on(e.device_id, lost_at)
        if student is None:
            return
        now_on = next(
            (
                r.device_id
                for r in reversed(self.session.roster)
                if r.student == student and r.covers(e.ts)
            ),
            None,
        )
        if now_on == e.device_id:
            self.say(e.ts, f"student {student} resumed on the same device")
        elif now_on is not None:
            self.say(e.ts, f"student {student} moved to {self.names.get(now_on, now_on)}")
