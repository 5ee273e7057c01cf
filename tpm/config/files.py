"""Where config.toml is and what it says, before validation: no pydantic, so the app can show
its first frame while the settings are validated."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tpm.errors import ConfigError

__all__ = ["Paths", "read_raw", "read_toml", "resolve_paths"]


@dataclass(frozen=True, slots=True)
class Paths:
    """Where tpm keeps its files."""

    config_file: Path
    data_dir: Path

    @property
    def sqlite_file(self) -> Path:
        return self.data_dir / "tpm.db"

    @property
    def sqlite_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.sqlite_file}"


def resolve_paths(config_file: str | os.PathLike[str] | None = None) -> Paths:
    """TPM_HOME holds both config.toml and tpm.db; otherwise the platform's user dirs."""
    home = os.environ.get("TPM_HOME")
    if home:
        base = Path(home).expanduser()
        cfg, data = base / "config.toml", base
    else:
        import platformdirs

        cfg = Path(platformdirs.user_config_dir("tpm")) / "config.toml"
        data = Path(platformdirs.user_data_dir("tpm"))
    if config_file is not None:
        cfg = Path(config_file).expanduser()
    return Paths(config_file=cfg, data_dir=data)


def read_toml(path: Path) -> dict[str, Any]:
    """The tables of the TOML file at `path`; a ConfigError if it cannot be read or parsed."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None


def read_raw(
    path: Path, *, required: bool = False, env: os._Environ[str] | dict[str, str] | None = None
) -> dict[str, Any]:
    """The tables of `path` (absent and not `required`: none) with the environment's overrides
    applied; a file that cannot be read or is not TOML is a ConfigError."""
    environ = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path.exists():
        raw = read_toml(path)
    elif required:
        raise ConfigError(f"{path}: no such config file")
    if db_url := environ.get("TPM_DB_URL"):
        raw.setdefault("store", {})["url"] = db_url
    if level := environ.get("TPM_LOG_LEVEL"):
        raw.setdefault("engine", {})["log_level"] = level.lower()
    return raw
