"""Turn the user's ``staffing=`` and ``seed=`` arguments into plain values."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem, ScenarioError
from ..scenario.resolved import Resolved

__all__ = ["seed_sequence", "staffing_array"]


def _roster(res: Resolved) -> np.ndarray:
    """Today's roster in every interval in which one of the pool's channels is open."""
    agents = np.asarray(res.pool_agents, dtype=float)
    missing = [res.pools[p] for p in range(len(res.pools)) if not np.isfinite(agents[p])]
    if missing:
        raise ScenarioError(
            [
                Problem(
                    f"pools.{name}.agents",
                    "no roster given, so staffing=None has nothing to simulate; pass "
                    "staffing=co.staff(scenario) or an explicit table of agents per interval",
                    None,
                )
                for name in missing
            ]
        )
    out = np.zeros((res.n_intervals, len(res.pools)), dtype=np.int64)
    for p, skills in enumerate(res.pool_skills):
        is_open = np.asarray(res.open_mask, dtype=bool)[:, list(skills)].any(axis=1)
        out[is_open, p] = _as_agents(agents[p], f"pools.{res.pools[p]}.agents")
    return out


def _as_agents(value: float, where: str) -> int:
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(
            f"The 'staffing' parameter of simulate must hold agents >= 0; got {value!r} at {where}"
        )
    # staffing tables may carry fractional requirements (FTE); agents on duty are whole
    return math.ceil(v - 1e-9)


def _from_frame(res: Resolved, frame: pd.DataFrame) -> np.ndarray:
    need = {"pool", "interval", "agents"}
    if not need <= set(frame.columns):
        raise ValueError(
            "The 'staffing' parameter of simulate must be a table with columns pool, interval "
            f"and agents; got columns {list(frame.columns)} instead."
        )
    if "period" in frame.columns:
        frame = frame[frame["period"] == res.period]
    out = np.zeros((res.n_intervals, len(res.pools)), dtype=np.int64)
    seen = np.zeros_like(out, dtype=bool)
    for pool, interval, agents in zip(
        frame["pool"], frame["interval"], frame["agents"], strict=True
    ):
        if pool not in res.pools:
            raise ValueError(
                f"The 'staffing' table names pool {pool!r}; expected one of {', '.join(res.pools)}"
            )
        i = int(interval)
        if not 0 <= i < res.n_intervals:
            raise ValueError(
                f"The 'staffing' table has interval {interval!r} for pool {pool!r}; expected an "
                f"interval index in 0..{res.n_intervals - 1}"
            )
        p = res.pools.index(pool)
        out[i, p] = _as_agents(agents, f"pool {pool!r}, interval {i}")
        seen[i, p] = True
    missing = [res.pools[p] for p in range(len(res.pools)) if not seen[:, p].any()]
    if missing:
        raise ValueError(
            f"The 'staffing' table has no rows for pool(s) {', '.join(missing)}; "
            "give agents for every pool (0 for a pool that is closed)"
        )
    return out


def staffing_array(res: Resolved, staffing: Any) -> np.ndarray:
    """Agents on duty per interval of the day and pool, shape ``(I, P)``, ints >= 0.

    Parameters
    ----------
    res : Resolved
        The resolved scenario period.
    staffing : None, object with ``.pools``, DataFrame, mapping or ndarray
        ``None``: today's roster (``pools.*.agents``) in every open interval. An
        object with a ``.pools`` DataFrame (such as a ``StaffingResult``) or a
        DataFrame with columns ``pool``, ``interval`` (index of the interval in
        the day) and ``agents``. A mapping pool -> agents (int, all day) or
        pool -> list of agents per interval. An array of shape ``(I, P)`` or ``(P,)``.
    """
    n_i, n_p = res.n_intervals, len(res.pools)
    if staffing is None:
        return _roster(res)
    pools_attr = getattr(staffing, "pools", None)
    if isinstance(pools_attr, pd.DataFrame):
        return _from_frame(res, pools_attr)
    if isinstance(staffing, pd.DataFrame):
        return _from_frame(res, staffing)
    if isinstance(staffing, Mapping):
        out = np.zeros((n_i, n_p), dtype=np.int64)
        unknown = [k for k in staffing if k not in res.pools]
        if unknown:
            raise ValueError(
                f"The 'staffing' mapping names unknown pool(s) {', '.join(map(repr, unknown))}; "
                f"expected pools {', '.join(res.pools)}"
            )
        for p, pool in enumerate(res.pools):
            if pool not in staffing:
                raise ValueError(
                    f"The 'staffing' mapping has no entry for pool {pool!r}; give agents for "
                    "every pool"
                )
            value = staffing[pool]
            if np.ndim(value) == 0:
                out[:, p] = _as_agents(value, f"pool {pool!r}")
            else:
                seq = list(value)
                if len(seq) != n_i:
                    raise ValueError(
                        f"The 'staffing' entry for pool {pool!r} has {len(seq)} values; "
                        f"expected one per interval ({n_i})"
                    )
                out[:, p] = [
                    _as_agents(v, f"pool {pool!r}, interval {i}") for i, v in enumerate(seq)
                ]
        return out
    arr = np.asarray(staffing, dtype=float)
    if arr.shape == (n_p,):
        arr = np.broadcast_to(arr, (n_i, n_p))
    if arr.shape != (n_i, n_p):
        raise ValueError(
            f"The 'staffing' array must have shape (intervals, pools) = ({n_i}, {n_p}) or "
            f"({n_p},); got shape {arr.shape} instead."
        )
    out = np.zeros((n_i, n_p), dtype=np.int64)
    for (i, p), v in np.ndenumerate(arr):
        out[i, p] = _as_agents(v, f"interval {i}, pool {res.pools[p]!r}")
    return out


def seed_sequence(seed: Any) -> np.random.SeedSequence:
    """The root :class:`~numpy.random.SeedSequence` of ``seed``.

    ``seed`` is an int >= 0, a SeedSequence (copied, not advanced), a Generator
    (one draw from it seeds the run, so the caller's generator advances) or None
    (fresh entropy).
    """
    if isinstance(seed, np.random.SeedSequence):
        # a copy: spawning replications must not advance the caller's sequence
        return np.random.SeedSequence(
            seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size
        )
    if isinstance(seed, np.random.Generator):
        # randomness flows from the caller's generator: each call draws a new root
        return np.random.SeedSequence(int(seed.integers(0, 2**63)))
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(
            f"The 'seed' parameter of simulate must be an int >= 0, a numpy Generator or None; "
            f"got {seed!r} instead."
        )
    return np.random.SeedSequence(int(seed))
