"""Where the CLI finds the server and the API key: flags, then ``HUTCH_DOMAIN``/``HUTCH_API_KEY``, then the
config file (``~/.config/hutch/config.toml``, mode 0600, written by ``hutch auth login``)."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

KEYS = ("domain", "api_key")


def config_path() -> Path:
    """``$HUTCH_CONFIG``, else ``$XDG_CONFIG_HOME/hutch/config.toml``, else ``~/.config/hutch/config.toml``."""
    if explicit := os.environ.get("HUTCH_CONFIG"):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "hutch" / "config.toml"


def load(path: Path) -> dict[str, str]:
    """The file's ``domain`` and ``api_key`` (absent ones left out); a missing file is empty."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"cannot read {path}: {e}") from e
    return {k: v for k in KEYS if isinstance(v := data.get(k), str) and v}


def save(path: Path, values: dict[str, str]) -> None:
    """Write ``values`` as TOML, readable by the owner only (the file holds a secret)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # A JSON string of printable text is a TOML basic string.
    text = "".join(f"{k} = {json.dumps(values[k])}\n" for k in KEYS if values.get(k))
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("# hutch CLI settings (hutch auth login); keep this file private\n" + text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Settings:
    """The connection the CLI uses, and where each part came from (for ``hutch whoami``)."""

    domain: str | None
    api_key: str | None
    domain_from: str
    api_key_from: str


def resolve(domain: str | None, api_key: str | None, path: Path) -> Settings:
    """Flags win over the environment, which wins over the config file; None leaves the SDK's default."""
    stored = load(path)

    def pick(flag: str | None, env: str, key: str) -> tuple[str | None, str]:
        if flag:
            return flag, "--" + key.replace("_", "-")
        if value := os.environ.get(env):
            return value, env
        if value := stored.get(key):
            return value, str(path)
        return None, "default"

    d, d_from = pick(domain, "HUTCH_DOMAIN", "domain")
    k, k_from = pick(api_key, "HUTCH_API_KEY", "api_key")
    return Settings(d, k, d_from, k_from)
