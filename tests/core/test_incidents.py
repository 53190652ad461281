"""Tests incidents folded from events: fields, status machine, student privacy and deadlines."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from testday.core.hash_chain import verify
from testday.core.incident_deadlines import (
    STATE_RULES,
    Deadline,
    DeadlineRule,
    deadline,
    deadlines,
)
from testday.core.incident_fields import AffectedStudent, DeviceRef, OtherPerson, TimedLine
from testday.core.incidents import (
    TRANSITIONS,
    IllegalTransition,
    IncidentError,
    IncidentEvent,
    IncidentFieldError,
    IncidentLog,
)
from testday.core.presentation import deadline_state

T0 = datetime(2025, 4, 11, 10, 14, 3, tzinfo=UTC)  # a Friday


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def new_log(**fields: object) -> IncidentLog:
    log = IncidentLog()
    log.append(log.create("inc-1", "tech", T0, category="technical", **fields))
    return log


def advance(log: IncidentLog, *statuses: str) -> None:
    for i, status in enumerate(statuses):
        log.append(log.set_status("inc-1", "coord", at(i + 1), status))


def test_created_incident_carries_its_fields() -> None:
    """A created event folds into an open incident with the given report fields."""
    log = new_log(
        subcategory="device_lost",
        severity="procedural",
        room="112",
        occurred_at=T0,
        affected_students=["1234567890", AffectedStudent("2234567890", at(-30))],
        devices=[DeviceRef("cb-07", asset_tag="A-1007")],
        others_involved=[OtherPerson("R. Diaz", "proctor", statement_taken=True)],
    )
    inc = log.incident("inc-1")
    assert (inc.status, inc.created_by, inc.created_at, inc.requested_outcome) == (
        "open", "tech", T0, "none"
    )  # fmt: skip
    assert [s.state_id for s in inc.affected_students] == ["1234567890", "2234567890"]
    assert inc.affected_students[1].started_at == at(-30)
    assert inc.devices[0].asset_tag == "A-1007"
    assert inc.others_involved[0].statement_taken is True


def test_events_fold_to_the_current_state() -> None:
    """Changes, notes and a drafted timeline fold in order; the first state is kept in the log."""
    log = new_log(room="112")
    lines = [TimedLine(T0, "device disconnected in room 112"), TimedLine(at(2.6), "reconnected")]
    log.append(log.change("inc-1", "tech", at(1), room="114", cause="Wi-Fi outage"))
    log.append(log.note("inc-1", "proctor", at(2), "student waited at desk"))
    log.append(log.draft_timeline("inc-1", "tech", at(3), lines))
    log.append(log.change("inc-1", "tech", at(4), room="112"))
    inc = log.incident("inc-1")
    assert (inc.room, inc.cause, inc.updated_at) == ("112", "Wi-Fi outage", at(4))
    assert [n.text for n in inc.notes] == ["student waited at desk"]
    assert [line.text for line in inc.sequence] == [line.text for line in lines]
    replayed = IncidentLog.replay(e.event for e in log.entries)
    assert replayed.incident("inc-1") == inc


def test_change_event_records_old_and_new_values() -> None:
    """A field_changed event names each changed field with its old and new value."""
    log = new_log(room="112", severity="procedural")
    event = log.change("inc-1", "tech", at(1), room="114", severity="procedural")
    assert event.kind == "field_changed"
    assert list(event.data["changes"]) == [{"field": "room", "old": "112", "new": "114"}]
    assert log.incident("inc-1").room == "112"  # nothing changes until appended


def test_events_survive_a_record_round_trip() -> None:
    """Events rebuilt from their JSON records fold to the same incident."""
    log = new_log(occurred_at=T0, affected_students=[AffectedStudent("99", T0)])
    log.append(log.change("inc-1", "tech", at(1), attestation_date=date(2025, 4, 11)))
    records = [e.event.as_record() for e in log.entries]
    replayed = IncidentLog.replay(IncidentEvent.from_record(r) for r in records)
    assert replayed.incident("inc-1") == log.incident("inc-1")


def test_every_incident_event_lands_in_one_verifiable_chain() -> None:
    """Events for several incidents share one chain that verifies."""
    log = new_log()
    log.append(log.create("inc-2", "tech", at(1), category="disruption"))
    log.append(log.change("inc-1", "tech", at(2), room="5"))
    assert [e.seq for e in log.entries] == [1, 2, 3]
    assert verify(log.entries).ok


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"student_name": "Ana"}, "student_name"),
        ({"severity": "minor"}, "severity"),
        ({"requested_outcome": "retest"}, "requested_outcome"),
        ({"outcome_comments": "x" * 1001}, "outcome_comments"),
        ({"occurred_at": datetime(2025, 4, 11, 10)}, "occurred_at"),
        ({"affected_students": ["Ana Lopez"]}, "affected_students"),
        ({"subcategory": "fire_drill"}, "subcategory"),
        ({"tests_impacted": -1}, "tests_impacted"),
        ({"attachments": ["../etc/passwd"]}, "attachments"),
        ({"parents_notified": "yes"}, "parents_notified"),
    ],
)
def test_change_rejects_unknown_fields_and_bad_values(fields: dict, named: str) -> None:
    """An unknown field or a bad value raises an error naming the field."""
    log = new_log()
    with pytest.raises(IncidentFieldError, match=named):
        log.change("inc-1", "tech", at(1), **fields)


def test_comments_of_exactly_1000_characters_are_accepted() -> None:
    """Cambium's limit is inclusive."""
    log = new_log()
    log.append(log.change("inc-1", "tech", at(1), outcome_comments="x" * 1000))
    assert len(log.incident("inc-1").outcome_comments or "") == 1000


