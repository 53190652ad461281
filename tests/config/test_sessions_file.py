"""Tests sessions planned in the site file: decoding, local times, and errors naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from testday.config.sessions_file import SessionsError, load_sessions, parse_sessions
from testday.config.site import parse_site

KNOWN = {"pearson-testnav", "cambium"}

PLAN = """\
[site]
name = "Lincoln Middle School"

[rooms."112"]
name = "Lab 112"

[[sessions]]
id = "g7-math-a"
name = "Grade 7 Math, part A"
program = "State Assessment"
test = "Mathematics"
grade = 7
content_area = "Mathematics"
profile = "pearson-testnav"
rooms = ["112", "114"]
proctor = "J. Rivera"
test_administrator = "M. Chen"
start = 2027-04-14T09:00:00
end = 2027-04-14T10:30:00
roster = [
  { student = "1000000001", device = "lab112-01" },
  { student = "1000000002", device = "lab112-02" },
]

[[sessions]]
name = "Grade 8 ELA"
profile = "cambium"
rooms = ["Library"]
start = "2027-04-15 13:00"
end = "2027-04-15T14:00:00-05:00"
"""


def at(hour: int, minute: int = 0, day: int = 14, tz: timezone = UTC) -> float:
    return datetime(2027, 4, day, hour, minute, tzinfo=tz).timestamp()


def error_of(text: str) -> SessionsError:
    with pytest.raises(SessionsError) as info:
        parse_sessions(text, "site.toml", KNOWN, UTC)
    assert str(info.value).startswith("site.toml: ")
    return info.value


def test_planned_sessions_decode() -> None:
    """Every field lands on the session; local times use the given zone; ids are derived."""
    first, second = parse_sessions(PLAN, "site.toml", KNOWN, UTC)
    assert (first.id, first.name, first.grade, first.profile_id) == (
        "g7-math-a",
        "Grade 7 Math, part A",
        "7",
        "pearson-testnav",
    )
    assert (first.program, first.test, first.content_area) == (
        "State Assessment",
        "Mathematics",
        "Mathematics",
    )
    assert (first.proctor, first.test_administrator) == ("J. Rivera", "M. Chen")
    assert first.rooms == ("112", "114")
    assert (first.scheduled_start, first.scheduled_end) == (at(9), at(10, 30))
    assert first.current_roster == {"1000000001": "lab112-01", "1000000002": "lab112-02"}
    assert first.state == "scheduled" and first.history == ()
    assert second.id == "2027-04-15-grade-8-ela"
    assert second.scheduled_start == at(13, day=15)
    assert second.scheduled_end == at(14, day=15, tz=timezone(timedelta(hours=-5)))


def test_the_site_file_still_parses_with_sessions() -> None:
    """parse_site leaves the [[sessions]] tables to this module."""
    site = parse_site(PLAN, "site.toml", KNOWN)
    assert site.room_name("112") == "Lab 112"


def test_no_sessions_and_missing_file(tmp_path: Path) -> None:
    """A site file without sessions plans none, and so does a missing file."""
    assert parse_sessions('[site]\nname = "x"\n', "site.toml", KNOWN) == []
    assert load_sessions(tmp_path / "site.toml", KNOWN) == []
    (tmp_path / "site.toml").write_text(PLAN, encoding="utf-8")
    planned = load_sessions(tmp_path / "site.toml", KNOWN, UTC)
    assert [s.id for s in planned] == ["g7-math-a", "2027-04-15-grade-8-ela"]


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        ('profile = "cambium"', 'profile = "cambiun"', "sessions[1].profile", "unknown profile"),
        ("end = 2027-04-14T10:30:00", "end = 2027-04-14T08:30:00", "sessions[0].end", "after"),
        ("end = 2027-04-14T10:30:00", "end = 2027-04-14", "sessions[0].end", "no time of day"),
        ('start = "2027-04-15 13:00"', 'start = "at nine"', "sessions[1].start", "expected"),
        ('rooms = ["Library"]', "rooms = []", "sessions[1].rooms", "at least one room"),
        ('rooms = ["Library"]', "rooms = 112", "sessions[1].rooms", "Expected array"),
        ('proctor = "J. Rivera"', 'proctr = "J. Rivera"', "sessions[0].proctr", "unknown field"),
        ('name = "Grade 8 ELA"\n', "", "sessions[1].name", "required field is missing"),
        (
            'device = "lab112-02"',
            'device = "lab112-01"',
            "sessions[0].roster[1].device",
            "roster[0]",
        ),
        ('student = "1000000002"', 'studnt = "1"', "sessions[0].roster[1].studnt", "unknown"),
        ('id = "g7-math-a"', 'id = "2027-04-15-grade-8-ela"', "sessions[1].id", "duplicate"),
    ],
)
def test_errors_name_the_field(old: str, new: str, field: str, problem: str) -> None:
    """Each mistake is reported with the file, the session's field path and the problem."""
    assert old in PLAN
    error = error_of(PLAN.replace(old, new, 1))
    assert error.field == field
    assert problem in error.problem


def test_toml_syntax_error_names_the_file() -> None:
    """Broken TOML is an error naming the file."""
    error = error_of("[[sessions]\n")
    assert error.field == "TOML syntax"
