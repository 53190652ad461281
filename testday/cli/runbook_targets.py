"""Provides the machines `testday runbook run` targets: from --host, a hosts file, or the hub."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec

from testday.cli.deploy import parse_target
from testday.cli.devices import hub_devices
from testday.cli.hub_api import HubApiError
from testday.console_protocol.device_views import DeviceView
from testday.core.strict_toml import ConfigError, convert, load_toml

if TYPE_CHECKING:  # asyncssh loads only when a run starts, not with every `testday` command
    from testday.config.runbooks import RunbookAction
    from testday.remote.ssh_connect import RemoteHost

HOSTS_FILE_HELP = """\
Hosts file (--hosts FILE), TOML, one table per machine:
  [[hosts]]
  name = "lab-01"            # how you call it; --device matches it (or device_id)
  address = "10.0.12.31"
  port = 22                  # optional (default: --port)
  user = "admin"             # optional (default: --user)
  os = "linux"               # linux | macos | windows (default: --os)
  room = "112"               # optional; --room matches it
  device_id = "3f9c…"        # optional: the hub's id, so the run lands in that device's log
"""


EVENT_KIND = "remote.action"  # each machine's result, in the event log


class TargetError(Exception):
    """The machines cannot be worked out from the options; the message says why."""


@dataclass(frozen=True)
class Target:
    """A machine to run on: how to reach it, its OS, and where its runs are logged."""

    host: RemoteHost
    os_family: str | None
    device_id: str | None = None
    room: str | None = None


@dataclass
class Group:
    """The machines of one OS and the action they get."""

    action: RunbookAction
    targets: list[Target]


class _HostEntry(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    address: str
    port: int | None = None
    user: str | None = None
    os: Literal["linux", "macos", "windows"] | None = None
    room: str | None = None
    device_id: str | None = None


class _HostsFile(msgspec.Struct, forbid_unknown_fields=True):
    hosts: list[_HostEntry] = []


def read_hosts_file(path: Path, user: str, port: int) -> list[Target]:
    """Every ``[[hosts]]`` entry of ``path``; a bad file raises TargetError naming the field."""
    from testday.remote.ssh_connect import RemoteHost

    try:
        text = path.read_text(encoding="utf-8")
        data = convert(load_toml(text, str(path), ConfigError), str(path), _HostsFile, ConfigError)
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetError(f"{path}: cannot read: {exc}") from None
    except ConfigError as exc:
        raise TargetError(str(exc)) from None
    return [
        Target(
            RemoteHost(e.name, e.address, e.port or port, e.user or user), e.os, e.device_id, e.room
        )
        for e in data.hosts
    ]


def from_device(device: DeviceView, user: str, port: int) -> Target | str:
    """A hub device (from ``/api/devices``) as a target, or why it cannot be one."""
    from testday.remote.ssh_connect import RemoteHost

    facts = device.facts
    system = facts.system if facts else None
    os_family = device.os.family or (system.os_family if system else None)
    address = facts.network.ipv4 if facts and facts.network else None
    if not address:
        why = "the hub knows no address for it (no network.ipv4 reported); use --host"
        return f"{device.name}: {why}"
    return Target(RemoteHost(device.name, address, port, user), os_family, device.id, device.room)


def _selected(target: Target, devices: list[str], room: str | None) -> bool:
    wanted = not devices or target.host.name in devices or target.device_id in devices
    return wanted and (room is None or target.room == room)


def gather(args: argparse.Namespace, data_dir: Path) -> tuple[list[Target], list[str]]:
    """(targets, machines left out and why) from the options; TargetError for a bad request."""
    devices: list[str] = args.device or []
    if args.host and (devices or args.room or args.hosts_file):
        raise TargetError("--host names machines itself: give it without --device/--room/--hosts")
    if args.host:
        try:
            hosts = [parse_target(h, args.user, args.port) for h in args.host]
        except ValueError as exc:
            raise TargetError(str(exc)) from None
        return [Target(h, args.os) for h in hosts], []
    if args.hosts_file:
        found = read_hosts_file(args.hosts_file, args.user, args.port)
        chosen = [t for t in found if _selected(t, devices, args.room)]
        missing = [d for d in devices if all(d not in (t.host.name, t.device_id) for t in found)]
        if missing:
            raise TargetError(f"not in {args.hosts_file}: {', '.join(missing)}")
        return [
            t if t.os_family else Target(t.host, args.os, t.device_id, t.room) for t in chosen
        ], []
    if not devices and not args.room:
        raise TargetError("say where: --device D, --room R, --host ADDRESS or --hosts FILE")
    try:
        listed = hub_devices(args, data_dir, args.room)
    except HubApiError as exc:
        raise TargetError(str(exc)) from None
    picked = [d for d in listed if not devices or d.id in devices or d.hostname in devices]
    missing = [d for d in devices if all(d not in (x.id, x.hostname) for x in listed)]
    if missing:
        where = f" in room {args.room}" if args.room else ""
        raise TargetError(f"the hub knows no device {', '.join(missing)}{where}")
    targets: list[Target] = []
    left_out: list[str] = []
    for device in picked:
        made = from_device(device, args.user, args.port)
        if isinstance(made, str):
            left_out.append(made)
        else:
            targets.append(made)
    return targets, left_out
