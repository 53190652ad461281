"""Provides the `testday` command; each subcommand loads its module only when it is the one run.

`testday --help` and a mistyped command must answer at once, so this module imports no command:
the table below names each one's module, and only the chosen module adds its options and runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NamedTuple

from testday import __version__
from testday.config.files import default_data_dir


class Command(NamedTuple):
    help: str  # the line `testday --help` lists it with
    module: str  # under testday.cli: has add_arguments(subparsers) and the runner
    run: str  # the runner: run(args) or, with data, run(args, data_dir)
    data: bool = True  # whether the runner takes the data directory


COMMANDS: dict[str, Command] = {
    "serve": Command("run the school's hub (agents and dashboards connect to it)",
                     "serve", "run_serve"),
    "console": Command("the live dashboard (attached to a hub, or with one embedded)",
                       "console", "run_console"),
    "demo": Command("the dashboard with an embedded hub and a simulated fleet",
                    "demo", "run_demo", data=False),
    "devices": Command("print the live fleet, problems first", "devices", "run_devices"),
    "network": Command("network health per room, and the access points, switches and UPSes "
                       "watched", "network", "run_network"),
    "session": Command("testing sessions: plan, run and review", "sessions", "run_sessions"),
    "incident": Command("the incident log", "incidents", "run_incidents"),
    "export": Command("export incidents as CSV (bulk upload), JSON (everything, with hashes) "
                      "or PDF", "incidents", "run_incidents"),
    "verify": Command("check the incident hash chain (live database or a JSON export)",
                      "incidents", "run_incidents"),
    "profiles": Command("testing-platform profiles: validate and list", "profiles",
                        "run_profiles", data=False),
    "runbook": Command("the runbooks: what to do about each problem", "runbook_run",
                       "run_runbook", data=False),
    "deploy": Command("install and start the agent on lab machines over SSH", "deploy",
                      "run_deploy"),
    "ssh": Command("SSH host keys testday trusts for remote work", "ssh_trust", "run_ssh"),
}  # fmt: skip


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named on the line: the first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser for ``argv``: the chosen command's module adds its own options; every other
    command is listed by its help line alone."""
    parser = argparse.ArgumentParser(
        prog="testday",
        description="Operations console for a school's online testing day: is every testing "
        "device in every room ready, and what to do when one is not.",
    )
    parser.add_argument("--version", action="version", version=f"testday {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = COMMANDS.get(chosen_command(argv) or "")
    if chosen is not None:
        module = importlib.import_module(f"testday.cli.{chosen.module}")
        module.add_arguments(sub)
    for name, command in COMMANDS.items():
        if chosen is None or command.module != chosen.module:
            sub.add_parser(name, help=command.help)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    command = COMMANDS[args.command]
    run = getattr(importlib.import_module(f"testday.cli.{command.module}"), command.run)
    try:
        if command.data:
            return int(run(args, getattr(args, "data", None) or default_data_dir()))
        return int(run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
