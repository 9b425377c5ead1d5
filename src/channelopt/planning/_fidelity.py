"""``evaluate(..., fidelity="simulation")``: each period's KPIs measured by the simulation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..scenario.kinds import kind_spec

__all__ = ["merge_simulated", "simulated_periods"]

_Z95 = 1.959963984540054


def simulated_periods(
    scenario: Any,
    plan: Any,
    periods: pd.DataFrame,
    *,
    replications: int,
    seed: int,
    staffing_method: str = "erlang",
    progress: Any = None,
    finished: list[dict[str, Any]] | None = None,
) -> pd.DataFrame:
    """Add simulated KPIs with 95 % intervals and miss probabilities to ``periods``.

    For each period the plan's staffing (``staff(scenario, t, plan,
    method=staffing_method)``) is simulated with ``replications`` replications,
    the scenario's forecast error on (``forecast_error=True``: each
    replication draws its day's volume), seeds ``seed + t``. New columns per
    period x channel: ``sim_service_level``, ``sim_abandonment`` (day-level,
    mean over replications) with ``_low``/``_high`` (95 % normal interval),
    and ``miss_probability``: the share of replications (simulated days under
    forecast error and randomness) in which the channel misses one of its
    day-level targets (service level, abandonment; deferred: within
    deadline).

    ``progress(done, total, message)`` is called after each period;
    ``finished``, when given, receives each period's rows as it completes
    (so a caller interrupted with Ctrl-C keeps the periods done).
    """
    from ..simulation import simulate
    from ..staffing import staff

    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 2:
        raise ValueError(
            f"The 'replications' argument of evaluate must be an integer >= 2; got {replications!r}"
        )
    rows = []
    T = int(scenario.n_periods)
    for t in range(T):
        resolved = scenario.resolve(t, plan)
        st = staff(scenario, t, plan, method=staffing_method)
        sim = simulate(
            scenario,
            st,
            replications=replications,
            seed=int(seed) + t,
            period=t,
            plan=plan,
            forecast_error=True,
        )
        df = sim.intervals
        day = df.groupby(["replication", "channel"], sort=False)[
            ["offered", "answered_within_target", "abandoned"]
        ].sum()
        for c, name in enumerate(resolved.channels):
            try:
                g = day.xs(name, level="channel")
            except KeyError:
                continue
            off = g["offered"].to_numpy(float)
            good = off > 0
            if not good.any():
                continue
            sl = g["answered_within_target"].to_numpy(float)[good] / off[good]
            ab = g["abandoned"].to_numpy(float)[good] / off[good]
            kind = kind_spec(resolved.kinds[c])
            if not kind.staffed:
                continue
            row: dict[str, Any] = {"period": t, "channel": name}
            for key, x in (("sim_service_level", sl), ("sim_abandonment", ab)):
                mean = float(x.mean())
                se = float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else 0.0
                row[key] = mean
                row[key + "_low"] = mean - _Z95 * se
                row[key + "_high"] = mean + _Z95 * se
            if not kind.has_deadline and math.isnan(float(resolved.target_within[c])):
                for key in ("sim_service_level", "sim_service_level_low", "sim_service_level_high"):
                    row[key] = math.nan  # no threshold: nothing counts as within target
            miss = np.zeros(len(sl), dtype=bool)
            target_sl = (
                float(resolved.target_within_deadline[c])
                if kind.has_deadline
                else float(resolved.target_service_level[c])
            )
            if not math.isnan(target_sl):
                miss |= sl < target_sl
            cap = float(resolved.target_max_abandonment[c])
            if not math.isnan(cap):
                miss |= ab > cap
            has_target = not math.isnan(target_sl) or not math.isnan(cap)
            row["miss_probability"] = float(miss.mean()) if has_target else math.nan
            rows.append(row)
            if finished is not None:
                finished.append(row)
        if progress is not None:
            from .._display import progress_caller

            progress_caller(progress)(t + 1, T, f"period {t} simulated")
    return merge_simulated(periods, rows)


def merge_simulated(periods: pd.DataFrame, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """``periods`` with the simulated columns of ``rows`` (period x channel) merged in."""
    extra = pd.DataFrame(rows)
    if extra.empty:
        return periods
    return periods.merge(extra, on=["period", "channel"], how="left")
