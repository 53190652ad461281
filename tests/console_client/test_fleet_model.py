"""Tests FleetModel: folding hub messages into devices, dirt, staleness, events and rooms."""

from __future__ import annotations

from testday.console_client.fleet_model import MAX_BATTERY_POINTS, FleetModel
from testday.console_client.fleet_order import UNASSIGNED, sort_key
from testday.console_protocol.messages import (
    ConnectionState,
    DevicesChanged,
    EventsAppended,
    Snapshot,
)
from tests.core.devices import NOW, battery_at
from tests.tui.scripted import (
    SITE,
    FrozenClock,
    changed,
    event,
    fleet,
    make_device,
    outdated_app,
    snapshot,
)


def loaded() -> FleetModel:
    model = FleetModel(clock=FrozenClock())
    model.apply(snapshot())
    return model


def test_snapshot_loads_every_device_and_marks_all_dirty() -> None:
    """After a Snapshot every device is held by id and dirty once."""
    model = loaded()
    assert set(model.devices) == {d.id for d in fleet()}
    assert model.take_changes().devices == set(model.devices)
    assert model.take_changes().devices == set()
    assert model.site_name == "Lincoln High"
    assert model.has_snapshot and model.connected and not model.stale


def test_devices_changed_marks_only_those_devices() -> None:
    """A DevicesChanged replaces those devices and dirties exactly them."""
    model = loaded()
    model.take_changes()
    model.apply(changed(make_device("lab-01", "101", battery_at(8.0, plugged=False))))
    changes = model.take_changes()
    assert changes.devices == {"lab-01"}
    assert changes.rooms == {"101"}
    assert not changes.reset
    assert model.devices["lab-01"].verdict == "not_ready"


def test_a_new_snapshot_drops_devices_it_no_longer_holds() -> None:
    """A device missing from a fresh Snapshot is removed and reported dirty (and absent)."""
    model = loaded()
    model.take_changes()
    model.apply(Snapshot([make_device("lab-01", "101")], [], NOW, SITE))
    changes = model.take_changes()
    assert changes.reset
    assert "lab-02" in changes.devices and "lab-02" not in model.devices
    assert set(model.devices) == {"lab-01"}
    assert model.counts() == {"offline": 0, "not_ready": 0, "warning": 0, "ready": 1}


def test_connection_lost_is_stale_until_the_next_snapshot() -> None:
    """ConnectionState(False) keeps the devices but marks them stale; only a Snapshot clears it."""
    model = loaded()
    model.apply(ConnectionState(False, "hub unreachable: refused"))
    assert model.stale and not model.connected
    assert model.detail == "hub unreachable: refused"
    assert len(model.devices) == 13
    model.apply(ConnectionState(True, "connected to ws://hub"))
    assert model.stale  # connected again, but nothing fresh yet
    model.apply(snapshot())
    assert not model.stale


def test_not_stale_before_the_first_snapshot() -> None:
    """A dashboard that never had data is connecting, not stale."""
    model = FleetModel(clock=FrozenClock())
    model.apply(ConnectionState(False, "hub unreachable"))
    assert not model.stale and not model.connected


def test_events_are_bounded_and_found_per_device() -> None:
    """The event deque keeps the newest max_events; events_for filters by device."""
    model = FleetModel(clock=FrozenClock(), max_events=5)
    model.apply(snapshot())
    model.apply(
        EventsAppended([event(NOW + i, "device.connected", "lab-01", "101") for i in range(4)])
    )
    assert len(model.events) == 5
    assert [e.ts for e in model.events_for("lab-01")] == [NOW + i for i in range(4)]
    assert len(model.take_changes().events) == 4


def test_snapshot_events_replace_the_held_ones() -> None:
    """A Snapshot's recent events replace what was held, and the change says reset."""
    model = loaded()
    model.apply(EventsAppended([event(NOW, "device.connected", "lab-01", "101")]))
    model.apply(snapshot())
    assert len(model.events) == 4
    changes = model.take_changes()
    assert changes.reset and changes.events == ()


