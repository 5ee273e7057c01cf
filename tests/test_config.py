"""Config: validated on load, errors name file, key and reason; the example documents it all."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from tpm.config import Config, example_toml, load_config, resolve_paths
from tpm.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _load(tmp_path: Path, text: str, **env: str) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path, env=env)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[risk.order_size]\nmax_notional = "lots"',
            'config.toml: risk.order_size.max_notional: expected a number, got "lots"',
        ),
        (
            "[risk.order_size]\nmax_notionl = 5",
            'config.toml: risk.order_size.max_notionl: unknown key (did you mean "max_notional"?)',
        ),
        (
            "[risk.order_size]\nmax_qty = 0",
            "config.toml: risk.order_size.max_qty: must be greater than 0, got 0",
        ),
        (
            "[risk.position]\nmax_qty = -5",
            "config.toml: risk.position.max_qty: must be greater than 0, got -5",
        ),
        (
            '[risk.daily_loss]\naction = "pray"',
            "config.toml: risk.daily_loss.action: must be one of 'halt' or 'reduce'",
        ),
        (
            "[risk.strategies.s1]\nmax_order_qt = 5",
            'config.toml: risk.strategies.s1.max_order_qt: unknown key (did you mean "max_order_qty"?)',
        ),
        (
            '[feed]\nkind = "ftp"',
            "config.toml: feed.kind: must be one of 'sim' or 'replay', got \"ftp\"",
        ),
        ("[feed.sim]\nseed = 1.5", "config.toml: feed.sim.seed: expected a whole number, got 1.5"),
        (  # the simulated market needs a day of history to start from
            "[feed.sim]\nhistory_days = 0",
            "config.toml: feed.sim.history_days: must be at least 1, got 0",
        ),
        ('[demo]\nenabled = "yes"', 'config.toml: demo.enabled: expected true or false, got "yes"'),
        ("[demo]\nfast = 40", "config.toml: demo: fast (40) must be shorter than slow (30)"),
        (
            '[market]\ntimeframes = ["1m", "2m"]',
            "config.toml: market.timeframes[1]: must be one of",
        ),
        (
            '[feed.replay]\nfiles = [{path = "a.csv", sym = "X"}]',
            'config.toml: feed.replay.files[0].sym: unknown key (did you mean "symbol"?)',
        ),
        ("engine = 3", "config.toml: engine: expected a table, got 3"),
        ('[ui]\ntheme = "nope"', "config.toml: ui.theme: no theme 'nope': one of ansi-dark,"),
        ("[risk\n", "config.toml: not valid TOML"),
    ],
)
def test_a_bad_config_names_file_key_and_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_every_violation_is_listed_one_per_line(tmp_path: Path) -> None:
    text = (
        '[risk.order_size]\nmax_qty = -1\nmax_notional = "x"\n[risk.open_orders]\nmax_total = 0\n'
    )
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    assert str(err.value).splitlines() == [
        "config.toml: risk.order_size.max_qty: must be greater than 0, got -1",
        'config.toml: risk.order_size.max_notional: expected a number, got "x"',
        "config.toml: risk.open_orders.max_total: must be at least 1, got 0",
    ]


def test_strategy_limits_may_only_tighten(tmp_path: Path) -> None:
    text = (
        "[risk.order_size]\nmax_qty = 500\n"
        "[risk.strategies.fast]\nmax_order_qty = 900\nper_second = 2\n"
        "[risk.strategies.slow]\nmax_open_orders = 1000\nmax_position_qty = 10\n"
    )
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    assert str(err.value).splitlines() == [
        "config.toml: risk.strategies.fast.max_order_qty: 900 loosens risk.order_size.max_qty "
        "500; a strategy may only tighten it",
        "config.toml: risk.strategies.slow.max_open_orders: 1000 loosens "
        "risk.open_orders.max_total 100; a strategy may only tighten it",
    ]
    ok = _load(tmp_path, "[risk.strategies.fast]\nmax_order_qty = 100\n")
    assert ok.risk.strategies["fast"].max_order_qty == 100


def test_a_check_is_off_only_when_it_says_so(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "[risk.price_collar]\nenabled = false\n[risk.position]\nmax_qty = 7\n")
    assert cfg.risk.price_collar.enabled is False
    assert cfg.risk.position.enabled is True and cfg.risk.position.max_notional > 0
    # Every limit left out of the file keeps a finite default.
    for name, section in cfg.risk:
        if name == "strategies":
            continue
        for key, value in section:
            if isinstance(value, int | float) and not isinstance(value, bool):
                assert 0 < value < float("inf"), f"risk.{name}.{key}"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    cfg = _load(
        tmp_path,
        '[store]\nurl = "sqlite+aiosqlite:///a.db"\n[engine]\nlog_level = "info"',
        TPM_DB_URL="mysql+asyncmy://u@h/db",
        TPM_LOG_LEVEL="DEBUG",
    )
    assert cfg.store.url == "mysql+asyncmy://u@h/db"
    assert cfg.engine.log_level == "debug"


def test_an_invalid_override_is_reported_by_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"engine\.log_level: must be one of"):
        _load(tmp_path, "", TPM_LOG_LEVEL="loud")


def test_absent_file_means_defaults_unless_required(tmp_path: Path) -> None:
    assert load_config(tmp_path / "none.toml", env={}) == Config()
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "none.toml", required=True, env={})


def test_tpm_home_holds_config_and_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TPM_HOME", str(tmp_path))
    paths = resolve_paths()
    assert paths.config_file == tmp_path / "config.toml"
    assert paths.sqlite_file == tmp_path / "tpm.db"
    assert resolve_paths(tmp_path / "other.toml").config_file == tmp_path / "other.toml"
    monkeypatch.delenv("TPM_HOME")
    default = resolve_paths()
    assert default.config_file.name == "config.toml" and "tpm" in str(default.data_dir)


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            keys |= _keys(ann, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
            assert field.description, f"{prefix}{name} has no description"
    return keys


def _flatten(d: dict[str, object], prefix: str = "") -> set[str]:
    out = set()
    for k, v in d.items():
        nested = isinstance(v, dict) and bool(v)  # an empty inline table is a key's value
        out |= _flatten(v, f"{prefix}{k}.") if nested else {f"{prefix}{k}"}  # type: ignore[arg-type]
    return out


def test_the_example_documents_every_key_with_its_default() -> None:
    text = (ROOT / "config.example.toml").read_text()
    assert text == example_toml(), "config.example.toml is stale: regenerate from example_toml()"
    data = tomllib.loads(text)
    # Tables keyed by a name the user picks (per-strategy limits) are documented as comments.
    keyed = {"risk.strategies"}
    assert _flatten(data) == _keys(Config) - keyed
    for key in keyed:
        assert f"# [{key}.NAME]" in text
    assert Config.model_validate(data) == Config()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[scores.weights]\ntechnical = 0.5",
            "config.toml: scores.weights: technical + fundamental + sentiment must add up to 1, got 1.1",
        ),
        (
            "[scores.ratings]\nbuy = 30",
            "config.toml: scores.ratings: bands must rise: sell 20 < hold 40 < buy 30 < strong_buy 80",
        ),
        (
            '[scores]\ntimeframe = "1m"',
            "config.toml: scores: timeframe \"1m\" must be one of timeframes ['15m', '1h', '1d']",
        ),
        (
            '[news]\nkind = "twitter"',
            "config.toml: news.kind: must be one of 'auto', 'sim', 'rss' or 'off'",
        ),
    ],
)
def test_score_settings_are_checked(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, text)
    assert str(err.value).startswith(message)


def test_weights_that_add_up_are_taken(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "[scores.weights]\ntechnical = 0.6\nfundamental = 0.2\nsentiment = 0.2\n")
    assert (cfg.scores.weights.technical, cfg.scores.weights.sentiment) == (0.6, 0.2)


def test_the_themes_a_config_may_name_are_textuals() -> None:
    from textual.theme import BUILTIN_THEMES

    from tpm.config.sections import THEMES

    assert set(THEMES) == set(BUILTIN_THEMES)
