"""Provides the latency budgets that tests no longer time, each measured beside its target.

Run: .venv/bin/python benchmarks/latency_budgets.py [--samples 10] [--only dashboards agent …]
(about 40 s; it stops by itself). The tests wait for behaviour with generous bounds, so that a
loaded CI machine cannot fail them on timing; how fast each behaviour is lives here, measured
with the real hub, agent, dashboard, snmpd, snmpsim and sshd on real loopback sockets:

  dashboards  an agent's report → the remote client's DevicesChanged (also with another dashboard
              that never reads), → the embedded client's, → the attached dashboard's table;
              a clean close → the device offline
  agent       a real testday-agent process: its device id written → complete facts in
              /api/devices; SIGTERM → offline
  freeze      a SIGSTOP'd agent → offline (the ping 6 s + 10 s; about 20 s, run beside the rest)
  netwatch    snmptrap → the dashboard feed; a wrong community → a timeout after 0.5 s × 2 tries;
              the poller's schedule beside a dead device; a changed recording → the next poll
  ssh         a rollout whose command hangs → cut at its 1 s timeout
  collectors  version commands that hang, a connect that never completes, quick_state, a whole
              collection

Each latency is the worst of --samples, sent at random offsets (not in step with any period).
Targets are the figures the tests used to assert. Exit status 1 when a target is missed; a peer
that is not installed (snmpd, sshd …) skips its rows.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from testday_agent.collect import SystemCollector
from testday_agent.collectors.apps import collect_apps
from testday_agent.collectors.network import probe_endpoint, probe_network
from testday_agent.collectors.system import os_family
from testday_agent.protocol import AppRule, Checks, Endpoint, encode
from textual.widgets.data_table import CellDoesNotExist
from websockets.asyncio.client import connect

from testday.console_client.embedded import EmbeddedClient
from testday.console_client.remote import RemoteClient
from testday.console_protocol.client import HubClient
from testday.console_protocol.messages import DevicesChanged, EventsAppended, Snapshot
from testday.core.net_state import NetDevice, PollSample
from testday.demo.loopback_platform import write_loopback_profile, write_site
from testday.hub.hub import Hub, HubSettings
from testday.netwatch.ap_vendors import load_vendors
from testday.netwatch.poller import NetworkPoller, poll_once
from testday.netwatch.snmp_client import SnmpClient
from testday.remote.rollout import run_rollout
from testday.tui.app import TestdayApp
from testday.tui.widgets.device_table import DeviceTable

# tests/ is not installed: its peers and helpers are imported from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import AGENT_TOKEN, CONSOLE_TOKEN, AgentProcess, HubProcess, api_devices
from tests.console_client.helpers import Inbox, agent, battery, report, running, send_report
from tests.eventually import eventually, eventually_blocking
from tests.netwatch.conftest import COMMUNITY, free_udp_port, need, running_snmpd, running_snmpsim
from tests.netwatch.recordings import ups
from tests.remote.conftest import make_sshd
from tests.remote.test_rollout import only_on, trusted

SECTIONS = ("dashboards", "agent", "freeze", "netwatch", "ssh", "collectors")
# A missing peer: need_tool() skips (or, under CI=true, fails) a test; here it skips rows.
PEER_MISSING = (pytest.skip.Exception, pytest.fail.Exception)


@dataclass
class Row:
    measure: str
    seconds: float | None  # None: not measured (see note)
    target: float  # seconds; the measure must stay under it
    at_least: float | None = None  # for a timeout: it must not fire before this either
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.seconds is None:
            return None
        return self.seconds < self.target and (
            self.at_least is None or self.seconds >= self.at_least
        )


def worst(measure: str, took: list[float], target: float) -> Row:
    note = f"median {shown(statistics.median(took))} of {len(took)}" if len(took) > 1 else ""
    return Row(measure, max(took), target, note=note)


def shown(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def limit(seconds: float) -> str:
    return f"{seconds:g} s" if seconds >= 1 else f"{seconds * 1000:g} ms"


def target_text(row: Row) -> str:
    if row.at_least is not None:
        return f"{limit(row.at_least)} – {limit(row.target)}"
    return f"< {limit(row.target)}"


# --- shared set-up -------------------------------------------------------------------------------


@contextlib.contextmanager
def loopback_profiles(folder: Path) -> Iterator[Path]:
    """The loopback profile; its platform endpoint is a real listener (the kernel accepts)."""
    server = socket.create_server(("127.0.0.1", 0), backlog=128)
    try:
        yield write_loopback_profile(folder, server.getsockname()[1]).parent
    finally:
        server.close()


@contextlib.asynccontextmanager
async def in_process_hub(tmp: Path, site_extra: str = "") -> AsyncIterator[Hub]:
    with loopback_profiles(tmp / "profiles") as profiles:
        data = write_site(tmp / "hub")
        if site_extra:
            (data / "site.toml").write_text((data / "site.toml").read_text() + site_extra)
        settings = HubSettings(
            data_dir=data, host="127.0.0.1", port=0, interval_s=1.0, profiles_dir=profiles,
            agent_token=AGENT_TOKEN, console_token=CONSOLE_TOKEN,
        )  # fmt: skip
        async with Hub(settings) as hub:
            yield hub


async def offset() -> None:
    await asyncio.sleep(random.uniform(0, 0.3))  # not in step with the feed's or a tick's period


# --- dashboards -----------------------------------------------------------------------------------


async def report_to_client(
    hub: Hub, client: HubClient, device_id: str, samples: int
) -> list[float]:
    """Seconds from an agent's report leaving to the client delivering DevicesChanged with it."""
    ws = await agent(hub, device_id)
    inbox = Inbox()
    took = []
    async with running(client, inbox):
        await inbox.next(Snapshot)
        for seq in range(1, samples + 1):
            await offset()
            percent = 100.0 - seq
            sent = time.monotonic()
            await ws.send(encode(report(seq, percent)))
            await inbox.next(
                DevicesChanged, lambda m, p=percent: battery(m.devices, device_id) == p
            )
            took.append(time.monotonic() - sent)
    await ws.close()
    return took


