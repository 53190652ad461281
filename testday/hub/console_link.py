"""Provides the hub side of one /console connection: a snapshot, then the change feed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from testday.console_client import wire
from testday.hub.console_feed import Subscription

if TYPE_CHECKING:
    from testday.hub.hub import Hub

log = logging.getLogger(__name__)


class ConsoleLink:
    """Streams the hub's feed to one dashboard until it disconnects or the hub stops."""

    def __init__(self, hub: Hub, conn: ServerConnection) -> None:
        self.hub = hub
        self.conn = conn

    async def run(self) -> None:
        subscription = self.hub.subscribe()
        # Dashboards send nothing (pings are answered by websockets itself); reading is how we
        # learn they left while the feed is quiet, so the subscription does not outlive them.
        watcher = asyncio.create_task(self._watch(subscription))
        try:
            async for message in subscription:
                # Frames can be megabytes (a 5,000-device snapshot); send waits for the socket
                # to drain, and while it waits the subscription, not this link, absorbs changes.
                await self.conn.send(wire.encode(message), text=True)
        except ConnectionClosed:
            pass
        finally:
            subscription.close()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            if subscription.resyncs:
                log.info("dashboard %s fell behind %d times", self._peer(), subscription.resyncs)

    async def _watch(self, subscription: Subscription) -> None:
        try:
            async for _ in self.conn:
                pass  # anything a dashboard sends is ignored; max_size still bounds it
        except ConnectionClosed:
            pass
        finally:
            subscription.close()

    def _peer(self) -> str:
        address = self.conn.remote_address
        if isinstance(address, tuple) and len(address) >= 2:
            return f"{address[0]}:{address[1]}"
        return str(address)
