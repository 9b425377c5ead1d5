"""The size of a simulation, estimated before it starts, and the limit it must stay under.

A scenario of a billion contacts a day is valid, and simulating it contact by
contact would take days and run out of memory long before it ends.
:func:`check_size` estimates the contacts and the memory of a run from the
resolved arrays alone (no simulation) and refuses a run beyond the limits with
a message that says what to change. docs/limits.md states the limits and how
the figures below were measured.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import ChannelOptError
from ..scenario.resolved import Resolved

__all__ = [
    "BYTES_PER_CONTACT_KEPT",
    "BYTES_PER_CONTACT_PEAK",
    "MAX_CONTACTS",
    "MEMORY_ENV",
    "SimulationSize",
    "SimulationTooLargeError",
    "check_size",
    "estimate_size",
    "memory_limit",
]

#: Memory of one contact attempt while its replication runs (bytes): measured about
#: 100-270 B (tracemalloc peak, 15,000-60,000 attempts a day, docs/limits.md); taken
#: with a margin for the engine's event objects and the arrays built at the end.
BYTES_PER_CONTACT_PEAK = 400
#: Memory of one contact attempt kept in the result of a replication (bytes):
#: measured 80-230 B; the journey arrays stay until the tables are built.
BYTES_PER_CONTACT_KEPT = 250
#: Most contact attempts in one call, over all replications and days: at about
#: 100 microseconds of CPU each (measured), some 6 CPU hours.
MAX_CONTACTS = 200_000_000
#: Environment variable that sets the memory limit in GB (default: 4, or half the
#: machine's memory when that is less).
MEMORY_ENV = "CHANNELOPT_SIMULATION_MEMORY_GB"
#: Cap of the expected attempts per external arrival (hand-offs, repeats, retrials).
_MAX_VISITS_FACTOR = 50.0


class SimulationTooLargeError(ChannelOptError, ValueError):
    """A simulation was refused before it started: it would exceed the limits."""

    bad_input = True


class SimulationSize:
    """The estimate of :func:`estimate_size` (attempts and bytes)."""

    __slots__ = ("contacts_per_day", "days", "memory_bytes", "replications", "total_contacts")

    def __init__(
        self,
        contacts_per_day: float,
        days: int,
        replications: int,
        workers: int,
    ) -> None:
        self.contacts_per_day = contacts_per_day
        self.days = days
        self.replications = replications
        per_replication = contacts_per_day * days
        self.total_contacts = per_replication * replications
        # each running worker holds one replication at its peak; the caller holds
        # the results of all replications until the tables are built
        self.memory_bytes = (
            per_replication * BYTES_PER_CONTACT_PEAK * max(1, min(workers, replications))
            + self.total_contacts * BYTES_PER_CONTACT_KEPT
        )


def _visits_factor(res: Resolved) -> float:
    """Expected attempts per external arrival: the routing of hand-offs and repeats
    (taken as if nothing were ever resolved, an upper bound) and retrials (as if
    every attempt were abandoned or blocked)."""
    c = len(res.channels)
    routing = np.asarray(res.handoff, dtype=float) + np.asarray(res.repeat_to, dtype=float)
    try:
        visits = np.linalg.solve(np.eye(c) - routing, np.ones(c))
        factor = float(np.max(visits)) if np.all(np.isfinite(visits)) else _MAX_VISITS_FACTOR
    except np.linalg.LinAlgError:
        factor = _MAX_VISITS_FACTOR
    if not factor >= 1.0:
        factor = _MAX_VISITS_FACTOR  # the bound failed (radius >= 1): use the cap
    p = float(res.retrial_probability)
    factor *= 1.0 / (1.0 - p) if 0.0 <= p < 1.0 else _MAX_VISITS_FACTOR
    return min(factor, _MAX_VISITS_FACTOR)


def estimate_size(res: Resolved, days: int, replications: int, workers: int) -> SimulationSize:
    """Contacts and memory of a simulation, before it runs.

    Parameters
    ----------
    res : Resolved
        The period to simulate.
    days : int
        Days per replication, warm-up included.
    replications : int
        Replications.
    workers : int
        Replications that run at the same time (1 serially).

    Returns
    -------
    SimulationSize
    """
    arrivals = np.asarray(res.arrivals, dtype=float)
    external = float(np.sum(arrivals[np.isfinite(arrivals)]))
    return SimulationSize(external * _visits_factor(res), days, replications, workers)


def memory_limit() -> float:
    """The memory a simulation may use (bytes): ``CHANNELOPT_SIMULATION_MEMORY_GB``
    or 4 GB, and never more than half the machine's physical memory."""
    limit = 4e9
    text = os.environ.get(MEMORY_ENV)
    if text:
        try:
            limit = float(text) * 1e9
        except ValueError:
            raise SimulationTooLargeError(
                f"the environment variable {MEMORY_ENV} must be a number of GB; got {text!r}"
            ) from None
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        limit = min(limit, 0.5 * physical)
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        pass
    return limit


def check_size(res: Resolved, days: int, replications: int, workers: int) -> SimulationSize:
    """Refuse a simulation beyond :data:`MAX_CONTACTS` attempts or the memory limit.

    Raises
    ------
    SimulationTooLargeError
        With the estimate, the limit and what to change.
    """
    size = estimate_size(res, days, replications, workers)
    limit = memory_limit()
    over_contacts = size.total_contacts > MAX_CONTACTS
    over_memory = size.memory_bytes > limit
    if over_contacts or over_memory:
        what = (
            f"about {size.total_contacts:,.0f} contact attempts "
            f"({size.contacts_per_day:,.0f} a day x {days} day(s) with warm-up x "
            f"{replications} replication(s)) and about {size.memory_bytes / 1e9:,.1f} GB of memory"
        )
        limits = (
            f"the limits are {MAX_CONTACTS:,} attempts and {limit / 1e9:,.1f} GB "
            f"(set {MEMORY_ENV} to change the memory limit)"
        )
        raise SimulationTooLargeError(
            f"simulating {res.name!r} would need {what}; {limits}. Simulate fewer days or "
            "replications, or a scaled-down copy of the scenario (volumes and agents / 10): "
            "see docs/limits.md"
        )
    return size
