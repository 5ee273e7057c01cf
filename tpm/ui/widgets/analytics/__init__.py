"""The analytics screen's widgets: symbol line, price chart, pillar breakdown, performance."""
