"""First-order linear recursions (EMA, Wilder smoothing, running sums) in plain numpy.

y[i] = d * y[i-1] + u[i]; this module also holds the chunking all indicator kernels share.

The series is cut into blocks of R values. Each block's response to its own inputs is one
small matrix product (a lower-triangular R x R matrix of powers of d); the state carried into
each block obeys the same recursion on R-times fewer values (factor d**R), which is solved the
same way until it is short enough for a Python loop. This reproduces the sequential recursion
to a few units in the last place, at a few numpy passes over the data.

Work runs over the series in chunks (`chunk_size`) so that temporaries stay small and are
reused by the allocator: on a million values, fresh memory (page faults) costs more than the
arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["CHUNK", "FloatArray", "Recursion", "chunk_size", "chunks", "recursion"]

FloatArray = npt.NDArray[np.float64]

CHUNK = 1 << 16  # a multiple of _R; tests lower it to cross chunk boundaries on short series
_R = 8  # block length
_SHORT = 64  # recursions at most this long run as a Python loop


def chunk_size(total: int) -> int:
    """Chunk length for a series of `total` values.

    CHUNK, halved (down to CHUNK/4, never below one block) while the series is shorter than
    8 chunks: glibc returns the top of its heap to the system whenever more than twice the largest
    recently freed block lies free there; the temporaries of a call must stay well below the
    size of its output, or every call pays page faults for them again (8x slower at 100,000).
    """
    size, floor = CHUNK, max(CHUNK // 4, _R)  # always a multiple of _R
    while size > floor and size * 8 > total:
        size //= 2
    return size


def chunks(start: int, stop: int, size: int = 0) -> Iterator[tuple[int, int]]:
    """Split range(start, stop) into consecutive (a, b) pieces of `size` (chunk_size)."""
    size = size or chunk_size(stop - start)
    for a in range(start, stop, size):
        yield a, min(a + size, stop)


class Recursion:
    """Solves y[i] = d * y[i-1] + u[i] for rows of u at once, from a given state y[-1].

    With `scale`, what lands in the output is scale * y (the state stays unscaled).
    """

    __slots__ = ("_carry", "_d", "_ends", "_matrix", "_scale")

    def __init__(self, d: float, scale: float = 1.0) -> None:
        self._d, self._scale = d, scale
        j = np.arange(_R)
        gap = j[None, :] - j[:, None]  # r - j
        powers = np.where(gap >= 0, float(d) ** np.clip(gap, 0, None), 0.0)
        self._ends = np.ascontiguousarray(powers[:, _R - 1])  # a block's response at its end
        self._matrix = powers * scale
        self._carry: Recursion | None = None

    def _starts(self, ends: FloatArray, state: FloatArray) -> FloatArray:
        """The state entering each block, from each block's own response at its end."""
        starts = np.empty(ends.shape)
        if ends.shape[1]:
            starts[:, 0] = state
        if ends.shape[1] > 1:
            if self._carry is None:
                self._carry = recursion(self._d**_R)
            self._carry.run(np.ascontiguousarray(ends[:, :-1]), state.copy(), starts[:, 1:])
        return starts

    def _finish(
        self, u: FloatArray, starts: FloatArray, state: FloatArray, out: FloatArray
    ) -> None:
        """Fill out from u (overwritten) given the state entering each full block."""
        rows, length = u.shape
        m = starts.shape[1] * _R
        if m:
            blocks = u[:, :m].reshape(rows, -1, _R)
            blocks[:, :, 0] += self._d * starts
            view = out[:, :m].view()
            view.shape = blocks.shape  # raises rather than copy: results must land in out
            np.matmul(blocks, self._matrix, out=view)
            state[:] = out[:, m - 1] / self._scale
        if m < length:
            d, scale = self._d, self._scale
            for r in range(rows):
                y = float(state[r])
                tail = u[r, m:].tolist()
                for i, v in enumerate(tail):
                    y = d * y + v
                    tail[i] = y * scale
                out[r, m:] = tail
                state[r] = y

    def block_ends(self, u: FloatArray) -> FloatArray:
        """Each R-value block's own response at its last value, for u of whole blocks."""
        ends: FloatArray = u.reshape(u.shape[0], -1, _R) @ self._ends
        return ends

    def run(self, u: FloatArray, state: FloatArray, out: FloatArray) -> None:
        """Fill out (rows, L) from u (rows, L), which it overwrites; state (rows,) is updated."""
        length = u.shape[1]
        c = length // _R if length > _SHORT else 0
        self._finish(u, self._starts(self.block_ends(u[:, : c * _R]), state), state, out)

    def solve(
        self,
        make_u: Callable[[int, int], FloatArray],
        start: int,
        stop: int,
        state: FloatArray,
        out: FloatArray | None = None,
        emit: Callable[[int, int, FloatArray], None] | None = None,
        *,
        two_pass: bool = True,
    ) -> None:
        """Run over range(start, stop) in chunks, the input of chunk [a, b) being make_u(a, b).

        Each chunk's result lands in out[:, a:b] (or a temporary) and is then passed to
        emit(a, b, result). With `two_pass`, long inputs take two passes, calling make_u twice
        per chunk: the first finds every block's own response, so that the states entering
        the blocks are solved in one go rather than chunk by chunk. That is faster when make_u
        is cheap (a product); when it is not, one pass solving each chunk whole is faster.
        """
        rows = len(state)
        if not two_pass:
            for a, b in chunks(start, stop):
                target = np.empty((rows, b - a)) if out is None else out[:, a:b]
                self.run(make_u(a, b), state, target)
                if emit is not None:
                    emit(a, b, target)
            return
        size = chunk_size(stop - start)
        if stop - start <= size:
            pieces = [(start, stop)]
            u = make_u(start, stop)
            c = (stop - start) // _R if stop - start > _SHORT else 0
            starts = self._starts(self.block_ends(u[:, : c * _R]), state)
        else:
            pieces = list(chunks(start, stop, size))
            c = (stop - start) // _R
            ends = np.empty((rows, c))
            for a, b in chunks(start, start + c * _R, size):
                g = (a - start) // _R
                found = self.block_ends(make_u(a, b))
                ends[:, g : g + found.shape[1]] = found
            starts = self._starts(ends, state)
        for i, (a, b) in enumerate(pieces):
            if i or len(pieces) > 1:
                u = make_u(a, b)
            g = (a - start) // _R
            k = max(0, min(c - g, (b - a) // _R))
            target = np.empty((rows, b - a)) if out is None else out[:, a:b]
            self._finish(u, starts[:, g : g + k], state, target)
            if emit is not None:
                emit(a, b, target)


@lru_cache(maxsize=256)
def recursion(d: float, scale: float = 1.0) -> Recursion:
    """A shared `Recursion` for (d, scale): building one costs more than solving a short series."""
    return Recursion(d, scale)
