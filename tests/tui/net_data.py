"""Provides network devices and rooms' network health for dashboard tests, typed like the hub's."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from testday.console_protocol.messages import Snapshot
from testday.console_protocol.network_views import (
    InterfaceView,
    NetDeviceView,
    NetKind,
    NetReasonView,
    NetStatus,
    RoomNetworkView,
    UpsView,
)
from tests.core.devices import NOW
from tests.tui.scripted import snapshot

# An access point, a switch and a UPS serving rooms 101 and 112.


def net_device(name: str, kind: NetKind, rooms: tuple[str, ...], **state: Any) -> NetDeviceView:
    """A network device as the hub serves it (network_views.net_device_view), polled 12 s ago."""
    base = NetDeviceView(
        name=name, kind=kind, address=f"10.0.0.{len(name)}", rooms=rooms,
        capacity=30 if kind == "access_point" else None, reachable=True, last_poll=NOW - 12,
        uptime_s=86_400.0 * 3, description=f"{kind} {name}",
    )  # fmt: skip
    return msgspec.structs.replace(base, **state)


def port(
    index: int, name: str, room: str | None, *, up: bool = True, util: float = 0.41
) -> InterfaceView:
    return InterfaceView(index=index, name=name, up=up, speed_bps=1_000_000_000,
                         in_bps=util * 1e9, out_bps=2e6, utilisation=util if up else None,
                         errors_per_s=0.0, room=room)  # fmt: skip


def net_devices() -> list[NetDeviceView]:
    return [
        net_device("ap-112", "access_point", ("112",), ap_clients=28),
        net_device("ap-101", "access_point", ("101",), ap_clients=12),
        net_device(
            "sw-1", "switch", ("101", "112"),
            interfaces=(port(12, "Gi0/12", "112"), port(13, "Gi0/13", "101", util=0.03)),
        ),
        net_device("ups-1", "ups", ("112",),
                   ups=UpsView(on_battery=False, charge_percent=100, minutes_left=40,
                               battery_status=2)),
    ]  # fmt: skip


def room_net(
    room: str, status: NetStatus, summary: str, *reasons: NetReasonView
) -> RoomNetworkView:
    return RoomNetworkView(room=room, status=status, summary=summary, reasons=reasons)


def net_reason(
    code: str, severity: Literal["warning", "problem"], device: str, message: str
) -> NetReasonView:
    return NetReasonView(code=code, severity=severity, message=message, device=device)


def net_rooms() -> list[RoomNetworkView]:
    busy = net_reason(
        "net.ap_over_capacity", "warning", "ap-112",
        "Access point ap-112 carries 28 devices, close to the 30 it serves well for testing",
    )  # fmt: skip
    return [
        room_net("101", "ok", "AP ap-101 · 12 clients / 30 · uplink 3 %"),
        room_net("112", "warning", "AP ap-112 · 28 clients / 30 · uplink 41 %", busy),
    ]


def network_snapshot() -> Snapshot:
    """The sample fleet with the network watch's devices and room health."""
    return msgspec.structs.replace(
        snapshot(), network_devices=net_devices(), network_rooms=net_rooms()
    )
