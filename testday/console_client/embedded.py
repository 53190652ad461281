"""Provides the embedded hub client: the dashboard reads a hub running in the same process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from testday.console_client.messages import ConnectionState, HubMessage, RequestError, Sink

if TYPE_CHECKING:
    from testday.hub.console_feed import Subscription
    from testday.hub.hub import Hub

log = logging.getLogger(__name__)

# How often to look for the hub again after it stopped (it only stops when the app quits or a
# test restarts it, so this need not be quick).
RETRY_S = 0.5


class EmbeddedClient:
    """Subscribes to an in-process hub's feed: same messages as remote, no socket in between."""

    description = "embedded hub"

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._closed = asyncio.Event()
        self._subscription: Subscription | None = None

    async def run(self, sink: Sink) -> None:
        """Deliver ConnectionState(True), then the hub's feed; returns after close()."""
        while not self._closed.is_set():
            if not self.hub.feed.running:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), RETRY_S)
                continue
            self._subscription = subscription = self.hub.subscribe()
            try:
                detail = f"connected to the embedded hub on port {self.hub.port}"
                _deliver(sink, ConnectionState(True, detail))
                async for message in subscription:  # ends when the hub stops or on close()
                    _deliver(sink, message)
            finally:
                subscription.close()
                self._subscription = None
            if not self._closed.is_set():
                _deliver(sink, ConnectionState(False, "embedded hub stopped"))

    async def request(self, op: str, args: dict[str, Any], actor: str) -> dict[str, Any]:
        """Ask the in-process hub directly: the same desk a remote request reaches."""
        if not self.hub.feed.running:
            raise RequestError("the embedded hub is not running")
        return await self.hub.desk.request(op, args, actor)

    async def close(self) -> None:
        self._closed.set()
        if self._subscription is not None:
            self._subscription.close()


def _deliver(sink: Sink, message: HubMessage) -> None:
    try:
        sink(message)
    except Exception:
        log.exception("dashboard failed to take %s", type(message).__name__)
