"""Routing policies as small objects, and the router that applies them.

* **Agent selection** (per pool; which free agent takes an arriving contact):
  :class:`LongestIdle` (a deque in the order agents became idle) and
  :class:`RandomAgent` (a list; a uniform draw, swap-remove).
* **Skill selection** (per pool; which waiting contact a freed agent takes):
  :class:`Priority` (the first skill in the pool's order with an eligible
  waiting contact) and :class:`LongestWaiting` (the contact that has waited
  longest across the pool's eligible skills); :class:`LongestWaitingHeadStart`
  is the latter where a skill has a ``head_start`` (its contacts count as that
  much older: priority classes), so pools without one keep the plain loop.
* :class:`Router`: for an arriving contact, the pools of the channel's
  ``routing`` in preference order whose ``after`` is 0; the first with a free
  agent (for a concurrent channel, then an agent of those pools with a free
  chat slot, least loaded first) takes it.

Eligibility under overflow: pool ``p`` may take a contact of channel ``c``
only once it has waited ``after[p][c]`` seconds. Queues are FIFO and
``after`` is fixed per pool and channel, so when the head of a queue is not
yet eligible for a pool, no contact behind it is either.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from ._queues import F_ARRIVAL, Contact, Queues

__all__ = [
    "LongestIdle",
    "LongestWaiting",
    "LongestWaitingHeadStart",
    "Priority",
    "RandomAgent",
    "Router",
]


class LongestIdle:
    """``agent_selection: longest_idle``: the agent idle longest takes the contact.

    ``take()`` removes and returns the agent idle longest, ``put(a)`` files an
    agent that becomes idle now, ``release_one()`` removes the most recently
    idle agent (going off duty). They are the deque's own methods (C calls:
    this is on every contact's path).
    """

    __slots__ = ("idle", "put", "release_one", "take")

    def __init__(self) -> None:
        self.idle: deque[int] = deque()
        self.take = self.idle.popleft
        self.put = self.idle.append
        self.release_one = self.idle.pop


class RandomAgent:
    """``agent_selection: random``: a free agent drawn uniformly at random."""

    __slots__ = ("_u", "idle", "put", "release_one")

    def __init__(self, u: Callable[[], float]) -> None:
        self.idle: list[int] = []
        self._u = u
        self.put = self.idle.append  # an agent becomes idle
        self.release_one = self.idle.pop  # an idle agent goes off duty

    def take(self) -> int:
        """Remove and return a uniformly drawn idle agent."""
        idle = self.idle
        i = int(self._u() * len(idle))
        a = idle[i]
        idle[i] = idle[-1]
        idle.pop()
        return a


class Priority:
    """``skill_selection: priority``: the first skill in the pool's order with work.

    Parameters
    ----------
    skills : list of (channel, after)
        The pool's live and concurrent skills in priority order, with the wait
        before the pool may take a contact of that channel.
    queues : Queues
    """

    __slots__ = ("q", "queues", "skills", "take")

    def __init__(self, skills: list[tuple[int, float]], queues: Queues) -> None:
        self.skills = skills
        self.queues = queues
        # the queues' list and method, read by every freed agent
        self.q = queues.q
        self.take = queues.take

    def choose(self, now: float) -> Contact | None:
        """Remove and return the contact a freed agent takes at ``now`` (or None)."""
        q = self.q
        for c, after in self.skills:
            if q[c]:
                take = self.take  # a plain attribute load: see _adapter's "Calls"
                x = take(c, now, after)
                if x is not None:
                    return x
        return None


class LongestWaiting:
    """``skill_selection: longest_waiting``: the oldest eligible contact over the skills."""

    __slots__ = ("queues", "skills")

    def __init__(self, skills: list[tuple[int, float]], queues: Queues) -> None:
        self.skills = skills
        self.queues = queues

    def choose(self, now: float) -> Contact | None:
        """Remove and return the contact that has waited longest (or None)."""
        queues = self.queues
        head = queues.head
        best: Contact | None = None
        best_c = -1
        q = queues.q
        for c, after in self.skills:
            if not q[c]:
                continue
            x = head(c, now)
            if (
                x is not None
                and x[F_ARRIVAL] + after <= now
                and (best is None or x[F_ARRIVAL] < best[F_ARRIVAL])
            ):
                best, best_c = x, c
        return None if best is None else queues.pop_head(best_c)


class LongestWaitingHeadStart:
    """``longest_waiting`` where skills have a ``head_start``: the smallest
    ``arrival - head_start`` wins (eligibility under overflow still counts the
    real wait). Within one channel the head start is the same for every
    contact, so each FIFO queue's head is still its oldest by this key.

    Parameters
    ----------
    skills : list of (channel, after)
    queues : Queues
    head_start : list of float
        Seconds per channel (all channels of the model).
    """

    __slots__ = ("queues", "skills")

    def __init__(
        self, skills: list[tuple[int, float]], queues: Queues, head_start: list[float]
    ) -> None:
        self.skills = [(c, after, head_start[c]) for c, after in skills]
        self.queues = queues

    def choose(self, now: float) -> Contact | None:
        """Remove and return the contact with the earliest head-started arrival (or None)."""
        queues = self.queues
        head = queues.head
        best_key = 0.0
        best_c = -1
        q = queues.q
        for c, after, start in self.skills:
            if not q[c]:
                continue
            x = head(c, now)
            if x is None or x[F_ARRIVAL] + after > now:
                continue
            key = x[F_ARRIVAL] - start
            if best_c < 0 or key < best_key:
                best_key, best_c = key, c
        return None if best_c < 0 else queues.pop_head(best_c)


class Router:
    """Finds the agent for an arriving contact (see the module docs).

    Parameters
    ----------
    routing : list of list of (pool, after)
        Per channel, the pools in preference order.
    selection : list of LongestIdle or RandomAgent
        The agent selection of each pool (holds its idle agents).
    partial : list of list of list of set of int
        ``partial[p][c][k]``: agents of pool p carrying k chats of concurrent
        channel c (``0 < k < concurrency``).
    """

    __slots__ = ("immediate", "partial", "selection")

    def __init__(
        self,
        routing: list[list[tuple[int, float]]],
        selection: list[LongestIdle | RandomAgent],
        partial: list[list[list[set[int]]]],
    ) -> None:
        self.selection = selection
        self.partial = partial
        # pools that may take a contact at once, in preference order
        self.immediate = [[p for p, after in row if after <= 0.0] for row in routing]

    def find_agent(self, c: int, concurrent: bool) -> int:
        """The free agent that takes a contact of channel ``c`` now (removed), or -1."""
        selection = self.selection
        for p in self.immediate[c]:
            sel = selection[p]
            if sel.idle:
                take = sel.take  # a plain attribute load: see _adapter's "Calls"
                return take()
        if concurrent:
            for p in self.immediate[c]:
                for bucket in self.partial[p][c][1:]:
                    if bucket:
                        return bucket.pop()  # the caller re-files it by its new load
        return -1

    def pool_agent(self, p: int, c: int, concurrent: bool) -> int:
        """A free agent (or free chat slot) of pool ``p`` for channel ``c``; -1 if none."""
        sel = self.selection[p]
        if sel.idle:
            return sel.take()
        if concurrent:
            for bucket in self.partial[p][c][1:]:
                if bucket:
                    return bucket.pop()
        return -1
