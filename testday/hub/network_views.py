"""Provides the typed network device and room-health views the hub serves (console_protocol)."""

from __future__ import annotations

import msgspec

from testday.console_protocol.network_views import (
    InterfaceView,
    NetDeviceView,
    NetReasonView,
    RoomNetworkView,
    UpsView,
)
from testday.core.net_health import RoomNetwork
from testday.core.net_state import InterfaceState, NetDevice, NetDeviceState

# A switch has dozens of ports; the dashboard needs the ones feeding rooms, or a few of the rest.
UNMAPPED_INTERFACES_SHOWN = 8


def net_device_view(device: NetDevice, state: NetDeviceState | None) -> NetDeviceView:
    """A device not yet polled has ``reachable`` None."""
    base = NetDeviceView(
        name=device.name,
        kind=device.kind,
        address=device.address,
        rooms=device.rooms,
        capacity=device.capacity if device.kind == "access_point" else None,
    )
    if state is None:
        return base
    ups = state.ups
    return msgspec.structs.replace(
        base,
        reachable=state.reachable,
        unreachable_since=state.unreachable_since,
        failure=state.failure,
        detail=state.detail,
        last_poll=state.last_poll,
        uptime_s=state.uptime_s,
        rebooted_at=state.rebooted_at,
        description=state.description,
        ap_clients=state.ap_clients,
        ups=UpsView(
            on_battery=ups.on_battery,
            battery_status=ups.battery_status,
            charge_percent=ups.charge_percent,
            minutes_left=ups.minutes_left,
        )
        if ups is not None
        else None,
        interfaces=tuple(_interface(i, device) for i in _shown(device, state.interfaces)),
    )


def _shown(device: NetDevice, interfaces: tuple[InterfaceState, ...]) -> list[InterfaceState]:
    if device.ports:
        return [i for i in interfaces if i.index in device.ports]
    real = [i for i in interfaces if i.name != "lo"]  # loopback carries no testing traffic
    return real[:UNMAPPED_INTERFACES_SHOWN]


def _interface(interface: InterfaceState, device: NetDevice) -> InterfaceView:
    return InterfaceView(
        index=interface.index,
        name=interface.name,
        up=interface.up,
        speed_bps=interface.speed_bps,
        in_bps=interface.in_bps,
        out_bps=interface.out_bps,
        utilisation=interface.utilisation,
        errors_per_s=interface.errors_per_s,
        room=device.ports.get(interface.index),
    )


def room_network_view(health: RoomNetwork) -> RoomNetworkView:
    return RoomNetworkView(
        room=health.room,
        status=health.status,
        summary=health.summary,
        reasons=tuple(
            NetReasonView(
                code=r.code,
                severity=r.severity,
                message=r.message,
                device=r.device,
                value=r.value,
                threshold=r.threshold,
            )
            for r in health.reasons
        ),
    )
