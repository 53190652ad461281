"""Provides the embedded hub client: the dashboard reads a hub running in the same process."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from testday.console_protocol.client import Feed, LocalHub
from testday.console_protocol.messages import ConnectionState, HubMessage, Sink
from testday.console_protocol.requests import Answer, HubRequest, RequestError

log = logging.getLogger(__name__)

# How often to look for the hub again after it stopped (it only stops when the app quits or a
# test restarts it, so this need not be quick).
RETRY_S = 0.5


class EmbeddedClient:
    """Subscribes to an in-process hub's feed: same messages as remote, no socket in between."""

    description = "embedded hub"

    def __init__(self, hub: LocalHub) -> None:
        self.hub = hub
        self._closed = asyncio.Event()
        self._feed: Feed | None = None

    async def run(self, sink: Sink) -> None:
        """Deliver ConnectionState(True), then the hub's feed; returns after close()."""
        while not self._closed.is_set():
            if not self.hub.serving:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), RETRY_S)
                continue
            self._feed = feed = self.hub.subscribe()
            try:
                detail = f"connected to the embedded hub on port {self.hub.port}"
                _deliver(sink, ConnectionState(True, detail))
                async for message in feed:  # ends when the hub stops or on close()
                    _deliver(sink, message)
            finally:
                feed.close()
                self._feed = None
            if not self._closed.is_set():
                _deliver(sink, ConnectionState(False, "embedded hub stopped"))

    async def request(self, ask: HubRequest, actor: str) -> Answer:
        """Ask the in-process hub directly: the same desk a remote request reaches."""
        if not self.hub.serving:
            raise RequestError("the embedded hub is not running")
        return await self.hub.answer(ask, actor)

    async def close(self) -> None:
        self._closed.set()
        if self._feed is not None:
            self._feed.close()


def _deliver(sink: Sink, message: HubMessage) -> None:
    try:
        sink(message)
    except Exception:
        log.exception("dashboard failed to take %s", type(message).__name__)
