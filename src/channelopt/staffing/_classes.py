"""Priority classes (``head_start``) in the analytic staffing: one shared FIFO queue.

Channels that a pool serves under ``skill_selection: longest_waiting`` with a
``head_start`` on one of them are classes of one queue: the agents of the
pool take whoever counts as oldest, so the classes share the agents. Sizing
each class as its own Erlang queue would lose that pooling (and over-staff);
the kernels cannot give per-class waits either (a finite head start has no
simple closed form). **Decision** (docs/staffing.md, "Priority classes"):
the classes of a group are staffed as **one FIFO queue** with the summed
arrivals, the arrival-weighted holding time and the arrival-weighted
abandonment rate (1 / patience); the group gets the most agents any class's
target needs on that queue, split over the classes in proportion to their
load. Every class reports the pooled queue's service level, wait and
abandonment, marked ``exact=False``: the head start moves waiting time from
the priority class to the others, and with equal handle times leaves the
arrival-weighted mean wait unchanged (the conservation law the simulation
tests check), so the pooled figures are the classes' average.

A group is only merged when its channels are all ``live``, are served by the
same pools and route at once (no ``after``); otherwise each channel keeps its
own queue and a note says so.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..scenario.choices import SkillSelection
from ..scenario.resolved import ChannelKind, Resolved
from ._live import ChannelSpec, LiveKpis

__all__ = ["class_groups", "group_notes", "merged_spec", "split_kpis"]

_NOTE = (
    "priority classes (head start) staffed as one FIFO queue with {others}: the figures "
    "are the shared queue's; per-class waits differ (the priority class waits less, the "
    "others more; the simulation measures them)"
)


def _candidate_groups(r: Resolved) -> list[list[int]]:
    """Connected channel sets of longest-waiting pools with a head start on a skill."""
    head = np.asarray(r.head_start, dtype=float)
    parent = list(range(r.n_channels))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    touched: set[int] = set()
    for p, skills in enumerate(r.pool_skills):
        if int(r.pool_skill_selection[p]) != SkillSelection.LONGEST_WAITING.code:
            continue
        queue = [c for c in skills if r.kinds[c] in (ChannelKind.LIVE, ChannelKind.CONCURRENT)]
        if len(queue) < 2 or not any(head[c] > 0 for c in queue):
            continue
        touched.update(queue)
        for c in queue[1:]:
            parent[find(c)] = find(queue[0])
    groups: dict[int, list[int]] = {}
    for c in sorted(touched):
        groups.setdefault(find(c), []).append(c)
    return list(groups.values())


def _mergeable(r: Resolved, group: list[int]) -> bool:
    pools = [frozenset(p for p, s in enumerate(r.pool_skills) if c in s) for c in group]
    return (
        all(r.kinds[c] is ChannelKind.LIVE for c in group)
        and len(set(pools)) == 1
        and all(after <= 0 for c in group for _p, after in r.routing[c])
    )


def class_groups(r: Resolved) -> list[list[int]]:
    """Channel index groups the kernels staff as one FIFO queue (see the module docs)."""
    head = getattr(r, "head_start", None)
    if head is None or not np.any(np.asarray(head) > 0):
        return []
    return [g for g in _candidate_groups(r) if _mergeable(r, g)]


def group_notes(r: Resolved) -> dict[int, str]:
    """Channel -> note for every channel of a head-start group (merged or not)."""
    head = getattr(r, "head_start", None)
    if head is None or not np.any(np.asarray(head) > 0):
        return {}
    out: dict[int, str] = {}
    merged = {tuple(g) for g in class_groups(r)}
    for g in _candidate_groups(r):
        for c in g:
            others = ", ".join(repr(r.channels[o]) for o in g if o != c)
            if tuple(g) in merged:
                out[c] = _NOTE.format(others=others) + _finite_note(r, g)
            else:
                out[c] = (
                    f"head start shared with {others} not modelled by the kernels (the "
                    "classes are not all live channels served at once by the same pools): "
                    "each is staffed as its own queue"
                )
    return out


def _finite_note(r: Resolved, group: list[int]) -> str:
    """What the shared queue leaves out of a group with ``lines`` or ``queue_capacity``.

    The shared FIFO queue is an M/M/n(+M) queue: per-class trunk lines or queue
    limits do not make one birth-death chain of the summed classes, so the
    finite M/M/n/N(+M) model the single channels get is not applied and nothing
    is counted as blocked (``blocked`` 0). Blocking lowers the service level over
    all attempts: the group's figures are optimistic where the lines fill up.
    """
    parts = []
    for c in group:
        lines, queue = float(r.lines[c]), float(r.queue_capacity[c])
        if math.isfinite(lines) or math.isfinite(queue):
            what = []
            if math.isfinite(lines):
                what.append(f"lines {lines:g}")
            if math.isfinite(queue):
                what.append(f"queue_capacity {queue:g}")
            parts.append(f"{r.channels[c]!r} ({', '.join(what)})")
    if not parts:
        return ""
    return (
        "; the finite lines / queue capacity of "
        + ", ".join(parts)
        + " are not modelled in the shared queue: no contact is counted as blocked, so the "
        "service level is optimistic where the lines fill up (the simulation blocks them)"
    )


def merged_spec(
    specs: dict[int, ChannelSpec], group: list[int], base: np.ndarray
) -> list[ChannelSpec]:
    """One spec per class with the shared queue's holding time and patience.

    ``base``: shape (I, C), the offered contacts the weights come from (summed
    over the day). Each returned spec keeps its class's targets.
    """
    w = np.array([max(float(base[:, c].sum()), 0.0) for c in group])
    if w.sum() <= 0:
        w = np.ones(len(group))
    w = w / w.sum()
    aht = float(sum(wi * specs[c].aht for wi, c in zip(w, group, strict=True)))
    rate = float(
        sum(
            wi * (1.0 / specs[c].patience if math.isfinite(specs[c].patience) else 0.0)
            for wi, c in zip(w, group, strict=True)
        )
    )
    patience = 1.0 / rate if rate > 0 else math.inf
    return [replace(specs[c], aht=aht, patience=patience) for c in group]


def split_kpis(
    kp: LiveKpis, meets: list[np.ndarray], x: np.ndarray, group: list[int]
) -> list[LiveKpis]:
    """Per-class KPIs of the shared queue: agents split by load, rates shared.

    ``x``: shape (I, C), the offered contacts per class; agents are whole and
    sum to the group's in every interval (largest remainders).
    """
    xs = np.maximum(x[:, group], 0.0)
    tot = xs.sum(axis=1, keepdims=True)
    share = np.where(tot > 0, xs / np.where(tot > 0, tot, 1.0), 1.0 / len(group))
    exact = share * kp.agents[:, None]
    whole = np.floor(exact).astype(np.int64)
    short = kp.agents.astype(np.int64) - whole.sum(axis=1)
    order = np.argsort(-(exact - whole), axis=1, kind="stable")
    for i in np.flatnonzero(short > 0):
        whole[i, order[i, : short[i]]] += 1
    out = []
    for k, _c in enumerate(group):
        out.append(
            LiveKpis(
                agents=whole[:, k],
                offered=kp.offered * share[:, k],
                load=kp.load * share[:, k],
                aht=kp.aht,
                service_level=kp.service_level,
                average_wait=kp.average_wait,
                abandonment=kp.abandonment,
                occupancy=kp.occupancy,
                meets=meets[k],
            )
        )
    return out
