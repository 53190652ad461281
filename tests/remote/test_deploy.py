"""Tests `testday deploy` against a real sshd and a real hub: install, rerun, upgrade, failures."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from testday.cli.deploy import parse_target, read_hosts
from testday.cli.deploy_output import result_table
from testday.cli.main import main
from testday.demo.loopback_platform import write_site
from testday.remote import wheelhouse
from testday.remote.deploy import HostResult
from testday.remote.deploy_shell import Remote, StepFailed
from testday.remote.ssh_connect import RemoteHost, known_hosts_path, server_key, trust
from testday.remote.wheelhouse import build_wheelhouse
from tests.conftest import AGENT_TOKEN, CONSOLE_TOKEN, HubProcess, api_devices
from tests.eventually import eventually_blocking
from tests.remote.conftest import Sshd


@pytest.fixture
def hub_process(tmp_path: Path, profiles_dir: Path) -> Iterator[HubProcess]:
    hub = HubProcess(write_site(tmp_path / "hub"), profiles_dir).start()
    yield hub
    hub.stop()


@pytest.fixture
def remote_root(tmp_path: Path) -> Iterator[Path]:
    """Where the "hosts" (all this machine) install; their background agents die with the test."""
    root = tmp_path / "remote"
    root.mkdir()
    yield root
    for pid_file in root.glob("*/agent.pid"):
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def pid(root: Path, name: str) -> int:
    return int((root / name / "agent.pid").read_text())


def alive(process_id: int) -> bool:
    """Running (a zombie, left where PID 1 reaps nothing, as in some containers, is not)."""
    try:
        stat = Path(f"/proc/{process_id}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def statuses(out: str) -> dict[str, str]:
    """HOST → RESULT from the result table at the end of the output."""
    table = out.split("HOST  ", 1)[1].splitlines()[1:]
    return {line.split()[0]: line.split()[1] for line in table if re.match(r"lab-\d+ ", line)}


@pytest.mark.slow
def test_deploy_installs_reruns_unchanged_upgrades_and_reports_failed_hosts(
    tmp_path: Path,
    sshd: Sshd,
    hub_process: HubProcess,
    remote_root: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two hosts get running agents the hub sees; a rerun touches nothing; a dead agent is
    restarted; a newer agent is installed in place; an unwritable install folder and an
    untrusted key are reported while the others carry on."""
    data = tmp_path / "data"
    hosts = sshd.hosts(4)
    for host in hosts[:3]:  # lab-04 stays untrusted
        trust(known_hosts_path(data), host, asyncio.run(server_key(host)))
    (remote_root / "lab-03").write_text("a file where the install folder should be\n")
    hosts_file = tmp_path / "hosts.txt"
    hosts_file.write_text(
        "# the lab\n" + "".join(f"{h.user}@{h.address}:{h.port} {h.name}\n" for h in hosts)
    )
    argv = [
        "deploy",
        "--hosts",
        str(hosts_file),
        "--hub",
        hub_process.url,
        "--room",
        "112",
        "--token",
        AGENT_TOKEN,
        "--console-token",
        CONSOLE_TOKEN,
        "--key",
        str(sshd.client_key),
        "--python",
        sys.executable,  # the same interpreter the local wheels were repacked from
        "--remote-dir",
        f"{remote_root}/{{host}}",
        "--no-service",
        "--data",
        str(data),
    ]

    assert main(argv) == 1
    out = capsys.readouterr().out
    assert statuses(out) == {
        "lab-01": "installed",
        "lab-02": "installed",
        "lab-03": "failed",
        "lab-04": "failed",
    }, out
    assert re.search(r"lab-03 .*prepare: .*(Not a directory|File exists)", out), out
    assert re.search(r"lab-04 .*connect: .*not trusted yet.*testday ssh trust 127\.0\.0\.4", out)
    ids = {(remote_root / n / "state/device_id").read_text().strip() for n in ("lab-01", "lab-02")}
    devices = {d["id"]: d for d in api_devices(hub_process.port)}
    assert ids <= {i for i, d in devices.items() if d["connected"]}
    assert {devices[i]["room"] for i in ids} == {"112"}

    # The agents learnt their checks from the hub's loopback profile: no vendor host is looked up.
    def networks() -> list[dict]:
        found = {d["id"]: d for d in api_devices(hub_process.port)}
        return [((found[i]["facts"] or {}).get("network") or {}) for i in ids]

    eventually_blocking(lambda: all(n.get("dns") for n in networks()), 30, what="agents' DNS facts")
    for network in networks():
        assert {r["host"] for r in network["dns"]} <= {"localhost", "127.0.0.1"}, network
        assert {e["host"] for e in network.get("endpoints", [])} <= {"127.0.0.1"}, network
    config = remote_root / "lab-01/agent.toml"
    assert config.stat().st_mode & 0o777 == 0o600
    assert f'hub = "{hub_process.url}"' in config.read_text()
    pids = {n: pid(remote_root, n) for n in ("lab-01", "lab-02")}
    written = {p: p.stat().st_mtime_ns for p in remote_root.rglob("*") if p.is_file()}

    assert main(argv) == 1
    out = capsys.readouterr().out
    assert statuses(out)["lab-01"] == statuses(out)["lab-02"] == "unchanged", out
    assert {n: pid(remote_root, n) for n in pids} == pids
    assert all(alive(p) for p in pids.values())
    changed = [p for p, t in written.items() if p.stat().st_mtime_ns != t]
    assert [p for p in changed if "state" not in p.parts and p.name != "agent.log"] == []

    os.kill(pids["lab-02"], signal.SIGTERM)  # the agent died: the next deploy brings it back
    eventually_blocking(lambda: not alive(pids["lab-02"]), 10, what="lab-02's agent gone")
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert statuses(out)["lab-01"] == "unchanged", out
    assert statuses(out)["lab-02"] == "restarted", out
    pids["lab-02"] = pid(remote_root, "lab-02")

    real = wheelhouse.build_wheelhouse
    newer = "9.9.9+0000000001"

    def newer_agent(folder: Path) -> tuple[Path, list[Path]]:
        agent, deps = real(folder)
        return relabelled(agent, newer), deps

    monkeypatch.setattr(wheelhouse, "build_wheelhouse", newer_agent)
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert statuses(out)["lab-01"] == statuses(out)["lab-02"] == "upgraded", out
    for name, old_pid in pids.items():
        assert pid(remote_root, name) != old_pid and not alive(old_pid)
        assert alive(pid(remote_root, name))
        site = next((remote_root / name / "venv/lib").glob("python3*/site-packages"))
        assert [p.name for p in site.glob("testday_agent-*.dist-info")] == [
            f"testday_agent-{newer}.dist-info"
        ]
        assert [p.name for p in (remote_root / name / "dist").glob("testday_agent-*")] == [
            f"testday_agent-{newer}-py3-none-any.whl"
        ]


