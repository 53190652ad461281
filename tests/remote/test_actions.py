"""Tests the allow-list: only an action a runbook declares for the host's OS resolves."""

from __future__ import annotations

import re

import pytest

from testday.config.runbooks import Runbook, default_runbooks_dir, load_runbooks, parse_runbook
from testday.remote.actions import ActionError, resolve, resolve_each

BODY = """One paragraph.

## In the room
1. One.
2. Two.
3. Three.

## For the technician
Details.
"""


def runbook(rid: str, *actions: tuple[str, str, str]) -> Runbook:
    """A runbook with ``(id, os, command)`` actions, parsed like a file would be."""
    tables = "".join(
        f'[[actions]]\nid = "{aid}"\ntitle = "Do {aid}"\nos = "{os}"\ncommand = "{command}"\n'
        f'timeout_s = 5\nconfirm = "Run {aid}?"\n\n'
        for aid, os, command in actions
    )
    front = (
        f'id = "{rid}"\ntitle = "{rid}"\ncategories = ["technical/other"]\nplatforms = ["all"]\n'
    )
    return parse_runbook(f"+++\n{front}\n{tables}+++\n{BODY}", f"{rid}.md", rid)


BOOKS = {
    b.id: b
    for b in (
        runbook("clock", ("sync-linux", "linux", "timedatectl"), ("sync-mac", "macos", "sntp")),
        runbook("two", ("a", "linux", "true"), ("b", "linux", "false")),
        runbook("read-only"),
    )
}


def test_the_declared_action_for_the_hosts_os_resolves() -> None:
    assert resolve(BOOKS, "clock", None, "linux").command == "timedatectl"
    assert resolve(BOOKS, "clock", None, "macos").id == "sync-mac"
    assert resolve(BOOKS, "two", "b", "linux").command == "false"


@pytest.mark.parametrize(
    ("runbook_id", "action_id", "os_family", "problem", "names"),
    [
        ("rm-rf", None, "linux", "unknown_runbook", "runbooks with remote actions: clock, two"),
        ("clock", "rm-rf", "linux", "unknown_action", "its actions: sync-linux (linux), sync-mac"),
        ("read-only", None, "linux", "unknown_action", "declares no remote actions"),
        ("clock", None, "windows", "wrong_os", "no action for windows; its actions: sync-linux"),
        ("clock", None, "chromeos", "wrong_os", "no action for chromeos"),
        ("clock", "sync-mac", "linux", "wrong_os", "'sync-mac' of runbook 'clock' is for macos"),
        ("two", None, "linux", "ambiguous", "2 actions for linux: a, b; choose one"),
    ],
)
def test_an_action_not_declared_for_the_host_cannot_run(
    runbook_id: str, action_id: str | None, os_family: str, problem: str, names: str
) -> None:
    """Nothing undeclared resolves; the error names what does exist."""
    with pytest.raises(ActionError, match=re.escape(names)) as caught:
        resolve(BOOKS, runbook_id, action_id, os_family)
    assert caught.value.problem == problem


def test_a_mixed_room_gets_each_os_its_action_and_the_rest_left_out() -> None:
    chosen, refused = resolve_each(BOOKS, "clock", None, ["linux", "chromeos", "macos", "linux"])
    assert {os: a.id for os, a in chosen.items()} == {"linux": "sync-linux", "macos": "sync-mac"}
    assert list(refused) == ["chromeos"]
    with pytest.raises(ActionError, match="choose one"):
        resolve_each(BOOKS, "two", None, ["linux"])  # a wrong request, not a host that misfits
    with pytest.raises(ActionError, match="no action 'x'"):
        resolve_each(BOOKS, "clock", "x", ["linux"])


def test_every_shipped_action_resolves_for_its_own_os() -> None:
    books = load_runbooks(default_runbooks_dir())
    declared = [(b.id, a) for b in books.values() for a in b.actions]
    assert declared, "the shipped runbooks declare no remote action"
    for rid, action in declared:
        assert resolve(books, rid, action.id, action.os) is action
