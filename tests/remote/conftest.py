"""Provides a real OpenSSH server on loopback: throwaway keys, 20 "hosts" as loopback aliases."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from testday.remote.ssh_connect import RemoteHost
from tests.eventually import eventually_blocking
from tests.peers import need_tool

HOSTS = 20
PER_SSHD = 15  # sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS)
HINT = "apt-get install openssh-server"


def need(tool: str) -> str:
    return need_tool(tool, HINT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keygen(path: Path) -> Path:
    command = [need("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-f", str(path)]
    subprocess.run(command, check=True, capture_output=True)
    return path


@dataclass
class Sshd:
    """sshd answering on ``port`` at 127.0.0.1 … 127.0.0.20: twenty hosts to the client (two
    processes, as one sshd listens on at most 16 addresses)."""

    port: int
    user: str
    client_key: Path
    host_key: Path
    folder: Path
    procs: tuple[subprocess.Popen[bytes], ...] = ()

    def hosts(self, count: int = HOSTS) -> list[RemoteHost]:
        return [
            RemoteHost(f"lab-{i:02d}", f"127.0.0.{i}", self.port, self.user)
            for i in range(1, count + 1)
        ]

    def start(self) -> Sshd:
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir
        numbers = list(range(1, HOSTS + 1))
        chunks = [numbers[i : i + PER_SSHD] for i in range(0, HOSTS, PER_SSHD)]
        self.procs = tuple(self._start_one(n, chunk) for n, chunk in enumerate(chunks))
        for i in (chunk[0] for chunk in chunks):
            self._wait(f"127.0.0.{i}")
        return self

    def _start_one(self, n: int, chunk: list[int]) -> subprocess.Popen[bytes]:
        config = self.folder / f"sshd_config.{n}"
        listen = "\n".join(f"ListenAddress 127.0.0.{i}:{self.port}" for i in chunk)
        config.write_text(
            f"""{listen}
HostKey {self.host_key}
PidFile {self.folder / f"sshd.{n}.pid"}
AuthorizedKeysFile {self.folder / "authorized_keys"}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
MaxSessions 10
MaxStartups 200:30:400
Subsystem sftp internal-sftp
"""
        )
        log = (self.folder / "sshd.log").open("ab")
        command = [need("sshd"), "-D", "-e", "-f", str(config)]
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    def _wait(self, address: str) -> None:
        def accepts() -> bool:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError((self.folder / "sshd.log").read_text())
            socket.create_connection((address, self.port), timeout=0.5).close()
            return True

        try:
            eventually_blocking(accepts, 10, what=f"sshd on {address}", ignore=(OSError,))
        except AssertionError as exc:
            raise RuntimeError(f"{exc}\n{(self.folder / 'sshd.log').read_text()}") from None

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(10)
        self.procs = ()

    def new_host_key(self) -> None:
        """The machine was reinstalled: same address, another host key."""
        self.stop()
        for suffix in ("", ".pub"):
            Path(f"{self.host_key}{suffix}").unlink()
        keygen(self.host_key)
        self.start()


def make_sshd(folder: Path) -> Sshd:
    folder.mkdir(parents=True, exist_ok=True)
    need("sshd")
    client_key = keygen(folder / "client_key")
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())
    return Sshd(free_port(), getpass.getuser(), client_key, keygen(folder / "host_key"), folder)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """Shared by the module's tests; do not change its host key (use ``own_sshd`` for that)."""
    server = make_sshd(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


@pytest.fixture
def own_sshd(tmp_path: Path) -> Iterator[Sshd]:
    """A server of the test's own, free to be reinstalled mid-test."""
    server = make_sshd(tmp_path / "sshd").start()
    yield server
    server.stop()
