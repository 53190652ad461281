"""Provides the hub's change feed for dashboards: coalesced devices, events, sessions, incidents."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from testday.console_client.messages import (
    DeskChanged,
    DevicesChanged,
    EventDict,
    EventsAppended,
    HubMessage,
    NetworkChanged,
    Snapshot,
)
from testday.core.fleet import FleetEvent
from testday.hub.device_rows import device_json

if TYPE_CHECKING:
    from testday.hub.hub import Hub

log = logging.getLogger(__name__)

EVENTS_KEPT = 2_000
BATTERY_POINTS = 60
# A subscriber still holding this many queued devices + events (plus one per message) when the
# next broadcast comes is resynced: a few MiB per dashboard whatever the fleet or change rate.
MAX_PENDING_ITEMS = 20_000


def event_dict(event: FleetEvent) -> EventDict:
    return {
        "ts": event.ts,
        "kind": event.kind,
        "device_id": event.device_id,
        "room": event.room,
        "data": event.data,
    }


def _weight(message: HubMessage) -> int:
    if isinstance(message, DevicesChanged):
        return 1 + len(message.devices)
    if isinstance(message, EventsAppended):
        return 1 + len(message.events)
    if isinstance(message, DeskChanged):
        return 1 + len(message.sessions) + len(message.incidents)
    if isinstance(message, NetworkChanged):
        return 1 + len(message.devices) + len(message.rooms)
    return 1


class Subscription:
    """One dashboard's view of the feed: a Snapshot first, then changes; closable."""

    def __init__(self, feed: ConsoleFeed, max_items: int) -> None:
        self._feed = feed
        self._max_items = max_items
        self._pending: deque[HubMessage] = deque()
        self._pending_items = 0
        self._wake = asyncio.Event()
        # Built lazily when the reader asks, so it is as fresh as it can be.
        self._needs_snapshot = True
        self.closed = False
        self.resyncs = 0  # times this subscriber fell behind and was handed a snapshot instead

    @property
    def backlog(self) -> int:
        """Devices and events queued for this subscriber (at most its limit + one broadcast)."""
        return self._pending_items

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> HubMessage:
        while True:
            if self.closed:
                raise StopAsyncIteration
            if self._needs_snapshot:
                self._needs_snapshot = False
                return self._feed.snapshot()
            if self._pending:
                message = self._pending.popleft()
                self._pending_items -= _weight(message)
                return message
            self._wake.clear()
            await self._wake.wait()

    def offer(self, messages: Sequence[HubMessage]) -> None:
        """Queue one broadcast; a subscriber still holding too much of earlier ones is resynced.

        Only the backlog left from earlier broadcasts counts, so a reader that keeps up is never
        resynced for one large burst; memory stays within the limit plus one broadcast.
        """
        if self.closed or self._needs_snapshot or not messages:
            return  # the coming snapshot already holds these changes
        if self._pending_items > self._max_items:
            self._pending.clear()
            self._pending_items = 0
            self._needs_snapshot = True
            self.resyncs += 1
        else:
            self._pending.extend(messages)
            self._pending_items += sum(_weight(m) for m in messages)
        self._wake.set()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._pending.clear()
            self._pending_items = 0
            self._feed.unsubscribe(self)
            self._wake.set()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()


