"""Load and validate config.toml into frozen typed settings; every error names file, key and reason.

Precedence, lowest first: built-in defaults, the config file, environment overrides
(`TPM_DB_URL`, `TPM_LOG_LEVEL`). Unknown keys are errors, so a typo never silently does nothing.
"""

from tpm.config.example import example_toml
from tpm.config.load import Paths, load_config, resolve_paths
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
    "resolve_paths",
    "update_config_file",
]
