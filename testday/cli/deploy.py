"""Provides `testday deploy`: install the agent on lab machines over SSH, with a result per host."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import ipaddress
import os
import sys
import tempfile
import tomllib
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from testday.cli.devices import fetch_devices
from testday.cli.hub_api import console_token, http_base
from testday.config.files import SECRETS_FILE
from testday.remote.deploy_steps import DEFAULT_REMOTE_DIR

if TYPE_CHECKING:
    from testday.remote.deploy import HostResult
    from testday.remote.ssh_connect import RemoteHost

DESCRIPTION = f"""\
Install the testday agent on lab machines over SSH and start it, then check that it reports
to the hub. Safe to run again: a host where the same agent already runs with the same
settings is left untouched ("unchanged"); a newer agent is installed in place and restarted.

Per host: connect (its host key must be trusted first: `testday ssh trust HOST`), check for
Linux or macOS and python3 3.11+, upload the agent and its dependencies as wheels (SFTP) to
REMOTE_DIR/dist, install them into REMOTE_DIR/venv with pip offline, write REMOTE_DIR/agent.toml
(hub, enrollment secret, room; mode 0600), start the agent, and wait until the hub lists it
as connected. REMOTE_DIR is {DEFAULT_REMOTE_DIR} unless --remote-dir says otherwise.

The service: systemd on Linux, launchd on macOS (as root, or through passwordless sudo). On a
host without a running service manager (a container, a test host) deploy says so; with
--no-service the agent runs as a plain background process instead (REMOTE_DIR/agent.pid,
REMOTE_DIR/agent.log), which does not survive a reboot.

Wheels and their limit: nothing is downloaded. The agent's wheel is built from the agent
installed beside this testday, and its dependencies (psutil, websockets, msgspec) are
repacked from this machine's installed copies, so a host needs the same OS and CPU as this
machine, and for msgspec and websockets the same Python minor version. For other hosts,
collect wheels on a connected machine, e.g.
  pip download --only-binary=:all: --python-version 3.12 --platform macosx_11_0_arm64 \\
      -d wheels psutil websockets msgspec
and pass --wheelhouse wheels; pip on each host picks the ones that fit.

