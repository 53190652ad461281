"""Provides `testday runbook list|show`: the runbooks in the shell; other actions plug in here."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Callable
from pathlib import Path

from testday.config.runbooks import (
    ENV_VAR,
    Runbook,
    RunbookError,
    default_runbooks_dir,
    load_runbook,
    load_runbooks,
    runbook_ids,
)

Handler = Callable[[argparse.Namespace], int]

DESCRIPTION = f"""\
The runbooks: one Markdown file per problem, for the proctor first, then the technician.
They are read from --runbooks DIR, else ${ENV_VAR}, else the checkout's runbooks/ folder.
"""


def add_runbooks_option(parser: argparse.ArgumentParser) -> None:
    """``--runbooks DIR``, accepted before or after the action (``run`` adds it too)."""
    parser.add_argument(
        "--runbooks",
        type=Path,
        # SUPPRESS: an action's parser must not overwrite a value given before the action.
        default=argparse.SUPPRESS,
        metavar="DIR",
        help=f"folder of runbooks (*.md; default ${ENV_VAR}, else the checkout's runbooks/)",
    )


def runbooks_dir(args: argparse.Namespace) -> Path:
    return default_runbooks_dir(getattr(args, "runbooks", None))


def add_arguments(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """Register `runbook` with list and show; returns its actions so `run` can join them.

    Each action sets ``runbook_handler`` (a function of the parsed args returning the exit code)
    with ``set_defaults``; ``run_runbook`` calls it.
    """
    runbook = sub.add_parser(
        "runbook",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_runbooks_option(runbook)
    actions = runbook.add_subparsers(dest="runbook_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every runbook: id, title, reason codes, actions")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_runbooks_option(listing)
    listing.set_defaults(runbook_handler=run_list)
    show = actions.add_parser("show", help="print one runbook, its front matter summarised")
    show.add_argument("id", metavar="ID", help="runbook id, e.g. clock-skew")
    add_runbooks_option(show)
    show.set_defaults(runbook_handler=run_show)
    return actions


def run_runbook(args: argparse.Namespace) -> int:
    handler: Handler = args.runbook_handler
    return handler(args)


def _fail(message: str) -> int:
    print(f"testday runbook: {message}", file=sys.stderr)
    return 1


def run_list(args: argparse.Namespace) -> int:
    directory = runbooks_dir(args)
    try:
        books = load_runbooks(directory)
    except RunbookError as exc:
        return _fail(str(exc))
    if not books:
        return _fail(f"no runbooks (*.md) in {directory}")
    if args.json:
        rows = [
            {"id": b.id, "title": b.title, "reasons": list(b.reasons), "actions": len(b.actions)}
            for b in books.values()
        ]
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(b.id) for b in books.values()), default=2)
    print(f"{'ID':<{width}}  {'ACTIONS':>7}  {'REASONS':<22}  TITLE")
    for b in books.values():
        reasons = ", ".join(b.reasons) or "—"
        print(f"{b.id:<{width}}  {len(b.actions):>7}  {reasons:<22}  {b.title}")
    return 0


def summary(book: Runbook) -> str:
    """The front matter as a few aligned lines, above the body in `show`."""
    lines = [
        f"{book.title}  [{book.id}]",
        f"reasons     {', '.join(book.reasons) or '—'}",
        f"categories  {', '.join(book.categories) or '—'}",
        f"platforms   {', '.join(book.platforms)}",
    ]
    if book.actions:
        lines.append("actions")
        for a in book.actions:
            lines.append(f"  {a.id} ({a.os}, timeout {a.timeout_s:g} s): {a.title}")
            lines.append(f"    $ {a.command}")
    lines.append(f"source      {book.source}")
    return "\n".join(lines)


def run_show(args: argparse.Namespace) -> int:
    directory = runbooks_dir(args)
    try:
        book = load_runbook(directory, args.id)
    except KeyError:
        try:
            known = runbook_ids(directory)
        except RunbookError as exc:
            return _fail(str(exc))
        close = difflib.get_close_matches(args.id, known, n=5, cutoff=0.5)
        hint = f"did you mean: {', '.join(close)}?" if close else "`testday runbook list` shows all"
        return _fail(f"no runbook {args.id!r} in {directory}; {hint}")
    except RunbookError as exc:
        return _fail(str(exc))
    print(summary(book))
    print("-" * 72)
    print(book.body, end="" if book.body.endswith("\n") else "\n")
    return 0
