"""Provides SessionDesk: the running hub's testing sessions, their live rooms and sweeps."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from testday.config.site import Site
from testday.console_protocol.desk_views import SessionView, SweepView
from testday.console_protocol.requests import RequestError, SessionActionRequest
from testday.core.fleet import Device
from testday.core.profile import Profile
from testday.core.readiness_sweep import sweep
from testday.core.sessions import Session, SessionError, apply
from testday.hub.desk_requests import checked_action
from testday.hub.desk_views import same_sweep, session_view, sweep_view
from testday.store.database import Store
from testday.store.session_store import SessionStore, fold

log = logging.getLogger(__name__)

# A device lost during a pause still matters (the student resumes on it, or their saved
# responses are on it), so the detectors watch paused sessions as well as running ones.
LIVE_STATES = ("in_progress", "paused")
SWEEP_EVERY_S = 5.0
SWEEP_AHEAD_S = 2 * 3600.0  # scheduled sessions starting within this are swept on tick
SessionsChanged = Callable[[Iterable[str]], None]  # session ids created or changed


class SessionDesk:
    """Sessions of one hub: loaded at start, ticked each second, moved by dashboards.

    Other processes (``testday session start``) write the same database file; each tick reads
    what they appended. The hub's own changes take the same path (append, then read back), so
    nothing is applied twice.
    """

    def __init__(
        self,
        devices: Mapping[str, Device],
        profiles: Mapping[str, Profile],
        site: Site,
        changed: SessionsChanged,
    ) -> None:
        self.devices = devices  # the live fleet, read only
        self.profiles = profiles
        self.site = site
        self._changed = changed
        tz = datetime.now().astimezone().tzinfo
        assert tz is not None  # astimezone() always attaches one
        self.tz = tz  # the hub's local time, as reports read
        self.sessions: dict[str, Session] = {}
        # Room → its session in a LIVE_STATE; updated in place, read by the incident detectors
        # and the network watch.
        self.live: dict[str, Session] = {}
        self._store: SessionStore | None = None
        self._cursor = 0  # the last session_events row folded in
        self._lock = asyncio.Lock()  # session reads and writes, in row order
        self._sweeps: dict[str, SweepView] = {}
        self._swept_at = 0.0
        self.sweep_every_s = SWEEP_EVERY_S

    async def start(self, store: Store) -> None:
        self._store = SessionStore(store)
        async with self._lock:
            await self._catch_up(announce=False)  # the first snapshot carries them

    async def tick(self, now: float) -> None:
        """Follow other writers, then re-sweep what is checking or about to start."""
        for step in (self._follow, self._resweep):
            try:
                await step(now)
            except Exception:
                log.exception("session desk: %s failed", step.__name__.strip("_"))

    # --- queries ------------------------------------------------------------------------------

    def session_views(self, ids: Iterable[str] | None = None) -> list[SessionView]:
        chosen = self.sessions.values() if ids is None else (
            self.sessions[i] for i in ids if i in self.sessions
        )  # fmt: skip
        ordered = sorted(chosen, key=lambda s: (s.scheduled_start, s.id))
        return [session_view(s, self._profile(s), self._sweeps.get(s.id)) for s in ordered]

    def live_session(self, room: str) -> Session | None:
        return self.live.get(room)

    # --- requests -----------------------------------------------------------------------------

    async def act(self, ask: SessionActionRequest, actor: str) -> SessionView:
        """A dashboard moves a session; RequestError says, for the operator, why it cannot."""
        session_id, action, note = checked_action(ask)
        if self._store is None:
            raise RequestError("the hub is not running")
        async with self._lock:
            await self._catch_up()  # judge the action on what every writer did so far
            session = self.sessions.get(session_id)
            if session is None:
                raise RequestError(f"no session {session_id!r}")
            try:
                _, event = apply(session, action, time.time(), actor, note)
            except SessionError as exc:
                raise RequestError(str(exc)) from None
            await self._store.append(event)  # durable first; memory follows by reading it back
            await self._catch_up()
            session = self.sessions[session_id]
        if action == "check":
            self._sweep(session, time.time())
        return self.session_views([session_id])[0]

    # --- internals ----------------------------------------------------------------------------

    async def _catch_up(self, announce: bool = True) -> None:
        """Fold in session events stored since the last look, whoever wrote them (lock held)."""
        assert self._store is not None, "desk not started"
        changed: set[str] = set()
        for row in await self._store.rows_after(self._cursor):
            self._cursor = row.id
            try:
                if fold(self.sessions, row):
                    changed.add(row.session_id)
            except (ValueError, KeyError, TypeError) as exc:  # SessionError is a ValueError
                # Two writers raced (e.g. both paused) so the later event no longer applies, or
                # a newer writer's row this version cannot read: skipped, never fatal to the hub.
                log.warning("session event %d (%s) skipped: %s", row.id, row.kind, exc)
        if changed:
            self.live.clear()
            self.live.update(_live_rooms(self.sessions.values()))
            if announce:
                self._changed(changed)

    def _profile(self, session: Session) -> Profile | None:
        return self.profiles.get(session.profile_id)

    def _sweep(self, session: Session, now: float) -> None:
        """Sweep the session's rooms on the live fleet; tell dashboards only if it changed."""
        profile = self._profile(session) or self.profiles[self.site.profile_for(session.rooms[0])]
        devices = self.devices
        by_room: dict[str, list[Device]] = {room: [] for room in session.rooms}
        for device in devices.values():
            if device.room in by_room:
                by_room[device.room].append(device)
        new = sweep_view(sweep(session, profile, by_room, now, tz=self.tz), devices)
        old = self._sweeps.get(session.id)
        self._sweeps[session.id] = new
        if not same_sweep(old, new):
            self._changed([session.id])

    async def _follow(self, now: float) -> None:
        async with self._lock:
            await self._catch_up()

    async def _resweep(self, now: float) -> None:
        if now - self._swept_at < self.sweep_every_s:
            return
        self._swept_at = now
        for session in list(self.sessions.values()):
            soon = session.state == "scheduled" and session.scheduled_start - now <= SWEEP_AHEAD_S
            if session.state == "checking" or (soon and session.scheduled_end > now):
                self._sweep(session, now)


def _live_rooms(sessions: Iterable[Session]) -> dict[str, Session]:
    """Room → its live session; a running one wins over a paused one, then the latest start."""
    live: dict[str, Session] = {}
    ordered = sorted(
        (s for s in sessions if s.state in LIVE_STATES),
        key=lambda s: (s.state == "in_progress", s.scheduled_start),
    )
    for session in ordered:
        for room in session.rooms:
            live[room] = session
    return live
