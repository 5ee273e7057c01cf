"""The order ticket's arithmetic: checking what was typed, sizing by amount, estimating cost.

Pure functions over plain values, so every sentence the ticket can show is testable without a
running app. Each error is a sentence keyed by the field it belongs to.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from tpm.domain import Instrument, Order, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from tpm.domain.snapshot import EngineSnapshot
from tpm.ui.format import money, price

__all__ = [
    "Checked",
    "Commission",
    "Draft",
    "Quote",
    "check_draft",
    "check_price",
    "check_qty",
    "commission_from_settings",
    "confirmation_text",
    "describe",
    "describe_change",
    "describe_order",
    "finished_reason",
    "order_progress",
    "quote_in",
    "sentence",
]

_NEEDS_LIMIT = (OrderType.LIMIT, OrderType.STOP_LIMIT)
_NEEDS_STOP = (OrderType.STOP, OrderType.STOP_LIMIT)
_TYPE_WORDS = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop-limit",
}
_TIF_WORDS = {
    TimeInForce.DAY: "good for the day",
    TimeInForce.GTC: "good till cancelled",
    TimeInForce.IOC: "immediate or cancel",
}


@dataclass(frozen=True, slots=True)
class Quote:
    """The prices the ticket knows for its symbol (None where the snapshot has none)."""

    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None

    def for_side(self, side: Side) -> Decimal | None:
        """What a market order on `side` would pay or get: the ask to buy, the bid to sell."""
        near = self.ask if side is Side.BUY else self.bid
        return near if near is not None else self.last


@dataclass(frozen=True, slots=True)
class Draft:
    """The ticket's fields as typed."""

    symbol: str
    side: Side
    size: str
    is_notional: bool = False
    type: OrderType = OrderType.MARKET
    limit: str = ""
    stop: str = ""
    tif: TimeInForce = TimeInForce.DAY


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of checking a draft: a request when every field is right, else errors.

    `price` is the price the estimate uses and `price_basis` says where it came from.
    """

    request: OrderRequest | None
    errors: dict[str, str] = field(default_factory=dict)
    qty: Decimal | None = None
    price: Decimal | None = None
    price_basis: str = ""


@dataclass(frozen=True, slots=True)
class Commission:
    """The paper broker's commission schedule: per share, basis points, minimum per order."""

    per_share: Decimal
    bps: Decimal
    minimum: Decimal

    def estimate(self, qty: Decimal, notional: Decimal) -> Decimal:
        return max(qty * self.per_share + notional * self.bps / 10_000, self.minimum)


def commission_from_settings(settings: Mapping[str, Any]) -> Commission | None:
    """The commission schedule when the settings say how the broker charges, else None."""
    broker = settings.get("broker") or {}
    paper = broker.get(broker.get("kind", "")) if isinstance(broker, Mapping) else None
    if not isinstance(paper, Mapping) or "commission_per_share" not in paper:
        return None
    try:
        return Commission(
            Decimal(str(paper["commission_per_share"])),
            Decimal(str(paper.get("commission_bps", 0))),
            Decimal(str(paper.get("commission_min", 0))),
        )
    except (InvalidOperation, TypeError):
        return None


def _tick_price(value: float, inst: Instrument) -> Decimal | None:
    """A snapshot's float price as a Decimal on the tick, or None when there is none."""
    return inst.price(value) if math.isfinite(value) and value > 0 else None


def quote_in(snap: EngineSnapshot, inst: Instrument) -> Quote | None:
    """`inst`'s prices in a snapshot: its watchlist row, else its position's mark, else None."""
    for row in snap.watchlist:
        if row.symbol == inst.symbol:
            return Quote(
                _tick_price(row.bid, inst), _tick_price(row.ask, inst), _tick_price(row.last, inst)
            )
    for pos in snap.positions:
        if pos.symbol == inst.symbol and pos.mark is not None:
            return Quote(last=pos.mark)
    return None


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", "").replace("_", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def check_price(text: str, what: str, inst: Instrument | None) -> tuple[Decimal | None, str]:
    """A price typed for `what` ("limit price", "stop price"): (value, "") or (None, sentence)."""
    if not text.strip():
        return None, f"Enter a {what}."
    value = _number(text)
    if value is None:
        return None, f"The {what} must be a number, like 101.25."
    if value <= 0:
        return None, f"The {what} must be above zero."
    if inst is not None and value % inst.tick_size != 0:
        near = inst.price(value)
        return None, (
            f"The {what} {value} is not on {inst.symbol}'s tick of {inst.tick_size} "
            f"(try {near if near > 0 else inst.tick_size})."
        )
    return value, ""