Result per host: installed, upgraded (another agent was there), restarted (same agent, new
settings, or it was not running), unchanged, or failed with the step and the host's message.
Hosts file: one host per line, `[user@]address[:port] [name]`; # starts a comment.
Exit status: 0 when every host is ok, 1 when any failed, 2 on a usage error.
"""


def add_arguments(sub: argparse._SubParsersAction) -> None:
    deploy = sub.add_parser(
        "deploy",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    deploy.add_argument("hosts", nargs="*", metavar="HOST", help="[user@]address[:port]")
    deploy.add_argument(
        "--hosts", dest="hosts_file", type=Path, metavar="FILE", help="file listing the hosts"
    )
    deploy.add_argument(
        "--hub", help="hub address the agents use ($TESTDAY_HUB), e.g. ws://10.0.0.5:8765"
    )
    deploy.add_argument("--room", help="room the agents report in (the hub may override it)")
    deploy.add_argument(
        "--token",
        help="site enrollment secret ($TESTDAY_AGENT_TOKEN; default: the local hub's data dir)",
    )
    deploy.add_argument(
        "--console-token",
        help="operator secret, to see the agents on the hub ($TESTDAY_CONSOLE_TOKEN; default: "
        "the local hub's data directory)",
    )
    deploy.add_argument("--user", default=getpass.getuser(), help="SSH user (default: yours)")
    deploy.add_argument("--key", type=Path, action="append", help="SSH private key (repeatable)")
    deploy.add_argument("--port", type=int, default=22, help="SSH port (default 22)")
    deploy.add_argument(
        "--python", default="python3", help="Python 3.11+ on the hosts (default python3)"
    )
    deploy.add_argument(
        "--remote-dir",
        default=DEFAULT_REMOTE_DIR,
        help=f"install folder on the hosts; {{host}} is replaced by the host's name "
        f"(default {DEFAULT_REMOTE_DIR})",
    )
    deploy.add_argument(
        "--wheelhouse", type=Path, metavar="DIR", help="folder of extra wheels for other hosts"
    )
    deploy.add_argument(
        "--no-service", action="store_true", help="run the agent as a background process"
    )
    deploy.add_argument("--no-verify", action="store_true", help="do not wait for the hub")
    deploy.add_argument("--parallel", type=int, default=10, help="hosts at a time (default 10)")
    deploy.add_argument("--data", type=Path, default=None, help="testday's data directory")


def parse_target(text: str, user: str, port: int, name: str | None = None) -> RemoteHost:
    """``[user@]address[:port]``; an IPv6 address with a port is written ``[addr]:port``."""
    from testday.remote.ssh_connect import RemoteHost

    if "@" in text:
        user, text = text.rsplit("@", 1)
    address = text
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif text.count(":") == 1:
        address, number = text.split(":")
        port = int(number)
    if not address:
        raise ValueError(f"no address in {text!r}")
    return RemoteHost(name or address, address, port, user)


def read_hosts(path: Path, user: str, port: int) -> list[RemoteHost]:
    targets = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) > 2:
            raise ValueError(f"{path}:{number}: expected `[user@]address[:port] [name]`")
        targets.append(parse_target(words[0], user, port, words[1] if len(words) > 1 else None))
    return targets


def agent_token(args: argparse.Namespace, data_dir: Path) -> str | None:
    token = args.token or os.environ.get("TESTDAY_AGENT_TOKEN")
    if token:
        return token
    try:
        return tomllib.loads((data_dir / SECRETS_FILE).read_text()).get("agent_token")
    except (OSError, tomllib.TOMLDecodeError):
        return None


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def _fail(message: str) -> int:
    print(f"testday deploy: {message}", file=sys.stderr)
    return 2


def run_deploy(args: argparse.Namespace, data_dir: Path) -> int:
    from testday.cli.deploy_output import Progress, result_table
    from testday.remote.deploy import DeployPlan, deploy_all
    from testday.remote.ssh_connect import known_hosts_path
    from testday.remote.wheelhouse import WheelError, build_wheelhouse

    try:
        targets = [parse_target(h, args.user, args.port) for h in args.hosts]
        if args.hosts_file:
            targets += read_hosts(args.hosts_file, args.user, args.port)
    except (OSError, ValueError) as exc:
        return _fail(str(exc))
    if not targets:
        return _fail("no hosts: name them, or give --hosts FILE")
    names = [t.name for t in targets]
    if twice := sorted({n for n in names if names.count(n) > 1}):
        return _fail(f"listed more than once: {', '.join(twice)}")
    if args.wheelhouse and not args.wheelhouse.is_dir():
        return _fail(f"--wheelhouse {args.wheelhouse}: no such folder")
    hub = args.hub or os.environ.get("TESTDAY_HUB")
    if not hub:
        return _fail("no hub: give --hub ws://HUB:PORT (the address the lab machines reach)")
    base = http_base(hub)
    hub_ws = "ws" + base[len("http") :]
    hub_host = urllib.parse.urlsplit(base).hostname or ""
    if _is_loopback(hub_host) and not all(_is_loopback(t.address) for t in targets):
        return _fail(f"{hub_ws} is this machine only; give the hub's address on the lab network")
    token = agent_token(args, data_dir)
    if not token:
        return _fail("no enrollment secret: give --token or set TESTDAY_AGENT_TOKEN")
    secret = console_token(args, data_dir)
    if secret is None and not args.no_verify:
        return _fail("no operator secret to check the hub: --console-token, or --no-verify")

    async def connected(device_id: str) -> bool:
        devices = await asyncio.to_thread(fetch_devices, hub, secret)
        return any(d.id == device_id and d.connected for d in devices)

    with tempfile.TemporaryDirectory(prefix="testday-deploy-") as folder:
        try:
            agent, wheels = build_wheelhouse(Path(folder))
        except WheelError as exc:
            return _fail(str(exc))
        if args.wheelhouse:  # a wheel there replaces a repacked one of the same name
            extra = {w.name: w for w in args.wheelhouse.glob("*.whl")}
            wheels = sorted([w for w in wheels if w.name not in extra] + list(extra.values()))
        plan = DeployPlan(
            known_hosts=known_hosts_path(data_dir),
            agent_wheel=agent,
            wheels=wheels,
            hub_ws=hub_ws,
            token=token,
            room=args.room,
            remote_dir=args.remote_dir,
            python=args.python,
            service=not args.no_service,
            client_keys=args.key,
            connected=None if args.no_verify else connected,
        )
        print(f"deploying {agent.name} to {len(targets)} host(s), hub {hub_ws}")
        progress = Progress(len(targets))
        results: list[HostResult] = asyncio.run(
            deploy_all(targets, plan, args.parallel, progress.done)
        )
    print()
    print(result_table(results))
    return 0 if all(r.ok for r in results) else 1
