"""Provides `testday session create|list|show|check|start|pause|resume|end|cancel|import`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import cast

from testday.cli.local_data import LocalDataError, database_to_read, database_to_write
from testday.config.files import SITE_FILE
from testday.config.profiles import ProfileError, default_profiles_dir, load_profiles
from testday.config.sessions_file import SessionsError, load_sessions
from testday.core.presentation import day_minute, label
from testday.core.sessions import ACTIONS, Action, Session, SessionError, apply
from testday.store.database import Store
from testday.store.session_store import SessionStore

DATA_HELP = "data directory (default: $TESTDAY_DATA or ~/.local/share/testday)"


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Register the session subcommand and its actions on the top-level parser."""
    session = sub.add_parser("session", description="Testing sessions: plan, run and review.")
    actions = session.add_subparsers(dest="session_command", metavar="ACTION", required=True)

    create = actions.add_parser("create", help="plan a new session")
    create.add_argument("--id", default=None, help="session id (default: date and name)")
    create.add_argument("--name", required=True)
    create.add_argument("--program", required=True, help="e.g. State Assessment")
    create.add_argument("--test", required=True, help="e.g. Mathematics")
    create.add_argument("--profile", required=True, help="platform profile id")
    create.add_argument(
        "--profiles", type=Path, default=None, help="folder of profiles (default: shipped ones)"
    )
    create.add_argument("--room", action="append", required=True, help="room (repeatable)")
    create.add_argument("--start", required=True, help="local time, e.g. 2027-04-14T09:00")
    create.add_argument("--end", required=True, help="local time, e.g. 2027-04-14T10:30")
    create.add_argument("--proctor", default="")
    create.add_argument("--administrator", default="", help="test administrator")
    create.add_argument("--grade", default="")
    create.add_argument("--content-area", default="")

    actions.add_parser("list", help="every session: state, schedule and clock")
    show = actions.add_parser("show", help="one session: fields, roster, timed history")
    show.add_argument("id")
    check = actions.add_parser(
        "check", help="readiness sweep: every device in the session's rooms, from a live hub"
    )
    check.add_argument("id")
    check.add_argument("--hub", help="hub address ($TESTDAY_HUB; default http://127.0.0.1:8765)")
    check.add_argument(
        "--console-token",
        help="operator secret ($TESTDAY_CONSOLE_TOKEN; default: the local hub's data directory)",
    )
    check.add_argument("--profiles", type=Path, help="folder of profiles (default: shipped ones)")
    check.add_argument("--json", action="store_true", help="print JSON instead of text")
    for action in ACTIONS:
        if action == "check":
            continue  # the readiness sweep is `session check` above, not a bare transition
        step = actions.add_parser(action, help=f"{action} a session (a timed, logged transition)")
        step.add_argument("id")
        step.add_argument("--note", default="", help="why, kept in the history")
    imp = actions.add_parser("import", help="create the site file's [[sessions]] not yet stored")
    imp.add_argument(
        "--file", type=Path, default=None, help=f"site file (default: DATA/{SITE_FILE})"
    )
    for parser in actions.choices.values():
        parser.add_argument("--data", type=Path, default=None, help=DATA_HELP)
        parser.add_argument("--by", default=None, help="who acts (default: your user name)")


def run_sessions(args: argparse.Namespace, data_dir: Path) -> int:
    """Run one session action against the data dir's database; returns the exit code."""
    if args.session_command == "check":
        from testday.cli.session_check import run_check

        return run_check(args, data_dir)
    try:
        if args.session_command in ("create", "import"):
            database = database_to_write(data_dir)
        else:  # reading or moving sessions that must exist already
            database = database_to_read(data_dir)
    except LocalDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args, data_dir, database))
    except (SessionError, SessionsError, ProfileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, data_dir: Path, database: Path) -> int:
    store = await Store.open(database)
    try:
        sessions = SessionStore(store)
        actor = args.by or getpass.getuser()
        command = args.session_command
        if command == "create":
            session = _from_args(args)
            _check_profile(session.profile_id, args.profiles)
            await sessions.create(session, time.time(), actor)
            print(f"{session.id} created ({day_minute(session.scheduled_start)})")
        elif command == "list":
            print(_table(list((await sessions.load()).values()), time.time()))
        elif command == "show":
            print(_show(await sessions.get(args.id)))
        elif command == "import":
            await _import(args, data_dir, sessions, actor)
        else:
            action = cast(Action, command)
            session = await sessions.get(args.id)
            new, event = apply(session, action, time.time(), actor, args.note)
            await sessions.append(event)
            print(f"{new.id}: {label(new.state)}")
        return 0
    finally:
        await store.close()


