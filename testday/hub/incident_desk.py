"""Provides IncidentDesk: the running hub's incident detectors, drafted timelines and incidents."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from testday.config.site import Site
from testday.console_protocol.desk_views import IncidentView
from testday.console_protocol.requests import IncidentAddRequest, RequestError
from testday.core.detectors import Detection, IncidentDetector
from testday.core.fleet import Device, FleetEvent, is_testing_device_event
from testday.core.incident_fields import IncidentFieldError, TimedLine
from testday.core.incidents import Incident, IncidentError, IncidentEvent, IncidentLog
from testday.core.sessions import Session
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
from testday.hub.desk_requests import manual_incident
from testday.hub.desk_views import incident_view
from testday.store.database import Store
from testday.store.incident_store import ChainConflictError, IncidentStore

log = logging.getLogger(__name__)

Lines = tuple[TimedLine, ...]
IncidentsChanged = Callable[[Iterable[str]], None]  # incident ids created or changed


class Sessions(Protocol):
    """The sessions an incident happens in (testday.hub.session_desk.SessionDesk), read only."""

    @property
    def sessions(self) -> Mapping[str, Session]: ...

    @property
    def live(self) -> Mapping[str, Session]:
        """Room → its session under way (running or paused)."""
        ...


class IncidentDesk:
    """Incidents of one hub: fed fleet events, ticked each second, asked by dashboards.

    Detections wait for the next tick to be written. Every change is appended to the hash chain
    first and read back from it (IncidentChain), so another process's appends (`testday
    incident …`) and the hub's own enter memory the same way.
    """

    def __init__(
        self,
        devices: Mapping[str, Device],
        site: Site,
        sessions: Sessions,
        changed: IncidentsChanged,
        cite: Cite | None = None,
        detect_window_s: float = 60.0,
    ) -> None:
        self.devices = devices  # the live fleet, read only
        self.site = site
        self._sessions = sessions
        self._changed = changed
        self.cite = cite  # what the network showed in a room, for room-level incidents
        tz = datetime.now().astimezone().tzinfo
        assert tz is not None  # astimezone() always attaches one
        self.tz = tz  # the hub's local time, as reports read
        self.detector = IncidentDetector(window_s=detect_window_s)
        self.chain = IncidentChain(self._folded)
        self.drafter = Drafter()
        self._detections: list[Detection] = []

    async def start(self, store: Store) -> None:
        """Load the incident log; seed the detector with the known fleet."""
        await self.chain.open(IncidentStore(store))
        self.detector.seed((d.device_id, d.room) for d in self.devices.values() if d.room)

    # --- what the desk state offers requests (desk_requests.DeskState) --------------------------

    @property
    def sessions(self) -> Mapping[str, Session]:
        return self._sessions.sessions

    def live_session(self, room: str) -> Session | None:
        return self._sessions.live.get(room)

    def hostnames(self, device_ids: Iterable[str]) -> dict[str, str]:
        devices = self.devices
        found = ((i, devices[i].hostname) for i in device_ids if i in devices)
        return {i: name for i, name in found if name}

    # --- inputs -----------------------------------------------------------------------------------

    def observe(self, events: Sequence[FleetEvent], _device_ids: Iterable[str] = ()) -> None:
        """Fleet events as the journal logs them. Network devices are not testing devices: they
        must not count in a room's size."""
        live = self._sessions.live
        for event in events:
            if is_testing_device_event(event):
                self.drafter.observe(event)
                self._detections += self.detector.observe(event, live)

    async def tick(self, now: float) -> None:
        """Follow other writers, release detections, redraft; each step on its own."""
        for step in (self._follow, self._release, self._redraft):
            try:
                await step(now)
            except Exception:
                log.exception("incident desk: %s failed", step.__name__.strip("_"))

    async def add(self, ask: IncidentAddRequest, actor: str) -> IncidentView:
        """An incident a dashboard logs; RequestError says, for the operator, why it cannot."""
        try:
            now, fields = manual_incident(self, ask)

            def build(log_: IncidentLog) -> list[IncidentEvent]:
                return [log_.create(next_incident_id(log_), actor, now, **fields)]

            created = await self.chain.write(build)
        except (IncidentFieldError, IncidentError, ChainUnavailableError) as exc:
            raise RequestError(str(exc)) from None
        except ChainConflictError:
            raise RequestError("other writers kept appending incidents; try again") from None
        incident = self.chain.log.incident(created[0].incident_id)
        return incident_view(incident, self.site.deadline_rules)

    # --- queries ----------------------------------------------------------------------------------

    def incident_views(self, ids: Iterable[str] | None = None) -> list[IncidentView]:
        """In the order they were created."""
        rules = self.site.deadline_rules
        incidents: Iterable[Incident] = self.chain.log.incidents()
        if ids is not None:
            wanted = set(ids)
            incidents = [i for i in incidents if i.id in wanted]
        return [incident_view(i, rules) for i in incidents]

    # --- tick steps -------------------------------------------------------------------------------

    async def _follow(self, now: float) -> None:
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

    # --- internals --------------------------------------------------------------------------------

    def _folded(self, event: IncidentEvent) -> None:
        """Every incident event entering memory, the hub's own or another writer's."""
        self._changed([event.incident_id])
        leaves_open = event.kind == "status_changed" and event.data.get("to") != "open"
        if leaves_open or sets_sequence_by_hand(event):
            self.drafter.forget(event.incident_id)
