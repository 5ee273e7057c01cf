"""The heat map screen's widgets: the treemap of holdings and the correlation matrix."""
