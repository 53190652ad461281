"""Provides the fleet state machine: apply connects, reports and disconnects, get the changes."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from testday_agent.protocol import Facts, Hello, Report

from testday.core.profile import Profile
from testday.core.readiness import Observed, Verdict, evaluate
from testday.core.reasons import make_reason

log = logging.getLogger(__name__)

Presence = Literal["online", "late", "offline"]

# A report this many intervals overdue makes a connected device "late"; the websocket ping,
# not this rule, is what turns a silent device offline.
LATE_AFTER_INTERVALS = 2.5
BATTERY_SAMPLES_KEPT = 240


@dataclass(frozen=True)
class FleetEvent:
    """Something that happened, to be appended to the durable event log."""

    ts: float
    kind: str
    device_id: str
    room: str | None
    data: dict[str, Any]


@dataclass
class Device:
    """What the hub knows of one testing device, on the hub's own clock."""

    device_id: str
    first_seen: float
    hostname: str | None = None
    room: str | None = None
    asset_tag: str | None = None
    os_family: str | None = None
    os_version: str | None = None
    agent_version: str | None = None
    hardware_uuid: str | None = None
    serial: str | None = None
    key_hash: str | None = None
    last_seen: float | None = None
    last_report_at: float | None = None
    last_seq: int | None = None
    facts: Facts | None = None
    clock_skew_s: float | None = None
    presence: Presence = "offline"
    connections: dict[str, str] = field(default_factory=dict)  # connection id → peer address
    battery_samples: deque[tuple[float, float, bool]] = field(
        default_factory=lambda: deque(maxlen=BATTERY_SAMPLES_KEPT)
    )
    verdict: Verdict | None = None
    # The verdict while it last reported: what a restart or an outage must not erase.
    last_online_verdict: Verdict | None = None
    profile_id: str | None = None
    reported_since_connect: bool = False

    @property
    def duplicate_peers(self) -> tuple[str, ...]:
        return tuple(self.connections.values()) if len(self.connections) > 1 else ()


