"""Provides the running half of `testday runbook run`: confirm, roll out, log every result."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sqlite3
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from testday.cli.runbook_targets import EVENT_KIND, Group, Target
from testday.config.files import DATABASE_FILE
from testday.remote.rollout import HostResult, run_rollout
from testday.store.records import EventRow

if TYPE_CHECKING:
    from testday.config.runbooks import Runbook, RunbookAction
    from testday.core.incidents import IncidentLog
    from testday.store.database import Store

NOTE_MAX = 4000  # testday.core.incident_fields.TEXT_MAX: a longer note is refused


def event(
    result: HostResult, target: Target, book: Runbook, action: RunbookAction, who: str,
    run_id: str, incident: str | None,
) -> EventRow:  # fmt: skip
    """The log entry of one machine's result: who, what (the exact command), where, how."""
    code = "" if result.exit_status is None else f" (exit {result.exit_status})"
    data: dict[str, Any] = {
        "text": f"remote action {book.id}/{action.id} by {who}: {result.status}{code}",
        "by": who, "runbook": book.id, "action": action.id, "command": action.command,
        "host": result.host, "address": f"{result.address}:{result.port}",
        "user": target.host.user, "os": target.os_family, "status": result.status,
        "exit_status": result.exit_status, "duration_s": result.duration_s,
        "output": result.output, "error": result.error, "wave": result.wave, "run": run_id,
        "incident": incident,
    }  # fmt: skip
    return EventRow(result.finished or time.time(), EVENT_KIND, target.device_id, target.room, data)


def note_text(book: Runbook, groups: list[Group], results: list[HostResult], who: str) -> str:
    """The incident note: what ran, then one line per machine, cut to what a note may hold."""
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    tally = ", ".join(f"{n} {status}" for status, n in counts.items())
    head = [f"Remote action from runbook {book.id} by {who}: {tally}."]
    head += [f"{g.action.id} ({g.action.os}): `{g.action.command}`" for g in groups]
    lines = head[:]
    for i, r in enumerate(results):
        code = "" if r.exit_status is None else f" exit {r.exit_status}"
        line = f"{r.host} ({r.address}): {r.status}{code}" + (f" — {r.error}" if r.error else "")
        rest = f"… and {len(results) - i} more (see the event log)"
        if len("\n".join([*lines, line, rest])) > NOTE_MAX:
            lines.append(rest)
            break
        lines.append(line)
    return "\n".join(lines)[:NOTE_MAX]


