"""The "model agreement" table: analytic staffing figures against the simulation."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..scenario.resolved import ChannelKind

if TYPE_CHECKING:
    from ..scenario import Scenario

__all__ = ["AGREEMENT_COLUMNS", "model_agreement"]

AGREEMENT_COLUMNS = (
    "level",
    "name",
    "measure",
    "analytic",
    "simulated",
    "low",
    "high",
    "agree",
    "sentence",
)

# How far outside the simulated 95 % interval the analytic figure may lie and still
# agree: absolute for fractions, relative for waits and abandonment.
_ABS = {"service_level": 0.02, "within_deadline": 0.02, "occupancy": 0.02}
_REL = {"abandonment": 0.2, "average_wait": 0.2}
_WORDS = {
    "service_level": "service level",
    "within_deadline": "share within the deadline",
    "abandonment": "abandonment",
    "average_wait": "average wait",
    "occupancy": "occupancy",
}


def _fmt(measure: str, x: float) -> str:
    if measure == "average_wait":
        return f"{x:,.0f} s" if x >= 100 else f"{x:.1f} s"
    return f"{100 * x:.1f} %"


def model_agreement(
    scenario: Scenario,
    staffing: Any = None,
    *,
    period: int = 0,
    plan: Any = None,
    method: str = "erlang",
    replications: int = 10,
    seed: int = 0,
    simulation: Any = None,
) -> pd.DataFrame:
    """Analytic staffing figures against the simulation of the same staffing.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario.
    staffing : StaffingResult, optional
        The staffing to check; default ``staff(scenario, period, plan, method=method)``.
    period, plan, method
        As in :func:`~channelopt.staffing.staff`.
    replications, seed
        Of the simulation (``simulate(scenario, staffing, ...)``).
    simulation : SimulationResult, optional
        A simulation of exactly this staffing, period and plan already run
        (e.g. by ``channelopt run``); reused instead of simulating again, and
        ``replications`` and ``seed`` are then ignored.

    Returns
    -------
    pandas.DataFrame
        One row per channel and measure (columns ``AGREEMENT_COLUMNS``):
        ``level`` ("channel"), ``name``, ``measure`` (``service_level``,
        ``abandonment``, ``average_wait`` (s), ``occupancy``;
        ``within_deadline`` for deferred channels), ``analytic`` (day-level
        figure of the staffing layer), ``simulated`` (mean over replications)
        with its 95 % interval ``low``/``high``, ``agree`` (the analytic
        figure lies in the interval widened by 2 points for fractions, 20 %
        for abandonment and waits) and ``sentence`` (why, where they
        disagree: the direction, and the staffing's own note on the channel).
        Pools appear through their channels (the simulation reports a
        channel's occupancy as that of the first pool serving it).

    Examples
    --------
    >>> import channelopt as co
    >>> from channelopt.staffing import model_agreement
    >>> sc = co.load_scenario({
    ...     "name": "demo", "interval": "30min",
    ...     "channels": {"voice": {"kind": "live", "arrivals": [100] * 4 + [0] * 44,
    ...                            "aht": "3min",
    ...                            "target": {"service_level": 0.8, "within": "20s"}}}})
    >>> table = model_agreement(sc, replications=4, seed=1)
    >>> list(table["measure"])
    ['service_level', 'abandonment', 'average_wait', 'occupancy']
    """
    from ..simulation import simulate
    from ._core import staff

    st = staffing if staffing is not None else staff(scenario, period, plan, method=method)
    sim = simulation
    if sim is None:
        sim = simulate(scenario, st, replications=replications, seed=seed, period=period, plan=plan)
    table = sim.summary().reset_index()  # indexed by channel
    summary = st.summary()  # indexed by channel
    rows = []
    for name, row in summary.iterrows():
        kind = str(row["kind"])
        if kind == str(ChannelKind.SELF_SERVICE):
            continue
        sim_rows = table[table["channel"] == name].set_index("measure")
        if kind == str(ChannelKind.DEFERRED):
            pairs = [("within_deadline", row["within_deadline"], "service_level")]
        else:
            pairs = [
                ("service_level", row["service_level"], "service_level"),
                ("abandonment", row["abandonment"], "abandonment"),
                ("average_wait", row["average_wait"], "average_wait"),
                ("occupancy", row["occupancy"], "occupancy"),
            ]
        for measure, analytic, sim_measure in pairs:
            if sim_measure not in sim_rows.index:
                continue
            s = sim_rows.loc[sim_measure]
            mean, low, high = float(s["mean"]), float(s["ci_low"]), float(s["ci_high"])
            a = float(analytic) if analytic is not None else math.nan
            if math.isnan(a) or math.isnan(mean):
                continue
            if measure in _ABS:
                lo, hi = low - _ABS[measure], high + _ABS[measure]
            else:
                lo, hi = low * (1 - _REL[measure]), high * (1 + _REL[measure])
                lo, hi = min(lo, low - 1e-3), max(hi, high + 1e-3)
            agree = lo <= a <= hi
            sentence = ""
            if not agree:
                higher = a > hi
                good_if_high = measure in ("service_level", "within_deadline")
                side = "optimistic" if higher == good_if_high else "pessimistic"
                if measure == "occupancy":
                    side = "off"
                sentence = (
                    f"The staffing layer's {_WORDS[measure]} for {name} "
                    f"({_fmt(measure, a)}) is {'above' if higher else 'below'} the simulated "
                    f"{_fmt(measure, mean)} [{_fmt(measure, low)}, {_fmt(measure, high)}]: "
                    f"the analytic model is {side} here."
                )
                note = dict(st.notes).get(str(name))
                if note:
                    sentence += f" Known approximation: {note}."
            rows.append(
                {
                    "level": "channel",
                    "name": str(name),
                    "measure": measure,
                    "analytic": a,
                    "simulated": mean,
                    "low": low,
                    "high": high,
                    "agree": bool(agree),
                    "sentence": sentence,
                }
            )
    return pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))
