"""Provides the hub's change feed for dashboards: a snapshot, then coalesced changes, per reader."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence

from testday.console_protocol.device_views import EventView
from testday.console_protocol.messages import (
    DeskChanged,
    DevicesChanged,
    EventsAppended,
    FeedMessage,
    NetworkChanged,
    Snapshot,
)
from testday.hub.feed_changes import EVENTS_KEPT, FeedChanges
from testday.hub.hub_views import HubViews

log = logging.getLogger(__name__)
# A subscriber still holding this many queued devices + events (plus one per message) when the
# next broadcast comes is resynced: a few MiB per dashboard whatever the fleet or change rate.
MAX_PENDING_ITEMS = 20_000


def _weight(message: FeedMessage) -> int:
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
        self._pending: deque[FeedMessage] = deque()
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

    async def __anext__(self) -> FeedMessage:
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

    def offer(self, messages: Sequence[FeedMessage]) -> None:
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
    """Fans what was marked in FeedChanges out to subscribers, a few times a second at most."""

    def __init__(
        self,
        changes: FeedChanges,
        views: HubViews,
        period_s: float = 0.25,
        max_pending_items: int = MAX_PENDING_ITEMS,
    ) -> None:
        self.changes = changes
        self.views = views
        self.period_s = period_s
        self.max_pending_items = max_pending_items
        self._recent: deque[EventView] = deque(maxlen=EVENTS_KEPT)
        self._subscribers: list[Subscription] = []
        self._task: asyncio.Task[None] | None = None

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
        views = self.views
        return Snapshot(
            devices=views.devices(),
            events=list(self._recent),
            hub_time=time.time(),
            site=views.site(),
            battery_history=views.battery_history(),
            sessions=views.sessions(),
            incidents=views.incidents(),
            network_devices=views.network_devices(),
            network_rooms=views.network_rooms(),
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
        pending = self.changes.take()
        self._recent.extend(pending.events)
        if not self._subscribers:
            return  # nobody to render for: skip building views
        views = self.views
        messages: list[FeedMessage] = []
        if pending.devices:
            changed = views.devices(pending.devices)
            if changed:
                messages.append(DevicesChanged(devices=changed, hub_time=time.time()))
        if pending.events:
            messages.append(EventsAppended(events=pending.events))
        if pending.sessions or pending.incidents:
            messages.append(
                DeskChanged(
                    sessions=views.sessions(pending.sessions),
                    incidents=views.incidents(pending.incidents),
                    hub_time=time.time(),
                )
            )
        if pending.net_devices or pending.net_rooms:
            rooms = views.network_rooms(sorted(pending.net_rooms))
            devices = views.network_devices(sorted(pending.net_devices))
            if rooms or devices:
                messages.append(NetworkChanged(devices=devices, rooms=rooms, hub_time=time.time()))
        for subscription in list(self._subscribers):
            subscription.offer(messages)

    async def _run(self) -> None:
        # At most one broadcast per period, but the first change after a quiet spell goes out
        # at once: a lone report reaches dashboards in milliseconds, a storm is coalesced.
        loop = asyncio.get_running_loop()
        marked = self.changes.marked
        last = -self.period_s
        while True:
            await marked.wait()
            wait = last + self.period_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            marked.clear()
            last = loop.time()
            try:
                self.flush()
            except Exception:
                log.exception("console feed broadcast failed")
