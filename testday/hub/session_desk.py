"""Provides SessionDesk: the running hub's testing sessions, incident detectors and incidents."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from testday.config.site import Site
from testday.console_protocol.desk_views import IncidentView, SessionView, SweepView
from testday.console_protocol.requests import (
    Answer,
    HubRequest,
    IncidentAddRequest,
    RequestError,
    SessionActionRequest,
)
from testday.core.detectors import Detection, IncidentDetector
from testday.core.fleet import Device, FleetEvent, is_testing_device_event
from testday.core.incident_fields import IncidentFieldError, TimedLine
from testday.core.incidents import Incident, IncidentError, IncidentEvent, IncidentLog
from testday.core.profile import Profile
from testday.core.readiness_sweep import sweep
from testday.core.sessions import Session, SessionError, apply
from testday.core.timeline import draft_timeline
from testday.hub.desk_chain import ChainUnavailableError, IncidentChain
from testday.hub.desk_drafts import (
    DRAFTER,
    Cite,
    Drafter,
    detection_fields,
    network_lines,
    next_incident_id,
    sets_sequence_by_hand,
    timeline_event,
    with_network,
)
from testday.hub.desk_requests import checked_action, manual_incident
from testday.hub.desk_views import incident_view, same_sweep, session_view, sweep_view
from testday.store.database import Store
from testday.store.incident_store import ChainConflictError, IncidentStore
from testday.store.session_store import SessionStore, fold

log = logging.getLogger(__name__)


# A device lost during a pause still matters (the student resumes on it, or their saved
# responses are on it), so the detectors watch paused sessions as well as running ones.
LIVE_STATES = ("in_progress", "paused")
SWEEP_EVERY_S = 5.0
SWEEP_AHEAD_S = 2 * 3600.0  # scheduled sessions starting within this are swept on tick
Lines = tuple[TimedLine, ...]
# Sessions and incidents (by id) created or changed: dashboards are told of them.
DeskChanged = Callable[[Iterable[str], Iterable[str]], None]


class SessionDesk:
    """Sessions and incidents of one hub: loaded at start, fed fleet events, ticked each second.

    Other processes (``testday session start``, ``testday incident add``) write the same database
    file; each tick reads what they appended. The hub's own changes take the same path (append,
    then read back), so nothing is applied twice.
    """

    def __init__(
        self,
        devices: Mapping[str, Device],
        profiles: Mapping[str, Profile],
        site: Site,
        changed: DeskChanged,
        live: dict[str, Session],
        cite: Cite | None = None,
        detect_window_s: float = 60.0,
    ) -> None:
        self.devices = devices  # the live fleet, read only
        self.profiles = profiles
        self.site = site
        self._changed = changed
        self.cite = cite  # what the network showed in a room, for room-level incidents
        tz = datetime.now().astimezone().tzinfo
        assert tz is not None  # astimezone() always attaches one
        self.tz = tz  # the hub's local time, as reports read
        self.sessions: dict[str, Session] = {}
        self.detector = IncidentDetector(window_s=detect_window_s)
        self.chain = IncidentChain(self._folded)
        self.drafter = Drafter()
        self._store: SessionStore | None = None
        self._cursor = 0  # the last session_events row folded in
        self._lock = asyncio.Lock()  # session reads and writes, in row order
        # room → its session in a LIVE_STATE; kept in place, others read it (the network watch)
        self._live = live
        self._sweeps: dict[str, SweepView] = {}
        self._detections: list[Detection] = []
        self._swept_at = 0.0
        self.sweep_every_s = SWEEP_EVERY_S

    async def start(self, store: Store) -> None:
        """Load sessions and the incident log; seed the detector with the known fleet."""
        self._store = SessionStore(store)
        async with self._lock:
            await self._catch_up_sessions(announce=False)  # the first snapshot carries them
        await self.chain.open(IncidentStore(store))
        fleet = self.devices.values()
        self.detector.seed((d.device_id, d.room) for d in fleet if d.room)

    # --- inputs from the hub ------------------------------------------------------------------

    def observe(self, events: Sequence[FleetEvent], _device_ids: Iterable[str] = ()) -> None:
        """Fleet events as the journal logs them; detections wait for the next tick to be written.

        Network devices are not testing devices: they must not count in a room's size.
        """
        for event in events:
            if not is_testing_device_event(event):
                continue
            self.drafter.observe(event)
            self._detections += self.detector.observe(event, self._live)

    async def tick(self, now: float) -> None:
        """Follow other writers, release detections, redraft, re-sweep; each step on its own."""
        for step in (self._follow, self._release, self._redraft, self._resweep):
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

    def incident_views(self, ids: Iterable[str] | None = None) -> list[IncidentView]:
        """In the order they were created."""
        rules = self.site.deadline_rules
        incidents: Iterable[Incident] = self.chain.log.incidents()
        if ids is not None:
            wanted = set(ids)
            incidents = [i for i in incidents if i.id in wanted]
        return [incident_view(i, rules) for i in incidents]

    def live_session(self, room: str) -> Session | None:
        return self._live.get(room)

    # --- requests -----------------------------------------------------------------------------

    async def answer(self, ask: HubRequest, actor: str) -> Answer:
        """Act for a dashboard; RequestError says, for the operator, why it cannot."""
        if self._store is None:
            raise RequestError("the hub is not running")
        try:
            if isinstance(ask, SessionActionRequest):
                return Answer(session=await self._session_action(ask, actor))
            if isinstance(ask, IncidentAddRequest):
                return Answer(incident=await self._add_incident(ask, actor))
        except (SessionError, IncidentFieldError, IncidentError, ChainUnavailableError) as exc:
            raise RequestError(str(exc)) from None
        except ChainConflictError:
            raise RequestError("other writers kept appending incidents; try again") from None
        raise RequestError(f"unknown request {ask!r} (known: session.action, incident.add)")

    async def _session_action(self, ask: SessionActionRequest, actor: str) -> SessionView:
        session_id, action, note = checked_action(ask)
        assert self._store is not None
        async with self._lock:
            await self._catch_up_sessions()  # judge the action on what every writer did so far
            session = self.sessions.get(session_id)
            if session is None:
                raise RequestError(f"no session {session_id!r}")
            _, event = apply(session, action, time.time(), actor, note)
            await self._store.append(event)  # durable first; memory follows by reading it back
            await self._catch_up_sessions()
            session = self.sessions[session_id]
        if action == "check":
            self._sweep(session, time.time())
        return self.session_views([session_id])[0]

    async def _add_incident(self, ask: IncidentAddRequest, actor: str) -> IncidentView:
        now, fields = manual_incident(self, ask)

        def build(log_: IncidentLog) -> list[IncidentEvent]:
            return [log_.create(next_incident_id(log_), actor, now, **fields)]

        created = await self.chain.write(build)
        incident = self.chain.log.incident(created[0].incident_id)
        return incident_view(incident, self.site.deadline_rules)

    # --- sessions -----------------------------------------------------------------------------

    async def _catch_up_sessions(self, announce: bool = True) -> None:
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
            self._live.clear()
            self._live.update(_live_rooms(self.sessions.values()))
            if announce:
                self._changed(changed, ())

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
            self._changed([session.id], ())

    # --- tick steps ---------------------------------------------------------------------------

    async def _follow(self, now: float) -> None:
        async with self._lock:
            await self._catch_up_sessions()
        await self.chain.catch_up()

    async def _release(self, now: float) -> None:
        self._detections += self.detector.flush(now)
        while self._detections:
            detection = self._detections[0]
            # Any other failure keeps it for the next tick: the store may be busy, the chain
            # under repair. A detection whose fields do not pass would never pass: dropped.
            try:
                await self._open_incident(detection)
            except ChainUnavailableError:
                return  # the chain said so once; detections wait until it is repaired
            except (IncidentFieldError, IncidentError) as exc:
                log.error(
                    "detection %s in room %s dropped: %s", detection.kind, detection.room, exc
                )
            self._detections.pop(0)

    async def _open_incident(self, detection: Detection) -> None:
        session = self.sessions.get(detection.session_id)
        later = self.drafter.recent(detection.device_ids, detection.started_at)
        hostnames = self.hostnames(detection.device_ids)
        network = network_lines(self.cite, detection, self.tz)
        lines = with_network(draft_timeline(detection, later, self.tz, hostnames, session), network)
        fields = detection_fields(detection, session, self.site.info, self.devices, self.tz)

        def build(log_: IncidentLog) -> list[IncidentEvent]:
            incident_id, now = next_incident_id(log_), datetime.now(self.tz)
            created = log_.create(incident_id, DRAFTER, now, **fields)
            return [created, timeline_event(incident_id, now, lines)]

        created = await self.chain.write(build)
        # Tracked from now on; events that came in while writing are picked up by a redraft.
        self.drafter.track(created[0].incident_id, detection, network)

    async def _redraft(self, now: float) -> None:
        if self.chain.broken is not None:
            return
        for incident_id, draft in self.drafter.due(now):
            draft.dirty = False  # events arriving while this draft is written mark it again
            session = self.sessions.get(draft.detection.session_id)
            hostnames = self.hostnames(draft.detection.device_ids)
            drafted = draft_timeline(draft.detection, draft.later, self.tz, hostnames, session)
            lines = with_network(drafted, draft.network)

            def build(
                log_: IncidentLog, incident_id: str = incident_id, lines: Lines = lines
            ) -> list[IncidentEvent]:
                if incident_id not in self.drafter.drafts:
                    return []  # a person took the sequence over meanwhile
                incident = log_.incident(incident_id)
                if incident.status != "open" or incident.sequence == lines:
                    return []  # never an identical draft
                return [log_.draft_timeline(incident_id, DRAFTER, datetime.now(self.tz), lines)]

            try:
                await self.chain.write(build)
            except Exception:
                draft.dirty = True  # tried again next tick
                raise

    async def _resweep(self, now: float) -> None:
        if now - self._swept_at < self.sweep_every_s:
            return
        self._swept_at = now
        for session in list(self.sessions.values()):
            soon = session.state == "scheduled" and session.scheduled_start - now <= SWEEP_AHEAD_S
            if session.state == "checking" or (soon and session.scheduled_end > now):
                self._sweep(session, now)

    # --- internals ----------------------------------------------------------------------------

    def _folded(self, event: IncidentEvent) -> None:
        """Every incident event entering memory, the hub's own or another writer's."""
        self._changed((), [event.incident_id])
        leaves_open = event.kind == "status_changed" and event.data.get("to") != "open"
        if leaves_open or sets_sequence_by_hand(event):
            self.drafter.forget(event.incident_id)

    def hostnames(self, device_ids: Iterable[str]) -> dict[str, str]:
        devices = self.devices
        found = ((i, devices[i].hostname) for i in device_ids if i in devices)
        return {i: name for i, name in found if name}


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
