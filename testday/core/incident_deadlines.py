"""Provides the incident deadline clock: per-state rules, due times, met and overdue.

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
    overdue: bool  # presentation.deadline_state words a clock for people


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


def deadline(incident: Incident, rule: DeadlineRule, now: datetime) -> Deadline:
    """The clock for one rule at ``now``; a met deadline is never overdue."""
    start = incident.occurred_at or incident.created_at
    due = due_time(start, rule)
    if rule.until == "district_notified":
        met = incident.reported_to_district_at is not None
    else:
        met = incident.status != "open"
    return Deadline(rule.label, due, met, not met and now >= due)


def deadlines(incident: Incident, rules: tuple[DeadlineRule, ...], now: datetime) -> list[Deadline]:
    return [deadline(incident, rule, now) for rule in rules]
