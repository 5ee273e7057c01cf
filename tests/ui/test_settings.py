"""The Settings screen under Pilot, on a real engine with its own config.toml."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Switch

from tpm.config import RiskConfig
from tpm.domain import OrderRequest, OrderStatus, Side
from tpm.ui.app import TpmApp
from tpm.ui.screens.dialogs import Confirm
from tpm.ui.screens.settings import SettingsScreen
from tpm.ui.widgets.settings.field import SettingField
from tpm.ui.widgets.settings.form import SettingsForm
from tpm.ui.widgets.settings.group import SettingsGroup
from tpm.ui.widgets.settings.layout import SECTIONS
from tpm.ui.widgets.settings.looser import loosenings
from tpm.ui.widgets.settings.schema import fields_of
from tpm.ui.widgets.settings.state import split_problem
from tpm.ui.widgets.settings.theme_picker import ThemePicker
from tpm.ui.widgets.settings.weights import WeightsSum

from .conftest import running_app, wait_for

_SECTION_OF = {
    "feed": "data",
    "news": "data",
    "fundamentals": "data",
    "broker": "broker",
    "risk": "risk",
    "scores": "scores",
    "ui": "notifications",
}


async def _open(app: TpmApp, pilot: Pilot[None]) -> SettingsForm:
    await pilot.press("5")
    form = app.screen.query_one(SettingsForm)
    await wait_for(pilot, lambda: form.is_loaded, "the settings in force")
    await form.show_section("data")  # returns once every build under way is mounted
    return form


def _field(form: SettingsForm, key: str) -> SettingField:
    """The widget of `key` (its section must be on screen)."""
    return next(f for f in form.fields if f.state.spec.key == key)


def _group(form: SettingsForm, prefix: str) -> SettingsGroup:
    return next(g for g in form.groups if g.prefix == prefix)


async def _type(pilot: Pilot[None], form: SettingsForm, key: str, text: str) -> SettingField:
    """Go to the field's section, focus its input and type `text` over what it holds."""
    await form.show_section(_SECTION_OF[key.split(".", maxsplit=1)[0]])
    field = _field(form, key)
    field.editor.focus()
    await pilot.pause()
    assert isinstance(field.editor, Input)
    field.editor.select_all()
    await pilot.press(*text)
    return field


def _saved(tmp_path: Path) -> dict[str, object]:
    file = tmp_path / "config.toml"
    return tomllib.loads(file.read_text(encoding="utf-8")) if file.exists() else {}


def _notes(app: TpmApp) -> str:
    return "\n".join(n.message for n in app._notifications)


async def test_every_section_shows_the_settings_in_force_with_their_help(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, _):
        form = await _open(app, pilot)
        keys = set(form.state.fields)
        for key in (
            "feed.kind",
            "feed.sim.tick_hz",
            "news.kind",
            "news.rss_urls",
            "fundamentals.source",
            "fundamentals.edgar.user_agent",
            "broker.paper.cash",
            "broker.paper.commission_min",
            "broker.paper.latency_ms",
            "risk.daily_loss.action",
            "risk.drawdown.flatten",
            "scores.weights.sentiment",
            "scores.ratings.strong_buy",
            "scores.timeframes",
            "scores.sentiment_half_life_h",
            "ui.toast_fills",
            "ui.toast_rejections",
            "ui.toast_feed",
        ):
            assert key in keys, key
        assert [s.title for s in SECTIONS] == [
            "Data source",
            "Broker",
            "Risk limits",
            "Scores",
            "Theme",
            "Notifications",
        ]
        assert form.section == "data" and _field(form, "feed.kind").editor.value == "sim"

        await form.show_section("risk")
        risk_tables = [n for n in RiskConfig.model_fields if n != "strategies"]
        assert [g.prefix for g in form.groups] == [f"risk.{n}" for n in risk_tables]
        notional = _field(form, "risk.order_size.max_notional")
        assert isinstance(notional.editor, Input) and notional.editor.value == "50000"
        assert notional.state.spec.help.startswith("Largest notional (quantity x price)")
        assert isinstance(_field(form, "risk.order_size.enabled").editor, Switch)
        # Only the section on screen has widgets: a theme change restyles every widget.
        assert len(list(app.screen.walk_children())) < 450

        await form.show_section("scores")
        assert _field(form, "scores.timeframes").editor.value == "15m, 1h, 1d"
        assert app.screen.query_one(WeightsSum).total == 1.0
        assert not form.changed


