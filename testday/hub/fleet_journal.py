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
Stored = asyncio.Future[None]  # resolves once what it stands for is committed


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

    def connect(self, hello: Hello, conn_id: str, peer: str, now: float) -> None:
        """An agent said hello with its own key."""
        self._commit(self.fleet.connect(hello, conn_id, peer, now), (hello.device_id,))

    def enroll(self, hello: Hello, conn_id: str, peer: str, now: float, key_hash: str) -> Stored:
        """An agent said hello with the site secret and is given a key: the future resolves once
        the device row holding the key is on disk, the moment the agent may be told the key."""
        events = self.fleet.connect(hello, conn_id, peer, now)
        self.fleet.devices[hello.device_id].key_hash = key_hash
        stored = self._commit(events, (hello.device_id,), durable=hello.device_id)
        assert stored is not None  # the device was just connected
        return stored

    def report(self, device_id: str, report: Report, now: float) -> Stored:
        """A live report; the future resolves once it is stored (the agent is acked then)."""
        self._commit(self.fleet.report(device_id, report, now), (device_id,))
        return self._put_report(device_id, report, now, history=False)

    def replay(
        self, device_id: str, reports: Sequence[Report], dropped: int, now: float
    ) -> list[Stored]:
        """Reports an agent spooled while away: stored as history, judged by no one."""
        stored = [self._put_report(device_id, r, now, history=True) for r in reports]
        if dropped:
            self.note(device_id, now, "agent.spool_dropped", count=dropped)
        return stored

    def disconnect(self, device_id: str, conn_id: str, now: float, why: str) -> None:
        self._commit(self.fleet.disconnect(device_id, conn_id, now, why), (device_id,))

    def note(self, device_id: str, now: float, kind: str, **data: Any) -> None:
        """Something a device said that changes no state (a command's result, spool drops)."""
        device = self.fleet.devices.get(device_id)
        room = device.room if device else None
        self.record([FleetEvent(ts=now, kind=kind, device_id=device_id, room=room, data=data)])

    def record(self, events: Sequence[FleetEvent]) -> None:
        """Events of the hub's other eyes (the network watch), logged like the fleet's own."""
        self._commit(events, ())

    def tick(self, now: float, rejudge: bool) -> None:
        """Time passing: overdue devices turn late; with ``rejudge``, every forecast moves."""
        events = self.fleet.tick(now)
        if rejudge:
            events += self.fleet.rejudge_all(now)
        self._commit(events, ())

    # --- internals ------------------------------------------------------------------------------

    def _commit(
        self, events: Sequence[FleetEvent], device_ids: Iterable[str], durable: str | None = None
    ) -> Stored | None:
        """Queue the events and the rows of every device they touch, then tell the watchers.
        With ``durable``, that device's row comes with a future for its commit."""
        writer = self._usable()
        for event in events:
            writer.put_event(event_row(event))
        touched = {*device_ids, *(event.device_id for event in events)}
        devices = self.fleet.devices
        stored = None
        for device_id in touched:
            device = devices.get(device_id)
            if device is None:
                continue
            if device_id == durable:
                stored = writer.put_device_durable(to_row(device))
            else:
                writer.put_device(to_row(device))
        for watcher in self._watchers:
            try:
                watcher(events, touched)
            except Exception:
                # A watcher's bug must not cost the change: it is already queued for the disk.
                log.exception("%r failed on %d events", watcher, len(events))
        return stored

    def _put_report(self, device_id: str, report: Report, now: float, history: bool) -> Stored:
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
