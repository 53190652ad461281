"""Provides a hub client that owns its hub: starts it in the dashboard's loop, stops it after."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from testday.console_client.embedded import EmbeddedClient
from testday.console_protocol.client import OwnedHub
from testday.console_protocol.messages import ConnectionState, Sink
from testday.console_protocol.requests import Answer, HubRequest

Hook = Callable[[], Awaitable[None]]


class OwnedHubClient:
    """`testday console` with no --hub, and the demo: the hub lives inside the dashboard process.

    The hub must start inside the event loop the dashboard runs, so it is started here, in
    run(), rather than by the caller. `after_start` and `before_stop` let the demo start and
    stop its simulated fleet around it.
    """

    def __init__(
        self, hub: OwnedHub, after_start: Hook | None = None, before_stop: Hook | None = None
    ) -> None:
        self.hub = hub
        self._after_start = after_start
        self._before_stop = before_stop
        self._started = False
        self._stopping: asyncio.Future[None] | None = None
        self._client = EmbeddedClient(hub)

    @property
    def description(self) -> str:
        return f"embedded hub on port {self.hub.port}" if self._started else "embedded hub"

    async def run(self, sink: Sink) -> None:
        try:
            await self.hub.start()
        except OSError as exc:
            sink(ConnectionState(False, f"embedded hub could not listen: {exc.strerror or exc}"))
            raise
        self._started = True
        if self._after_start is not None:
            await self._after_start()
        await self._client.run(sink)

    async def request(self, ask: HubRequest, actor: str) -> Answer:
        return await self._client.request(ask, actor)

    async def close(self) -> None:
        """Stop the hub, once, to the end: a caller cancelled while waiting (the dashboard's
        worker on quit) does not cut it short, or the database thread would outlive the app."""
        if not self._started:
            return
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        await self._client.close()
        if self._before_stop is not None:
            with contextlib.suppress(Exception):
                await self._before_stop()
        await self.hub.stop()
