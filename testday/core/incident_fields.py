"""Provides the irregularity-report fields: fixed choices, sub-records, and each field's check.

Every field an incident carries (DOMAIN.md, "Irregularity reports: the fields") has a kind here
that validates a Python value and converts it to and from the JSON form stored in events, so the
hash chain only ever sees plain JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

CATEGORIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "technical": ("device_lost", "app_stopped", "network_outage", "endpoint_unreachable",
                      "battery", "device_failure", "other"),
        "security": ("prohibited_device", "unauthorized_assistance", "materials_exposed",
                     "unauthorized_access", "other"),
        "accommodation": ("not_provided", "wrong_provided", "other"),
        "disruption": ("fire_drill", "emergency", "power_outage", "noise", "weather", "other"),
        "student_illness_leaving": ("illness", "left_early", "other"),
        "other": ("other",),
    }
)  # fmt: skip
SEVERITIES = ("procedural", "serious")
OUTCOMES = ("none", "invalidate", "reset", "reopen", "grace_period_extension", "void")
MODES = ("online", "paper", "remote")
TEXT_MAX = 4000  # keeps one report printable and a bulk-upload row sane
COMMENTS_MAX = 1000  # Cambium's bulk upload limit for outcome comments
_STATE_ID = re.compile(r"[A-Za-z0-9-]{1,32}")  # no spaces: a name cannot pass for an ID


class IncidentFieldError(ValueError):
    """A field that does not exist, or a value it does not accept; the message names the field."""


def check_text(field: str, value: Any, max_len: int = TEXT_MAX) -> str:
    if not isinstance(value, str) or not value.strip():
        raise IncidentFieldError(f"{field}: expected non-empty text, got {value!r}")
    if len(value) > max_len:
        raise IncidentFieldError(f"{field}: {len(value)} characters, at most {max_len} allowed")
    return value


def _moment(field: str, value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise IncidentFieldError(f"{field}: expected a timezone-aware datetime, got {value!r}")
    return value


def state_id(field: str, value: Any) -> str:
    if not isinstance(value, str) or not _STATE_ID.fullmatch(value):
        raise IncidentFieldError(f"{field}: {value!r} is not a state ID (letters, digits, '-')")
    return value


@dataclass(frozen=True)
class AffectedStudent:
    """A student by state ID only, with when they started the affected test."""

    state_id: str
    started_at: datetime | None = None


@dataclass(frozen=True)
class DeviceRef:
    device_id: str
    asset_tag: str | None = None


@dataclass(frozen=True)
class OtherPerson:
    """Someone else involved (not a student): role and whether a statement was taken."""

    name: str
    role: str
    statement_taken: bool = False


@dataclass(frozen=True)
class TimedLine:
    """One line of the sequence of events."""

    at: datetime
    text: str


SubRecord = AffectedStudent | DeviceRef | OtherPerson | TimedLine  # what a Records field lists


class Kind:
    """How one field checks a value and stores it in JSON; ``None`` always clears a field."""

    def check(self, field: str, value: Any) -> Any:
        return check_text(field, value)

    def encode(self, value: Any) -> Any:
        return value

    def decode(self, raw: Any) -> Any:
        return raw


class Text(Kind):
    def __init__(self, max_len: int = TEXT_MAX) -> None:
        self.max_len = max_len

    def check(self, field: str, value: Any) -> Any:
        return check_text(field, value, self.max_len)


class Choice(Kind):
    def __init__(self, options: tuple[str, ...]) -> None:
        self.options = options

    def check(self, field: str, value: Any) -> Any:
        if value not in self.options:
            raise IncidentFieldError(f"{field}: {value!r} is not one of {', '.join(self.options)}")
        return value


class Moment(Kind):
    def check(self, field: str, value: Any) -> Any:
        return _moment(field, value)

    def encode(self, value: datetime) -> Any:
        return value.isoformat()

    def decode(self, raw: Any) -> Any:
        return datetime.fromisoformat(raw)


class Day(Kind):
    def check(self, field: str, value: Any) -> Any:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise IncidentFieldError(f"{field}: expected a date, got {value!r}")
        return value

    def encode(self, value: date) -> Any:
        return value.isoformat()

    def decode(self, raw: Any) -> Any:
        return date.fromisoformat(raw)


class Count(Kind):
    def check(self, field: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise IncidentFieldError(f"{field}: expected a whole number ≥ 0, got {value!r}")
        return value


class Flag(Kind):
    def check(self, field: str, value: Any) -> Any:
        if not isinstance(value, bool):
            raise IncidentFieldError(f"{field}: expected true or false, got {value!r}")
        return value


class Names(Kind):
    """Attachment names: file names only, never paths (the files live beside the export)."""

    def check(self, field: str, value: Any) -> Any:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise IncidentFieldError(f"{field}: expected a list of names, got {value!r}")
        for name in value:
            if "/" in check_text(field, name, 255) or "\\" in name:
                raise IncidentFieldError(f"{field}: {name!r} is a path, not a name")
        return tuple(value)

    def decode(self, raw: Any) -> Any:
        return tuple(raw)


class NameMap(Kind):
    """State ID → student name; only accepted where the site turns names on."""

    def check(self, field: str, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise IncidentFieldError(f"{field}: expected a state ID → name mapping, got {value!r}")
        return MappingProxyType(
            {state_id(field, k): check_text(field, v, 200) for k, v in sorted(value.items())}
        )

    def encode(self, value: Mapping[str, str]) -> Any:
        return dict(value)

    def decode(self, raw: Any) -> Any:
        return MappingProxyType(dict(raw))


class Records(Kind):
    """A list of sub-records; plain strings are accepted where a record is just an ID."""

    def __init__(self, record: type[SubRecord]) -> None:
        self.record = record

    def check(self, field: str, value: Any) -> Any:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise IncidentFieldError(f"{field}: expected a list, got {value!r}")
        return tuple(self._one(field, item) for item in value)

    def _one(self, field: str, item: Any) -> Any:
        if isinstance(item, str) and self.record in (AffectedStudent, DeviceRef):
            item = self.record(item)
        if not isinstance(item, self.record):
            raise IncidentFieldError(f"{field}: expected {self.record.__name__}, got {item!r}")
        if isinstance(item, AffectedStudent):
            state_id(field, item.state_id)
            if item.started_at is not None:
                _moment(f"{field}.started_at", item.started_at)
        elif isinstance(item, DeviceRef):
            check_text(field, item.device_id, 128)
            if item.asset_tag is not None:
                check_text(f"{field}.asset_tag", item.asset_tag, 64)
        elif isinstance(item, OtherPerson):
            check_text(field, item.name, 200)
            check_text(f"{field}.role", item.role, 200)
            Flag().check(f"{field}.statement_taken", item.statement_taken)
        else:
            _moment(f"{field}.at", item.at)
            check_text(field, item.text)
        return item

    def encode(self, value: tuple[Any, ...]) -> Any:
        return [
            {k: v.isoformat() if isinstance(v, datetime) else v for k, v in vars(item).items()}
            for item in value
        ]

    def decode(self, raw: Any) -> Any:
        return tuple(self.record(**_revived(d)) for d in raw)


def _revived(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored sub-record's fields, its moments parsed back from ISO text."""
    moments = {"started_at", "at"}
    return {k: datetime.fromisoformat(v) if k in moments and v else v for k, v in stored.items()}


