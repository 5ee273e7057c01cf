"""Brokers: where orders go. The paper broker simulates one against the market."""