async def test_a_tighter_limit_is_saved_and_in_force_at_once(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, engine):
        form = await _open(app, pilot)
        field = await _type(pilot, form, "risk.order_size.max_notional", "20000")
        assert field.state.is_changed and form.changed == ["risk.order_size.max_notional"]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not form.changed, "the save")
        assert not isinstance(app.screen, Confirm)  # tightening is not asked about
        saved = _saved(tmp_path)
        assert saved == {"risk": {"order_size": {"max_notional": 20000.0}}}
        assert "saved to" in _notes(app)
        sym = next(
            s
            for s in engine.publisher.watchlist
            if (st := engine.market.state(s)) is not None and 20 < st.last_price < 2000
        )
        state = engine.market.state(sym)
        assert state is not None
        qty = Decimal(int(25_000 / state.last_price) + 1)
        order = await app.client.submit_order(OrderRequest(sym, Side.BUY, qty))
        assert order.status is OrderStatus.REJECTED
        assert "risk.order_size.max_notional 20,000" in (order.reason or "")


async def test_invalid_values_are_shown_at_their_field_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, _):
        form = await _open(app, pilot)
        # Weights that do not add up pass every field's own check; the engine refuses them.
        await _type(pilot, form, "scores.weights.technical", "0.5")
        assert app.screen.query_one(WeightsSum).total == 1.1
        await pilot.press("ctrl+s")
        weights = _group(form, "scores.weights")
        await wait_for(pilot, lambda: bool(weights.error), "the error beside the weights")
        assert "must add up to 1" in weights.error
        assert weights.has_class("-error")
        assert "scores.weights" in _notes(app)
        assert not (tmp_path / "config.toml").exists()
        assert _field(form, "scores.weights.technical").editor.value == "0.5"  # edit kept
        assert form.changed == ["scores.weights.technical"]

        # A negative limit is caught here, before the engine is asked.
        await pilot.press("escape")
        limit = await _type(pilot, form, "risk.position.max_qty", "-5")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(limit.state.error), "the error beside the limit")
        assert limit.state.error == "must be greater than 0, got -5"
        assert limit.has_class("-error") and limit.editor.value == "-5"
        assert not (tmp_path / "config.toml").exists()


async def test_the_engine_error_for_a_key_lands_beside_its_field(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, _):
        form = await _open(app, pilot)
        await _type(pilot, form, "risk.order_size.max_qty", "700")
        await form.show_section("broker")
        left = form.show_errors(
            "config.toml: risk.order_size.max_qty: must be greater than 0, got -1\n"
            "config.toml: scores: timeframe must be one of timeframes\n"
            "config.toml: not valid TOML: oops"
        )
        assert left == ["config.toml: not valid TOML: oops"]
        # The first problem's section comes on screen with the field focused.
        await wait_for(pilot, lambda: form.section == "risk", "the risk section")
        field = _field(form, "risk.order_size.max_qty")
        await wait_for(pilot, lambda: field.editor.has_focus, "the field focused")
        assert field.state.error == "must be greater than 0, got -1"
        assert field.has_class("-error")
        await form.show_section("scores")
        assert _group(form, "scores").error == "timeframe must be one of timeframes"


async def test_loosening_a_limit_asks_first_and_cancel_saves_nothing(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, engine):
        form = await _open(app, pilot)
        await _type(pilot, form, "risk.order_size.max_notional", "80000")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        question = str(app.screen.query_one("Label").render())
        assert "raises the order notional limit from 50,000 to 80,000" in question
        await wait_for(pilot, lambda: getattr(app.focused, "id", None) == "no", "Cancel focused")
        await pilot.press("enter")  # a stray Enter keeps the old limit
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen), "the form")
        assert not (tmp_path / "config.toml").exists()
        assert engine.risk.config.order_size.max_notional == 50_000
        assert form.changed == ["risk.order_size.max_notional"]

        # Switching a check off is asked about too; yes saves both.
        switch = _field(form, "risk.price_collar.enabled").editor
        assert isinstance(switch, Switch)
        switch.toggle()
        await pilot.pause()
        assert _group(form, "risk.price_collar").has_class("-off")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        question = str(app.screen.query_one("Label").render())
        assert "turns off the price collar check" in question
        await pilot.press("y")
        await wait_for(pilot, lambda: not form.changed, "the save")
        risk = _saved(tmp_path)["risk"]
        assert risk == {"order_size": {"max_notional": 80000.0}, "price_collar": {"enabled": False}}
        assert not engine.risk.config.price_collar.enabled