def show_plan(book: Runbook, groups: list[Group], left_out: list[str], args: Any) -> None:
    total = sum(len(g.targets) for g in groups)
    print(f"runbook {book.id}: {book.title}")
    for g in groups:
        a = g.action
        print(f"  {a.id}: {a.title} ({a.os}, cut off after {a.timeout_s:g} s)")
        print(f"    $ {a.command}")
        for t in g.targets:
            where = f"{t.host.user}@{t.host.address}:{t.host.port}"
            print(
                f"    on {where}" + ("" if t.host.name == t.host.address else f" ({t.host.name})")
            )
    for line in left_out:
        print(f"  not run: {line}")
    waves = -(-total // args.wave)
    print(
        f"{total} machine(s) in {waves} wave(s) of up to {args.wave}, at most "
        f"{args.max_connections} at once; stops after a wave once more than "
        f"{args.max_failures} have failed"
    )


def ask(question: str) -> bool:
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:  # no terminal to answer: only --yes runs anything
        print()
        return False
    return answer.strip().lower() in ("y", "yes")


def _detail(r: HostResult) -> str:
    """What the command said last, or else why it did not run or finish."""
    if r.output and r.status in ("ok", "failed"):
        return r.output.splitlines()[-1]
    return r.error or ""


def table(results: list[HostResult]) -> str:
    """The result table, then each problem in full (the table cuts it to fit a line)."""
    width = max([4, *(len(r.host) for r in results)])
    rows = [f"{'HOST':<{width}}  {'ADDRESS':<21}  {'STATUS':<16}  EXIT  {'TIME':>6}  DETAIL"]
    problems = [f"{r.host}: {r.error}" for r in results if r.error and r.status != "skipped"]
    for r in results:
        detail = _detail(r)
        code = "-" if r.exit_status is None else str(r.exit_status)
        address = f"{r.address}:{r.port}"
        rows.append(
            f"{r.host:<{width}}  {address:<21}  {r.status:<16}  {code:>4}  "
            f"{r.duration_s:>5.1f}s  {detail[:80]}"
        )
    return "\n".join(rows + (["", *problems] if problems else []))


async def _incident_log(store: Store, incident_id: str, who: str) -> IncidentLog:
    """The incident log, after checking a note can be added to ``incident_id`` (before running)."""
    from testday.cli.incident_text import now
    from testday.store.incident_store import IncidentStore

    log = await IncidentStore(store).load_log(names_allowed=True)
    log.note(incident_id, who, now(), "check")  # raises IncidentError if unknown or closed
    return log


async def run_groups(
    args: argparse.Namespace,
    data_dir: Path,
    book: Runbook,
    groups: list[Group],
    left_out: list[str],
) -> int:
    """Ask, run group by group (one OS each), log each result as it arrives; the exit code."""
    from testday.core.incidents import IncidentError
    from testday.store.database import Store
    from testday.store.schema import SchemaError

    who = args.by or getpass.getuser()
    try:  # before anything runs: a run that cannot be logged does not start
        store = await Store.open(data_dir / DATABASE_FILE)
    except (OSError, sqlite3.Error, SchemaError) as exc:
        print(
            f"testday runbook run: cannot open the event log in {data_dir}: {exc}", file=sys.stderr
        )
        return 2
    try:
        log = None
        if args.incident:
            try:
                log = await _incident_log(store, args.incident, who)
            except IncidentError as exc:
                print(f"testday runbook run: {exc}", file=sys.stderr)
                return 2
        show_plan(book, groups, left_out, args)
        if not args.yes and not all(ask(g.action.confirm) for g in groups):
            print("not confirmed: nothing was run")
            return 1
        results = await _roll_out(args, data_dir, book, groups, store, who)
        print()
        print(table(results))
        ok = sum(r.ok for r in results)
        print(f"{ok} of {len(results)} ok; each result logged as {EVENT_KIND} in {store.path}")
        if log is not None and not await _note(
            store, log, args.incident, who, book, groups, results
        ):
            return 1
        return 0 if ok == len(results) else 1
    finally:
        await store.close()


async def _roll_out(
    args: argparse.Namespace, data_dir: Path, book: Runbook, groups: list[Group], store: Store,
    who: str,
) -> list[HostResult]:  # fmt: skip
    from testday.remote.ssh_connect import known_hosts_path

    run_id = uuid.uuid4().hex[:12]  # ties the events of one run together
    total = sum(len(g.targets) for g in groups)
    writes: list[asyncio.Task[None]] = []
    arrived: list[HostResult] = []
    results: list[HostResult] = []  # in the order the machines were given
    failures = 0
    for group in groups:
        by_address = {(t.host.address, t.host.port): t for t in group.targets}

        def logged(
            result: HostResult, group: Group = group, where: dict[Any, Target] = by_address
        ) -> None:
            arrived.append(result)
            print(_progress(len(arrived), total, result), flush=True)
            row = event(result, where[result.address, result.port], book, group.action, who,
                        run_id, args.incident)  # fmt: skip
            writes.append(asyncio.create_task(store.write_batch([], [], [row])))

        if failures > args.max_failures:  # an earlier OS group already failed too often
            for t in group.targets:
                skipped = HostResult(
                    t.host.name,
                    t.host.address,
                    t.host.port,
                    "skipped",
                    0,
                    error="not run: the rollout stopped (too many failures)",
                )
                logged(skipped)
                results.append(skipped)
            continue
        report = await run_rollout(
            [t.host for t in group.targets], group.action.command,
            known_hosts=known_hosts_path(data_dir), client_keys=args.key, wave_size=args.wave,
            max_failures=args.max_failures - failures, connect_timeout_s=args.connect_timeout,
            command_timeout_s=group.action.timeout_s, max_connections=args.max_connections,
            on_result=logged,
        )  # fmt: skip
        results += report.results
        failures += sum(not r.ok for r in report.results)
        if report.stop_reason:
            print(report.stop_reason)
    errors = [e for e in await asyncio.gather(*writes, return_exceptions=True) if e is not None]
    if errors:
        print(f"warning: {len(errors)} result(s) could not be logged: {errors[0]}", file=sys.stderr)
    return results


async def _note(
    store: Store, log: IncidentLog, incident_id: str, who: str, book: Runbook,
    groups: list[Group], results: list[HostResult],
) -> bool:  # fmt: skip
    from testday.cli.incident_edit import append_retrying
    from testday.cli.incident_text import now
    from testday.core.incidents import IncidentError
    from testday.store.incident_store import ChainConflictError, IncidentStore

    text = note_text(book, groups, results, who)
    try:
        _, entry = await append_retrying(
            IncidentStore(store), log, lambda fresh: fresh.note(incident_id, who, now(), text)
        )
    except (IncidentError, ChainConflictError) as exc:
        print(f"warning: the note on {incident_id} was not added: {exc}", file=sys.stderr)
        return False
    print(f"noted on {incident_id} (chain seq {entry.seq})")
    return True


def _progress(done: int, total: int, result: HostResult) -> str:
    return f"[{done}/{total}] wave {result.wave}  {result.host}  {result.status}  {_detail(result)}"
