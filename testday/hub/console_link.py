"""Provides the hub side of one /console connection: the change feed out, requests in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from testday.console_protocol import wire
from testday.console_protocol.requests import Answer, HubRequest, RequestError
from testday.hub.agent_link import peer_address
from testday.hub.console_feed import Subscription

log = logging.getLogger(__name__)

AnswerRequest = Callable[[HubRequest, str], Awaitable[Answer]]


class ConsoleLink:
    """Streams the hub's feed to one dashboard until it disconnects or the hub stops."""

    def __init__(
        self,
        conn: ServerConnection,
        subscribe: Callable[[], Subscription],
        answer: AnswerRequest,
    ) -> None:
        self.conn = conn
        self.subscribe = subscribe
        self.answer = answer

    async def run(self) -> None:
        subscription = self.subscribe()
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
                peer = peer_address(self.conn)
                log.info("dashboard %s fell behind %d times", peer, subscription.resyncs)

    async def _watch(self, subscription: Subscription) -> None:
        try:
            async for frame in self.conn:
                # One at a time, in the order sent: "pause" then "resume" must not swap.
                reply = await self._reply(frame)
                await self.conn.send(wire.encode(reply), text=True)
        except ConnectionClosed:
            pass
        finally:
            subscription.close()

    async def _reply(self, frame: str | bytes) -> wire.Reply:
        try:
            request = wire.decode_request(frame)
        except wire.WireError as exc:
            return wire.Reply(id=wire.request_id(frame), ok=False, error=str(exc))
        try:
            answer = await self.answer(request.ask, request.actor)
        except RequestError as exc:
            return wire.Reply(id=request.id, ok=False, error=str(exc))
        except Exception as exc:
            op = type(request.ask).__name__
            log.exception("request %s from %s failed", op, peer_address(self.conn))
            return wire.Reply(id=request.id, ok=False, error=f"the hub failed: {exc}")
        return wire.Reply(id=request.id, ok=True, answer=answer)
