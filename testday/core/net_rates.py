"""Provides net rates: one poll folded into a device's state — reachability, rates, events.

Pure: the SNMP shell hands over a PollSample (raw counters, its own hub-clock ts); this module
turns consecutive samples into rates and notices transitions (unreachable, rebooted, link down,
UPS on battery) as NetEvents for the hub's log.
"""

from __future__ import annotations

from dataclasses import replace

from testday.core.net_state import (
    InterfaceSample,
    InterfaceState,
    NetDevice,
    NetDeviceState,
    NetEvent,
    PollSample,
)

__all__ = ["fold"]

# A "wrap" implying more than this many times the link speed was really a counter reset (someone
# cleared the counters, or the agent restarted its IF-MIB): its rate would be nonsense.
SPEED_SLACK = 1.5
UNKNOWN_SPEED_CEILING_BPS = 10e9
# Errors and discards count packets; a link cannot carry more than one minimum frame per 512 bits.
MIN_FRAME_BITS = 64 * 8
# sysUpTime is TimeTicks (hundredths of a second in 32 bits): it wraps after about 497 days.
UPTIME_WRAP_S = 2**32 / 100
ERROR_COUNTERS = ("in_errors", "in_discards", "out_errors", "out_discards")


def fold(
    previous: NetDeviceState | None, sample: PollSample, device: NetDevice
) -> tuple[NetDeviceState, list[NetEvent]]:
    """The device's state after ``sample``, and what changed (oldest state first: ``previous``)."""
    rooms = served_rooms(device)
    if sample.failure is not None:
        return _failed(previous, sample, device, rooms)
    return _answered(previous, sample, device, rooms)


def served_rooms(device: NetDevice) -> tuple[str, ...]:
    """The device's rooms, then the rooms its switch ports feed (each once, in config order)."""
    return tuple(dict.fromkeys((*device.rooms, *device.ports.values())))


def _failed(
    previous: NetDeviceState | None, sample: PollSample, device: NetDevice, rooms: tuple[str, ...]
) -> tuple[NetDeviceState, list[NetEvent]]:
    already_down = previous is not None and previous.reachable is False
    since = sample.ts
    if already_down and previous is not None and previous.unreachable_since is not None:
        since = previous.unreachable_since  # "unreachable since" is the first failing poll
    base = previous or NetDeviceState(device.name, device.kind, rooms, reachable=None)
    # The last answer's values stay: a stale client count beats a blank card, and it is dated.
    state = replace(
        base,
        kind=device.kind,
        rooms=rooms,
        reachable=False,
        unreachable_since=since,
        failure=sample.failure,
        detail=sample.detail,
        last_poll=sample.ts,
    )
    if already_down:
        return state, []
    data: dict[str, object] = {
        "failure": sample.failure,
        "detail": sample.detail,
        "last_answer": base.last_answer,
    }
    return state, [NetEvent(sample.ts, "net.unreachable", device.name, rooms, data)]


def _answered(
    previous: NetDeviceState | None, sample: PollSample, device: NetDevice, rooms: tuple[str, ...]
) -> tuple[NetDeviceState, list[NetEvent]]:
    events: list[NetEvent] = []
    if previous is not None and previous.reachable is False:
        since = previous.unreachable_since
        down_s = None if since is None else sample.ts - since
        data: dict[str, object] = {"since": since, "down_s": down_s}
        events.append(NetEvent(sample.ts, "net.reachable", device.name, rooms, data))
    before = previous.last_sample if previous is not None else None
    dt = None if before is None else sample.ts - before.ts
    rebooted = before is not None and _rebooted(before, sample, dt)
    rebooted_at = previous.rebooted_at if previous is not None else None
    if rebooted:
        # Without an uptime the restart happened some time before this answer; say the latest.
        rebooted_at = sample.ts - (sample.uptime_s or 0.0)
        data = {"rebooted_at": rebooted_at, "uptime_s": sample.uptime_s}
        events.append(NetEvent(sample.ts, "net.rebooted", device.name, rooms, data))
    # A reboot restarts every counter, so this round has no rates.
    old = {} if before is None or rebooted else {i.index: i for i in before.interfaces}
    interfaces = tuple(_interface(i, old.get(i.index), dt) for i in sample.interfaces)
    if previous is not None:
        events.extend(_link_events(previous, interfaces, sample.ts, device))
    events.extend(_ups_events(previous, sample, device.name, rooms))
    description = sample.description
    if description is None and previous is not None:
        description = previous.description  # a shell may read sysDescr only now and then
    state = NetDeviceState(
        name=device.name,
        kind=device.kind,
        rooms=rooms,
        reachable=True,
        last_poll=sample.ts,
        last_answer=sample.ts,
        uptime_s=sample.uptime_s,
        rebooted_at=rebooted_at,
        description=description,
        interfaces=interfaces,
        ups=sample.ups,
        ap_clients=sample.ap_clients,
        last_sample=sample,
    )
    return state, events


