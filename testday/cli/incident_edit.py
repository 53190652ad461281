"""Provides `testday incident list|show|set|status|note|timeline`: review and edit before export."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from testday.cli.incident_text import (
    TimelineFileError,
    flat,
    list_incidents,
    local_time,
    now,
    read_timeline,
    show_incident,
    summary,
)
from testday.core.hash_chain import ChainEntry
from testday.core.incident_fields import (
    CATEGORIES,
    OUTCOMES,
    SEVERITIES,
    AffectedStudent,
    DeviceRef,
)
from testday.core.incidents import STATUSES, IncidentEvent, IncidentLog
from testday.store.incident_store import ChainConflictError, IncidentStore

# Same reason as testday.cli.incidents.REPLAY_NAMES (importing it would be circular).
REPLAY_NAMES = True
RETRIES = 3  # a running hub appends every few seconds at most; three retries outlast a burst

Build = Callable[[IncidentLog], IncidentEvent]

# `set` options: (flag, field, metavar, help). Only what a technician or coordinator fills in.
TEXT_OPTIONS = (
    ("--action-taken", "action_taken", "TEXT", "what was done at the time"),
    ("--how-completed", "how_completed", "TEXT", "how the affected students finished the test"),
    ("--cause", "cause", "TEXT", "why it happened, once known"),
    ("--corrective-action", "corrective_action", "TEXT", "what will stop it happening again"),
    ("--outcome-reason", "outcome_reason", "TEXT", "why that outcome (≤ 1000 characters)"),
    ("--outcome-comments", "outcome_comments", "TEXT", "more on the outcome (≤ 1000 characters)"),
    ("--room", "room", "ROOM", "where it happened"),
    ("--session", "session_id", "ID", "the testing session it belongs to"),
    ("--test-administrator", "test_administrator", "NAME", "the test administrator"),
    ("--proctor", "proctor", "NAME", "the proctor"),
    ("--submitter", "submitter", "NAME", "who submits the report"),
    ("--reviewer", "reviewer", "NAME", "who approves or rejects it"),
    ("--reviewer-comments", "reviewer_comments", "TEXT", "the review (≤ 1000 characters)"),
)
SUBCATEGORIES = tuple(sorted({sub for subs in CATEGORIES.values() for sub in subs}))
_BY_CATEGORY = "; ".join(f"{c}: {', '.join(subs)}" for c, subs in CATEGORIES.items())
CHOICE_OPTIONS = (
    ("--category", "category", tuple(CATEGORIES), "CATEGORY",
     f"one of {', '.join(CATEGORIES)}; give --subcategory with it"),
    ("--subcategory", "subcategory", SUBCATEGORIES, "SUB",
     f"one of the category's ({_BY_CATEGORY})"),
    ("--severity", "severity", SEVERITIES, "|".join(SEVERITIES), "how serious it is"),
    ("--requested-outcome", "requested_outcome", OUTCOMES, "OUTCOME",
     f"what the report asks the state for: {', '.join(OUTCOMES)}"),
)  # fmt: skip
MOMENT_OPTIONS = (
    ("--occurred-at", "occurred_at", "when it happened"),
    ("--completed-at", "completed_at", "when the affected test was completed"),
    ("--coordinator-notified-at", "reported_to_coordinator_at", "when the coordinator was told"),
    ("--district-notified-at", "reported_to_district_at", "when the district was told"),
)
SETTABLE = (
    *(option[1] for option in TEXT_OPTIONS),
    *(option[1] for option in CHOICE_OPTIONS),
    *(f for _, f, _ in MOMENT_OPTIONS),
    "affected_students",
    "devices",
    "tests_impacted",
    "parents_notified",
)

LIST_DESCRIPTION = (
    "Print every incident: id, when it occurred (local time), room, category/subcategory, "
    "severity, status, number of affected students and source (manual or the detector). "
    "Order: by status as the work goes, open first, then reported, pending approval, approved, "
    "rejected and closed; newest first within a status."
)
TIMELINE_DESCRIPTION = (
    "Without --file, print the incident's sequence of events as editable text, one line per "
    "entry: local time with its UTC offset, a TAB, the text (line breaks inside an entry print as "
    "spaces). With --file, replace the sequence with the lines of FILE ('-' reads standard "
    "input): blank lines and lines starting with # are ignored; a time without an offset is "
    "local; lines are kept in time order (equal times keep the file's order). The edit loop: "
    "`testday incident timeline ID > t.txt`, edit t.txt, `testday incident timeline ID --file "
    "t.txt`. The change is recorded as your edit (a field change on the sequence), so a running "
    "hub stops redrafting it."
)


def add_actions(actions: argparse._SubParsersAction, data_help: str) -> None:
    """Register list, show, set, status, note and timeline under `testday incident`."""
    listing = actions.add_parser(
        "list", help="every incident, one line each", description=LIST_DESCRIPTION
    )
    listing.add_argument("--status", choices=STATUSES, help="only incidents in this status")
    listing.add_argument("--session", metavar="ID", help="only this session's incidents")
    listing.add_argument("--json", action="store_true", help="print their full state as JSON")

    show = actions.add_parser(
        "show",
        help="one incident: fields, sequence of events, notes and its history",
        description="Print every field that has a value, the sequence of events, the notes, and "
        "the incident's events from the hash chain (seq, time, who, what; for a field change, "
        "each field's old -> new value).",
    )
    show.add_argument("id", help="incident id, e.g. INC-00003")
    show.add_argument("--json", action="store_true", help="state and chain entries as JSON")

    edit = actions.add_parser(
        "set",
        help="fill in or correct report fields (one recorded change)",
        description="Change the given fields in one `field_changed` event that records who, "
        "when, and each field's old and new value. Fields not given are left alone. Times take "
        "ISO form (2027-04-14T09:12, local unless it has an offset) or 'now'.",
    )
    edit.add_argument("id", help="incident id, e.g. INC-00003")
    for flag, name, metavar, text in TEXT_OPTIONS:
        edit.add_argument(flag, dest=name, metavar=metavar, help=text)
    for flag, name, options, metavar, text in CHOICE_OPTIONS:
        edit.add_argument(flag, dest=name, choices=options, metavar=metavar, help=text)
    for flag, name, text in MOMENT_OPTIONS:
        edit.add_argument(flag, dest=name, type=_moment_arg, metavar="ISO|now", help=text)
    edit.add_argument(
        "--student",
        dest="affected_students",
        action="append",
        metavar="STATE_ID",
        help="affected student's state ID (repeatable; replaces the list)",
    )
    edit.add_argument(
        "--device",
        dest="devices",
        action="append",
        metavar="DEVICE_ID",
        help="device id (repeatable; replaces the list)",
    )
    edit.add_argument(
        "--tests-impacted",
        dest="tests_impacted",
        type=_count_arg,
        metavar="N",
        help="number of tests affected",
    )
    edit.add_argument(
        "--parents-notified",
        dest="parents_notified",
        choices=("yes", "no"),
        help="whether the parents were told",
    )
    edit.add_argument(
        "--clear",
        action="append",
        default=[],
        choices=SETTABLE,
        metavar="FIELD",
        help="empty this field, named as `show` prints it, e.g. cause (repeatable)",
    )

    status = actions.add_parser(
        "status",
        help="move it along: reported, pending_approval, approved/rejected, closed",
        description="Record a status change. The order is open -> reported -> pending_approval "
        "-> approved or rejected -> closed; a closed incident can no longer change.",
    )
    status.add_argument("id", help="incident id, e.g. INC-00003")
    status.add_argument("to", choices=STATUSES[1:], help="the new status")

    note = actions.add_parser("note", help="add a note (kept with who and when)")
    note.add_argument("id", help="incident id, e.g. INC-00003")
    note.add_argument("text", help="the note (quote it)")

    timeline = actions.add_parser(
        "timeline",
        help="print the sequence of events as text, or replace it from a file",
        description=TIMELINE_DESCRIPTION,
    )
    timeline.add_argument("id", help="incident id, e.g. INC-00003")
    timeline.add_argument(
        "--file", metavar="FILE", help="replace the sequence from FILE ('-': stdin)"
    )

    for name in ("list", "show", "set", "status", "note", "timeline"):
        actions.choices[name].add_argument("--data", type=Path, default=None, help=data_help)
    for name in ("set", "status", "note", "timeline"):
        actions.choices[name].add_argument(
            "--by", default=None, help="who makes the change (default: your user name)"
        )


def needs_database(args: argparse.Namespace) -> bool:
    """Whether this incident action works on existing incidents (all but `add`), so a missing
    database is a wrong --data, not one to create."""
    return args.incident_command != "add"


async def run(args: argparse.Namespace, log: IncidentLog, incidents: IncidentStore) -> int:
    """Run one action on the loaded log; IncidentError and friends reach the caller's handler."""
    command = args.incident_command
    if command == "list":
        return list_incidents(args, log)
    if command == "show":
        return show_incident(args, log)
    if command == "timeline" and args.file is None:
        sequence = log.incident(args.id).sequence
        if not sequence:  # on stderr: a redirected file stays a valid (empty) timeline
            print(f"{args.id} has no sequence of events yet", file=sys.stderr)
        for line in sequence:
            print(f"{local_time(line.at, 'T')}\t{flat(line.text)}")
        return 0
    build = _builder(args, log, args.by or getpass.getuser())
    if isinstance(build, int):
        return build
    _, entry = await append_retrying(incidents, log, build)
    print(f"{args.id}: {summary(entry.event)} (chain seq {entry.seq})")
    return 0


