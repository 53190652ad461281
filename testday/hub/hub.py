"""Provides the Hub: one process per school tying the server, fleet state and store together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve

from testday.config.network import load_network
from testday.config.profiles import default_profiles_dir, load_profiles
from testday.config.site import Site, load_site
from testday.core.fleet import FleetEvent, FleetState
from testday.core.profile import Profile
from testday.hub.agent_link import AgentLink, AgentPrincipal
from testday.hub.console_feed import ConsoleFeed, Subscription
from testday.hub.console_link import ConsoleLink
from testday.hub.device_rows import device_json, event_row, from_row, to_row
from testday.hub.http_routes import CONSOLE_PATH, HttpRoutes
from testday.hub.limits import Limits, TokenBucket
from testday.hub.metrics import HubMetrics
from testday.hub.network_watch import NET_PREFIX, NetworkWatch
from testday.hub.secrets import HubSecrets, load_or_create
from testday.hub.session_desk import SessionDesk
from testday.store.database import Store
from testday.store.retention import Retention
from testday.store.writer import BatchWriter

log = logging.getLogger(__name__)

DATABASE_FILE = "testday.sqlite3"
SITE_FILE = "site.toml"
VERDICT_ORDER = {"offline": 0, "not_ready": 1, "warning": 2, "ready": 3}


@dataclass(frozen=True)
class HubSettings:
    data_dir: Path
    host: str = "0.0.0.0"
    port: int = 8765
    interval_s: float = 15.0  # what agents are told to report at
    # A silent agent (frozen, cable out) fails a ping after ping_interval + ping_timeout at most:
    # 6 + 10 s keeps detection under DESIGN.md's 20 s.
    ping_interval_s: float = 6.0
    ping_timeout_s: float = 10.0
    tick_s: float = 1.0
    rejudge_s: float = 30.0
    # How long a lost device is held before it becomes an incident, so a room-wide drop becomes
    # one incident rather than fifteen.
    detect_window_s: float = 60.0
    profiles_dir: Path | None = None
    agent_token: str | None = None
    console_token: str | None = None
    limits: Limits = field(default_factory=Limits)


class Hub:
    """Serves agents and operators; every change passes through `apply` to the durable log."""

    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        self.limits = settings.limits
        self.interval_s = settings.interval_s
        self.metrics = HubMetrics()
        self.handshakes = TokenBucket(self.limits.handshakes_per_s, self.limits.handshake_burst)
        self.secrets: HubSecrets = load_or_create(
            settings.data_dir, settings.agent_token, settings.console_token
        )
        self.profiles: dict[str, Profile] = load_profiles(
            settings.profiles_dir or default_profiles_dir()
        )
        self.site: Site = load_site(settings.data_dir / SITE_FILE, set(self.profiles))
        self.fleet = FleetState(self._profile_for_room, interval_s=settings.interval_s)
        self.routes = HttpRoutes(self)
        self.feed = ConsoleFeed(self)
        self.desk = SessionDesk(self)
        network = load_network(settings.data_dir / SITE_FILE)
        # No network devices and no trap port: no SNMP engine, no socket, nothing to show.
        self.network = NetworkWatch(self, network) if network.devices or network.trap_port else None
        self.store: Store | None = None
        self._writer: BatchWriter | None = None
        self._retention: Retention | None = None
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.port = settings.port

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self.store = await Store.open(self.settings.data_dir / DATABASE_FILE)
        self._writer = BatchWriter(self.store)
        self._writer.start()
        self._retention = Retention(self.store)
        self._retention.start()
        rows = await self.store.load_devices()
        self.fleet.restore([from_row(r) for r in rows], time.time())
        await self.desk.start(self.store)
        self._server = await serve(
            self._handle,
            self.settings.host,
            self.settings.port,
            process_request=self.routes.process_request,
            max_size=self.limits.max_frame_bytes,
            ping_interval=self.settings.ping_interval_s,
            ping_timeout=self.settings.ping_timeout_s,
            server_header="testday",
            close_timeout=3,
        )
        sockets = list(self._server.sockets)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        self._tasks.append(asyncio.create_task(self._tick_loop()))
        self.feed.start()
        if self.network is not None:
            await self.network.start()
        log.info(
            "hub listening on %s:%s with %d known devices",
            self.settings.host,
            self.port,
            len(self.fleet.devices),
        )

    async def stop(self) -> None:
        if self.network is not None:
            await self.network.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.feed.stop()
        if self._retention is not None:
            await self._retention.stop()
        if self._writer is not None:
            await self._writer.stop()
        if self.store is not None:
            await self.store.close()

    async def __aenter__(self) -> Hub:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- state changes ----------------------------------------------------------------------

    @property
    def writer(self) -> BatchWriter:
        assert self._writer is not None, "hub not started"
        return self._writer

    def apply(
        self, events: Iterable[FleetEvent], device_ids: Sequence[str] = ()
    ) -> list[asyncio.Future[None]]:
        """Persist events and the devices they touch; returns futures that resolve on commit."""
        futures: list[asyncio.Future[None]] = []
        touched = set(device_ids)
        events = list(events)
        for event in events:
            futures.append(self.writer.put_event(event_row(event)))
            touched.add(event.device_id)
        self.feed.events_appended(events)
        self.feed.devices_changed(touched)
        try:
            # Network devices are not testing devices: they must not count in a room's size.
            self.desk.observe(e for e in events if not e.device_id.startswith(NET_PREFIX))
        except Exception:
            log.exception("incident detectors failed on %d events", len(events))
        for device_id in touched:
            device = self.fleet.devices.get(device_id)
            if device is not None:
                self.writer.put_device(to_row(device))
        return futures

    def event(self, device_id: str, now: float, kind: str, **data: Any) -> FleetEvent:
        device = self.fleet.devices.get(device_id)
        room = device.room if device else None
        return FleetEvent(ts=now, kind=kind, device_id=device_id, room=room, data=data)

    # --- queries ----------------------------------------------------------------------------

    async def request(self, op: str, args: dict[str, Any], actor: str) -> dict[str, Any]:
        """Act for a dashboard (see console_client.messages.REQUEST_OPS); raises RequestError."""
        return await self.desk.request(op, args, actor)

    def subscribe(self) -> Subscription:
        """A dashboard's feed: a Snapshot, then coalesced changes; close it when done."""
        return self.feed.subscribe()

    def devices_json(self, room: str | None = None) -> list[dict[str, Any]]:
        devices = [d for d in self.fleet.devices.values() if room is None or d.room == room]
        devices.sort(
            key=lambda d: (
                VERDICT_ORDER.get(d.verdict.status if d.verdict else "offline", 9),
                d.room or "",
                d.hostname or d.device_id,
            )
        )
        return [device_json(d, d.profile_id) for d in devices]

    def render_metrics(self) -> str:
        writer = self._writer
        store = (
            {
                "batches_total": writer.batches,
                "rows_written_total": writer.rows_written,
                "last_batch_ms": writer.last_batch_ms,
                "pending_rows": writer.pending,
            }
            if writer
            else {}
        )
        return self.metrics.render(self.fleet.devices.values(), self.fleet.connected_count(), store)

    # --- internals --------------------------------------------------------------------------

    def _profile_for_room(self, room: str | None) -> Profile:
        return self.profiles[self.site.profile_for(room)]

    async def _handle(self, conn: ServerConnection) -> None:
        path = urlsplit(conn.request.path).path if conn.request is not None else ""
        if path.rstrip("/") == CONSOLE_PATH:
            await ConsoleLink(self, conn).run()  # the operator secret was checked on the upgrade
            return
        principal: AgentPrincipal | None = getattr(conn, "principal", None)
        if principal is None:
            await conn.close(1008, "no handler for this path")
            return
        await AgentLink(self, conn, principal).run()

    async def _tick_loop(self) -> None:
        last_rejudge = time.time()
        while True:
            await asyncio.sleep(self.settings.tick_s)
            now = time.time()
            try:
                events = self.fleet.tick(now)
                if now - last_rejudge >= self.settings.rejudge_s:
                    events += self.fleet.rejudge_all(now)
                    last_rejudge = now
                self.apply(events)
            except Exception:
                log.exception("fleet tick failed")
            try:
                await self.desk.tick(now)
            except Exception:
                log.exception("session desk tick failed")
            if self.network is not None:
                try:
                    self.network.tick(now)
                except Exception:
                    log.exception("network watch tick failed")
