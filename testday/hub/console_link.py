"""Provides the hub side of one /console connection: the change feed out, requests in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from testday.console_client import wire
from testday.console_client.messages import RequestError
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
        # Reading is also how we learn a dashboard left while the feed is quiet, so the
        # subscription does not outlive it.
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
            async for frame in self.conn:
                # One at a time, in the order sent: "pause" then "resume" must not swap.
                reply = await self._answer(frame)
                await self.conn.send(wire.encode_frame(reply), text=True)
        except ConnectionClosed:
            pass
        finally:
            subscription.close()

    async def _answer(self, frame: str | bytes) -> wire.Reply:
        try:
            request = wire.decode_request(frame)
        except wire.WireError as exc:
            return wire.Reply(id=0, ok=False, error=str(exc))  # no id to answer to
        try:
            result = await self.hub.desk.request(request.op, request.args, request.actor)
        except RequestError as exc:
            return wire.Reply(id=request.id, ok=False, error=str(exc))
        except Exception as exc:
            log.exception("request %s from %s failed", request.op, self._peer())
            return wire.Reply(id=request.id, ok=False, error=f"the hub failed: {exc}")
        return wire.Reply(id=request.id, ok=True, result=result)

    def _peer(self) -> str:
        address = self.conn.remote_address
        if isinstance(address, tuple) and len(address) >= 2:
            return f"{address[0]}:{address[1]}"
        return str(address)