async def report_to_table(hub: Hub, samples: int) -> list[float]:
    """Seconds from a report leaving to the attached dashboard's table showing its battery."""
    ws = await agent(hub, "dev-table")
    await send_report(ws, 1, 90.0)
    app = TestdayApp(RemoteClient(f"http://127.0.0.1:{hub.port}", CONSOLE_TOKEN))
    took = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("d")
        table = app.screen.query_one(DeviceTable)

        def battery_cell() -> str:
            with contextlib.suppress(CellDoesNotExist):
                return table.get_cell("dev-table", "battery").plain
            return ""

        await eventually(lambda: battery_cell().startswith("90%"), 10, what="the device's row")
        for seq in range(2, samples + 2):
            await offset()
            sent = time.monotonic()
            await ws.send(encode(report(seq, 90.0 - seq)))
            shows = f"{90 - seq}%"
            await eventually(lambda s=shows: battery_cell().startswith(s), 10, interval=0.002)
            took.append(time.monotonic() - sent)
    await ws.close()
    return took


async def close_to_offline(hub: Hub, samples: int) -> list[float]:
    """Seconds from an agent starting its clean close to the hub holding the device offline."""
    ids = [f"dev-close-{n}" for n in range(samples)]
    # Welcomes and acks wait for the batched commit (up to 1 s): connect them all at once.
    sockets = await asyncio.gather(*(agent(hub, device_id) for device_id in ids))
    await asyncio.gather(*(send_report(ws, 1, 80.0) for ws in sockets))
    devices = hub.fleet.devices
    took = []
    for device_id, ws in zip(ids, sockets, strict=True):
        await offset()
        closing = time.monotonic()
        await ws.close()
        await eventually(lambda d=device_id: devices[d].presence == "offline", 10, interval=0.001)
        took.append(time.monotonic() - closing)
    return took


