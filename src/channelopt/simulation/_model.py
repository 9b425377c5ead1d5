"""The engine's view of a resolved scenario: plain Python values per channel and pool.

:class:`Model` reads a :class:`~channelopt.scenario.resolved.Resolved` once and
holds what the event handlers need as lists of floats and ints (list indexing
is several times faster than NumPy scalar access in the per-contact code).
The kind-specific meaning of the fields is applied here, once: deferred and
self-service channels never abandon, only concurrent channels carry several
contacts, a service-level threshold applies to live and concurrent channels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..scenario.resolved import ChannelKind, Resolved
from ._random import Draw, sampler

__all__ = [
    "CONCURRENT",
    "DEFERRED",
    "KIND_CODE",
    "LIVE",
    "SELF_SERVICE",
    "Model",
    "cumulative_rows",
]

LIVE, CONCURRENT, DEFERRED, SELF_SERVICE = 0, 1, 2, 3
KIND_CODE = {
    ChannelKind.LIVE: LIVE,
    ChannelKind.CONCURRENT: CONCURRENT,
    ChannelKind.DEFERRED: DEFERRED,
    ChannelKind.SELF_SERVICE: SELF_SERVICE,
}

# codes of the scenario's choices (the position of the word in its StrEnum)
ON_TIMEOUT_LOST, ON_TIMEOUT_RETRY, ON_TIMEOUT_TO = 0, 1, 2
SKILL_PRIORITY, SKILL_LONGEST_WAITING = 0, 1
AGENT_LONGEST_IDLE, AGENT_RANDOM = 0, 1


def cumulative_rows(matrix: np.ndarray) -> list[list[tuple[float, int]]]:
    """Per row: (cumulative probability, target) for the non-zero entries."""
    rows = []
    for row in np.asarray(matrix, dtype=float):
        cum, out = 0.0, []
        for j, p in enumerate(row):
            if p > 0:
                cum += float(p)
                out.append((cum, j))
        rows.append(out)
    return rows


def _get(res: Resolved, name: str, default: Any) -> Any:
    value = getattr(res, name, None)
    return default if value is None else value


def _default_handle(res: Resolved, c: int) -> Any:
    """Handle time as ``aht``/``aht_cv`` describe it (for Resolved objects without specs)."""
    m, v = float(res.aht[c]), float(res.aht_cv[c])
    if v == 1.0:
        return SimpleNamespace(family="exponential", mean=m, params=(), samples=None)
    if v == 0.0 or m == 0.0:
        return SimpleNamespace(family="constant", mean=m, params=(), samples=None)
    s = math.sqrt(math.log1p(v * v))
    return SimpleNamespace(
        family="lognormal", mean=m, params=(math.log(m) - 0.5 * s * s, s), samples=None
    )


@dataclass
class Model:
    """Per-channel and per-pool constants of one simulated period (see module docs)."""

    C: int
    I: int  # noqa: E741 - the dimension names of Resolved
    P: int
    L: float
    kind: list[int]
    handle: list[Draw]
    patience: list[Draw]
    patient: list[bool]  # infinitely patient: no patience draw matters
    within: list[float]
    deadline: list[float]
    resolution: list[float]
    containment: list[float]
    conc: list[int]
    stretch: list[float]
    wrap_up: list[float]
    balking: list[float]
    max_wait: list[float]
    on_timeout: list[int]
    timeout_target: list[int]
    lines: list[float]
    queue_capacity: list[float]
    clear_at_close: list[bool]
    pool_skills: list[list[int]]
    routing: list[list[tuple[int, float]]]
    after: list[list[float]]  # after[p][c]: wait before pool p may take channel c (inf: never)
    skill_selection: list[int]
    agent_selection: list[int]
    head_start: list[float]  # s a contact counts as older under longest_waiting (0: none)
    handle_factor: list[list[float]]
    handoff_rows: list[list[tuple[float, int]]]
    repeat_rows: list[list[tuple[float, int]]]
    repeat_delay: float
    repeat_constant: bool
    retrial_probability: float
    retrial_delay: float
    retrial_constant: bool
    busyness_cv: float
    forecast_error: np.ndarray
    closed_hours: str
    open_mask: np.ndarray  # (W, C): the cycle of open intervals
    arrivals: np.ndarray  # (W, C): external arrivals per interval of the cycle
    W: int = 0  # intervals in the arrival cycle: I (every day alike) or 7 I (a week)

    @classmethod
    def from_resolved(cls, res: Resolved, first_day: int = 0) -> Model:
        """Read the plain values of ``res`` (defaults for keys a hand-built object omits).

        With ``res.week_arrivals`` (a planning week, Monday first) the arrival
        cycle is the week, turned so that run day ``first_day`` (the first
        reported day, after the warm-up) is Monday, as the staffing table's
        first day is.
        """
        C, I, P = res.n_channels, res.n_intervals, len(res.pools)  # noqa: E741
        week = _get(res, "week_arrivals", None)
        if week is not None:
            turn = first_day % week.shape[0]
            arrivals = np.roll(np.asarray(week, float), turn, axis=0).reshape(-1, C)
            mask = np.roll(np.asarray(res.week_open_mask, bool), turn, axis=0).reshape(-1, C)
        else:
            arrivals = np.asarray(res.arrivals, dtype=float)
            mask = np.asarray(res.open_mask, dtype=bool)
        kind = [int(x) for x in res.kind_codes()]  # the registry's simulation codes
        queued = [k in (LIVE, CONCURRENT) for k in kind]
        specs = _get(res, "handle_time", None)
        handle = [sampler(specs[c] if specs else _default_handle(res, c)) for c in range(C)]
        pat_specs = _get(res, "patience_distribution", None)
        patience, patient = [], []
        for c in range(C):
            mean = float(res.patience[c]) if queued[c] else math.inf
            spec = (
                pat_specs[c]
                if pat_specs and queued[c]
                else SimpleNamespace(family="exponential", mean=mean, params=(), samples=None)
            )
            patience.append(sampler(spec))
            patient.append(not math.isfinite(mean))

        def vec(name: str, default: float) -> list[float]:
            return [float(x) for x in _get(res, name, np.full(C, default))]

        max_wait = [m if queued[c] else math.inf for c, m in enumerate(vec("max_wait", math.inf))]
        routing_raw = _get(res, "routing", None)
        if routing_raw is None:
            routing_raw = [
                [(p, 0.0) for p in range(P) if c in res.pool_skills[p]] for c in range(C)
            ]
        routing = [[(int(p), float(a)) for p, a in row] for row in routing_raw]
        after = [[math.inf] * C for _ in range(P)]
        for c, row in enumerate(routing):
            for p, a in row:
                after[p][c] = a
        factor = np.asarray(_get(res, "pool_handle_time_factor", np.ones((P, C))), dtype=float)
        return cls(
            C=C,
            I=I,
            P=P,
            L=float(res.interval_s),
            kind=kind,
            handle=handle,
            patience=patience,
            patient=patient,
            within=[
                float(res.target_within[c])
                if queued[c] and np.isfinite(res.target_within[c])
                else -math.inf
                for c in range(C)
            ],
            deadline=[float(x) for x in res.deadline],
            resolution=[float(x) for x in res.resolution],
            containment=[float(x) for x in res.containment],
            conc=[
                max(1, int(x)) if kind[c] == CONCURRENT else 1
                for c, x in enumerate(res.concurrency)
            ],
            stretch=[
                float(x) if kind[c] == CONCURRENT else 0.0
                for c, x in enumerate(res.concurrency_stretch)
            ],
            wrap_up=[
                w if kind[c] != SELF_SERVICE else 0.0 for c, w in enumerate(vec("wrap_up", 0))
            ],
            balking=[b if queued[c] else 0.0 for c, b in enumerate(vec("balking", 0.0))],
            max_wait=max_wait,
            on_timeout=[int(x) for x in _get(res, "on_timeout", np.zeros(C, dtype=int))],
            timeout_target=[int(x) for x in _get(res, "on_timeout_target", np.full(C, -1))],
            lines=[x if queued[c] else math.inf for c, x in enumerate(vec("lines", math.inf))],
            queue_capacity=[
                x if queued[c] else math.inf for c, x in enumerate(vec("queue_capacity", math.inf))
            ],
            clear_at_close=[
                bool(x) and queued[c]
                for c, x in enumerate(_get(res, "at_close", np.zeros(C, dtype=int)))
            ],
            pool_skills=[[int(c) for c in skills] for skills in res.pool_skills],
            routing=routing,
            after=after,
            skill_selection=[
                int(x) for x in _get(res, "pool_skill_selection", np.zeros(P, dtype=int))
            ],
            agent_selection=[
                int(x) for x in _get(res, "pool_agent_selection", np.zeros(P, dtype=int))
            ],
            head_start=[h if queued[c] else 0.0 for c, h in enumerate(vec("head_start", 0.0))],
            handle_factor=factor.tolist(),
            handoff_rows=cumulative_rows(res.handoff),
            repeat_rows=cumulative_rows(res.repeat_to),
            repeat_delay=float(res.repeat_delay),
            repeat_constant=str(_get(res, "repeat_delay_distribution", "exponential"))
            == "constant",
            retrial_probability=float(res.retrial_probability),
            retrial_delay=float(res.retrial_delay),
            retrial_constant=str(_get(res, "retrial_delay_distribution", "exponential"))
            == "constant",
            busyness_cv=float(_get(res, "busyness_cv", 0.0)),
            forecast_error=np.asarray(res.forecast_error, dtype=float),
            closed_hours=str(_get(res, "closed_hours", "spread")),
            open_mask=mask,
            arrivals=arrivals,
            W=int(arrivals.shape[0]),
        )
