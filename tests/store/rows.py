"""Provides row factories for the store tests."""

from __future__ import annotations

from typing import Any

from testday.store.records import DeviceRow, EventRow, ReportRow


def device(device_id: str = "dev-1", **changes: Any) -> DeviceRow:
    row = DeviceRow(
        device_id=device_id, key_hash="k1", hostname=f"{device_id}.lab", room="Lab 101",
        asset_tag="A-1", os_family="windows", os_version="11", agent_version="0.1.0",
        hardware_uuid="uuid-1", serial="SN1", first_seen=1000.0, last_seen=1010.0, last_seq=1,
        facts=b'{"battery":{"present":false}}', verdict="ready", reasons=b"[]",
    )  # fmt: skip
    for name, value in changes.items():
        setattr(row, name, value)
    return row


def report(device_id: str = "dev-1", seq: int = 1, ts: float = 1000.0, **changes: Any) -> ReportRow:
    row = ReportRow(
        device_id=device_id, seq=seq, agent_ts=ts - 0.5, received_ts=ts, history=False,
        facts=b'{"seq":%d}' % seq,
    )  # fmt: skip
    for name, value in changes.items():
        setattr(row, name, value)
    return row


def event(kind: str = "device.connected", ts: float = 1000.0, device_id: str | None = "dev-1",
          **data: Any) -> EventRow:  # fmt: skip
    return EventRow(ts=ts, kind=kind, device_id=device_id, room="Lab 101", data=data)
