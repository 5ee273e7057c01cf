"""A QR code as text for a terminal: two rows of modules per line, in half blocks."""

from __future__ import annotations

import segno

__all__ = ["qr_lines"]

# (top dark, bottom dark) -> the character, drawn dark-on-light by the caller
_HALF = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def qr_lines(text: str, border: int = 2) -> list[str]:
    """`text` as a QR code: each character is two modules, a dark module is the foreground.

    Print it dark on light (black on white); scanners read a code with its light border.
    """
    rows = [
        [bool(m) for m in row] for row in segno.make(text, error="m").matrix_iter(border=border)
    ]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    return [
        "".join(_HALF[top, bottom] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(rows[::2], rows[1::2], strict=True)
    ]
