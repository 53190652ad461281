"""Provides the agent's main loop: collect on schedule, spool, connect, report, replay."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from testday_agent import __version__
from testday_agent.collect import CollectorSource
from testday_agent.identity import Identity, load_device_key, save_device_key
from testday_agent.protocol import (
    AGENT_PATH,
    DEVICE_HEADER,
    MAX_FRAME_BYTES,
    Ack,
    AgentConfig,
    Command,
    Error,
    Hello,
    ProtocolError,
    Replay,
    Report,
    Result,
    Welcome,
    decode_hub_message,
    encode,
)
from testday_agent.spool import Spool, SpoolError

log = logging.getLogger("testday_agent")

CONFIG_FILE = "hub_config.json"  # last config the hub sent, so offline collections keep checking
REPLAY_BATCH = 100
QUICK_POLL_S = 2.0


def full_jitter(attempt: int, base: float = 1.0, cap: float = 60.0) -> float:
    """Full-jitter backoff: a restarted hub sees agents return spread out, not in waves."""
    return random.uniform(0, min(cap, base * 2**attempt))


@dataclass
class AgentOptions:
    hub_url: str  # ws://host:port (the /agent path is added)
    token: str | None  # site enrollment secret; not needed once a device key is stored
    state_dir: Path
    room: str | None = None
    asset_tag: str | None = None
    interval_s: float | None = None  # overrides what the hub asks for
    backoff_cap_s: float = 60.0
    hostname: str = ""
    os_family: str = "other"
    os_version: str = ""


class AgentRunner:
    """Keeps reporting until stopped; the spool holds every report until the hub acks it."""

    def __init__(
        self,
        options: AgentOptions,
        identity: Identity,
        source: CollectorSource,
        spool: Spool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.identity = identity
        self.source = source
        self.spool = spool
        self.clock = clock
        self.config = self._load_config()
        self._link: ClientConnection | None = None
        self._wake = asyncio.Event()  # a collection was asked for, or the interval changed
        self._collect_requested = False
        self._acked = asyncio.Event()
        self.connected = asyncio.Event()
        self.reports_made = 0
        self._last_seq = 0
        self._background: set[asyncio.Future[None]] = set()

    # --- public -----------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [
            asyncio.create_task(self._collect_loop()),
            asyncio.create_task(self._quick_watch()),
            asyncio.create_task(self._connection_loop()),
        ]
        try:
            await stop.wait()
        finally:
            if self._link is not None:
                # A clean close lets the hub mark this device offline at once.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._link.close(1000, "agent stopping"), 2)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def interval_s(self) -> float:
        return self.options.interval_s or self.config.interval_s

    # --- collection -------------------------------------------------------------------------

    async def _collect_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self.report_once()
            splay = random.uniform(0.9, 1.1)
            since = loop.time()
            # Re-plan on every wake: the hub's welcome may change the interval mid-wait.
            while not self._collect_requested:
                remaining = since + self.interval_s * splay - loop.time()
                if remaining <= 0:
                    break
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), remaining)
            self._collect_requested = False

    def request_collection(self) -> None:
        self._collect_requested = True
        self._wake.set()

    async def report_once(self) -> Report:
        facts = await self.source.collect(self.config.checks)
        now = self.clock()
        try:
            seq = self.spool.next_seq()
        except SpoolError as exc:
            log.error("spool cannot issue a seq (%s); using the clock", exc)
            seq = max(self._last_seq + 1, int(now * 1000))
        self._last_seq = seq
        report = Report(seq=seq, sent_at=now, facts=facts, collected_at=now)
        try:
            self.spool.append(report)
        except SpoolError as exc:
            # A full or broken disk must not stop reporting; the live report still goes out.
            log.error("cannot spool report %s: %s", report.seq, exc)
        self.reports_made += 1
        link = self._link
        if link is not None:
            with contextlib.suppress(ConnectionClosed):
                await link.send(encode(report).decode())
        return report

    async def _quick_watch(self) -> None:
        """Report at once when a readiness-relevant fact changes (unplugged, app quit, Wi-Fi)."""
        last = None
        while True:
            await asyncio.sleep(QUICK_POLL_S)
            try:
                state = await asyncio.to_thread(self.source.quick_state, self.config.checks)
            except Exception as exc:
                log.debug("quick check failed: %s", exc)
                continue
            if last is not None and state != last:
                self.request_collection()
            last = state

    # --- connection -------------------------------------------------------------------------

    async def _connection_loop(self) -> None:
        attempt = 0
        refused = ""  # the last refusal said, so a retry every minute does not repeat it
        while True:
            try:
                await self._session()
                attempt = 0
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status == 401 and load_device_key(self.options.state_dir) and self.options.token:
                    log.warning("hub refused this device's key; enrolling again with site secret")
                    (self.options.state_dir / "device_key").unlink(missing_ok=True)
                    continue
                said = _refusal(status, has_key=load_device_key(self.options.state_dir) is not None)
                if said != refused:
                    log.error("%s", said)
                    refused = said
            except (OSError, ConnectionClosed, TimeoutError, ProtocolError) as exc:
                log.info("hub unreachable or connection lost: %s", exc)
            finally:
                self._link = None
                self.connected.clear()
            delay = full_jitter(attempt, cap=self.options.backoff_cap_s)
            attempt += 1
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        key = load_device_key(self.options.state_dir)
        credential = key or self.options.token
        if not credential:
            raise ProtocolError("no device key stored and no site enrollment secret given")
        url = self.options.hub_url.rstrip("/") + AGENT_PATH
        headers = {"Authorization": f"Bearer {credential}", DEVICE_HEADER: self.identity.device_id}
        async with connect(
            url,
            additional_headers=headers,
            max_size=MAX_FRAME_BYTES,
            open_timeout=10,
            ping_interval=20,
            compression=None,  # reports are small; deflate buffers would cost more RAM than bytes
            ping_timeout=20,
            user_agent_header=f"testday-agent/{__version__}",
        ) as link:
            await link.send(encode(self._hello()).decode())
            welcome = decode_hub_message(await asyncio.wait_for(link.recv(), 10))
            if isinstance(welcome, Error):
                raise ProtocolError(f"hub refused hello: {welcome.code}: {welcome.message}")
            if not isinstance(welcome, Welcome):
                raise ProtocolError(f"expected welcome, got {type(welcome).__name__}")
            self._accept_welcome(welcome)
            self._link = link
            self.connected.set()
            log.info("connected to %s as %s", self.options.hub_url, self.identity.device_id)
            fresh = await self.report_once()  # a fresh snapshot first, then the backlog
            replay = asyncio.create_task(self._replay(link, below_seq=fresh.seq))
            try:
                async for raw in link:
                    self._on_message(raw)
            finally:
                replay.cancel()

    def _hello(self) -> Hello:
        o = self.options
        return Hello(
            device_id=self.identity.device_id,
            agent_version=__version__,
            os_family=o.os_family,
            os_version=o.os_version,
            hostname=o.hostname,
            hardware_uuid=self.identity.hardware_uuid,
            serial=self.identity.serial,
            asset_tag=o.asset_tag,
            room=o.room,
        )

    def _accept_welcome(self, welcome: Welcome) -> None:
        if welcome.device_key:
            save_device_key(self.options.state_dir, welcome.device_key)
        self.config = welcome.config
        self._wake.set()
        with contextlib.suppress(OSError):
            (self.options.state_dir / CONFIG_FILE).write_bytes(msgspec.json.encode(welcome.config))

    def _on_message(self, raw: str | bytes) -> None:
        try:
            message = decode_hub_message(raw)
        except ProtocolError as exc:
            log.warning("ignoring frame from hub: %s", exc)
            return
        if isinstance(message, Ack):
            try:
                self.spool.ack(message.seqs)
            except SpoolError as exc:
                log.error("cannot remove acked reports from the spool: %s", exc)
            self._acked.set()
        elif isinstance(message, Command):
            self.request_collection()
            if self._link is not None:
                result = Result(command_id=message.command_id, ok=True, output="collecting")
                task = asyncio.ensure_future(self._link.send(encode(result).decode()))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
        elif isinstance(message, Error):
            log.warning("hub says %s: %s", message.code, message.message)

    async def _replay(self, link: ClientConnection, below_seq: int) -> None:
        """Send spooled reports as history, one batch in flight, each waiting for its ack."""
        after: int | None = None
        while True:
            batch = self.spool.pending(below_seq=below_seq, limit=REPLAY_BATCH, after_seq=after)
            if not batch:
                return
            dropped = self.spool.take_dropped_since_replay()
            self._acked.clear()
            await link.send(encode(Replay(reports=batch, dropped=dropped)).decode())
            after = batch[-1].seq
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._acked.wait(), 10)

    def _load_config(self) -> AgentConfig:
        path = self.options.state_dir / CONFIG_FILE
        try:
            return msgspec.json.decode(path.read_bytes(), type=AgentConfig)
        except (OSError, msgspec.DecodeError):
            return AgentConfig()


def _refusal(status: int, has_key: bool) -> str:
    """Why the hub refused to let this agent in, in words its operator can act on."""
    if status == 401 and has_key:
        return (
            "the hub refused this device's key (HTTP 401): it was revoked, or the hub is another "
            "school's; give the site enrollment secret (--token) to enroll again"
        )
    if status == 401:
        return (
            "the hub refused the enrollment secret (HTTP 401): check --token or "
            "TESTDAY_AGENT_TOKEN against the secret `testday serve` printed"
        )
    if status in (429, 503):
        return f"the hub is busy (HTTP {status}); trying again"
    return f"the hub refused the connection (HTTP {status})"
