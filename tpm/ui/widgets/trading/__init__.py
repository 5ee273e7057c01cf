"""The trading screen's widgets: order ticket, blotter, positions and fills."""

from tpm.ui.widgets.trading.done_orders import DoneOrders
from tpm.ui.widgets.trading.fills import FillsTable
from tpm.ui.widgets.trading.positions import PositionsTable
from tpm.ui.widgets.trading.ticket import OrderTicket
from tpm.ui.widgets.trading.working_orders import WorkingOrders

__all__ = ["DoneOrders", "FillsTable", "OrderTicket", "PositionsTable", "WorkingOrders"]
