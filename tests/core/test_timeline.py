"""Tests the drafted sequence of events for the scripted scenario's detections."""

from __future__ import annotations

from datetime import UTC

from testday.core.detectors import IncidentDetector
from testday.core.incident_fields import TimedLine
from testday.core.incidents import IncidentLog
from testday.core.sessions import assign_device
from testday.core.timeline import draft_timeline
from tests.core import scenario as sc
from tests.core.test_detectors import scripted


def texts(lines: list[TimedLine]) -> list[str]:
    return [line.text for line in lines]


def test_returning_device_timeline_reads_disconnect_return_ready_and_resume() -> None:
    lost = scripted()[0]
    later = sc.during()
    lines = draft_timeline(lost, later, UTC, hostnames=sc.HOSTNAMES, session=sc.session())
    assert texts(lines) == [
        "10:14:03 lab-a05 (room 112) disconnected",
        "10:14:40 lab-a05 reconnected",
        "10:14:52 lab-a05 ready again",
        f"10:14:52 student {sc.STUDENT['dev-a05']} resumed on the same device",
    ]
    assert [line.at.timestamp() for line in lines] == sorted(line.at.timestamp() for line in lines)


def test_device_that_stays_away_has_a_single_line() -> None:
    lost = scripted()[1]
    assert texts(draft_timeline(lost, sc.during(), UTC)) == [
        "10:14:20 dev-a09 (room 112) disconnected"
    ]


def test_room_drop_timeline_summarises_then_lists_returns() -> None:
    drop = scripted()[-1]
    lines = draft_timeline(drop, sc.during(), UTC, hostnames=sc.HOSTNAMES)
    assert texts(lines) == [
        "10:30:02–10:30:35 12 of 15 devices in room 114 dropped",
        "10:30:20 lab-b02 reconnected",
        "10:30:31 lab-b02 ready again",
    ]


def test_a_swap_after_the_return_is_drafted_as_a_move() -> None:
    live = sc.session()
    student = sc.STUDENT["dev-a05"]
    swapped, _ = assign_device(live, student, "dev-spare", sc.at("10:14:45"), "ta")
    lines = draft_timeline(scripted()[0], sc.during(), UTC, session=swapped)
    assert texts(lines)[-1] == f"10:14:52 student {student} moved to dev-spare"


def test_bare_events_draft_and_fit_an_incident() -> None:
    events = sc.drop("10:14:03", "dev-a05") + sc.rejoin("10:16:40", "10:16:52", "dev-a05")
    lines = draft_timeline(events, [], UTC, hostnames={"dev-a05": "lab-07"})
    assert texts(lines) == [
        "10:14:03 lab-07 (room 112) disconnected",
        "10:16:40 lab-07 reconnected",
        "10:16:52 lab-07 ready again",
    ]
    log = IncidentLog()
    when = lines[0].at
    log.append(log.create("inc-1", "tech", when, category="technical"))
    log.append(log.draft_timeline("inc-1", "tech", when, lines))
    assert texts(list(log.incident("inc-1").sequence)) == texts(lines)


def test_reason_detection_timeline_says_when_the_condition_cleared() -> None:
    rooms = {sc.ROOM_A: sc.session()}
    detector = IncidentDetector()
    on = sc.ev("10:10:00", "verdict.changed", "dev-a03", status="not_ready", was="ready",
               reasons=["battery.critical"])  # fmt: skip
    off = sc.ev("10:25:00", "verdict.changed", "dev-a03", status="ready", was="not_ready",
                reasons=[])  # fmt: skip
    (found,) = detector.observe(on, rooms)
    assert texts(draft_timeline(found, [off], UTC)) == [
        "10:10:00 dev-a03 (room 112): battery critical",
        "10:25:00 dev-a03: battery critical — cleared",
    ]


def test_room_outage_of_the_platform_is_summarised_and_a_single_instant_has_no_span() -> None:
    """The room line gives the share and span; drops within one second read as one time."""
    from tests.core.test_detectors import live, unreachable

    devices = sc.DEVICES[sc.ROOM_B][:9]
    events = [unreachable("10:20:00", d) for d in devices]
    detector = IncidentDetector()
    (room,) = live(events, detector) + detector.flush()
    lines = texts(draft_timeline(room, [], UTC, sc.HOSTNAMES))
    assert lines[0] == "10:20:00 9 of 15 devices in room 114 could not reach the testing service"
    assert "lab-b01 (room 114): testing service unreachable" in " ".join(lines[1:]).lower()
