"""Provides the network probe: active interface, gateway, Wi-Fi signal, DNS and TCP reachability."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import re
import socket
import struct
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

from testday_agent.collectors.apps import run_bounded
from testday_agent.protocol import (
    Checks,
    DnsResult,
    Endpoint,
    EndpointResult,
    InterfaceKind,
    NetworkFacts,
)

_RUN_TIMEOUT_S = 2.0
_RTF_UP = 0x1
# A hung resolver keeps its thread until the system gives up; a pool of its own keeps such
# threads from starving the collectors that share asyncio's default executor.
_dns_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="testday-dns")
_mac_ports: tuple[float, dict[str, str]] = (0.0, {})


def _run(argv: list[str]) -> str | None:
    return run_bounded(argv, _RUN_TIMEOUT_S)


def _linux_default_route() -> tuple[str, str | None] | None:
    """(interface, gateway) of the lowest-metric IPv4 default route in /proc/net/route."""
    best: tuple[int, str, str | None] | None = None
    try:
        lines = Path("/proc/net/route").read_text(encoding="ascii").splitlines()[1:]
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        fields = line.split()
        if len(fields) < 8 or fields[1] != "00000000" or fields[7] != "00000000":
            continue
        if not int(fields[3], 16) & _RTF_UP:
            continue
        gateway_raw = int(fields[2], 16)
        gateway = socket.inet_ntoa(struct.pack("<L", gateway_raw)) if gateway_raw else None
        metric = int(fields[6])
        if best is None or metric < best[0]:
            best = (metric, fields[0], gateway)
    return None if best is None else (best[1], best[2])


def _source_ipv4() -> str | None:
    """The local address the default route would use; UDP connect sends no packet."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never a real host
            address: str = s.getsockname()[0]  # AF_INET: (host, port); the stub says Any
            return address
    except OSError:
        return None


def _ipv4_by_interface() -> dict[str, list[str]]:
    return {
        name: [a.address for a in addrs if a.family == socket.AF_INET]
        for name, addrs in psutil.net_if_addrs().items()
    }


def _interface_of(ip: str, table: dict[str, list[str]]) -> str | None:
    return next((name for name, ips in table.items() if ip in ips), None)


def quick_interface() -> tuple[str | None, bool]:
    """(active interface, has IPv4): cheap enough to poll every few seconds."""
    route = _linux_default_route() if sys.platform.startswith("linux") else None
    table = _ipv4_by_interface()
    if route is not None:
        return route[0], bool(table.get(route[0]))
    source = _source_ipv4()
    if source is None:
        return None, False
    return _interface_of(source, table), True