class ConsoleFeed:
    """Collects what `Hub.apply` touched and fans it out to subscribers a few times a second."""

    def __init__(
        self, hub: Hub, period_s: float = 0.25, max_pending_items: int = MAX_PENDING_ITEMS
    ) -> None:
        self.hub = hub
        self.period_s = period_s
        self.max_pending_items = max_pending_items
        self._recent: deque[EventDict] = deque(maxlen=EVENTS_KEPT)
        self._new_events: list[EventDict] = []
        self._dirty: set[str] = set()
        self._desk_sessions: set[str] = set()
        self._desk_incidents: set[str] = set()
        self._net_devices: set[str] = set()
        self._net_rooms: set[str] = set()
        self._subscribers: list[Subscription] = []
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    # --- inputs from the hub ------------------------------------------------------------------

    def devices_changed(self, device_ids: Iterable[str]) -> None:
        before = len(self._dirty)
        self._dirty.update(device_ids)
        if len(self._dirty) != before:
            self._changed.set()

    def desk_changed(self, sessions: Iterable[str], incidents: Iterable[str]) -> None:
        """Sessions and incidents (by id) created or changed; sent whole on the next flush."""
        before = len(self._desk_sessions) + len(self._desk_incidents)
        self._desk_sessions.update(sessions)
        self._desk_incidents.update(incidents)
        if len(self._desk_sessions) + len(self._desk_incidents) != before:
            self._changed.set()

    def network_changed(self, devices: Iterable[str], rooms: Iterable[str]) -> None:
        """Network devices (by name) and rooms whose network health changed."""
        before = len(self._net_devices) + len(self._net_rooms)
        self._net_devices.update(devices)
        self._net_rooms.update(rooms)
        if len(self._net_devices) + len(self._net_rooms) != before:
            self._changed.set()

    def events_appended(self, events: Iterable[FleetEvent]) -> None:
        before = len(self._new_events)
        self._new_events.extend(event_dict(e) for e in events)
        # Bounded even with no broadcaster running: only the newest EVENTS_KEPT can be shown.
        if len(self._new_events) > EVENTS_KEPT:
            del self._new_events[:-EVENTS_KEPT]
        if len(self._new_events) != before:
            self._changed.set()

    # --- subscribers --------------------------------------------------------------------------

    def subscribe(self, max_items: int | None = None) -> Subscription:
        """A new subscriber; `max_items` overrides how far behind it may fall before a resync."""
        subscription = Subscription(self, max_items or self.max_pending_items)
        self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subscribers.remove(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def snapshot(self) -> Snapshot:
        """Everything now; events up to the last broadcast, so none arrives twice."""
        hub = self.hub
        site = hub.site
        history = {
            d.device_id: list(d.battery_samples)[-BATTERY_POINTS:]
            for d in hub.fleet.devices.values()
            if d.battery_samples
        }
        site_json: dict[str, Any] = {
            "name": site.name,
            "default_profile": site.default_profile,
            "rooms": {room: site.profile_for(room) for room in site.rooms},
        }
        return Snapshot(
            devices=hub.devices_json(),
            events=list(self._recent),
            hub_time=time.time(),
            site=site_json,
            battery_history=history,
            sessions=hub.desk.sessions_json(),
            incidents=hub.desk.incidents_json(),
            network_devices=hub.network.devices_json() if hub.network else [],
            network_rooms=hub.network.rooms_json() if hub.network else [],
        )

    # --- broadcasting -------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for subscription in list(self._subscribers):
            subscription.close()

    @property
    def running(self) -> bool:
        return self._task is not None

    def flush(self) -> None:
        """Turn what changed since the last flush into one message of each kind, for everyone."""
        dirty, self._dirty = self._dirty, set()
        events, self._new_events = self._new_events, []
        sessions, self._desk_sessions = self._desk_sessions, set()
        incidents, self._desk_incidents = self._desk_incidents, set()
        net_devices, self._net_devices = self._net_devices, set()
        net_rooms, self._net_rooms = self._net_rooms, set()
        self._recent.extend(events)
        if not self._subscribers:
            return  # nobody to render for: skip building device dicts
        messages: list[HubMessage] = []
        if dirty:
            devices = self.hub.fleet.devices
            changed = [
                device_json(devices[i], devices[i].profile_id) for i in dirty if i in devices
            ]
            if changed:
                messages.append(DevicesChanged(devices=changed, hub_time=time.time()))
        if events:
            messages.append(EventsAppended(events=events))
        if sessions or incidents:
            desk = self.hub.desk
            messages.append(
                DeskChanged(
                    sessions=desk.sessions_json(sessions),
                    incidents=desk.incidents_json(incidents),
                    hub_time=time.time(),
                )
            )
        network = self.hub.network
        if network is not None and (net_devices or net_rooms):
            rooms = [network.rooms[r] for r in sorted(net_rooms) if r in network.rooms]
            devices = network.devices_json(sorted(net_devices))
            messages.append(NetworkChanged(devices=devices, rooms=rooms, hub_time=time.time()))
        for subscription in list(self._subscribers):
            subscription.offer(messages)

    async def _run(self) -> None:
        # At most one broadcast per period, but the first change after a quiet spell goes out
        # at once: a lone report reaches dashboards in milliseconds, a storm is coalesced.
        loop = asyncio.get_running_loop()
        last = -self.period_s
        while True:
            await self._changed.wait()
            wait = last + self.period_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._changed.clear()
            last = loop.time()
            try:
                self.flush()
            except Exception:
                log.exception("console feed broadcast failed")