def relabelled(wheel: Path, version: str) -> Path:
    """The same agent under another version: what a changed agent looks like to pip."""
    old = wheel.name.split("-")[1]
    with zipfile.ZipFile(wheel) as zf:
        files = {
            name.replace(old, version): zf.read(name).replace(
                f"Version: {old}".encode(), f"Version: {version}".encode()
            )
            for name in zf.namelist()
            if not name.endswith("/RECORD")
        }
    path = wheel.with_name(wheel.name.replace(old, version))
    return wheelhouse.write_wheel(path, files, f"testday_agent-{version}.dist-info")


def test_agent_wheel_is_byte_identical_across_builds_and_versioned_by_content(
    tmp_path: Path,
) -> None:
    agent, deps = build_wheelhouse(tmp_path / "a")
    again, _ = build_wheelhouse(tmp_path / "b")
    assert agent.name == again.name and agent.read_bytes() == again.read_bytes()
    assert re.fullmatch(r"testday_agent-\d+\.\d+\.\d+\+[0-9a-f]{10}-py3-none-any\.whl", agent.name)
    assert {d.name.split("-")[0] for d in deps} >= {"psutil", "websockets", "msgspec"}
    with zipfile.ZipFile(agent) as zf:
        names = zf.namelist()
        assert "testday_agent/cli.py" in names and not any("__pycache__" in n for n in names)
        entry_points = zf.read(next(n for n in names if n.endswith("entry_points.txt")))
        assert b"testday_agent.cli:main" in entry_points


