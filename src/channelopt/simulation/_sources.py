"""Where contacts come from: external arrivals per interval, and the closed-hours policy.

* :class:`ArrivalSource` draws an interval's external arrivals at its start:
  Poisson counts per channel (the interval's forecast times the day's volume
  factors; when a planning week is simulated, the forecast of that day of the
  week, with its opening hours), uniform times, and each first attempt's handle time and patience,
  vectorised (common random numbers across staffings: these draws do not
  depend on what the agents do).
* The closed-hours policies decide when a hand-off, repeat or retrial that
  reaches a closed channel is offered: :class:`Spread` (over the channel's
  next open stretch by its own intraday profile, as customers who try again
  do; uniform where the channel has no external profile), :class:`NextOpen`
  (all at the next opening) or :class:`LostWhenClosed` (never: it ends
  unresolved). ``staffing._flows.carry_matrix`` is the same rule for the
  traffic equations.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable

import numpy as np

from ._model import Model
from ._random import volume_factors
from ._recorder import Recorder

__all__ = ["ArrivalSource", "LostWhenClosed", "NextOpen", "Spread", "closed_hours_policy"]


def next_open_offsets(open_mask: np.ndarray) -> list[list[int]]:
    """``off[c][i]``: intervals from i to the next open interval of c (0 if open; -1: never).

    The mask is one cycle (a day, or a week of days): the search wraps around it.
    """
    n_i, n_c = open_mask.shape
    out = []
    for c in range(n_c):
        col = np.asarray(open_mask[:, c], dtype=bool)
        if not col.any():
            out.append([-1] * n_i)
            continue
        # one backward pass over two cycles: the distance to the next open interval
        offs = [0] * n_i
        nxt = -1
        for k in range(2 * n_i - 1, -1, -1):
            i = k % n_i
            if col[i]:
                nxt = k
            if k < n_i:
                offs[i] = nxt - k
        out.append(offs)
    return out


def open_stretch(open_col: np.ndarray, start: int) -> list[int]:
    """Interval indices (mod I) of the open stretch beginning at ``start`` (at most a day)."""
    n = len(open_col)
    out = []
    for k in range(n):
        i = (start + k) % n
        if not open_col[i]:
            break
        out.append(i)
    return out


def spread_weights(profile: np.ndarray, stretch: list[int]) -> np.ndarray:
    """Shares of the stretch's intervals: the profile there, normalised (uniform if flat zero)."""
    w = np.asarray([max(float(profile[i]), 0.0) for i in stretch])
    total = w.sum()
    return w / total if total > 0 else np.full(len(stretch), 1.0 / len(stretch))


class NextOpen:
    """``closed_hours: next_open``: offered at the start of the next open interval."""

    def __init__(self, model: Model) -> None:
        # the cycle of the open mask: a day, or a week when the days differ
        self.L, self.I = model.L, model.W
        self.off = next_open_offsets(model.open_mask)

    def when(self, now: float, g: int, c: int) -> float:
        """Time the contact reaching closed channel ``c`` at ``now`` is offered (-1: lost)."""
        off = self.off[c][g % self.I]
        return now if off < 0 else (g + off) * self.L


class Spread:
    """``closed_hours: spread``: over the next open stretch by the channel's profile."""

    def __init__(self, model: Model, u: Callable[[], float]) -> None:
        # the cycle of the open mask: a day, or a week when the days differ
        self.L, self.I = model.L, model.W
        self.u = u
        self.off = next_open_offsets(model.open_mask)
        # per channel and closed interval: (offset to the opening, cumulative shares)
        self.table: list[list[tuple[int, list[float]] | None]] = []
        for c in range(model.C):
            col = model.open_mask[:, c]
            row: list[tuple[int, list[float]] | None] = []
            for i in range(self.I):
                off = self.off[c][i]
                if off <= 0:
                    row.append(None)
                    continue
                # at most a day of it (a week's cycle can hold days-long stretches)
                stretch = open_stretch(col, (i + off) % self.I)[: model.I]
                cum = np.cumsum(spread_weights(model.arrivals[:, c], stretch)).tolist()
                cum[-1] = 1.0
                row.append((off, cum))
            self.table.append(row)

    def when(self, now: float, g: int, c: int) -> float:
        """Time the contact reaching closed channel ``c`` at ``now`` is offered."""
        entry = self.table[c][g % self.I]
        if entry is None:  # never open: offered now (it waits for nobody)
            return now
        off, cum = entry
        k = bisect.bisect_right(cum, self.u())
        k = min(k, len(cum) - 1)
        return (g + off + k + self.u()) * self.L


