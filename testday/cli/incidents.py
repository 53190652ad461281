"""Provides `testday verify`, `testday export` and `testday incident add` on the incident chain."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from testday.cli import incident_edit
from testday.cli.local_data import (
    LocalDataError,
    database_to_read,
    database_to_write,
    output_file,
)
from testday.core.incident_fields import CATEGORIES, SEVERITIES, IncidentFieldError, TimedLine
from testday.core.incidents import Incident, IncidentError, IncidentLog
from testday.reports.verify_export import verify_entries, verify_export
from testday.store.database import Store
from testday.store.incident_store import ChainBrokenError, ChainConflictError, IncidentStore
from testday.store.session_store import SessionStore

# Names in stored events were allowed when they were written; replaying must not refuse them.
REPLAY_NAMES = True


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Register the verify, export and incident subcommands on the top-level parser."""
    data_help = "data directory (default: $TESTDAY_DATA or ~/.local/share/testday)"
    verify = sub.add_parser(
        "verify",
        description="Check every link of the incident hash chain, and that each incident's state "
        "equals the fold of its events. Exit 1 and name the first entry that does not match.",
    )
    source = verify.add_mutually_exclusive_group()
    source.add_argument("file", nargs="?", type=Path, metavar="FILE.json", help="a JSON export")
    source.add_argument("--data", type=Path, default=None, help=data_help)

    export = sub.add_parser(
        "export",
        description="Export every incident. CSV: one row per affected student per incident, "
        "with documented, stable columns. JSON: states, events and chain hashes; check it with "
        "`testday verify FILE.json`. PDF: a printable report per session with its timeline, "
        "each incident and signature lines. Files are created readable by their owner only.",
    )
    export.add_argument("--format", required=True, choices=("csv", "json", "pdf"))
    export.add_argument(
        "--session", default=None, metavar="ID", help="only this session's incidents (csv, pdf)"
    )
    export.add_argument(
        "--from",
        dest="from_date",
        type=_date_arg,
        default=None,
        metavar="DATE",
        help="only incidents that occurred on or after this day, YYYY-MM-DD (csv, pdf)",
    )
    export.add_argument(
        "--to",
        dest="to_date",
        type=_date_arg,
        default=None,
        metavar="DATE",
        help="only incidents that occurred on or before this day, YYYY-MM-DD (csv, pdf)",
    )
    export.add_argument("--out", required=True, type=Path, help="file to write (replaced whole)")
    export.add_argument("--data", type=Path, default=None, help=data_help)

    incident = sub.add_parser(
        "incident",
        description="The incident log: review and complete "
        "irregularity reports before export; every change is appended.",
    )
    actions = incident.add_subparsers(dest="incident_command", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="log an incident by hand",
        description="Append a new incident (a `created` event) to the hash-chained log; the "
        "description becomes the first line of its sequence of events.",
    )
    add.add_argument("--data", type=Path, default=None, help=data_help)
    add.add_argument("--category", required=True, choices=tuple(CATEGORIES))
    add.add_argument("--subcategory", required=True, help="e.g. device_lost, network_outage")
    add.add_argument("--severity", required=True, choices=SEVERITIES)
    add.add_argument("--room", required=True)
    add.add_argument("--device", action="append", default=[], help="device id (repeatable)")
    add.add_argument("--student", action="append", default=[], help="state ID (repeatable)")
    add.add_argument("--description", required=True, help="what happened, in a sentence or two")
    add.add_argument("--by", default=None, help="who logs it (default: your user name)")
    incident_edit.add_actions(actions, data_help)


