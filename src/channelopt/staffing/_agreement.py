"""The "model agreement" table: analytic staffing figures against the simulation."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..scenario.resolved import ChannelKind
from ._pools import is_queue

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
        Then one row per pool on duty (``level`` "pool", measure
        ``occupancy``): the busy time of the channels booked to the pool over
        its agent time, against the simulation's pool occupancy (busy and
        wrap-up hours over hours on duty, a chat counting 1 / concurrency),
        same 2-point widening; the sentence names the channels the pool
        answers in the simulation that are booked to other pools.

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
    rows.extend(_pool_rows(st, sim))
    return pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))


def _pool_rows(st: Any, sim: Any) -> list[dict[str, Any]]:
    """One ``occupancy`` row per pool on duty: analytic against simulated.

    Analytic: the busy agents of the channels booked to the pool over the
    pool's agents, summed over the day. For live and concurrent channels the
    carried load (load x answered / offered) over the slots an agent holds (1,
    or the concurrency for chat: how the simulation counts a chat); it equals
    ``occupancy x agents`` for ``erlang`` staffing, and stays right for
    ``pooled``, whose ``occupancy`` is against the pooled model's effective
    agents. Deferred channels: ``occupancy x agents``. The simulation
    measures where the work was really done: a pool whose agents also answer
    channels booked elsewhere (or lose theirs to other pools) differs, and the
    sentence says which channels it serves.
    """
    pool_sim = sim.pool_summary()
    if pool_sim is None or not len(pool_sim):
        return []
    pool_sim = pool_sim.reset_index()
    iv = st.intervals
    carried = iv["load"] * (iv["answered"] / iv["offered"]).where(iv["offered"] > 0, 0.0)
    per_agent = (iv["slots"] / iv["agents"]).where(iv["agents"] > 0, 1.0)
    queued = iv["kind"].map(lambda k: is_queue(ChannelKind(k))).astype(bool)
    work = (carried / per_agent).where(queued, iv["occupancy"].fillna(0.0) * iv["agents"])
    busy = work.fillna(0.0).groupby(iv["pool"]).sum()
    agents = st.pools.groupby("pool", sort=False)["agents"].sum()
    resolved = getattr(st, "resolved", None)
    rows = []
    for pool, total in agents.items():
        if not total > 0:
            continue
        s = pool_sim[(pool_sim["pool"] == pool) & (pool_sim["measure"] == "occupancy")]
        if s.empty:
            continue
        mean, low, high = (float(s.iloc[0][k]) for k in ("mean", "ci_low", "ci_high"))
        a = float(busy.get(pool, 0.0)) / float(total)
        if math.isnan(mean):
            continue
        lo, hi = low - _ABS["occupancy"], high + _ABS["occupancy"]
        agree = lo <= a <= hi
        sentence = ""
        if not agree:
            higher = a > hi
            sentence = (
                f"The staffing layer's occupancy of pool {pool} ({_fmt('occupancy', a)}) is "
                f"{'above' if higher else 'below'} the simulated {_fmt('occupancy', mean)} "
                f"[{_fmt('occupancy', low)}, {_fmt('occupancy', high)}]; the analytic model "
                "books each channel's work to one pool"
            )
            elsewhere: list[str] = []
            if resolved is not None and pool in resolved.pools:
                booked = set(iv.loc[iv["pool"] == pool, "channel"])
                skills = resolved.pool_skills[resolved.pools.index(pool)]
                elsewhere = [resolved.channels[c] for c in skills]
                elsewhere = [c for c in elsewhere if c not in booked]
            if higher:
                sentence += ": in the simulation other pools take part of the work booked to it"
            else:
                sentence += ": in the simulation it works more than booked"
            if elsewhere:
                sentence += f" (it also answers {', '.join(elsewhere)}, booked to other pools)"
            sentence += "."
            note = dict(st.notes).get(f"pool {pool}")
            if note:
                sentence += f" Known approximation: {note}."
        rows.append(
            {
                "level": "pool",
                "name": str(pool),
                "measure": "occupancy",
                "analytic": a,
                "simulated": mean,
                "low": low,
                "high": high,
                "agree": bool(agree),
                "sentence": sentence,
            }
        )
    return rows
