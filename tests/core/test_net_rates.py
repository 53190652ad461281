"""Tests folding poll samples into device states: rates, wraps, resets, reboots and events."""

from __future__ import annotations

from dataclasses import replace

from testday.core.net_rates import fold
from testday.core.net_state import (
    InterfaceSample,
    NetDevice,
    NetDeviceState,
    NetEvent,
    PollSample,
    UpsSample,
)

T0 = 1_800_000_000.0
GIG = 1_000_000_000
SWITCH = NetDevice(
    "sw-2", "10.0.0.2", "switch", community="public", rooms=("closet-2",), ports={12: "112"}
)
AP = NetDevice("ap-112", "10.0.12.2", "access_point", community="public", rooms=("112",))
UPS = NetDevice("closet-2", "10.0.0.9", "ups", community="public", rooms=("112", "114"))


def port(index: int = 12, **kw: object) -> InterfaceSample:
    values: dict[str, object] = {"name": f"Gi1/0/{index}", "oper_up": True, "speed_bps": GIG}
    values.update(kw)
    return InterfaceSample(index, **values)  # type: ignore[arg-type]


def sample(ts: float, *interfaces: InterfaceSample, **kw: object) -> PollSample:
    values: dict[str, object] = {"uptime_s": 1000.0 + ts - T0, "interfaces": interfaces}
    values.update(kw)
    return PollSample("sw-2", ts, **values)  # type: ignore[arg-type]


def run(device: NetDevice, *samples: PollSample) -> tuple[NetDeviceState, list[NetEvent]]:
    """Fold samples in order; the last state and every event."""
    state: NetDeviceState | None = None
    events: list[NetEvent] = []
    for s in samples:
        state, new = fold(state, s, device)
        events.extend(new)
    assert state is not None
    return state, events


def test_rates_and_utilisation_are_exact() -> None:
    """Octets over 10 s become bits per second; utilisation is the busier direction over speed."""
    first = port(in_octets=1_000, out_octets=5_000, in_errors=1, in_discards=0)
    second = port(in_octets=1_000 + 125_000_000, out_octets=5_000 + 62_500_000,
                  in_errors=11, in_discards=10)  # fmt: skip
    state, events = run(SWITCH, sample(T0, first), sample(T0 + 10, second))
    (iface,) = state.interfaces
    assert (iface.in_bps, iface.out_bps) == (100_000_000.0, 50_000_000.0)
    assert iface.utilisation == 0.1
    assert iface.errors_per_s == 2.0
    assert state.reachable is True and state.last_answer == T0 + 10
    assert state.last_sample is not None and state.last_sample.ts == T0 + 10
    assert state.rooms == ("closet-2", "112")
    assert events == []


def test_first_sample_has_no_rates() -> None:
    state, _ = run(SWITCH, sample(T0, port(in_octets=1, out_octets=1)))
    (iface,) = state.interfaces
    assert (iface.in_bps, iface.out_bps, iface.utilisation, iface.errors_per_s) == (None,) * 4


def test_counter32_wrap_adds_two_to_the_32() -> None:
    """A 32-bit counter that went down once, uptime still rising, wrapped."""
    first = port(in_octets=2**32 - 1_000, out_octets=0, counter_bits=32)
    second = port(in_octets=9_000, out_octets=0, counter_bits=32)
    state, events = run(SWITCH, sample(T0, first), sample(T0 + 10, second))
    assert state.interfaces[0].in_bps == 8_000.0  # 10 000 octets × 8 / 10 s
    assert events == []


def test_counter64_wrap_adds_two_to_the_64() -> None:
    first = port(in_octets=2**64 - 500, out_octets=10, counter_bits=64)
    second = port(in_octets=1_500, out_octets=20, counter_bits=64)
    state, _ = run(SWITCH, sample(T0, first), sample(T0 + 4, second))
    assert state.interfaces[0].in_bps == 4_000.0
    assert state.interfaces[0].out_bps == 20.0


def test_implausible_wrap_is_a_reset_with_no_rate() -> None:
    """A "wrap" implying more than 1.5 × the link speed was a counter reset: None this round."""
    first = port(in_octets=5_000_000, out_octets=100, counter_bits=64)
    second = port(in_octets=100, out_octets=200, counter_bits=64)
    state, _ = run(SWITCH, sample(T0, first), sample(T0 + 30, second))
    iface = state.interfaces[0]
    assert iface.in_bps is None
    assert iface.out_bps == 800 / 30
    # 32-bit counters on an unknown-speed interface: 10 Gbps is the ceiling.
    slow = [port(in_octets=4_000_000_000, out_octets=0, counter_bits=32, speed_bps=None),
            port(in_octets=1, out_octets=0, counter_bits=32, speed_bps=None)]  # fmt: skip
    state, _ = run(SWITCH, sample(T0, slow[0]), sample(T0 + 0.01, slow[1]))
    assert state.interfaces[0].in_bps is None and state.interfaces[0].utilisation is None