class LostWhenClosed:
    """``closed_hours: lost``: the contact ends unresolved."""

    def __init__(self, model: Model) -> None:
        pass

    def when(self, now: float, g: int, c: int) -> float:
        """Always -1: not offered."""
        return -1.0


def closed_hours_policy(model: Model, u: Callable[[], float]) -> Spread | NextOpen | LostWhenClosed:
    """The policy object for ``model.closed_hours``."""
    if model.closed_hours == "next_open":
        return NextOpen(model)
    if model.closed_hours == "lost":
        return LostWhenClosed(model)
    return Spread(model, u)


class ArrivalSource:
    """External arrivals of each interval, drawn when the interval starts.

    :meth:`generate` returns the times and, per arrival, its channel, counter
    slot, journey, handle time and patience (seconds; patience relative to
    arrival), and records the arrivals as offered.
    """

    def __init__(
        self,
        model: Model,
        recorder: Recorder,
        rng_arrivals: np.random.Generator,
        rng_handle: np.random.Generator,
        rng_patience: np.random.Generator,
        forecast_error: bool,
    ) -> None:
        self.m = model
        self.rec = recorder
        self.rng = rng_arrivals
        self.rng_handle = rng_handle
        self.rng_patience = rng_patience
        self.arrivals = model.arrivals * model.open_mask
        self.use_forecast_error = forecast_error and bool(np.any(model.forecast_error > 0))
        self.day_factor = np.ones(model.C)

    def _day_factors(self) -> np.ndarray:
        # one busyness factor shared by every channel, times independent forecast errors
        m = self.m
        factor = np.ones(m.C)
        if m.busyness_cv > 0:
            factor *= volume_factors(m.busyness_cv, self.rng)[0]
        if self.use_forecast_error:
            factor *= volume_factors(m.forecast_error, self.rng)
        return factor

    def generate(
        self, g: int
    ) -> tuple[list[float], list[int], list[int], int, list[float], list[float]]:
        """Draw interval ``g``'s arrivals and record them as offered.

        Returns the arrival times (sorted, strictly inside the interval), and
        per arrival its channel, counter slot ``g * C + channel``, the first
        journey's number (the arrivals open consecutive journeys), handle time
        and patience (s, relative to arrival). The interval's offered counts
        and the new journeys' first contact are recorded here, vectorised:
        external arrivals only come in open intervals, so every one is offered.
        """
        m = self.m
        if g % m.I == 0:
            self.day_factor = self._day_factors()
        # the interval's forecast (in a simulated week: that day's, by g modulo the week)
        counts = self.rng.poisson(self.arrivals[g % m.W] * self.day_factor)
        n = int(counts.sum())
        if n == 0:
            return [], [], [], len(self.rec.j_first), [], []
        L = m.L
        ch = np.repeat(np.arange(m.C), counts)
        # strictly inside the interval, so the batch is used up before the next boundary
        t = np.minimum(g * L + self.rng.random(n) * L, math.nextafter((g + 1) * L, 0.0))
        work = np.empty(n)
        pat = np.empty(n)
        lo = 0
        for c in np.flatnonzero(counts):
            k = int(counts[c])
            work[lo : lo + k] = m.handle[c](self.rng_handle, k)
            pat[lo : lo + k] = m.patience[c](self.rng_patience, k)
            lo += k
        order = np.argsort(t, kind="stable")
        t, ch = t[order], ch[order]
        times = t.tolist()
        j0 = self.rec.new_journeys(times, ch)
        self.rec.add_offered(g, counts)
        return (
            times,
            ch.tolist(),
            (ch + g * m.C).tolist(),
            j0,
            work[order].tolist(),
            pat[order].tolist(),
        )
