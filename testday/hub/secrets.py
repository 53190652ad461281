"""Provides the hub's secrets: the site enrollment secret, the operator secret, and device keys."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from testday.config.files import SECRETS_FILE


@dataclass(frozen=True)
class HubSecrets:
    agent_token: str  # site enrollment secret: lets a new device obtain its own key
    console_token: str  # operators: dashboards and the HTTP API
    generated: bool = False  # true when this run created them (serve prints how to connect)

    def is_agent_token(self, presented: str) -> bool:
        return hmac.compare_digest(presented.encode(), self.agent_token.encode())

    def is_console_token(self, presented: str) -> bool:
        return hmac.compare_digest(presented.encode(), self.console_token.encode())


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """Device keys are stored only as hashes, so a copied database cannot impersonate devices."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(presented: str, key_hash: str | None) -> bool:
    return key_hash is not None and hmac.compare_digest(hash_key(presented), key_hash)


def load_or_create(
    data_dir: Path, agent_token: str | None = None, console_token: str | None = None
) -> HubSecrets:
    """Secrets from flags or environment win; then those kept in the data dir; else new ones."""
    path = data_dir / SECRETS_FILE
    stored: dict[str, str] = {}
    if path.exists():
        try:
            stored = {k: str(v) for k, v in tomllib.loads(path.read_text()).items()}
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML ({exc})") from None
    agent = agent_token or stored.get("agent_token")
    console = console_token or stored.get("console_token")
    generated = False
    if not agent or not console:
        agent = agent or new_secret()
        console = console or new_secret()
        generated = True
        _write_private(
            path,
            "# testday hub secrets: keep this file private.\n"
            f'agent_token = "{agent}"\nconsole_token = "{console}"\n',
        )
    return HubSecrets(agent_token=agent, console_token=console, generated=generated)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)