async def test_choosing_a_theme_applies_it_at_once_and_keeps_it(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, _):
        form = await _open(app, pilot)
        assert app.theme == "textual-dark"
        await form.show_section("theme")
        picker = app.screen.query_one(ThemePicker)
        picker.focus()
        await pilot.pause()
        assert picker.highlighted == picker.get_option_index("textual-dark")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.theme == "textual-light", "the light theme")
        await wait_for(pilot, lambda: bool(_saved(tmp_path)), "the saved theme")
        assert _saved(tmp_path) == {"ui": {"theme": "textual-light"}}
        assert "●" in str(picker.get_option("textual-light").prompt)


async def test_a_theme_chosen_from_the_command_palette_is_kept_too(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, _):
        assert not _saved(tmp_path)  # starting with a theme is not choosing one
        app.theme = "nord"  # what the palette's "Change theme" does
        await wait_for(pilot, lambda: bool(_saved(tmp_path)), "the saved theme")
        assert _saved(tmp_path) == {"ui": {"theme": "nord"}}
        await wait_for(  # the file is written a moment before the note goes up
            pilot,
            lambda: any("kept for the next start" in n.message for n in app._notifications),
            "the note",
        )


async def test_revert_discards_every_edit(tmp_path: Path) -> None:
    async with running_app(tmp_path, strategies=False) as (app, pilot, _):
        form = await _open(app, pilot)
        await _type(pilot, form, "broker.paper.cash", "5000")
        await _type(pilot, form, "risk.open_orders.max_total", "12")
        # Edits survive moving between sections.
        assert sorted(form.changed) == ["broker.paper.cash", "risk.open_orders.max_total"]
        assert _field(form, "risk.open_orders.max_total").has_class("-changed")
        await pilot.press("escape")
        await pilot.pause()
        assert form.changed == []
        assert _field(form, "risk.open_orders.max_total").editor.value == "100"
        await form.show_section("broker")
        cash = _field(form, "broker.paper.cash")
        assert cash.editor.value == "100000" and not cash.has_class("-changed")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not (tmp_path / "config.toml").exists()


def test_looser_and_tighter_risk_changes() -> None:
    before = {
        "risk.order_size.max_notional": 50_000.0,
        "risk.order_size.max_qty": 10_000.0,
        "risk.repeat_guard.window_s": 60.0,
        "risk.daily_loss.action": "halt",
        "risk.drawdown.flatten": True,
        "risk.buying_power.allow_short": False,
        "scores.weights.technical": 0.4,
    }
    looser = loosenings(
        {
            "risk.order_size.max_notional": 80_000.0,
            "risk.order_size.max_qty": 500.0,
            "risk.repeat_guard.window_s": 30.0,
            "risk.daily_loss.action": "reduce",
            "risk.drawdown.flatten": False,
            "risk.buying_power.allow_short": True,
            "scores.weights.technical": 0.9,
        },
        before,
    )
    assert looser == [
        "This raises the order notional limit from 50,000 to 80,000.",
        "This shortens risk.repeat_guard.window_s from 60 to 30.",
        "This lets a daily loss breach reduce positions instead of halting trading.",
        "This stops a drawdown breach from closing every position.",
        "This lets sells open or grow short positions.",
    ]


def test_fields_come_from_the_models_with_their_bounds() -> None:
    specs = {s.name: s for s in fields_of("broker.paper")}
    participation = specs["participation"]
    assert participation.kind == "float"
    assert participation.parse("0.25") == 0.25
    assert participation.parse("1") == 1.0
    for text, reason in (
        ("0", "must be greater than 0, got 0"),
        ("1.5", "must be at most 1, got 1.5"),
        ("half", 'expected a number, got "half"'),
        ("", "a value is required"),
    ):
        with pytest.raises(ValueError) as caught:
            participation.parse(text)
        assert str(caught.value) == reason
    assert specs["cash"].parse("250,000") == 250_000.0
    rate = {s.name: s for s in fields_of("risk.order_rate")}["per_second"]
    assert rate.kind == "int" and rate.parse("12") == 12
    timeframes = {s.name: s for s in fields_of("scores")}["timeframes"]
    assert timeframes.kind == "list" and timeframes.parse(" 1h, 1d ,") == ("1h", "1d")
    assert {s.name for s in fields_of("ui", frozenset({"theme"}))} == {
        "toast_fills",
        "toast_rejections",
        "toast_feed",
    }
    assert split_problem("config.toml: risk.x.max_pct: must be at most 100, got 140") == (
        "risk.x.max_pct",
        "must be at most 100, got 140",
    )
