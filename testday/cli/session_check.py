"""Provides `testday session check ID`: the live readiness sweep of a session's rooms."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from testday.cli.devices import hub_devices
from testday.cli.hub_api import HubApiError
from testday.config.files import DATABASE_FILE
from testday.config.profiles import default_profiles_dir, load_profiles
from testday.console_protocol.device_views import DeviceView
from testday.core.fleet import Device
from testday.core.presentation import day_minute, label
from testday.core.readiness_sweep import SweepResult, sweep
from testday.core.sessions import Session, SessionError
from testday.store.database import Store
from testday.store.session_store import SessionStore


def run_check(args: argparse.Namespace, data_dir: Path) -> int:
    """Sweep the session's rooms on a live hub: 0 ready, 1 something to fix, 2 cannot check."""
    try:
        session = asyncio.run(_load_session(data_dir, args.id))
    except SessionError as exc:
        print(f"testday session check: {exc}", file=sys.stderr)
        return 2
    try:
        profiles = load_profiles(args.profiles or default_profiles_dir())
    except Exception as exc:  # a broken profile folder: say which, do not trace back
        print(f"testday session check: cannot load profiles: {exc}", file=sys.stderr)
        return 2
    profile = profiles.get(session.profile_id)
    if profile is None:
        known = ", ".join(sorted(profiles)) or "none"
        print(
            f"testday session check: {session.id} uses profile {session.profile_id!r}, "
            f"which is not among the profiles ({known})",
            file=sys.stderr,
        )
        return 2
    try:
        devices = hub_devices(args, data_dir)
    except HubApiError as exc:
        print(f"testday session check: {exc}", file=sys.stderr)
        return 2
    result = sweep(session, profile, devices_by_room(devices), time.time())
    print(json.dumps(_sweep_json(result), indent=2) if args.json else _sweep_text(result))
    return 0 if result.ready else 1


async def _load_session(data_dir: Path, session_id: str) -> Session:
    path = data_dir / DATABASE_FILE
    if not path.exists():
        raise SessionError(f"no session {session_id!r} (no database at {path})")
    store = await Store.open(path)
    try:
        return await SessionStore(store).get(session_id)
    finally:
        await store.close()


def device_from_view(view: DeviceView) -> Device:
    """Rebuild what the sweep needs of one device from the hub's /api/devices view."""
    return Device(
        device_id=view.id,
        first_seen=view.first_seen,
        hostname=view.hostname,
        room=view.room,
        asset_tag=view.asset_tag,
        os_family=view.os.family,
        os_version=view.os.version,
        agent_version=view.agent_version,
        last_seen=view.last_seen,
        facts=view.facts,
        clock_skew_s=view.clock_skew_s,
        presence=view.presence,
        # The hub lists every live connection's peer only when two or more share the identity.
        connections={str(i): peer for i, peer in enumerate(view.duplicate_peers)},
    )


def devices_by_room(views: Iterable[DeviceView]) -> dict[str, list[Device]]:
    rooms: dict[str, list[Device]] = {}
    for view in views:
        if view.room:
            rooms.setdefault(view.room, []).append(device_from_view(view))
    return rooms


def _label(fix: Any) -> str:
    name = fix.hostname or fix.device_id
    extra = [x for x in (fix.asset_tag and f"asset {fix.asset_tag}", fix.student) if x]
    return f"{name} ({', '.join(extra)})" if extra else name


def _sweep_text(result: SweepResult) -> str:
    counts = result.counts
    verdict = "READY" if result.ready else "NOT READY"
    lines = [
        f"{result.session_id}: {verdict} (batteries judged to {day_minute(result.until)})",
        "  " + ", ".join(f"{n} {label(s)}" for s, n in counts.items()),
    ]
    for room in result.rooms:
        must = room.must_fix
        lines.append(
            f"room {room.room}: {room.total} devices, {room.counts.get('ready', 0)} ready, "
            f"{len(must)} must fix"
        )
        if not room.total:
            lines.append("  no devices seen in this room")
        for fix in room.fixes:
            tag = "MUST FIX" if fix.blocking else "check"
            lines.append(f"  {tag}  {_label(fix)}: {label(fix.status)}")
            for reason in fix.reasons:
                lines.append(f"    - {reason.message}  [runbook: {reason.runbook}]")
    if result.unseen_roster:
        lines.append("rostered devices not seen in the session's rooms:")
        for student, device in result.unseen_roster:
            lines.append(f"  MUST FIX  {device} ({student})")
    lines.append(f"{len(result.must_fix) + len(result.unseen_roster)} must be fixed")
    return "\n".join(lines)


def _sweep_json(result: SweepResult) -> dict[str, Any]:
    return {
        "session": result.session_id,
        "checked_at": result.checked_at,
        "until": result.until,
        "ready": result.ready,
        "counts": result.counts,
        "must_fix": len(result.must_fix) + len(result.unseen_roster),
        "rooms": [
            {
                "room": room.room,
                "total": room.total,
                "counts": dict(room.counts),
                "fixes": [
                    {
                        "device": fix.device_id,
                        "hostname": fix.hostname,
                        "asset_tag": fix.asset_tag,
                        "student": fix.student,
                        "status": fix.status,
                        "must_fix": fix.blocking,
                        "reasons": [asdict(r) for r in fix.reasons],
                    }
                    for fix in room.fixes
                ],
            }
            for room in result.rooms
        ],
        "unseen_roster": [{"student": s, "device": d} for s, d in result.unseen_roster],
    }