class FleetState:
    """Every known device and its verdict; pure state, fed by the hub's I/O shells."""

    def __init__(
        self,
        profile_for_room: Callable[[str | None], Profile],
        interval_s: float = 15.0,
    ) -> None:
        self._profile_for_room = profile_for_room
        self.interval_s = interval_s
        self.devices: dict[str, Device] = {}

    # --- inputs -----------------------------------------------------------------------------

    def restore(self, devices: Iterable[Device], now: float) -> None:
        """Load devices from storage after a restart: all offline until they reconnect."""
        for device in devices:
            if device.verdict is not None and device.verdict.status != "offline":
                device.last_online_verdict = device.verdict
            device.presence = "offline"
            device.connections.clear()
            self.devices[device.device_id] = device
            self._judge(device, now)

    def connect(self, hello: Hello, conn_id: str, peer: str, now: float) -> list[FleetEvent]:
        device = self.devices.get(hello.device_id)
        if device is None:
            device = Device(device_id=hello.device_id, first_seen=now)
            self.devices[hello.device_id] = device
        device.hostname = hello.hostname
        device.os_family = hello.os_family
        device.os_version = hello.os_version
        device.agent_version = hello.agent_version
        device.hardware_uuid = hello.hardware_uuid or device.hardware_uuid
        device.serial = hello.serial or device.serial
        device.asset_tag = hello.asset_tag or device.asset_tag
        if hello.room:
            device.room = hello.room
        device.connections[conn_id] = peer
        device.reported_since_connect = False
        device.last_seen = now
        events = [self._event(device, now, "device.connected", peer=peer, host=hello.hostname)]
        if len(device.connections) > 1:
            events.append(
                self._event(
                    device, now, "identity.duplicate", peers=list(device.connections.values())
                )
            )
        device.presence = "online"
        return events + self._judge(device, now)

    def report(self, device_id: str, report: Report, now: float) -> list[FleetEvent]:
        device = self.devices[device_id]
        device.last_seen = now
        device.last_report_at = now
        device.last_seq = (
            report.seq if device.last_seq is None else max(device.last_seq, report.seq)
        )
        device.facts = report.facts
        device.clock_skew_s = report.sent_at - now
        battery = report.facts.battery
        if battery is not None and battery.present and battery.percent is not None:
            device.battery_samples.append((now, battery.percent, bool(battery.plugged)))
        if report.facts.system is not None:
            device.hostname = report.facts.system.hostname
        device.presence = "online"
        device.reported_since_connect = True
        return self._judge(device, now)

    def disconnect(self, device_id: str, conn_id: str, now: float, why: str) -> list[FleetEvent]:
        device = self.devices.get(device_id)
        if device is None or conn_id not in device.connections:
            return []
        peer = device.connections.pop(conn_id)
        events = [self._event(device, now, "device.disconnected", peer=peer, why=why)]
        if not device.connections:
            device.presence = "offline"
        return events + self._judge(device, now)

    def tick(self, now: float) -> list[FleetEvent]:
        """Time passing: connected devices whose reports are overdue become late."""
        events: list[FleetEvent] = []
        late_after = self.interval_s * LATE_AFTER_INTERVALS
        for device in self.devices.values():
            if not device.connections:
                continue
            heard = device.last_report_at or device.last_seen or now
            presence: Presence = "late" if now - heard > late_after else "online"
            if presence != device.presence:
                device.presence = presence
                events += self._judge(device, now)
        return events

    def rejudge_all(self, now: float) -> list[FleetEvent]:
        """Re-evaluate every device (a forecast moves with the clock even without reports)."""
        events: list[FleetEvent] = []
        for device in self.devices.values():
            events += self._judge(device, now)
        return events

    # --- queries ----------------------------------------------------------------------------

    def profile_of(self, device: Device) -> Profile:
        return self._profile_for_room(device.room)

    def connected_count(self) -> int:
        return sum(1 for d in self.devices.values() if d.connections)

    # --- internals --------------------------------------------------------------------------

    def _judge(self, device: Device, now: float) -> list[FleetEvent]:
        try:
            profile = self._profile_for_room(device.room)
            device.profile_id = profile.id
            verdict = evaluate(profile, observe(device), now)
        except Exception as exc:
            # One device's report the hub cannot judge must not cost it its connection, nor
            # the other devices their tick: it is marked, and judged again with the next one.
            log.exception("judging device %s failed", device.device_id)
            verdict = unjudged(exc)
        before = device.verdict
        device.verdict = verdict
        if device.presence != "offline" and device.reported_since_connect:
            device.last_online_verdict = verdict
        if (
            before is not None
            and before.status == verdict.status
            and _codes(before) == _codes(verdict)
        ):
            return []
        return [
            self._event(
                device,
                now,
                "verdict.changed",
                status=verdict.status,
                was=before.status if before else None,
                reasons=[r.code for r in verdict.reasons],
            )
        ]

    @staticmethod
    def _event(device: Device, now: float, kind: str, **data: Any) -> FleetEvent:
        return FleetEvent(
            ts=now, kind=kind, device_id=device.device_id, room=device.room, data=data
        )


def unjudged(exc: Exception) -> Verdict:
    """The verdict of a device the hub failed to judge: not ready, saying what failed."""
    what = " ".join(str(exc).split())[:200] or type(exc).__name__
    message = f"The hub could not judge this device's last report ({what}) — readiness unknown"
    return Verdict("not_ready", (make_reason("hub.error", "not_ready", message),))


def observe(device: Device, until: float | None = None) -> Observed:
    """What the hub knows of ``device``, as readiness judges it; ``until``: the battery's goal."""
    return Observed(
        facts=device.facts,
        presence=device.presence,
        last_seen=device.last_seen,
        clock_skew_s=device.clock_skew_s,
        battery_samples=tuple(device.battery_samples),
        duplicate_peers=device.duplicate_peers,
        must_last_until=until,
    )


def _codes(verdict: Verdict) -> tuple[str, ...]:
    return tuple(sorted(r.code for r in verdict.reasons))


# The hub's log keys events by device: a network device (switch, access point, UPS) is logged
# as "net:NAME", apart from testing devices.
NETWORK_DEVICE_PREFIX = "net:"


def is_testing_device_event(event: FleetEvent) -> bool:
    return not event.device_id.startswith(NETWORK_DEVICE_PREFIX)
