"""Provides real SNMP agents on loopback: Debian's snmpd, snmpsim with recordings, snmptrap."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.eventually import eventually_blocking
from tests.netwatch.recordings import AP, SWITCH, UPS, WLC, write_recording
from tests.peers import need_tool

COMMUNITY = "public"
V3_USER, V3_AUTH, V3_PRIV = "testuser", "authpass123", "privpass123"
INSTALL_HINT = "apt-get install snmpd snmp"


def need(tool: str, hint: str = INSTALL_HINT) -> str:
    return need_tool(tool, hint)  # snmpsim comes with the dev extra, in this venv


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """For net-snmp: no MIB files to load (Debian ships none), no writes to /var/lib/snmp."""
    persist = tmp_path_factory.mktemp("snmp-cli")
    return {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(persist)}


def start_agent(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    # Output to a file, not a pipe nobody drains: a full pipe would stall the agent.
    with log.open("wb") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(
    proc: subprocess.Popen[bytes], port: int, community: str, env: dict[str, str], log: Path
) -> None:
    snmpget = need("snmpget")
    args = [snmpget, "-v2c", "-c", community, "-r0", "-t0.2", f"127.0.0.1:{port}"]

    def answers() -> bool:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise AssertionError(f"agent exited with {proc.returncode}: {tail}")
        done = subprocess.run([*args, "1.3.6.1.2.1.1.3.0"], env=env, capture_output=True)
        return done.returncode == 0

    eventually_blocking(answers, 15, what=f"an SNMP answer on udp 127.0.0.1:{port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@contextlib.contextmanager
def running_snmpd(home: Path, cli_env: dict[str, str]) -> Iterator[int]:
    """snmpd answering on a free loopback port (its files in ``home``): v2c community and a
    v3 SHA + AES user; stopped on leaving."""
    snmpd = need("snmpd")
    conf = home / "snmpd.conf"
    conf.write_text(
        f"rocommunity {COMMUNITY} 127.0.0.1\n"
        f'createUser {V3_USER} SHA "{V3_AUTH}" AES "{V3_PRIV}"\n'
        f"rouser {V3_USER} priv\n"
        "sysName test-snmpd\n"
        "dontLogTCPWrappersConnects yes\n"
    )
    persist = home / "persist"
    persist.mkdir()
    port = free_udp_port()
    # -I -smux: no SMUX on TCP 199 (needs root); its own persistent dir: no /var/lib/snmp.
    env = {**cli_env, "SNMP_PERSISTENT_DIR": str(persist)}
    args = [snmpd, "-f", "-Lo", "-C", "-c", str(conf), "-I", "-smux"]
    args += ["-p", str(home / "snmpd.pid"), f"udp:127.0.0.1:{port}"]
    proc = start_agent(args, env, home / "snmpd.log")
    try:
        wait_ready(proc, port, COMMUNITY, cli_env, home / "snmpd.log")
        yield port
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def snmpd_port(tmp_path_factory: pytest.TempPathFactory, cli_env: dict[str, str]) -> Iterator[int]:
    """snmpd on a free loopback port: v2c community and a v3 SHA + AES user."""
    with running_snmpd(tmp_path_factory.mktemp("snmpd"), cli_env) as port:
        yield port


@dataclass(frozen=True)
class Sim:
    port: int
    data: Path  # <community>.snmprec files

    def record(self, community: str, text: str) -> None:
        write_recording(self.data / f"{community}.snmprec", text)


@contextlib.contextmanager
def running_snmpsim(home: Path, cli_env: dict[str, str]) -> Iterator[Sim]:
    """snmpsim serving a UPS (community "ups"), an access point ("ap"), a wireless controller
    ("wlc") and a switch ("sw") from recordings in ``home``; stopped on leaving."""
    responder = need("snmpsim-command-responder", "pip install -e '.[dev]'")
    data, cache = home / "data", home / "cache"
    data.mkdir()
    cache.mkdir()
    sim = Sim(free_udp_port(), data)
    for community, text in (("ups", UPS), ("ap", AP), ("wlc", WLC), ("sw", SWITCH)):
        sim.record(community, text)
    # As root (CI) snmpsim refuses to run unless told to; dropping to nobody fails on pyenv.
    env = {**cli_env, "SNMPSIM_ALLOW_ROOT": "true"}
    args = [responder, f"--data-dir={data}", f"--cache-dir={cache}"]
    args += [f"--agent-udpv4-endpoint=127.0.0.1:{sim.port}", "--logging-method=null"]
    proc = start_agent(args, env, home / "snmpsim.log")
    try:
        wait_ready(proc, sim.port, "ups", cli_env, home / "snmpsim.log")
        yield sim
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def snmpsim(tmp_path_factory: pytest.TempPathFactory, cli_env: dict[str, str]) -> Iterator[Sim]:
    """snmpsim serving a UPS ("ups"), an access point ("ap"), a wireless controller ("wlc") and
    a switch ("sw"); the community names the recording."""
    with running_snmpsim(tmp_path_factory.mktemp("snmpsim"), cli_env) as sim:
        yield sim
