"""Provides FeedChanges: what changed since dashboards were last told, marked by every part."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from testday.console_protocol.device_views import EventView
from testday.core.fleet import FleetEvent
from testday.hub.device_views import event_view

EVENTS_KEPT = 2_000  # only the newest can be shown, so no more are held between broadcasts


@dataclass
class Pending:
    """Ids changed (each sent whole on the next broadcast) and the events appended since."""

    devices: set[str] = field(default_factory=set)
    events: list[EventView] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    incidents: set[str] = field(default_factory=set)
    net_devices: set[str] = field(default_factory=set)  # network devices by name
    net_rooms: set[str] = field(default_factory=set)  # rooms whose network health changed


class FeedChanges:
    """The fleet, the desk and the network watch mark what they changed; the feed takes it.

    Marks are cheap (a set insert) and coalesce: a device reporting ten times between two
    broadcasts is sent once. ``marked`` is set whenever something new was marked.
    """

    def __init__(self) -> None:
        self._pending = Pending()
        self.marked = asyncio.Event()

    def fleet_changed(self, events: Sequence[FleetEvent], device_ids: Iterable[str]) -> None:
        self._mark(self._pending.devices, device_ids)
        if events:
            appended = self._pending.events
            appended.extend(map(event_view, events))
            if len(appended) > EVENTS_KEPT:
                del appended[:-EVENTS_KEPT]
            self.marked.set()

    def sessions_changed(self, ids: Iterable[str]) -> None:
        """Sessions (by id) created or changed."""
        self._mark(self._pending.sessions, ids)

    def incidents_changed(self, ids: Iterable[str]) -> None:
        """Incidents (by id) created or changed."""
        self._mark(self._pending.incidents, ids)

    def network_changed(self, devices: Iterable[str], rooms: Iterable[str]) -> None:
        """Network devices (by name) and rooms whose network health changed."""
        self._mark(self._pending.net_devices, devices)
        self._mark(self._pending.net_rooms, rooms)

    def _mark(self, marked: set[str], ids: Iterable[str]) -> None:
        before = len(marked)
        marked.update(ids)
        if len(marked) != before:
            self.marked.set()

    def take(self) -> Pending:
        """Everything marked since the last take; marking starts afresh."""
        pending, self._pending = self._pending, Pending()
        return pending
