"""Tests SSH connections against a real OpenSSH server: trust first, refuse changed keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from testday.remote.ssh_connect import (
    HostKeyError,
    connect,
    fingerprint,
    server_key,
    trust,
    trusted_keys,
)
from tests.remote.conftest import Sshd


async def test_unknown_then_trusted_then_changed_host_key(own_sshd: Sshd, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    host = own_sshd.hosts(1)[0]
    with pytest.raises(HostKeyError, match="not trusted yet: check its fingerprint with"):
        await connect(host, known, [own_sshd.client_key])
    key = await server_key(host)
    assert fingerprint(key).startswith("SHA256:")
    assert trust(known, host, key) and not trust(known, host, key)
    assert trusted_keys(known, host) and oct(known.stat().st_mode & 0o777) == "0o600"
    async with await connect(host, known, [own_sshd.client_key]) as conn:
        result = await conn.run("echo hello", check=True)
        assert result.stdout == "hello\n"
    own_sshd.new_host_key()
    with pytest.raises(HostKeyError, match="presented a different host key"):
        await connect(host, known, [own_sshd.client_key])