def test_battery_history_starts_from_the_snapshot_and_grows_with_changes() -> None:
    """History comes from Snapshot.battery_history, then one point per newer report."""
    model = loaded()
    points = model.battery_history("c112-06")
    assert len(points) == 21 and points[-1] == (NOW, 37.0, False)
    model.apply(changed(make_device("c112-06", "112", battery_at(36.0, plugged=False),
                                    last_seen=NOW + 30)))  # fmt: skip
    assert model.battery_history("c112-06")[-1] == (NOW + 30, 36.0, False)
    model.apply(changed(make_device("c112-06", "112", battery_at(36.0), last_seen=NOW + 30)))
    assert len(model.battery_history("c112-06")) == 22  # same report again: no new point


def test_battery_history_is_capped() -> None:
    """At most MAX_BATTERY_POINTS points are kept per device, the newest."""
    model = loaded()
    for i in range(MAX_BATTERY_POINTS + 10):
        device = make_device("lab-01", "101", battery_at(90.0 - i * 0.1), last_seen=NOW + i)
        model.apply(DevicesChanged([device], NOW + i))
    history = model.battery_history("lab-01")
    assert len(history) == MAX_BATTERY_POINTS
    assert history[-1][0] == NOW + MAX_BATTERY_POINTS + 9


def test_rooms_count_verdicts_and_name_the_worst_problem() -> None:
    """Each room counts its verdicts, names its profile and its worst device's first reason."""
    model = loaded()
    rooms = {r.room: r for r in model.rooms()}
    assert list(rooms) == ["101", "112", "Library"]
    room = rooms["112"]
    assert room.counts == {"offline": 1, "not_ready": 2, "warning": 0, "ready": 3}
    assert room.status == "offline"
    assert room.profile == "test-platform"
    assert room.worst_device == "c112-04"
    assert room.worst_problem is not None
    assert room.worst_problem.startswith("c112-04: Device has not reported since")
    assert room.session is None
    assert rooms["Library"].status == "warning"
    worst = model.room("101").worst_reason
    assert worst is not None and worst.code == "battery.critical"


def test_a_room_that_is_all_ready_has_no_problem() -> None:
    """No worst problem when every device is ready; a site room without devices is empty."""
    model = FleetModel(clock=FrozenClock())
    model.apply(Snapshot([make_device("a", "101")], [], NOW, SITE))
    assert model.room("101").worst_problem is None
    assert model.room("101").status == "ready"
    assert model.room("112").status == "empty"
    assert model.room_names() == ["101", "112"]


def test_rooms_follow_a_device_that_moves() -> None:
    """A device changing room leaves the old room's counts and dirties both rooms."""
    model = loaded()
    model.take_changes()
    model.apply(changed(make_device("lib-01", "112")))
    assert model.take_changes().rooms == {"Library", "112"}
    assert model.room("Library").total == 1
    assert model.room("112").total == 7


def test_devices_without_a_room_are_counted_as_unassigned() -> None:
    """A device that reported no room still appears, under UNASSIGNED."""
    model = FleetModel(clock=FrozenClock())
    model.apply(Snapshot(devices=[make_device("a", None)], events=[], hub_time=NOW))
    assert model.room_names() == [UNASSIGNED]


def test_counts_cover_the_whole_fleet() -> None:
    """counts() has every verdict, including zeros."""
    model = loaded()
    assert model.counts() == {"offline": 1, "not_ready": 3, "warning": 1, "ready": 8}


def test_sort_key_puts_problems_first_then_room_then_hostname() -> None:
    """offline, not ready, warning, ready; rooms in natural order ("9" before "10")."""
    devices = [
        make_device("b", "10"),
        make_device("a", "9"),
        make_device("c", "10", outdated_app()),
        make_device("d", "9", presence="offline", last_seen=NOW - 600),
    ]
    assert [d.id for d in sorted(devices, key=sort_key)] == ["d", "c", "a", "b"]


def test_hub_now_runs_on_from_the_hubs_clock() -> None:
    """Ages use the hub's time, advanced by the local time since it was received."""
    clock = FrozenClock(now=5_000.0)
    model = FleetModel(clock=clock)
    model.apply(snapshot())
    assert model.hub_now() == NOW
    clock.advance(12)
    assert model.hub_now() == NOW + 12
