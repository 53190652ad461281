"""Provides run_rollout: one command on many hosts, in waves, bounded, cut at its timeout."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import asyncssh

from testday.remote.ssh_connect import HostKeyError, RemoteError, RemoteHost, connect

Status = Literal["ok", "failed", "timeout", "refused_host_key", "unreachable", "skipped"]
STATUSES: tuple[Status, ...] = (
    "ok", "failed", "timeout", "refused_host_key", "unreachable", "skipped",
)  # fmt: skip
# OpenSSH's default MaxSessions: a connection may carry this many sessions at once. A rollout
# opens one session per host, so it stays far below; the constant documents the ceiling.
MAX_SESSIONS_PER_CONNECTION = 10
EXCERPT_LINES = 20
EXCERPT_BYTES = 2048


@dataclass(frozen=True)
class HostResult:
    """What happened on one host; ``started``/``finished`` are wall-clock (time.time())."""

    host: str
    address: str
    port: int
    status: Status
    wave: int  # 1-based
    exit_status: int | None = None
    duration_s: float = 0.0
    output: str = ""  # excerpt: the last lines of stdout, then stderr
    error: str | None = None
    started: float = 0.0
    finished: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class RolloutReport:
    command: str
    results: list[HostResult] = field(default_factory=list)  # in the order hosts were given
    stopped_after_wave: int | None = None
    stop_reason: str | None = None

    @property
    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.results)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


def excerpt(stdout: str | None, stderr: str | None) -> str:
    """The last EXCERPT_LINES lines (at most EXCERPT_BYTES) of stdout followed by stderr."""
    text = (stdout or "").rstrip("\n")
    if stderr and stderr.strip():
        text = f"{text}\n{stderr.rstrip()}" if text else stderr.rstrip()
    lines = text.splitlines()
    kept = "\n".join(lines[-EXCERPT_LINES:])
    data = kept.encode()
    if len(data) > EXCERPT_BYTES:
        kept = data[-EXCERPT_BYTES:].decode(errors="ignore")
    return kept if kept == text else f"[…]\n{kept}"


async def _run_command(
    conn: asyncssh.SSHClientConnection, command: str, timeout_s: float
) -> tuple[Status, int | None, str, str | None]:
    """(status, exit status, output excerpt, error) of ``command`` on an open connection."""
    try:
        process = await conn.create_process(command, encoding="utf-8", errors="replace")
    except (asyncssh.Error, OSError) as exc:
        return "failed", None, "", f"could not start the command: {exc}"
    try:
        done = await process.wait(timeout=timeout_s)
    except asyncssh.TimeoutError as exc:
        # Ask sshd to stop it, then close the channel: the remote shell gets a hang-up. sshd
        # refuses signals for root logins (no privilege separation), so say what may remain.
        with contextlib.suppress(asyncssh.Error, OSError):
            process.send_signal("TERM")
        process.close()
        return (
            "timeout",
            None,
            # asyncssh types the output bytes | str whatever the encoding; with one set it is str.
            excerpt(exc.stdout, exc.stderr),  # type: ignore[arg-type]
            f"no exit after {timeout_s:g} s: cut off (it may still be running on the host "
            "if it ignores the hang-up)",
        )
    except (asyncssh.Error, OSError) as exc:
        return "failed", None, "", f"connection lost while running: {exc}"
    # asyncssh types the output bytes | str whatever the encoding; with one set it is str.
    out = excerpt(done.stdout, done.stderr)  # type: ignore[arg-type]
    if done.exit_status == 0:
        return "ok", 0, out, None
    if done.exit_signal:
        return "failed", None, out, f"ended by signal {done.exit_signal[0]}"
    if done.exit_status is None or done.exit_status < 0:
        return "failed", None, out, "ended without an exit status"
    return "failed", done.exit_status, out, f"exit status {done.exit_status}"


async def _run_host(
    host: RemoteHost,
    wave: int,
    command: str,
    known_hosts: Path,
    client_keys: list[Path] | None,
    connect_timeout_s: float,
    command_timeout_s: float,
) -> HostResult:
    started, clock = time.time(), time.monotonic()

    def result(status: Status, code: int | None, out: str, error: str | None) -> HostResult:
        return HostResult(
            host.name, host.address, host.port, status, wave, code,
            round(time.monotonic() - clock, 3), out, error, started, time.time(),
        )  # fmt: skip

    try:
        conn = await connect(host, known_hosts, client_keys, connect_timeout_s)
    except HostKeyError as exc:
        return result("refused_host_key", None, "", str(exc))
    except RemoteError as exc:
        return result("unreachable", None, "", str(exc))
    # One connection per host, closed whatever happens. Returned after the block, as asyncssh
    # types __aexit__ -> bool: to mypy the block may swallow an error and fall through.
    async with conn:
        outcome = result(*await _run_command(conn, command, command_timeout_s))
    return outcome


async def run_rollout(
    hosts: Sequence[RemoteHost],
    command: str,
    *,
    known_hosts: Path,
    client_keys: list[Path] | None = None,
    wave_size: int = 5,
    max_failures: int = 2,
    connect_timeout_s: float = 10.0,
    command_timeout_s: float,
    max_connections: int = 10,
    on_result: Callable[[HostResult], None] | None = None,
) -> RolloutReport:
    """Run ``command`` on ``hosts`` wave by wave (``wave_size`` hosts, at most
    ``max_connections`` connected at once); after a wave, stop when more than ``max_failures``
    hosts have failed so far, and report the rest as skipped. ``on_result`` sees each result
    as it arrives. The caller vouches that ``command`` is a declared action (see actions.py).
    """
    if wave_size < 1 or max_connections < 1 or max_failures < 0:
        raise ValueError("wave_size and max_connections must be ≥ 1, max_failures ≥ 0")
    if connect_timeout_s <= 0 or command_timeout_s <= 0:
        raise ValueError("timeouts must be more than 0 seconds")
    seen = [(h.address, h.port, h.user) for h in hosts]
    if len(set(seen)) != len(seen):
        raise ValueError("a host is listed twice: the command would run twice on one machine")
    notify = on_result or (lambda _: None)
    gate = asyncio.Semaphore(max_connections)
    report = RolloutReport(command)
    by_host: dict[int, HostResult] = {}

    async def one(index: int, host: RemoteHost, wave: int) -> None:
        async with gate:
            outcome = await _run_host(
                host, wave, command, known_hosts, client_keys, connect_timeout_s, command_timeout_s
            )
        by_host[index] = outcome
        notify(outcome)

    waves = [range(i, min(i + wave_size, len(hosts))) for i in range(0, len(hosts), wave_size)]
    failures = 0
    for number, indices in enumerate(waves, start=1):
        async with asyncio.TaskGroup() as group:
            for i in indices:
                group.create_task(one(i, hosts[i], number))
        failures += sum(1 for i in indices if not by_host[i].ok)
        if failures > max_failures and number < len(waves):
            report.stopped_after_wave = number
            report.stop_reason = (
                f"stopped after wave {number} of {len(waves)}: {failures} hosts failed so far, "
                f"more than the {max_failures} allowed"
            )
            for later, rest in enumerate(waves[number:], start=number + 1):
                for i in rest:
                    host = hosts[i]
                    by_host[i] = HostResult(
                        host.name, host.address, host.port, "skipped", later,
                        error=f"not run: {report.stop_reason}",
                    )  # fmt: skip
                    notify(by_host[i])
            break
    report.results = [by_host[i] for i in range(len(hosts))]
    return report
