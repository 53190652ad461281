"""Provides the typed views of the live fleet the hub serves: devices, events and the site."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from testday.config.site import Site
from testday.console_protocol.device_views import (
    DeviceView,
    EventView,
    OsView,
    ReasonView,
    SiteRoom,
    SiteView,
    VerdictView,
)
from testday.core.fleet import Device, FleetEvent
from testday.core.presentation import VERDICT_RANK
from testday.core.readiness import Reason, Verdict


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def reason_view(reason: Reason) -> ReasonView:
    return ReasonView(
        code=reason.code,
        severity=reason.severity,
        message=reason.message,
        value=reason.value,
        threshold=reason.threshold,
        runbook=reason.runbook,
    )


def _verdict_view(verdict: Verdict | None) -> VerdictView | None:
    if verdict is None:
        return None
    return VerdictView(status=verdict.status, reasons=tuple(map(reason_view, verdict.reasons)))


def device_view(device: Device) -> DeviceView:
    verdict = device.verdict
    return DeviceView(
        id=device.device_id,
        hostname=device.hostname,
        room=device.room,
        asset_tag=device.asset_tag,
        os=OsView(family=device.os_family, version=device.os_version),
        agent_version=device.agent_version,
        profile=device.profile_id,
        presence=device.presence,
        connected=bool(device.connections),
        duplicate_peers=device.duplicate_peers,
        verdict=verdict.status if verdict else "offline",
        reasons=tuple(map(reason_view, verdict.reasons)) if verdict else (),
        last_online_verdict=_verdict_view(device.last_online_verdict),
        facts=device.facts,
        clock_skew_s=device.clock_skew_s,
        last_seq=device.last_seq,
        last_seen=device.last_seen,
        last_seen_iso=iso(device.last_seen),
        first_seen=device.first_seen,
    )


def problems_first(devices: Iterable[Device]) -> list[Device]:
    """Offline, not ready, warning, ready; then by room and hostname."""
    return sorted(
        devices,
        key=lambda d: (
            VERDICT_RANK.get(d.verdict.status if d.verdict else "offline", len(VERDICT_RANK)),
            d.room or "",
            d.hostname or d.device_id,
        ),
    )


def event_view(event: FleetEvent) -> EventView:
    return EventView(
        ts=event.ts, kind=event.kind, device_id=event.device_id, room=event.room, data=event.data
    )


def site_view(site: Site) -> SiteView:
    rooms = tuple(SiteRoom(room=room, profile=site.profile_for(room)) for room in site.rooms)
    return SiteView(name=site.name, default_profile=site.default_profile, rooms=rooms)
