"""Which initiatives touch which channels, and the groups of coupled channels."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._common import _initiative, _lead_ramp

__all__ = ["traffic_proxy", "workload_proxy"]


def _touched(base: Any, other: Any) -> set[int]:
    """Channels whose parameters differ between two resolved periods."""
    out: set[int] = set()
    for c in range(base.n_channels):
        same = (
            np.allclose(base.arrivals[:, c], other.arrivals[:, c], rtol=1e-12, atol=1e-12)
            and math.isclose(base.aht[c], other.aht[c], rel_tol=1e-12)
            and (base.patience[c] == other.patience[c])
            and math.isclose(base.resolution[c], other.resolution[c], rel_tol=1e-12)
            and math.isclose(base.containment[c], other.containment[c], rel_tol=1e-12)
            and np.allclose(base.handoff[c], other.handoff[c], rtol=1e-12, atol=1e-14)
            and np.allclose(base.repeat_to[c], other.repeat_to[c], rtol=1e-12, atol=1e-14)
        )
        if not same:
            out.add(c)
    return out


def workload_proxy(resolved: Any) -> np.ndarray:
    """Daily workload per channel from the traffic equations, shape (C,).

    See :func:`traffic_proxy`, which also returns the daily volumes.
    """
    return traffic_proxy(resolved)[1]


def traffic_proxy(resolved: Any) -> tuple[np.ndarray, np.ndarray]:
    """Daily volumes and workloads per channel from the traffic equations, shapes (C,).

    Daily volumes ``v`` solve ``v = e + P^T v`` with ``e`` the external
    arrivals and ``P[i, j]`` the probability that a contact of channel i comes
    next to channel j (hand-off, or repeat after an unresolved service; for
    self-service channels hand-offs of the contacts not contained). Workload =
    ``v x aht / concurrency`` (Erlang-seconds per day) for staffed channels and
    ``v`` for self-service. Retrials are left out (a factor close to 1).
    """
    e = np.asarray(resolved.arrivals, dtype=float).sum(axis=0)
    H = np.asarray(resolved.handoff, dtype=float)
    R = np.asarray(resolved.repeat_to, dtype=float)
    staffed = np.asarray(resolved.staffed())
    P = np.empty_like(H)
    for i in range(len(e)):
        if staffed[i]:
            rest = max(0.0, 1.0 - H[i].sum())
            P[i] = H[i] + rest * (1.0 - resolved.resolution[i]) * R[i]
        else:
            P[i] = (1.0 - resolved.containment[i]) * H[i]
    v = np.linalg.solve(np.eye(len(e)) - P.T, e)
    aht = np.asarray(resolved.aht, dtype=float)
    conc = np.maximum(np.asarray(resolved.concurrency, dtype=float), 1.0)
    return v, np.where(staffed, v * aht / conc, v)


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


@dataclass
class _Structure:
    names: list[str]
    T: int
    base: Any
    touched: dict[str, set[int]]
    log_delta: dict[str, np.ndarray]  # initiative -> (C,) log workload change at full effect
    log_volume: dict[str, np.ndarray]  # initiative -> (C,) log daily-volume change at full effect
    groups: list[list[int]]  # channel indices
    group_pools: list[list[int]]
    group_inits: list[list[str]]
    resolves: int = 0
    calibrated: bool = False
    #: What the model's builds share across cap-repair rounds: the log-space
    #: staffing samples and growth offsets (they do not depend on the caps).
    memo: dict[str, Any] = field(default_factory=dict)


def _structure(scenario: Any, names: list[str], T: int) -> _Structure:
    base = scenario.resolve(0, {})
    C = base.n_channels
    touched: dict[str, set[int]] = {}
    log_delta: dict[str, np.ndarray] = {}
    log_volume: dict[str, np.ndarray] = {}
    base_cache: dict[int, Any] = {0: base}
    n_resolves = 1
    for k in names:
        ini = _initiative(scenario, k)
        lead, ramp = _lead_ramp(ini)
        if lead > T - 1:
            touched[k] = set()  # never in force within the horizon
            log_delta[k] = np.zeros(C)
            log_volume[k] = np.zeros(C)
            continue
        t_ref = min(T - 1, lead + ramp - 1)
        if t_ref not in base_cache:
            base_cache[t_ref] = scenario.resolve(t_ref, {})
            n_resolves += 1
        b = base_cache[t_ref]
        r = scenario.resolve(t_ref, {k: 0})
        n_resolves += 1
        touched[k] = _touched(b, r)
        (v0, w0), (v1, w1) = traffic_proxy(b), traffic_proxy(r)
        f = ini.fraction(0, t_ref)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where((w0 > 0) & (w1 > 0), np.log(w1 / w0), 0.0)
            dv = np.where((v0 > 0) & (v1 > 0), np.log(v1 / v0), 0.0)
        # Log-space effects scale with the fraction in force; measured at f, stated at f = 1.
        log_delta[k] = d / f
        log_volume[k] = dv / f
    uf = _UnionFind(C)
    H, R = np.asarray(base.handoff), np.asarray(base.repeat_to)
    for i in range(C):
        for j in range(C):
            if H[i, j] > 0 or R[i, j] > 0:
                uf.union(i, j)
    for skills in base.pool_skills:
        for c in skills[1:]:
            uf.union(skills[0], c)
    for k in names:
        ch = sorted(touched[k])
        for c in ch[1:]:
            uf.union(ch[0], c)
    roots: dict[int, list[int]] = {}
    for c in range(C):
        roots.setdefault(uf.find(c), []).append(c)
    groups = list(roots.values())
    group_pools = [
        [p for p, sk in enumerate(base.pool_skills) if sk and uf.find(sk[0]) == uf.find(g[0])]
        for g in groups
    ]
    group_inits = [[k for k in names if touched[k] & set(g)] for g in groups]
    return _Structure(
        names, T, base, touched, log_delta, log_volume, groups, group_pools, group_inits, n_resolves
    )