async def dashboards(args: argparse.Namespace, tmp: Path) -> list[Row]:
    rows = []
    async with in_process_hub(tmp) as hub:
        url = f"ws://127.0.0.1:{hub.port}"
        took = await report_to_client(hub, RemoteClient(url, CONSOLE_TOKEN), "dev-a", args.samples)
        rows.append(worst("report → remote dashboard (DevicesChanged)", took, 1.0))
        stuck = await connect(
            f"{url}/console",
            additional_headers={"Authorization": f"Bearer {CONSOLE_TOKEN}"},
            max_size=None,
            max_queue=1,
            close_timeout=0.1,
        )
        try:
            client = RemoteClient(url, CONSOLE_TOKEN)
            took = await report_to_client(hub, client, "dev-b", args.samples)
        finally:
            await stuck.close()
        rows.append(worst("  … while another dashboard never reads", took, 1.0))
        took = await report_to_client(hub, EmbeddedClient(hub), "dev-c", args.samples)
        rows.append(worst("report → embedded dashboard (DevicesChanged)", took, 1.0))
        took = await report_to_table(hub, args.samples)
        rows.append(worst("report → attached dashboard's table shows it", took, 1.0))
        took = await close_to_offline(hub, args.samples)
        rows.append(worst("clean close → device offline in the hub", took, 1.0))
    return rows


# --- a real agent process -------------------------------------------------------------------------


def verdict(port: int, device_id: str) -> str | None:
    found = next((d for d in api_devices(port) if d["id"] == device_id), None)
    return found["verdict"] if found else None


def complete(port: int, device_id: str) -> bool:
    found = next((d for d in api_devices(port) if d["id"] == device_id), None)
    facts = (found or {}).get("facts") or {}
    return bool(facts.get("apps") and facts.get("network", {}).get("endpoints"))


@contextlib.contextmanager
def hub_and_agent(tmp: Path) -> Iterator[tuple[HubProcess, AgentProcess]]:
    """`testday serve` and a `testday-agent` reporting every second, both real processes."""
    with loopback_profiles(tmp / "profiles") as profiles:
        hub = HubProcess(write_site(tmp / "hub"), profiles).start()
        try:
            agent_process = AgentProcess(hub.url, tmp / "agent", room="112")
            try:
                yield hub, agent_process
            finally:
                agent_process.stop()
        finally:
            hub.stop()


def agent_process(tmp: Path) -> list[Row]:
    with hub_and_agent(tmp) as (hub, agent_process):
        device_id = agent_process.device_id(timeout=30)
        written = time.monotonic()
        eventually_blocking(
            lambda: complete(hub.port, device_id), 30, interval=0.01, ignore=(OSError,)
        )
        shown_after = time.monotonic() - written
        agent_process.signal(signal.SIGTERM)
        stopping = time.monotonic()
        eventually_blocking(lambda: verdict(hub.port, device_id) == "offline", 30, interval=0.01)
        offline_after = time.monotonic() - stopping
    return [
        Row("agent started → complete facts in /api/devices", shown_after, 2.0,
            note="from its device id on disk"),
        Row("agent stopped (SIGTERM) → offline in /api/devices", offline_after, 1.0),
    ]  # fmt: skip


def frozen_agent(tmp: Path) -> list[Row]:
    with hub_and_agent(tmp) as (hub, agent_process):
        device_id = agent_process.device_id(timeout=30)
        eventually_blocking(lambda: complete(hub.port, device_id), 30, ignore=(OSError,))
        agent_process.signal(signal.SIGSTOP)
        frozen = time.monotonic()
        eventually_blocking(lambda: verdict(hub.port, device_id) == "offline", 60, interval=0.1)
        offline_after = time.monotonic() - frozen
        agent_process.signal(signal.SIGCONT)
    return [Row("agent frozen (SIGSTOP) → offline in /api/devices", offline_after, 20.0)]


async def agent_rows(args: argparse.Namespace, tmp: Path) -> list[Row]:
    return await asyncio.to_thread(agent_process, tmp)


