"""Provides snmpsim recordings (.snmprec) for a UPS, an access point and a wireless controller."""

from __future__ import annotations

import os
import time
from pathlib import Path

# snmprec tags: 2 Integer, 4 OctetString, 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64
Entries = dict[str, tuple[int, object]]


def snmprec(entries: Entries) -> str:
    """Lines ``OID|TAG|VALUE`` sorted by OID arcs, as snmpsim's index and GETNEXT expect."""
    ordered = sorted(entries.items(), key=lambda kv: tuple(int(a) for a in kv[0].split(".")))
    return "".join(f"{oid}|{tag}|{value}\n" for oid, (tag, value) in ordered)


def write_recording(path: Path, text: str) -> None:
    """Atomic replace with an mtime in a later whole second: snmpsim compares int(st_mtime), so
    a second edit within the same second would otherwise go unseen."""
    old = int(path.stat().st_mtime) if path.exists() else 0
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    new = max(int(time.time()), old + 1)
    os.utime(tmp, (new, new))
    os.replace(tmp, path)


def system(descr: str, uptime_ticks: int) -> Entries:
    return {"1.3.6.1.2.1.1.1.0": (4, descr), "1.3.6.1.2.1.1.3.0": (67, uptime_ticks)}


def ups(source: int = 3, status: int = 2, charge: int = 100, minutes: int = 45) -> str:
    """UPS-MIB: output source 3 normal / 5 battery; battery status 2 normal / 3 low."""
    return snmprec(
        system("Simulated UPS", 123456)
        | {
            "1.3.6.1.2.1.33.1.2.1.0": (2, status),
            "1.3.6.1.2.1.33.1.2.2.0": (2, 0 if source == 3 else 60),
            "1.3.6.1.2.1.33.1.2.3.0": (2, minutes),
            "1.3.6.1.2.1.33.1.2.4.0": (2, charge),
            "1.3.6.1.2.1.33.1.4.1.0": (2, source),
        }
    )


def interfaces(rows: list[tuple[int, str, bool, int]], hc: bool = True) -> Entries:
    """IF-MIB rows (ifIndex, name, up, octets); ifXTable with Counter64s when ``hc``."""
    out: Entries = {}
    t, x = "1.3.6.1.2.1.2.2.1", "1.3.6.1.2.1.31.1.1.1"
    for i, name, up, octets in rows:
        out |= {
            f"{t}.1.{i}": (2, i),
            f"{t}.2.{i}": (4, name),
            f"{t}.5.{i}": (66, 1_000_000_000),
            f"{t}.8.{i}": (2, 1 if up else 2),
            f"{t}.10.{i}": (65, octets % 2**32),
            f"{t}.13.{i}": (65, 1),
            f"{t}.14.{i}": (65, 2),
            f"{t}.16.{i}": (65, (octets // 2) % 2**32),
            f"{t}.19.{i}": (65, 3),
            f"{t}.20.{i}": (65, 4),
        }
        if hc:
            out |= {
                f"{x}.1.{i}": (4, name),
                f"{x}.6.{i}": (70, octets),
                f"{x}.10.{i}": (70, octets // 2),
                f"{x}.15.{i}": (66, 1000),
            }
    return out


UNIFI_STATIONS = "1.3.6.1.4.1.41112.1.6.1.2.1.8"  # per VAP, summed


def ap(wifi_up: bool = True, stations: tuple[int, ...] = (5, 7, 0)) -> str:
    rows = [(1, "eth0", True, 5_000_000_000), (2, "ath0", wifi_up, 123_456)]
    vaps = {f"{UNIFI_STATIONS}.{i}": (2, n) for i, n in enumerate(stations, start=1)}
    return snmprec(system("UniFi AP simulated", 5000) | interfaces(rows) | vaps)


def wlc(clients: int = 4) -> str:
    """A controller answering both Cisco's station table (count rows) and Aruba's scalar."""
    macs = {
        f"1.3.6.1.4.1.14179.2.1.4.1.1.0.17.34.51.68.{n}": (4, f"mac{n}") for n in range(clients)
    }
    aruba = {"1.3.6.1.4.1.14823.2.2.1.1.3.2.0": (66, clients * 10)}
    rows = [(1, "Gi0/1", True, 10**12)]
    return snmprec(system("Simulated WLC", 777) | interfaces(rows, hc=False) | macs | aruba)


def switch(names: tuple[str, ...] = ("Gi1/0/1", "Gi1/0/2", "Gi1/0/3"), down: int = 0) -> str:
    """A small switch; port ``down`` (an ifIndex) is oper down."""
    rows = [(i, name, i != down, i * 10**10) for i, name in enumerate(names, start=1)]
    return snmprec(system("Simulated switch", 4242) | interfaces(rows))


UPS, AP, WLC, SWITCH = ups(), ap(), wlc(), switch()
