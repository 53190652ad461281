"""Provides testing sessions planned ahead in the site file's ``[[sessions]]`` tables.

```toml
[[sessions]]
id = "g7-math-a"                     # optional: derived from the date and the name
name = "Grade 7 Math, part A"
program = "State Assessment"
test = "Mathematics"
grade = "7"
content_area = "Mathematics"
profile = "pearson-testnav"
rooms = ["112", "114"]
proctor = "J. Rivera"
test_administrator = "M. Chen"
start = 2027-04-14T09:00:00          # local time (a string such as "2027-04-14 09:00" works too)
end = 2027-04-14T10:30:00
roster = [{ student = "1234567890", device = "lab112-01" }]
```
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

import msgspec

from testday.core.sessions import RosterEntry, Session
from testday.core.strict_toml import ConfigError, convert, load_toml

__all__ = ["SessionsError", "load_sessions", "parse_sessions"]


class SessionsError(ConfigError):
    """A planned session that does not decode or does not make sense."""


# Subclasses say frozen=True again: msgspec inherits it, type checkers see it only where written.
class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class _Seat(_Strict, frozen=True):
    student: str
    device: str


class _Planned(_Strict, frozen=True, kw_only=True):
    id: str | None = None
    name: str
    program: str = ""
    test: str = ""
    grade: str | int = ""  # TOML writers put grade = 7 as often as grade = "7"
    content_area: str = ""
    profile: str
    rooms: tuple[str, ...]
    proctor: str = ""
    test_administrator: str = ""
    start: Any  # a TOML local date-time or an ISO string; checked below to name the field
    end: Any
    roster: tuple[_Seat, ...] = ()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def _epoch(value: Any, source: str, field: str, tz: tzinfo | None) -> float:
    """A local (or offset-qualified) date-time → epoch seconds; ``tz`` None is the host's zone."""
    when = value
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            when = None
    # A bare date or time of day says nothing about when the session runs.
    if not isinstance(when, datetime):
        problem = f"expected a local date and time such as 2027-04-14T09:00:00, got {value!r}"
        if isinstance(value, date):
            problem = f"{value} has no time of day; write {value}T09:00:00"
        raise SessionsError(source, field, problem)
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz) if tz is not None else when.astimezone()
    return when.timestamp()


def _roster(plan: _Planned, source: str, at: str) -> tuple[RosterEntry, ...]:
    students: dict[str, int] = {}
    devices: dict[str, int] = {}
    for i, seat in enumerate(plan.roster):
        for key, value, seen in (
            ("student", seat.student, students),
            ("device", seat.device, devices),
        ):
            if not value.strip():
                raise SessionsError(source, f"{at}.roster[{i}].{key}", "is empty")
            if value in seen:
                problem = f"{value!r} is already listed at roster[{seen[value]}]"
                raise SessionsError(source, f"{at}.roster[{i}].{key}", problem)
            seen[value] = i
    return tuple(RosterEntry(seat.student, seat.device) for seat in plan.roster)


def _session(
    raw: Any, i: int, source: str, known: Collection[str] | None, tz: tzinfo | None
) -> Session:
    at = f"sessions[{i}]"
    plan = convert(raw, source, _Planned, SessionsError, at=at)
    if not plan.name.strip():
        raise SessionsError(source, f"{at}.name", "is empty")
    if known is not None and plan.profile not in known:
        listed = ", ".join(sorted(known)) or "none loaded"
        problem = f"unknown profile {plan.profile!r} (known: {listed})"
        raise SessionsError(source, f"{at}.profile", problem)
    if not plan.rooms or not all(r.strip() for r in plan.rooms):
        raise SessionsError(source, f"{at}.rooms", "list at least one room, none of them empty")
    start = _epoch(plan.start, source, f"{at}.start", tz)
    end = _epoch(plan.end, source, f"{at}.end", tz)
    if end <= start:
        raise SessionsError(source, f"{at}.end", f"must be after start ({plan.start})")
    day = datetime.fromtimestamp(start, tz).strftime("%Y-%m-%d")
    return Session(
        id=plan.id or f"{day}-{_slug(plan.name)}",
        name=plan.name,
        program=plan.program,
        test=plan.test,
        grade=str(plan.grade),
        content_area=plan.content_area,
        profile_id=plan.profile,
        rooms=plan.rooms,
        proctor=plan.proctor,
        test_administrator=plan.test_administrator,
        scheduled_start=start,
        scheduled_end=end,
        roster=_roster(plan, source, at),
    )


def parse_sessions(
    text: str,
    source: str,
    known_profiles: Collection[str] | None,
    tz: tzinfo | None = None,
) -> list[Session]:
    """The planned sessions of a site file, in file order; other sections are left to parse_site.

    Raises SessionsError naming ``source`` and the field (``sessions[2].end``).
    """
    data = load_toml(text, source, SessionsError)
    raw = data.get("sessions", [])
    if not isinstance(raw, list):
        raise SessionsError(source, "sessions", "expected [[sessions]] tables")
    sessions: list[Session] = []
    first: dict[str, int] = {}
    for i, item in enumerate(raw):
        session = _session(item, i, source, known_profiles, tz)
        if session.id in first:
            problem = f"duplicate session id {session.id!r} (also sessions[{first[session.id]}])"
            raise SessionsError(source, f"sessions[{i}].id", problem + "; give each an id")
        first[session.id] = i
        sessions.append(session)
    return sessions


def load_sessions(
    path: Path | str, known_profiles: Collection[str] | None = None, tz: tzinfo | None = None
) -> list[Session]:
    """Read the planned sessions from a site file; a missing file plans none."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionsError(str(path), "(file)", f"cannot read: {exc}") from None
    return parse_sessions(text, str(path), known_profiles, tz)
