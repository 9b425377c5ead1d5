"""Contacts and the per-channel queues they wait in.

A contact is a Python list (mutated in place; cheaper than an object with
slots in the per-contact code) with the fields ``F_*`` below. Each live,
concurrent or deferred channel has one FIFO queue. Contacts that leave a queue
other than from its head (patience, timeout, overflow to another pool) are
only marked; the queue drops them when they reach its head (lazy deletion).
A waiting contact whose leave time has passed when it reaches the head is
expired there, at its leave time, exactly as if a timer had fired; a timer is
scheduled only where the exact moment matters (see ``Engine._needs_timer``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

__all__ = ["Queues"]

# fields of a contact record
F_JOURNEY, F_CHANNEL, F_ARRIVAL, F_SLOT, F_LEAVE, F_STATE, F_WORK = 0, 1, 2, 3, 4, 5, 6
F_START, F_AGENT, F_VERSION, F_LAST, F_TIMEOUT = 7, 8, 9, 10, 11
# contact states
WAITING, IN_SERVICE, DONE, GONE = 0, 1, 2, 3

Contact = list[Any]


def new_contact(j: int, c: int, now: float, slot: int, leave: float, work: float, timeout: bool):
    """A contact record (see the ``F_*`` fields)."""
    return [j, c, now, slot, leave, WAITING, work, 0.0, -1, 0, 0.0, timeout]


class Queues:
    """One FIFO queue per channel, with the counts that lines and capacity limits need.

    Parameters
    ----------
    C : int
        Channels.
    expire : callable
        ``expire(contact, now)``: called for a waiting contact found at the head
        after its leave time (the engine records it as abandoned or timed out
        at ``contact[F_LEAVE]``).

    Attributes
    ----------
    waiting : list of int
        Contacts waiting per channel (marked ones excluded once they are
        marked by a timer or an overflow; exact wherever a limit needs it).
    in_system : list of int
        Waiting plus in service per channel: what ``lines`` limits.
    """

    __slots__ = ("expire", "in_system", "q", "waiting")

    def __init__(self, C: int, expire: Callable[[Contact, float], None]) -> None:
        self.q: list[deque[Contact]] = [deque() for _ in range(C)]
        self.waiting = [0] * C
        self.in_system = [0] * C
        self.expire = expire

    def push(self, contact: Contact) -> None:
        """A contact starts waiting in its channel."""
        c = contact[F_CHANNEL]
        self.q[c].append(contact)
        self.waiting[c] += 1
        self.in_system[c] += 1

    def leave(self, contact: Contact) -> None:
        """A waiting contact leaves its queue without service (it is marked, not removed)."""
        c = contact[F_CHANNEL]
        contact[F_STATE] = GONE
        self.waiting[c] -= 1
        self.in_system[c] -= 1

    def taken(self, contact: Contact) -> None:
        """A waiting contact is taken by an agent (from the head or by an overflow)."""
        contact[F_STATE] = IN_SERVICE
        self.waiting[contact[F_CHANNEL]] -= 1

    def head(self, c: int, now: float) -> Contact | None:
        """The oldest contact still waiting in channel ``c`` at ``now`` (not removed)."""
        # take's loop drops the marked and expires the late at the head; no contact has
        # waited an infinite time, so it takes none and the head is left in place
        self.take(c, now, math.inf)
        q = self.q[c]
        return q[0] if q else None

    def pop_head(self, c: int) -> Contact:
        """Remove the head returned by :meth:`head` and mark it taken."""
        contact = self.q[c].popleft()
        self.taken(contact)
        return contact

    def take(self, c: int, now: float, after: float) -> Contact | None:
        """The oldest contact waiting in ``c`` if it has waited ``after`` s at ``now`` (removed).

        Drops the marked contacts and expires the late ones at the head (lazy
        deletion), then takes the head if it has waited long enough: the
        eligibility test and :meth:`pop_head` written into the loop, because a
        freed agent does this for every contact it takes (:meth:`head` is this
        loop with an infinite wait).
        """
        q = self.q[c]
        while q:
            contact = q[0]
            if contact[F_STATE] != WAITING:
                q.popleft()
            elif contact[F_LEAVE] <= now:
                q.popleft()
                self.leave(contact)
                self.expire(contact, now)
            elif contact[F_ARRIVAL] + after <= now:
                q.popleft()
                contact[F_STATE] = IN_SERVICE
                self.waiting[c] -= 1
                return contact
            else:
                return None
        return None

    def drain(self, c: int) -> list[Contact]:
        """Remove and return every contact still waiting in channel ``c`` (closing)."""
        q = self.q[c]
        out = [x for x in q if x[F_STATE] == WAITING]
        q.clear()
        for contact in out:
            self.leave(contact)
        return out

    def remaining(self) -> list[Contact]:
        """Contacts still marked waiting at the end of the run (all channels)."""
        return [x for q in self.q for x in q if x[F_STATE] == WAITING]