def check_qty(qty: Decimal, inst: Instrument) -> str:
    """Why `qty` cannot be ordered in `inst`, or "" when it can."""
    if qty <= 0:
        return "The quantity must be above zero."
    if qty % inst.lot_size != 0:
        return f"The quantity {qty} is not a multiple of {inst.symbol}'s lot of {inst.lot_size}."
    if qty < inst.min_qty:
        return f"The quantity {qty} is below {inst.symbol}'s minimum of {inst.min_qty}."
    return ""


def _reference(
    draft: Draft, limit: Decimal | None, stop: Decimal | None, quote: Quote | None
) -> tuple[Decimal | None, str]:
    """The price an estimate (and a sizing by amount) uses, and where it comes from."""
    if draft.type in _NEEDS_LIMIT and limit is not None:
        return limit, "limit"
    if draft.type is OrderType.STOP and stop is not None:
        return stop, "stop"
    near = quote.for_side(draft.side) if quote is not None else None
    if near is None:
        return None, ""
    basis = "ask" if draft.side is Side.BUY else "bid"
    if quote is not None and (quote.ask if draft.side is Side.BUY else quote.bid) is None:
        basis = "last"
    return near, basis


def check_draft(
    draft: Draft, instruments: Mapping[str, Instrument], quote: Quote | None
) -> Checked:
    """Check every field of `draft`; a request comes back only when nothing is wrong."""
    errors: dict[str, str] = {}
    symbol = draft.symbol.strip().upper()
    inst = instruments.get(symbol)
    if not symbol:
        errors["symbol"] = "Enter a symbol."
    elif not instruments:
        errors["symbol"] = "The list of symbols is still loading; try again in a moment."
    elif inst is None:
        errors["symbol"] = f"{symbol} is not a symbol this feed serves."
    prices: dict[str, Decimal | None] = {"limit": None, "stop": None}
    for key, needs, text in (
        ("limit", _NEEDS_LIMIT, draft.limit),
        ("stop", _NEEDS_STOP, draft.stop),
    ):
        if draft.type not in needs:
            continue
        if not text.strip():
            errors[key] = f"A {_TYPE_WORDS[draft.type]} order needs a {key} price."
        else:
            prices[key], errors[key] = check_price(text, f"{key} price", inst)
    limit, stop = prices["limit"], prices["stop"]
    ref, basis = _reference(draft, limit, stop, quote)
    qty: Decimal | None = None
    amount = _number(draft.size) if draft.size.strip() else None
    if not draft.size.strip():
        errors["size"] = "Enter an amount." if draft.is_notional else "Enter a quantity."
    elif amount is None:
        errors["size"] = f"The {'amount' if draft.is_notional else 'quantity'} must be a number."
    elif draft.is_notional:
        if amount <= 0:
            errors["size"] = "The amount must be above zero."
        elif inst is not None and ref is None:
            errors["size"] = (
                f"There is no price for {symbol} to turn the amount into shares; "
                "enter a quantity or a limit price."
            )
        elif inst is not None and ref is not None:
            qty = inst.qty(amount / ref)
            if qty < inst.min_qty:
                errors["size"] = (
                    f"{money(amount)} buys {qty} at {price(ref)}, below {symbol}'s minimum "
                    f"quantity of {inst.min_qty}."
                )
    else:
        qty = amount
        if inst is not None:
            errors["size"] = check_qty(amount, inst)
        elif amount <= 0:
            errors["size"] = "The quantity must be above zero."
    errors = {k: v for k, v in errors.items() if v}
    if errors or inst is None or qty is None:
        return Checked(None, errors, qty, ref, basis)
    request = OrderRequest(
        symbol, draft.side, qty, draft.type, draft.tif, limit, stop, source="manual"
    )
    return Checked(request, {}, qty, ref, basis)


