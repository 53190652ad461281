"""Provides what turns detections into incidents: their fields, drafts and the redraft watch."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from testday.config.site import SiteInfo
from testday.core.detectors import Detection
from testday.core.fleet import Device, FleetEvent
from testday.core.incident_fields import (
    FIELDS,
    AffectedStudent,
    DeviceRef,
    IncidentFieldError,
    TimedLine,
)
from testday.core.incidents import IncidentEvent, IncidentLog
from testday.core.sessions import Session
from testday.core.timeline import ROOM_SUMMARIES

# What the network showed in a room between two moments: (when, what) lines to cite.
Cite = Callable[[str, float, float], list[tuple[float, str]]]

log = logging.getLogger(__name__)

DRAFTER = "testday"  # the actor of everything the hub writes by itself
RECENT_PER_DEVICE = 16  # events kept per device for drafts (only changes are events, not reports)
LATER_KEPT = 256  # events after a detection kept for its redrafts; past that the draft stands
REDRAFT_FOR_S = 4 * 3600.0  # after this a detection's draft is left as it is
NETWORK_LEAD_S = 120.0  # how long before a room's first drop network events are cited
_SESSION_CONTEXT = ("program", "test", "grade", "content_area", "proctor", "test_administrator")


def next_incident_id(log: IncidentLog) -> str:
    """The CLI's scheme, so ids read the same whoever logged the incident."""
    taken = {incident.id for incident in log.incidents()}
    n = len(taken) + 1
    while f"INC-{n:05d}" in taken:
        n += 1
    return f"INC-{n:05d}"


