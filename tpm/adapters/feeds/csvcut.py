"""The fields of a regular CSV body, found once as byte offsets and turned into values only
when asked: plain decimals and equal-width texts straight from the bytes with numpy, anything
else as the strings it holds.

Regular means ASCII, nothing quoted, and every line holding the header's number of fields.
A body that is not regular is left to the line-by-line path of `csvbars`, and a column that
holds anything but plain decimals to numpy's string parser; both name what is wrong.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["Fields"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BytesArray = npt.NDArray[np.bytes_]

_NEWLINE, _POINT, _ZERO = 10, ord("."), np.uint8(ord("0"))
# At most 15 digits: the integer they spell is below 2**53, so float64 holds it exactly.
_MAX_DIGITS = 15
_TENS = np.array([float(10**k) for k in range(_MAX_DIGITS + 2)])  # exact, from integers


class Fields:
    """Where each field of each line starts and ends; `fields[j]` is column j's strings."""

    __slots__ = ("_body", "_ends", "_points", "_raw", "_starts", "_texts")

    def __init__(self, body: str, raw: npt.NDArray[np.uint8], starts: IntArray, ends: IntArray):
        self._body, self._raw = body, raw
        self._starts, self._ends = starts, ends  # (lines, width), a field is [start, end)
        self._texts: dict[int, list[str]] = {}
        self._points: IntArray | None = None

    @classmethod
    def cut(cls, body: str, delimiter: str, width: int) -> Fields | None:
        """The fields of `body` (lines without a final newline) when every line holds `width`
        of them; None when a line does not, or the text is not ASCII."""
        if not body.isascii():
            return None  # byte offsets would not be string offsets
        raw = np.frombuffer(body.encode("ascii"), dtype=np.uint8)
        sep = ord(delimiter)
        ends = np.append(np.flatnonzero((raw == _NEWLINE) | (raw == sep)), len(raw))
        if len(ends) % width:
            return None
        grid = ends.reshape(-1, width)
        # Each line: width - 1 separators, then its newline (the last line ends the body).
        if not (raw[grid[:, :-1]] == sep).all() or not (raw[grid[:-1, -1]] == _NEWLINE).all():
            return None
        starts = np.empty_like(ends)
        starts[0], starts[1:] = 0, ends[:-1] + 1
        return cls(body, raw, starts.reshape(-1, width), grid)

    @property
    def rows(self) -> int:
        return len(self._starts)

    def __len__(self) -> int:
        return int(self._starts.shape[1])

    def __getitem__(self, j: int) -> list[str]:
        texts = self._texts.get(j)
        if texts is None:
            starts, ends = self._starts[:, j].tolist(), self._ends[:, j].tolist()
            texts = self._texts[j] = [self._body[a:b] for a, b in zip(starts, ends, strict=True)]
        return texts

    def decimals(self, j: int) -> FloatArray | None:
        """Column j as float64 when every field is a plain decimal (digits and at most one
        point, 1 to 15 digits); None otherwise.

        Equal to `float(text)` for each: the digits spell an integer below 2**53 and the
        point divides it by a power of ten up to 10**15, both exact in float64, and one IEEE
        division rounds their exact quotient to the nearest float, as `float` does.
        """
        starts, ends = self._starts[:, j], self._ends[:, j]
        points = self._decimal_points()
        at = np.searchsorted(points, starts)  # the first point at or after each field
        has_point = points[at] < ends
        if (has_point & (points[at + 1] < ends)).any():
            return None
        length = ends - starts
        digits = length - has_point
        if not ((digits >= 1) & (digits <= _MAX_DIGITS)).all():
            return None
        where = np.where(has_point, points[at] - starts, length)  # length: no point
        layout = length * 32 + where  # fields laid out alike are converted together
        kinds = np.flatnonzero(np.bincount(layout)).tolist()
        out = np.empty(len(starts), dtype=np.float64)
        for kind in kinds:
            size, point = divmod(kind, 32)
            rows = np.flatnonzero(layout == kind) if len(kinds) > 1 else slice(None)
            chars = sliding_window_view(self._raw, size)[starts[rows]] - _ZERO
            column = np.arange(size)
            not_digit = chars > 9
            if point < size:
                not_digit[:, point] = False
            if not_digit.any():
                return None
            # The power of ten of each place; the point's place weighs nothing.
            places = size - 1 - column - ((column < point) & (point < size))
            weights = _TENS[places]
            scale = 1.0
            if point < size:
                weights[point] = 0.0
                scale = float(_TENS[size - 1 - point])
            out[rows] = (chars.astype(np.float64) @ weights) / scale
        return out

    def fixed(self, j: int) -> BytesArray | None:
        """Column j as one array of byte strings when every field has the same width."""
        starts, ends = self._starts[:, j], self._ends[:, j]
        width = int(ends[0] - starts[0])
        if width == 0 or bool((ends - starts != width).any()):
            return None
        column: BytesArray = sliding_window_view(self._raw, width)[starts].view(f"S{width}")
        return column.ravel()

    def _decimal_points(self) -> IntArray:
        if self._points is None:
            end = len(self._raw) + 1  # two stops past every field, for points[at + 1]
            self._points = np.append(np.flatnonzero(self._raw == _POINT), (end, end))
        return self._points