def _rebooted(before: PollSample, now: PollSample, dt: float | None) -> bool:
    if before.uptime_s is not None and now.uptime_s is not None:
        if now.uptime_s >= before.uptime_s:
            return False
        return not _uptime_wrapped(before.uptime_s, now.uptime_s, dt)
    # No uptime to go by: every octet counter going back at once is a restart, not many wraps.
    old = {i.index: i for i in before.interfaces}
    pairs = [
        (getattr(old[i.index], name), getattr(i, name))
        for i in now.interfaces
        if i.index in old
        for name in ("in_octets", "out_octets")
    ]
    known = [(a, b) for a, b in pairs if a is not None and b is not None]
    return bool(known) and all(b < a for a, b in known)


def _uptime_wrapped(before: float, now: float, dt: float | None) -> bool:
    if dt is None or dt <= 0:
        return False
    # A wrap lands where the uptime would be had it kept counting; a restart lands near zero.
    return abs(now + UPTIME_WRAP_S - (before + dt)) <= max(60.0, dt)


def _rate(
    old: int | None, new: int | None, bits: int, dt: float, scale: float, ceiling: float
) -> float | None:
    """Per-second rate between two counter readings, a single wrap allowed; None: unknown."""
    if old is None or new is None:
        return None
    delta = new - old
    wrapped = delta < 0
    if wrapped:
        delta += 2**bits
    rate = delta * scale / dt
    if wrapped and rate > ceiling:
        return None  # a reset, not a wrap
    return rate


def _interface(
    now: InterfaceSample, old: InterfaceSample | None, dt: float | None
) -> InterfaceState:
    speed = now.speed_bps or None  # ifSpeed 0: the interface cannot tell
    in_bps = out_bps = errors = None
    if old is not None and dt is not None and dt > 0:
        ceiling = speed * SPEED_SLACK if speed else UNKNOWN_SPEED_CEILING_BPS
        # Switching between ifHC* and ifIn/OutOctets between polls leaves nothing to subtract.
        if old.counter_bits == now.counter_bits:
            bits = now.counter_bits
            in_bps = _rate(old.in_octets, now.in_octets, bits, dt, 8, ceiling)
            out_bps = _rate(old.out_octets, now.out_octets, bits, dt, 8, ceiling)
        errors = _errors(old, now, dt, ceiling / MIN_FRAME_BITS)
    rates = [r for r in (in_bps, out_bps) if r is not None]
    # Poll timing jitter can make a saturated link read a little over its speed.
    utilisation = min(max(rates) / speed, 1.0) if rates and speed else None
    return InterfaceState(
        index=now.index,
        name=now.name,
        up=now.oper_up,
        speed_bps=now.speed_bps,
        in_bps=in_bps,
        out_bps=out_bps,
        errors_per_s=errors,
        utilisation=utilisation,
    )


def _errors(old: InterfaceSample, now: InterfaceSample, dt: float, ceiling: float) -> float | None:
    pairs = [(getattr(old, name), getattr(now, name)) for name in ERROR_COUNTERS]
    known = [(a, b) for a, b in pairs if a is not None and b is not None]
    if not known:
        return None
    # IF-MIB's error and discard counters are Counter32 even where octets have ifHC* versions.
    rates = [_rate(a, b, 32, dt, 1, ceiling) for a, b in known]
    return None if any(r is None for r in rates) else sum(r for r in rates if r is not None)


def _link_events(
    previous: NetDeviceState, interfaces: tuple[InterfaceState, ...], ts: float, device: NetDevice
) -> list[NetEvent]:
    was = {i.index: i.up for i in previous.interfaces}
    events = []
    for i in interfaces:
        before = was.get(i.index)
        if before is None or i.up is None or before == i.up:
            continue
        room = device.ports.get(i.index)
        rooms = (room,) if room is not None else device.rooms
        kind = "net.link_up" if i.up else "net.link_down"
        data: dict[str, object] = {"index": i.index, "interface": i.name}
        events.append(NetEvent(ts, kind, device.name, rooms, data))
    return events


def _ups_events(
    previous: NetDeviceState | None, sample: PollSample, name: str, rooms: tuple[str, ...]
) -> list[NetEvent]:
    known = previous.ups if previous is not None else None
    before = known.on_battery if known is not None else None
    ups = sample.ups
    if ups is None or ups.on_battery is None or ups.on_battery == before:
        return []
    if ups.on_battery:
        # Unknown before (the hub started mid-outage) counts too: on battery is always news.
        data: dict[str, object] = {
            "charge_percent": ups.charge_percent,
            "minutes_left": ups.minutes_left,
        }
        return [NetEvent(sample.ts, "net.ups_on_battery", name, rooms, data)]
    if before is None:
        return []  # found on mains: nothing changed that anyone needs told
    return [
        NetEvent(sample.ts, "net.ups_on_mains", name, rooms, {"charge_percent": ups.charge_percent})
    ]
