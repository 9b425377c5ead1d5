"""What a replication records: counters per interval, time per pool, one row per journey.

Counters are flat lists indexed by ``slot = interval * C + channel`` (the
global interval counts from the start of the run); agent time integrals are
indexed by ``(interval * P + pool) * C + channel`` (busy and wrap-up time) and
``interval * P + pool`` (time on duty). Journey records are typed arrays, one
entry per external arrival (written through memoryviews, see the class), turned
into NumPy arrays once at the end.
"""

from __future__ import annotations

import contextlib
from array import array
from enum import StrEnum
from typing import Any, cast

import numpy as np

from ..errors import ChannelOptError

__all__ = ["ConservationError", "Outcome", "Recorder", "check_conservation"]


class Outcome(StrEnum):
    """How one attempt in a channel ended (the counter columns of ``.intervals``)."""

    ANSWERED = "answered"  #: an agent took it
    ABANDONED = "abandoned"  #: its patience ran out while it waited
    BLOCKED = "blocked"  #: all lines busy or the queue full when it arrived
    BALKED = "balked"  #: it would have had to wait and left at once
    TIMED_OUT = "timed_out"  #: the system ended its wait at ``max_wait``
    DISCONNECTED = "disconnected"  #: still waiting when the channel closed (``at_close: clear``)
    CONTAINED = "contained"  #: self-service resolved it
    GAVE_UP = "gave_up"  #: self-service did not contain it and it was not handed off


#: outcomes of a live or concurrent attempt that ended without service
UNSERVED = (
    Outcome.ABANDONED,
    Outcome.BLOCKED,
    Outcome.BALKED,
    Outcome.TIMED_OUT,
    Outcome.DISCONNECTED,
)

COUNTERS = (
    "offered",
    *(str(o) for o in Outcome),
    "answered_within_target",
    "lost",
    "handed_off",
    "completed",
    "resolved",
)


class ConservationError(ChannelOptError, AssertionError):
    """A simulation run lost or created contacts: an internal error, please report it."""


