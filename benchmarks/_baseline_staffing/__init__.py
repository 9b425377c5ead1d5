"""The staffing path as it was before the round-2 speed work, for same-run comparisons.

``_live.py`` is a frozen copy of ``channelopt/staffing/_live.py`` at commit
b679ad9: the per-channel staffing search and same-interval retrial fixed
point, vectorised with NumPy over the intervals (10-40 NumPy round trips per
channel and round). :func:`staff_resolved` / :func:`staff` run today's
``channelopt.staffing`` with that search swapped in for the compiled one
(``_live_kernels``), ``StaffingResult.summary`` with its original pandas
groupby, the deferred channels' completion curve with its Python loop
(``_deferred.py``, now compiled) and the deferred staffing search deciding
with the NumPy ``deferred_kpis`` alone (``_deferred._FAST_MARGIN = 0``; it now
decides with a compiled total first). Planning's round-2 changes are turned
off too (``planning.model.SHARE_SAMPLES``, ``WARM_START``,
``solver._pulp.DIRECT_HIGHS``), so ``evaluate`` and ``optimize`` on this path
are the pre-round-2 calls. Everything else (traffic equations, deferred
staffing, pools, the result tables) is today's code in both paths, so semantic
changes made there since (pool sharing, closed hours, ...) reach both alike
and the comparison isolates what the speed work changed.

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

Do not edit this package except to follow a renamed import or to switch off
a new speed-up in :func:`frozen` (so this stays the pre-round-2 path).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import _deferred as _frozen_deferred
from . import _live

__all__ = ["frozen", "libm", "staff", "staff_resolved"]


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """Inside this block ``channelopt.staffing`` uses the frozen NumPy search and summary."""
    from channelopt.planning import model as _model
    from channelopt.solver import _pulp
    from channelopt.staffing import _core, _deferred, _result

    saved_flags = _model.SHARE_SAMPLES, _model.WARM_START, _pulp.DIRECT_HIGHS
    # planning as before round 2: samples re-staffed every cap-repair round, cold
    # re-solves, the model handed to HiGHS through PuLP's own interface
    _model.SHARE_SAMPLES = _model.WARM_START = _pulp.DIRECT_HIGHS = False

    saved = _core.staff_live, _core.evaluate_live, _result.StaffingResult.summary
    saved_curve, saved_margin = _deferred._completion_curve, _deferred._FAST_MARGIN
    _deferred._FAST_MARGIN = 0.0  # the deferred search decides with deferred_kpis alone
    _core.staff_live, _core.evaluate_live = _live.staff_live, _live.evaluate_live
    _result.StaffingResult.summary = _result.StaffingResult._summary_grouped  # type: ignore[method-assign]
    _deferred._completion_curve = _frozen_deferred._completion_curve
    try:
        yield
    finally:
        _core.staff_live, _core.evaluate_live, _result.StaffingResult.summary = saved
        _deferred._completion_curve, _deferred._FAST_MARGIN = saved_curve, saved_margin
        _model.SHARE_SAMPLES, _model.WARM_START, _pulp.DIRECT_HIGHS = saved_flags


def staff_resolved(resolved: Any, **options: Any) -> Any:
    """``channelopt.staffing.staff_resolved`` on the pre-round-2 search."""
    from channelopt.staffing import staff_resolved as live

    with frozen():
        return live(resolved, **options)


def staff(scenario: Any, *args: Any, **options: Any) -> Any:
    """``channelopt.staffing.staff`` on the pre-round-2 search."""
    from channelopt.staffing import staff as live

    with frozen():
        return live(scenario, *args, **options)


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
