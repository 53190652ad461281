"""Provides `testday runbook run`: a runbook's declared action on lab machines, in waves, logged."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from testday.cli.runbook_targets import EVENT_KIND, HOSTS_FILE_HELP, Group, Target, TargetError
from testday.cli.runbooks import add_arguments as add_runbook_arguments
from testday.cli.runbooks import add_runbooks_option, run_runbook, runbooks_dir

__all__ = ["add_arguments", "run_runbook"]  # the `runbook` command, for testday.cli.main

if TYPE_CHECKING:
    from testday.config.runbooks import Runbook
OSES = ("linux", "macos", "windows")
DESCRIPTION = f"""\
Run one remote action that runbook ID declares, on lab machines over SSH. Only actions declared
in a runbook's front matter can run, exactly as written there.

Where:
  --device D (repeatable: device id or hostname) and/or --room R ask the hub (--hub, with the
  operator secret) for devices; each is reached at the IPv4 address its agent reports
  (network.ipv4), on --port, as --user.
  --host [USER@]ADDRESS[:PORT] (repeatable) names machines directly; their OS is --os, or else
  the only OS the runbook's actions are for.
  --hosts FILE lists machines; --device/--room then pick from it, otherwise all of them.

Which action: the runbook's action for each machine's OS; give --action A when it has several.
Machines of an OS with no action (or not --action's) are left out, and listed.

Safety: host keys must be trusted first (`testday ssh trust HOST`); unknown or changed keys are
refused. What will run where is shown, and the action's question asked, unless --yes. Machines
are done in waves of --wave N, at most --max-connections at once; after a wave the run stops
when more than --max-failures have failed so far, and the rest are reported skipped. A command
still running at the action's timeout_s is cut off and reported as timeout.

Log: each machine's result (who, runbook, action, exact command, host, exit status, output
excerpt) is appended as a "{EVENT_KIND}" event to the event log in the data directory's
database (the device's own log when it came from the hub or a hosts file's device_id). A
running dashboard shows only its hub's live events, so it lists these after the hub restarts.
With --incident ID a note with every machine's result is added to that incident.

Exit status: 0 every machine ok; 1 any machine not ok, or the question answered no; 2 a bad
request (unknown runbook or action, no machines, a bad hosts file, unknown incident).

{HOSTS_FILE_HELP}"""


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Register `runbook`: list and show (testday.cli.runbooks), and run, defined here."""
    add_run(add_runbook_arguments(sub))


def add_run(actions: argparse._SubParsersAction) -> None:
    """Register `run` on the `runbook` actions."""
    run = actions.add_parser(
        "run",
        help="run a runbook's remote action on machines over SSH",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("id", metavar="ID", help="runbook id, e.g. clock-skew")
    where = run.add_argument_group("where")
    where.add_argument("--device", action="append", metavar="D", help="device id or hostname")
    where.add_argument("--room", metavar="R", help="every device of this room")
    where.add_argument("--host", action="append", metavar="[USER@]ADDRESS[:PORT]", help="a machine")
    where.add_argument("--hosts", dest="hosts_file", type=Path, metavar="FILE", help="hosts file")
    where.add_argument("--os", choices=OSES, help="OS of --host machines (and hosts without os)")
    run.add_argument("--action", metavar="A", help="the action's id, when the runbook has several")
    run.add_argument("--yes", action="store_true", help="do not ask before running")
    run.add_argument("--wave", type=_positive, default=5, metavar="N", help="machines per wave (5)")
    run.add_argument(
        "--max-failures", type=_count, default=2, metavar="N", help="failures tolerated (2)"
    )
    run.add_argument(
        "--max-connections",
        type=_positive,
        default=10,
        metavar="N",
        help="machines connected at once (10)",
    )
    run.add_argument(
        "--connect-timeout",
        type=seconds_arg,
        default=10.0,
        metavar="S",
        help="seconds to connect (10)",
    )
    run.add_argument(
        "--user", default=getpass.getuser(), metavar="U", help="SSH user (default: yours)"
    )
    run.add_argument("--port", type=int, default=22, metavar="N", help="SSH port (default 22)")
    run.add_argument(
        "--key", type=Path, action="append", metavar="FILE", help="SSH private key (repeatable)"
    )
    run.add_argument("--incident", metavar="ID", help="also note the results on this incident")
    run.add_argument(
        "--by", metavar="NAME", help="who runs it, for the log (default: your user name)"
    )
    run.add_argument(
        "--hub", metavar="URL", help="hub address ($TESTDAY_HUB; default http://127.0.0.1:8765)"
    )
    run.add_argument(
        "--console-token", metavar="SECRET", help="operator secret ($TESTDAY_CONSOLE_TOKEN)"
    )
    run.add_argument("--data", type=Path, metavar="DIR", help="data directory ($TESTDAY_DATA)")
    add_runbooks_option(run)
    run.set_defaults(runbook_handler=run_runbook_run)


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 or more")
    return value


def seconds_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r}: give more than 0 seconds")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give 0 or more")
    return value


