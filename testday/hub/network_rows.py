"""Provides the network device and room-health dicts the hub serves (console_client.messages)."""

from __future__ import annotations

import dataclasses
from typing import Any

from testday.core.net_health import RoomNetwork
from testday.core.net_state import InterfaceState, NetDevice, NetDeviceState

# A switch has dozens of ports; the dashboard needs the ones feeding rooms, or a few of the rest.
UNMAPPED_INTERFACES_SHOWN = 8


def net_device_json(device: NetDevice, state: NetDeviceState | None) -> dict[str, Any]:
    """One NetDeviceDict; a device not yet polled has ``reachable`` None."""
    base: dict[str, Any] = {
        "name": device.name,
        "kind": device.kind,
        "address": device.address,
        "rooms": list(device.rooms),
        "capacity": device.capacity if device.kind in ("access_point",) else None,
    }
    if state is None:
        return {**base, "reachable": None, "unreachable_since": None, "failure": None,
                "detail": "", "last_poll": None, "uptime_s": None, "rebooted_at": None,
                "description": None, "ap_clients": None, "ups": None, "interfaces": []}  # fmt: skip
    return {
        **base,
        "reachable": state.reachable,
        "unreachable_since": state.unreachable_since,
        "failure": state.failure,
        "detail": state.detail,
        "last_poll": state.last_poll,
        "uptime_s": state.uptime_s,
        "rebooted_at": state.rebooted_at,
        "description": state.description,
        "ap_clients": state.ap_clients,
        "ups": dataclasses.asdict(state.ups) if state.ups is not None else None,
        "interfaces": [_interface(i, device) for i in _shown(device, state.interfaces)],
    }


def _shown(device: NetDevice, interfaces: tuple[InterfaceState, ...]) -> list[InterfaceState]:
    if device.ports:
        return [i for i in interfaces if i.index in device.ports]
    real = [i for i in interfaces if i.name != "lo"]  # loopback carries no testing traffic
    return real[:UNMAPPED_INTERFACES_SHOWN]


def _interface(interface: InterfaceState, device: NetDevice) -> dict[str, Any]:
    return {
        "index": interface.index,
        "name": interface.name,
        "up": interface.up,
        "speed_bps": interface.speed_bps,
        "in_bps": interface.in_bps,
        "out_bps": interface.out_bps,
        "utilisation": interface.utilisation,
        "errors_per_s": interface.errors_per_s,
        "room": device.ports.get(interface.index),
    }


def room_network_json(health: RoomNetwork) -> dict[str, Any]:
    """One RoomNetworkDict."""
    return {
        "room": health.room,
        "status": health.status,
        "summary": health.summary,
        "reasons": [
            {
                "code": r.code,
                "severity": r.severity,
                "message": r.message,
                "device": r.device,
                "value": r.value,
                "threshold": r.threshold,
            }
            for r in health.reasons
        ],
    }