class Recorder:
    """Counters, agent-time integrals and journey records of one replication.

    Parameters
    ----------
    G, C, P : int
        Intervals in the run, channels, pools.
    L : float
        Interval length in seconds.
    """

    def __init__(self, G: int, C: int, P: int, L: float) -> None:
        self.G, self.C, self.P, self.L = G, C, P, L
        self.count: dict[str, list[int]] = {name: [0] * (G * C) for name in COUNTERS}
        self.wait_sum = [0.0] * (G * C)
        self.busy = [0.0] * (G * P * C)
        self.wrap = [0.0] * (G * P * C)
        # Busy and wrap-up time per pool and channel as running sums, closed at
        # each interval boundary (:meth:`close_interval`): a start adds -t and
        # one to the count, an end adds +t and takes one off, so that
        # acc + count * boundary is the interval's agent-seconds. Two list
        # updates at each start and end instead of splitting every span by
        # interval (about 5 % of the run time at 50 agents).
        self.busy_acc = [0.0] * (P * C)
        self.busy_n = [0] * (P * C)
        self.wrap_acc = [0.0] * (P * C)
        self.wrap_n = [0] * (P * C)
        #: weight of a contact slot per pool and channel (1 / concurrency)
        self.slot_weight = [1.0] * (P * C)
        self.duty = [0.0] * (G * P)
        # Per-journey records: typed arrays (compact, and NumPy reads them without a
        # copy), written through memoryviews. Storing an item through a memoryview
        # converts the value directly; the array's own item store parses it like a
        # function argument (PyArg_Parse), about 200 machine instructions more per
        # store, and the engine stores two or three per contact. A view pins its
        # array's size: :meth:`new_journeys` releases the views, extends the arrays
        # and opens new views (holders of the old ones must read the new ones).
        self._store: dict[str, array] = {
            "j_start": array("d"),
            "j_first": array("i"),
            "j_mask": array("q"),
            "j_contacts": array("i"),
            "j_handoffs": array("i"),
            "j_repeats": array("i"),
            "j_retrials": array("i"),
            "j_abandons": array("i"),
            "j_wait": array("d"),
            # waits in live and concurrent queues only: the customer-effort measure
            # (an email's time in its backlog is not effort; docs/design.md)
            "j_qwait": array("d"),
            "j_end": array("d"),
            "j_resolved": array("b"),
        }
        self._open_views()
        # rare events are tallied here; frequent ones are read off the counters
        self.tally = dict.fromkeys(
            (
                "repeats_scheduled",
                "unresolved_after_service",
                "retrials_scheduled",
                "timeouts_moved",
                "closed_lost",
                "scheduled",
                "fired",
            ),
            0,
        )

    def _open_views(self) -> None:
        """The ``j_*`` attributes: a writable view of each journey record."""
        # (typing.cast: the float records' views hold floats, which typeshed cannot tell)
        store = self._store
        self.j_start = cast("memoryview[float]", memoryview(store["j_start"]))
        self.j_first = memoryview(store["j_first"])
        self.j_mask = memoryview(store["j_mask"])
        self.j_contacts = memoryview(store["j_contacts"])
        self.j_handoffs = memoryview(store["j_handoffs"])
        self.j_repeats = memoryview(store["j_repeats"])
        self.j_retrials = memoryview(store["j_retrials"])
        self.j_abandons = memoryview(store["j_abandons"])
        self.j_wait = cast("memoryview[float]", memoryview(store["j_wait"]))
        self.j_qwait = cast("memoryview[float]", memoryview(store["j_qwait"]))
        self.j_end = cast("memoryview[float]", memoryview(store["j_end"]))
        self.j_resolved = memoryview(store["j_resolved"])

    def _close_views(self) -> None:
        """Release the views (a view left open would forbid resizing its array)."""
        for name in self._store:
            getattr(self, name).release()

    def new_journeys(self, start: np.ndarray, first: np.ndarray) -> int:
        """Open one journey per external arrival; returns the index of the first.

        ``start``: arrival times (s), ``first``: channels. Each journey starts
        with its first contact, offered to channel ``first`` (so ``contacts``
        is 1 and ``mask`` has that channel's bit). The ``j_*`` views are new
        afterwards: the old ones are released.
        """
        n = len(start)
        store = self._store
        j0 = len(store["j_first"])
        first = np.asarray(first)
        self._close_views()
        store["j_start"].frombytes(np.asarray(start, dtype=np.float64).tobytes())
        store["j_first"].frombytes(first.astype(np.int32).tobytes())
        store["j_mask"].frombytes(np.left_shift(1, first.astype(np.int64)).tobytes())
        store["j_contacts"].frombytes(np.ones(n, dtype=np.int32).tobytes())
        for name in (
            "j_handoffs",
            "j_repeats",
            "j_retrials",
            "j_abandons",
            "j_resolved",
            "j_wait",
            "j_qwait",
        ):
            col = store[name]
            col.frombytes(bytes(col.itemsize * n))
        store["j_end"].frombytes(np.full(n, np.nan).tobytes())
        self._open_views()
        return j0

    def add_offered(self, g0: int, counts: np.ndarray) -> None:
        """External arrivals offered, ``counts[i, c]`` in interval ``g0 + i`` and channel c.

        A day at a time: one NumPy call per day rather than per interval.
        """
        offered = self.count["offered"]
        flat = np.asarray(counts).ravel()
        base = g0 * self.C
        for k in np.flatnonzero(flat).tolist():
            offered[base + k] += int(flat[k])

    def add_span(self, arr: list[float], base: int, stride: int, s: float, e: float, w: float):
        """Add ``w`` x seconds from ``s`` to ``e`` to ``arr[g * stride + base]`` per interval g."""
        L = self.L
        g0 = int(s / L)
        g1 = min(int(e / L), self.G - 1)
        if g0 >= g1:
            arr[g0 * stride + base] += (e - s) * w
            return
        arr[g0 * stride + base] += ((g0 + 1) * L - s) * w
        for g in range(g0 + 1, g1):
            arr[g * stride + base] += L * w
        arr[g1 * stride + base] += (e - g1 * L) * w

    def close_interval(self, g: int, t: float) -> None:
        """Interval ``g`` ends at ``t``: its busy and wrap-up agent-seconds are final."""
        base = g * self.P * self.C
        weight = self.slot_weight
        for arr, acc, count in (
            (self.busy, self.busy_acc, self.busy_n),
            (self.wrap, self.wrap_acc, self.wrap_n),
        ):
            for pc, n in enumerate(count):
                total = acc[pc] + n * t
                if total:
                    arr[base + pc] += total * weight[pc]
                acc[pc] = -n * t

    def end_journey(self, j: int, t: float, resolved: int) -> None:
        """Close journey ``j`` at time ``t``."""
        self.j_end[j] = t
        self.j_resolved[j] = resolved

    def arrays(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Counters ``(G, C)``, time integrals and journey arrays as NumPy arrays.

        The journey record lists are emptied one at a time as they are
        converted, to keep the peak memory low.
        """
        G, C, P = self.G, self.C, self.P
        out: dict[str, np.ndarray] = {
            k: np.asarray(v, dtype=np.int64).reshape(G, C) for k, v in self.count.items()
        }
        out["total_wait"] = np.asarray(self.wait_sum, dtype=float).reshape(G, C)
        out["busy"] = np.asarray(self.busy, dtype=float).reshape(G, P, C)
        out["wrap"] = np.asarray(self.wrap, dtype=float).reshape(G, P, C)
        out["duty"] = np.asarray(self.duty, dtype=float).reshape(G, P)

        def take(name: str, dtype: Any) -> np.ndarray:
            values = self._store[name]
            arr = np.array(values, dtype=dtype)
            # Something else may still view the record (Dask's in-process worker
            # profiler samples frames): then keep it; it is freed when the run returns.
            with contextlib.suppress(BufferError):
                del values[:]
            return arr

        self._close_views()  # the records are final: no more stores
        journeys = {
            "start": take("j_start", np.float64),
            "first_channel": take("j_first", np.int16),
            "mask": take("j_mask", np.int64),
            "contacts": take("j_contacts", np.int32),
            "handoffs": take("j_handoffs", np.int32),
            "repeats": take("j_repeats", np.int32),
            "retrials": take("j_retrials", np.int32),
            "abandonments": take("j_abandons", np.int32),
            "total_wait": take("j_wait", np.float64),
            "queue_wait": take("j_qwait", np.float64),
            "end": take("j_end", np.float64),
            "resolved": take("j_resolved", np.bool_),
        }
        return out, journeys

    def balances(
        self, self_service: list[bool], waiting_end: int, in_service_end: int, pending_end: int
    ) -> dict[str, int]:
        """The totals that :func:`check_conservation` balances."""
        C = self.C
        cnt = self.count
        ho = cnt["handed_off"]
        ss_handoffs = sum(ho[x] for x in range(len(ho)) if self_service[x % C])
        # read the arrays, not the views: a view with an export could not be released
        end, resolved = self._store["j_end"], self._store["j_resolved"]
        j_end = np.frombuffer(end, dtype=np.float64) if len(end) else np.zeros(0)
        j_res: np.ndarray | list[int] = (
            np.frombuffer(resolved, dtype=np.int8) if len(resolved) else []
        )
        out = {
            "externals": len(self._store["j_first"]),
            "attempts": sum(cnt["offered"]),
            **{str(o): sum(cnt[str(o)]) for o in Outcome},
            "self_service_handed_off": ss_handoffs,
            "self_service_gave_up": sum(cnt["gave_up"]),
            "completed": sum(cnt["completed"]),
            "served_handed_off": sum(ho) - ss_handoffs,
            "lost": sum(cnt["lost"]),
            "resolved": sum(cnt["resolved"]),
            **self.tally,
            "waiting_end": waiting_end,
            "in_service_end": in_service_end,
            "pending_end": pending_end,
            "journeys_finished": int(np.isfinite(j_end).sum()),
            "journeys_resolved": int(np.sum(j_res)),
        }
        return out


def check_conservation(t: dict[str, int]) -> None:
    """Raise :class:`ConservationError` when any balance of contacts does not hold."""
    unserved = sum(t[str(o)] for o in UNSERVED)
    checks = {
        "attempts = answered + abandoned + blocked + balked + timed out + disconnected + "
        "contained + self-service hand-offs + self-service gave up + still waiting": (
            t["attempts"],
            t["answered"]
            + unserved
            + t["contained"]
            + t["self_service_handed_off"]
            + t["gave_up"]
            + t["waiting_end"],
        ),
        "answered = completed + still in service": (
            t["answered"],
            t["completed"] + t["in_service_end"],
        ),
        "completed = handed off + resolved + repeats + unresolved": (
            t["completed"],
            t["served_handed_off"]
            + t["resolved"]
            + t["repeats_scheduled"]
            + t["unresolved_after_service"],
        ),
        "abandoned + blocked + balked + timed out + disconnected + lost at a closed channel = "
        "retrials + moved on timeout + lost": (
            unserved + t["closed_lost"],
            t["retrials_scheduled"] + t["timeouts_moved"] + t["lost"],
        ),
        "attempts + pending + lost at a closed channel = external + hand-offs + retrials + "
        "repeats + moved on timeout": (
            t["attempts"] + t["pending_end"] + t["closed_lost"],
            t["externals"]
            + t["served_handed_off"]
            + t["self_service_handed_off"]
            + t["retrials_scheduled"]
            + t["repeats_scheduled"]
            + t["timeouts_moved"],
        ),
        "journeys resolved = contained + resolved after service": (
            t["journeys_resolved"],
            t["contained"] + t["resolved"],
        ),
        "journeys finished = resolved + gave up + lost + unresolved after service": (
            t["journeys_finished"],
            t["journeys_resolved"] + t["gave_up"] + t["lost"] + t["unresolved_after_service"],
        ),
    }
    broken = [f"{name}: {lhs} != {rhs}" for name, (lhs, rhs) in checks.items() if lhs != rhs]
    if broken:
        raise ConservationError(
            "simulation conservation check failed (a bug in channelopt.simulation, please "
            "report it with the scenario and seed):\n  " + "\n  ".join(broken)
        )