def test_subcategory_must_follow_a_category_change() -> None:
    """Changing category and subcategory together is checked against the new category."""
    log = new_log(subcategory="device_lost")
    with pytest.raises(IncidentFieldError, match="subcategory"):
        log.change("inc-1", "tech", at(1), category="disruption")
    log.append(log.change("inc-1", "tech", at(1), category="disruption", subcategory="fire_drill"))
    assert log.incident("inc-1").subcategory == "fire_drill"


def test_a_change_that_changes_nothing_is_refused() -> None:
    """No empty field_changed events enter the chain."""
    log = new_log(room="112")
    with pytest.raises(IncidentError, match="nothing changes"):
        log.change("inc-1", "tech", at(1), room="112")


def test_student_names_are_refused_unless_the_site_allows_them() -> None:
    """Without names_allowed, student_names is rejected on create, change and replay."""
    log = new_log()
    with pytest.raises(IncidentFieldError, match="student_names"):
        log.change("inc-1", "tech", at(1), student_names={"1234": "Ana Lopez"})
    allowed = IncidentLog(names_allowed=True)
    allowed.append(allowed.create("inc-1", "tech", T0, student_names={"1234": "Ana Lopez"}))
    assert dict(allowed.incident("inc-1").student_names or {}) == {"1234": "Ana Lopez"}
    with pytest.raises(IncidentFieldError, match="student_names"):
        IncidentLog.replay(e.event for e in allowed.entries)


def test_student_names_keys_must_be_state_ids() -> None:
    """The names mapping is keyed by state ID, not by another name."""
    log = IncidentLog(names_allowed=True)
    with pytest.raises(IncidentFieldError, match="state ID"):
        log.create("inc-1", "tech", T0, student_names={"Ana Lopez": "Ana Lopez"})


def test_the_happy_path_through_every_status() -> None:
    """open → reported → pending_approval → approved → closed, each an appended event."""
    log = new_log()
    advance(log, "reported", "pending_approval", "approved", "closed")
    assert log.incident("inc-1").status == "closed"
    assert [e.event.data.get("to") for e in log.entries[1:]] == [
        "reported", "pending_approval", "approved", "closed"
    ]  # fmt: skip


def test_rejected_reports_can_be_closed() -> None:
    """pending_approval → rejected → closed."""
    log = new_log()
    advance(log, "reported", "pending_approval", "rejected", "closed")
    assert log.incident("inc-1").status == "closed"


LEGAL = {(s, t) for s, targets in TRANSITIONS.items() for t in targets}
PATHS = {
    "open": (),
    "reported": ("reported",),
    "pending_approval": ("reported", "pending_approval"),
    "approved": ("reported", "pending_approval", "approved"),
    "rejected": ("reported", "pending_approval", "rejected"),
    "closed": ("reported", "pending_approval", "approved", "closed"),
}


@pytest.mark.parametrize("source", list(PATHS))
@pytest.mark.parametrize("target", list(PATHS))
def test_every_transition_is_allowed_or_refused_naming_the_options(
    source: str, target: str
) -> None:
    """Legal transitions apply; illegal ones raise an error listing the allowed targets."""
    log = new_log()
    advance(log, *PATHS[source])
    if (source, target) in LEGAL:
        log.append(log.set_status("inc-1", "coord", at(10), target))
        assert log.incident("inc-1").status == target
        return
    with pytest.raises(IllegalTransition) as err:
        log.set_status("inc-1", "coord", at(10), target)
    for allowed in TRANSITIONS[source]:
        assert allowed in str(err.value)
    forged = IncidentEvent("status_changed", "inc-1", at(10), "x", {"from": source, "to": target})
    with pytest.raises(IllegalTransition):
        log.append(forged)
    assert log.incident("inc-1").status == source