class BadRequest(Exception):
    """Exit 2 with this message."""


def plan(
    book: Runbook, action_id: str | None, targets: list[Target]
) -> tuple[list[Group], list[str]]:
    """(groups to run, machines left out and why); BadRequest when nothing fits the request."""
    from testday.remote.actions import ActionError, check_action_id, resolve_each

    try:
        check_action_id(book, action_id)
    except ActionError as exc:
        raise BadRequest(str(exc)) from None
    declared = {a.os for a in book.actions if action_id in (None, a.id)}
    guess = next(iter(declared)) if len(declared) == 1 else None
    if any(t.os_family is None for t in targets) and guess is None:
        systems = ", ".join(sorted(declared))
        raise BadRequest(
            f"give --os ({'|'.join(OSES)}): runbook {book.id!r} has actions for {systems}"
        )
    unique: dict[tuple[str, int], Target] = {}
    for t in targets:  # a machine named twice (by id and by hostname) runs the command once
        unique.setdefault((t.host.address, t.host.port), t)
    targets = [
        t if t.os_family else Target(t.host, guess, t.device_id, t.room) for t in unique.values()
    ]
    try:
        chosen, refused = resolve_each(
            {book.id: book}, book.id, action_id, [t.os_family or "" for t in targets]
        )
    except ActionError as exc:
        raise BadRequest(str(exc)) from None
    groups = [Group(a, [t for t in targets if t.os_family == os]) for os, a in chosen.items()]
    left_out = [
        f"{t.host.name}: {refused[t.os_family or '']}" for t in targets if t.os_family in refused
    ]
    return [g for g in groups if g.targets], left_out


def run_runbook_run(args: argparse.Namespace) -> int:
    from testday.cli.main import default_data_dir
    from testday.cli.runbook_targets import gather
    from testday.config.runbooks import RunbookError, load_runbook, runbook_ids

    data_dir = args.data or default_data_dir()
    directory = runbooks_dir(args)
    try:
        try:
            book = load_runbook(directory, args.id)
        except KeyError:
            known = ", ".join(runbook_ids(directory)) or "none"
            raise BadRequest(f"no runbook {args.id!r} in {directory} (runbooks: {known})") from None
        targets, left_out = gather(args, data_dir)
        groups, refused = plan(book, args.action, targets)
    except (BadRequest, TargetError, RunbookError) as exc:
        print(f"testday runbook run: {exc}", file=sys.stderr)
        return 2
    left_out += refused
    if not groups:
        for line in left_out:
            print(f"  not run: {line}", file=sys.stderr)
        print("testday runbook run: no machine to run on", file=sys.stderr)
        return 2
    from testday.cli.runbook_exec import run_groups

    return asyncio.run(run_groups(args, data_dir, book, groups, left_out))