async def _import(
    args: argparse.Namespace, data_dir: Path, sessions: SessionStore, actor: str
) -> None:
    path = args.file or data_dir / SITE_FILE
    if not path.exists():
        raise SessionError(f"no site file at {path}")
    stored = await sessions.load()
    now, added = time.time(), 0
    for session in load_sessions(path):
        if session.id in stored:
            continue  # planned earlier: importing again must not duplicate or reset it
        await sessions.create(session, now, actor)
        added += 1
        print(f"{session.id} created")
    print(f"imported {added} new sessions from {path} ({len(stored)} already stored)")


def _check_profile(profile_id: str, folder: Path | None) -> None:
    # A typo here would only surface on testing morning, when the hub cannot judge the rooms.
    known = load_profiles(folder or default_profiles_dir())
    if profile_id not in known:
        raise SessionError(
            f"--profile: {profile_id!r} is not a known profile (known: {', '.join(sorted(known))})"
        )


def _epoch(text: str, flag: str) -> float:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SessionError(f"{flag}: expected a date and time such as 2027-04-14T09:00") from None
    # A naive time is local: that is how the testing schedule is written.
    return (when if when.tzinfo else when.astimezone()).timestamp()


def _from_args(args: argparse.Namespace) -> Session:
    start, end = _epoch(args.start, "--start"), _epoch(args.end, "--end")
    day = datetime.fromtimestamp(start).strftime("%Y-%m-%d")
    slug = re.sub(r"[^a-z0-9]+", "-", args.name.casefold()).strip("-")
    return Session(
        id=args.id or f"{day}-{slug}",
        name=args.name,
        program=args.program,
        test=args.test,
        grade=args.grade,
        content_area=args.content_area,
        profile_id=args.profile,
        rooms=tuple(args.room),
        proctor=args.proctor,
        test_administrator=args.administrator,
        scheduled_start=start,
        scheduled_end=end,
    )


def _clock(session: Session, now: float) -> str:
    if session.state == "paused" and (since := session.paused_since) is not None:
        return f"paused for {int((now - since) // 60)} min"
    started = next((t.ts for t in session.history if t.to_state == "in_progress"), None)
    if session.state == "in_progress" and started is not None:
        # Time actually testing: pauses do not count against the session's length.
        elapsed = now - started - session.paused_seconds(now)
        return f"{int(elapsed // 60)} min elapsed"
    return ""


def _table(sessions: list[Session], now: float) -> str:
    if not sessions:
        return "no sessions"
    header = ("ID", "NAME", "ROOMS", "STATE", "SCHEDULED", "CLOCK")
    ordered = sorted(sessions, key=lambda s: (s.scheduled_start, s.id))
    rows = [header] + [_row(s, now) for s in ordered]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def _row(s: Session, now: float) -> tuple[str, ...]:
    end = datetime.fromtimestamp(s.scheduled_end).strftime("%H:%M")
    scheduled = f"{day_minute(s.scheduled_start)}-{end}"
    return (s.id, s.name, ",".join(s.rooms), label(s.state), scheduled, _clock(s, now))


def _show(s: Session) -> str:
    lines = [
        f"{s.id}: {s.name}",
        f"  state:          {label(s.state)}",
        f"  program/test:   {s.program} / {s.test}",
        f"  grade, area:    {s.grade or '-'}, {s.content_area or '-'}",
        f"  profile:        {s.profile_id}",
        f"  rooms:          {', '.join(s.rooms)}",
        f"  proctor:        {s.proctor or '-'}",
        f"  administrator:  {s.test_administrator or '-'}",
        f"  scheduled:      {day_minute(s.scheduled_start)} to {day_minute(s.scheduled_end)}",
        f"roster ({len(s.current_roster)} students):",
    ]
    for e in s.roster:
        span = "planned" if e.assigned_at is None else f"from {day_minute(e.assigned_at)}"
        if e.released_at is not None:
            span += f" until {day_minute(e.released_at)}"
        lines.append(f"  {e.student}  {e.device_id}  {span}")
    lines.append("history:" if s.history else "history: none")
    for t in s.history:
        when = datetime.fromtimestamp(t.ts).strftime("%Y-%m-%d %H:%M:%S")
        note = f"  ({t.note})" if t.note else ""
        lines.append(f"  {when}  {t.action:<6} {label(t.from_state)} -> "
                     f"{label(t.to_state)}  by {t.actor}{note}")  # fmt: skip
    return "\n".join(lines)