def test_a_closed_incident_no_longer_changes() -> None:
    """Fields and notes are frozen once the incident is closed."""
    log = new_log()
    advance(log, "reported", "pending_approval", "approved", "closed")
    with pytest.raises(IncidentError, match="closed"):
        log.change("inc-1", "tech", at(9), room="1")
    with pytest.raises(IncidentError, match="closed"):
        log.note("inc-1", "tech", at(9), "late note")


def test_unknown_incidents_and_duplicate_ids_are_refused() -> None:
    """Events must target an existing incident; ids are never reused."""
    log = new_log()
    with pytest.raises(IncidentError, match="inc-9"):
        log.change("inc-9", "tech", at(1), room="1")
    with pytest.raises(IncidentError, match="already exists"):
        log.create("inc-1", "tech", at(1))


def words(clock: Deadline, now: datetime) -> str:
    """The clock as the dashboard and the command line word it."""
    return deadline_state(clock.due.timestamp(), clock.met, now.timestamp())


def test_oregon_one_day_deadline_counts_from_occurrence() -> None:
    """Oregon: due one day after the incident, with a readable countdown."""
    inc = new_log(occurred_at=T0).incident("inc-1")
    (rule,) = STATE_RULES["oregon"]
    clock = deadline(inc, rule, at(21 * 60))
    assert clock.due == T0 + timedelta(days=1)
    assert (clock.overdue, words(clock, at(21 * 60))) == (False, "due in 3 h 0 min")
    late_at = T0 + timedelta(days=1, hours=2)
    late = deadline(inc, rule, late_at)
    assert (late.overdue, words(late, late_at)) == (True, "overdue by 2 h 0 min")


def test_washoe_has_a_notify_and_a_file_deadline() -> None:
    """Washoe: notify within 24 h (met once the district is told) and file within 14 days."""
    log = new_log(occurred_at=T0)
    now = T0 + timedelta(hours=30)
    notify, file = deadlines(log.incident("inc-1"), STATE_RULES["washoe"], now)
    assert (notify.overdue, file.due) == (True, T0 + timedelta(days=14))
    assert words(file, now) == "due in 12 d"
    log.append(log.change("inc-1", "tech", now, reported_to_district_at=now))
    notify, _ = deadlines(log.incident("inc-1"), STATE_RULES["washoe"], now)
    assert (notify.met, notify.overdue, words(notify, now)) == (True, False, "met")


def test_texas_working_days_skip_the_weekend() -> None:
    """Texas: 10 working days from a Friday lands on the Friday two weeks later."""
    inc = new_log(occurred_at=T0).incident("inc-1")
    (rule,) = STATE_RULES["texas"]
    assert deadline(inc, rule, T0).due == T0 + timedelta(days=14)
    one = DeadlineRule("file", 1, "working_days")
    assert deadline(inc, one, T0).due == T0 + timedelta(days=3)  # Friday → Monday
    saturday = dataclasses.replace(inc, occurred_at=T0 + timedelta(days=1))
    assert deadline(saturday, one, T0).due == T0 + timedelta(days=3)


def test_working_days_skip_holidays() -> None:
    """A holiday on the Monday pushes one working day to Tuesday."""
    inc = new_log(occurred_at=T0).incident("inc-1")
    rule = DeadlineRule("file", 1, "working_days", holidays=frozenset({date(2025, 4, 14)}))
    assert deadline(inc, rule, T0).due == T0 + timedelta(days=4)


def test_a_reported_incident_has_met_its_filing_deadline() -> None:
    """Once reported, the filing clock stops and is never overdue."""
    log = new_log(occurred_at=T0)
    advance(log, "reported")
    later = T0 + timedelta(days=5)
    clock = deadline(log.incident("inc-1"), STATE_RULES["oregon"][0], later)
    assert (clock.met, clock.overdue, words(clock, later)) == (True, False, "met")


def test_replayed_events_get_the_same_checks() -> None:
    """A forged event with an unknown field or a bad value is refused when appended."""
    log = new_log()
    for data in (
        {"changes": [{"field": "colour", "old": None, "new": "red"}]},
        {"changes": [{"field": "severity", "old": None, "new": "minor"}]},
    ):
        forged = IncidentEvent("field_changed", "inc-1", at(1), "x", data)
        with pytest.raises(IncidentFieldError):
            log.append(forged)
    assert len(log.entries) == 1
