"""Tests the incident detectors on the issue's scripted scenario and on single conditions."""

from __future__ import annotations

from testday.core.detectors import Detection, IncidentDetector
from testday.core.fleet import FleetEvent
from tests.core import scenario as sc


def run(
    events: list[FleetEvent], live: bool, detector: IncidentDetector | None = None
) -> list[Detection]:
    detector = detector or IncidentDetector()
    rooms = {room: sc.session() for room in (sc.ROOM_A, sc.ROOM_B)} if live else {}
    found: list[Detection] = []
    for event in events:
        found += detector.observe(event, rooms)
    return found


def live(events: list[FleetEvent], detector: IncidentDetector) -> list[Detection]:
    """The fleet comes up before the session, then ``events`` happen while it is in progress."""
    return run(sc.before_start(), live=False, detector=detector) + run(events, True, detector)


def scripted() -> list[Detection]:
    detector = IncidentDetector()
    found = run(sc.before_start(), live=False, detector=detector)
    found += run(sc.during(), live=True, detector=detector)
    found += detector.flush(sc.at("11:30:00"))
    return found + run(sc.after_end(), live=False, detector=detector) + detector.flush()


def test_scenario_yields_three_device_losses_in_room_a_and_one_room_drop_in_room_b() -> None:
    found = scripted()
    assert [(d.kind, d.room) for d in found] == [("device_lost", sc.ROOM_A)] * 3 + [
        ("room_drop", sc.ROOM_B)
    ]
    lost = found[:3]
    assert [d.device_ids for d in lost] == [("dev-a05",), ("dev-a09",), ("dev-a12",)]
    assert lost[0].returned_at == {"dev-a05": sc.at("10:14:40")}
    assert [d.students for d in lost] == [(sc.STUDENT[d.device_ids[0]],) for d in lost]
    assert {(d.category, d.subcategory, d.session_id) for d in lost} == {
        ("technical", "device_lost", "g7-math")
    }


def test_room_drop_lists_every_dropped_device_including_one_that_returned() -> None:
    drop = scripted()[-1]
    assert drop.device_ids == tuple(sc.ROOM_B_DROPPED)
    assert drop.room_size == 15
    assert drop.severity == "serious"
    assert drop.returned_at == {"dev-b02": sc.at("10:30:20")}
    assert drop.students == tuple(sc.STUDENT[d] for d in sc.ROOM_B_DROPPED)
    assert drop.started_at == sc.at("10:30:02")


def test_nothing_is_detected_outside_a_session_in_progress() -> None:
    quiet = sc.before_start() + sc.during() + sc.after_end()
    detector = IncidentDetector()
    assert run(quiet, live=False, detector=detector) + detector.flush() == []


def test_losses_are_held_for_the_window_then_released() -> None:
    detector = IncidentDetector(window_s=60)
    found = live(sc.drop("10:14:03", "dev-a05"), detector)
    assert found == []
    assert detector.flush(sc.at("10:15:03")) == []  # the window is still open at its last second
    assert [d.device_ids for d in detector.flush(sc.at("10:15:04"))] == [("dev-a05",)]


def test_a_device_that_drops_twice_is_reported_twice() -> None:
    events = sc.drop("10:14:03", "dev-a05") + sc.rejoin("10:14:10", "10:14:12", "dev-a05")
    events += sc.drop("10:20:00", "dev-a05")
    detector = IncidentDetector()
    found = live(events, detector) + detector.flush()
    assert [d.started_at for d in found] == [sc.at("10:14:03"), sc.at("10:20:00")]


def verdict(hms: str, reasons: list[str], status: str = "not_ready") -> FleetEvent:
    return sc.ev(hms, "verdict.changed", "dev-a03", status=status, was="ready", reasons=reasons)


def test_reason_detectors_fire_when_the_reason_newly_appears() -> None:
    events = [
        verdict("10:10:00", ["battery.critical"]),
        verdict("10:11:00", ["battery.critical", "app.missing"]),
        verdict("10:12:00", ["battery.critical", "app.missing", "endpoint.unreachable"]),
        verdict("10:13:00", ["device.offline"], status="offline"),  # says nothing of the facts
        verdict("10:14:00", ["battery.critical", "app.missing", "endpoint.unreachable"]),
    ]
    found = [d for d in live(events, IncidentDetector()) if d.kind != "device_lost"]
    assert [(d.kind, d.subcategory) for d in found] == [
        ("battery_critical", "battery"),
        ("app_stopped", "app_stopped"),
        ("endpoint_unreachable", "endpoint_unreachable"),
    ]
    assert found[0].students == (sc.STUDENT["dev-a03"],)


def test_a_small_room_never_merges_below_min_room_devices() -> None:
    detector = IncidentDetector(min_room_devices=3)
    detector.seed([("dev-a01", "112"), ("dev-a02", "112")])
    rooms = {"112": sc.session()}
    for event in sc.drop("10:14:03", "dev-a01") + sc.drop("10:14:04", "dev-a02"):
        detector.observe(event, rooms)
    assert [d.kind for d in detector.flush()] == ["device_lost", "device_lost"]


def unreachable(hms: str, device: str, reachable: bool = False) -> FleetEvent:
    reasons = [] if reachable else ["endpoint.unreachable"]
    status = "ready" if reachable else "not_ready"
    return sc.ev(hms, "verdict.changed", device, status=status, reasons=reasons)


def test_a_flapping_platform_link_is_one_incident_per_device_and_session() -> None:
    """Wi-Fi that comes and goes must not file an incident per flap; the timeline grows instead."""
    events = []
    for minute in range(10, 20, 2):
        events += [
            unreachable(f"10:{minute}:00", "dev-a03"),
            unreachable(f"10:{minute}:30", "dev-a03", reachable=True),
        ]
    detector = IncidentDetector()
    found = live(events, detector) + detector.flush()
    assert [(d.kind, d.device_ids) for d in found] == [("endpoint_unreachable", ("dev-a03",))]


def test_most_of_a_room_losing_the_platform_is_one_room_level_incident() -> None:
    devices = sc.DEVICES[sc.ROOM_B][:10]
    events = [unreachable(f"10:20:{n:02d}", d) for n, d in enumerate(devices)]
    events.append(unreachable("10:20:30", sc.DEVICES[sc.ROOM_A][0]))  # another room: its own
    detector = IncidentDetector()
    found = live(events, detector) + detector.flush()
    assert sorted((d.kind, d.room, len(d.device_ids)) for d in found) == [
        ("endpoint_unreachable", sc.ROOM_A, 1),
        ("room_unreachable", sc.ROOM_B, 10),
    ]
    room = next(d for d in found if d.kind == "room_unreachable")
    assert (room.severity, room.subcategory, room.room_size) == (
        "serious",
        "endpoint_unreachable",
        15,
    )
    assert set(room.students) == {sc.STUDENT[d] for d in devices}
