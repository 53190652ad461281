"""Tests the network watch's pure parts: value conversion, failure wording, traps, vendor table."""

from __future__ import annotations

from pathlib import Path

import pytest
from pysnmp.proto import errind
from pysnmp.proto.rfc1902 import (
    Counter32,
    Counter64,
    Gauge32,
    Integer,
    IpAddress,
    ObjectIdentifier,
    OctetString,
    TimeTicks,
)
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

from testday.core.net_state import NetDevice, SnmpV3User
from testday.netwatch.ap_vendors import (
    DEFAULT_VENDORS_FILE,
    VendorTableError,
    load_vendors,
    parse_vendors,
)
from testday.netwatch.snmp_client import failure_of, plain
from testday.netwatch.trap_receiver import trap_dict


def test_values_become_plain_python() -> None:
    assert plain(Counter64(2**64 - 1)) == 2**64 - 1
    assert [plain(v) for v in (Counter32(5), Gauge32(6), TimeTicks(7), Integer(-1))] == [
        5,
        6,
        7,
        -1,
    ]
    assert plain(OctetString("lo")) == "lo"
    assert plain(OctetString(hexValue="00112233aabb")) == bytes.fromhex("00112233aabb")
    assert plain(IpAddress("10.1.2.3")) == "10.1.2.3"
    assert plain(ObjectIdentifier("1.3.6.1.4.1.9")) == "1.3.6.1.4.1.9"
    assert plain(NoSuchObject()) is None
    assert plain(NoSuchInstance()) is None
    assert plain(EndOfMibView()) is None


def test_failures_say_what_to_check() -> None:
    v2 = NetDevice("sw", "10.0.0.1", "switch", community="c", timeout_s=2, retries=1)
    v3 = NetDevice("sw", "10.0.0.1", "switch", v3=SnmpV3User("u"), timeout_s=1, retries=0)
    timeout = failure_of(errind.RequestTimedOut(), v2)
    assert (timeout.failure, timeout.detail) == (
        "timeout",
        "no answer within 2 s (2 tries) — device down, unreachable, or wrong community",
    )
    assert failure_of(errind.RequestTimedOut(), v3).detail == (
        "no answer within 1 s (1 try) — device down, unreachable, or wrong v3 privacy key"
    )
    assert failure_of(errind.WrongDigest(), v3).failure == "auth"
    assert failure_of(errind.UnknownUserName(), v3).failure == "unknown_user"
    assert failure_of(errind.DecryptionError(), v3).failure == "decrypt"
    assert failure_of(errind.NotInTimeWindow(), v3).failure == "error"


def test_trap_dict_names_and_link_index() -> None:
    trap = trap_dict(
        ("10.0.0.2", 162),
        {
            "1.3.6.1.2.1.1.3.0": 4200,
            "1.3.6.1.6.3.1.1.4.1.0": "1.3.6.1.6.3.1.1.5.4",
            "1.3.6.1.2.1.2.2.1.1.17": 17,
        },
    )
    assert (trap["name"], trap["if_index"], trap["uptime_s"]) == ("linkUp", 17, 42.0)
    assert trap_dict(("h", 1), {"1.3.6.1.6.3.1.1.4.1.0": "1.3.6.1.2.1.33.2.0.1"})["name"] == (
        "upsOnBattery"
    )
    unknown = trap_dict(("h", 1), {"1.3.6.1.6.3.1.1.4.1.0": "1.3.6.1.4.1.9.9.1"})
    assert unknown["name"] == "1.3.6.1.4.1.9.9.1" and unknown["if_index"] is None


def test_shipped_vendor_table_loads() -> None:
    vendors = load_vendors()
    assert vendors["ubiquiti-unifi"].clients_oid == "1.3.6.1.4.1.41112.1.6.1.2.1.8"
    assert {v.how for v in vendors.values()} == {"get", "count_rows", "sum_column"}
    assert DEFAULT_VENDORS_FILE.name == "ap_vendors.toml"


ENTRY = '[vendors.acme]\nname = "Acme AP"\nclients_oid = "{oid}"\nhow = "{how}"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            ENTRY.format(oid="ACME-MIB::clients", how="sum_column"),
            "acme.toml: vendors.acme.clients_oid: not a numeric OID: 'ACME-MIB::clients'",
        ),
        (
            ENTRY.format(oid="1.3.6.1.4.1.99", how="sum"),
            "acme.toml: vendors.acme.how: Invalid enum value 'sum'",
        ),
        (
            ENTRY.format(oid="1.3.6.1.4.1.99", how="get"),
            'acme.toml: vendors.acme.clients_oid: how = "get" wants a scalar instance ending in .0',
        ),
        (
            ENTRY.format(oid="1.3.6.1.4.1.99", how="get") + "colour = 1\n",
            "acme.toml: vendors.acme.colour: unknown field (check the spelling)",
        ),
        (
            '[vendors.acme]\nclients_oid = "1.3.6.1.4.1.99.0"\nhow = "get"\n',
            "acme.toml: vendors.acme.name: required field is missing",
        ),
        ("[vendor.acme]\n", "acme.toml: vendor: unknown field (only [vendors.<key>])"),
        ("vendors = [", "acme.toml: TOML syntax: "),
    ],
)
def test_vendor_table_errors_name_file_and_field(text: str, message: str) -> None:
    with pytest.raises(VendorTableError) as caught:
        parse_vendors(text, "acme.toml")
    assert str(caught.value).startswith(message)


def test_a_new_vendor_is_a_data_change(tmp_path: Path) -> None:
    path = tmp_path / "vendors.toml"
    path.write_text(ENTRY.format(oid=".1.3.6.1.4.1.99.1.0", how="get"))
    assert load_vendors(path)["acme"].clients_oid == "1.3.6.1.4.1.99.1.0"  # leading dot dropped
    with pytest.raises(VendorTableError, match=r"missing\.toml: \(file\): No such file"):
        load_vendors(tmp_path / "missing.toml")
