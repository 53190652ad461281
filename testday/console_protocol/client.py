"""Provides the interfaces between a console and a hub: the client, and a hub in this process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from testday.console_protocol.messages import FeedMessage, Sink
from testday.console_protocol.requests import Answer, HubRequest


class HubClient(Protocol):
    """Embedded or remote, a console reads a hub only through this."""

    @property
    def description(self) -> str:
        """ "embedded hub on port 8765" or the hub's address."""
        ...

    async def run(self, sink: Sink) -> None:
        """Connect, deliver a Snapshot, then changes; on loss deliver ConnectionState(False),
        reconnect by itself and deliver a fresh Snapshot. Runs until closed."""
        ...

    async def request(self, ask: HubRequest, actor: str) -> Answer:
        """Ask the hub to act as ``actor``; raises RequestError with the hub's reason."""
        ...

    async def close(self) -> None: ...


class Feed(Protocol):
    """One subscriber's view of a hub's change feed: a Snapshot first, then changes."""

    def __aiter__(self) -> AsyncIterator[FeedMessage]: ...

    def close(self) -> None: ...


class LocalHub(Protocol):
    """A hub running in this process, as an embedded client reads it."""

    @property
    def port(self) -> int: ...

    @property
    def serving(self) -> bool:
        """Whether its feed is running (false before start and after stop)."""
        ...

    def subscribe(self) -> Feed: ...

    async def answer(self, ask: HubRequest, actor: str) -> Answer:
        """Act for a console; raises RequestError saying why it cannot."""
        ...


class OwnedHub(LocalHub, Protocol):
    """A hub the console itself starts in its event loop and stops when it quits."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
