"""Change config.toml from the app: validate the whole result first, then write it atomically,
keeping the user's comments and layout (tomlkit)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tpm.config.load import load_config
from tpm.config.sections import Config
from tpm.errors import ConfigError

__all__ = ["update_config_file"]


def update_config_file(path: Path, changes: Mapping[str, Any]) -> Config:
    """Set dotted keys ("risk.order_size.max_qty": 500) in `path` and return the new Config.

    Nothing is written unless the file with every change applied is valid; a ConfigError then
    names each key and the reason, as loading does.
    """
    import tomlkit

    text = path.read_text(encoding="utf-8") if path.exists() else ""
    doc = tomlkit.parse(text)
    for dotted, value in changes.items():
        parts = dotted.split(".")
        table: Any = doc
        for part in parts[:-1]:
            if part not in table:
                table[part] = tomlkit.table()
            table = table[part]
            if not isinstance(table, Mapping):
                raise ConfigError(f"{path.name}: {dotted}: {part} is not a table")
        table[parts[-1]] = list(value) if isinstance(value, tuple) else value
    new_text = tomlkit.dumps(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(new_text)
        config = load_config(Path(tmp), env={})
    except ConfigError as exc:
        os.unlink(tmp)
        raise ConfigError(str(exc).replace(Path(tmp).name, path.name)) from None
    except BaseException:
        os.unlink(tmp)
        raise
    os.replace(tmp, path)
    return config
