"""Provides the typed views of testing devices and their events, as the hub serves them."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from testday_agent.protocol import Facts

Status = Literal["ready", "warning", "not_ready", "offline"]
Presence = Literal["online", "late", "offline"]
Severity = Literal["warning", "not_ready", "offline"]  # a reason's; a verdict is its worst
Measure = str | float | None


class View(msgspec.Struct, kw_only=True):
    """Base of every view: keyword-built, and every field present in JSON (no omissions).

    A view ignores fields it does not know, so a hub may add one within a wire version; a frame
    does not, and its version (messages.WIRE_VERSION) changes when a view's fields change."""


class ReasonView(View):
    """Why a device is not ready: a stable code, a sentence for a proctor, what was measured."""

    code: str
    severity: Severity
    message: str
    value: Measure = None
    threshold: Measure = None
    runbook: str = ""


class VerdictView(View):
    status: Status
    reasons: tuple[ReasonView, ...] = ()


class OsView(View):
    family: str | None = None
    version: str | None = None


class DeviceView(View):
    """One testing device: exactly one element of GET /api/devices."""

    id: str
    hostname: str | None = None
    room: str | None = None
    asset_tag: str | None = None
    os: OsView = msgspec.field(default_factory=OsView)
    agent_version: str | None = None
    profile: str | None = None  # the profile the device is judged against
    presence: Presence = "offline"
    connected: bool = False
    duplicate_peers: tuple[str, ...] = ()  # other live connections claiming this identity
    verdict: Status = "offline"
    reasons: tuple[ReasonView, ...] = ()  # worst first
    last_online_verdict: VerdictView | None = None  # what it was while it last reported
    facts: Facts | None = None
    clock_skew_s: float | None = None  # agent clock minus hub clock
    last_seq: int | None = None
    last_seen: float | None = None  # hub clock, epoch s
    last_seen_iso: str | None = None
    first_seen: float = 0.0

    @property
    def name(self) -> str:
        """What a person calls it: the hostname, else the device id."""
        return self.hostname or self.id


class EventView(View):
    """One entry of the hub's event log (kinds: device.connected, device.disconnected,
    identity.duplicate, verdict.changed, agent.spool_dropped, command.result, net.*)."""

    ts: float
    kind: str
    device_id: str | None = None
    room: str | None = None
    data: dict[str, Any] = msgspec.field(default_factory=dict)


BatteryPoint = tuple[float, float, bool]  # (hub ts, percent, plugged)


class SiteRoom(View):
    """A room the site file names, with the profile its devices are judged against."""

    room: str
    profile: str


class SiteView(View):
    name: str = ""
    default_profile: str | None = None
    rooms: tuple[SiteRoom, ...] = ()
