"""Provides the Hub: the composition root that builds one school's hub, wires it, runs it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from testday_agent.protocol import AgentConfig
from websockets.asyncio.server import Server, ServerConnection, serve

from testday.config.files import DATABASE_FILE, SITE_FILE, private_dir
from testday.config.network import load_network
from testday.config.profiles import default_profiles_dir, load_profiles
from testday.config.site import load_site
from testday.console_protocol.requests import (
    Answer,
    HubRequest,
    IncidentAddRequest,
    RequestError,
    SessionActionRequest,
)
from testday.core.fleet import FleetState
from testday.core.profile import Profile
from testday.hub.agent_link import AgentLink
from testday.hub.console_feed import ConsoleFeed, Subscription
from testday.hub.console_link import ConsoleLink
from testday.hub.device_rows import from_row
from testday.hub.feed_changes import FeedChanges
from testday.hub.fleet_journal import FleetJournal
from testday.hub.http_routes import CONSOLE_PATH, HttpRoutes
from testday.hub.hub_views import HubViews
from testday.hub.incident_desk import IncidentDesk
from testday.hub.limits import FailureLimiter, Limits, TokenBucket
from testday.hub.metrics import HubMetrics
from testday.hub.network_watch import NetworkWatch
from testday.hub.secrets import load_or_create
from testday.hub.session_desk import SessionDesk
from testday.store.database import Store
from testday.store.retention import Retention
from testday.store.writer import BatchWriter

log = logging.getLogger(__name__)


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
    """Builds the parts of one school's hub and hands each only what it uses; nothing holds Hub.

    Every fleet change (a connect, a report, a disconnect, the clock, the network watch) goes
    through ``journal``: fleet state, then the durable log, then the watchers (the dashboards'
    feed and the incident detectors). Sessions go through ``desk`` and incidents through
    ``incidents``, each appending to its log first and folding in what it reads back.
    """

    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        data = private_dir(settings.data_dir)
        self.secrets = load_or_create(data, settings.agent_token, settings.console_token)
        self.profiles = load_profiles(settings.profiles_dir or default_profiles_dir())
        self.site = load_site(data / SITE_FILE, set(self.profiles))
        self.metrics = HubMetrics()
        self.fleet = FleetState(self.profile_for_room, interval_s=settings.interval_s)
        self.journal = FleetJournal(self.fleet)
        changes = FeedChanges()
        self.journal.watch(changes.fleet_changed)
        self.desk = SessionDesk(
            self.fleet.devices, self.profiles, self.site, changes.sessions_changed
        )
        network = load_network(data / SITE_FILE)
        # No network devices and no trap port: no SNMP engine, no socket, nothing to show.
        self.network = (
            NetworkWatch(
                network,
                self.journal.record,
                changes.network_changed,
                self.fleet.devices,
                self.desk.live,
                self._per_student_kbps,
            )
            if network.devices or network.trap_port
            else None
        )
        self.incidents = IncidentDesk(
            self.fleet.devices,
            self.site,
            self.desk,
            changes.incidents_changed,
            cite=self.network.cited if self.network else None,
            detect_window_s=settings.detect_window_s,
        )
        self.journal.watch(self.incidents.observe)
        self.views = HubViews(
            self.fleet.devices, self.site, self.desk, self.incidents, self.network
        )
        self.feed = ConsoleFeed(changes, self.views)
        self.routes = HttpRoutes(
            self.views,
            self.secrets,
            self._key_hash_of,
            TokenBucket(settings.limits.handshakes_per_s, settings.limits.handshake_burst),
            FailureLimiter(
                settings.limits.failures_per_s,
                settings.limits.failure_burst,
                settings.limits.failing_addresses_kept,
            ),
            self.metrics,
            self.render_metrics,
        )
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
        self.journal.open(self._writer)
        self._retention = Retention(self.store)
        self._retention.start()
        rows = await self.store.load_devices()
        self.fleet.restore([from_row(r) for r in rows], time.time())
        await self.desk.start(self.store)
        await self.incidents.start(self.store)
        self._server = await serve(
            self._handle,
            self.settings.host,
            self.settings.port,
            process_request=self.routes.process_request,
            max_size=self.settings.limits.max_frame_bytes,
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

    # --- what an embedded console reads (console_protocol.client.LocalHub) ---------------------

    @property
    def serving(self) -> bool:
        return self.feed.running

    def subscribe(self) -> Subscription:
        """A dashboard's feed: a Snapshot, then coalesced changes; close it when done."""
        return self.feed.subscribe()

    async def answer(self, ask: HubRequest, actor: str) -> Answer:
        """Act for a dashboard; raises RequestError saying why it cannot."""
        if not self.serving:
            raise RequestError("the hub is not running")
        if isinstance(ask, SessionActionRequest):
            return Answer(session=await self.desk.act(ask, actor))
        if isinstance(ask, IncidentAddRequest):
            return Answer(incident=await self.incidents.add(ask, actor))
        known = "session.action, incident.add"
        raise RequestError(f"unknown request {type(ask).__name__} (known: {known})")

    # --- what the parts are handed ------------------------------------------------------------

    def profile_for_room(self, room: str | None) -> Profile:
        return self.profiles[self.site.profile_for(room)]

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

    def _per_student_kbps(self, room: str) -> float | None:
        return self.profile_for_room(room).bandwidth_kbps_per_student

    def _key_hash_of(self, device_id: str) -> str | None:
        device = self.fleet.devices.get(device_id)
        return device.key_hash if device is not None else None

    def _agent_config(self, device_id: str) -> AgentConfig:
        profile = self.profile_for_room(self.fleet.devices[device_id].room)
        return AgentConfig(interval_s=self.settings.interval_s, checks=profile.checks())

    # --- internals --------------------------------------------------------------------------

    async def _handle(self, conn: ServerConnection) -> None:
        path = urlsplit(conn.request.path).path if conn.request is not None else ""
        if path.rstrip("/") == CONSOLE_PATH:
            # The operator secret was checked on the upgrade.
            await ConsoleLink(conn, self.subscribe, self.answer).run()
            return
        principal = self.routes.principal(conn)
        if principal is None:
            await conn.close(1008, "no handler for this path")
            return
        link = AgentLink(
            conn,
            principal,
            self.journal,
            self._agent_config,
            self.settings.limits,
            self.metrics,
        )
        await link.run()

    async def _tick_loop(self) -> None:
        last_rejudge = time.time()
        while True:
            await asyncio.sleep(self.settings.tick_s)
            now = time.time()
            try:
                rejudge = now - last_rejudge >= self.settings.rejudge_s
                if rejudge:
                    last_rejudge = now
                self.journal.tick(now, rejudge)
            except Exception:
                log.exception("fleet tick failed")
            # Incidents first: a tick has released and redrafted before the desk re-sweeps.
            for desk in (self.incidents, self.desk):
                try:
                    await desk.tick(now)
                except Exception:
                    log.exception("%s tick failed", type(desk).__name__)
            if self.network is not None:
                try:
                    self.network.tick(now)
                except Exception:
                    log.exception("network watch tick failed")
