"""Provides the incident deadline clock: per-state rules, due times, and "overdue" / "due in 3 h".

A rule counts from when the incident occurred (or, failing that, when it was logged) in hours,
calendar days or working days. Working days skip Saturdays, Sundays and the rule's holidays, and
keep the time of day, so Friday 10:00 + 1 working day is Monday 10:00.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from testday.core.incidents import Incident

Unit = Literal["hours", "days", "working_days"]
# What ends the clock: the report filed (status past "open") or the district told.
Until = Literal["reported", "district_notified"]


@dataclass(frozen=True)
class DeadlineRule:
    label: str
    amount: int
    unit: Unit
    until: Until = "reported"
    holidays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Deadline:
    label: str
    due: datetime
    met: bool
    overdue: bool
    text: str  # "met", "overdue by 2 h", "due in 3 h"


STATE_RULES: Mapping[str, tuple[DeadlineRule, ...]] = MappingProxyType(
    {
        "oregon": (DeadlineRule("file", 1, "days"),),
        "washoe": (
            DeadlineRule("notify", 24, "hours", until="district_notified"),
            DeadlineRule("file", 14, "days"),
        ),
        "texas": (DeadlineRule("file", 10, "working_days"),),
    }
)


def add_working_days(
    start: datetime, days: int, holidays: frozenset[date] = frozenset()
) -> datetime:
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current.date() not in holidays:
            remaining -= 1
    return current


def due_time(start: datetime, rule: DeadlineRule) -> datetime:
    if rule.unit == "hours":
        return start + timedelta(hours=rule.amount)
    if rule.unit == "days":
        return start + timedelta(days=rule.amount)
    return add_working_days(start, rule.amount, rule.holidays)


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def deadline(incident: Incident, rule: DeadlineRule, now: datetime) -> Deadline:
    """The clock for one rule at ``now``; a met deadline is never overdue."""
    start = incident.occurred_at or incident.created_at
    due = due_time(start, rule)
    if rule.until == "district_notified":
        met = incident.reported_to_district_at is not None
    else:
        met = incident.status != "open"
    if met:
        return Deadline(rule.label, due, True, False, "met")
    if now >= due:
        return Deadline(rule.label, due, False, True, f"overdue by {_span(now - due)}")
    return Deadline(rule.label, due, False, False, f"due in {_span(due - now)}")


def deadlines(incident: Incident, rules: tuple[DeadlineRule, ...], now: datetime) -> list[Deadline]:
    return [deadline(incident, rule, now) for rule in rules]