async def freeze_rows(args: argparse.Namespace, tmp: Path) -> list[Row]:
    return await asyncio.to_thread(frozen_agent, tmp)


# --- network watch --------------------------------------------------------------------------------


LINK_DOWN = ["1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.3", "i", "7"]


async def trap_to_feed(tmp: Path, env: dict[str, str], samples: int) -> list[float]:
    """Seconds from starting snmptrap to the hub's feed carrying the net.trap event."""
    snmptrap = need("snmptrap")
    port = free_udp_port()
    site = f'\n[network]\ntrap_port = {port}\ntrap_host = "127.0.0.1"\n'
    site += 'trap_communities = ["public"]\n'
    took = []
    async with in_process_hub(tmp, site) as hub, hub.subscribe() as feed:
        assert isinstance(await anext(feed), Snapshot)
        for _ in range(samples):
            await offset()
            sent = time.monotonic()
            command = [snmptrap, "-v", "2c", "-c", "public", f"127.0.0.1:{port}", "", *LINK_DOWN]
            # Quiet: net-snmp announces the persistent directory it creates on first use.
            proc = await asyncio.create_subprocess_exec(
                *command,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            while True:
                message = await asyncio.wait_for(anext(feed), 10)
                if isinstance(message, EventsAppended) and any(
                    e.kind == "net.trap" for e in message.events
                ):
                    break
            took.append(time.monotonic() - sent)
            await proc.wait()
    return took


def device(name: str, port: int, interval: float = 30.0, **kw: Any) -> NetDevice:
    fields: dict = {"community": COMMUNITY, "poll_interval_s": interval} | kw
    return NetDevice(name, "127.0.0.1", "switch", port=port, **fields)


async def wrong_community(snmpd_port: int) -> float:
    async with SnmpClient() as client:
        client.open()  # the engine's one-time start is not the request's
        wrong = device("switch", snmpd_port, community="nope", timeout_s=0.5, retries=1)
        started = time.monotonic()
        sample = await poll_once(client, wrong, {})
        took = time.monotonic() - started
    assert sample.failure == "timeout", sample
    return took


async def schedule_beside_a_dead_device(snmpd_port: int) -> list[Row]:
    dead = device("dead", free_udp_port(), 0.5, timeout_s=0.5, retries=1)
    live = device("live", snmpd_port, 0.25, timeout_s=1.0)
    arrivals: dict[str, list[float]] = {"dead": [], "live": []}

    def on_sample(sample: PollSample) -> None:
        arrivals[sample.device].append(time.monotonic() - started)

    async with SnmpClient() as client:
        client.open()
        poller = NetworkPoller([dead, live], on_sample, client=client, vendors={})
        started = time.monotonic()
        poller.start()
        await asyncio.sleep(2.6)  # a few of the dead device's timeouts: the span measured
        await poller.stop()
    gaps = [b - a for a, b in zip(arrivals["live"], arrivals["live"][1:], strict=False)]
    return [
        Row("poller: dead device's first failure (0.5 s × 2 tries)", arrivals["dead"][0], 1.5,
            at_least=0.9),
        Row("poller: live device's first poll (staggered to 0.125 s)", arrivals["live"][0], 0.325),
        Row("poller: live device's longest gap (every 0.25 s)", max(gaps), 0.4,
            note=f"{len(arrivals['live'])} polls in 2.6 s"),
    ]  # fmt: skip


async def change_to_next_poll(tmp: Path, env: dict[str, str], samples: int) -> list[float]:
    """Seconds from a UPS's recording changing to a poll (every 1 s) reading the change."""
    took = []
    with running_snmpsim(tmp, env) as sim:
        polled: asyncio.Queue[PollSample] = asyncio.Queue()
        ups_device = NetDevice(
            "closet-ups", "127.0.0.1", "ups", port=sim.port, community="ups",
            poll_interval_s=1.0, timeout_s=1.0, retries=1,
        )  # fmt: skip
        poller = NetworkPoller([ups_device], polled.put_nowait, vendors=load_vendors())
        poller.start()
        try:
            on_battery = False
            for _ in range(samples):
                await offset()
                on_battery = not on_battery
                sim.record("ups", ups(source=5 if on_battery else 3))
                changed = time.time()
                while True:
                    sample = await asyncio.wait_for(polled.get(), 10)
                    if sample.ups is not None and sample.ups.on_battery is on_battery:
                        break
                took.append(sample.ts - changed)
        finally:
            await poller.stop()
    return took


async def netwatch(args: argparse.Namespace, tmp: Path) -> list[Row]:
    env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(tmp / "snmp")}
    (tmp / "snmp").mkdir()
    rows = await peer_rows(
        "snmptrap → dashboard feed (net.trap)",
        lambda: trap_to_feed(tmp / "trap", env, args.samples),
        1.0,
    )
    try:
        (tmp / "snmpd").mkdir()
        with running_snmpd(tmp / "snmpd", env) as port:
            took = await wrong_community(port)
            rows.append(Row("wrong community → timeout (0.5 s × 2 tries)", took, 2.0, at_least=0.9))
            rows += await schedule_beside_a_dead_device(port)
    except PEER_MISSING as missing:
        rows.append(Row("snmpd polls", None, 0, note=f"skipped: {missing}"))
    (tmp / "snmpsim").mkdir()
    rows += await peer_rows(
        "changed recording → next poll (every 1 s)",
        lambda: change_to_next_poll(tmp / "snmpsim", env, min(args.samples, 4)),
        1.5,
    )
    return rows


