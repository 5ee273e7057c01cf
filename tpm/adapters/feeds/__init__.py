"""Market data feeds: simulated, replayed from files, and live exchange connections."""
