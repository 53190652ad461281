"""Provides the plain rows the store reads and writes: devices, events and reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class DeviceRow:
    """One device as last known: identity, credentials, latest facts and verdict."""

    device_id: str
    key_hash: str | None
    hostname: str | None
    room: str | None
    asset_tag: str | None
    os_family: str | None
    os_version: str | None
    agent_version: str | None
    hardware_uuid: str | None
    serial: str | None
    first_seen: float
    last_seen: float | None
    last_seq: int | None
    facts: bytes | None  # JSON exactly as the agent sent it; never re-encoded
    verdict: str | None
    reasons: bytes | None  # JSON


@dataclass(slots=True)
class EventRow:
    """One entry of the append-only event log, timestamped by the hub's clock.

    ``id`` is assigned by the store when the row is committed; a value given on insert is ignored.
    """

    ts: float
    kind: str
    device_id: str | None
    room: str | None
    data: dict[str, Any]
    id: int | None = None


@dataclass(slots=True)
class ReportRow:
    """One report as received; ``history`` marks a report replayed from the agent's spool."""

    device_id: str
    seq: int
    agent_ts: float
    received_ts: float
    history: bool
    facts: bytes