FIELDS: Mapping[str, Kind] = MappingProxyType(
    {
        # identification
        "report_id": Text(64), "district_name": Text(200), "district_code": Text(32),
        "school_name": Text(200), "school_code": Text(32), "program": Text(200),
        "test": Text(200), "content_area": Text(100), "part": Text(100), "grade": Text(16),
        "mode": Choice(MODES), "session_id": Text(128), "result_id": Text(128),
        "source": Text(64),  # "manual" or the detector that opened it
        # when
        "occurred_at": Moment(), "completed_at": Moment(),
        "reported_to_coordinator_at": Moment(), "reported_to_district_at": Moment(),
        # who
        "affected_students": Records(AffectedStudent), "tests_impacted": Count(),
        "test_administrator": Text(200), "proctor": Text(200),
        "others_involved": Records(OtherPerson), "student_names": NameMap(),
        # what
        "category": Choice(tuple(CATEGORIES)),
        "subcategory": Choice(tuple(sorted({s for subs in CATEGORIES.values() for s in subs}))),
        "severity": Choice(SEVERITIES), "room": Text(100), "devices": Records(DeviceRef),
        "sequence": Records(TimedLine), "cause": Text(),
        # response
        "action_taken": Text(), "how_completed": Text(), "requested_outcome": Choice(OUTCOMES),
        "outcome_reason": Text(COMMENTS_MAX), "outcome_comments": Text(COMMENTS_MAX),
        "corrective_action": Text(), "parents_notified": Flag(),
        # governance
        "submitter": Text(200), "reviewer": Text(200), "reviewer_comments": Text(COMMENTS_MAX),
        "attestation_name": Text(200), "attestation_date": Day(), "attachments": Names(),
    }
)  # fmt: skip
EMPTY_TUPLE_FIELDS = frozenset(
    {"affected_students", "others_involved", "devices", "sequence", "attachments"}
)
