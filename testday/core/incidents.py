"""Provides incidents as frozen data folded from an append-only, hash-chained event log.

An incident is never edited in place: :class:`IncidentLog` builds each change as an
:class:`IncidentEvent` (``created``, ``field_changed``, ``status_changed``, ``note_added``,
``timeline_drafted``), and appending one validates it, links it into the single hash chain covering
every incident event, and folds it into the current :class:`Incident`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from testday.core import hash_chain
from testday.core.hash_chain import ChainEntry
from testday.core.incident_fields import (
    CATEGORIES,
    EMPTY_TUPLE_FIELDS,
    FIELDS,
    AffectedStudent,
    DeviceRef,
    IncidentFieldError,
    OtherPerson,
    TimedLine,
    check_text,
)

__all__ = ["IncidentFieldError"]

STATUSES = ("open", "reported", "pending_approval", "approved", "rejected", "closed")
TRANSITIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "open": ("reported",),
        "reported": ("pending_approval",),
        "pending_approval": ("approved", "rejected"),
        "approved": ("closed",),
        "rejected": ("closed",),
        "closed": (),
    }
)
EVENT_KINDS = ("created", "field_changed", "status_changed", "note_added", "timeline_drafted")


class IncidentError(ValueError):
    """An event that cannot apply: unknown incident, duplicate id, a closed incident, no change."""


class IllegalTransition(IncidentError):
    """A status change the state machine does not allow; the message lists the allowed ones."""


@dataclass(frozen=True)
class Note:
    at: datetime
    actor: str
    text: str


@dataclass(frozen=True)
class Incident:
    """The current state of one irregularity report (DOMAIN.md's fields), as folded from events."""

    id: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    status: str = "open"
    notes: tuple[Note, ...] = ()
    # identification
    report_id: str | None = None
    district_name: str | None = None
    district_code: str | None = None
    school_name: str | None = None
    school_code: str | None = None
    program: str | None = None
    test: str | None = None
    content_area: str | None = None
    part: str | None = None
    grade: str | None = None
    mode: str | None = None
    session_id: str | None = None
    result_id: str | None = None
    source: str | None = None
    # when
    occurred_at: datetime | None = None
    completed_at: datetime | None = None
    reported_to_coordinator_at: datetime | None = None
    reported_to_district_at: datetime | None = None
    # who: students by state ID; names only where the site turns them on
    affected_students: tuple[AffectedStudent, ...] = ()
    tests_impacted: int | None = None
    test_administrator: str | None = None
    proctor: str | None = None
    others_involved: tuple[OtherPerson, ...] = ()
    student_names: Mapping[str, str] | None = None
    # what
    category: str | None = None
    subcategory: str | None = None
    severity: str | None = None
    room: str | None = None
    devices: tuple[DeviceRef, ...] = ()
    sequence: tuple[TimedLine, ...] = ()
    cause: str | None = None
    # response
    action_taken: str | None = None
    how_completed: str | None = None
    requested_outcome: str = "none"
    outcome_reason: str | None = None
    outcome_comments: str | None = None
    corrective_action: str | None = None
    parents_notified: bool | None = None
    # governance
    submitter: str | None = None
    reviewer: str | None = None
    reviewer_comments: str | None = None
    attestation_name: str | None = None
    attestation_date: date | None = None
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class IncidentEvent:
    """One appended change: what happened to which incident, when, by whom (``data`` is JSON)."""

    kind: str
    incident_id: str
    ts: datetime
    actor: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        return {"kind": self.kind, "incident_id": self.incident_id, "ts": self.ts.isoformat(),
                "actor": self.actor, "data": self.data}  # fmt: skip

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> IncidentEvent:
        return cls(record["kind"], record["incident_id"], datetime.fromisoformat(record["ts"]),
                   record["actor"], dict(record["data"]))  # fmt: skip


def _encode(name: str, value: Any) -> Any:
    return None if value is None else FIELDS[name].encode(value)


def _decode(name: str, raw: Any) -> Any:
    if name not in FIELDS:
        raise IncidentFieldError(f"{name}: no such incident field")
    if raw is None:
        return () if name in EMPTY_TUPLE_FIELDS else None
    return FIELDS[name].decode(raw)


class IncidentLog:
    """Pure, in-memory: the event chain and the incidents folded from it."""

    def __init__(self, names_allowed: bool = False) -> None:
        self.names_allowed = names_allowed
        self.entries: list[ChainEntry] = []
        self._incidents: dict[str, Incident] = {}

    @classmethod
    def replay(cls, events: Iterable[IncidentEvent], names_allowed: bool = False) -> IncidentLog:
        log = cls(names_allowed)
        for event in events:
            log.append(event)
        return log

    def incident(self, incident_id: str) -> Incident:
        try:
            return self._incidents[incident_id]
        except KeyError:
            raise IncidentError(f"no incident {incident_id!r}") from None

    def incidents(self) -> tuple[Incident, ...]:
        return tuple(self._incidents.values())

    # -- building events (nothing changes until the event is appended) --

    def create(self, incident_id: str, actor: str, now: datetime, **fields: Any) -> IncidentEvent:
        if incident_id in self._incidents:
            raise IncidentError(f"incident {incident_id!r} already exists")
        checked = self._check_fields(fields, base=None)
        data = {"fields": {k: _encode(k, v) for k, v in sorted(checked.items())}}
        return IncidentEvent("created", incident_id, now, actor, data)

    def change(self, incident_id: str, actor: str, now: datetime, **fields: Any) -> IncidentEvent:
        """The ``field_changed`` event for these fields; unchanged values are left out."""
        current = self._open_incident(incident_id)
        checked = self._check_fields(fields, base=current)
        changes = [
            {"field": k, "old": _encode(k, getattr(current, k)), "new": _encode(k, v)}
            for k, v in sorted(checked.items())
            if getattr(current, k) != v
        ]
        if not changes:
            raise IncidentError(f"incident {incident_id!r}: nothing changes")
        return IncidentEvent("field_changed", incident_id, now, actor, {"changes": changes})

    def set_status(self, incident_id: str, actor: str, now: datetime, to: str) -> IncidentEvent:
        current = self.incident(incident_id)
        _check_transition(current.status, to)
        return IncidentEvent("status_changed", incident_id, now, actor,
                             {"from": current.status, "to": to})  # fmt: skip

    def note(self, incident_id: str, actor: str, now: datetime, text: str) -> IncidentEvent:
        self._open_incident(incident_id)
        return IncidentEvent(
            "note_added", incident_id, now, actor, {"text": check_text("note", text)}
        )

    def draft_timeline(
        self, incident_id: str, actor: str, now: datetime, lines: Iterable[TimedLine]
    ) -> IncidentEvent:
        """Replaces the sequence of events with lines drafted from the event log; still editable."""
        self._open_incident(incident_id)
        checked = FIELDS["sequence"].check("sequence", tuple(lines))
        return IncidentEvent("timeline_drafted", incident_id, now, actor,
                             {"lines": _encode("sequence", checked)})  # fmt: skip

    # -- folding --

    def append(self, event: IncidentEvent) -> ChainEntry:
        """Validate ``event`` against the current state, chain it, and fold it in."""
        folded = self._fold(event)
        entry = hash_chain.append(self.entries[-1] if self.entries else None, event)
        self.entries.append(entry)
        self._incidents[event.incident_id] = folded
        return entry

    def _fold(self, event: IncidentEvent) -> Incident:
        data = event.data
        if event.kind == "created":
            if event.incident_id in self._incidents:
                raise IncidentError(f"incident {event.incident_id!r} already exists")
            # A replayed log gets the same checks as a live one.
            decoded = {k: _decode(k, v) for k, v in data["fields"].items()}
            self._check_fields(decoded, base=None)
            return Incident(event.incident_id, event.ts, event.actor, event.ts, **decoded)
        if event.kind == "status_changed":
            current = self.incident(event.incident_id)
            _check_transition(current.status, data["to"])
            return dataclasses.replace(current, status=data["to"], updated_at=event.ts)
        current = self._open_incident(event.incident_id)
        if event.kind == "field_changed":
            new = {c["field"]: _decode(c["field"], c["new"]) for c in data["changes"]}
            self._check_fields(new, base=current)
            return dataclasses.replace(current, updated_at=event.ts, **new)
        if event.kind == "note_added":
            note = Note(event.ts, event.actor, data["text"])
            return dataclasses.replace(current, notes=(*current.notes, note), updated_at=event.ts)
        if event.kind == "timeline_drafted":
            lines = _decode("sequence", data["lines"])
            return dataclasses.replace(current, sequence=lines, updated_at=event.ts)
        raise IncidentError(f"unknown event kind {event.kind!r}; known: {', '.join(EVENT_KINDS)}")

    def _open_incident(self, incident_id: str) -> Incident:
        current = self.incident(incident_id)
        if current.status == "closed":
            raise IncidentError(f"incident {incident_id!r} is closed; it can no longer change")
        return current

    def _check_fields(self, fields: Mapping[str, Any], base: Incident | None) -> dict[str, Any]:
        checked: dict[str, Any] = {}
        for name, value in fields.items():
            if name not in FIELDS:
                raise IncidentFieldError(f"{name}: no such incident field")
            if name == "student_names" and not self.names_allowed and value:
                raise IncidentFieldError(
                    "student_names: students are recorded by state ID only here"
                )
            if value is None or (name in EMPTY_TUPLE_FIELDS and value == ()):
                checked[name] = () if name in EMPTY_TUPLE_FIELDS else None
            else:
                checked[name] = FIELDS[name].check(name, value)
        if "requested_outcome" in checked and checked["requested_outcome"] is None:
            checked["requested_outcome"] = "none"
        # The subcategory must belong to the category the incident will have after this change.
        category = checked.get("category", base.category if base else None)
        sub = checked.get("subcategory", base.subcategory if base else None)
        if sub is not None and ("category" in checked or "subcategory" in checked):
            allowed = CATEGORIES.get(category or "", ())
            if sub not in allowed:
                raise IncidentFieldError(
                    f"subcategory: {sub!r} is not one of {category}'s: {', '.join(allowed) or '—'}"
                )
        return checked


def _check_transition(current: str, to: str) -> None:
    allowed = TRANSITIONS.get(current, ())
    if to not in allowed:
        options = ", ".join(allowed) if allowed else "none (closed is final)"
        raise IllegalTransition(f"cannot go from {current} to {to}; allowed: {options}")