def _builder(args: argparse.Namespace, log: IncidentLog, actor: str) -> Build | int:
    """How to build this command's event from a (possibly reloaded) log, or an exit code."""
    incident_id = args.id
    command = args.incident_command
    if command == "status":
        return lambda fresh: fresh.set_status(incident_id, actor, now(), args.to)
    if command == "note":
        return lambda fresh: fresh.note(incident_id, actor, now(), args.text)
    if command == "set":
        fields = _given_fields(args)
        if isinstance(fields, str):
            print(f"error: {fields}", file=sys.stderr)
            return 2
        return lambda fresh: fresh.change(
            incident_id, actor, now(), **_resolved(fresh, incident_id, fields)
        )
    try:
        lines = read_timeline(args.file, log.incident(incident_id).sequence)
    except TimelineFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # A person's edit is a field change, never timeline_drafted: the hub then stops redrafting.
    return lambda fresh: fresh.change(incident_id, actor, now(), sequence=lines)


async def append_retrying(
    incidents: IncidentStore, log: IncidentLog, build: Build, retries: int = RETRIES
) -> tuple[IncidentLog, ChainEntry]:
    """Append the event ``build`` makes from ``log``; if another writer got in first, reload
    the log and build it again (a running hub appends to the same chain). Returns the log used."""
    for attempt in range(retries + 1):
        entry = log.append(build(log))
        try:
            await incidents.append([entry])
        except ChainConflictError:
            if attempt == retries:
                break
            log = await incidents.load_log(names_allowed=REPLAY_NAMES)
            continue
        return log, entry
    raise ChainConflictError(
        f"the incident log kept changing while writing (another writer, such as a running hub); "
        f"gave up after {retries + 1} tries; nothing was recorded, run the command again"
    )


