"""Load and validate config.toml into frozen typed settings; every error names file, key and reason.

Precedence, lowest first: built-in defaults, the config file, environment overrides
(`TPM_DB_URL`, `TPM_LOG_LEVEL`). Unknown keys are errors, so a typo never silently does nothing.

Finding and reading the file (`tpm.config.files`) needs no pydantic; the validated settings are
imported on first use, so `import tpm.config` costs nothing on the app's path to its first frame.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tpm.config.files import Paths, read_raw, resolve_paths

if TYPE_CHECKING:
    from tpm.config.example import example_toml
    from tpm.config.load import load_config, validate_config
    from tpm.config.risk import RiskConfig, StrategyLimits
    from tpm.config.save import update_config_file
    from tpm.config.sections import (
        BrokerConfig,
        Config,
        DemoStrategyConfig,
        EngineConfig,
        FeedConfig,
        MarketConfig,
        PaperBrokerConfig,
        ReplayFeedConfig,
        ReplayFileConfig,
        SimFeedConfig,
        StoreConfig,
        UiConfig,
    )

__all__ = [
    "BrokerConfig",
    "Config",
    "DemoStrategyConfig",
    "EngineConfig",
    "FeedConfig",
    "MarketConfig",
    "PaperBrokerConfig",
    "Paths",
    "ReplayFeedConfig",
    "ReplayFileConfig",
    "RiskConfig",
    "SimFeedConfig",
    "StoreConfig",
    "StrategyLimits",
    "UiConfig",
    "example_toml",
    "load_config",
    "read_raw",
    "resolve_paths",
    "update_config_file",
    "validate_config",
]

_HOME = {
    "example_toml": "example",
    "load_config": "load",
    "validate_config": "load",
    "RiskConfig": "risk",
    "StrategyLimits": "risk",
    "update_config_file": "save",
}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'tpm.config' has no attribute {name!r}")
    module = importlib.import_module(f"tpm.config.{_HOME.get(name, 'sections')}")
    value = getattr(module, name)
    globals()[name] = value
    return value
