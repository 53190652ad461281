"""Provides SSH connections to lab machines with host keys always checked against testday's file.

testday keeps its own ``known_hosts`` (in the hub's data directory): a key gets there only through
``testday ssh trust HOST`` after a person has seen its fingerprint. An unknown key and a changed
key are both refused, each with a message saying what to do.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import asyncssh

KNOWN_HOSTS_FILE = "known_hosts"
DEFAULT_CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RemoteHost:
    """A lab machine reachable over SSH; ``name`` is how the technician calls it."""

    name: str
    address: str
    port: int = 22
    user: str = "root"

    @property
    def pattern(self) -> str:
        """Its known_hosts pattern: the bare address on port 22, ``[address]:port`` otherwise."""
        return self.address if self.port == 22 else f"[{self.address}]:{self.port}"


class HostKeyError(Exception):
    """The host's key is not the trusted one; the message says which case and what to do."""


class RemoteError(Exception):
    """The host could not be reached or refused us; the message is for the technician."""


def known_hosts_path(data_dir: Path) -> Path:
    return data_dir / KNOWN_HOSTS_FILE


def trusted_keys(path: Path, host: RemoteHost) -> list[str]:
    """The key lines recorded for ``host`` (type and base64), in file order."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 3 and not line.startswith("#") and host.pattern in parts[0].split(","):
            found.append(f"{parts[1]} {parts[2]}")
    return found


async def server_key(
    host: RemoteHost, timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
) -> asyncssh.SSHKey:
    """The key the host presents now (for ``ssh trust``); nothing is trusted by asking."""
    try:
        key = await asyncio.wait_for(
            asyncssh.get_server_host_key(host.address, host.port), timeout_s
        )
    except (OSError, asyncssh.Error, TimeoutError) as exc:
        raise RemoteError(f"{host.name} ({host.address}:{host.port}): {_why(exc)}") from None
    if key is None:
        raise RemoteError(f"{host.name} presented no host key")
    return key


def fingerprint(key: asyncssh.SSHKey) -> str:
    return key.get_fingerprint("sha256")


def trust(path: Path, host: RemoteHost, key: asyncssh.SSHKey) -> bool:
    """Record ``key`` for ``host`` (replacing an older one); False if it was already trusted."""
    line = key.export_public_key("openssh").decode().split()
    entry = f"{line[0]} {line[1]}"
    kept = []
    if path.exists():
        for raw in path.read_text(encoding="utf-8").splitlines():
            parts = raw.split()
            if len(parts) >= 3 and host.pattern in parts[0].split(","):
                if f"{parts[1]} {parts[2]}" == entry:
                    return False
                continue  # the host's old key: a person has just approved the new one
            kept.append(raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    kept.append(f"{host.pattern} {entry}")
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(kept) + "\n", encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return True


async def connect(
    host: RemoteHost,
    known_hosts: Path,
    client_keys: list[Path] | None = None,
    timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
) -> asyncssh.SSHClientConnection:
    """An authenticated connection, or HostKeyError / RemoteError naming the host and the fix."""
    if not trusted_keys(known_hosts, host):
        raise HostKeyError(
            f"{host.name} ({host.pattern}) is not trusted yet: check its fingerprint with "
            f"`testday ssh trust {host.address}{'' if host.port == 22 else f' --port {host.port}'}`"
        )
    try:
        return await asyncio.wait_for(
            asyncssh.connect(
                host.address,
                port=host.port,
                username=host.user,
                known_hosts=str(known_hosts),
                # None: the technician's default keys (~/.ssh/id_*), as ssh would use.
                client_keys=[str(k) for k in client_keys] if client_keys else None,
                config=None,  # the technician's ~/.ssh/config must not change where we go
            ),
            timeout_s,
        )
    except asyncssh.HostKeyNotVerifiable:
        raise HostKeyError(
            f"{host.name} ({host.pattern}) presented a different host key than the one trusted — "
            "the machine was reinstalled, or something is in the way. Check with the machine's "
            f"owner, then `testday ssh trust {host.address}` to accept the new key"
        ) from None
    except (OSError, asyncssh.Error, TimeoutError) as exc:
        raise RemoteError(f"{host.name} ({host.address}:{host.port}): {_why(exc)}") from None


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is sshd running?)"
    if isinstance(exc, asyncssh.PermissionDenied):
        return f"login refused: {exc.reason}"
    if isinstance(exc, asyncssh.Error):
        return exc.reason or type(exc).__name__
    return str(exc) or type(exc).__name__
