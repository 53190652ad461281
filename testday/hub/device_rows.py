"""Provides conversions between live devices and events and the rows the store keeps."""

from __future__ import annotations

import json
from dataclasses import asdict

import msgspec
from testday_agent.protocol import Facts

from testday.core.fleet import Device, FleetEvent
from testday.core.readiness import Reason, Verdict
from testday.store.records import DeviceRow, EventRow

_facts_decoder = msgspec.json.Decoder(Facts)
_encoder = msgspec.json.Encoder()


def to_row(device: Device) -> DeviceRow:
    # Presence is live state (every device starts offline after a restart); what is worth keeping
    # is the verdict the device had while it reported.
    verdict = device.last_online_verdict
    return DeviceRow(
        device_id=device.device_id,
        key_hash=device.key_hash,
        hostname=device.hostname,
        room=device.room,
        asset_tag=device.asset_tag,
        os_family=device.os_family,
        os_version=device.os_version,
        agent_version=device.agent_version,
        hardware_uuid=device.hardware_uuid,
        serial=device.serial,
        first_seen=device.first_seen,
        last_seen=device.last_seen,
        last_seq=device.last_seq,
        facts=_encoder.encode(device.facts) if device.facts is not None else None,
        verdict=verdict.status if verdict else None,
        reasons=json.dumps([asdict(r) for r in verdict.reasons]).encode() if verdict else None,
    )


def from_row(row: DeviceRow) -> Device:
    device = Device(
        device_id=row.device_id,
        first_seen=row.first_seen,
        hostname=row.hostname,
        room=row.room,
        asset_tag=row.asset_tag,
        os_family=row.os_family,
        os_version=row.os_version,
        agent_version=row.agent_version,
        hardware_uuid=row.hardware_uuid,
        serial=row.serial,
        key_hash=row.key_hash,
        last_seen=row.last_seen,
        last_report_at=row.last_seen,
        last_seq=row.last_seq,
    )
    if row.facts:
        try:
            device.facts = _facts_decoder.decode(row.facts)
        except msgspec.DecodeError:
            device.facts = None  # an older, incompatible fact shape: wait for the next report
    if row.verdict and row.reasons:
        # The stored verdict is shown until the device is judged again on restore.
        reasons = tuple(Reason(**r) for r in json.loads(row.reasons))
        device.verdict = Verdict(status=row.verdict, reasons=reasons)  # type: ignore[arg-type]
    return device


def event_row(event: FleetEvent) -> EventRow:
    return EventRow(
        ts=event.ts, kind=event.kind, device_id=event.device_id, room=event.room, data=event.data
    )