def test_hosts_are_parsed_with_users_ports_and_names(tmp_path: Path) -> None:
    assert parse_target("10.0.0.7", "tech", 22) == RemoteHost("10.0.0.7", "10.0.0.7", 22, "tech")
    assert parse_target("root@lab7:2222", "tech", 22) == RemoteHost("lab7", "lab7", 2222, "root")
    assert parse_target("[fd00::7]:2200", "t", 22) == RemoteHost("fd00::7", "fd00::7", 2200, "t")
    assert parse_target("fd00::7", "t", 22).port == 22
    hosts = tmp_path / "hosts"
    hosts.write_text("# room 112\nadmin@10.0.0.1 pc-01  # front row\n\n10.0.0.2:2222\n")
    assert read_hosts(hosts, "tech", 22) == [
        RemoteHost("pc-01", "10.0.0.1", 22, "admin"),
        RemoteHost("10.0.0.2", "10.0.0.2", 2222, "tech"),
    ]


def test_result_table_puts_failures_first_and_counts() -> None:
    table = result_table(
        [
            HostResult("pc-01", "unchanged", device_id="dev-1", seconds=0.4),
            HostResult("pc-02", "failed", "python: python3.11+ missing on host", seconds=1.2),
        ]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["HOST", "RESULT", "TIME", "DEVICE", "DETAIL"]
    assert lines[1].startswith("pc-02") and lines[1].endswith("python3.11+ missing on host")
    assert lines[-1] == "1 failed, 1 unchanged"


def test_a_host_without_python_311_is_reported_as_such(
    tmp_path: Path, sshd: Sshd, capsys: pytest.CaptureFixture[str]
) -> None:
    host = sshd.hosts(5)[4]
    data = tmp_path / "data"
    trust(known_hosts_path(data), host, asyncio.run(server_key(host)))
    argv = ["deploy", f"{host.user}@{host.address}:{host.port}", "--hub", "ws://127.0.0.1:9"]
    argv += ["--token", AGENT_TOKEN, "--key", str(sshd.client_key), "--data", str(data)]
    argv += ["--python", str(tmp_path / "no-such-python3"), "--no-verify"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert re.search(r"127\.0\.0\.5 +failed .*python: python3\.11\+ missing on host \(.+\)", out)


def test_a_loopback_hub_is_refused_for_lab_machines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["deploy", "10.0.0.7", "--hub", "ws://127.0.0.1:8765", "--token", "t", "--no-verify"]
    assert main([*argv, "--data", str(tmp_path)]) == 2
    assert "is this machine only" in capsys.readouterr().err


class Answers(Remote):
    """A host that answers every command with the same output."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    async def run(
        self, step: str, command: str, stdin: str | None = None, timeout: float = 0
    ) -> str:
        return self.answer


async def test_service_mode_needs_a_running_service_manager() -> None:
    assert await Answers("running\n").service_mode("Linux", service=True) == "systemd"
    assert await Answers("degraded\n").service_mode("Linux", service=True) == "systemd"
    assert await Answers("").service_mode("Darwin", service=True) == "launchd"
    assert await Answers("offline\n").service_mode("Linux", service=False) == "background"
    booted = "System has not been booted with systemd as init system (PID 1).\noffline\n"
    with pytest.raises(StepFailed, match=r"no service manager .*\(systemctl: offline\); use --no"):
        await Answers(booted).service_mode("Linux", service=True)