def test_reboot_from_uptime_gives_no_rates_and_an_event() -> None:
    """sysUpTime going backwards is a restart: rebooted_at = ts − new uptime, rates None."""
    before = sample(T0, port(in_octets=9_000_000, out_octets=9_000_000), uptime_s=50_000.0)
    after = sample(T0 + 30, port(in_octets=1_000, out_octets=2_000), uptime_s=12.0)
    later = sample(T0 + 60, port(in_octets=1_000 + 3_750, out_octets=2_000), uptime_s=42.0)
    state, events = run(SWITCH, before, after)
    assert state.rebooted_at == T0 + 30 - 12
    assert state.interfaces[0].in_bps is None
    assert [e.kind for e in events] == ["net.rebooted"]
    assert events[0].data["rebooted_at"] == T0 + 18
    state, events = run(SWITCH, before, after, later)
    assert state.rebooted_at == T0 + 18  # kept once rates resume
    assert state.interfaces[0].in_bps == 1_000.0


def test_reboot_from_counters_when_no_uptime() -> None:
    """Without sysUpTime, every counter going back at once is a restart, not many wraps."""
    before = sample(T0, port(in_octets=900, out_octets=800), uptime_s=None)
    after = sample(T0 + 30, port(in_octets=10, out_octets=20), uptime_s=None)
    state, events = run(SWITCH, before, after)
    assert [e.kind for e in events] == ["net.rebooted"]
    assert state.interfaces[0].in_bps is None


def test_uptime_wrap_after_497_days_is_not_a_reboot() -> None:
    wrap = 2**32 / 100
    before = sample(T0, port(in_octets=0, out_octets=0), uptime_s=wrap - 10)
    after = sample(T0 + 30, port(in_octets=0, out_octets=0), uptime_s=20.0)
    state, events = run(SWITCH, before, after)
    assert events == [] and state.rebooted_at is None
    assert state.interfaces[0].in_bps == 0.0


def test_link_down_and_up_name_the_port_and_its_room() -> None:
    up, down = port(12), port(12, oper_up=False)
    other = port(3, oper_up=False)  # not in ports: the device's own rooms
    _, events = run(
        SWITCH,
        sample(T0, up, port(3)),
        sample(T0 + 30, down, other),
        sample(T0 + 60, up, other),
    )
    assert [(e.kind, e.rooms, e.data["index"], e.data["interface"]) for e in events] == [
        ("net.link_down", ("112",), 12, "Gi1/0/12"),
        ("net.link_down", ("closet-2",), 3, "Gi1/0/3"),
        ("net.link_up", ("112",), 12, "Gi1/0/12"),
    ]
    assert events[0].ts == T0 + 30 and events[0].device == "sw-2"


def test_ups_on_battery_and_back_on_mains() -> None:
    mains = UpsSample(on_battery=False, charge_percent=100, minutes_left=40)
    battery = UpsSample(on_battery=True, charge_percent=80, minutes_left=12)
    state, events = run(
        UPS,
        sample(T0, ups=mains),
        sample(T0 + 30, ups=battery),
        sample(T0 + 60, ups=battery),
        sample(T0 + 90, ups=replace(mains, charge_percent=78)),
    )
    assert [(e.kind, e.ts, e.rooms) for e in events] == [
        ("net.ups_on_battery", T0 + 30, ("112", "114")),
        ("net.ups_on_mains", T0 + 90, ("112", "114")),
    ]
    assert events[0].data == {"charge_percent": 80, "minutes_left": 12}
    assert state.ups is not None and state.ups.on_battery is False


def test_ups_found_on_battery_at_first_poll_is_news() -> None:
    _, events = run(UPS, sample(T0, ups=UpsSample(on_battery=True, minutes_left=5)))
    assert [e.kind for e in events] == ["net.ups_on_battery"]
    _, events = run(UPS, sample(T0, ups=UpsSample(on_battery=False)))
    assert events == []


def test_unreachable_since_is_kept_and_the_downtime_reported() -> None:
    """Consecutive failures keep the first failure's time; stale values stay; one event each way."""
    ok = sample(T0, port(in_octets=0, out_octets=0), ap_clients=28)
    fail = [
        PollSample(
            "ap-112", T0 + 30 * k, failure="timeout", detail="no answer within 2 s (2 tries)"
        )
        for k in (1, 2, 3)
    ]
    back = sample(T0 + 120, port(in_octets=0, out_octets=0), ap_clients=25)
    state, events = run(AP, ok, *fail)
    assert state.reachable is False and state.unreachable_since == T0 + 30
    assert (state.failure, state.detail) == ("timeout", "no answer within 2 s (2 tries)")
    assert state.last_poll == T0 + 90 and state.last_answer == T0
    assert state.ap_clients == 28 and state.last_sample == ok
    assert [e.kind for e in events] == ["net.unreachable"]
    assert events[0].rooms == ("112",) and events[0].data["last_answer"] == T0
    state, events = run(AP, ok, *fail, back)
    assert [e.kind for e in events] == ["net.unreachable", "net.reachable"]
    assert events[1].data == {"since": T0 + 30, "down_s": 90.0}
    assert state.reachable is True and state.unreachable_since is None and state.failure is None
    assert state.ap_clients == 25


def test_first_poll_failing_is_unreachable() -> None:
    state, events = run(AP, PollSample("ap-112", T0, failure="auth", detail="wrong key"))
    assert (state.reachable, state.unreachable_since, state.failure) == (False, T0, "auth")
    assert [e.kind for e in events] == ["net.unreachable"]
