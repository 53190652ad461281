"""Tests `testday ssh trust` and `testday runbook run` end to end against a real OpenSSH server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from msgspec.structs import replace
from testday_agent.protocol import Facts, NetworkFacts

from testday.cli.main import main
from testday.cli.runbook_targets import from_device
from testday.console_protocol.device_views import DeviceView, OsView
from testday.store.database import Store
from testday.store.records import EventRow
from tests.remote.conftest import Sshd, make_sshd

Capsys = pytest.CaptureFixture[str]
RUNBOOK = """+++
id = "lab-fix"
title = "Fix the lab machine"
categories = ["technical/other"]
platforms = ["all"]

[[actions]]
id = "fix-linux"
title = "Say where it ran"
os = "linux"
command = "set -- $SSH_CONNECTION; echo fixed on $3"
timeout_s = 5
confirm = "Fix these machines now?"

[[actions]]
id = "fix-mac"
title = "The Mac way"
os = "macos"
command = "echo mac"
timeout_s = 5
confirm = "Fix these Macs now?"
+++
One paragraph.

## In the room
1. One.
2. Two.
3. Three.

## For the technician
Details.
"""


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """This module's own server (tests/remote's fixtures are not visible from tests/cli)."""
    server = make_sshd(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


@pytest.fixture
def books(tmp_path: Path) -> Path:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "lab-fix.md").write_text(RUNBOOK)
    return folder


def events(data: Path) -> list[EventRow]:
    async def read() -> list[EventRow]:
        store = await Store.open(data / "testday.sqlite3")
        try:
            return [e for e in await store.events(limit=1000) if e.kind == "remote.action"]
        finally:
            await store.close()

    return asyncio.run(read())


def run(capsys: Capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def trust_all(capsys: Capsys, sshd: Sshd, data: Path, count: int) -> None:
    for host in sshd.hosts(count):
        code, out, _ = run(capsys, "ssh", "trust", f"{host.address}:{sshd.port}", "--yes",
                           "--data", str(data))  # fmt: skip
        assert code == 0 and "SHA256:" in out and "trusted: recorded in" in out


def test_runbook_run_on_hosts_logs_one_event_per_host(
    sshd: Sshd, books: Path, tmp_path: Path, capsys: Capsys
) -> None:
    """6 machines in waves of 2, all ok (exit 0), one remote.action event each, a note on the
    incident; then with an untrusted machine added, it is refused and the exit status is 1."""
    data = tmp_path / "data"
    trust_all(capsys, sshd, data, 6)
    assert main(["incident", "add", "--data", str(data), "--category", "technical",
                 "--subcategory", "other", "--severity", "procedural", "--room", "112",
                 "--description", "lab clocks wrong"]) == 0  # fmt: skip
    hosts = [f"--host={h.address}:{sshd.port}" for h in sshd.hosts(6)]
    common = ["--runbooks", str(books), "--data", str(data), "--key", str(sshd.client_key),
              "--user", sshd.user, "--by", "tech-ann", "--yes"]  # fmt: skip
    code, out, err = run(capsys, "runbook", "run", "lab-fix", *hosts, "--action", "fix-linux",
                         "--wave", "2", "--incident", "INC-00001", *common)  # fmt: skip
    assert code == 0, err
    assert "$ set -- $SSH_CONNECTION; echo fixed on $3" in out and "3 wave(s) of up to 2" in out
    assert "[6/6] wave 3" in out and "6 of 6 ok" in out and "noted on INC-00001" in out
    logged = events(data)
    assert sorted(e.data["address"] for e in logged) == sorted(
        f"{h.address}:{sshd.port}" for h in sshd.hosts(6)
    )
    for e in logged:
        assert (e.data["by"], e.data["runbook"], e.data["action"]) == (
            "tech-ann",
            "lab-fix",
            "fix-linux",
        )
        assert e.data["command"] == "set -- $SSH_CONNECTION; echo fixed on $3"
        assert (e.data["status"], e.data["exit_status"]) == ("ok", 0)
        assert e.data["output"] == f"fixed on {e.data['address'].split(':')[0]}"
        assert e.data["incident"] == "INC-00001" and len({x.data["run"] for x in logged}) == 1
    code, out, _ = run(capsys, "incident", "show", "INC-00001", "--data", str(data))
    assert "Remote action from runbook lab-fix by tech-ann: 6 ok." in out

    stranger = f"--host=127.0.0.20:{sshd.port}"  # never trusted
    code, out, _ = run(capsys, "runbook", "run", "lab-fix", hosts[0], stranger, "--os", "linux",
                       *common)  # fmt: skip
    assert code == 1 and "refused_host_key" in out and "not trusted yet" in out
    assert len(events(data)) == 8


def test_an_undeclared_action_or_a_no_runs_nothing(
    sshd: Sshd, books: Path, tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    host = f"--host=127.0.0.1:{sshd.port}"
    base = ["runbook", "run", "lab-fix", host, "--runbooks", str(books), "--data", str(data)]
    code, _, err = run(capsys, *base, "--action", "rm-rf", "--yes")
    assert code == 2 and "no action 'rm-rf'; its actions: fix-linux (linux), fix-mac" in err
    code, _, err = run(capsys, *base, "--yes")  # two OSes declared: which one is --host?
    assert code == 2 and "give --os" in err
    code, _, err = run(capsys, "runbook", "run", "nope", host, "--runbooks", str(books), "--yes")
    assert code == 2 and "no runbook 'nope'" in err and "lab-fix" in err
    assert not (data / "testday.sqlite3").exists()  # nothing ran, so nothing to log
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda q: asked.append(q) or "n")
    code, out, _ = run(capsys, *base, "--os", "macos")
    assert code == 1 and asked == ["Fix these Macs now? [y/N] "] and "nothing was run" in out
    assert events(data) == []


def test_hosts_file_and_hub_devices_become_targets(
    books: Path, tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts = tmp_path / "hosts.toml"
    hosts.write_text('[[hosts]]\nname = "lab-01"\naddress = "127.0.0.1"\nport = 1\nos = "linux"\n'
                     'room = "112"\n\n[[hosts]]\nname = "mac-01"\naddress = "127.0.0.2"\n'
                     'os = "macos"\nroom = "113"\n')  # fmt: skip
    base = ["runbook", "run", "lab-fix", "--hosts", str(hosts), "--runbooks", str(books)]
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda q: asked.append(q) or "n")
    code, out, _ = run(capsys, *base, "--room", "113", "--data", str(tmp_path / "d"))
    assert code == 1 and "on root@127.0.0.2:22 (mac-01)" in out and "lab-01" not in out
    assert asked == ["Fix these Macs now? [y/N] "]
    code, _, err = run(capsys, *base, "--device", "lab-09")
    assert code == 2 and "not in" in err and "lab-09" in err
    hosts.write_text('[[hosts]]\nname = "x"\naddres = "10.0.0.1"\n')
    code, _, err = run(capsys, *base)
    assert code == 2 and "hosts[0].addres: unknown field" in err and len(asked) == 1

    device = DeviceView(id="d1", hostname="cb-07", room="112", os=OsView(family="chromeos"))
    assert "no network.ipv4" in str(from_device(replace(device, facts=Facts()), "tech", 22))
    reachable = replace(device, facts=Facts(network=NetworkFacts(ipv4="10.0.0.7")))
    target = from_device(reachable, "tech", 2222)
    assert not isinstance(target, str)
    assert (target.host.name, target.host.address, target.host.port) == ("cb-07", "10.0.0.7", 2222)
    assert (target.os_family, target.device_id, target.room) == ("chromeos", "d1", "112")


def test_ssh_trust_shows_the_fingerprint_and_warns_on_a_changed_key(
    tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_sshd(tmp_path / "own").start()
    try:
        data = ["--data", str(tmp_path / "data")]
        where = f"127.0.0.1:{server.port}"
        answers = iter(["y", "n"])
        monkeypatch.setattr("builtins.input", lambda q: next(answers))
        code, out, _ = run(capsys, "ssh", "trust", where, *data)
        assert code == 0 and "presents an ssh-ed25519 key" in out and "trusted: recorded" in out
        code, out, _ = run(capsys, "ssh", "trust", "127.0.0.1", "--port", str(server.port), *data)
        assert code == 0 and "already trusted" in out
        server.new_host_key()
        code, out, _ = run(capsys, "ssh", "trust", where, *data)
        assert code == 1 and "WARNING: a different key is recorded" in out
        assert "not trusted: nothing recorded" in out
        code, out, _ = run(capsys, "ssh", "trust", where, "--yes", *data)
        assert code == 0 and "trusted: recorded" in out
    finally:
        server.stop()
    code, _, err = run(capsys, "ssh", "trust", where, "--timeout", "2", *data)
    assert code == 1 and "connection refused" in err
