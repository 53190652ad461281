"""Provides a benchmark of one real agent's footprint (memory, CPU, collection time) beside a hub.

Run: .venv/bin/python benchmarks/agent_footprint.py   (about 5.5 minutes; --minutes 1 for a quick
look; --help for the rest). Exits 1, naming the figure, if one misses its target, so it can serve
as a check.

What it does, all on loopback: a TCP listener on 127.0.0.1 stands in for the testing platform; a
loopback profile (that endpoint, `localhost` to resolve, and an app rule whose version command is
this Python) is written to a temporary folder; `testday serve` runs on port 0 with it, and ONE
real agent (`python -m testday_agent`) reports to it at the default interval (15 s). The agent
process is sampled with psutil every few seconds: RSS, and CPU time (its own, and that of the
children it has waited for, i.e. the app's version command). The hub's API gives each report's
`facts.agent.collect_ms`; its /metrics the reports received. Before the agent starts, the same
collector is timed in this process: 20 collections with no checks, 20 with the profile's checks.

Targets (DESIGN.md, "Numbers to design for"): agent ≤ 30 MiB RSS, ≤ 0.5 % of one core at the
default interval, one collection ≤ 50 ms plus probes. CPU is averaged from the first sample 20 s
after the agent started (start-up, imports and enrolment excluded) to the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import psutil
from testday_agent.collect import SystemCollector
from testday_agent.protocol import Checks

from testday.config.profiles import load_profile
from testday.demo.loopback_platform import (
    loopback_hub_command,
    write_loopback_profile,
    write_site,
)

RSS_TARGET_MIB = 30.0
CPU_TARGET_PERCENT = 0.5
COLLECT_TARGET_MS = 50.0
STARTUP_S = 20.0  # excluded from the CPU mean
IN_PROCESS_RUNS = 20
SPLAY = 0.1  # the agent waits interval × uniform(0.9, 1.1) between collections
MIB = 1024 * 1024


# --- in-process collection timing ---------------------------------------------------------------


async def time_collections(checks: Checks, runs: int) -> list[float]:
    """Wall milliseconds of `runs` collections by one SystemCollector, one after another."""
    collector = SystemCollector()
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        await collector.collect(checks)
        times.append((time.perf_counter() - start) * 1000)
    return times


# --- the hub and the agent as subprocesses ------------------------------------------------------


def stop_process(proc: subprocess.Popen[Any] | None, grace_s: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within grace_s; a no-op once it has exited."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(grace_s)


def start_hub(
    data_dir: Path, profiles: Path, interval_s: float, env: dict[str, str], log: IO[str]
) -> tuple[subprocess.Popen[str], int]:
    """`testday serve` on 127.0.0.1, port 0; returns the process and the port it chose."""
    proc = subprocess.Popen(
        loopback_hub_command(data_dir, profiles, interval_s),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    try:
        line = proc.stdout.readline()  # the rest of the banner is a few lines: it stays in the pipe
    except BaseException:  # Ctrl-C while the hub starts: it must not outlive us
        stop_process(proc)
        raise
    match = re.search(r"listening on ws://127\.0\.0\.1:(\d+) \(data", line)
    if match is None:
        stop_process(proc)
        raise RuntimeError(f"hub did not start: first line {line!r}")
    return proc, int(match.group(1))


def deployed_python(root: Path) -> str:
    """A fresh venv holding only `pip install ./agents`, as on a testing device."""
    venv = root / "agent-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    agents = Path(__file__).resolve().parents[1] / "agents"
    print(f"installing the agent into a clean venv ({venv.name}) …", flush=True)
    subprocess.run(
        [python, "-m", "pip", "install", "-q", str(agents)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return python


def start_agent(
    port: int,
    state_dir: Path,
    interval_s: float,
    env: dict[str, str],
    log: IO[str],
    python: str = sys.executable,
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            python,
            "-m",
            "testday_agent",
            "--hub",
            f"ws://127.0.0.1:{port}",
            "--state-dir",
            str(state_dir),
            "--room",
            "bench",
            "--interval",
            f"{interval_s:g}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=env,
    )


def http_get(port: int, path: str, token: str | None = None) -> bytes:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.read()


def metric_value(text: str, name: str) -> float:
    """The value of an unlabelled sample in Prometheus text; 0 if it is absent."""
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


# --- sampling -----------------------------------------------------------------------------------


@dataclass
class Sample:
    elapsed_s: float
    rss_mib: float
    own_cpu_s: float  # user + system of the agent process
    child_cpu_s: float  # user + system of children it waited for (version commands)


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    collect_ms: dict[int, float] = field(default_factory=dict)  # report seq → facts.agent value
    reported_cpu: dict[int, float] = field(default_factory=dict)  # seq → facts.agent.cpu_percent
    api_errors: int = 0
    uss_mib: float | None = None  # memory only the agent holds (shared libraries left out)


def sample(process: psutil.Process, started: float) -> Sample:
    with process.oneshot():
        times = process.cpu_times()
        rss = process.memory_info().rss
    return Sample(
        elapsed_s=time.monotonic() - started,
        rss_mib=rss / MIB,
        own_cpu_s=times.user + times.system,
        child_cpu_s=times.children_user + times.children_system,
    )


def poll_api(port: int, token: str, run: Run) -> None:
    """Record the latest report's collect_ms and cpu_percent the hub holds for the agent."""
    try:
        devices = json.loads(http_get(port, "/api/devices", token))
    except (OSError, ValueError):
        run.api_errors += 1
        return
    for device in devices:
        agent = ((device.get("facts") or {}).get("agent")) or {}
        seq = device.get("last_seq")
        if seq is None:
            continue
        if agent.get("collect_ms") is not None:
            run.collect_ms[seq] = float(agent["collect_ms"])
        if agent.get("cpu_percent") is not None:
            run.reported_cpu[seq] = float(agent["cpu_percent"])


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Row:
    measure: str
    achieved: str
    target: str
    ok: bool | None  # None: informative, no target of its own