async def peer_rows(
    measure: str, take: Callable[[], Awaitable[list[float]]], target: float
) -> list[Row]:
    try:
        return [worst(measure, await take(), target)]
    except PEER_MISSING as missing:
        return [Row(measure, None, target, note=f"skipped: {missing}")]


# --- ssh ------------------------------------------------------------------------------------------


async def ssh(args: argparse.Namespace, tmp: Path) -> list[Row]:
    try:
        sshd = make_sshd(tmp / "sshd")
    except PEER_MISSING as missing:
        return [Row("rollout: a hung command cut", None, 0, note=f"skipped: {missing}")]
    sshd.start()
    try:
        hosts = sshd.hosts(3)
        command = f"echo started; {only_on(['127.0.0.2'], 'sleep 30')}; echo finished"
        started = time.monotonic()
        result = await run_rollout(
            hosts, command, known_hosts=trusted(tmp / "known_hosts", sshd, hosts),
            client_keys=[sshd.client_key], command_timeout_s=1,
        )  # fmt: skip
        whole = time.monotonic() - started
    finally:
        sshd.stop()
    hung = result.results[1]
    assert hung.status == "timeout", hung
    return [
        Row("rollout: the hung host cut (1 s timeout)", hung.duration_s, 4.0, at_least=1.0),
        Row("rollout: all three hosts done", whole, 5.0),
    ]


# --- collectors -----------------------------------------------------------------------------------


