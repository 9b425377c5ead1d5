"""Turn the user's ``staffing=`` and ``seed=`` arguments into plain values."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import Problem, ScenarioError
from ..scenario.resolved import Resolved
from ..scenario.staffing_table import agents_table, whole_agents

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
        out[is_open, p] = whole_agents(agents[p], f"pools.{res.pools[p]}.agents")
    return out


def staffing_array(res: Resolved, staffing: Any) -> np.ndarray:
    """Agents on duty per day of the week, interval and pool: ints >= 0, shape ``(D, I, P)``.

    ``None``: today's roster (``pools.*.agents``) in every open interval
    (``D = 1``); anything else is read by
    :func:`channelopt.scenario.staffing_table.agents_table` (one parser, one
    rounding rule: fractional agents are rounded up).
    """
    if staffing is None:
        return _roster(res)[None]
    try:
        return agents_table(staffing, res.pools, res.n_intervals, period=res.period)
    except ValueError as err:
        detail = str(err).removeprefix("staffing: ")
        raise ValueError(f"The 'staffing' parameter of simulate: {detail}") from None


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
