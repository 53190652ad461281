"""Provides HubViews: the typed views of everything the hub knows, for dashboards and /api."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from testday.config.site import Site
from testday.console_protocol.desk_views import IncidentView, SessionView
from testday.console_protocol.device_views import BatteryPoint, DeviceView, SiteView
from testday.console_protocol.network_views import NetDeviceView, RoomNetworkView
from testday.core.fleet import Device
from testday.hub.device_views import device_view, problems_first, site_view

BATTERY_POINTS = 60  # of each device's history, in a snapshot


class SessionViews(Protocol):
    def session_views(self, ids: Iterable[str] | None = None) -> list[SessionView]: ...


class IncidentViews(Protocol):
    def incident_views(self, ids: Iterable[str] | None = None) -> list[IncidentView]: ...


class NetworkViews(Protocol):
    @property
    def port(self) -> int | None: ...

    def device_views(self, names: Iterable[str] | None = None) -> list[NetDeviceView]: ...

    def room_views(self, rooms: Iterable[str] | None = None) -> list[RoomNetworkView]: ...


class HubViews:
    """Reads only: each view built from the live state it stands for, whole."""

    def __init__(
        self,
        devices: Mapping[str, Device],
        site: Site,
        sessions: SessionViews,
        incidents: IncidentViews,
        network: NetworkViews | None,
    ) -> None:
        self._devices = devices
        self._site = site
        self._sessions = sessions
        self._incidents = incidents
        self._network = network

    def devices(
        self, ids: Iterable[str] | None = None, room: str | None = None
    ) -> list[DeviceView]:
        """Problems first when all are asked for; else the ``ids`` still known, in any order."""
        if ids is None:
            chosen = problems_first(
                d for d in self._devices.values() if room is None or d.room == room
            )
            return [device_view(d) for d in chosen]
        devices = self._devices
        return [device_view(devices[i]) for i in ids if i in devices]

    def battery_history(self) -> dict[str, list[BatteryPoint]]:
        return {
            d.device_id: list(d.battery_samples)[-BATTERY_POINTS:]
            for d in self._devices.values()
            if d.battery_samples
        }

    def site(self) -> SiteView:
        return site_view(self._site)

    def sessions(self, ids: Iterable[str] | None = None) -> list[SessionView]:
        return self._sessions.session_views(ids)

    def incidents(self, ids: Iterable[str] | None = None) -> list[IncidentView]:
        return self._incidents.incident_views(ids)

    def network_devices(self, names: Iterable[str] | None = None) -> list[NetDeviceView]:
        return self._network.device_views(names) if self._network else []

    def network_rooms(self, rooms: Iterable[str] | None = None) -> list[RoomNetworkView]:
        return self._network.room_views(rooms) if self._network else []

    @property
    def trap_port(self) -> int | None:
        return self._network.port if self._network else None
