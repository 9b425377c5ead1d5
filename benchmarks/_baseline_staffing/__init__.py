"""Frozen copy of the staffing path as it was before the round-2 speed work.

``staff()`` / ``staff_resolved()`` of channelopt at commit b679ad9 (the
``_core``, ``_live`` and ``_result`` modules, with their relative imports made
absolute). The traffic equations (``_flows``) and deferred channels
(``_deferred``) are imported from the live package, so changes to their
semantics (closed hours, for example) reach both paths alike.

Two uses, both same-run comparisons:

* ``tests/test_staffing_identical.py`` checks that today's ``staff()`` gives
  bit-identical tables to this copy on the bundled and generated scenarios;
* the guards in ``benchmarks/`` time the live path against this one.

One machine-dependent detail: the stretched concurrent-channel model calls
NumPy's ``exp``, ``log`` and ``log1p`` on arrays, which on CPUs with AVX-512
use NumPy's own SIMD implementations; these differ from the C library's (what
compiled code and ``math`` call) in the last bit for a few per cent of
arguments. :func:`libm` swaps those three for the C library's inside this
copy, which is what a bit-for-bit comparison with the compiled path needs.

Do not edit this package except to follow a renamed import.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import _live
from ._core import flows, staff, staff_resolved

__all__ = ["flows", "libm", "staff", "staff_resolved"]


def _elementwise(f: Callable[[float], float], special: Callable[[float], float]) -> Any:
    def apply(a: Any) -> np.ndarray:
        arr = np.asarray(a, dtype=float)
        out = np.empty(arr.shape)
        flat = out.reshape(-1)
        for i, v in enumerate(arr.reshape(-1)):
            try:
                flat[i] = f(float(v))
            except (ValueError, OverflowError):  # where NumPy returns inf / nan
                flat[i] = special(float(v))
        return out

    return apply


class _LibmNumpy:
    """``numpy`` with ``exp``, ``log`` and ``log1p`` taken from the C library."""

    exp = staticmethod(_elementwise(math.exp, lambda v: math.inf))
    log = staticmethod(_elementwise(math.log, lambda v: -math.inf if v == 0 else math.nan))
    log1p = staticmethod(_elementwise(math.log1p, lambda v: -math.inf if v == -1 else math.nan))

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


@contextlib.contextmanager
def libm() -> Iterator[None]:
    """Inside this block the frozen copy uses the C library's exp / log / log1p."""
    saved = _live.np
    _live.np = _LibmNumpy()  # type: ignore[assignment]
    try:
        yield
    finally:
        _live.np = saved
