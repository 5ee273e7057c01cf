"""Widgets, one per file, grouped by the screen area they serve."""
