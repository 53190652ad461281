"""Provides a hub load benchmark: many agent connections on loopback, hub CPU and ack latency.

A real `testday serve` runs in its own process; client processes open N agent connections
(real websockets, the real wire protocol and enrollment), each sending a realistic report
every interval. Printed beside DESIGN.md's targets: connect time for all agents, the hub's CPU
(% of one core), report → durable ack latency (p50/p99; acks wait for the batched commit, so
this bounds report → fleet state from above) and reports stored per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from testday_agent.protocol import (
    DEVICE_HEADER,
    Ack,
    AppFacts,
    BatteryFacts,
    DnsResult,
    EndpointResult,
    Facts,
    Hello,
    NetworkFacts,
    Report,
    SystemFacts,
    decode_hub_message,
    encode,
)
from websockets.asyncio.client import connect

from testday.demo.loopback_platform import (
    loopback_hub_command,
    port_from_banner,
    write_loopback_profile,
    write_site,
)

FACTS = Facts(
    battery=BatteryFacts(present=True, percent=83.0, plugged=False, minutes_left=240),
    apps=[AppFacts(name="FakeKiosk", installed=True, version="1.13.2", running=True)],
    network=NetworkFacts(
        interface="wlan0",
        kind="wifi",
        ipv4="127.0.0.2",
        gateway="127.0.0.1",
        dns=[DnsResult(host="localhost", ok=True, ms=1.2, addresses=["127.0.0.1"])],
        endpoints=[
            EndpointResult(name="platform", host="127.0.0.1", port=443, ok=True, connect_ms=12.5)
        ],
    ),
    system=SystemFacts(
        os_family="linux",
        os_version="12 (bookworm)",
        hostname="lab-000",
        uptime_s=3600,
        disk_free_mb=20_000,
        memory_total_mb=8192,
        memory_available_mb=4000,
        cpu_percent=8.0,
    ),
)


async def one_agent(
    url: str,
    token: str,
    device_id: str,
    interval: float,
    until: float,
    latencies: list[float],
    connected: list[float],
    t0: float,
) -> None:
    headers = {"Authorization": f"Bearer {token}", DEVICE_HEADER: device_id}
    for attempt in range(20):
        try:
            ws = await connect(
                url + "/agent",
                additional_headers=headers,
                compression=None,
                open_timeout=60,
                ping_interval=None,
                max_size=2**20,
            )
            break
        except Exception:
            await asyncio.sleep(random.uniform(0, min(30, 2**attempt)))
    else:
        return
    async with ws:
        await ws.send(
            encode(
                Hello(
                    device_id=device_id,
                    agent_version="bench",
                    os_family="linux",
                    os_version="12",
                    hostname=device_id,
                    room=f"R{hash(device_id) % 40}",
                )
            )
        )
        await ws.recv()
        connected.append(time.monotonic() - t0)
        sent: dict[int, float] = {}

        async def receive() -> None:
            async for raw in ws:
                message = decode_hub_message(raw)
                if isinstance(message, Ack):
                    now = time.monotonic()
                    for seq in message.seqs:
                        if seq in sent:
                            latencies.append(now - sent.pop(seq))

        reader = asyncio.create_task(receive())
        await asyncio.sleep(random.uniform(0, interval))
        seq = 0
        while time.monotonic() < until:
            seq += 1
            sent[seq] = time.monotonic()
            await ws.send(encode(Report(seq=seq, sent_at=time.time(), facts=FACTS)).decode())
            await asyncio.sleep(interval * random.uniform(0.9, 1.1))
        await asyncio.sleep(2)
        reader.cancel()


def client_process(
    url: str,
    token: str,
    first: int,
    count: int,
    interval: float,
    duration: float,
    out: multiprocessing.Queue,
) -> None:  # type: ignore[type-arg]
    async def run() -> tuple[list[float], list[float]]:
        latencies: list[float] = []
        connected: list[float] = []
        t0 = time.monotonic()
        until = t0 + duration
        tasks = []
        for n in range(first, first + count):
            tasks.append(
                asyncio.create_task(
                    one_agent(
                        url, token, f"bench-{n:05d}", interval, until, latencies, connected, t0
                    )
                )
            )
            if n % 200 == 0:
                await asyncio.sleep(0.05)  # pace the opening, as agents' jitter would
        await asyncio.gather(*tasks, return_exceptions=True)
        return latencies, connected

    out.put(asyncio.run(run()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=2000, help="connections (default 2000)")
    parser.add_argument("--interval", type=float, default=10.0, help="s between reports")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to report")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    args = parser.parse_args()
    token, console = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    env = {**os.environ, "TESTDAY_AGENT_TOKEN": token, "TESTDAY_CONSOLE_TOKEN": console}
    with (
        tempfile.TemporaryDirectory(prefix="testday-hub-load-") as tmp,
        socket.create_server(("127.0.0.1", 0)) as platform,
    ):
        root = Path(tmp)
        profiles = write_loopback_profile(root / "profiles", platform.getsockname()[1]).parent
        hub = subprocess.Popen(
            loopback_hub_command(write_site(root / "hub"), profiles, args.interval),
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            port = port_from_banner(hub.stdout.readline() if hub.stdout else "")
            if port is None:
                raise SystemExit("hub load: the hub did not start")
            url = f"ws://127.0.0.1:{port}"
            proc = psutil.Process(hub.pid)
            out: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
            per = args.agents // args.clients
            clients = [
                multiprocessing.Process(
                    target=client_process,
                    args=(url, token, i * per, per, args.interval, args.seconds, out),
                )
                for i in range(args.clients)
            ]
            cpu0, t0 = proc.cpu_times(), time.monotonic()
            for c in clients:
                c.start()
            print(
                f"hub on {url}; {per * args.clients} agents in {args.clients} client "
                f"processes, one report every {args.interval:g} s, for {args.seconds:g} s …",
                flush=True,
            )
            samples: list[tuple[float, float]] = []  # (elapsed, hub CPU %)
            results: list[tuple[list[float], list[float]]] = []
            proc.cpu_percent(None)
            while len(results) < len(clients):
                try:
                    results.append(out.get(timeout=5))
                    continue
                except queue.Empty:
                    pass
                elapsed = time.monotonic() - t0
                samples.append((elapsed, proc.cpu_percent(None)))
                print(
                    f"  {elapsed:5.0f} s  hub CPU {samples[-1][1]:5.1f} %  RSS "
                    f"{proc.memory_info().rss / 2**20:6.1f} MiB",
                    flush=True,
                )
                if elapsed > args.seconds + 300:
                    raise SystemExit("hub load: clients did not finish")
            for c in clients:
                c.join(30)
            cpu1, t1 = proc.cpu_times(), time.monotonic()
            metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30).read()
        finally:
            hub.terminate()
            hub.wait(30)
    latencies = sorted(x for lat, _ in results for x in lat)
    connected = sorted(x for _, conn in results for x in conn)
    # Steady state: after every agent has connected, before the clients wind down.
    settled = connected[-1] if connected else 0.0
    steady = [cpu for at, cpu in samples if settled + 5 < at < args.seconds] or [0.0]
    reports = re.search(rb"^testday_reports_received_total (\S+)$", metrics, re.MULTILINE)
    total_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (t1 - t0) * 100

    def pct(q: float) -> str:
        return (
            f"{latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000:.0f} ms"
            if latencies
            else "n/a"
        )

    rows = [
        ("agents connected", f"{len(connected)}/{args.agents}", "10,000 per hub"),
        (
            "time until all connected",
            f"{connected[-1]:.1f} s" if connected else "n/a",
            "≤ 30 s (reconnect storm)",
        ),
        ("hub CPU, steady state (% of one core)", f"{statistics.median(steady):.1f} %", "≤ 50 %"),
        ("hub CPU, whole run incl. enrollment", f"{total_cpu:.1f} %", ""),
        ("report → durable ack, p50", pct(0.5), ""),
        ("report → durable ack, p99", pct(0.99), "fleet state ≤ 250 ms (ack adds ≤ 1 s commit)"),
        ("reports received by the hub", reports.group(1).decode() if reports else "?", ""),
    ]
    print(
        f"\nhub load: {args.agents} agents × 1 report / {args.interval:g} s, {args.seconds:g} s, "
        f"{os.cpu_count()} CPUs (clients share the machine)"
    )
    for name, value, target in rows:
        print(f"  {name:<40}{value:>14}   {target}")
    print(json.dumps({"latency_samples": len(latencies)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