def expected_reports(window_s: float, interval_s: float) -> tuple[int, int, int]:
    """(fewest, nominal, most) reports an agent makes in window_s from its start.

    One report when the collect loop starts, one fresh snapshot once connected, then one per
    splayed interval (interval × 0.9 … 1.1; the fewest allows a few seconds of start-up).
    """
    fewest = 2 + max(0, math.floor((window_s - 5.0) / (interval_s * (1 + SPLAY))))
    nominal = 2 + math.floor(window_s / interval_s)
    most = 2 + math.floor(window_s / (interval_s * (1 - SPLAY)))
    return fewest, nominal, most


def fmt_ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{statistics.median(values):.1f} / {max(values):.1f}"


class Interrupted(BaseException):
    """SIGTERM arrived; unwinds like Ctrl-C (past `except Exception`) so subprocesses stop."""


def on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Interrupted


@contextlib.contextmanager
def loopback_listener() -> Iterator[int]:
    """A real TCP listener standing in for the testing platform; the kernel completes connects."""
    server = socket.create_server(("127.0.0.1", 0), backlog=128)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def benchmark(args: argparse.Namespace) -> int:
    duration_s = args.minutes * 60
    agent_token = secrets.token_urlsafe(24)
    console_token = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "TESTDAY_AGENT_TOKEN": agent_token,
        "TESTDAY_CONSOLE_TOKEN": console_token,
        "PYTHONUNBUFFERED": "1",
    }
    hub: subprocess.Popen[str] | None = None
    agent: subprocess.Popen[bytes] | None = None
    with (
        tempfile.TemporaryDirectory(prefix="testday-agent-bench-") as tmp,
        loopback_listener() as platform_port,
    ):
        root = Path(tmp)
        profile_path = write_loopback_profile(root / "profiles", platform_port)
        checks = load_profile(profile_path).checks()

        # In-process first, so it neither competes with the agent nor shows in its CPU.
        bare_ms = asyncio.run(time_collections(Checks(), IN_PROCESS_RUNS))
        probed_ms = asyncio.run(time_collections(checks, IN_PROCESS_RUNS))

        hub_log = (root / "hub.log").open("w")
        agent_log = (root / "agent.log").open("w")
        try:
            hub, port = start_hub(
                write_site(root / "hub"), root / "profiles", args.interval, env, hub_log
            )
            print(
                f"agent footprint: hub on 127.0.0.1:{port}, platform listener on "
                f"127.0.0.1:{platform_port}; one agent at a {args.interval:g} s interval for "
                f"{args.minutes:g} min, sampled every {args.sample:g} s",
                flush=True,
            )
            started = time.monotonic()
            python = sys.executable if args.dev else deployed_python(root)
            agent = start_agent(port, root / "agent", args.interval, env, agent_log, python)
            process = psutil.Process(agent.pid)
            run = Run()
            next_progress = args.progress
            while True:
                elapsed = time.monotonic() - started
                if elapsed >= duration_s:
                    break
                time.sleep(min(args.sample, duration_s - elapsed))
                if agent.poll() is not None:
                    raise RuntimeError(f"agent exited with {agent.returncode}")
                if hub.poll() is not None:
                    raise RuntimeError(f"hub exited with {hub.returncode}")
                current = sample(process, started)
                run.samples.append(current)
                poll_api(port, console_token, run)
                if current.elapsed_s >= next_progress or current.elapsed_s >= duration_s:
                    print(
                        f"  {current.elapsed_s:6.0f} s  RSS {current.rss_mib:5.1f} MiB  "
                        f"CPU {current.own_cpu_s:6.2f} s (+ {current.child_cpu_s:.2f} s in "
                        f"version commands)  reports seen via API {len(run.collect_ms)}",
                        flush=True,
                    )
                    next_progress += args.progress
            metrics = http_get(port, "/metrics").decode()
            window_s = time.monotonic() - started
            with contextlib.suppress(psutil.Error):  # reads /proc/PID/smaps: once, at the end
                run.uss_mib = process.memory_full_info().uss / MIB
        except Exception as exc:
            for name, log in (("hub", hub_log), ("agent", agent_log)):
                log.flush()
                tail = (root / f"{name}.log").read_text()[-2000:].strip()
                if tail:
                    print(f"--- {name} stderr (tail) ---\n{tail}", file=sys.stderr)
            print(f"agent footprint: {exc}", file=sys.stderr)
            return 2
        finally:
            stop_process(agent)
            stop_process(hub)
            hub_log.close()
            agent_log.close()

    return report(args, run, metrics, window_s, bare_ms, probed_ms)


