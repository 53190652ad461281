"""Provides the allow-list: a remote command is only ever an action a runbook declares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from testday.config.runbooks import Runbook, RunbookAction

Problem = Literal["unknown_runbook", "unknown_action", "ambiguous", "wrong_os"]


class ActionError(Exception):
    """No single declared action fits; the message names what does exist.

    ``problem`` tells a caller whether to refuse the whole run (``unknown_runbook``,
    ``unknown_action``, ``ambiguous``) or only the hosts of that OS (``wrong_os``).
    """

    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def _listed(actions: Iterable[RunbookAction]) -> str:
    return ", ".join(f"{a.id} ({a.os})" for a in actions) or "none"


def find_runbook(runbooks: Mapping[str, Runbook], runbook_id: str) -> Runbook:
    """The runbook, or ActionError naming the runbooks that declare remote actions."""
    book = runbooks.get(runbook_id)
    if book is not None:
        return book
    with_actions = sorted(rid for rid, b in runbooks.items() if b.actions)
    known = ", ".join(with_actions) or "none"
    raise ActionError(
        "unknown_runbook", f"no runbook {runbook_id!r}; runbooks with remote actions: {known}"
    )


def check_action_id(book: Runbook, action_id: str | None) -> None:
    """Raise if ``action_id`` is given and not declared in ``book`` (whatever the OS)."""
    if not book.actions:
        raise ActionError(
            "unknown_action", f"runbook {book.id!r} declares no remote actions: nothing can run"
        )
    if action_id is not None and all(a.id != action_id for a in book.actions):
        raise ActionError(
            "unknown_action",
            f"runbook {book.id!r} has no action {action_id!r}; its actions: "
            f"{_listed(book.actions)}",
        )


def resolve(
    runbooks: Mapping[str, Runbook], runbook_id: str, action_id: str | None, os_family: str
) -> RunbookAction:
    """The one action of ``runbook_id`` to run on a host of ``os_family``.

    Without ``action_id`` the runbook must declare exactly one action for that OS.
    """
    book = find_runbook(runbooks, runbook_id)
    check_action_id(book, action_id)
    if action_id is not None:
        action = next(a for a in book.actions if a.id == action_id)
        if action.os != os_family:
            raise ActionError(
                "wrong_os",
                f"action {action_id!r} of runbook {book.id!r} is for {action.os}, not {os_family}",
            )
        return action
    fitting = book.actions_for(os_family)
    if not fitting:
        raise ActionError(
            "wrong_os",
            f"runbook {book.id!r} has no action for {os_family}; its actions: "
            f"{_listed(book.actions)}",
        )
    if len(fitting) > 1:
        raise ActionError(
            "ambiguous",
            f"runbook {book.id!r} has {len(fitting)} actions for {os_family}: "
            f"{', '.join(a.id for a in fitting)}; choose one by its id (--action)",
        )
    return fitting[0]


def resolve_each(
    runbooks: Mapping[str, Runbook],
    runbook_id: str,
    action_id: str | None,
    os_families: Iterable[str],
) -> tuple[dict[str, RunbookAction], dict[str, str]]:
    """For a mixed room: (action by OS, why not for the other OSes).

    An unknown runbook or action, or an ambiguous choice, still raises: that is a wrong request,
    not a host that does not fit.
    """
    book = find_runbook(runbooks, runbook_id)
    check_action_id(book, action_id)
    chosen: dict[str, RunbookAction] = {}
    refused: dict[str, str] = {}
    for os_family in sorted(set(os_families)):
        try:
            chosen[os_family] = resolve(runbooks, runbook_id, action_id, os_family)
        except ActionError as exc:
            if exc.problem != "wrong_os":
                raise
            refused[os_family] = str(exc)
    return chosen, refused
