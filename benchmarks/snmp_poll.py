"""Provides a benchmark of the network poller: 200 simulated SNMP devices polled every 30 s.

Run: .venv/bin/python benchmarks/snmp_poll.py [--devices 200] [--interval 30] [--seconds 60]
(default: two rounds, about 65 s; loopback only; snmpsim comes with the dev extra).

snmpsim serves one recording per device (community dev000 … dev199): mostly 24-port switches,
every tenth a UPS and every tenth an access point with a UniFi client table, each serving one of
40 rooms. A real hub in this process, configured through site.toml's [network], polls them all
(staggered over the interval), folds each answer into device state and room health, logs the
events to SQLite and feeds the console. Printed: polls done, failures, poll latency p50/p95 (one
device, all its requests) and this process's CPU as % of one core while polling: the hub's cost
of the network watch (snmpsim's own CPU is shown apart).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from testday.config.files import SITE_FILE
from testday.core.net_state import NetDevice, PollSample
from testday.hub.hub import Hub, HubSettings
from testday.netwatch.oids import SYS_UPTIME
from testday.netwatch.snmp_client import SnmpClient, SnmpFailure

T, X = "1.3.6.1.2.1.2.2.1", "1.3.6.1.2.1.31.1.1.1"
ROOMS = 40


def switch_lines(n: int, ports: int = 24) -> dict[str, tuple[int, object]]:
    out: dict[str, tuple[int, object]] = {}
    for i in range(1, ports + 1):
        octets = (n + 1) * 10**9 + i * 12345
        out |= {
            f"{T}.1.{i}": (2, i),
            f"{T}.2.{i}": (4, f"GigabitEthernet1/0/{i}"),
            f"{T}.5.{i}": (66, 1_000_000_000),
            f"{T}.8.{i}": (2, 1 if i % 7 else 2),
            f"{T}.10.{i}": (65, octets % 2**32),
            f"{T}.13.{i}": (65, 0),
            f"{T}.14.{i}": (65, i % 3),
            f"{T}.16.{i}": (65, (octets // 3) % 2**32),
            f"{T}.19.{i}": (65, 0),
            f"{T}.20.{i}": (65, 0),
            f"{X}.1.{i}": (4, f"Gi1/0/{i}"),
            f"{X}.6.{i}": (70, octets),
            f"{X}.10.{i}": (70, octets // 3),
            f"{X}.15.{i}": (66, 1000),
        }
    return out


def recording(n: int) -> tuple[str, str]:
    """(kind, .snmprec text) for device n."""
    kind = "ups" if n % 10 == 0 else "access_point" if n % 10 == 5 else "switch"
    lines: dict[str, tuple[int, object]] = {
        "1.3.6.1.2.1.1.1.0": (4, f"simulated {kind} {n}"),
        "1.3.6.1.2.1.1.3.0": (67, 100_000 + n),
    }
    if kind == "ups":
        for oid, value in (("2.1.0", 2), ("2.3.0", 40), ("2.4.0", 100), ("4.1.0", 3)):
            lines[f"1.3.6.1.2.1.33.1.{oid}"] = (2, value)
    else:
        lines |= switch_lines(n, 24 if kind == "switch" else 2)
    if kind == "access_point":
        for vap in range(1, 5):
            lines[f"1.3.6.1.4.1.41112.1.6.1.2.1.8.{vap}"] = (2, vap + n % 5)
    ordered = sorted(lines.items(), key=lambda kv: tuple(int(a) for a in kv[0].split(".")))
    return kind, "".join(f"{oid}|{tag}|{value}\n" for oid, (tag, value) in ordered)


def site_toml(devices: list[NetDevice]) -> str:
    lines = ["[network]", ""]
    for n, d in enumerate(devices):
        lines += [
            "[[network.devices]]",
            f'name = "{d.name}"',
            f'address = "{d.address}"',
            f"port = {d.port}",
            f'kind = "{d.kind}"',
            f'community = "{d.community}"',
            f'rooms = ["R{n % ROOMS + 1}"]',
            f"poll_interval_s = {d.poll_interval_s}",
            f"timeout_s = {d.timeout_s}",
            f"retries = {d.retries}",
            *([f'vendor = "{d.vendor}"'] if d.vendor else []),
            "",
        ]
    return "\n".join(lines)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def wait_ready(device: NetDevice, proc: subprocess.Popen[bytes]) -> float:
    started = time.monotonic()
    async with SnmpClient() as client:
        while time.monotonic() - started < 120:
            if proc.poll() is not None:
                raise SystemExit(f"snmpsim exited with {proc.returncode}")
            try:
                await client.get(device, [SYS_UPTIME])
                return time.monotonic() - started
            except SnmpFailure:
                await asyncio.sleep(0.2)
    raise SystemExit("snmpsim did not answer within 120 s")


async def run(args: argparse.Namespace, tmp: Path) -> None:
    data, cache = tmp / "data", tmp / "cache"
    data.mkdir()
    cache.mkdir()
    port = free_udp_port()
    devices = []
    for n in range(args.devices):
        kind, text = recording(n)
        (data / f"dev{n:03d}.snmprec").write_text(text)
        devices.append(
            NetDevice(
                f"dev{n:03d}",
                "127.0.0.1",
                kind,
                port=port,
                community=f"dev{n:03d}",  # type: ignore[arg-type]
                vendor="ubiquiti-unifi" if kind == "access_point" else None,
                poll_interval_s=args.interval,
                timeout_s=2.0,
                retries=1,
            )
        )
    responder = Path(sys.executable).parent / "snmpsim-command-responder"
    command = [
        str(responder),
        f"--data-dir={data}",
        f"--cache-dir={cache}",
        f"--agent-udpv4-endpoint=127.0.0.1:{port}",
        "--logging-method=null",
    ]
    env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}
    with (tmp / "snmpsim.log").open("wb") as log:
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        ready = await wait_ready(devices[-1], proc)
        samples: list[PollSample] = []
        sim = psutil.Process(proc.pid)
        hub_dir = tmp / "hub"
        hub_dir.mkdir()
        (hub_dir / SITE_FILE).write_text(site_toml(devices))
        async with Hub(HubSettings(data_dir=hub_dir, host="127.0.0.1", port=0)) as hub:
            watch = hub.network
            assert watch is not None, "the site lists network devices"
            poller = watch.poller

            def counted(sample: PollSample) -> None:
                samples.append(sample)
                watch.on_sample(sample)

            poller.on_sample = counted  # before any poll has answered: start() only scheduled
            sim_cpu0, cpu0, wall0 = sum(sim.cpu_times()[:2]), time.process_time(), time.monotonic()
            marks = [(cpu0, wall0, 0)]  # (cpu, wall, polls) at each interval's end
            while (left := args.seconds - (time.monotonic() - wall0)) > 0:
                await asyncio.sleep(min(args.interval, left))
                marks.append((time.process_time(), time.monotonic(), len(samples)))
            cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
            sim_cpu = sum(sim.cpu_times()[:2]) - sim_cpu0
            rooms = len(watch.rooms)
    finally:
        proc.terminate()
        proc.wait(10)
    failures = [s for s in samples if s.failure]
    latency = sorted(poller.durations)
    kinds = {k: sum(d.kind == k for d in devices) for k in ("switch", "access_point", "ups")}
    print(
        f"snmp poll: {args.devices} devices ({kinds['switch']} switches × 24 ports, "
        f"{kinds['access_point']} APs, {kinds['ups']} UPSes) on snmpsim, every "
        f"{args.interval:g} s for {wall:.0f} s through a hub judging {rooms} rooms "
        f"(snmpsim ready after {ready:.1f} s)"
    )
    rows = [
        ("polls done", f"{len(samples):,}"),
        ("failures", f"{len(failures):,}"),
        ("poll latency p50", f"{percentile(latency, 50) * 1000:.0f} ms"),
        ("poll latency p95", f"{percentile(latency, 95) * 1000:.0f} ms"),
        ("hub CPU during polling (% of one core)", f"{cpu / wall * 100:.1f} %"),
        ("hub CPU per poll", f"{cpu / max(1, len(samples)) * 1000:.1f} ms"),
    ]
    # Round 1 reads every column; later rounds leave out names and speeds (InterfaceReader).
    for i, ((c0, w0, n0), (c1, w1, n1)) in enumerate(itertools.pairwise(marks), start=1):
        share, per_poll = (c1 - c0) / (w1 - w0), (c1 - c0) / max(1, n1 - n0)
        label = f"  round {i} ({'first reads' if i == 1 else 'steady'}): CPU, per poll"
        rows.append((label, f"{share * 100:.1f} %, {per_poll * 1000:.1f} ms"))
    rows.append(("snmpsim CPU (the simulator, not the hub)", f"{sim_cpu / wall * 100:.1f} %"))
    print(f"{'measure':<44}{'achieved':>18}")
    for name, value in rows:
        print(f"{name:<44}{value:>18}")
    for sample in failures[:5]:
        print(f"  failed: {sample.device}: {sample.failure}: {sample.detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--interval", type=float, default=30.0, help="poll interval, seconds")
    parser.add_argument("--seconds", type=float, default=None, help="default: two intervals")
    args = parser.parse_args()
    if args.seconds is None:
        args.seconds = 2 * args.interval
    with tempfile.TemporaryDirectory(prefix="snmp-poll-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
