"""Tests the [network] part of site.toml: devices, defaults, env: secrets, errors naming fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from testday.config.network import NetworkConfig, NetworkError, load_network, parse_network
from testday.config.site import parse_site
from testday.core.net_state import NetDevice, SnmpV3User

SITE = """\
[site]
name = "Lincoln Middle School"

[rooms."112"]
name = "Lab 112"

[network]
poll_interval_s = 20
trap_port = 10162
trap_communities = ["traps-only"]

[[network.devices]]
name = "ap-112"
address = "10.0.12.2"
kind = "access_point"
community = "public"
rooms = ["112"]
capacity = 40
vendor = "ubiquiti-unifi"

[[network.devices]]
name = "sw-2"
address = "sw-2.school.lan"
kind = "switch"
port = 1161
ports = { "12" = "112", "13" = "114" }
timeout_s = 1.5
retries = 2
poll_interval_s = 60

[network.devices.v3]
user = "watch"
auth_protocol = "SHA256"
auth_key = "env:SNMP_AUTH"
priv_protocol = "AES"
priv_key = "privpriv-secret"

[[network.devices]]
name = "closet-2"
address = "10.0.0.9"
kind = "ups"
community = "env:UPS_COMMUNITY"
rooms = ["112", "114"]
"""
ENV = {"SNMP_AUTH": "authauth-secret", "UPS_COMMUNITY": "ups-ro"}

DEVICE = """\
[[network.devices]]
name = "ap-112"
address = "10.0.12.2"
kind = "access_point"
community = "public"
"""


def error_of(text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(NetworkError) as info:
        parse_network(text, "site.toml", ENV if environ is None else environ)
    return str(info.value)


def test_full_example_round_trip() -> None:
    config = parse_network(SITE, "site.toml", ENV)
    assert (config.poll_interval_s, config.trap_port, config.trap_host) == (20.0, 10162, "0.0.0.0")
    assert config.trap_communities == ("traps-only",)
    ap, switch, ups = config.devices
    assert ap == NetDevice(
        name="ap-112",
        address="10.0.12.2",
        kind="access_point",
        community="public",
        rooms=("112",),
        capacity=40,
        vendor="ubiquiti-unifi",
        poll_interval_s=20.0,  # the [network] default
    )
    assert switch.v3 == SnmpV3User("watch", "SHA256", "authauth-secret", "AES", "privpriv-secret")
    assert switch.community is None
    assert (switch.port, switch.ports) == (1161, {12: "112", 13: "114"})
    assert (switch.timeout_s, switch.retries, switch.poll_interval_s) == (1.5, 2, 60.0)
    assert (ups.community, ups.rooms) == ("ups-ro", ("112", "114"))


def test_site_file_with_network_still_parses_as_a_site() -> None:
    """One site.toml carries both: parse_site ignores [network] as it does [[sessions]]."""
    site = parse_site(SITE, "site.toml", None)
    assert site.name == "Lincoln Middle School" and site.room_name("112") == "Lab 112"


def test_defaults_and_missing_file(tmp_path: Path) -> None:
    """No [network] or no file: no devices, no trap receiver; trap communities from devices."""
    assert parse_network('[site]\nname = "x"\n', "site.toml") == NetworkConfig()
    assert load_network(tmp_path / "site.toml") == NetworkConfig()
    assert NetworkConfig().trap_port == 0
    config = parse_network(DEVICE, "site.toml")
    assert config.trap_communities == ("public",)
    (ap,) = config.devices
    assert (ap.port, ap.capacity, ap.poll_interval_s, ap.timeout_s, ap.retries) == (
        161, 30, 30.0, 2.0, 1,
    )  # fmt: skip
    path = tmp_path / "site.toml"
    path.write_text(SITE, encoding="utf-8")
    assert load_network(path, ENV).devices[1].name == "sw-2"


def test_no_priv_means_no_priv_key() -> None:
    v3 = '\n[network.devices.v3]\nuser = "u"\nauth_key = "12345678"\npriv_protocol = "none"\n'
    (device,) = parse_network(DEVICE.replace('community = "public"\n', "") + v3, "s").devices
    assert device.v3 == SnmpV3User("u", "SHA", "12345678", "none", "")


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (('kind = "ups"', 'kind = "router"'),
         "site.toml: network.devices[2].kind: Invalid enum value 'router'"),
        (('name = "closet-2"', 'name = "AP-112"'),
         "site.toml: network.devices[2].name: duplicate device name 'AP-112' "
         "(also network.devices[0])"),
        (('rooms = ["112"]\n', 'rooms = ["112"]\nv3 = { user = "u", auth_key = "12345678", '
          'priv_key = "12345678" }\n'),
         "site.toml: network.devices[0].community: give either community (SNMP v2c) or a v3 "
         "table (SNMP v3), not both"),
        (('community = "env:UPS_COMMUNITY"\n', ""),
         "site.toml: network.devices[2].community: give either community (SNMP v2c) or a v3 "
         "table (SNMP v3), one is required"),
        (('"13" = "114"', '"uplink" = "114"'),
         "site.toml: network.devices[1].ports.uplink: port keys are ifIndex numbers such as "
         "\"12\", got 'uplink'"),
        (('priv_key = "privpriv-secret"', 'priv_key = "short"'),
         "site.toml: network.devices[1].v3.priv_key: SNMPv3 keys must be at least 8 "
         "characters, got 5"),
        (('auth_protocol = "SHA256"', 'auth_protocol = "SHA1"'),
         "site.toml: network.devices[1].v3.auth_protocol: Invalid enum value 'SHA1'"),
        (("capacity = 40", "capacity = 0"),
         "site.toml: network.devices[0].capacity: must be more than 0, got 0"),
        (("timeout_s = 1.5", "timeout_s = 0"),
         "site.toml: network.devices[1].timeout_s: must be more than 0, got 0"),
        (("retries = 2", "retries = 0"),
         "site.toml: network.devices[1].retries: must be at least 1, got 0"),
        (("port = 1161", "port = 70000"),
         "site.toml: network.devices[1].port: must be a UDP port (1–65535), got 70000"),
        (('address = "10.0.0.9"', 'address = " "'),
         "site.toml: network.devices[2].address: is empty"),
        (("poll_interval_s = 20", "poll_interval_s = -1"),
         "site.toml: network.poll_interval_s: must be more than 0, got -1"),
        (("trap_port = 10162", "trap_port = -5"),
         "site.toml: network.trap_port: must be a UDP port (1–65535), or 0 for no trap "
         "receiver; got -5"),
        (("trap_port = 10162", "trap_prot = 10162"),
         "site.toml: network.trap_prot: unknown field (check the spelling)"),
        (('vendor = "ubiquiti-unifi"', "vendor = 3"),
         "site.toml: network.devices[0].vendor: Expected str | null, got int"),
        (('address = "10.0.12.2"\n', ""),
         "site.toml: network.devices[0].address: required field is missing"),
    ],
)  # fmt: skip
def test_errors_name_file_and_field(edit: tuple[str, str], expected: str) -> None:
    old, new = edit
    assert old in SITE
    assert error_of(SITE.replace(old, new, 1)) == expected


def test_env_references_must_be_set() -> None:
    assert error_of(SITE, {"UPS_COMMUNITY": "x"}) == (
        "site.toml: network.devices[1].v3.auth_key: environment variable SNMP_AUTH is not set"
    )
    # An env: secret is checked like a written one.
    message = error_of(SITE, {"SNMP_AUTH": "short", "UPS_COMMUNITY": "x"})
    assert message.startswith("site.toml: network.devices[1].v3.auth_key: SNMPv3 keys must")
    text = SITE.replace('["traps-only"]', '["env:TRAP_COMMUNITY"]')
    assert error_of(text) == (
        "site.toml: network.trap_communities[0]: environment variable TRAP_COMMUNITY is not set"
    )
    assert parse_network(text, "s", ENV | {"TRAP_COMMUNITY": "t"}).trap_communities == ("t",)


def test_shape_errors_name_the_table() -> None:
    assert error_of("network = 3\n") == "site.toml: network: expected a [network] table"
    assert error_of("[network]\ndevices = 3\n") == (
        "site.toml: network.devices: expected [[network.devices]] tables"
    )
    assert error_of("[network\n").startswith("site.toml: TOML syntax: ")