def _mac_hardware_ports() -> dict[str, str]:
    """Device → hardware port ("en0" → "Wi-Fi"); on a Mac en0 may be either Wi-Fi or Ethernet."""
    global _mac_ports
    fetched_at, ports = _mac_ports
    if time.monotonic() - fetched_at < 300 and ports:
        return ports
    ports = {}
    port = None
    for line in (_run(["networksetup", "-listallhardwareports"]) or "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Hardware Port":
            port = value.strip()
        elif key.strip() == "Device" and port:
            ports[value.strip()] = port
    _mac_ports = (time.monotonic(), ports)
    return ports


def interface_kind(name: str) -> InterfaceKind:
    if sys.platform.startswith("linux"):
        sys_dir = Path("/sys/class/net") / name
        if (sys_dir / "wireless").exists() or (sys_dir / "phy80211").exists():
            return "wifi"
    elif sys.platform == "darwin":
        port = _mac_hardware_ports().get(name, "").lower()
        if port:
            name = port  # "wi-fi" or "ethernet"/"thunderbolt ethernet" decides below
    lowered = name.lower()
    if lowered.startswith("wl") or any(w in lowered for w in ("wi-fi", "wifi", "wlan", "wireless")):
        return "wifi"
    if lowered.startswith(("en", "eth")) or "ethernet" in lowered or "local area" in lowered:
        return "wired"
    return "other"


def _linux_wifi_signal(name: str) -> float | None:
    try:
        lines = Path("/proc/net/wireless").read_text(encoding="ascii").splitlines()[2:]
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        iface, _, rest = line.partition(":")
        if iface.strip() != name:
            continue
        fields = rest.split()
        if len(fields) < 3:
            return None
        link, level = float(fields[1].rstrip(".")), float(fields[2].rstrip("."))
        # Prefer the level in dBm, mapped as NetworkManager does; link quality's scale varies.
        percent = 2 * (level + 100) if level < 0 else link / 70 * 100
        return round(min(100.0, max(0.0, percent)), 1)
    return None


def _windows_wifi_signal() -> float | None:
    found = re.search(
        r"^\s*Signal\s*:\s*(\d+)\s*%", _run(["netsh", "wlan", "show", "interfaces"]) or "", re.M
    )
    return float(found.group(1)) if found else None


def _windows_gateway(source: str | None) -> str | None:
    routes = []
    for line in (_run(["route", "print", "-4", "0.0.0.0"]) or "").splitlines():
        fields = line.split()
        if len(fields) == 5 and fields[0] == "0.0.0.0" and fields[1] == "0.0.0.0":
            metric = int(fields[4]) if fields[4].isdigit() else 1 << 30
            routes.append((fields[3] != source, metric, fields[2]))
    if not routes:
        return None
    gateway = min(routes)[2]
    return gateway if re.fullmatch(r"[\d.]+", gateway) else None  # "On-link" has no gateway


def read_active_interface() -> NetworkFacts:
    """Interface facts without any probe: blocking (files, short commands), run it in a thread."""
    facts = NetworkFacts()
    table = _ipv4_by_interface()
    source = _source_ipv4()
    if sys.platform.startswith("linux"):
        route = _linux_default_route()
        if route is not None:
            facts.interface, facts.gateway = route
    elif sys.platform == "darwin":
        for line in (_run(["route", "-n", "get", "default"]) or "").splitlines():
            key, _, value = line.strip().partition(":")
            if key == "interface":
                facts.interface = value.strip()
            elif key == "gateway":
                facts.gateway = value.strip()
    elif sys.platform == "win32":
        facts.gateway = _windows_gateway(source)
    if facts.interface is None and source is not None:
        facts.interface = _interface_of(source, table)
    if facts.interface is None:
        return facts
    ips = table.get(facts.interface, [])
    facts.ipv4 = source if source in ips else next(iter(ips), None)
    facts.kind = interface_kind(facts.interface)
    if facts.kind == "wifi":
        if sys.platform.startswith("linux"):
            facts.wifi_signal_percent = _linux_wifi_signal(facts.interface)
        elif sys.platform == "win32":
            facts.wifi_signal_percent = _windows_wifi_signal()
    return facts


def describe_error(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout_s:.1f} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"DNS: {exc.strerror or exc}"
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return os.strerror(exc.errno).lower()
        text = exc.strerror or str(exc) or type(exc).__name__
        return text[:1].lower() + text[1:]
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


async def _getaddrinfo(host: str, port: int | None) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.run_in_executor(
        _dns_pool, lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_host(host: str, timeout_s: float) -> DnsResult:
    start = time.perf_counter()
    try:
        addresses = await asyncio.wait_for(_getaddrinfo(host, None), timeout_s)
    except Exception as exc:
        return DnsResult(host=host, ok=False, error=describe_error(exc, timeout_s))
    ms = round((time.perf_counter() - start) * 1000, 2)
    return DnsResult(host=host, ok=bool(addresses), ms=ms, addresses=addresses)


async def probe_endpoint(endpoint: Endpoint, timeout_s: float) -> EndpointResult:
    """TCP connect, closed at once; connect_ms excludes name resolution."""
    result = EndpointResult(name=endpoint.name, host=endpoint.host, port=endpoint.port, ok=False)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    try:
        addresses = await asyncio.wait_for(_getaddrinfo(endpoint.host, endpoint.port), timeout_s)
    except Exception as exc:
        result.error = describe_error(exc, timeout_s)
        return result
    for address in addresses:
        remaining = deadline - loop.time()
        if remaining <= 0:
            result.error = describe_error(TimeoutError(), timeout_s)
            break
        start = time.perf_counter()
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(address, endpoint.port), remaining
            )
        except Exception as exc:
            result.error = describe_error(exc, timeout_s)
            continue  # the next address (IPv4 after a broken IPv6) may still answer
        result.connect_ms = round((time.perf_counter() - start) * 1000, 2)
        result.ok, result.error = True, None
        writer.close()
        # The probe already succeeded; a slow close is not its concern.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer.wait_closed(), 1.0)
        break
    return result


async def probe_network(checks: Checks, errors: dict[str, str] | None = None) -> NetworkFacts:
    """Interface facts plus concurrent DNS and TCP probes; never raises.

    Probe failures are results (ok=False with an error); a failure to read the interface leaves
    it empty and, when ``errors`` is given, is recorded as ``errors["network"]``.
    """
    timeout_s = max(0.05, checks.connect_timeout_s)
    outcome = await asyncio.gather(
        asyncio.to_thread(read_active_interface),
        asyncio.gather(*(resolve_host(host, timeout_s) for host in checks.hosts)),
        asyncio.gather(*(probe_endpoint(ep, timeout_s) for ep in checks.endpoints)),
        return_exceptions=True,
    )
    interface, dns, endpoints = outcome
    facts = interface if isinstance(interface, NetworkFacts) else NetworkFacts()
    if isinstance(interface, BaseException) and errors is not None:
        text = " ".join(str(interface).split())
        errors["network"] = f"{type(interface).__name__}: {text}"[:300]
    facts.dns = dns if isinstance(dns, list) else []
    facts.endpoints = endpoints if isinstance(endpoints, list) else []
    return facts
