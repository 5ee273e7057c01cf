"""Top-level screens, one per mode, plus the small modal dialogs they open."""
