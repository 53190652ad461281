"""Provides the access-point vendor table: which OID gives an AP's client count, loaded as data."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import msgspec

from testday.core.strict_toml import ConfigError, convert, join, load_toml
from testday.netwatch.oids import is_numeric_oid

__all__ = ["DEFAULT_VENDORS_FILE", "ApVendor", "VendorTableError", "load_vendors", "parse_vendors"]

DEFAULT_VENDORS_FILE = Path(__file__).with_name("ap_vendors.toml")
How = Literal["get", "count_rows", "sum_column"]


class VendorTableError(ConfigError):
    """A vendor table that does not decode; ``str()`` names the file and the field."""


class ApVendor(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: str
    clients_oid: str  # numeric: a scalar (how = "get") or a column to walk
    how: How


def parse_vendors(text: str, source: str) -> dict[str, ApVendor]:
    """Vendor key → how to count its clients; errors read ``<file>: vendors.<key>.<field>: …``."""
    data: dict[str, Any] = load_toml(text, source, VendorTableError)
    raw = data.pop("vendors", {})
    if data:
        raise VendorTableError(source, next(iter(data)), "unknown field (only [vendors.<key>])")
    if not isinstance(raw, dict):
        raise VendorTableError(source, "vendors", "Expected a table of vendors ([vendors.<key>])")
    # One entry at a time, so an error names the vendor's key rather than ``vendors[...]``.
    vendors = {
        str(key): convert(entry, source, ApVendor, VendorTableError, at=join("vendors", str(key)))
        for key, entry in raw.items()
    }
    for key, vendor in vendors.items():
        at = join(join("vendors", key), "clients_oid")
        # A MIB name would need MIB files pysnmp does not ship; the table holds numbers only.
        oid = vendor.clients_oid.removeprefix(".")
        if not is_numeric_oid(oid):
            raise VendorTableError(source, at, f"not a numeric OID: {vendor.clients_oid!r}")
        if vendor.how == "get" and not oid.endswith(".0"):
            # Not fatal on the wire, but a scalar without .0 is almost always a column by mistake.
            raise VendorTableError(source, at, 'how = "get" wants a scalar instance ending in .0')
    return {
        key: msgspec.structs.replace(v, clients_oid=v.clients_oid.removeprefix("."))
        for key, v in vendors.items()
    }


def load_vendors(path: Path | None = None) -> dict[str, ApVendor]:
    """The vendor table shipped with testday, or the one at ``path``."""
    path = path or DEFAULT_VENDORS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise VendorTableError(str(path), "(file)", exc.strerror or str(exc)) from None
    return parse_vendors(text, str(path))
