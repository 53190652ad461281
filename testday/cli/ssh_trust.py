"""Provides `testday ssh trust HOST`: see a machine's host key fingerprint, then record it."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from testday.cli.runbook_exec import ask
from testday.cli.runbook_run import seconds_arg

DESCRIPTION = """\
Connect to HOST, print the host key it presents (type and SHA256 fingerprint) and, once you
say yes (or with --yes), record it in testday's own known_hosts file in the data directory.
testday's remote actions and deploy connect only to machines whose key is recorded there.

Compare the fingerprint with the machine's own before saying yes: on the machine,
  ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub
When a different key is already recorded (the machine was reinstalled, or something is in
the way) the old fingerprint is shown too, and yes replaces it.

Exit status: 0 the key is trusted (now or already); 1 not trusted (answered no, or the machine
could not be reached); 2 a bad HOST.
"""


def add_arguments(sub: argparse._SubParsersAction) -> None:
    ssh = sub.add_parser("ssh", description="SSH host keys testday trusts for remote work.")
    actions = ssh.add_subparsers(dest="ssh_command", metavar="ACTION", required=True)
    trust = actions.add_parser(
        "trust",
        help="show a machine's host key fingerprint and record it as trusted",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    trust.add_argument(
        "host", metavar="HOST", help="ADDRESS or ADDRESS:PORT ([v6]:port; a USER@ is ignored)"
    )
    trust.add_argument("--port", type=int, default=22, metavar="N", help="SSH port (default 22)")
    trust.add_argument("--yes", action="store_true", help="trust without asking")
    trust.add_argument(
        "--timeout", type=seconds_arg, default=10.0, metavar="S", help="seconds to wait for it (10)"
    )
    trust.add_argument("--data", type=Path, metavar="DIR", help="data directory ($TESTDAY_DATA)")


def run_ssh(args: argparse.Namespace, data_dir: Path) -> int:
    import asyncssh

    from testday.cli.deploy import parse_target
    from testday.remote.ssh_connect import (
        RemoteError,
        fingerprint,
        known_hosts_path,
        server_key,
        trust,
        trusted_keys,
    )

    try:
        host = parse_target(args.host, "-", args.port)
    except ValueError as exc:
        print(f"testday ssh trust: {exc}", file=sys.stderr)
        return 2
    path = known_hosts_path(data_dir)
    try:
        key = asyncio.run(server_key(host, args.timeout))
    except RemoteError as exc:
        print(f"testday ssh trust: {exc}", file=sys.stderr)
        return 1
    print(f"{host.pattern} presents an {key.get_algorithm()} key")
    print(f"  {fingerprint(key)}")
    line = key.export_public_key("openssh").decode().split()
    recorded = trusted_keys(path, host)
    if f"{line[0]} {line[1]}" in recorded:
        print(f"already trusted (in {path})")
        return 0
    for old in recorded:
        try:
            was = fingerprint(asyncssh.import_public_key(old))
        except (asyncssh.KeyImportError, ValueError):
            was = "(unreadable entry)"
        print(
            f"WARNING: a different key is recorded for {host.pattern}: {was}\n"
            "  The machine was reinstalled, or something is in the way: check with its owner."
        )
    if not args.yes and not ask(f"Trust this key for {host.pattern}?"):
        print("not trusted: nothing recorded")
        return 1
    trust(path, host, key)
    print(f"trusted: recorded in {path}")
    return 0