def _terms(kind: OrderType, lp: Decimal | None, sp: Decimal | None) -> str:
    match kind:
        case OrderType.MARKET:
            return "at market"
        case OrderType.LIMIT:
            return f"at {price(lp)} limit"
        case OrderType.STOP:
            return f"at market once it trades at {price(sp)} (stop)"
        case _:
            return f"at {price(lp)} limit once it trades at {price(sp)} (stop-limit)"


def describe(request: OrderRequest) -> str:
    """The order in words: "Buy 10 NOVA at 101.25 limit, good till cancelled"."""
    verb = "Buy" if request.side is Side.BUY else "Sell"
    terms = _terms(request.type, request.limit_price, request.stop_price)
    return f"{verb} {request.qty:,} {request.symbol} {terms}, {_TIF_WORDS[request.tif]}"


def confirmation_text(checked: Checked, commission: Commission | None) -> str:
    """What the confirmation dialog says: the order in words and what it should cost."""
    req = checked.request
    assert req is not None, "only a checked request is confirmed"
    lines = [f"{describe(req)}?", ""]
    ref = checked.price
    if ref is None:
        lines.append("No price is known for it yet, so the cost cannot be estimated.")
        return "\n".join(lines)
    notional = req.qty * ref
    what = "cost" if req.side is Side.BUY else "proceeds"
    estimate = (
        f"Estimated {what}: {req.qty:,} × {price(ref)} ({checked.price_basis}) = {money(notional)}"
    )
    if commission is None:
        lines.append(f"{estimate}, before commission.")
        return "\n".join(lines)
    fee = commission.estimate(req.qty, notional)
    # A buy pays the commission on top; a sale receives its proceeds less the commission.
    total = notional + fee if req.side is Side.BUY else notional - fee
    lines.append(f"{estimate}.")
    lines.append(f"Commission about {money(fee)}: {money(total)} in all.")
    return "\n".join(lines)


def sentence(text: str) -> str:
    """`text` as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."


def order_progress(order: Order) -> tuple[str, bool]:
    """Where an order the ticket sent stands, in words, and whether that is a failure."""
    verb = "bought" if order.side is Side.BUY else "sold"
    match order.status:
        case OrderStatus.FILLED:
            return (
                f"Filled: {verb} {order.qty:,} {order.symbol} at {price(order.avg_fill_price)}.",
                False,
            )
        case OrderStatus.PARTIALLY_FILLED:
            return (
                f"Partly filled: {verb} {order.filled_qty:,} of {order.qty:,} {order.symbol} "
                f"at {price(order.avg_fill_price)} so far.",
                False,
            )
        case OrderStatus.REJECTED:
            return f"Rejected: {sentence(order.reason or 'no reason given')}", True
        case OrderStatus.CANCELLED | OrderStatus.EXPIRED:
            return finished_reason(order), True
        case _:
            # Short: the ticket's status line has about 30 columns at 80x24.
            state = "Sent" if order.status is OrderStatus.NEW else "Working"
            terms = _terms(order.type, order.limit_price, order.stop_price)
            return f"{state}: {order.side.value} {order.qty:,} {order.symbol} {terms}.", False


def finished_reason(order: Order) -> str:
    """How a finished order ended, as one sentence: "Cancelled: the day ended."."""
    word = order.status.value.capitalize()
    reason = sentence(order.reason)
    if not reason:
        return f"{word}."
    # Brokers often say it themselves ("cancelled on request"): no need to say it twice.
    return reason if reason.lower().startswith(order.status.value) else f"{word}: {reason}"


def describe_change(
    order: Order, qty: Decimal | None, lp: Decimal | None, sp: Decimal | None
) -> str:
    """What a modification changes: "buy ZORV: limit 400.00 → 401.50, qty 2 → 3"."""
    parts = [
        f"{what} {before} → {after}"
        for what, before, after in (
            ("qty", order.qty, qty),
            ("limit", price(order.limit_price), price(lp) if lp is not None else None),
            ("stop", price(order.stop_price), price(sp) if sp is not None else None),
        )
        if after is not None
    ]
    return f"{order.side.value} {order.symbol}: {', '.join(parts)}"


def describe_order(order: Order) -> str:
    """An order already made, in the words `describe` uses for a request."""
    return describe(
        OrderRequest(
            order.symbol,
            order.side,
            order.qty,
            order.type,
            order.tif,
            order.limit_price,
            order.stop_price,
        )
    )