def timed(call: Callable[[], Any]) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """A listener whose accept queue is full: Linux drops further SYNs, so connects time out."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        clients = [socket.socket() for _ in range(3)]
        for client in clients:
            client.setblocking(False)
            client.connect_ex(server.getsockname())
        try:
            yield server.getsockname()[1]
        finally:
            for client in clients:
                client.close()


async def collectors(args: argparse.Namespace, tmp: Path) -> list[Row]:
    family = os_family()
    hangs = [sys.executable, "-c", "import time; time.sleep(30)"]
    spawns = [sys.executable, "-c", (
        "import subprocess, sys; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
        "import time; time.sleep(30)"
    )]  # fmt: skip
    hanging, spawning = await asyncio.gather(*(
        asyncio.to_thread(timed, lambda c=c: collect_apps(
            [AppRule(name="Hangs", os_family=family, version_command=c)], family
        ))
        for c in (hangs, spawns)
    ))  # fmt: skip
    rows = [
        Row("version command that hangs → given up (3 s timeout)", hanging, 10.0),
        Row("  … whose helper keeps its output open", spawning, 6.0),
    ]
    if sys.platform.startswith("linux"):  # relies on Linux dropping SYNs to a full queue
        with full_backlog() as port:
            slow = Endpoint(name="slow", host="127.0.0.1", port=port)
            started = time.monotonic()
            result = await probe_endpoint(slow, 0.3)
            took = time.monotonic() - started
        assert result.error == "timed out after 0.3 s", result
        rows.append(Row("connect that never completes → given up (0.3 s)", took, 2.0, at_least=0.3))
    with socket.create_server(("127.0.0.1", 0)) as listening:
        hub = Endpoint(name="hub", host="127.0.0.1", port=listening.getsockname()[1])
        facts = await probe_network(Checks(endpoints=[hub], connect_timeout_s=2.0))
    connect_ms = facts.endpoints[0].connect_ms
    rows.append(Row("loopback connect as the probe measures it", (connect_ms or 0) / 1000, 1.0))
    collector = SystemCollector()
    checks = Checks(apps=[AppRule(name="Me", os_family=family, process_names=["python"])])
    collector.quick_state(checks)
    calls = 20
    took = timed(lambda: [collector.quick_state(checks) for _ in range(calls)]) / calls
    rows.append(Row("quick_state, one call", took, 0.005, note=f"mean of {calls}"))
    collect_ms = (await SystemCollector().collect(Checks())).agent.collect_ms  # type: ignore[union-attr]
    rows.append(Row("one collection (no checks), as it reports", (collect_ms or 0) / 1000, 5.0))
    return rows


# --- the run --------------------------------------------------------------------------------------


RUNNERS: dict[str, Callable[[argparse.Namespace, Path], Awaitable[list[Row]]]] = {
    "dashboards": dashboards,
    "agent": agent_rows,
    "freeze": freeze_rows,
    "netwatch": netwatch,
    "ssh": ssh,
    "collectors": collectors,
}


async def run(args: argparse.Namespace, tmp: Path) -> list[Row]:
    chosen = [s for s in SECTIONS if s in args.only]
    for name in chosen:
        (tmp / name).mkdir()
    # The frozen agent spends ~20 s waiting for the ping timeout: it runs beside the others.
    background = (
        asyncio.create_task(freeze_rows(args, tmp / "freeze")) if "freeze" in chosen else None
    )
    rows: list[Row] = []
    for name in chosen:
        if name != "freeze":
            started = time.monotonic()
            rows += await RUNNERS[name](args, tmp / name)
            print(f"  {name}: {time.monotonic() - started:.1f} s", flush=True)
    if background is not None:
        started = time.monotonic()
        rows += await background
        print(f"  freeze: {time.monotonic() - started:.1f} s more", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--samples", type=int, default=10, help="reports, closes and traps timed per row (10)"
    )
    parser.add_argument(
        "--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), metavar="SECTION",
        help=f"run only these sections: {', '.join(SECTIONS)}",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.samples < 1:
        parser.error("--samples must be at least 1")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"latency budgets: {os.cpu_count()} CPUs, load average {load:.1f}, "
        f"Python {sys.version.split()[0]}, {args.samples} samples a row",
        flush=True,
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="latency-budgets-") as tmp:
        rows = asyncio.run(run(args, Path(tmp)))
    width = max(len(r.measure) for r in rows) + 2
    print(f"\n{'measure':<{width}}{'measured':>10}   {'target':<14}result")
    for r in rows:
        result = "" if r.passed is None else ("ok" if r.passed else "MISSED")
        print(
            f"{r.measure:<{width}}{shown(r.seconds):>10}   {target_text(r):<16}{result:<8}{r.note}"
        )
    misses = [r.measure.strip() for r in rows if r.passed is False]
    print(f"\n{len(rows)} measures in {time.monotonic() - started:.0f} s; {len(misses)} missed")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
