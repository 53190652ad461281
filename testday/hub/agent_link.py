"""Provides the hub side of one agent connection: hello, reports, replays, acks and limits."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from testday_agent.protocol import (
    Ack,
    AgentConfig,
    Error,
    Hello,
    ProtocolError,
    Replay,
    Report,
    Result,
    Welcome,
    decode_agent_message,
    encode,
)
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from testday.hub.fleet_journal import Stored
from testday.hub.limits import Limits, TokenBucket
from testday.hub.metrics import HubMetrics
from testday.hub.secrets import hash_key, new_secret

log = logging.getLogger(__name__)

CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009


@dataclass(frozen=True)
class AgentPrincipal:
    """Who the HTTP upgrade authenticated: one device, enrolling or with its own key."""

    device_id: str
    enrolling: bool


class AgentJournal(Protocol):
    """What one agent connection changes in the fleet (testday.hub.fleet_journal.FleetJournal)."""

    def connect(self, hello: Hello, conn_id: str, peer: str, now: float) -> None: ...

    def enroll(
        self, hello: Hello, conn_id: str, peer: str, now: float, key_hash: str
    ) -> Stored: ...

    def report(self, device_id: str, report: Report, now: float) -> Stored: ...

    def replay(
        self, device_id: str, reports: Sequence[Report], dropped: int, now: float
    ) -> list[Stored]: ...

    def disconnect(self, device_id: str, conn_id: str, now: float, why: str) -> None: ...

    def note(self, device_id: str, now: float, kind: str, **data: Any) -> None: ...


class AgentLink:
    """Serves one agent connection until it closes; never lets the agent disturb the hub."""

    def __init__(
        self,
        conn: ServerConnection,
        principal: AgentPrincipal,
        journal: AgentJournal,
        config_for: Callable[[str], AgentConfig],
        limits: Limits,
        metrics: HubMetrics,
    ) -> None:
        self.conn = conn
        self.principal = principal
        self.journal = journal
        self.config_for = config_for  # what the agent of a device is told to check, and how often
        self.limits = limits
        self.metrics = metrics
        self.conn_id = f"c{id(conn):x}"
        self.peer = peer_address(conn)
        self._bucket = TokenBucket(limits.messages_per_s, limits.message_burst)
        self._bad_frames = 0
        self._acks: asyncio.Queue[tuple[list[asyncio.Future[None]], list[int]]] = asyncio.Queue()
        self._hello: Hello | None = None
        self._closing: asyncio.Task[None] | None = None

    async def run(self) -> None:
        metrics = self.metrics
        ack_task = asyncio.create_task(self._send_acks())
        why = "closed"
        try:
            if not await self._greet():
                return
            async for raw in self.conn:
                if self._closing is not None:
                    continue  # drain, so the peer's close frame is read and the close completes
                if not self._bucket.allow():
                    metrics.frames_rejected["rate_limited"] += 1
                    self._close(CLOSE_POLICY, "rate limit exceeded")
                    why = "rate limited"
                    continue
                await self._handle(raw)
        except ConnectionClosed as exc:
            why = _close_reason(exc)
            if exc.sent is not None and exc.sent.code == CLOSE_TOO_BIG:
                metrics.frames_rejected["too_large"] += 1
        finally:
            ack_task.cancel()
            metrics.connections_closed[why] += 1
            if self._hello is not None:
                self.journal.disconnect(self.principal.device_id, self.conn_id, time.time(), why)

    async def _greet(self) -> bool:
        try:
            raw = await asyncio.wait_for(self.conn.recv(), self.limits.hello_timeout_s)
        except TimeoutError:
            await self._refuse("no_hello", "expected a hello frame first")
            return False
        try:
            hello = decode_agent_message(raw)
        except ProtocolError as exc:
            await self._refuse("invalid", str(exc))
            return False
        if not isinstance(hello, Hello):
            await self._refuse("no_hello", "expected a hello frame first")
            return False
        if hello.device_id != self.principal.device_id:
            await self._refuse(
                "wrong_device",
                f"credentials are for device {self.principal.device_id!r}, "
                f"hello names {hello.device_id!r}",
            )
            return False
        now = time.time()
        device_key = new_secret() if self.principal.enrolling else None
        key_hash = hash_key(device_key) if device_key is not None else None
        # Known as connected from here on: whatever fails next, the close disconnects it, so no
        # connection without a socket is left behind.
        self._hello = hello
        if key_hash is None:
            self.journal.connect(hello, self.conn_id, self.peer, now)
        else:
            stored = self.journal.enroll(hello, self.conn_id, self.peer, now, key_hash)
            await stored  # the key must be on disk before the agent relies on it
        config = self.config_for(hello.device_id)
        welcome = Welcome(
            device_id=hello.device_id, config=config, device_key=device_key, hub_time=now
        )
        await self.conn.send(encode(welcome).decode())
        return True

    async def _handle(self, raw: str | bytes) -> None:
        metrics = self.metrics
        try:
            message = decode_agent_message(raw)
        except ProtocolError as exc:
            metrics.frames_rejected["invalid"] += 1
            await self._bad_frame(str(exc))
            return
        device_id = self.principal.device_id
        if isinstance(message, Report):
            metrics.reports_received += 1
            future = self.journal.report(device_id, message, time.time())
            self._acks.put_nowait(([future], [message.seq]))
        elif isinstance(message, Replay):
            metrics.history_reports_received += len(message.reports)
            metrics.spool_drops_reported += message.dropped
            reports, dropped = message.reports, message.dropped
            futures = self.journal.replay(device_id, reports, dropped, time.time())
            self._acks.put_nowait((futures, [r.seq for r in message.reports]))
        elif isinstance(message, Result):
            output = message.output[:500]
            self.journal.note(
                device_id,
                time.time(),
                "command.result",
                command_id=message.command_id,
                ok=message.ok,
                output=output,
            )
        else:
            metrics.frames_rejected["unexpected"] += 1
            await self._bad_frame(f"unexpected {type(message).__name__.lower()} frame")

    async def _bad_frame(self, message: str) -> None:
        self._bad_frames += 1
        await self.conn.send(encode(Error(code="bad_frame", message=message)).decode())
        if self._bad_frames >= self.limits.bad_frames_before_close:
            self._close(CLOSE_POLICY, "too many bad frames")

    def _close(self, code: int, reason: str) -> None:
        """Start closing without waiting: the read loop drains what the peer already sent."""
        if self._closing is None:
            self._closing = asyncio.create_task(self.conn.close(code, reason))

    async def _refuse(self, reason: str, message: str) -> None:
        self.metrics.frames_rejected[reason] += 1
        await self.conn.send(encode(Error(code=reason, message=message)).decode())
        await self.conn.close(CLOSE_POLICY, message[:120])

    async def _send_acks(self) -> None:
        """Acks go out only once the reports are committed, in the order they arrived."""
        while True:
            futures, seqs = await self._acks.get()
            try:
                await asyncio.gather(*futures)
            except Exception:
                log.warning("reports %s not stored; the agent keeps them and replays", seqs)
                continue
            try:
                await self.conn.send(encode(Ack(seqs=seqs)).decode())
            except ConnectionClosed:
                return


def peer_address(conn: ServerConnection) -> str:
    """ "host:port" of the other end, for logs and events."""
    address = conn.remote_address
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)


def _close_reason(exc: ConnectionClosed) -> str:
    frame = exc.sent if exc.sent is not None else exc.rcvd
    if frame is None:
        return "connection lost"
    if frame.code == 1011 and "keepalive" in frame.reason:
        return "ping timeout"
    return frame.reason or f"close code {frame.code}"
