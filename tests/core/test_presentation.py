"""Tests the words and numbers shown to people, as the dashboard, CLI and exports all show them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from testday_agent.protocol import AppFacts, BatteryFacts, EndpointResult, NetworkFacts

from testday.core.presentation import (
    age,
    app_text,
    battery_text,
    deadline_line,
    deadline_state,
    duration,
    label,
    latency_text,
    recorded_at,
    verdict_label,
)

TUESDAY_10 = datetime(2027, 4, 13, 10, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(45, "45 s"), (-45, "45 s"), (7 * 60, "7 min"), (2 * 3600 + 5 * 60, "2 h 5 min")],
)
def test_durations(seconds: float, words: str) -> None:
    assert duration(seconds) == words


def test_codes_and_verdicts_in_words() -> None:
    assert (label("in_progress"), verdict_label("not_ready")) == ("in progress", "not ready")
    assert (verdict_label("empty"), verdict_label("some_new_state")) == (
        "no devices",
        "some new state",
    )


def test_ages_sized_for_a_cell() -> None:
    assert [age(None, 100.0), age(96.0, 100.0), age(0.0, 720.0), age(0.0, 9000.0)] == [
        "never", "4s ago", "12m ago", "2.5h ago",
    ]  # fmt: skip


def test_what_a_device_reported() -> None:
    assert battery_text(None) == "?"
    assert battery_text(BatteryFacts(present=False)) == "none"
    assert battery_text(BatteryFacts(present=True, percent=39.6, plugged=True)) == "40% AC"
    assert app_text([]) == "-"
    assert app_text([AppFacts(name="TestNav", installed=False)]) == "missing"
    assert app_text([AppFacts(name="TestNav", installed=True, version="1.12.0")]) == "1.12.0"
    up = EndpointResult(name="a", host="a", port=443, ok=True, connect_ms=48.2)
    slow = EndpointResult(name="b", host="b", port=443, ok=True, connect_ms=120.0)
    down = EndpointResult(name="c", host="c", port=443, ok=False)
    assert latency_text(None) == "-"
    assert latency_text(NetworkFacts(endpoints=[up, slow, down])) == "120ms"
    assert latency_text(NetworkFacts(endpoints=[down])) == "down"


def test_deadline_clocks_read_plainly() -> None:
    """Due, overdue and met; past two days, whole days."""
    assert deadline_state(TUESDAY_10, False, TUESDAY_10 - 3 * 3600) == "due in 3 h 0 min"
    assert deadline_state(TUESDAY_10, False, TUESDAY_10 + 45 * 60) == "overdue by 45 min"
    assert deadline_state(TUESDAY_10, False, TUESDAY_10 - 12 * 86400) == "due in 12 d"
    assert deadline_state(TUESDAY_10, True, TUESDAY_10 + 86400) == "met"
    line = deadline_line("file", TUESDAY_10, False, TUESDAY_10 - 3600, UTC)
    assert line == "file: due in 60 min (Tue 10:00)"
    assert deadline_line("notify", TUESDAY_10, True, TUESDAY_10, UTC) == "notify: met"


def test_a_recorded_moment_keeps_its_zone() -> None:
    moment = datetime(2027, 4, 13, 10, 14, 5, tzinfo=UTC)
    assert (recorded_at(moment), recorded_at(None), recorded_at(None, "—")) == (
        "2027-04-13 10:14:05", "", "—",
    )  # fmt: skip