def report(
    args: argparse.Namespace,
    run: Run,
    metrics: str,
    window_s: float,
    bare_ms: list[float],
    probed_ms: list[float],
) -> int:
    samples = run.samples
    if not samples:
        print("agent footprint: no samples taken", file=sys.stderr)
        return 2
    last = samples[-1]
    peak = max(s.rss_mib for s in samples)
    steady = [s for s in samples if s.elapsed_s >= STARTUP_S]
    if len(steady) >= 2:
        first, end = steady[0], steady[-1]
        span = end.elapsed_s - first.elapsed_s
        own_pct = (end.own_cpu_s - first.own_cpu_s) / span * 100
        child_pct = (end.child_cpu_s - first.child_cpu_s) / span * 100
        cpu_value, cpu_ok = f"{own_pct:.3f}", own_pct <= CPU_TARGET_PERCENT
        total_pct = own_pct + child_pct
        total_value, total_ok = f"{total_pct:.3f}", total_pct <= CPU_TARGET_PERCENT
        cpu_window = f"{first.elapsed_s:.0f}–{end.elapsed_s:.0f} s"
    else:
        cpu_value = total_value = "n/a (run too short)"
        cpu_ok = total_ok = False
        cpu_window = "none"
    startup_cpu = next((s.own_cpu_s for s in steady), last.own_cpu_s)

    live = int(metric_value(metrics, "testday_reports_received_total"))
    history = int(metric_value(metrics, "testday_history_reports_received_total"))
    fewest, nominal, most = expected_reports(window_s, args.interval)
    received = live + history
    hub_ms = list(run.collect_ms.values())
    reported_cpu = list(run.reported_cpu.values())

    target_rss = f"≤ {RSS_TARGET_MIB:g}"
    target_cpu = f"≤ {CPU_TARGET_PERCENT:g}"
    target_collect = f"≤ {COLLECT_TARGET_MS:g}"
    target_probed = f"≤ {COLLECT_TARGET_MS:g} + probes"
    rows = [
        Row(
            "RSS at the end (MiB)",
            f"{last.rss_mib:.1f}",
            target_rss,
            last.rss_mib <= RSS_TARGET_MIB,
        ),
        Row("RSS peak (MiB)", f"{peak:.1f}", target_rss, peak <= RSS_TARGET_MIB),
        Row(
            "  USS at the end, pages only it holds (MiB)",
            "n/a" if run.uss_mib is None else f"{run.uss_mib:.1f}",
            "",
            None,
        ),
        Row(f"CPU, % of one core ({cpu_window})", cpu_value, target_cpu, cpu_ok),
        Row("  + version commands it ran (%)", total_value, target_cpu, total_ok),
        Row("  CPU time before that window (s)", f"{startup_cpu:.2f}", "", None),
        Row("  agent's own cpu_percent facts, median", fmt_one(reported_cpu), "", None),
        Row(
            f"collect_ms via hub, median / max (n={len(hub_ms)})",
            fmt_ms(hub_ms),
            target_probed,
            bool(hub_ms) and statistics.median(hub_ms) <= COLLECT_TARGET_MS,
        ),
        Row(
            f"in-process, no checks, median / max (n={len(bare_ms)})",
            fmt_ms(bare_ms),
            target_collect,
            max(bare_ms) <= COLLECT_TARGET_MS,
        ),
        Row(
            f"in-process, profile checks, median / max (n={len(probed_ms)})",
            fmt_ms(probed_ms),
            target_probed,
            statistics.median(probed_ms) <= COLLECT_TARGET_MS,
        ),
        Row(
            "reports received by the hub (live + history)",
            f"{received} ({live} + {history})",
            f"{fewest}–{most} (nominal {nominal})",
            fewest <= received <= most,
        ),
    ]
    print(
        f"agent footprint: {window_s:.0f} s, interval {args.interval:g} s, {len(samples)} samples, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, psutil {psutil.__version__}, "
        f"agent {'from the development venv' if args.dev else 'in a clean venv, as deployed'}"
    )
    width = max(len(r.measure) for r in rows) + 2
    print(f"{'measure':<{width}}{'achieved':>18}   {'target':<24}result")
    for r in rows:
        result = "" if r.ok is None else ("ok" if r.ok else "MISS")
        print(f"{r.measure:<{width}}{r.achieved:>18}   {r.target:<24}{result}")
    print(
        "collect_ms via hub: the agent's own measure of each report's collection, probes\n"
        "  included; the median is checked, the max includes the first, cold one.\n"
        "in-process: wall ms per collect(); profile checks = DNS (localhost), a TCP connect to\n"
        "  the loopback listener, and the app rule, whose version command runs once, then is\n"
        "  cached for 10 min."
    )
    if run.api_errors:
        print(f"note: {run.api_errors} polls of /api/devices failed")
    misses = [r.measure.strip() for r in rows if r.ok is False]
    for name in misses:
        print(f"MISSED: {name}")
    return 1 if misses else 0


def fmt_one(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "n/a"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure one real testday agent's footprint (RSS, CPU, collection time) "
        "against a hub on loopback, beside the DESIGN.md targets. Exits 1 if a figure misses "
        "its target, 2 if the run itself failed.",
    )
    parser.add_argument(
        "--minutes", type=float, default=5.0, help="how long the agent runs (default 5)"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=15.0,
        help="seconds between agent reports, for hub and agent (default 15, the hub's)",
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="run the agent from this development venv (editable installs, textual and all) "
        "instead of a clean venv with only the agent, as deployed",
    )
    parser.add_argument(
        "--sample", type=float, default=3.0, help="seconds between samples (default 3)"
    )
    parser.add_argument(
        "--progress", type=float, default=15.0, help="seconds between progress lines (default 15)"
    )
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.interval <= 0 or args.sample <= 0 or args.progress <= 0:
        parser.error("--minutes, --interval, --sample and --progress must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, on_sigterm)
    # Ctrl-C must reach us even when started with SIGINT ignored (e.g. `&` in a script).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return benchmark(args)
    except (KeyboardInterrupt, Interrupted):
        print("\nagent footprint: interrupted; hub and agent stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
