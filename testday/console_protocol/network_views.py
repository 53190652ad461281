"""Provides the typed views of network devices and of each room's network health."""

from __future__ import annotations

from typing import Literal

from testday.console_protocol.device_views import Measure, View

NetKind = Literal["access_point", "switch", "wireless_controller", "ups"]
NetStatus = Literal["ok", "warning", "problem", "unknown"]


class InterfaceView(View):
    """A switch port feeding a room, or an uplink."""

    index: int
    name: str = ""
    up: bool | None = None
    speed_bps: int | None = None
    in_bps: float | None = None
    out_bps: float | None = None
    utilisation: float | None = None  # 0..1
    errors_per_s: float | None = None
    room: str | None = None  # the room this port feeds, per site.toml


class UpsView(View):
    on_battery: bool | None = None
    battery_status: int | None = None  # UPS-MIB: 2 normal, 3 low, 4 depleted
    charge_percent: int | None = None
    minutes_left: int | None = None


class NetDeviceView(View):
    """An access point, switch, wireless controller or UPS as the network watch knows it."""

    name: str
    kind: NetKind
    address: str
    rooms: tuple[str, ...] = ()
    capacity: int | None = None  # an access point's testing devices
    reachable: bool | None = None  # None: not polled yet
    unreachable_since: float | None = None
    failure: str | None = None
    detail: str = ""
    last_poll: float | None = None
    uptime_s: float | None = None
    rebooted_at: float | None = None
    description: str | None = None
    ap_clients: int | None = None
    ups: UpsView | None = None
    interfaces: tuple[InterfaceView, ...] = ()


class NetReasonView(View):
    code: str
    severity: Literal["warning", "problem"]
    message: str
    device: str = ""
    value: Measure = None
    threshold: Measure = None


class RoomNetworkView(View):
    """A room's network health: status, a line for its card, and the reasons, problems first."""

    room: str
    status: NetStatus
    summary: str = ""
    reasons: tuple[NetReasonView, ...] = ()


class NetworkReport(View):
    """GET /api/network: every network device, every served room's health, the trap port."""

    devices: tuple[NetDeviceView, ...] = ()
    rooms: tuple[RoomNetworkView, ...] = ()
    trap_port: int | None = None
