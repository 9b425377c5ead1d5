"""Agent groups: who is on duty, what each agent carries, and staffing changes.

Agents are integers; each pool has a fixed set of them (as many as its
largest staffing in the day). An agent is *on duty* or off; an on-duty agent
may be *leaving* (the staffing dropped while it was busy: it finishes its
contacts and wrap-up, then goes). What the staffing counts is on duty and not
leaving (``available``). Idle agents are held by the pool's agent-selection
policy (:mod:`._routing`); agents carrying some but not all chats of a
concurrent channel sit in ``partial[p][c][k]`` (k chats), so that a new chat
finds them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._model import AGENT_RANDOM, Model
from ._recorder import Recorder
from ._routing import LongestIdle, RandomAgent

__all__ = ["Agents"]


class Agents:
    """The agents of every pool (see the module docs).

    Parameters
    ----------
    model : Model
    staffing : ndarray of int, shape (D, I, P)
        Agents on duty per day of the week, interval of the day and pool;
        day ``d`` of the run uses ``staffing[(d - first_day) % D]``.
    recorder : Recorder
        Receives the time on duty per pool.
    u : callable
        Uniform draws (random agent selection).
    """

    def __init__(
        self,
        model: Model,
        staffing: np.ndarray,
        recorder: Recorder,
        u: Callable[[], float],
        first_day: int = 0,
    ) -> None:
        P, C = model.P, model.C
        self.P = P
        self.conc = model.conc
        table = np.asarray(staffing, dtype=np.int64)
        if table.ndim == 2:
            table = table[None]
        self.staffing = table.tolist()
        self.first_day = first_day
        cap = [int(table[:, :, p].max(initial=0)) for p in range(P)]
        self.pool: list[int] = [p for p in range(P) for _ in range(cap[p])]
        n = len(self.pool)
        self.members = [[a for a in range(n) if self.pool[a] == p] for p in range(P)]
        self.load = [0] * n  # contact slots in use (in service or in wrap-up)
        self.channel = [-1] * n  # channel of the contacts it carries
        self.on_duty = [False] * n
        self.leaving = [False] * n
        self.chats: list[list[Any]] = [[] for _ in range(n)]  # concurrent: chats in service
        self.selection: list[LongestIdle | RandomAgent] = [
            RandomAgent(u) if model.agent_selection[p] == AGENT_RANDOM else LongestIdle()
            for p in range(P)
        ]
        self.partial: list[list[list[set[int]]]] = [
            [[set() for _ in range(model.conc[c])] for c in range(C)] for _ in range(P)
        ]
        self.off_duty = [list(reversed(self.members[p])) for p in range(P)]
        self.available = [0] * P
        self.duty_count = [0] * P
        self.duty_last = [0.0] * P
        self.leaving_set: list[set[int]] = [set() for _ in range(P)]
        self.recorder = recorder

    def flush_duty(self, p: int, now: float) -> None:
        """Record pool ``p``'s time on duty up to ``now``."""
        if self.duty_count[p]:
            self.recorder.add_span(
                self.recorder.duty, p, self.P, self.duty_last[p], now, self.duty_count[p]
            )
        self.duty_last[p] = now

    def retire(self, now: float, a: int) -> None:
        """A leaving agent has finished its last contact: it goes off duty."""
        p = self.pool[a]
        self.flush_duty(p, now)
        self.leaving[a] = False
        self.leaving_set[p].discard(a)
        self.on_duty[a] = False
        self.duty_count[p] -= 1
        self.off_duty[p].append(a)

    def set_staffing(
        self,
        now: float,
        day: int,
        i: int,
        free: Callable[[float, int], None],
        top_up: Callable[[float, int, int], None],
    ) -> None:
        """Bring each pool to its staffing of interval ``i`` of run day ``day``.

        More agents: agents on their way out are called back first, then new
        ones come on duty (``free(now, a)`` gives them work or makes them
        idle). Fewer: idle agents leave first (the most recently idle), then
        busy ones are marked leaving and go when they are done.
        """
        conc, load, channel = self.conc, self.load, self.channel
        row = self.staffing[(day - self.first_day) % len(self.staffing)][i]
        for p in range(self.P):
            self.flush_duty(p, now)
            target = row[p]
            partial = self.partial[p]
            while self.available[p] < target:
                self.available[p] += 1
                if self.leaving_set[p]:
                    back = self.leaving_set[p].pop()
                    self.leaving[back] = False
                    c = channel[back]
                    if conc[c] > 1:
                        if load[back] < conc[c]:
                            partial[c][load[back]].add(back)
                        top_up(now, back, c)
                    continue
                a = self.off_duty[p].pop()
                self.on_duty[a] = True
                self.duty_count[p] += 1
                free(now, a)
            if self.available[p] > target:
                sel = self.selection[p]
                while self.available[p] > target and sel.idle:
                    a = sel.release_one()
                    self.on_duty[a] = False
                    self.duty_count[p] -= 1
                    self.available[p] -= 1
                    self.off_duty[p].append(a)
                for a in self.members[p]:
                    if self.available[p] <= target:
                        break
                    if self.on_duty[a] and not self.leaving[a] and load[a] > 0:
                        self.leaving[a] = True  # finishes its contacts, then leaves
                        self.leaving_set[p].add(a)
                        self.available[p] -= 1
                        c = channel[a]
                        if conc[c] > 1 and load[a] < conc[c]:
                            partial[c][load[a]].discard(a)
