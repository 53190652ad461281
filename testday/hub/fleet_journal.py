"""Provides FleetJournal: the one path every fleet change takes — state, durable log, watchers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec
from testday_agent.protocol import Hello, Report

from testday.core.fleet import FleetEvent, FleetState
from testday.hub.device_rows import event_row, to_row
from testday.store.records import ReportRow
from testday.store.writer import BatchWriter

log = logging.getLogger(__name__)
_FACTS_ENCODER = msgspec.json.Encoder()

# Told of every change once it is applied and queued for the disk: the events it made and every
# device it touched (the console feed, the incident detectors).
Watcher = Callable[[Sequence[FleetEvent], Iterable[str]], None]
Durable = list[asyncio.Future[None]]  # resolve once what they stand for is committed


class FleetJournal:
    """Applies each change to the fleet state, queues its events and device rows for the disk,
    then tells the watchers. Agents, the clock and the network watch all change the fleet here.
    """

    def __init__(self, fleet: FleetState) -> None:
        self.fleet = fleet
        self._writer: BatchWriter | None = None
        self._watchers: list[Watcher] = []

    def open(self, writer: BatchWriter) -> None:
        """Start recording into ``writer`` (the hub opens its store first)."""
        self._writer = writer

    def watch(self, watcher: Watcher) -> None:
        self._watchers.append(watcher)

    # --- changes --------------------------------------------------------------------------------

    def connect(
        self, hello: Hello, conn_id: str, peer: str, now: float, key_hash: str | None = None
    ) -> Durable:
        """An agent said hello; with ``key_hash``, the device's new key is stored with it."""
        events = self.fleet.connect(hello, conn_id, peer, now)
        if key_hash is not None:
            self.fleet.devices[hello.device_id].key_hash = key_hash
        return self._commit(events, (hello.device_id,))

    def report(self, device_id: str, report: Report, now: float) -> asyncio.Future[None]:
        """A live report; the future resolves once it is stored (the agent is acked then)."""
        self._commit(self.fleet.report(device_id, report, now), (device_id,))
        return self._put_report(device_id, report, now, history=False)

    def replay(
        self, device_id: str, reports: Sequence[Report], dropped: int, now: float
    ) -> Durable:
        """Reports an agent spooled while away: stored as history, judged by no one."""
        durable = [self._put_report(device_id, r, now, history=True) for r in reports]
        if dropped:
            self.note(device_id, now, "agent.spool_dropped", count=dropped)
        return durable

    def disconnect(self, device_id: str, conn_id: str, now: float, why: str) -> Durable:
        return self._commit(self.fleet.disconnect(device_id, conn_id, now, why), (device_id,))

    def note(self, device_id: str, now: float, kind: str, **data: Any) -> Durable:
        """Something a device said that changes no state (a command's result, spool drops)."""
        device = self.fleet.devices.get(device_id)
        room = device.room if device else None
        return self.record([FleetEvent(ts=now, kind=kind, device_id=device_id, room=room,
                                       data=data)])  # fmt: skip

    def record(self, events: Sequence[FleetEvent]) -> Durable:
        """Events of the hub's other eyes (the network watch), logged like the fleet's own."""
        return self._commit(events, ())

    def tick(self, now: float, rejudge: bool) -> Durable:
        """Time passing: overdue devices turn late; with ``rejudge``, every forecast moves."""
        events = self.fleet.tick(now)
        if rejudge:
            events += self.fleet.rejudge_all(now)
        return self._commit(events, ())

    # --- internals ------------------------------------------------------------------------------

    def _commit(self, events: Sequence[FleetEvent], device_ids: Iterable[str]) -> Durable:
        writer = self._usable()
        durable = [writer.put_event(event_row(event)) for event in events]
        touched = {*device_ids, *(event.device_id for event in events)}
        devices = self.fleet.devices
        for device_id in touched:
            device = devices.get(device_id)
            if device is not None:
                durable.append(writer.put_device(to_row(device)))
        for watcher in self._watchers:
            try:
                watcher(events, touched)
            except Exception:
                # A watcher's bug must not cost the change: it is already queued for the disk.
                log.exception("%r failed on %d events", watcher, len(events))
        return durable

    def _put_report(
        self, device_id: str, report: Report, now: float, history: bool
    ) -> asyncio.Future[None]:
        row = ReportRow(
            device_id=device_id,
            seq=report.seq,
            agent_ts=report.sent_at,
            received_ts=now,
            history=history,
            facts=_FACTS_ENCODER.encode(report.facts),
        )
        return self._usable().put_report(row)

    def _usable(self) -> BatchWriter:
        if self._writer is None:
            raise RuntimeError("the fleet journal records nothing before the hub has started")
        return self._writer
