"""tpm: a terminal trading workstation."""

__version__ = "0.1.0"
