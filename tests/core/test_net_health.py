"""Tests per-room network health: each code at its threshold, the card line, timeline lines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from testday.core.net_health import CODES, RoomNetwork, network_at, room_network
from testday.core.net_state import InterfaceState, NetDevice, NetDeviceState, UpsSample

NOW = datetime(2027, 4, 14, 10, 30, tzinfo=UTC).timestamp()
GIG = 1_000_000_000
AP = NetDevice("ap-112", "10.0.12.2", "access_point", community="p", rooms=("112",))
SWITCH = NetDevice("sw-2", "10.0.0.2", "switch", community="p", ports={12: "112", 13: "114"})
UPS = NetDevice("closet-2", "10.0.0.9", "ups", community="p", rooms=("112", "114"))
CONTROLLER = NetDevice("wlc", "10.0.0.5", "wireless_controller", community="p", rooms=("112",))
DEVICES = {d.name: d for d in (UPS, SWITCH, AP)}


def at(hh: int, mm: int, ss: int = 0) -> float:
    return datetime(2027, 4, 14, hh, mm, ss, tzinfo=UTC).timestamp()


def iface(
    index: int, up: bool = True, utilisation: float = 0.41, speed: int = GIG
) -> InterfaceState:
    rate = utilisation * speed
    return InterfaceState(index, f"Gi1/0/{index}", up, speed, rate, rate / 2, 0.0, utilisation)


def answered(device: NetDevice, **kw: object) -> NetDeviceState:
    values: dict[str, object] = {"last_poll": NOW - 5, "last_answer": NOW - 5}
    values.update(kw)
    return NetDeviceState(device.name, device.kind, device.rooms, True, **values)  # type: ignore[arg-type]


def down(device: NetDevice, since: float) -> NetDeviceState:
    return replace(answered(device), reachable=False, unreachable_since=since, failure="timeout",
                   detail="no answer within 2 s (2 tries)", last_answer=since - 30)  # fmt: skip


def healthy() -> dict[str, NetDeviceState]:
    return {
        "ap-112": answered(AP, ap_clients=28),
        "sw-2": answered(SWITCH, interfaces=(iface(12), iface(13, utilisation=0.9))),
        "closet-2": answered(UPS, ups=UpsSample(on_battery=False, charge_percent=100)),
    }


def judge(
    states: dict[str, NetDeviceState],
    testers: int = 28,
    kbps: float | None = 200.0,
    devices: dict[str, NetDevice] = DEVICES,
    room: str = "112",
) -> RoomNetwork:
    return room_network(room, devices, states, testers, kbps, NOW, tz=UTC)


def codes(result: RoomNetwork) -> list[tuple[str, str]]:
    return [(r.code, r.severity) for r in result.reasons]


def test_healthy_room_is_ok_with_a_card_line() -> None:
    result = judge(healthy())
    assert (result.status, result.reasons) == ("ok", ())
    assert result.summary == "AP ap-112 · 28 clients / 30 · uplink 41 %"


def test_room_without_network_devices_is_unknown() -> None:
    result = judge(healthy(), room="Library")
    assert (result.status, result.reasons) == ("unknown", ())
    assert result.summary == "no network device listed for this room"
    # Listed but never polled: nothing is known yet either.
    result = judge({})
    assert result.status == "unknown"
    assert result.summary.startswith("AP ap-112 not polled yet")


def test_ap_unreachable_is_a_problem_with_its_time() -> None:
    states = healthy() | {"ap-112": down(AP, at(10, 2))}
    result = judge(states)
    assert result.status == "problem"
    reason = result.reasons[0]
    assert (reason.code, reason.device, reason.value) == ("net.ap_unreachable", "ap-112", 1680)
    assert "since 10:02" in reason.message and "no answer within 2 s" in reason.message
    assert result.summary == "AP ap-112 unreachable since 10:02 · uplink 41 %"


def test_ap_over_capacity_warns_above_capacity_only() -> None:
    assert judge(healthy() | {"ap-112": answered(AP, ap_clients=30)}).status == "ok"
    result = judge(healthy() | {"ap-112": answered(AP, ap_clients=31)})
    assert codes(result) == [("net.ap_over_capacity", "warning")]
    assert (result.reasons[0].value, result.reasons[0].threshold) == (31, 30)


def test_port_down_is_a_problem() -> None:
    states = healthy() | {"sw-2": answered(SWITCH, interfaces=(iface(12, up=False),))}
    result = judge(states)
    assert codes(result) == [("net.port_down", "problem")]
    assert "Gi1/0/12" in result.reasons[0].message and "room 112" in result.reasons[0].message
    assert "switch sw-2 port Gi1/0/12 down" in result.summary


def test_uplink_busy_warns_at_80_and_is_a_problem_at_95() -> None:
    def busy(used: float) -> RoomNetwork:
        return judge(
            healthy() | {"sw-2": answered(SWITCH, interfaces=(iface(12, utilisation=used),))}
        )

    assert busy(0.79).reasons == ()
    assert codes(busy(0.80)) == [("net.uplink_busy", "warning")]
    assert (busy(0.80).reasons[0].value, busy(0.80).reasons[0].threshold) == (80.0, 80.0)
    assert codes(busy(0.95)) == [("net.uplink_busy", "problem")]
    assert busy(0.97).reasons[0].threshold == 95.0
    # Room 114's port is at 90 %, but that is not room 112's business.
    assert judge(healthy(), room="114").reasons[0].code == "net.uplink_busy"


def test_uplink_short_for_the_testers_bandwidth() -> None:
    """10 Mbit/s carries 50 testers at 200 kbit/s; 51 need more. No profile figure: no check."""
    states = healthy() | {"sw-2": answered(SWITCH, interfaces=(iface(12, speed=10_000_000),))}
    assert judge(states, testers=50).reasons == ()
    result = judge(states, testers=51)
    assert codes(result) == [("net.uplink_short", "warning")]
    assert (result.reasons[0].value, result.reasons[0].threshold) == (10_000_000, 10_200_000)
    assert "10 Mbit/s" in result.reasons[0].message and "10.2 Mbit/s" in result.reasons[0].message
    assert judge(states, testers=51, kbps=None).reasons == ()


def test_ups_on_battery_is_a_problem_with_minutes_left() -> None:
    ups = UpsSample(on_battery=True, charge_percent=80, minutes_left=12)
    result = judge(healthy() | {"closet-2": answered(UPS, ups=ups)})
    assert codes(result) == [("net.ups_on_battery", "problem")]
    assert result.reasons[0].value == 12 and "12 min left" in result.reasons[0].message
    assert result.summary.endswith("UPS closet-2 on battery, 12 min left")


def test_switch_ups_and_controller_unreachable_only_warn() -> None:
    states = healthy() | {"sw-2": down(SWITCH, at(10, 0)), "closet-2": down(UPS, at(10, 1)),
                          "wlc": down(CONTROLLER, at(10, 3))}  # fmt: skip
    result = judge(states, devices=DEVICES | {"wlc": CONTROLLER})
    assert result.status == "warning"
    assert sorted(codes(result)) == [
        ("net.controller_unreachable", "warning"),
        ("net.switch_unreachable", "warning"),
        ("net.ups_unreachable", "warning"),
    ]


def test_device_rebooted_warns_for_ten_minutes() -> None:
    recent = judge(healthy() | {"ap-112": answered(AP, ap_clients=3, rebooted_at=NOW - 599)})
    assert codes(recent) == [("net.device_rebooted", "warning")]
    assert recent.reasons[0].threshold == 600.0 and "10:20" in recent.reasons[0].message
    old = judge(healthy() | {"ap-112": answered(AP, ap_clients=3, rebooted_at=NOW - 601)})
    assert old.reasons == ()


def test_problems_come_first_and_every_code_is_catalogued() -> None:
    states = healthy() | {
        "ap-112": answered(AP, ap_clients=35),
        "closet-2": answered(UPS, ups=UpsSample(on_battery=True)),
    }
    result = judge(states)
    assert codes(result) == [("net.ups_on_battery", "problem"), ("net.ap_over_capacity", "warning")]
    assert {r.code for r in result.reasons} <= set(CODES)


def test_network_at_describes_the_moment() -> None:
    states = {
        "ap-112": down(AP, at(10, 13, 58)),
        "sw-2": answered(SWITCH, interfaces=(iface(12, up=False),)),
        "closet-2": answered(UPS, ups=UpsSample(on_battery=True, minutes_left=12)),
    }
    assert network_at("112", DEVICES, states, at(10, 14), tz=UTC) == [
        "AP ap-112 unreachable since 10:13:58",
        "switch sw-2 port Gi1/0/12 (room 112) down",
        "UPS closet-2 on battery, 12 min left",
    ]
    # Before the AP went down it still answered; its last answer was fine.
    assert network_at("112", DEVICES, states, at(10, 13), tz=UTC)[0:1] == [
        "switch sw-2 port Gi1/0/12 (room 112) down"
    ]


def test_network_at_is_empty_when_all_was_fine_or_nothing_known() -> None:
    assert network_at("112", DEVICES, healthy(), NOW, tz=UTC) == []
    assert network_at("112", DEVICES, {}, NOW, tz=UTC) == []
    assert network_at("Library", DEVICES, healthy(), NOW, tz=UTC) == []
    busy = healthy() | {"ap-112": answered(AP, ap_clients=34, rebooted_at=NOW - 60)}
    assert network_at("112", DEVICES, busy, NOW, tz=UTC) == [
        "AP ap-112 restarted at 10:29:00",
        "AP ap-112 had 34 clients (capacity 30)",
    ]