# -- set --


def _given_fields(args: argparse.Namespace) -> dict[str, Any] | str:
    """The fields to change (None clears one), or what is wrong with the options."""
    given = {name: getattr(args, name) for name in SETTABLE if getattr(args, name) is not None}
    both = sorted(set(given) & set(args.clear))
    if both:
        return f"{', '.join(both)}: both set and cleared"
    if not given and not args.clear:
        return "nothing to set; give at least one field option (see `testday incident set --help`)"
    if "parents_notified" in given:
        given["parents_notified"] = given["parents_notified"] == "yes"
    return given | dict.fromkeys(args.clear)


def _resolved(log: IncidentLog, incident_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Student and device ids as records, keeping what is known of the ones already listed."""
    current = log.incident(incident_id)
    out = dict(fields)
    if fields.get("affected_students") is not None:
        known = {s.state_id: s for s in current.affected_students}
        out["affected_students"] = tuple(
            known.get(i) or AffectedStudent(i) for i in fields["affected_students"]
        )
    if fields.get("devices") is not None:
        known_devices = {d.device_id: d for d in current.devices}
        out["devices"] = tuple(known_devices.get(i) or DeviceRef(i) for i in fields["devices"])
    return out


def _moment_arg(text: str) -> datetime:
    if text.strip().lower() == "now":
        return now()
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time such as 2027-04-14T09:12 or 'now'"
        ) from None
    return when if when.tzinfo else when.astimezone()  # a naive time is local, as on the clock


def _count_arg(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