def run_incidents(args: argparse.Namespace, data_dir: Path) -> int:
    """Run verify, export or incident add; returns the exit code."""
    if args.command == "verify" and args.file is not None:
        if not args.file.is_file():
            print(f"error: {args.file}: no such file (a JSON export to check)", file=sys.stderr)
            return 2
        check = verify_export(args.file)
        print(check.describe(), file=sys.stdout if check.ok else sys.stderr)
        return 0 if check.ok else 1
    existing = args.command != "incident" or incident_edit.needs_database(args)
    try:
        # Opening would create an empty database: verify would "pass", an edit find nothing.
        db_path = database_to_read(data_dir) if existing else database_to_write(data_dir)
        if args.command == "export":
            output_file(args.out)
    except LocalDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run_on_store(args, db_path))
    except ChainBrokenError as exc:
        print(f"{exc}; run `testday verify` for details", file=sys.stderr)
        return 1
    except (IncidentError, IncidentFieldError, ChainConflictError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


async def _run_on_store(args: argparse.Namespace, db_path: Path) -> int:
    store = await Store.open(db_path)
    try:
        incidents = IncidentStore(store)
        if args.command == "verify":
            check = verify_entries(await incidents.load())
            print(check.describe(), file=sys.stdout if check.ok else sys.stderr)
            return 0 if check.ok else 1
        log = await incidents.load_log(names_allowed=REPLAY_NAMES)
        if args.command == "export":
            known = set(await SessionStore(store).load()) | {
                i.session_id for i in log.incidents() if i.session_id
            }
            if args.session is not None and args.session not in known:
                listed = ", ".join(sorted(known)) or "none yet"
                print(f"error: --session {args.session}: no such session (known: {listed})",
                      file=sys.stderr)  # fmt: skip
                return 2
            return _export(args, log)
        if args.incident_command != "add":
            return await incident_edit.run(args, log, incidents)
        return await _add(args, log, incidents)
    finally:
        await store.close()


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day such as 2027-04-14") from None


def _selection(args: argparse.Namespace) -> Callable[[Incident], bool]:
    """The incidents --session, --from and --to keep; a day is the incident's own local day."""

    def keep(incident: Incident) -> bool:
        if args.session is not None and incident.session_id != args.session:
            return False
        day = (incident.occurred_at or incident.created_at).date()
        if args.from_date is not None and day < args.from_date:
            return False
        return args.to_date is None or day <= args.to_date

    return keep


def _export(args: argparse.Namespace, log: IncidentLog) -> int:
    progress = _progress_bar if sys.stderr.isatty() else None
    sliced = args.session is not None or args.from_date is not None or args.to_date is not None
    if args.format == "json" and sliced:
        # A JSON export is the whole chain so `verify` can check it; a slice would not verify.
        print(
            "error: --session, --from and --to apply to csv and pdf; JSON holds every incident",
            file=sys.stderr,
        )
        return 2
    if args.from_date and args.to_date and args.from_date > args.to_date:
        print(f"error: --from {args.from_date} is after --to {args.to_date}", file=sys.stderr)
        return 2
    select = _selection(args)
    # Each exporter loads only when asked for: the PDF one brings a font engine along.
    if args.format == "csv":
        from testday.reports.csv_export import export_csv

        chosen = [i for i in log.incidents() if select(i)]
        rows = export_csv(chosen, args.out, progress)
        summary = f"{rows} rows for {len(chosen)} incidents"
    elif args.format == "pdf":
        from testday.reports.pdf_export import export_pdf

        now = datetime.now().astimezone()
        count = export_pdf(log, args.out, now, progress, select=select)
        summary = f"{count} incidents"
    else:
        from testday.reports.json_export import export_json

        count = export_json(log, args.out, datetime.now().astimezone(), progress)
        summary = f"{count} incidents, {len(log.entries)} chain entries"
    print(f"wrote {args.out}: {summary}")
    return 0


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // total if total else width
    end = "\n" if done >= total else ""
    bar = "#" * filled + "-" * (width - filled)
    print(f"\rexporting [{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)


async def _add(args: argparse.Namespace, log: IncidentLog, incidents: IncidentStore) -> int:
    now = datetime.now().astimezone()  # local time with offset: reports are read locally
    actor = args.by or getpass.getuser()
    incident_id = _next_id(log)
    event = log.create(
        incident_id, actor, now,
        category=args.category, subcategory=args.subcategory, severity=args.severity,
        room=args.room, devices=tuple(args.device), affected_students=tuple(args.student),
        occurred_at=now, source="manual", sequence=(TimedLine(now, args.description),),
    )  # fmt: skip
    entry = log.append(event)
    await incidents.append([entry])
    print(f"{incident_id} logged (chain seq {entry.seq})")
    return 0


def _next_id(log: IncidentLog) -> str:
    # Ids only need to be unique in this log; the chain append refuses a concurrent duplicate.
    taken = {incident.id for incident in log.incidents()}
    n = len(taken) + 1
    while f"INC-{n:05d}" in taken:
        n += 1
    return f"INC-{n:05d}"
