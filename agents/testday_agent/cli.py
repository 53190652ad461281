"""Provides the `testday-agent` command line: run as a service, or collect once and print.

Only the options are read here; the service's modules (collectors, websockets) load once they
are parsed, so `--help` and `--version` answer at once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tomllib
from pathlib import Path

import msgspec

from testday_agent import __version__


class FileConfig(msgspec.Struct, forbid_unknown_fields=True):
    """What an agent config file (TOML) may set; flags and environment win over it."""

    hub: str | None = None
    token: str | None = None
    room: str | None = None
    asset_tag: str | None = None
    interval: float | None = None
    state_dir: str | None = None


def default_state_dir() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "testday-agent"
    if sys.platform == "darwin":
        return Path("/Library/Application Support/testday-agent")
    if os.geteuid() == 0:
        return Path("/var/lib/testday-agent")
    return Path.home() / ".local/state/testday-agent"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="testday-agent",
        description="Report this testing device's readiness (battery, kiosk app, network) to a "
        "testday hub. Reports are spooled on disk while the hub is unreachable.",
        epilog="Environment: TESTDAY_HUB, TESTDAY_AGENT_TOKEN, TESTDAY_ROOM. "
        "Example: testday-agent --hub ws://10.0.0.5:8765 --room 112",
    )
    parser.add_argument("--hub", help="hub address, e.g. ws://hub.school.lan:8765")
    parser.add_argument("--token", help="site enrollment secret (needed only the first time)")
    parser.add_argument("--room", help="room this device is in (a hint the hub may override)")
    parser.add_argument("--asset-tag", help="the district's asset tag for this device")
    parser.add_argument("--interval", type=float, help="seconds between reports (default: hub's)")
    parser.add_argument("--state-dir", type=Path, help="where identity, key and spool are kept")
    parser.add_argument("--config", type=Path, help="TOML file with any of the options above")
    parser.add_argument("--once", action="store_true", help="collect once, print, and exit")
    parser.add_argument("--json", action="store_true", help="with --once: print JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every connection step")
    parser.add_argument("--version", action="version", version=f"testday-agent {__version__}")
    return parser.parse_args(argv)


def load_file_config(path: Path | None) -> FileConfig:
    if path is None:
        return FileConfig()
    try:
        return msgspec.convert(tomllib.loads(path.read_text()), FileConfig)
    except OSError as exc:
        raise SystemExit(f"testday-agent: cannot read config {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SystemExit(f"testday-agent: {path}: not valid TOML: {exc}") from None
    except msgspec.ValidationError as exc:
        raise SystemExit(f"testday-agent: {path}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s testday-agent %(levelname)s %(message)s",
    )
    file = load_file_config(args.config)
    state_dir = args.state_dir or (Path(file.state_dir) if file.state_dir else default_state_dir())
    from testday_agent.collectors.system import os_family, os_version
    from testday_agent.identity import load_device_key
    from testday_agent.runner import AgentOptions
    from testday_agent.service import collect_once, run_service

    if args.once:
        return asyncio.run(collect_once(state_dir, args.json))
    hub = args.hub or os.environ.get("TESTDAY_HUB") or file.hub
    if not hub:
        print(
            "testday-agent: no hub given: use --hub ws://HOST:PORT or set TESTDAY_HUB",
            file=sys.stderr,
        )
        return 2
    if not hub.startswith(("ws://", "wss://")):
        print(f"testday-agent: --hub must start with ws:// or wss://, got {hub!r}", file=sys.stderr)
        return 2
    token = args.token or os.environ.get("TESTDAY_AGENT_TOKEN") or file.token
    if not token and load_device_key(state_dir) is None:
        print(
            "testday-agent: this device has no key yet and no enrollment secret was given: pass "
            "--token or set TESTDAY_AGENT_TOKEN (the site secret `testday serve` printed, once)",
            file=sys.stderr,
        )
        return 2
    options = AgentOptions(
        hub_url=hub,
        token=token,
        state_dir=state_dir,
        room=args.room or os.environ.get("TESTDAY_ROOM") or file.room,
        asset_tag=args.asset_tag or file.asset_tag,
        interval_s=args.interval or file.interval,
        hostname=_hostname(),
        os_family=os_family(),
        os_version=os_version(),
    )
    return asyncio.run(run_service(options))


def _hostname() -> str:
    import socket

    return socket.gethostname()


if __name__ == "__main__":
    sys.exit(main())