def _valid(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The context fields that pass their check; a bad site or session value must not cost the
    incident, only that field."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if value in (None, ""):
            continue
        try:
            out[name] = FIELDS[name].check(name, value)
        except IncidentFieldError as exc:
            log.warning("incident context left out: %s", exc)
    return out


def context_fields(session: Session | None, site: SiteInfo) -> dict[str, Any]:
    """School and session fields an irregularity report asks for, from what the hub knows."""
    values: dict[str, Any] = {
        "school_name": site.name,
        "school_code": site.code,
        "district_name": site.district,
        "district_code": site.district_code,
        "mode": "online",
    }
    if session is not None:
        values["session_id"] = session.id
        values.update({name: getattr(session, name) for name in _SESSION_CONTEXT})
    return _valid(values)


def state_ids(students: Iterable[str]) -> tuple[AffectedStudent, ...]:
    """Students as the incident records them; a roster entry that is not a state ID is left out."""
    return tuple(AffectedStudent(s) for s in _valid_each("affected_students", students))


def _valid_each(name: str, values: Iterable[str]) -> list[str]:
    kept = []
    for value in values:
        try:
            FIELDS[name].check(name, (value,))
            kept.append(value)
        except IncidentFieldError as exc:
            log.warning("left out of an incident: %s", exc)
    return kept


def device_refs(device_ids: Iterable[str], devices: Mapping[str, Device]) -> tuple[DeviceRef, ...]:
    return tuple(
        DeviceRef(i, devices[i].asset_tag if i in devices else None)
        for i in _valid_each("devices", device_ids)
    )


def detection_fields(
    detection: Detection,
    session: Session | None,
    site: SiteInfo,
    devices: Mapping[str, Device],
    tz: tzinfo,
) -> dict[str, Any]:
    """The ``created`` fields of a detector incident."""
    return {
        **context_fields(session, site),
        "source": "detector",
        "category": detection.category,
        "subcategory": detection.subcategory,
        "severity": detection.severity,
        "room": detection.room,
        "session_id": detection.session_id,
        "devices": device_refs(detection.device_ids, devices),
        "affected_students": state_ids(detection.students),
        "occurred_at": datetime.fromtimestamp(detection.started_at, tz),
    }


def timeline_event(
    incident_id: str, now: datetime, lines: Iterable[TimedLine], actor: str = DRAFTER
) -> IncidentEvent:
    """A ``timeline_drafted`` event, built without the incident in the log yet (the same checks
    as IncidentLog.draft_timeline), so it can go in one append with the ``created`` event."""
    checked = FIELDS["sequence"].check("sequence", tuple(lines))
    lines_json = FIELDS["sequence"].encode(checked)
    return IncidentEvent("timeline_drafted", incident_id, now, actor, {"lines": lines_json})


def sets_sequence_by_hand(event: IncidentEvent) -> bool:
    """Whether ``event`` is a person's word on the sequence: the drafter must then stay away."""
    if event.kind == "timeline_drafted":
        return event.actor != DRAFTER
    if event.kind == "field_changed":
        return any(change.get("field") == "sequence" for change in event.data.get("changes", ()))
    return False


@dataclass
class Draft:
    """A detector incident whose sequence the hub still keeps up to date."""

    detection: Detection
    later: list[FleetEvent] = field(default_factory=list)
    dirty: bool = True
    network: tuple[TimedLine, ...] = ()  # what the network showed when it was detected

    @property
    def expires(self) -> float:
        return self.detection.started_at + REDRAFT_FOR_S


class Drafter:
    """Recent events per device, and the drafts that later events may still change."""

    def __init__(self) -> None:
        self._recent: dict[str, deque[FleetEvent]] = {}
        self.drafts: dict[str, Draft] = {}  # incident id → its draft
        self._by_device: dict[str, set[str]] = {}

    def observe(self, event: FleetEvent) -> None:
        recent = self._recent.get(event.device_id)
        if recent is None:
            recent = self._recent[event.device_id] = deque(maxlen=RECENT_PER_DEVICE)
        recent.append(event)
        for incident_id in self._by_device.get(event.device_id, ()):
            draft = self.drafts[incident_id]
            if len(draft.later) < LATER_KEPT:
                draft.later.append(event)
                draft.dirty = True

    def recent(self, device_ids: Iterable[str], since: float) -> list[FleetEvent]:
        """What happened to these devices since ``since``, in time order."""
        found = [
            e for d in dict.fromkeys(device_ids) for e in self._recent.get(d, ()) if e.ts >= since
        ]
        return sorted(found, key=lambda e: e.ts)

    def track(
        self, incident_id: str, detection: Detection, network: tuple[TimedLine, ...] = ()
    ) -> None:
        later = self.recent(detection.device_ids, detection.started_at)
        self.drafts[incident_id] = Draft(detection, later[:LATER_KEPT], network=network)
        for device_id in detection.device_ids:
            self._by_device.setdefault(device_id, set()).add(incident_id)

    def forget(self, incident_id: str) -> None:
        draft = self.drafts.pop(incident_id, None)
        if draft is None:
            return
        for device_id in draft.detection.device_ids:
            ids = self._by_device.get(device_id)
            if ids is not None:
                ids.discard(incident_id)
                if not ids:
                    del self._by_device[device_id]

    def due(self, now: float) -> list[tuple[str, Draft]]:
        """Drafts with events not yet drafted; expired ones are dropped."""
        for incident_id in [i for i, d in self.drafts.items() if now > d.expires]:
            self.forget(incident_id)
        return [(i, d) for i, d in self.drafts.items() if d.dirty]


def with_network(lines: Iterable[TimedLine], network: Iterable[TimedLine]) -> tuple[TimedLine, ...]:
    """The drafted lines with the network's lines after the room's summary line, in time order:
    a room-level incident should say what the access point, switch and UPS showed then."""
    lines = list(lines)
    head, rest = lines[:1], lines[1:]
    return tuple(head + sorted([*network, *rest], key=lambda line: line.at))


def network_lines(cite: Cite | None, detection: Detection, tz: tzinfo) -> tuple[TimedLine, ...]:
    """What the network showed for a room-level detection's room, as timeline lines."""
    if cite is None or detection.kind not in ROOM_SUMMARIES:
        return ()
    # From a little before the first drop: a switch port goes down just before its room does.
    cited = cite(detection.room, detection.started_at - NETWORK_LEAD_S, time.time())
    moments = ((datetime.fromtimestamp(ts, tz), text) for ts, text in cited)
    return tuple(TimedLine(at, f"{at:%H:%M:%S} network: {text}") for at, text in moments)
